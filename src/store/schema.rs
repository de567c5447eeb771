//! The mapping: how an ES document becomes a tantivy document, and how ES field names map to tantivy fields.
//!
//! Every index has the same fixed schema:
//! - `_id`: raw keyword, indexed and stored (the ES document id; replace = delete-by-term + add);
//! - `@timestamp`: date, millisecond precision, fast only: range queries, sorting and histograms read the
//!   column, and a single value is the range from it to itself. Log timestamps are nearly unique per
//!   document, so a term index on them cost a tenth of indexing CPU and served no query the column does not
//!   (indices written before this still have one; nothing reads it);
//! - `message`: full text with positions (match, match_phrase, highlighting);
//! - `attrs`: a JSON field holding every other field of the document, raw-tokenized (keyword semantics) and
//!   fast, with dots expanded so that `{"host":{"name":"h1"}}` and `{"host.name":"h1"}` index identically;
//!   numbers stay numbers;
//! - `_source`: the original JSON bytes, stored only, returned verbatim;
//! - `event_id`: the string `event.id`, fast only (sorting, aggregations, `exists`);
//! - `_folded`: raw keyword, indexed only: the term `event.id` on documents whose `event.id` is their `_id`.
//!
//! An `event.id` equal to `_id` (every event logpipe ships) is not indexed again in `attrs`: a unique term
//! per document costs about as much to index and merge as the rest of the document, and `_id` already has
//! it. Term, range and query-string searches on `event.id` look in `attrs` and in `_id` of the documents marked
//! in `_folded` ([`FieldRef::EventId`]);
//! sorting and aggregating read the `event_id` column.
//!
//! ES field `x.y` (other than the three above) is tantivy path `attrs.x.y`; a trailing `.keyword` is dropped
//! so that queries written for dynamic ES mappings still work.

use serde_json::{Map, Value};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions, Schema,
    TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::{DateTime, TantivyDocument};

use super::date_math::parse_json_date;
use super::error::EsError;

/// Tantivy field holding the ES `_id`.
pub const F_ID: &str = "_id";
/// Tantivy field holding `@timestamp`.
pub const F_TS: &str = "@timestamp";
/// Tantivy field holding `message`.
pub const F_MSG: &str = "message";
/// Tantivy JSON field holding all other fields.
pub const F_ATTRS: &str = "attrs";
/// Tantivy field holding the stored `_source`.
pub const F_SOURCE: &str = "_source";
/// Tantivy fast field holding the string `event.id`.
pub const F_EVENT_ID: &str = "event_id";
/// Tantivy field marking documents whose `event.id` is only indexed as `_id`.
pub const F_FOLDED: &str = "_folded";
/// The ES field not indexed again when equal to `_id` (also the term marking it in `_folded`).
pub const EVENT_ID: &str = "event.id";

/// Handles of the schema's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// `_id`.
    pub id: Field,
    /// `@timestamp`.
    pub ts: Field,
    /// `message`.
    pub message: Field,
    /// JSON catch-all.
    pub attrs: Field,
    /// Stored source.
    pub source: Field,
    /// `event.id` column.
    pub event_id: Field,
    /// Marks documents whose `event.id` is their `_id`.
    pub folded: Field,
}

/// Builds the schema every index uses.
pub fn build_schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field(F_ID, STRING | STORED);
    b.add_date_field(
        F_TS,
        DateOptions::default()
            .set_fast()
            .set_precision(DateTimePrecision::Milliseconds),
    );
    b.add_text_field(
        F_MSG,
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        ),
    );
    b.add_json_field(
        F_ATTRS,
        JsonObjectOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_fast(Some("raw"))
            .set_expand_dots_enabled(),
    );
    b.add_bytes_field(F_SOURCE, STORED);
    b.add_text_field(F_EVENT_ID, TextOptions::default().set_fast(Some("raw")));
    b.add_text_field(F_FOLDED, STRING);
    b.build()
}

impl Fields {
    /// Looks the fields up in `schema`.
    pub fn from_schema(schema: &Schema) -> anyhow::Result<Fields> {
        Ok(Fields {
            id: schema.get_field(F_ID)?,
            ts: schema.get_field(F_TS)?,
            message: schema.get_field(F_MSG)?,
            attrs: schema.get_field(F_ATTRS)?,
            source: schema.get_field(F_SOURCE)?,
            event_id: schema.get_field(F_EVENT_ID)?,
            folded: schema.get_field(F_FOLDED)?,
        })
    }
}

/// What an ES field name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// `_id`.
    Id,
    /// `@timestamp`.
    Timestamp,
    /// `message`.
    Message,
    /// `event.id`: in `_id` where equal to it, else in `attrs`.
    EventId,
    /// A path inside the JSON field (without the `attrs.` prefix).
    Attr(String),
}

/// Resolves an ES field name.
pub fn resolve_field(name: &str) -> FieldRef {
    let name = name.strip_suffix(".keyword").unwrap_or(name);
    match name {
        F_ID => FieldRef::Id,
        F_TS => FieldRef::Timestamp,
        F_MSG => FieldRef::Message,
        EVENT_ID => FieldRef::EventId,
        other => FieldRef::Attr(other.to_string()),
    }
}

/// The tantivy (fast-field / query-parser) name of an ES field: `@timestamp`, `message`, `_id`, `attrs.x.y`.
/// For `event.id` that is its column.
pub fn tantivy_name(name: &str) -> String {
    match resolve_field(name) {
        FieldRef::Id => F_ID.to_string(),
        FieldRef::Timestamp => F_TS.to_string(),
        FieldRef::Message => F_MSG.to_string(),
        FieldRef::EventId => F_EVENT_ID.to_string(),
        FieldRef::Attr(path) => format!("{F_ATTRS}.{path}"),
    }
}

/// The string `event.id` of `obj` (nested `{"event":{"id":..}}` or dotted `"event.id"`) and whether it was
/// removed from `obj` for being equal to `id`.
fn take_event_id(obj: &mut Map<String, Value>, id: &str) -> Option<(String, bool)> {
    if let Some(v) = obj.get(EVENT_ID).and_then(Value::as_str) {
        let v = v.to_string();
        let folded = v == id;
        if folded {
            obj.remove(EVENT_ID);
        }
        return Some((v, folded));
    }
    let Some(Value::Object(event)) = obj.get_mut("event") else {
        return None;
    };
    let v = event.get("id").and_then(Value::as_str)?.to_string();
    let folded = v == id;
    if folded {
        event.remove("id");
        if event.is_empty() {
            obj.remove("event");
        }
    }
    Some((v, folded))
}

/// Converts a parsed ES document into a tantivy document. `source` is the exact bytes to store.
pub fn to_document(
    fields: &Fields,
    id: &str,
    source: &[u8],
    mut obj: Map<String, Value>,
) -> Result<TantivyDocument, EsError> {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, id);
    if let Some(ts) = obj.remove(F_TS) {
        if !ts.is_null() {
            let ms = parse_json_date(&ts).ok_or_else(|| {
                EsError::new(
                    400,
                    "document_parsing_exception",
                    format!("[1:15] failed to parse field [@timestamp] of type [date]: unparseable value [{ts}]"),
                )
            })?;
            doc.add_date(fields.ts, DateTime::from_timestamp_millis(ms));
        }
    }
    match obj.remove(F_MSG) {
        Some(Value::String(msg)) => doc.add_text(fields.message, msg),
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => doc.add_text(fields.message, s),
                    other => doc.add_text(fields.message, other.to_string()),
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => doc.add_text(fields.message, other.to_string()),
    }
    if let Some((event_id, folded)) = take_event_id(&mut obj, id) {
        doc.add_text(fields.event_id, event_id);
        if folded {
            doc.add_text(fields.folded, EVENT_ID);
        }
    }
    if !obj.is_empty() {
        // Straight from the serde tree (tantivy reads `serde_json::Value` with the same number and RFC 3339
        // date rules as its `OwnedValue::from`), without building a second tree.
        doc.add_field_value(fields.attrs, &Value::Object(obj));
    }
    doc.add_bytes(fields.source, source);
    Ok(doc)
}

/// Parses `source` (a JSON object) and converts it with [`to_document`].
pub fn source_to_document(
    fields: &Fields,
    id: &str,
    source: &[u8],
) -> Result<TantivyDocument, EsError> {
    let obj = match serde_json::from_slice::<Value>(source) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(EsError::new(
                400,
                "document_parsing_exception",
                "[1:1] failed to parse: document is not a JSON object",
            ))
        }
        Err(e) => {
            return Err(EsError::new(
                400,
                "document_parsing_exception",
                format!("[1:1] failed to parse: {e}"),
            ))
        }
    };
    to_document(fields, id, source, obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        assert_eq!(tantivy_name("host.name"), "attrs.host.name");
        assert_eq!(tantivy_name("host.name.keyword"), "attrs.host.name");
        assert_eq!(tantivy_name("@timestamp"), "@timestamp");
        assert_eq!(resolve_field("_id"), FieldRef::Id);
        assert_eq!(resolve_field("event.id"), FieldRef::EventId);
        assert_eq!(tantivy_name("event.id"), "event_id");
    }

    #[test]
    fn event_id_equal_to_id_is_not_indexed_twice() {
        let take = |doc: Value, id: &str| {
            let Value::Object(mut obj) = doc else {
                return (None, Value::Null);
            };
            let v = take_event_id(&mut obj, id);
            (v, Value::Object(obj))
        };
        let x = Some(("x".to_string(), true));
        let (v, rest) = take(serde_json::json!({"event": {"id": "x"}, "a": 1}), "x");
        assert_eq!((v, rest), (x.clone(), serde_json::json!({"a": 1})));
        let (v, rest) = take(serde_json::json!({"event": {"id": "x", "kind": "k"}}), "x");
        assert_eq!(
            (v, rest),
            (x.clone(), serde_json::json!({"event": {"kind": "k"}}))
        );
        let (v, rest) = take(serde_json::json!({"event.id": "x"}), "x");
        assert_eq!((v, rest), (x, serde_json::json!({})));
        let (v, rest) = take(serde_json::json!({"event": {"id": "y"}}), "x");
        assert_eq!(
            (v, rest),
            (
                Some(("y".into(), false)),
                serde_json::json!({"event": {"id": "y"}})
            )
        );
        let (v, _) = take(serde_json::json!({"event": {"id": 7}}), "7");
        assert_eq!(v, None);
    }
}
