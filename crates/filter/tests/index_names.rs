//! The index-name patterns of the transfer (`src/indexer/index_name.rs`: `%{[topic]}-%{+YYYY.MM.dd}`) filled
//! through this crate's `Template::render_strict`, case for case: this crate's sprintf is a superset of that
//! module, which can be rebuilt on it (its Elasticsearch name rules stay where they are).

use logpipe_filter::{FieldRef, SprintfError, Template};
use serde_json::{json, Value};

fn fill(pattern: &str, document: &Value, topic: Option<&str>) -> Result<String, SprintfError> {
    let template = Template::parse(pattern).expect("pattern parses");
    let topic_answer = |field: &FieldRef| {
        let segments = field.segments();
        let is_topic = segments == ["topic"] || segments == ["@metadata", "kafka", "topic"];
        is_topic.then(|| topic.map(str::to_string)).flatten()
    };
    template.render_strict(document.as_object().expect("object"), &topic_answer)
}

fn doc() -> Value {
    json!({"@timestamp": "2026-01-02T23:30:00.123+02:00", "a": {"b": "inner"}, "app": "web", "n": 7, "Upper": "ABC"})
}

#[test]
fn dates_are_utc_joda_patterns() {
    for (pattern, expected) in [
        ("logs-%{+YYYY.MM.dd}", "logs-2026.01.02"),
        ("logs-%{+yyyy.MM.dd}", "logs-2026.01.02"),
        ("logs-%{+YYYY.MM}", "logs-2026.01"),
        ("logs-%{+xxxx.ww}", "logs-2026.01"),
        (
            "l-%{+yyyy.MM.dd'h'HH.mm.ss.SSS}",
            "l-2026.01.02h21.30.00.123",
        ),
    ] {
        assert_eq!(
            fill(pattern, &doc(), None).as_deref(),
            Ok(expected),
            "{pattern}"
        );
    }
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
    assert_eq!(
        fill("%{[@metadata][kafka][topic]}", &doc(), Some("t")).as_deref(),
        Ok("t")
    );
    assert_eq!(fill("%{[a][b]}", &doc(), None).as_deref(), Ok("inner"));
    assert_eq!(fill("%{app}-%{[n]}", &doc(), None).as_deref(), Ok("web-7"));
    assert_eq!(
        fill("plain-index", &doc(), None).as_deref(),
        Ok("plain-index")
    );
    assert_eq!(
        Template::parse("plain-index").expect("parses").literal(),
        Some("plain-index")
    );
    assert_eq!(
        fill("%{[topic]}-%{+YYYY.MM.dd}", &doc(), Some("web_log")).as_deref(),
        Ok("web_log-2026.01.02")
    );
    // Beyond index_name.rs: the ECS spelling, and month names.
    assert_eq!(
        fill("%{a.b}-%{+MMM}", &doc(), None).as_deref(),
        Ok("inner-Jan")
    );
}

#[test]
fn unfillable_patterns_are_errors_with_reasons() {
    let missing = fill("%{[missing]}-x", &doc(), None).unwrap_err();
    assert!(missing.to_string().contains("[missing]"), "{missing}");
    let object = fill("%{[a]}", &doc(), None).unwrap_err();
    assert!(object.to_string().contains("object"), "{object}");
    let untimed = fill("%{+YYYY}", &json!({"x": 1}), None).unwrap_err();
    assert!(untimed.to_string().contains("@timestamp"), "{untimed}");
    let bad_time = fill("%{+YYYY}", &json!({"@timestamp": "yesterday"}), None).unwrap_err();
    assert!(bad_time.to_string().contains("yesterday"), "{bad_time}");
    assert!(Template::parse("a-%{+YYYY.QQ}").is_err());
    assert!(Template::parse("a-%{[x]").is_err());
    // Upper case and emptiness are Elasticsearch's naming rules; they stay in index_name.rs.
    assert_eq!(fill("%{Upper}", &doc(), None).as_deref(), Ok("ABC"));
}
