//! The transfer's index-name pattern: parsed, filled from a document and a topic, the result validated.

use serde_json::{json, Map, Value};

use crate::indexer::index_name::{validate_index_name, IndexContext, IndexPattern};

/// The document of an input that has none (or not a JSON object).
fn default_document() -> Map<String, Value> {
    match json!({
        "@timestamp": "2026-11-22T04:51:21.123Z",
        "service": {"name": "api"},
        "app": "web",
        "n": 7,
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Line 1 of `input` is the pattern, line 2 the Kafka topic, the rest the document (a JSON object). A
/// filled name is always one Elasticsearch accepts, and is the plain-text fill of the same pattern.
pub fn index_pattern(input: &[u8]) {
    let mut parts = input.splitn(3, |b| *b == b'\n');
    let Ok(pattern) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let topic = parts.next().and_then(|t| std::str::from_utf8(t).ok());
    let document = match serde_json::from_slice::<Value>(parts.next().unwrap_or_default()) {
        Ok(Value::Object(map)) => map,
        _ => default_document(),
    };
    // The name as written, validated on its own (a literal pattern is checked this way at start-up).
    let _ = validate_index_name(pattern);
    let Ok(parsed) = IndexPattern::parse(pattern) else {
        return;
    };
    let context = IndexContext {
        document: &document,
        topic,
    };
    let text = parsed.format_text(&context);
    match parsed.format(&context) {
        Ok(name) => {
            assert_eq!(validate_index_name(&name), Ok(()));
            assert!(!name.is_empty() && name.len() <= 255, "{name:?}");
            assert_eq!(text.as_deref(), Ok(name.as_str()), "pattern {pattern:?}");
        }
        Err(_) => {
            if let Ok(text) = text {
                assert!(validate_index_name(&text).is_err(), "{text:?} refused");
            }
        }
    }
    if let Some(literal) = parsed.literal() {
        assert_eq!(literal, pattern);
    }
}
