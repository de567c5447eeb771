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

/// Why a pattern file or a pattern cannot be used; names the line or the reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("line {line}: `{text}` is not `NAME regex`")]
    NotADefinition { line: usize, text: String },
    #[error("line {line}: `{name}` is not a pattern name")]
    BadName { line: usize, name: String },
    #[error("`{0}` has no closing }}")]
    Unclosed(String),
    #[error("the group `{0}` has no closing >")]
    UnclosedGroup(String),
    #[error(transparent)]
    BadField(#[from] crate::field_ref::FieldRefError),
    #[error("`%{{{reference}}}`: `{conversion}` is not a type (int or float)")]
    BadType {
        reference: String,
        conversion: String,
    },
    #[error("`%{{{0}}}` does not name a pattern")]
    NotAName(String),
    #[error("pattern {name} refers to itself ({} → {name})", chain.join(" → "))]
    Recursive { name: String, chain: Vec<String> },
    #[error("patterns nest deeper than {MAX_DEPTH} at {0}")]
    TooDeep(String),
    #[error("unknown pattern {0}")]
    Unknown(String),
}

/// Adds the `NAME regex` lines of a pattern file to `library`; the error names the line.
pub(crate) fn parse_file(
    text: &str,
    library: &mut HashMap<String, String>,
) -> Result<(), PatternError> {
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (name, regex) = trimmed
            .split_once(|c: char| c.is_whitespace())
            .ok_or_else(|| PatternError::NotADefinition {
                line: number + 1,
                text: line.to_string(),
            })?;
        if !valid_name(name) {
            return Err(PatternError::BadName {
                line: number + 1,
                name: name.to_string(),
            });
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
) -> Result<Expanded, PatternError> {
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

    fn expand_into(&mut self, text: &str, out: &mut String) -> Result<(), PatternError> {
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
                        .ok_or_else(|| PatternError::Unclosed(text[i..].to_string()))?;
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
                        .ok_or_else(|| PatternError::UnclosedGroup(text[i..].to_string()))?;
                    let name = &text[i + 3..i + 3 + close];
                    let field = FieldRef::parse(name)?;
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

    fn reference(&mut self, reference: &str, out: &mut String) -> Result<(), PatternError> {
        let mut parts = reference.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let field = parts.next();
        let conversion = match parts.next() {
            None => None,
            Some("int" | "integer") => Some(Conversion::Int),
            Some("float") => Some(Conversion::Float),
            Some(other) => {
                return Err(PatternError::BadType {
                    reference: reference.to_string(),
                    conversion: other.to_string(),
                })
            }
        };
        if !valid_name(name) {
            return Err(PatternError::NotAName(reference.to_string()));
        }
        if self.stack.iter().any(|n| n == name) {
            return Err(PatternError::Recursive {
                name: name.to_string(),
                chain: self.stack.clone(),
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(PatternError::TooDeep(name.to_string()));
        }
        let body = (self.library)(name).ok_or_else(|| PatternError::Unknown(name.to_string()))?;
        let capture = match field {
            Some(field) if !field.is_empty() => Some(FieldRef::parse(field)?),
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
        assert_eq!(
            expand("%{NOPE}", &lookup, true),
            Err(PatternError::Unknown("NOPE".into()))
        );
        let err = expand("%{LOOP}", &lookup, true).unwrap_err();
        assert_eq!(
            err,
            PatternError::Recursive {
                name: "LOOP".into(),
                chain: vec!["LOOP".into()]
            }
        );
        assert_eq!(
            err.to_string(),
            "pattern LOOP refers to itself (LOOP → LOOP)"
        );
        assert!(expand("%{A:x:date}", &lookup, true)
            .unwrap_err()
            .to_string()
            .contains("not a type"));
        assert!(expand("(?<=a)(?<!b)\\%{", &lookup, true).is_ok());
    }
}
