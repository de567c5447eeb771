//! Entry points for the fuzz targets (`crates/filter/fuzz`), compiled only with the `fuzzing` feature (and in
//! tests): each takes arbitrary input and must return without panicking, overflowing the stack or running
//! for long, and checks what the module promises.
//!
//! - [`template`]: a sprintf template parsed, then filled from a JSON object strictly (index names,
//!   document ids) and the Logstash way (filters).
//!
//! The tests below run every input of `fuzz/corpus/<target>/` (the seeds) and `fuzz/regressions/<target>/`
//! (each input a fuzzer found a fault with, kept once fixed) through its target, so `cargo test` replays
//! them without cargo-fuzz.

use serde_json::{json, Map, Value};

use crate::event::Event;
use crate::sprintf::Template;

/// The document of a [`template`] input that has none (or not a JSON object).
fn default_document() -> Map<String, Value> {
    let value = json!({
        "@timestamp": "2026-11-22T04:51:21.123Z",
        "message": "connection refused",
        "host": {"name": "web-1"},
        "n": 7,
        "tags": ["a", "b"],
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The first line of `input` is a template, the rest a JSON object to fill it from. Checks that a parsed
/// template keeps its text, that a template without references fills to that text, and that where the strict
/// fill succeeds Logstash's fill gives the same text (they differ only in what strict refuses).
pub fn template(input: &[u8]) {
    let (line, rest) = match input.iter().position(|b| *b == b'\n') {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let Ok(template) = Template::parse(text) else {
        return;
    };
    assert_eq!(template.as_str(), text);
    let document = match serde_json::from_slice::<Value>(rest) {
        Ok(Value::Object(map)) => map,
        _ => default_document(),
    };
    let strict = template.render_strict(&document, &|_| None);
    let event = Event::from_map(document);
    let logstash = template.render(&event);
    if let Some(literal) = template.literal() {
        assert!(!text.contains("%{"), "{text:?} is literal");
        assert_eq!(literal, text);
        assert_eq!(strict.as_deref(), Ok(text));
        assert_eq!(logstash, text);
    }
    if let Ok(strict) = strict {
        assert_eq!(strict, logstash, "template {text:?}");
    }
    // What the transfer does for `%{[topic]}`: the answer comes before the document's field.
    let _ = template.render_strict(event.fields(), &|field| {
        (field.segments() == ["topic"]).then(|| "app_log".to_string())
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_inputs() {
        let fuzz_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        logpipe_fuzz_inputs::replay(&fuzz_dir, "template", super::template);
    }
}
