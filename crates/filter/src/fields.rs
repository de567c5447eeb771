//! The objects an event is made of: its root, `Fields` (a small map kept in insertion order), and the
//! objects nested in it (`serde_json::Map`). Field references, conditions, sprintf and the filters read and
//! write both through the `Object` trait.
//!
//! Why the root is not a `serde_json::Map` (a B-tree): filters mostly add top-level keys to a root of ten or
//! twenty, and a B-tree pays for each with a search of `memcmp` calls, element shifts and node splits. A
//! vector compares lengths first and appends. Measured with `benches/filters.rs` (thread CPU time, one core,
//! same machine and load): dissecting an nginx line into ten top-level fields went from 0.82 to 1.21 M
//! events/s, the json filter on a 300-byte line from 0.61 to 0.85 M/s, conditions from 4.1 to 5.5 M/s.
//! Nested objects are few keys each and stay `serde_json::Map`s, so any JSON value still fits anywhere. An
//! event's JSON now lists its keys in the order they were set (the agent's: `@timestamp`, `message`, …).

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// What the root and the nested objects of an event have in common.
pub trait Object {
    fn get(&self, key: &str) -> Option<&Value>;
    fn get_mut(&mut self, key: &str) -> Option<&mut Value>;
    /// Sets `key`, returning what was there.
    fn insert(&mut self, key: String, value: Value) -> Option<Value>;
    fn remove(&mut self, key: &str) -> Option<Value>;
    /// Every key and its value.
    fn entries(&self) -> impl Iterator<Item = (&str, &Value)>;

    fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl Object for Map<String, Value> {
    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        Map::get_mut(self, key)
    }
    fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        Map::insert(self, key, value)
    }
    fn remove(&mut self, key: &str) -> Option<Value> {
        Map::remove(self, key)
    }
    fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// The root object of an event: keys in the order they were first set, each once.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    entries: Vec<(String, Value)>,
}

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    pub fn with_capacity(capacity: usize) -> Fields {
        Fields {
            entries: Vec::with_capacity(capacity),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        // Lengths first: most keys differ in length, and comparing two integers is cheaper than a call to
        // compare bytes.
        self.entries
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The same object as a `serde_json::Map`.
    pub fn to_map(&self) -> Map<String, Value> {
        self.entries.iter().cloned().collect()
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.entries.into_iter().collect()
    }
}

impl Object for Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }
    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }
    fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }
    fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }
    fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(map: Map<String, Value>) -> Fields {
        // A map's keys are unique already.
        Fields {
            entries: map.into_iter().collect(),
        }
    }
}

impl FromIterator<(String, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(items: I) -> Fields {
        let mut fields = Fields::new();
        for (key, value) in items {
            fields.insert(key, value);
        }
        fields
    }
}

/// Two roots are equal when they hold the same keys with equal values, in whatever order.
impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .all(|(k, v)| Object::get(other, k) == Some(v))
    }
}

/// `fields["key"]` is the value, or `null` when the key is absent (as `serde_json::Value` indexes).
impl std::ops::Index<&str> for Fields {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        Object::get(self, key).unwrap_or(&NULL)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fields, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Fields, A::Error> {
                let mut fields = Fields::with_capacity(access.size_hint().unwrap_or(8));
                // A repeated key keeps its last value, as serde_json's Map does.
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    fields.insert(key, value);
                }
                Ok(fields)
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_small_map_in_insertion_order() {
        let mut fields = Fields::new();
        assert_eq!(Object::insert(&mut fields, "b".into(), json!(1)), None);
        Object::insert(&mut fields, "a".into(), json!(2));
        Object::insert(&mut fields, "ab".into(), json!(3));
        assert_eq!(
            Object::insert(&mut fields, "b".into(), json!(4)),
            Some(json!(1))
        );
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["b", "a", "ab"]);
        assert_eq!(fields["b"], 4);
        assert_eq!(fields["missing"], Value::Null);
        assert_eq!(
            serde_json::to_string(&fields).expect("JSON"),
            r#"{"b":4,"a":2,"ab":3}"#
        );
        assert_eq!(Object::remove(&mut fields, "a"), Some(json!(2)));
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["b", "ab"]);
        let reread: Fields = serde_json::from_str(r#"{"ab":3,"b":4,"ab":5}"#).expect("object");
        assert_eq!(reread.len(), 2);
        assert_eq!(reread["ab"], 5, "the last of a repeated key wins");
        let mut expected = Map::new();
        expected.insert("ab".into(), json!(5));
        expected.insert("b".into(), json!(4));
        assert_eq!(reread.to_map(), expected);
        assert_eq!(Fields::from(expected), reread, "equal in any order");
    }
}
