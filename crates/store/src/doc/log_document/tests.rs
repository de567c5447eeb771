//! Tests of the document model: conversions equal to tantivy's own reading of the `serde_json` tree,
//! repeated keys, hidden nodes, and the errors of bad sources.

use serde_json::{json, Map, Value as J};
use tantivy::schema::document::{Document, Value};
use tantivy::schema::{OwnedValue, Schema};
use tantivy::TantivyDocument;

use super::*;
use crate::doc::schema::build_schema;

/// The conversion this module replaced (a `serde_json::Value` tree into a `TantivyDocument`), kept as
/// the oracle: both must hand tantivy the same fields and values.
fn reference(fields: &Fields, id: &str, source: &[u8]) -> Option<TantivyDocument> {
    let J::Object(mut obj) = serde_json::from_slice::<J>(source).ok()? else {
        return None;
    };
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, id);
    if let Some(ts) = obj.remove(F_TS) {
        if !ts.is_null() {
            let ms = match &ts {
                J::String(s) => parse_date(s),
                J::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                _ => None,
            }?;
            doc.add_date(fields.ts, DateTime::from_timestamp_millis(ms));
        }
    }
    match obj.remove(F_MSG) {
        Some(J::String(msg)) => doc.add_text(fields.message, msg),
        Some(J::Array(items)) => {
            for item in items {
                match item {
                    J::String(s) => doc.add_text(fields.message, s),
                    other => doc.add_text(fields.message, other.to_string()),
                }
            }
        }
        Some(J::Null) | None => {}
        Some(other) => doc.add_text(fields.message, other.to_string()),
    }
    if let Some((event_id, folded)) = take_event_id(&mut obj, id) {
        doc.add_text(fields.event_id, event_id);
        if folded {
            doc.add_text(fields.folded, EVENT_ID);
        }
    }
    if !obj.is_empty() {
        doc.add_field_value(fields.attrs, &J::Object(obj));
    }
    if fields.source_is_text {
        doc.add_text(fields.source, std::str::from_utf8(source).ok()?);
    } else {
        doc.add_bytes(fields.source, source);
    }
    Some(doc)
}

fn take_event_id(obj: &mut Map<String, J>, id: &str) -> Option<(String, bool)> {
    if let Some(v) = obj.get(EVENT_ID).and_then(J::as_str) {
        let v = v.to_string();
        let folded = v == id;
        if folded {
            obj.remove(EVENT_ID);
        }
        return Some((v, folded));
    }
    let Some(J::Object(event)) = obj.get_mut("event") else {
        return None;
    };
    let v = event.get("id").and_then(J::as_str)?.to_string();
    let folded = v == id;
    if folded {
        event.remove("id");
        if event.is_empty() {
            obj.remove("event");
        }
    }
    Some((v, folded))
}

/// What tantivy would see of `doc`: its fields and values, with field names, as JSON.
fn seen(schema: &Schema, doc: &impl Document) -> J {
    let mut copy = TantivyDocument::new();
    for (field, value) in doc.iter_fields_and_values() {
        copy.add_field_value(field, value);
    }
    serde_json::from_str(&copy.to_json(schema)).unwrap_or(J::Null)
}

/// The values tantivy would index, typed (`Str` and `Date`, `I64` and `U64` told apart, which JSON
/// is not), objects with their keys sorted, by field.
fn typed(doc: &impl Document) -> Vec<(u32, String)> {
    fn show(v: &OwnedValue) -> String {
        match v {
            OwnedValue::Object(entries) => {
                let mut shown: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", show(v)))
                    .collect();
                shown.sort();
                format!("{{{}}}", shown.join(","))
            }
            OwnedValue::Array(items) => {
                format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(","))
            }
            leaf => format!("{leaf:?}"),
        }
    }
    let mut out: Vec<(u32, String)> = doc
        .iter_fields_and_values()
        .map(|(field, value)| (field.field_id(), show(&OwnedValue::from(value.as_value()))))
        .collect();
    out.sort_by_key(|(field, _)| *field);
    out
}

fn schemas() -> Vec<(Schema, Fields)> {
    let text = build_schema();
    let mut older = Schema::builder();
    for (_, entry) in text.fields() {
        if entry.name() == crate::doc::schema::F_SOURCE {
            older.add_bytes_field(entry.name(), tantivy::schema::STORED);
        } else {
            older.add_field(entry.clone());
        }
    }
    [text, older.build()]
        .into_iter()
        .map(|schema| {
            let fields = Fields::from_schema(&schema).expect("fields");
            (schema, fields)
        })
        .collect()
}

#[test]
fn maps_documents_as_the_serde_conversion_did() {
    let id = "0123456789abcdef0123456789abcdef";
    let docs = [
        json!({"@timestamp": "2026-11-22T04:00:00.123Z", "message": "GET /x 200", "host": {"name": "h1"},
               "log": {"file": {"path": "/var/log/a.log"}, "offset": 300}, "event": {"id": id}}),
        json!({"@timestamp": 1_763_784_000_123_i64, "message": ["a b", 7, true, null, {"k": 1}],
               "event.id": id, "event": {"kind": "k", "id": "other"}}),
        json!({"@timestamp": 1.76e12, "message": 42, "event": {"id": id, "kind": "k"}}),
        json!({"@timestamp": null, "message": null, "event": {"id": "not-the-id"}}),
        json!({"message": {"nested": ["x", 1.5]}, "event.id": 5, "event": {"id": id}}),
        json!({"big": 18_446_744_073_709_551_615_u64, "neg": -3, "f": 0.25, "t": true, "n": null,
               "date": "2026-11-22T04:00:00Z", "not_date": "2026-11-22", "ip": "10.0.0.1",
               "arr": [1, "two", [3], {"four": 4}, null], "empty": {}, "dotted.key": "v",
               "a": {"b.c": {"d": "e"}}}),
        json!({}),
        json!({"event": {"id": id}}),
    ];
    for (schema, fields) in schemas() {
        for doc in &docs {
            let source = serde_json::to_vec(doc).expect("json");
            let ours = LogDocument::from_source(&fields, id, &source).expect("parses");
            let theirs = reference(&fields, id, &source).expect("reference parses");
            assert_eq!(seen(&schema, &ours), seen(&schema, &theirs), "{doc}");
            assert_eq!(typed(&ours), typed(&theirs), "{doc}");
        }
    }
}

#[test]
fn unescapes_strings_and_keys_and_keeps_the_source_verbatim() {
    let (schema, fields) = schemas().remove(0);
    let source = br#"{ "message" : "tab\there \"q\" \u00e9", "k\u0065y": "v\nw", "@timestamp": "2026-11-22T04:00:00Z" }"#;
    let ours = LogDocument::from_source(&fields, "x", source).expect("parses");
    let theirs = reference(&fields, "x", source).expect("reference parses");
    assert_eq!(seen(&schema, &ours), seen(&schema, &theirs));
    assert_eq!(typed(&ours), typed(&theirs));
    let stored = seen(&schema, &ours);
    assert_eq!(stored["message"], json!(["tab\there \"q\" é"]));
    assert_eq!(
        stored["_source"],
        json!([std::str::from_utf8(source).expect("utf8")])
    );
    assert_eq!(stored["attrs"], json!([{"key": "v\nw"}]));
}

#[test]
fn repeated_keys_keep_their_last_value() {
    let (schema, fields) = schemas().remove(0);
    let sources: [&[u8]; 4] = [
        br#"{"message":"first","a":1,"message":"second","a":2,"@timestamp":"bad","@timestamp":0}"#,
        br#"{"a":{"b":1,"b":{"c":2},"d":3},"a":{"b":4},"k":[{"x":1,"x":2}],"e":5,"e":null}"#,
        br#"{"event":{"id":"x","id":"x"},"event.id":7,"event.id":"y"}"#,
        br#"{"z":1,"y":2,"z":3,"x":4,"y":5,"w":6,"z":7,"v":8,"u":9,"t":0,"z":{"s":1}}"#,
    ];
    for source in sources {
        let doc = LogDocument::from_source(&fields, "x", source).expect("parses");
        let theirs = reference(&fields, "x", source).expect("reference parses");
        assert_eq!(
            typed(&doc),
            typed(&theirs),
            "{}",
            String::from_utf8_lossy(source)
        );
        assert_eq!(seen(&schema, &doc), seen(&schema, &theirs));
    }
    let doc = LogDocument::from_source(&fields, "x", sources[0]).expect("parses");
    let ours = seen(&schema, &doc);
    assert_eq!(ours["message"], json!(["second"]));
    assert_eq!(ours["@timestamp"], json!(["1970-01-01T00:00:00Z"]));
    assert_eq!(ours["attrs"], json!([{"a": 2}]));
}

#[test]
fn bad_documents_are_parse_errors() {
    let (_, fields) = schemas().remove(0);
    // As a client sees it: the API layer's rendering of the error.
    let error = |source: &[u8]| {
        LogDocument::from_source(&fields, "x", source)
            .err()
            .map(crate::api::EsError::from)
            .map(|e| (e.status, e.typ.clone(), e.reason.clone()))
    };
    for bad in [
        &b"[1,2]"[..],
        b"\"s\"",
        b"{\"a\":",
        b"{\"a\":1} x",
        b"",
        b"{\"a\":\"\xff\"}",
    ] {
        let (status, kind, _) = error(bad).expect("an error");
        assert_eq!(
            (status, kind.as_str()),
            (400, "document_parsing_exception"),
            "{bad:?}"
        );
    }
    let (_, _, reason) = error(br#"{"@timestamp": "yesterday"}"#).expect("an error");
    assert!(
        reason.contains("[@timestamp]") && reason.contains("\"yesterday\""),
        "{reason}"
    );
    for far in [
        &br#"{"@timestamp": 1e16}"#[..],
        br#"{"@timestamp": "9999-01-01T00:00:00Z"}"#,
    ] {
        let (status, _, reason) = error(far).expect("an error");
        assert!(status == 400 && reason.contains("[@timestamp]"), "{reason}");
    }
    let (_, _, reason) = error(br#"{"@timestamp": true}"#).expect("an error");
    assert!(reason.contains("unparseable value [true]"), "{reason}");
}
