//! The mapping: the fields every index has, and how ES field names map to tantivy fields (the conversion of
//! a document is `log_document.rs`).
//!
//! Every index has the same fixed schema:
//! - `_id`: raw keyword, indexed and stored (the ES document id; replace = delete-by-term + add);
//! - `@timestamp`: date, millisecond precision, fast only: range queries, sorting and histograms read the
//!   column, and a single value is the range from it to itself. Log timestamps are nearly unique per
//!   document, so a term index on them cost a tenth of indexing CPU and served no query the column does not
//!   (indices written before this still have one; nothing reads it);
//! - `message`: full text with positions (match, match_phrase, highlighting);
//! - `attrs`: a JSON field holding every other field of the document, raw-tokenized (keyword semantics;
//!   `match` finds words in it at query time, `query/text_attr.rs`) and fast, with dots expanded so that `{"host":{"name":"h1"}}` and `{"host.name":"h1"}` index identically;
//!   numbers stay numbers;
//! - `_source`: the original JSON text, stored only, returned verbatim (a bytes field in indices written
//!   before format 4);
//! - `event_id`: the string `event.id`, fast only (sorting, aggregations, `exists`);
//! - `_folded`: raw keyword, indexed only: the term `event.id` on documents whose `event.id` is their `_id`;
//! - `_seq_no`, `_version`: u64, fast only: the document's ES sequence number and version, set under the
//!   writer lock when it is written (`index/versions.rs`). Indices created before them lack both
//!   ([`Fields::versions`] is `None`): their documents report `_version` 1 and `_seq_no` 0 once committed.
//!
//! An `event.id` equal to `_id` (every event logpipe ships) is not indexed again in `attrs`: a unique term
//! per document costs about as much to index and merge as the rest of the document, and `_id` already has
//! it. Term, range and query-string searches on `event.id` look in `attrs` and in `_id` of the documents marked
//! in `_folded` ([`FieldRef::EventId`]);
//! sorting and aggregating read the `event_id` column.
//!
//! ES field `x.y` (other than the three above) is tantivy path `attrs.x.y`; a trailing `.keyword` is dropped
//! so that queries written for dynamic ES mappings still work.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, FieldType, IndexRecordOption, JsonObjectOptions, Schema,
    TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};

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
/// Tantivy fast field holding the document's `_seq_no`.
pub const F_SEQ_NO: &str = "_seq_no";
/// Tantivy fast field holding the document's `_version`.
pub const F_VERSION: &str = "_version";
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
    /// Whether `_source` is a text field (format 4) rather than a bytes field (older indices).
    pub source_is_text: bool,
    /// `event.id` column.
    pub event_id: Field,
    /// Marks documents whose `event.id` is their `_id`.
    pub folded: Field,
    /// `_seq_no` and `_version` columns (`None` in indices created without them).
    pub versions: Option<VersionFields>,
}

/// The columns of a document's `_seq_no` and `_version`.
#[derive(Clone, Copy, Debug)]
pub struct VersionFields {
    /// `_seq_no`.
    pub seq_no: Field,
    /// `_version`.
    pub version: Field,
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
    b.add_text_field(F_SOURCE, STORED);
    b.add_text_field(F_EVENT_ID, TextOptions::default().set_fast(Some("raw")));
    b.add_text_field(F_FOLDED, STRING);
    b.add_u64_field(F_SEQ_NO, FAST);
    b.add_u64_field(F_VERSION, FAST);
    b.build()
}

impl Fields {
    /// Looks the fields up in `schema`.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let source = schema.get_field(F_SOURCE)?;
        Ok(Fields {
            id: schema.get_field(F_ID)?,
            ts: schema.get_field(F_TS)?,
            message: schema.get_field(F_MSG)?,
            attrs: schema.get_field(F_ATTRS)?,
            source,
            source_is_text: matches!(
                schema.get_field_entry(source).field_type(),
                FieldType::Str(_)
            ),
            event_id: schema.get_field(F_EVENT_ID)?,
            folded: schema.get_field(F_FOLDED)?,
            versions: match (schema.get_field(F_SEQ_NO), schema.get_field(F_VERSION)) {
                (Ok(seq_no), Ok(version)) => Some(VersionFields { seq_no, version }),
                _ => None,
            },
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
}
