//! Logstash's sprintf: `%{[a][b]}` / `%{a.b}` field values, `%{+YYYY.MM.dd}` dates of `@timestamp` (Joda
//! letters, UTC), `%{+%s}` epoch seconds, and `%{{yyyy-MM-dd}}` (Logstash 8's java.time form, read with the
//! same letters). Templates are parsed once.
//!
//! Two ways to fill one: `render` is Logstash's (a missing field, or a missing `@timestamp`, leaves the
//! reference as written; an array becomes its elements joined by `,`; an object its JSON) and is what
//! filters use; `render_strict` refuses what cannot name a thing (missing, null, object or array values, no
//! usable `@timestamp`) and is what index names and document ids use.

use crate::event::Event;
use crate::field_ref::{FieldRef, FieldRefError};
use crate::fields::Object;
use crate::joda::JodaPattern;
use crate::timestamp::{Timestamp, Zone};
use serde_json::Value;
use std::fmt::Write;

/// A parsed sprintf template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// The reference and how it was written.
    Field(FieldRef, String),
    Date(JodaPattern, String),
    EpochSeconds(String),
}

/// Why a template cannot be parsed or strictly filled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SprintfError {
    #[error("`{0}` has no closing }}")]
    Unclosed(String),
    #[error("`%{{}}` names no field")]
    EmptyReference,
    #[error(transparent)]
    BadReference(#[from] FieldRefError),
    #[error("date format {0}")]
    BadDate(crate::joda::JodaError),
    #[error("field {0} is missing")]
    Missing(FieldRef),
    #[error("field {0} is {1}, not a single value")]
    NotScalar(FieldRef, &'static str),
    #[error("the template needs @timestamp and the event has none (or not a string)")]
    NoTimestamp,
    #[error("the template needs @timestamp and `{0}` is not ISO 8601")]
    BadTimestamp(String),
}

impl Template {
    /// Parses `text`; errors name the part that cannot be used.
    pub fn parse(text: &str) -> Result<Template, SprintfError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("%{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            if let Some(java) = after.strip_prefix('{') {
                let end = java
                    .find("}}")
                    .ok_or_else(|| SprintfError::Unclosed(rest[start..].to_string()))?;
                let written = &rest[start..start + 2 + 1 + end + 2];
                let pattern = JodaPattern::compile(&java[..end]).map_err(SprintfError::BadDate)?;
                parts.push(Part::Date(pattern, written.to_string()));
                rest = &java[end + 2..];
                continue;
            }
            let end = after
                .find('}')
                .ok_or_else(|| SprintfError::Unclosed(rest[start..].to_string()))?;
            let inner = &after[..end];
            let written = rest[start..start + 2 + end + 1].to_string();
            if let Some(format) = inner.strip_prefix('+') {
                if format == "%s" {
                    parts.push(Part::EpochSeconds(written));
                } else {
                    let pattern = JodaPattern::compile(format).map_err(SprintfError::BadDate)?;
                    parts.push(Part::Date(pattern, written));
                }
            } else if inner.is_empty() {
                return Err(SprintfError::EmptyReference);
            } else {
                parts.push(Part::Field(FieldRef::parse(inner)?, written));
            }
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template {
            source: text.to_string(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The text when the template references nothing.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether the template reads `@timestamp`.
    pub fn uses_timestamp(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Date(..) | Part::EpochSeconds(_)))
    }

    /// Fills the template the way Logstash does (see the module documentation).
    pub fn render(&self, event: &Event) -> String {
        if let Some(text) = self.literal() {
            return text.to_string();
        }
        let fields = event.fields();
        let timestamp = if self.uses_timestamp() {
            event_timestamp(fields).ok()
        } else {
            None
        };
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(field, written) => match field.get(fields) {
                    None | Some(Value::Null) => out.push_str(written),
                    Some(value) => push_value(&mut out, value),
                },
                Part::Date(pattern, written) => match timestamp {
                    Some(time) => pattern.format(time, &mut out),
                    None => out.push_str(written),
                },
                Part::EpochSeconds(written) => match timestamp {
                    Some(time) => {
                        let _ = write!(out, "{}", time.secs());
                    }
                    None => out.push_str(written),
                },
            }
        }
        out
    }

    /// Fills the template or says why it cannot; `extra` answers references before `fields` does (the
    /// transfer answers `[topic]` with the Kafka topic).
    pub fn render_strict<M: Object>(
        &self,
        fields: &M,
        extra: &dyn Fn(&FieldRef) -> Option<String>,
    ) -> Result<String, SprintfError> {
        let timestamp = if self.uses_timestamp() {
            Some(event_timestamp(fields)?)
        } else {
            None
        };
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(field, _) => {
                    if let Some(text) = extra(field) {
                        out.push_str(&text);
                        continue;
                    }
                    match field.get(fields) {
                        None => return Err(SprintfError::Missing(field.clone())),
                        Some(Value::Null) => {
                            return Err(SprintfError::NotScalar(field.clone(), "null"))
                        }
                        Some(Value::Object(_)) => {
                            return Err(SprintfError::NotScalar(field.clone(), "an object"))
                        }
                        Some(Value::Array(_)) => {
                            return Err(SprintfError::NotScalar(field.clone(), "an array"))
                        }
                        Some(value) => push_value(&mut out, value),
                    }
                }
                Part::Date(pattern, _) => {
                    if let Some(time) = timestamp {
                        pattern.format(time, &mut out);
                    }
                }
                Part::EpochSeconds(_) => {
                    if let Some(time) = timestamp {
                        let _ = write!(out, "{}", time.secs());
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `@timestamp` as an instant.
pub fn event_timestamp<M: Object>(fields: &M) -> Result<Timestamp, SprintfError> {
    let text = fields
        .get("@timestamp")
        .and_then(Value::as_str)
        .ok_or(SprintfError::NoTimestamp)?;
    Timestamp::parse_iso8601(text, &Zone::UTC)
        .ok_or_else(|| SprintfError::BadTimestamp(text.to_string()))
}

/// Appends a value as sprintf writes it.
pub fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_value(out, item);
            }
        }
        Value::Object(_) => out.push_str(&value.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event::from_json_slice(
            br#"{"@timestamp":"2026-01-02T23:30:00.123+02:00","a":{"b":"inner"},"app":"web","n":7,
                 "list":["x","y"],"obj":{"k":1},"service.name":"api"}"#,
        )
        .expect("event")
    }

    fn render(template: &str) -> String {
        Template::parse(template).expect("parses").render(&event())
    }

    #[test]
    fn logstash_rendering() {
        assert_eq!(render("%{[a][b]}-%{a.b}-%{app}"), "inner-inner-web");
        assert_eq!(render("logs-%{+YYYY.MM.dd}"), "logs-2026.01.02");
        assert_eq!(render("%{{yyyy-MM-dd'T'HH}}"), "2026-01-02T21");
        assert_eq!(render("%{+%s}"), "1767389400");
        assert_eq!(render("%{n} %{list} %{obj}"), r#"7 x,y {"k":1}"#);
        assert_eq!(render("%{missing} stays"), "%{missing} stays");
        assert_eq!(render("%{[service][name]}"), "api");
        assert_eq!(render("plain"), "plain");
        let no_time = Event::with_message("m");
        assert_eq!(
            Template::parse("x-%{+YYYY}")
                .expect("parses")
                .render(&no_time),
            "x-%{+YYYY}"
        );
    }

    #[test]
    fn strict_rendering_refuses_what_cannot_name() {
        let e = event();
        let strict = |t: &str| {
            Template::parse(t)
                .expect("parses")
                .render_strict(e.fields(), &|f| {
                    (f.segments() == ["topic"]).then(|| "app_log".to_string())
                })
        };
        assert_eq!(
            strict("%{[topic]}-%{+YYYY.MM}").as_deref(),
            Ok("app_log-2026.01")
        );
        assert!(matches!(strict("%{nope}"), Err(SprintfError::Missing(_))));
        assert!(matches!(strict("%{obj}"), Err(SprintfError::NotScalar(..))));
        let bare = Event::with_message("m");
        assert_eq!(
            Template::parse("%{+YYYY}")
                .expect("parses")
                .render_strict(bare.fields(), &|_| None),
            Err(SprintfError::NoTimestamp)
        );
    }

    #[test]
    fn bad_templates_are_errors() {
        assert!(matches!(
            Template::parse("%{a"),
            Err(SprintfError::Unclosed(_))
        ));
        assert!(matches!(
            Template::parse("%{}"),
            Err(SprintfError::EmptyReference)
        ));
        assert!(matches!(
            Template::parse("%{+YYYY.QQ}"),
            Err(SprintfError::BadDate(_))
        ));
        assert!(matches!(
            Template::parse("%{a..b}"),
            Err(SprintfError::BadReference(_))
        ));
        assert_eq!(Template::parse("x").expect("parses").literal(), Some("x"));
    }
}
