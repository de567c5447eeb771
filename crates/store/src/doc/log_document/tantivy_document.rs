//! How tantivy reads a [`LogDocument`]: its top-level fields ([`FieldValues`]) and each node as a
//! tantivy document value ([`NodeRef`]), children walked by jumping from subtree to subtree.

use std::fmt;

use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::schema::Field;

use super::{Kind, Leaf, LogDocument, Node};

/// The visible children of a node, by index.
#[derive(Clone, Debug)]
pub struct Children<'a> {
    nodes: &'a [Node],
    next: u32,
    end: u32,
}

impl<'a> Children<'a> {
    /// The visible children of node `at` of `nodes`.
    pub(super) fn of(nodes: &'a [Node], at: u32) -> Children<'a> {
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
