//! The document the store's index writers take: an ES `_source` parsed once into a flat node list that
//! tantivy reads in place, instead of a `serde_json::Value` tree copied into a `TantivyDocument`.
//!
//! [`LogDocument::from_source`] keeps one string buffer per document: the `_source` bytes, followed by the
//! strings that had to be unescaped and the few strings the mapping adds (`_id`, the `_folded` marker, a
//! non-string `message` as text). Every string a node holds is a span of that buffer; a string without
//! escapes points into the `_source` copy itself, so parsing allocates nothing per field. The nodes are in
//! document order; a container's children follow it and each node records where its subtree ends, so
//! children are walked by jumping from subtree to subtree.
//!
//! The mapping is the one `schema.rs` describes, and gives exactly what converting the `serde_json::Value`
//! did: `@timestamp` (a date string or epoch millis) and `message` (strings; other values as their JSON
//! text) go to their fields; an `event.id` equal to `_id` is hidden from `attrs` and marked in `_folded`;
//! every other field goes to `attrs`, where a number is an `i64` when it fits, else a `u64`, else an `f64`,
//! and a string starting with a digit that parses as RFC 3339 is a date (tantivy's rules for JSON). Hidden
//! nodes stay in the list and are skipped when an object is walked. When a key repeats in an object, its
//! last value wins, as it did in a `serde_json::Map` (and does in the `_source` clients read back).
//!
//! `_source` is a stored text field in indices of format 4 and a stored bytes field in older ones
//! ([`Fields::source_is_text`]); tantivy copies text into its doc store in one piece, bytes one at a time.
//!
//! Here: the nodes, the mapping and [`DocumentError`]; `parse.rs`: the serde visitor building the nodes;
//! `tantivy_document.rs`: how tantivy reads them.

use serde::de::DeserializeSeed;
use tantivy::schema::Field;
use tantivy::DateTime;

use crate::doc::date::parse_date;
use crate::doc::schema::{Fields, EVENT_ID, F_MSG, F_TS};

use parse::{Builder, NodeSeed};
use tantivy_document::Children;

/// A byte range of [`LogDocument::text`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// A scalar as tantivy sees it.
#[derive(Clone, Copy, Debug)]
enum Leaf {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Span),
    /// A string that parses as RFC 3339; the span keeps its text for the fields that want a string.
    Date(DateTime, Span),
    /// `_source` in an index whose `_source` field is a bytes field.
    Bytes(Span),
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Leaf(Leaf),
    Array,
    Object,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    /// The key of this node in its parent object (empty elsewhere).
    key: Span,
    kind: Kind,
    /// Index of the first node after this node's subtree.
    end: u32,
    /// Left out when its parent object is walked.
    hidden: bool,
}

/// An ES document ready for tantivy (see the module documentation).
#[derive(Debug)]
pub struct LogDocument {
    text: String,
    nodes: Vec<Node>,
    /// The document's top-level (field, node) pairs.
    entries: Vec<(Field, u32)>,
}

mod parse;
mod tantivy_document;
#[cfg(test)]
mod tests;

/// Why a `_source` cannot be indexed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The source is larger than a document may be.
    #[error("[1:1] failed to parse: document too large")]
    TooLarge,
    /// The source is not JSON.
    #[error("[1:1] failed to parse: {0}")]
    Json(#[source] serde_json::Error),
    /// The source is JSON but not an object.
    #[error("[1:1] failed to parse: document is not a JSON object")]
    NotAnObject,
    /// The source is not UTF-8.
    #[error("[1:1] failed to parse: {0}")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// `@timestamp` holds something that is not a date (its JSON text).
    #[error(
        "[1:15] failed to parse field [@timestamp] of type [date]: unparseable value [{value}]"
    )]
    Timestamp { value: String },
    /// A document for a data stream without `@timestamp` (or with `null`); `column` is where ES's parser
    /// stood when it found out: the end of the document line.
    #[error("[1:{column}] failed to parse: data stream timestamp field [@timestamp] is missing")]
    TimestampMissing { column: usize },
}

impl LogDocument {
    /// Whether the document has a `@timestamp` (not `null`): a data stream refuses it without.
    pub fn has_timestamp(&self, fields: &Fields) -> bool {
        self.entries.iter().any(|(f, _)| *f == fields.ts)
    }

    /// Parses `source` (a JSON object) into the document with `_id` `id`, mapped as `schema.rs` says.
    pub fn from_source(
        fields: &Fields,
        id: &str,
        source: &[u8],
    ) -> Result<LogDocument, DocumentError> {
        if source.len() > u32::MAX as usize / 2 {
            return Err(DocumentError::TooLarge);
        }
        let mut builder = Builder {
            source,
            extra: String::new(),
            nodes: Vec::with_capacity(32),
        };
        let mut de = serde_json::Deserializer::from_slice(source);
        NodeSeed {
            builder: &mut builder,
            key: Span::default(),
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(DocumentError::Json)?;
        if !matches!(builder.nodes.first().map(|n| n.kind), Some(Kind::Object)) {
            return Err(DocumentError::NotAnObject);
        }
        // A document that parsed is UTF-8 throughout (JSON outside strings is ASCII).
        let source_text = std::str::from_utf8(source).map_err(DocumentError::NotUtf8)?;
        let Builder { extra, nodes, .. } = builder;
        let mut text = String::with_capacity(source.len() + extra.len() + id.len() + 16);
        text.push_str(source_text);
        text.push_str(&extra);
        let mut doc = LogDocument {
            text,
            nodes,
            entries: Vec::with_capacity(8),
        };
        let id_span = doc.push_text(id);
        let at = push_leaf(&mut doc.nodes, Leaf::Str(id_span));
        doc.entries.push((fields.id, at));
        doc.map_top_level(fields, id)?;
        let source_span = Span {
            start: 0,
            len: source.len() as u32,
        };
        let source_leaf = if fields.source_is_text {
            Leaf::Str(source_span)
        } else {
            Leaf::Bytes(source_span)
        };
        let at = push_leaf(&mut doc.nodes, source_leaf);
        doc.entries.push((fields.source, at));
        Ok(doc)
    }

    /// Gives the document its `_seq_no` and `_version` (in an index with their columns; call once, under
    /// the writer lock, where they are assigned).
    pub fn set_versions(&mut self, fields: &Fields, seq_no: u64, version: u64) {
        if let Some(v) = fields.versions {
            let at = push_leaf(&mut self.nodes, Leaf::U64(seq_no));
            self.entries.push((v.seq_no, at));
            let at = push_leaf(&mut self.nodes, Leaf::U64(version));
            self.entries.push((v.version, at));
        }
    }

    /// A document with a string in the date field `@timestamp`: in an index whose `@timestamp` has a term
    /// index (older formats), tantivy refuses it and its indexing thread stops, as on a failing disk. For
    /// tests of the store's recovery.
    #[cfg(test)]
    pub fn refused_by_tantivy(fields: &Fields) -> LogDocument {
        let mut doc = LogDocument {
            text: String::new(),
            nodes: Vec::new(),
            entries: Vec::new(),
        };
        let span = doc.push_text("not a date");
        let at = push_leaf(&mut doc.nodes, Leaf::Str(span));
        doc.entries.push((fields.ts, at));
        doc
    }

    fn push_text(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    fn str_at(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    /// The string of a `Str` or `Date` leaf.
    fn string_of(&self, node: &Node) -> Option<Span> {
        match node.kind {
            Kind::Leaf(Leaf::Str(span) | Leaf::Date(_, span)) => Some(span),
            _ => None,
        }
    }

    /// Indices of the visible children of node `at`.
    fn children(&self, at: u32) -> Children<'_> {
        Children::of(&self.nodes, at)
    }

    /// The last visible child of object `at` named `key`.
    fn last_child(&self, at: u32, key: &str) -> Option<u32> {
        self.children(at)
            .filter(|&c| self.str_at(self.nodes[c as usize].key) == key)
            .last()
    }

    fn hide(&mut self, at: u32) {
        if let Some(node) = self.nodes.get_mut(at as usize) {
            node.hidden = true;
        }
    }

    /// Sends `@timestamp`, `message` and `event.id` to their fields and the rest of the root object to `attrs`.
    fn map_top_level(&mut self, fields: &Fields, id: &str) -> Result<(), DocumentError> {
        // One walk over the root's members (a repeated key is already down to its last value).
        let root = 0;
        let (mut ts, mut msg, mut dotted_event_id, mut event) = (None, None, None, None);
        for at in self.children(root) {
            match self.str_at(self.nodes[at as usize].key) {
                F_TS => ts = Some(at),
                F_MSG => msg = Some(at),
                EVENT_ID => dotted_event_id = Some(at),
                "event" => event = Some(at),
                _ => {}
            }
        }
        // `@timestamp` and `message` have fields of their own, not in `attrs`.
        ts.into_iter().chain(msg).for_each(|at| self.hide(at));
        if let Some(ts) = ts {
            if let Some(ms) = self.timestamp_millis(ts)? {
                let at = push_leaf(
                    &mut self.nodes,
                    Leaf::Date(DateTime::from_timestamp_millis(ms), Span::default()),
                );
                self.entries.push((fields.ts, at));
            }
        }
        if let Some(msg) = msg {
            self.map_message(fields, msg);
        }
        self.map_event_id(fields, id, dotted_event_id, event);
        if self.children(root).next().is_some() {
            self.entries.push((fields.attrs, root));
        }
        Ok(())
    }

    /// `@timestamp` as epoch millis (`None` for null), or the ES error for a value that is not a date.
    fn timestamp_millis(&self, at: u32) -> Result<Option<i64>, DocumentError> {
        let node = &self.nodes[at as usize];
        let value = match node.kind {
            Kind::Leaf(Leaf::Null) => return Ok(None),
            Kind::Leaf(Leaf::I64(v)) => Some(v),
            Kind::Leaf(Leaf::U64(v)) => Some(v as f64 as i64),
            Kind::Leaf(Leaf::F64(v)) => Some(v as i64),
            _ => self
                .string_of(node)
                .and_then(|span| parse_date(self.str_at(span))),
        };
        // tantivy keeps nanoseconds in an i64: about ±292 years around 1970.
        let value = value.filter(|ms| ms.checked_mul(1_000_000).is_some());
        value.map(Some).ok_or_else(|| DocumentError::Timestamp {
            value: self.to_json(at).to_string(),
        })
    }

    /// `message`: strings as they are; anything else, and each element of an array, as text.
    fn map_message(&mut self, fields: &Fields, at: u32) {
        let node = self.nodes[at as usize];
        let items: Vec<u32> = match node.kind {
            Kind::Leaf(Leaf::Null) => Vec::new(),
            Kind::Array => self.children(at).collect(),
            _ => vec![at],
        };
        for item in items {
            let item_node = self.nodes[item as usize];
            let span = match self.string_of(&item_node) {
                Some(span) => span,
                None => {
                    let json = self.to_json(item).to_string();
                    self.push_text(&json)
                }
            };
            let leaf = push_leaf(&mut self.nodes, Leaf::Str(span));
            self.entries.push((fields.message, leaf));
        }
    }

    /// The string `event.id` (the last dotted `"event.id"` key, `dotted`, first, else `id` inside the last
    /// `"event"`, `event`) goes to its column; when it equals `id` it is hidden from `attrs` (with `event` if
    /// nothing else is left in it) and the document is marked in `_folded`.
    fn map_event_id(&mut self, fields: &Fields, id: &str, dotted: Option<u32>, event: Option<u32>) {
        let is_string = |doc: &Self, at: u32| doc.string_of(&doc.nodes[at as usize]).is_some();
        let (at, parent) = match dotted.filter(|&at| is_string(self, at)) {
            Some(at) => (at, None),
            None => {
                let Some(event) =
                    event.filter(|&e| matches!(self.nodes[e as usize].kind, Kind::Object))
                else {
                    return;
                };
                let Some(at) = self.last_child(event, "id").filter(|&c| is_string(self, c)) else {
                    return;
                };
                (at, Some(event))
            }
        };
        let Some(span) = self.string_of(&self.nodes[at as usize]) else {
            return;
        };
        let column = push_leaf(&mut self.nodes, Leaf::Str(span));
        self.entries.push((fields.event_id, column));
        if self.str_at(span) != id {
            return;
        }
        self.hide(at);
        if let Some(event) = parent {
            if self.children(event).next().is_none() {
                self.hide(event);
            }
        }
        let marker = self.push_text(EVENT_ID);
        let at = push_leaf(&mut self.nodes, Leaf::Str(marker));
        self.entries.push((fields.folded, at));
    }

    /// Node `at` as a `serde_json::Value` (for error messages and a non-string `message`).
    fn to_json(&self, at: u32) -> serde_json::Value {
        use serde_json::Value as J;
        let Some(node) = self.nodes.get(at as usize) else {
            return J::Null;
        };
        match node.kind {
            Kind::Leaf(leaf) => match leaf {
                Leaf::Null => J::Null,
                Leaf::Bool(b) => J::Bool(b),
                Leaf::I64(v) => J::from(v),
                Leaf::U64(v) => J::from(v),
                Leaf::F64(v) => J::from(v),
                Leaf::Str(span) | Leaf::Date(_, span) | Leaf::Bytes(span) => {
                    J::from(self.str_at(span))
                }
            },
            Kind::Array => J::Array(self.children(at).map(|c| self.to_json(c)).collect()),
            Kind::Object => J::Object(
                self.children(at)
                    .map(|c| {
                        (
                            self.str_at(self.nodes[c as usize].key).to_string(),
                            self.to_json(c),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// Appends a leaf outside the tree (after the root's subtree) and returns its index.
fn push_leaf(nodes: &mut Vec<Node>, leaf: Leaf) -> u32 {
    let at = nodes.len() as u32;
    nodes.push(Node {
        key: Span::default(),
        kind: Kind::Leaf(leaf),
        end: at + 1,
        hidden: false,
    });
    at
}
