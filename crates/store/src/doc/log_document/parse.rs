//! Parsing a `_source` into the node list of a [`LogDocument`]: a serde visitor that records each value as
//! a node and each string as a span of the source (or of the unescaped extras placed after it).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;
use tantivy::DateTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::tantivy_document::Children;
use super::{Kind, Leaf, Node, Span};

/// Where strings land while parsing: spans of the source, or of `extra`, placed after the source.
pub(super) struct Builder<'s> {
    pub(super) source: &'s [u8],
    pub(super) extra: String,
    pub(super) nodes: Vec<Node>,
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
pub(super) struct NodeSeed<'b, 's> {
    pub(super) builder: &'b mut Builder<'s>,
    pub(super) key: Span,
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
pub(super) struct KeySeed<'b, 's> {
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
