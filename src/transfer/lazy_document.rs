//! A JSON object read only as deep as it is asked: its top-level keys and the raw text of their values, a
//! value parsed into a `serde_json::Value` the first time something reads it. The decoder uses it when the
//! message goes into the `_bulk` body as it is (one line, `@timestamp`, an index target, no filters), where
//! only `@timestamp`, `event.id` and the fields an index pattern names are read: parsing every event into a
//! tree of values only to find those was most of the transfer's CPU per document (perf/RESULTS.md, issue 22).

use logpipe_filter::Object;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

/// One top-level member: its key, its value's text, and that value once parsed (or given).
struct Member<'a> {
    key: Cow<'a, str>,
    raw: Option<&'a RawValue>,
    value: OnceCell<Value>,
}

impl Member<'_> {
    fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            self.raw
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or(Value::Null)
        })
    }
}

/// A JSON object whose values are parsed on first read.
pub struct LazyDocument<'a> {
    members: Vec<Member<'a>>,
}

impl<'a> LazyDocument<'a> {
    /// The top level of `json`, which must be one JSON object (its values are checked to be valid JSON,
    /// not parsed). `None` for anything else.
    pub fn parse(json: &'a [u8]) -> Option<LazyDocument<'a>> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let members = de.deserialize_map(MembersVisitor).ok()?;
        de.end().ok()?;
        Some(LazyDocument { members })
    }

    /// The member of `key`; the last one when a key repeats, as `serde_json::Map` keeps it.
    fn position(&self, key: &str) -> Option<usize> {
        self.members.iter().rposition(|m| m.key == key)
    }
}

impl Object for LazyDocument<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| self.members[i].value())
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        let member = &mut self.members[i];
        member.value();
        member.value.get_mut()
    }

    fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        let old = self.remove(&key);
        self.members.push(Member {
            key: Cow::Owned(key),
            raw: None,
            value: OnceCell::from(value),
        });
        old
    }

    fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let member = self.members.remove(i);
        member.value();
        let value = member.value.into_inner();
        // Earlier duplicates of the key go too, as they would not be seen in a map.
        self.members.retain(|m| m.key != key);
        value
    }

    fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members
            .iter()
            .enumerate()
            .filter(|(i, m)| self.position(&m.key) == Some(*i))
            .map(|(_, m)| (m.key.as_ref(), m.value()))
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<Member<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            let raw: &'de RawValue = map.next_value()?;
            members.push(Member {
                key,
                raw: Some(raw),
                value: OnceCell::new(),
            });
        }
        Ok(members)
    }
}

/// A key borrowed from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    #[test]
    fn reads_as_a_parsed_map_does() {
        for text in [
            r#"{"@timestamp":"2026-11-22T05:00:00Z","message":"a \"b\"","event":{"id":"x1"},"n":[1,2.5,null]}"#,
            r#"{"a\u0062":1,"ab":2}"#,
            r#"{"k":1,"k":{"deep":[true]}}"#,
            r#"{}"#,
        ] {
            let lazy = LazyDocument::parse(text.as_bytes()).expect(text);
            let map: Map<String, Value> = serde_json::from_str(text).expect(text);
            for (key, value) in &map {
                assert_eq!(Object::get(&lazy, key), Some(value), "{text}: {key}");
            }
            let entries: Map<String, Value> = lazy
                .entries()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            assert_eq!(entries, map, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for text in ["[1]", "\"s\"", "{\"a\":1} x", "{\"a\":tru}", "{\"a\":1", ""] {
            assert!(LazyDocument::parse(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn writes_change_what_is_read() {
        let mut lazy = LazyDocument::parse(br#"{"a":1,"b":{"c":2}}"#).expect("object");
        assert_eq!(lazy.insert("a".into(), json!("x")), Some(json!(1)));
        if let Some(Value::Object(b)) = lazy.get_mut("b") {
            b.insert("d".into(), json!(3));
        }
        assert_eq!(lazy.remove("missing"), None);
        let entries: Map<String, Value> = lazy
            .entries()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(
            entries,
            json!({"a": "x", "b": {"c": 2, "d": 3}})
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
    }
}
