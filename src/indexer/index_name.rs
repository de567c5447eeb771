//! Logstash `sprintf` index names: `%{[topic]}-%{+YYYY.MM.dd}`.
//!
//! The pattern is a `logpipe_filter::Template`, logpipe's one sprintf (the filters' `add_field` and this use
//! the same parser): literal text, field references (`%{[a][b]}`, `%{a.b}`, `%{a}`) and dates of
//! `@timestamp` in UTC (`%{+YYYY.MM.dd}`, Joda letters; `%{{yyyy-MM-dd}}`). It is parsed once
//! (`IndexPattern::parse`, errors at start-up name the bad part). Filling never leaves a reference unresolved
//! the way Logstash does: a missing field, an object-valued field, a missing or unparsable `@timestamp`, or a
//! result Elasticsearch would refuse as an index name is an `Err` with the reason, which the caller sends to
//! the dead letter.

use logpipe_filter::{FieldRef, Object, SprintfError, Template};
use serde_json::{Map, Value};

/// Why a pattern cannot be parsed or filled, or what it filled is no index name Elasticsearch accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexNameError {
    #[error("the index pattern is empty")]
    EmptyPattern,
    /// The pattern does not parse; the reason names the part.
    #[error("{source}")]
    BadPattern {
        pattern: String,
        source: SprintfError,
    },
    /// A document cannot fill the pattern (a missing or object-valued field, no usable `@timestamp`).
    #[error("{source} (index pattern `{pattern}`)")]
    Unfilled {
        pattern: String,
        source: SprintfError,
    },
    /// The filled name breaks one of Elasticsearch's rules for index names.
    #[error("index name `{name}` {rule}")]
    Invalid {
        name: String,
        rule: logpipe_index_name::IndexNameRule,
    },
}

/// A parsed index-name pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPattern {
    template: Template,
}

/// What a pattern is filled from: the document (a parsed JSON object, or a filtered event's fields) plus,
/// for `%{[topic]}`, the topic it came from.
pub struct IndexContext<'a, M: Object = Map<String, Value>> {
    pub document: &'a M,
    /// Answers `%{[topic]}` (and `%{[@metadata][kafka][topic]}`) before the document is consulted.
    pub topic: Option<&'a str>,
}

impl IndexPattern {
    /// Parses `pattern`; the error names the part that cannot be used.
    pub fn parse(pattern: &str) -> Result<IndexPattern, IndexNameError> {
        if pattern.is_empty() {
            return Err(IndexNameError::EmptyPattern);
        }
        let template = Template::parse(pattern).map_err(|source| IndexNameError::BadPattern {
            pattern: pattern.to_string(),
            source,
        })?;
        Ok(IndexPattern { template })
    }

    /// Whether the pattern is plain text (every document goes to the same index).
    pub fn literal(&self) -> Option<&str> {
        self.template.literal()
    }

    /// Fills the pattern for one document; `Err` says why it cannot be filled or is no valid index name.
    pub fn format<M: Object>(
        &self,
        context: &IndexContext<'_, M>,
    ) -> Result<String, IndexNameError> {
        let name = self.format_text(context)?;
        validate_index_name(&name)?;
        Ok(name)
    }

    /// Fills the pattern for one document as plain text (a pipeline or routing value, a data stream's
    /// dataset); `Err` says why it cannot be filled.
    pub fn format_text<M: Object>(
        &self,
        context: &IndexContext<'_, M>,
    ) -> Result<String, IndexNameError> {
        let topic = |field: &FieldRef| {
            let is_topic = matches!(field.segments(), [one] if one == "topic")
                || matches!(field.segments(), [a, b, c] if a == "@metadata" && b == "kafka" && c == "topic");
            is_topic
                .then(|| context.topic.map(str::to_string))
                .flatten()
        };
        self.template
            .render_strict(context.document, &topic)
            .map_err(|source| IndexNameError::Unfilled {
                pattern: self.template.as_str().to_string(),
                source,
            })
    }
}

/// Elasticsearch's rules for index names (`logpipe-index-name`).
pub fn validate_index_name(name: &str) -> Result<(), IndexNameError> {
    logpipe_index_name::check(name).map_err(|rule| IndexNameError::Invalid {
        name: name.to_string(),
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use logpipe_index_name::IndexNameRule;
    use serde_json::json;

    fn fill(
        pattern: &str,
        document: &Value,
        topic: Option<&str>,
    ) -> Result<String, IndexNameError> {
        IndexPattern::parse(pattern)
            .expect("pattern parses")
            .format(&IndexContext {
                document: document.as_object().expect("an object"),
                topic,
            })
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
        let err = fill("%{[missing]}-x", &doc(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[missing]"), "{err}");
        let err = fill("%{[a]}", &doc(), None).unwrap_err().to_string();
        assert!(err.contains("object"), "{err}");
        let err = fill("%{+YYYY}", &json!({"x": 1}), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("@timestamp"), "{err}");
        let err = fill("%{+YYYY}", &json!({"@timestamp": "yesterday"}), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("yesterday"), "{err}");
        let err = fill("%{Upper}", &doc(), None).unwrap_err().to_string();
        assert!(err.contains("lowercase"), "{err}");
        assert!(matches!(
            fill("%{Upper}", &doc(), None),
            Err(IndexNameError::Invalid {
                rule: IndexNameRule::Uppercase('A'),
                ..
            })
        ));
        assert!(matches!(
            fill("%{[missing]}", &doc(), None),
            Err(IndexNameError::Unfilled { pattern, .. }) if pattern == "%{[missing]}"
        ));
        assert!(IndexPattern::parse("a-%{+YYYY.QQ}").is_err());
        assert!(IndexPattern::parse("a-%{[x]").is_err());
        assert_eq!(IndexPattern::parse(""), Err(IndexNameError::EmptyPattern));
        assert!(matches!(
            validate_index_name(&"a".repeat(256)),
            Err(IndexNameError::Invalid { name, rule: IndexNameRule::TooLong }) if name.len() == 256
        ));
    }
}
