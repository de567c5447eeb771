//! Logstash `sprintf` index names: `%{[topic]}-%{+YYYY.MM.dd}`.
//!
//! A pattern is parsed once (`IndexPattern::parse`, errors at start-up name the bad part) into literal text,
//! field references (`%{[a][b]}`, `%{a}`) and date formats (`%{+YYYY.MM.dd}`, Joda letters, from the document's
//! `@timestamp` in UTC). Formatting never leaves a reference unresolved the way Logstash does: a missing field,
//! an object-valued field, a missing or unparsable `@timestamp`, or a result Elasticsearch would refuse as an
//! index name is an `Err` with the reason, which the caller sends to the dead letter.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

/// A parsed index-name pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPattern {
    parts: Vec<Part>,
    uses_timestamp: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Field(Vec<String>),
    Date(Vec<DatePart>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DatePart {
    Literal(char),
    Year(usize),
    WeekYear(usize),
    Week(usize),
    Month(usize),
    Day(usize),
    Hour(usize),
    Minute(usize),
    Second(usize),
    Millis(usize),
}

/// What a pattern is filled from: the document plus, for `%{[topic]}`, the topic it came from.
pub struct IndexContext<'a> {
    pub document: &'a Value,
    /// Answers `%{[topic]}` (and `%{[@metadata][kafka][topic]}`) before the document is consulted.
    pub topic: Option<&'a str>,
}

impl IndexPattern {
    /// Parses `pattern`; the error names the part that cannot be used.
    pub fn parse(pattern: &str) -> Result<IndexPattern, String> {
        let mut parts = Vec::new();
        let mut rest = pattern;
        while let Some(start) = rest.find("%{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`{}` has no closing }}", &rest[start..]))?;
            let inner = &after[..end];
            if let Some(date) = inner.strip_prefix('+') {
                parts.push(Part::Date(parse_date(date)?));
            } else {
                parts.push(Part::Field(parse_field(inner)?));
            }
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        if parts.is_empty() {
            return Err("the index pattern is empty".into());
        }
        let uses_timestamp = parts.iter().any(|p| matches!(p, Part::Date(_)));
        Ok(IndexPattern {
            parts,
            uses_timestamp,
        })
    }

    /// Whether the pattern is plain text (every document goes to the same index).
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Fills the pattern for one document; `Err` says why it cannot be filled.
    pub fn format(&self, context: &IndexContext<'_>) -> Result<String, String> {
        let timestamp = if self.uses_timestamp {
            Some(document_timestamp(context.document)?)
        } else {
            None
        };
        let mut out = String::with_capacity(32);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(path) => out.push_str(&lookup(context, path)?),
                Part::Date(date) => {
                    if let Some(time) = &timestamp {
                        format_date(date, time, &mut out);
                    }
                }
            }
        }
        validate_index_name(&out)?;
        Ok(out)
    }
}

fn parse_field(inner: &str) -> Result<Vec<String>, String> {
    if inner.is_empty() {
        return Err("`%{}` names no field".into());
    }
    if !inner.starts_with('[') {
        return Ok(vec![inner.to_string()]);
    }
    let mut path = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let body = rest
            .strip_prefix('[')
            .ok_or_else(|| format!("`%{{{inner}}}` is not a field reference like [a][b]"))?;
        let close = body
            .find(']')
            .ok_or_else(|| format!("`%{{{inner}}}` has an unclosed ["))?;
        if close == 0 {
            return Err(format!("`%{{{inner}}}` has an empty []"));
        }
        path.push(body[..close].to_string());
        rest = &body[close + 1..];
    }
    Ok(path)
}

fn parse_date(pattern: &str) -> Result<Vec<DatePart>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let close = chars[i + 1..]
                .iter()
                .position(|&q| q == '\'')
                .ok_or_else(|| format!("`%{{+{pattern}}}` has an unclosed quote"))?;
            if close == 0 {
                parts.push(DatePart::Literal('\''));
            }
            parts.extend(
                chars[i + 1..i + 1 + close]
                    .iter()
                    .map(|&q| DatePart::Literal(q)),
            );
            i += close + 2;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&r| r == c).count();
        let part = match c {
            'y' | 'Y' => DatePart::Year(run),
            'x' => DatePart::WeekYear(run),
            'w' => DatePart::Week(run),
            'M' if run <= 2 => DatePart::Month(run),
            'd' if run <= 2 => DatePart::Day(run),
            'H' if run <= 2 => DatePart::Hour(run),
            'm' if run <= 2 => DatePart::Minute(run),
            's' if run <= 2 => DatePart::Second(run),
            'S' if run <= 3 => DatePart::Millis(run),
            c if c.is_ascii_alphabetic() => {
                return Err(format!("`%{{+{pattern}}}`: date letter `{}` is not supported (use yyyy YYYY xxxx ww MM dd HH mm ss SSS)", c.to_string().repeat(run)));
            }
            c => {
                parts.extend(std::iter::repeat_n(DatePart::Literal(c), run));
                i += run;
                continue;
            }
        };
        parts.push(part);
        i += run;
    }
    Ok(parts)
}

fn document_timestamp(document: &Value) -> Result<DateTime<Utc>, String> {
    let text = document
        .get("@timestamp")
        .and_then(Value::as_str)
        .ok_or("the index pattern needs @timestamp and the document has none (or not a string)")?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("the index pattern needs @timestamp and `{text}` is not RFC 3339: {e}")
        })
}

fn lookup(context: &IndexContext<'_>, path: &[String]) -> Result<String, String> {
    if let Some(topic) = context.topic {
        let is_topic = matches!(path, [one] if one == "topic")
            || matches!(path, [a, b, c] if a == "@metadata" && b == "kafka" && c == "topic");
        if is_topic {
            return Ok(topic.to_string());
        }
    }
    let mut value = context.document;
    for key in path {
        value = value
            .get(key)
            .ok_or_else(|| format!("field [{}] is missing for the index name", path.join("][")))?;
    }
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(format!(
            "field [{}] is null, cannot name an index",
            path.join("][")
        )),
        _ => Err(format!(
            "field [{}] is an object or array, cannot name an index",
            path.join("][")
        )),
    }
}

fn pad(out: &mut String, value: i64, width: usize) {
    use std::fmt::Write;
    let _ = write!(out, "{value:0width$}");
}

fn format_date(parts: &[DatePart], time: &DateTime<Utc>, out: &mut String) {
    for part in parts {
        match *part {
            DatePart::Literal(c) => out.push(c),
            DatePart::Year(2) => pad(out, i64::from(time.year().rem_euclid(100)), 2),
            DatePart::Year(n) => pad(out, i64::from(time.year()), n),
            DatePart::WeekYear(2) => pad(out, i64::from(time.iso_week().year().rem_euclid(100)), 2),
            DatePart::WeekYear(n) => pad(out, i64::from(time.iso_week().year()), n),
            DatePart::Week(n) => pad(out, i64::from(time.iso_week().week()), n),
            DatePart::Month(n) => pad(out, i64::from(time.month()), n),
            DatePart::Day(n) => pad(out, i64::from(time.day()), n),
            DatePart::Hour(n) => pad(out, i64::from(time.hour()), n),
            DatePart::Minute(n) => pad(out, i64::from(time.minute()), n),
            DatePart::Second(n) => pad(out, i64::from(time.second()), n),
            DatePart::Millis(n) => {
                let millis = i64::from(time.timestamp_subsec_millis());
                let digits = format!("{millis:03}");
                out.push_str(&digits[..n.min(3)]);
            }
        }
    }
}

/// Elasticsearch's rules for index names.
pub fn validate_index_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!("index name `{name}` is not allowed"));
    }
    if name.len() > 255 {
        return Err(format!(
            "index name of {} bytes is longer than 255",
            name.len()
        ));
    }
    if name.starts_with(['-', '_', '+']) {
        return Err(format!("index name `{name}` must not start with -, _ or +"));
    }
    if let Some(bad) = name.chars().find(|c| {
        c.is_uppercase()
            || matches!(
                c,
                '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
            )
    }) {
        return Err(format!("index name `{name}` contains `{bad}` (must be lowercase, without \\ / * ? \" < > | space , # :)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fill(pattern: &str, document: &Value, topic: Option<&str>) -> Result<String, String> {
        IndexPattern::parse(pattern)
            .expect("pattern parses")
            .format(&IndexContext { document, topic })
    }

    fn doc() -> Value {
        json!({"@timestamp": "2026-01-02T23:30:00.123+02:00", "a": {"b": "inner"}, "app": "web", "n": 7, "Upper": "ABC"})
    }

    #[test]
    fn dates_are_utc_joda_patterns() {
        assert_eq!(
            fill("logs-%{+YYYY.MM.dd}", &doc(), None).as_deref(),
            Ok("logs-2026.01.02")
        );
        assert_eq!(
            fill("logs-%{+yyyy.MM.dd}", &doc(), None).as_deref(),
            Ok("logs-2026.01.02")
        );
        assert_eq!(
            fill("logs-%{+YYYY.MM}", &doc(), None).as_deref(),
            Ok("logs-2026.01")
        );
        assert_eq!(
            fill("logs-%{+xxxx.ww}", &doc(), None).as_deref(),
            Ok("logs-2026.01")
        );
        assert_eq!(
            fill("l-%{+yyyy.MM.dd'h'HH.mm.ss.SSS}", &doc(), None).as_deref(),
            Ok("l-2026.01.02h21.30.00.123")
        );
        let late = json!({"@timestamp": "2026-12-31T23:59:59Z"});
        assert_eq!(
            fill("%{+YYYY.MM.dd}", &late, None).as_deref(),
            Ok("2026.12.31")
        );
    }

    #[test]
    fn fields_topic_and_literals() {
        assert_eq!(
            fill("%{[topic]}-x", &doc(), Some("app_log")).as_deref(),
            Ok("app_log-x")
        );
        assert_eq!(fill("%{[a][b]}", &doc(), None).as_deref(), Ok("inner"));
        assert_eq!(fill("%{app}-%{[n]}", &doc(), None).as_deref(), Ok("web-7"));
        assert_eq!(
            fill("plain-index", &doc(), None).as_deref(),
            Ok("plain-index")
        );
        assert_eq!(
            IndexPattern::parse("plain-index")
                .expect("parses")
                .literal(),
            Some("plain-index")
        );
        assert_eq!(
            fill("%{[topic]}-%{+YYYY.MM.dd}", &doc(), Some("web_log")).as_deref(),
            Ok("web_log-2026.01.02")
        );
    }

    #[test]
    fn unfillable_patterns_are_errors_with_reasons() {
        let err = fill("%{[missing]}-x", &doc(), None).unwrap_err();
        assert!(err.contains("[missing]"), "{err}");
        let err = fill("%{[a]}", &doc(), None).unwrap_err();
        assert!(err.contains("object"), "{err}");
        let err = fill("%{+YYYY}", &json!({"x": 1}), None).unwrap_err();
        assert!(err.contains("@timestamp"), "{err}");
        let err = fill("%{+YYYY}", &json!({"@timestamp": "yesterday"}), None).unwrap_err();
        assert!(err.contains("yesterday"), "{err}");
        let err = fill("%{Upper}", &doc(), None).unwrap_err();
        assert!(err.contains("lowercase"), "{err}");
        assert!(IndexPattern::parse("a-%{+YYYY.QQ}").is_err());
        assert!(IndexPattern::parse("a-%{[x]").is_err());
        assert!(IndexPattern::parse("").is_err());
    }
}
