//! Grok pattern libraries and the expansion of `%{NAME:field:type}` into one regular expression.
//!
//! The shipped libraries are Logstash's standard sets written as data files (`patterns/legacy/*`,
//! `patterns/ecs-v1/*`: base patterns, httpd, java, syslog). A library is a map name → regex; later
//! definitions replace earlier ones (files, then `patterns_dir`, then `pattern_definitions`).

use crate::field_ref::FieldRef;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which standard set: Logstash's `ecs_compatibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Legacy,
    Ecs,
}

const LEGACY: &[(&str, &str)] = &[
    (
        "grok-patterns",
        include_str!("../../../patterns/legacy/grok-patterns"),
    ),
    ("httpd", include_str!("../../../patterns/legacy/httpd")),
    ("java", include_str!("../../../patterns/legacy/java")),
    (
        "linux-syslog",
        include_str!("../../../patterns/legacy/linux-syslog"),
    ),
];

const ECS: &[(&str, &str)] = &[
    (
        "grok-patterns",
        include_str!("../../../patterns/ecs-v1/grok-patterns"),
    ),
    ("httpd", include_str!("../../../patterns/ecs-v1/httpd")),
    ("java", include_str!("../../../patterns/ecs-v1/java")),
    (
        "linux-syslog",
        include_str!("../../../patterns/ecs-v1/linux-syslog"),
    ),
];

/// The standard library of a flavor, parsed once per process.
pub(crate) fn standard(flavor: Flavor) -> &'static HashMap<String, String> {
    static LEGACY_SET: OnceLock<HashMap<String, String>> = OnceLock::new();
    static ECS_SET: OnceLock<HashMap<String, String>> = OnceLock::new();
    let (cell, files) = match flavor {
        Flavor::Legacy => (&LEGACY_SET, LEGACY),
        Flavor::Ecs => (&ECS_SET, ECS),
    };
    cell.get_or_init(|| {
        let mut library = HashMap::new();
        for (_, text) in files {
            // The shipped files are tested to parse (see the tests below).
            let _ = parse_file(text, &mut library);
        }
        library
    })
}

/// Adds the `NAME regex` lines of a pattern file to `library`; the error names the line.
pub(crate) fn parse_file(text: &str, library: &mut HashMap<String, String>) -> Result<(), String> {
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (name, regex) = trimmed
            .split_once(|c: char| c.is_whitespace())
            .ok_or_else(|| format!("line {}: `{line}` is not `NAME regex`", number + 1))?;
        if !valid_name(name) {
            return Err(format!(
                "line {}: `{name}` is not a pattern name",
                number + 1
            ));
        }
        library.insert(name.to_string(), regex.trim_start().to_string());
    }
    Ok(())
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Conversion of a capture (`%{NUMBER:bytes:int}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conversion {
    Int,
    Float,
}

/// One capture of an expanded pattern: its regex group name and where the value goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Capture {
    pub group: String,
    pub field: FieldRef,
    pub conversion: Option<Conversion>,
}

/// A pattern expanded into a regex source and its captures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expanded {
    pub regex: String,
    pub captures: Vec<Capture>,
}

/// Deepest chain of patterns referring to patterns.
const MAX_DEPTH: usize = 64;

/// Expands `pattern` with `library`. `named_only`: only `%{NAME:field}` and `(?<field>…)` capture;
/// otherwise `%{NAME}` also captures, into a field called `NAME`.
pub(crate) fn expand(
    pattern: &str,
    library: &dyn Fn(&str) -> Option<String>,
    named_only: bool,
) -> Result<Expanded, String> {
    let mut expander = Expander {
        library,
        named_only,
        captures: Vec::new(),
        stack: Vec::new(),
    };
    let mut regex = String::with_capacity(pattern.len() * 4);
    expander.expand_into(pattern, &mut regex)?;
    Ok(Expanded {
        regex,
        captures: expander.captures,
    })
}

struct Expander<'a> {
    library: &'a dyn Fn(&str) -> Option<String>,
    named_only: bool,
    captures: Vec<Capture>,
    stack: Vec<String>,
}

impl Expander<'_> {
    fn new_group(&mut self, field: FieldRef, conversion: Option<Conversion>) -> String {
        let group = format!("_g{}", self.captures.len());
        self.captures.push(Capture {
            group: group.clone(),
            field,
            conversion,
        });
        group
    }

    fn expand_into(&mut self, text: &str, out: &mut String) -> Result<(), String> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    out.push_str(&text[copied..i]);
                    let close = text[i..]
                        .find('}')
                        .ok_or_else(|| format!("`{}` has no closing }}", &text[i..]))?;
                    let reference = &text[i + 2..i + close];
                    self.reference(reference, out)?;
                    i += close + 1;
                    copied = i;
                }
                b'(' if text[i..].starts_with("(?<")
                    && bytes.get(i + 3).is_some_and(|b| {
                        b.is_ascii_alphabetic() || *b == b'_' || *b == b'[' || *b == b'@'
                    }) =>
                {
                    out.push_str(&text[copied..i]);
                    let close = text[i + 3..]
                        .find('>')
                        .ok_or_else(|| format!("the group `{}` has no closing >", &text[i..]))?;
                    let name = &text[i + 3..i + 3 + close];
                    let field = FieldRef::parse(name).map_err(|e| e.to_string())?;
                    let group = self.new_group(field, None);
                    out.push_str("(?<");
                    out.push_str(&group);
                    out.push('>');
                    i += 3 + close + 1;
                    copied = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&text[copied.min(text.len())..]);
        Ok(())
    }

    fn reference(&mut self, reference: &str, out: &mut String) -> Result<(), String> {
        let mut parts = reference.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let field = parts.next();
        let conversion = match parts.next() {
            None => None,
            Some("int" | "integer") => Some(Conversion::Int),
            Some("float") => Some(Conversion::Float),
            Some(other) => {
                return Err(format!(
                    "`%{{{reference}}}`: `{other}` is not a type (int or float)"
                ))
            }
        };
        if !valid_name(name) {
            return Err(format!("`%{{{reference}}}` does not name a pattern"));
        }
        if self.stack.iter().any(|n| n == name) {
            return Err(format!(
                "pattern {name} refers to itself ({} → {name})",
                self.stack.join(" → ")
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("patterns nest deeper than {MAX_DEPTH} at {name}"));
        }
        let body = (self.library)(name).ok_or_else(|| format!("unknown pattern {name}"))?;
        let capture = match field {
            Some(field) if !field.is_empty() => {
                Some(FieldRef::parse(field).map_err(|e| e.to_string())?)
            }
            _ if !self.named_only => Some(FieldRef::root(name)),
            _ => None,
        };
        match capture {
            Some(field) => {
                let group = self.new_group(field, conversion);
                out.push_str("(?<");
                out.push_str(&group);
                out.push('>');
            }
            None => out.push_str("(?:"),
        }
        self.stack.push(name.to_string());
        let result = self.expand_into(&body, out);
        self.stack.pop();
        result?;
        out.push(')');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_parse_and_every_reference_resolves() {
        for (flavor, files) in [(Flavor::Legacy, LEGACY), (Flavor::Ecs, ECS)] {
            let mut library = HashMap::new();
            for (name, text) in files {
                parse_file(text, &mut library).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            let lookup = |name: &str| library.get(name).cloned();
            for name in library.keys() {
                let expanded = expand(&format!("%{{{name}}}"), &lookup, true)
                    .unwrap_or_else(|e| panic!("{flavor:?} {name}: {e}"));
                crate::regex::Regex::new(&expanded.regex)
                    .unwrap_or_else(|e| panic!("{flavor:?} {name} does not compile: {e}"));
            }
            assert_eq!(standard(flavor).len(), library.len());
        }
    }

    #[test]
    fn expansion_names_groups_and_finds_mistakes() {
        let library: HashMap<String, String> = [
            ("A", "a+"),
            ("B", "%{A:first} (?<second>b)"),
            ("LOOP", "x%{LOOP}"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let lookup = |name: &str| library.get(name).cloned();
        let expanded = expand("%{B} %{A:[x][y]:int} %{A}", &lookup, true).expect("expands");
        assert_eq!(expanded.regex, "(?:(?<_g0>a+) (?<_g1>b)) (?<_g2>a+) (?:a+)");
        let fields: Vec<String> = expanded
            .captures
            .iter()
            .map(|c| c.field.to_string())
            .collect();
        assert_eq!(fields, ["[first]", "[second]", "[x][y]"]);
        assert_eq!(expanded.captures[2].conversion, Some(Conversion::Int));
        let all = expand("%{A}", &lookup, false).expect("expands");
        assert_eq!(all.captures[0].field.to_string(), "[A]");
        assert!(expand("%{NOPE}", &lookup, true)
            .unwrap_err()
            .contains("unknown pattern NOPE"));
        assert!(expand("%{LOOP}", &lookup, true)
            .unwrap_err()
            .contains("refers to itself"));
        assert!(expand("%{A:x:date}", &lookup, true)
            .unwrap_err()
            .contains("not a type"));
        assert!(expand("(?<=a)(?<!b)\\%{", &lookup, true).is_ok());
    }
}
