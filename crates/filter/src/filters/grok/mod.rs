//! `grok`: matches fields against named patterns and stores the captures (Logstash's grok filter).
//!
//! `match = { field = pattern or [patterns] }`; fields and patterns are tried in order, and with
//! `break_on_match` (the default) the first match ends the filter. A list value tries each element.
//! Captures follow Logstash: empty captures are dropped unless `keep_empty_captures`; `:int`/`:float`
//! convert; a capture into a field that already holds a string turns it into a list (so grokking `message`
//! into `message` needs `overwrite = ["message"]`), into a list appends, and `overwrite` fields are replaced.
//! `target` puts the captures under one field. No match tags `_grokparsefailure`. (Whether a field already
//! exists is asked of nested objects only — a literal dotted key is not seen as the field here, which keeps
//! the check free of scans; captures are always written nested.)
//!
//! Every pattern is expanded and compiled once, at `compile`.

mod patterns;

use super::Outcome;
use crate::error::{field, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::regex::Regex;
use crate::spec::GrokSpec;
pub use patterns::PatternError;
use patterns::{Conversion, Flavor};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

pub(crate) const FAILURE_TAG: &str = "_grokparsefailure";

#[derive(Debug, Clone)]
pub(crate) struct GrokFilter {
    matches: Vec<(FieldRef, Vec<Compiled>)>,
    break_on_match: bool,
    keep_empty_captures: bool,
    overwrite: Vec<FieldRef>,
    /// The most captures of any one pattern (sizes the list of values once per event).
    most_captures: usize,
}

/// One compiled pattern: the regex and, per capture, its group number and destination.
#[derive(Debug, Clone)]
struct Compiled {
    regex: Regex,
    captures: Vec<(u32, FieldRef, Option<Conversion>)>,
}

/// A `match` pattern or a `patterns_dir` that cannot be used; names the pattern, directory or file.
#[derive(Debug, thiserror::Error)]
pub enum GrokError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("`{pattern}` does not compile: {source}")]
    DoesNotCompile {
        pattern: String,
        source: crate::regex::RegexError,
    },
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` {source}", path.display())]
    PatternFile { path: PathBuf, source: PatternError },
}

impl GrokFilter {
    pub(crate) fn compile(spec: &GrokSpec) -> Result<GrokFilter, Invalid> {
        let flavor = match spec.ecs_compatibility.as_deref() {
            None | Some("v1") | Some("v8") => Flavor::Ecs,
            Some("disabled") => Flavor::Legacy,
            Some(other) => {
                return Err(Invalid::new(
                    "ecs_compatibility",
                    format!("`{other}` is not one of disabled, v1, v8"),
                ))
            }
        };
        let mut custom = HashMap::new();
        for dir in spec.patterns_dir.iter() {
            load_dir(
                dir,
                spec.patterns_files_glob.as_deref().unwrap_or("*"),
                &mut custom,
            )
            .map_err(|e| Invalid::new("patterns_dir", e.to_string()))?;
        }
        for (name, regex) in &spec.pattern_definitions {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(Invalid::new(
                    "pattern_definitions",
                    format!("`{name}` is not a pattern name (letters, digits, _)"),
                ));
            }
            custom.insert(name.clone(), regex.clone());
        }
        let standard = patterns::standard(flavor);
        let lookup = |name: &str| custom.get(name).or_else(|| standard.get(name)).cloned();
        let target = spec
            .target
            .as_deref()
            .map(|t| field("target", t))
            .transpose()?;
        if spec.match_.is_empty() {
            return Err(Invalid::new(
                "match",
                "give at least one field and its pattern",
            ));
        }
        let mut matches = Vec::new();
        for (source, list) in &spec.match_ {
            if list.is_empty() {
                return Err(Invalid::new("match", format!("no pattern for `{source}`")));
            }
            let compiled = list
                .iter()
                .map(|pattern| {
                    compile_pattern(pattern, &lookup, spec.named_captures_only, target.as_ref())
                        .map_err(|e| Invalid::new("match", e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            matches.push((field("match", source)?, compiled));
        }
        let overwrite = spec
            .overwrite
            .iter()
            .map(|name| {
                let name = field("overwrite", name)?;
                Ok(match &target {
                    Some(target) => name.under(target),
                    None => name,
                })
            })
            .collect::<Result<Vec<_>, Invalid>>()?;
        let most_captures = matches
            .iter()
            .flat_map(|(_, patterns)| patterns.iter().map(|p| p.captures.len()))
            .max()
            .unwrap_or(0);
        Ok(GrokFilter {
            most_captures,
            matches,
            break_on_match: spec.break_on_match,
            keep_empty_captures: spec.keep_empty_captures,
            overwrite,
        })
    }

    pub(crate) fn apply(&self, event: &mut Event) -> Outcome {
        let mut found: Vec<(&FieldRef, Value)> = Vec::with_capacity(self.most_captures);
        let mut matched = false;
        'fields: for (source, patterns) in &self.matches {
            let texts: &[Value] = match event.get(source) {
                Some(value @ Value::String(_)) => std::slice::from_ref(value),
                Some(Value::Array(items)) => items,
                _ => continue,
            };
            for pattern in patterns {
                let mut any = false;
                for text in texts.iter().filter_map(Value::as_str) {
                    any |= self.captures(pattern, text, &mut found);
                }
                if any {
                    matched = true;
                    if self.break_on_match {
                        break 'fields;
                    }
                }
            }
        }
        for (field, value) in found {
            self.store(event, field, value);
        }
        if matched {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }

    /// Adds the captured values of a match of `pattern` in `text` to `found`; false without a match.
    fn captures<'p>(
        &self,
        pattern: &'p Compiled,
        text: &str,
        found: &mut Vec<(&'p FieldRef, Value)>,
    ) -> bool {
        thread_local! {
            static REGION: RefCell<onig::Region> = RefCell::new(onig::Region::new());
        }
        REGION.with(|region| {
            let mut region = region.borrow_mut();
            let hit = pattern.regex.engine().search_with_options(
                text,
                0,
                text.len(),
                onig::SearchOptions::SEARCH_OPTION_NONE,
                Some(&mut region),
            );
            if hit.is_none() {
                return false;
            }
            for (group, field, conversion) in &pattern.captures {
                let Some((start, end)) = region.pos(*group as usize) else {
                    continue;
                };
                let captured = &text[start..end];
                if captured.is_empty() && !self.keep_empty_captures {
                    continue;
                }
                found.push((field, convert(captured, *conversion)));
            }
            true
        })
    }

    /// Stores one capture as Logstash does (see the module documentation).
    fn store(&self, event: &mut Event, field: &FieldRef, value: Value) {
        if self.overwrite.contains(field) {
            event.set(field, value);
            return;
        }
        match field.get_nested_mut(event.fields_mut()) {
            None | Some(Value::Null) => {
                event.set(field, value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(existing @ Value::String(_)) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            Some(_) => {}
        }
    }
}

/// The regular expression `pattern` becomes with the standard patterns (`legacy`: the
/// `ecs_compatibility = "disabled"` set).
pub fn expand_pattern(pattern: &str, legacy: bool) -> Result<String, PatternError> {
    let library = patterns::standard(if legacy { Flavor::Legacy } else { Flavor::Ecs });
    patterns::expand(pattern, &|name| library.get(name).cloned(), true).map(|e| e.regex)
}

fn convert(text: &str, conversion: Option<Conversion>) -> Value {
    match conversion {
        Some(Conversion::Int) => match text.parse::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) => match text.parse::<f64>() {
                Ok(f) if f.is_finite() && f.abs() < 9.2e18 => Value::from(f.trunc() as i64),
                _ => Value::String(text.to_string()),
            },
        },
        Some(Conversion::Float) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        None => Value::String(text.to_string()),
    }
}

fn compile_pattern(
    pattern: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    named_only: bool,
    target: Option<&FieldRef>,
) -> Result<Compiled, GrokError> {
    let expanded = patterns::expand(pattern, lookup, named_only)?;
    let regex = Regex::new_dot_matches_newline(&expanded.regex).map_err(|source| {
        GrokError::DoesNotCompile {
            pattern: pattern.to_string(),
            source,
        }
    })?;
    let mut groups = HashMap::new();
    regex.engine().foreach_name(|name, indices| {
        if let Some(&index) = indices.first() {
            groups.insert(name.to_string(), index);
        }
        true
    });
    let captures = expanded
        .captures
        .into_iter()
        .filter_map(|capture| {
            let index = *groups.get(&capture.group)?;
            let field = match target {
                Some(target) => capture.field.under(target),
                None => capture.field,
            };
            Some((index, field, capture.conversion))
        })
        .collect();
    Ok(Compiled { regex, captures })
}

/// Reads the pattern files of `dir` whose names match `glob` (only `*` is special).
fn load_dir(dir: &str, glob: &str, library: &mut HashMap<String, String>) -> Result<(), GrokError> {
    let entries = std::fs::read_dir(dir).map_err(|source| GrokError::Unreadable {
        path: PathBuf::from(dir),
        source,
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|name| glob_match(glob, name))
        })
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| GrokError::Unreadable {
            path: path.clone(),
            source,
        })?;
        patterns::parse_file(&text, library)
            .map_err(|source| GrokError::PatternFile { path, source })?;
    }
    Ok(())
}

fn glob_match(glob: &str, name: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(spec: Value, message: &str) -> (Outcome, Value) {
        let spec: GrokSpec = serde_json::from_value(spec).expect("spec");
        let filter = GrokFilter::compile(&spec).expect("compiles");
        let mut event = Event::with_message(message);
        let outcome = filter.apply(&mut event);
        (outcome, Value::Object(event.into_map()))
    }

    #[test]
    fn captures_types_and_existing_fields() {
        let (outcome, e) = run(
            json!({"match": {"message": "%{WORD:verb} %{NUMBER:n:int} %{NUMBER:f:float} %{DATA:empty}\\|%{GREEDYDATA:message}"}}),
            "GET 42 0.5 |rest",
        );
        assert_eq!(outcome, Outcome::Success);
        assert_eq!(e["verb"], "GET");
        assert_eq!(e["n"], 42);
        assert_eq!(e["f"], 0.5);
        assert!(e.get("empty").is_none());
        assert_eq!(e["message"], json!(["GET 42 0.5 |rest", "rest"]));
        let (_, e) = run(
            json!({"match": {"message": "%{WORD} %{GREEDYDATA:message}"}, "overwrite": ["message"]}),
            "GET rest",
        );
        assert_eq!(e["message"], "rest");
        let (_, e) = run(
            json!({"match": {"message": "%{WORD:w}(?<tail>.*)"}, "keep_empty_captures": true, "target": "g"}),
            "word",
        );
        assert_eq!(e["g"], json!({"w": "word", "tail": ""}));
    }

    #[test]
    fn a_multiline_event_is_one_text() {
        let trace = "2026-11-22 04:51:21,123 ERROR [main] com.example.App - request failed\n\
                     java.lang.IllegalStateException: closed\n\tat com.example.Db.query(Db.java:42)";
        let (outcome, e) = run(
            json!({"match": {"message": "%{TIMESTAMP_ISO8601:ts} %{LOGLEVEL:[log][level]} \\[%{DATA:thread}\\] %{JAVACLASS:[log][logger]} - %{GREEDYDATA:msg}"}}),
            trace,
        );
        assert_eq!(outcome, Outcome::Success);
        assert_eq!(e["log"]["level"], "ERROR");
        assert_eq!(e["log"]["logger"], "com.example.App");
        assert_eq!(
            e["msg"],
            "request failed\njava.lang.IllegalStateException: closed\n\tat com.example.Db.query(Db.java:42)",
            "GREEDYDATA takes the stack trace, as Logstash's grok (Ruby MULTILINE) does"
        );
    }

    #[test]
    fn pattern_lists_break_on_match_and_failure() {
        let spec = json!({"match": {"message": ["%{INT:a}", "%{WORD:b}"]}});
        let (_, e) = run(spec.clone(), "abc 12");
        assert_eq!((e.get("a").is_some(), e.get("b").is_some()), (true, false));
        let mut all = spec.clone();
        all["break_on_match"] = json!(false);
        let (_, e) = run(all, "abc 12");
        assert_eq!(
            (e["a"].as_str(), e["b"].as_str()),
            (Some("12"), Some("abc"))
        );
        let (outcome, _) = run(json!({"match": {"message": "^%{INT}$"}}), "nope");
        assert_eq!(outcome, Outcome::Failure);
        let (outcome, _) = run(json!({"match": {"absent": "%{INT}"}}), "1");
        assert_eq!(outcome, Outcome::Failure);
    }

    #[test]
    fn custom_patterns_and_directories() {
        let dir = std::env::temp_dir().join(format!("grok-patterns-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("app.grok"), "# mine\nQUEUEID [0-9A-F]{10,11}\n").expect("write");
        std::fs::write(dir.join("skip.txt"), "not a pattern file at all").expect("write");
        let (_, e) = run(
            json!({"match": {"message": "%{QUEUEID:queue} %{ITEM:item}"},
                   "patterns_dir": [dir.to_string_lossy()], "patterns_files_glob": "*.grok",
                   "pattern_definitions": {"ITEM": "item-%{INT}"}}),
            "ABCDEF01234 item-7",
        );
        assert_eq!(e["queue"], "ABCDEF01234");
        assert_eq!(e["item"], "item-7");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_config_names_the_key() {
        for (spec, key, needle) in [
            (
                json!({"match": {"message": "%{COMBINEDAPACHELOGG}"}}),
                "match",
                "unknown pattern COMBINEDAPACHELOGG",
            ),
            (
                json!({"match": {"message": "%{INT:x:date}"}}),
                "match",
                "not a type",
            ),
            (
                json!({"match": {"message": "(unclosed"}}),
                "match",
                "does not compile",
            ),
            (json!({"match": {}}), "match", "at least one"),
            (
                json!({"match": {"message": "%{X}"}, "pattern_definitions": {"a-b": "x"}}),
                "pattern_definitions",
                "a-b",
            ),
            (
                json!({"match": {"message": "%{INT}"}, "patterns_dir": ["/nonexistent/dir"]}),
                "patterns_dir",
                "/nonexistent/dir",
            ),
            (
                json!({"match": {"message": "%{INT}"}, "ecs_compatibility": "v9"}),
                "ecs_compatibility",
                "v9",
            ),
        ] {
            let spec: GrokSpec = serde_json::from_value(spec).expect("spec");
            let err = GrokFilter::compile(&spec).map(|_| ()).unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.reason.contains(needle), "{}", err.reason);
        }
        assert!(
            glob_match("*.grok", "a.grok")
                && !glob_match("*.grok", "a.txt")
                && glob_match("a*b*c", "aXbYc")
        );
    }
}
