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

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;
use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::schema::Field;
use tantivy::DateTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::date_math::parse_date;
use super::error::EsError;
use super::schema::{Fields, EVENT_ID, F_MSG, F_TS};

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

/// Where strings land while parsing: spans of the source, or of `extra`, placed after the source.
struct Builder<'s> {
    source: &'s [u8],
    extra: String,
    nodes: Vec<Node>,
}

impl Builder<'_> {
    /// The span of `s`: where it lies in the source if it is a slice of it, else a copy in `extra`.
    fn span_of(&mut self, s: &str) -> Span {
        let base = self.source.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        if at >= base && at + s.len() <= base + self.source.len() {
            return Span {
                start: (at - base) as u32,
                len: s.len() as u32,
            };
        }
        self.push_extra(s)
    }

    fn push_extra(&mut self, s: &str) -> Span {
        let start = (self.source.len() + self.extra.len()) as u32;
        self.extra.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    fn push(&mut self, key: Span, kind: Kind) -> usize {
        let at = self.nodes.len();
        self.nodes.push(Node {
            key,
            kind,
            end: at as u32 + 1,
            hidden: false,
        });
        at
    }

    fn leaf(&mut self, key: Span, leaf: Leaf) {
        self.push(key, Kind::Leaf(leaf));
    }

    /// The bytes of a key's span (in the source, or in `extra` past it).
    fn key_bytes(&self, span: Span) -> &[u8] {
        let (start, len) = (span.start as usize, span.len as usize);
        let (bytes, start) = match start.checked_sub(self.source.len()) {
            Some(in_extra) => (self.extra.as_bytes(), in_extra),
            None => (self.source, start),
        };
        bytes.get(start..start + len).unwrap_or_default()
    }

    /// A key that repeats in the object at `at` keeps its last value, as in a `serde_json::Map` (and in
    /// the `_source` a client reads back): the earlier members with that key are hidden.
    fn hide_repeated_keys(&mut self, at: usize) {
        // Inline for the usual few members: this runs for most objects of every document.
        let mut members: SmallVec<[u32; 16]> = Children::of(&self.nodes, at as u32).collect();
        // By key, then by position: of each run of equal keys, all but the last are hidden.
        members.sort_by(|&a, &b| {
            let key = |n: u32| self.key_bytes(self.nodes[n as usize].key);
            key(a).cmp(key(b)).then(a.cmp(&b))
        });
        for pair in members.windows(2) {
            let key = |n: u32| self.key_bytes(self.nodes[n as usize].key);
            if key(pair[0]) == key(pair[1]) {
                self.nodes[pair[0] as usize].hidden = true;
            }
        }
    }

    /// Closes the container at `at`: its subtree ends here.
    fn close(&mut self, at: usize) {
        let end = self.nodes.len() as u32;
        if let Some(node) = self.nodes.get_mut(at) {
            node.end = end;
        }
    }
}

/// Parses one JSON value into the builder, as the child `key` of the enclosing object.
struct NodeSeed<'b, 's> {
    builder: &'b mut Builder<'s>,
    key: Span,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_> {
    fn string(self, s: &str) {
        let span = self.builder.span_of(s);
        let leaf = match rfc3339_date(s) {
            Some(date) => Leaf::Date(date, span),
            None => Leaf::Str(span),
        };
        self.builder.leaf(self.key, leaf);
    }
}

/// tantivy's reading of a JSON string: a date if it starts with a digit and parses as RFC 3339.
fn rfc3339_date(s: &str) -> Option<DateTime> {
    if !s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    Some(DateTime::from_utc(dt.to_offset(time::UtcOffset::UTC)))
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.builder.leaf(self.key, Leaf::Null);
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.builder.leaf(self.key, Leaf::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.builder.leaf(self.key, Leaf::I64(v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let leaf = i64::try_from(v).map_or(Leaf::U64(v), Leaf::I64);
        self.builder.leaf(self.key, leaf);
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.builder.leaf(self.key, Leaf::F64(v));
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.string(v);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.string(v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.builder.push(self.key, Kind::Array);
        while seq
            .next_element_seed(NodeSeed {
                builder: &mut *self.builder,
                key: Span::default(),
            })?
            .is_some()
        {}
        self.builder.close(at);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.builder.push(self.key, Kind::Object);
        let mut members = 0;
        while let Some(key) = map.next_key_seed(KeySeed {
            builder: &mut *self.builder,
        })? {
            map.next_value_seed(NodeSeed {
                builder: &mut *self.builder,
                key,
            })?;
            members += 1;
        }
        self.builder.close(at);
        if members > 1 {
            self.builder.hide_repeated_keys(at);
        }
        Ok(())
    }
}

/// Parses an object key into a span.
struct KeySeed<'b, 's> {
    builder: &'b mut Builder<'s>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Span;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Span, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Span;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Span, E> {
        Ok(self.builder.span_of(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Span, E> {
        Ok(self.builder.span_of(v))
    }
}

fn parse_error(reason: impl fmt::Display) -> EsError {
    EsError::new(
        400,
        "document_parsing_exception",
        format!("[1:1] failed to parse: {reason}"),
    )
}

impl LogDocument {
    /// Parses `source` (a JSON object) into the document with `_id` `id`, mapped as `schema.rs` says.
    pub fn from_source(fields: &Fields, id: &str, source: &[u8]) -> Result<LogDocument, EsError> {
        if source.len() > u32::MAX as usize / 2 {
            return Err(parse_error("document too large"));
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
        .map_err(parse_error)?;
        if !matches!(builder.nodes.first().map(|n| n.kind), Some(Kind::Object)) {
            return Err(parse_error("document is not a JSON object"));
        }
        // A document that parsed is UTF-8 throughout (JSON outside strings is ASCII).
        let source_text = std::str::from_utf8(source).map_err(parse_error)?;
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
    fn map_top_level(&mut self, fields: &Fields, id: &str) -> Result<(), EsError> {
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
    fn timestamp_millis(&self, at: u32) -> Result<Option<i64>, EsError> {
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
        value.map(Some).ok_or_else(|| {
            EsError::new(
                400,
                "document_parsing_exception",
                format!(
                    "[1:15] failed to parse field [@timestamp] of type [date]: unparseable value [{}]",
                    self.to_json(at)
                ),
            )
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

/// The visible children of a node, by index.
#[derive(Clone, Debug)]
pub struct Children<'a> {
    nodes: &'a [Node],
    next: u32,
    end: u32,
}

impl<'a> Children<'a> {
    /// The visible children of node `at` of `nodes`.
    fn of(nodes: &'a [Node], at: u32) -> Children<'a> {
        let end = nodes.get(at as usize).map_or(at, |n| n.end);
        Children {
            nodes,
            next: at + 1,
            end,
        }
    }
}

impl Iterator for Children<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while self.next < self.end {
            let at = self.next;
            let node = self.nodes.get(at as usize)?;
            self.next = node.end.max(at + 1);
            if !node.hidden {
                return Some(at);
            }
        }
        None
    }
}

/// A node of a [`LogDocument`], as tantivy reads it.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    doc: &'a LogDocument,
    at: u32,
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.doc.to_json(self.at))
    }
}

/// The elements of an array node.
pub struct ArrayIter<'a> {
    doc: &'a LogDocument,
    children: Children<'a>,
}

impl<'a> Iterator for ArrayIter<'a> {
    type Item = NodeRef<'a>;

    fn next(&mut self) -> Option<NodeRef<'a>> {
        let at = self.children.next()?;
        Some(NodeRef { doc: self.doc, at })
    }
}

/// The (key, value) pairs of an object node.
pub struct ObjectIter<'a> {
    doc: &'a LogDocument,
    children: Children<'a>,
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = (&'a str, NodeRef<'a>);

    fn next(&mut self) -> Option<(&'a str, NodeRef<'a>)> {
        let at = self.children.next()?;
        let key = self.doc.str_at(self.doc.nodes[at as usize].key);
        Some((key, NodeRef { doc: self.doc, at }))
    }
}

impl<'a> Value<'a> for NodeRef<'a> {
    type ArrayIter = ArrayIter<'a>;
    type ObjectIter = ObjectIter<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        let doc = self.doc;
        let Some(node) = doc.nodes.get(self.at as usize) else {
            return ReferenceValue::Leaf(ReferenceValueLeaf::Null);
        };
        match node.kind {
            Kind::Leaf(leaf) => ReferenceValue::Leaf(match leaf {
                Leaf::Null => ReferenceValueLeaf::Null,
                Leaf::Bool(b) => ReferenceValueLeaf::Bool(b),
                Leaf::I64(v) => ReferenceValueLeaf::I64(v),
                Leaf::U64(v) => ReferenceValueLeaf::U64(v),
                Leaf::F64(v) => ReferenceValueLeaf::F64(v),
                Leaf::Str(span) => ReferenceValueLeaf::Str(doc.str_at(span)),
                Leaf::Date(date, _) => ReferenceValueLeaf::Date(date),
                Leaf::Bytes(span) => ReferenceValueLeaf::Bytes(doc.str_at(span).as_bytes()),
            }),
            Kind::Array => ReferenceValue::Array(ArrayIter {
                doc,
                children: doc.children(self.at),
            }),
            Kind::Object => ReferenceValue::Object(ObjectIter {
                doc,
                children: doc.children(self.at),
            }),
        }
    }
}

/// The document's top-level fields and values.
pub struct FieldValues<'a> {
    doc: &'a LogDocument,
    entries: std::slice::Iter<'a, (Field, u32)>,
}

impl<'a> Iterator for FieldValues<'a> {
    type Item = (Field, NodeRef<'a>);

    fn next(&mut self) -> Option<(Field, NodeRef<'a>)> {
        let &(field, at) = self.entries.next()?;
        Some((field, NodeRef { doc: self.doc, at }))
    }
}

impl Document for LogDocument {
    type Value<'a> = NodeRef<'a>;
    type FieldsValuesIter<'a> = FieldValues<'a>;

    fn iter_fields_and_values(&self) -> FieldValues<'_> {
        FieldValues {
            doc: self,
            entries: self.entries.iter(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value as J};
    use tantivy::schema::{OwnedValue, Schema};
    use tantivy::TantivyDocument;

    use super::*;
    use crate::store::schema::build_schema;

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
            if entry.name() == crate::store::schema::F_SOURCE {
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
        let error = |source: &[u8]| {
            LogDocument::from_source(&fields, "x", source)
                .err()
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
}
