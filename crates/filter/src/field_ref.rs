//! Field references: the one parser for the names of fields, used by conditions, sprintf and every filter.
//!
//! Two spellings name the same nested field: Logstash's `[log][level]` and the ECS path `log.level`. A bare
//! name splits on dots; a bracketed segment is taken literally, so `[service.name]` names a key that itself
//! contains a dot (what some JSON loggers write). Reading looks for the nested field first and then for keys
//! that spell part of the path with dots (`{"log.level": "info"}` answers `[log][level]`), as Elasticsearch
//! sees both shapes as one field. Writing always creates nested objects.

use crate::fields::Object;
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// A parsed field reference: one or more keys from the event's root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldRef {
    segments: Vec<String>,
}

/// Why a text is not a field reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a field reference: {reason}")]
pub struct FieldRefError {
    pub input: String,
    pub reason: &'static str,
}

impl FieldRef {
    /// Parses `[a][b]`, `a.b` or `a`.
    pub fn parse(text: &str) -> Result<FieldRef, FieldRefError> {
        let fail = |reason| FieldRefError {
            input: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut segments = Vec::new();
        if text.starts_with('[') {
            let mut rest = text;
            while !rest.is_empty() {
                let body = rest.strip_prefix('[').ok_or_else(|| {
                    fail("text follows a `]` outside brackets (write [a][b] or a.b)")
                })?;
                let close = body.find(']').ok_or_else(|| fail("a `[` is not closed"))?;
                let segment = &body[..close];
                if segment.is_empty() {
                    return Err(fail("it has an empty `[]`"));
                }
                if segment.contains('[') {
                    return Err(fail("brackets are nested"));
                }
                segments.push(segment.to_string());
                rest = &body[close + 1..];
            }
        } else {
            if text.contains(['[', ']']) {
                return Err(fail("brackets only go around whole segments, as in [a][b]"));
            }
            for segment in text.split('.') {
                if segment.is_empty() {
                    return Err(fail("a dotted path has an empty segment"));
                }
                segments.push(segment.to_string());
            }
        }
        Ok(FieldRef { segments })
    }

    /// A reference to the top-level key `name`, taken literally (no dot splitting).
    pub fn root(name: &str) -> FieldRef {
        FieldRef {
            segments: vec![name.to_string()],
        }
    }

    /// A reference from its keys, taken literally; `None` when `segments` is empty or a key is empty.
    pub fn from_segments<I, S>(segments: I) -> Option<FieldRef>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let segments: Vec<String> = segments.into_iter().map(Into::into).collect();
        if segments.is_empty() || segments.iter().any(String::is_empty) {
            return None;
        }
        Some(FieldRef { segments })
    }

    /// The keys from the root, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// This reference below `parent` (`[parent…][self…]`).
    pub fn under(&self, parent: &FieldRef) -> FieldRef {
        let mut segments = parent.segments.clone();
        segments.extend(self.segments.iter().cloned());
        FieldRef { segments }
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &FieldRef) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// The value at this reference in `root`.
    pub fn get<'a, M: Object>(&self, root: &'a M) -> Option<&'a Value> {
        if let [only] = self.segments.as_slice() {
            return root.get(only);
        }
        find(root, &self.segments)
    }

    /// The value at this reference in `root`, mutable.
    pub fn get_mut<'a, M: Object>(&self, root: &'a mut M) -> Option<&'a mut Value> {
        if let [only] = self.segments.as_slice() {
            return root.get_mut(only);
        }
        // The nested field, found without allocating; only keys spelled with dots need `locate`.
        if nested(root, &self.segments).is_some() {
            return self.get_nested_mut(root);
        }
        let keys = locate(root, &self.segments)?;
        let (first, rest) = keys.split_first()?;
        let mut value = root.get_mut(first)?;
        for key in rest {
            value = value.as_object_mut()?.get_mut(key.as_str())?;
        }
        Some(value)
    }

    /// Sets the value, creating (or replacing non-object values by) objects on the way; returns the old value.
    pub fn set<M: Object>(&self, root: &mut M, value: Value) -> Option<Value> {
        set_in(root, &self.segments, value)
    }

    /// The value at this reference through nested objects only (no dotted keys): what a writer checks
    /// before adding to a field it is about to create.
    pub fn get_nested_mut<'a, M: Object>(&self, root: &'a mut M) -> Option<&'a mut Value> {
        let (first, rest) = self.segments.split_first()?;
        let mut value = root.get_mut(first)?;
        for key in rest {
            value = value.as_object_mut()?.get_mut(key.as_str())?;
        }
        Some(value)
    }

    /// Removes the field and returns its value.
    pub fn remove<M: Object>(&self, root: &mut M) -> Option<Value> {
        if let [only] = self.segments.as_slice() {
            return root.remove(only);
        }
        let located;
        let keys: &[String] = if nested(root, &self.segments).is_some() {
            &self.segments
        } else {
            located = locate(root, &self.segments)?;
            &located
        };
        match keys {
            [only] => root.remove(only),
            [first, between @ .., last] => {
                let mut map = root.get_mut(first)?.as_object_mut()?;
                for key in between {
                    map = map.get_mut(key.as_str())?.as_object_mut()?;
                }
                map.remove(last.as_str())
            }
            [] => None,
        }
    }
}

/// Sets `segments` below `map`, creating objects on the way.
fn set_in<M: Object>(map: &mut M, segments: &[String], value: Value) -> Option<Value> {
    let (first, rest) = segments.split_first()?;
    if rest.is_empty() {
        return map.insert(first.clone(), value);
    }
    // Look before inserting: a key is only allocated when the object is new.
    if !matches!(map.get(first), Some(Value::Object(_))) {
        map.insert(first.clone(), Value::Object(Map::new()));
    }
    let inner = map.get_mut(first)?.as_object_mut()?;
    set_in(inner, rest, value)
}

/// `segments` below `map` through nested objects only.
fn nested<'a, M: Object>(map: &'a M, segments: &[String]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    let mut value = map.get(first)?;
    for key in rest {
        value = value.as_object()?.get(key.as_str())?;
    }
    Some(value)
}

/// Finds `segments` below `map`: nested keys first, then keys spelling several segments with dots.
fn find<'a, M: Object>(map: &'a M, segments: &[String]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    if let Some(value) = map.get(first) {
        if rest.is_empty() {
            return Some(value);
        }
        if let Some(found) = value.as_object().and_then(|inner| find(inner, rest)) {
            return Some(found);
        }
    }
    if rest.is_empty() {
        return None;
    }
    for (key, value) in map.entries() {
        let Some(taken) = dotted_prefix(key, segments) else {
            continue;
        };
        if taken == segments.len() {
            return Some(value);
        }
        if let Some(found) = value
            .as_object()
            .and_then(|inner| find(inner, &segments[taken..]))
        {
            return Some(found);
        }
    }
    None
}

/// The actual keys under which `segments` is found (see `find`).
fn locate<M: Object>(map: &M, segments: &[String]) -> Option<Vec<String>> {
    let (first, rest) = segments.split_first()?;
    if let Some(value) = map.get(first) {
        if rest.is_empty() {
            return Some(vec![first.clone()]);
        }
        if let Some(mut keys) = value.as_object().and_then(|inner| locate(inner, rest)) {
            keys.insert(0, first.clone());
            return Some(keys);
        }
    }
    if rest.is_empty() {
        return None;
    }
    for (key, value) in map.entries() {
        let Some(taken) = dotted_prefix(key, segments) else {
            continue;
        };
        if taken == segments.len() {
            return Some(vec![key.to_string()]);
        }
        if let Some(mut keys) = value
            .as_object()
            .and_then(|inner| locate(inner, &segments[taken..]))
        {
            keys.insert(0, key.to_string());
            return Some(keys);
        }
    }
    None
}

/// How many segments (two or more) `key` spells joined with dots, if it does (`"log.level"` spells
/// `[log][level]`). Allocates nothing: reading a missing field stays cheap.
fn dotted_prefix(key: &str, segments: &[String]) -> Option<usize> {
    memchr::memchr(b'.', key.as_bytes())?;
    let mut rest = key;
    for (taken, segment) in segments.iter().enumerate() {
        rest = rest.strip_prefix(segment.as_str())?;
        if rest.is_empty() {
            return (taken >= 1).then_some(taken + 1);
        }
        rest = rest.strip_prefix('.')?;
    }
    None
}

impl fmt::Display for FieldRef {
    /// Always the bracket form, which reads back as the same reference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            write!(f, "[{segment}]")?;
        }
        Ok(())
    }
}

impl FromStr for FieldRef {
    type Err = FieldRefError;
    fn from_str(text: &str) -> Result<FieldRef, FieldRefError> {
        FieldRef::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(text: &str) -> FieldRef {
        FieldRef::parse(text).expect("parses")
    }

    #[test]
    fn both_spellings_are_the_same_reference() {
        assert_eq!(r("[log][level]"), r("log.level"));
        assert_eq!(r("message").segments(), ["message"]);
        assert_eq!(r("@timestamp").segments(), ["@timestamp"]);
        assert_eq!(r("[service.name]").segments(), ["service.name"]);
        assert_eq!(r("log.level").to_string(), "[log][level]");
        assert_eq!(r(&r("[a b][c]").to_string()), r("[a b][c]"));
    }

    #[test]
    fn malformed_references_say_why() {
        for bad in ["", "[a", "[]", "[a]b", "a[b]", "a..b", ".a", "a.", "[a[b]]"] {
            let err = FieldRef::parse(bad).unwrap_err();
            assert_eq!(err.input, bad);
        }
    }

    #[test]
    fn reads_nested_and_dotted_keys_writes_nested() {
        let mut map = json!({"log": {"level": "info"}, "service.name": "api", "a": {"b.c": 1}})
            .as_object()
            .cloned()
            .expect("object");
        assert_eq!(r("log.level").get(&map), Some(&json!("info")));
        assert_eq!(r("[service][name]").get(&map), Some(&json!("api")));
        assert_eq!(r("a.b.c").get(&map), Some(&json!(1)));
        assert_eq!(r("log.missing").get(&map), None);
        r("x.y.z").set(&mut map, json!(true));
        assert_eq!(map["x"], json!({"y": {"z": true}}));
        r("log.level.deeper").set(&mut map, json!(2));
        assert_eq!(map["log"]["level"], json!({"deeper": 2}));
        assert_eq!(r("service.name").remove(&mut map), Some(json!("api")));
        assert!(!map.contains_key("service.name"));
        if let Some(v) = r("a.b.c").get_mut(&mut map) {
            *v = json!(5);
        }
        assert_eq!(map["a"]["b.c"], json!(5));
    }

    #[test]
    fn an_event_root_answers_the_same() {
        let map = json!({"log": {"level": "info"}, "service.name": "api", "a": {"b.c": 1}})
            .as_object()
            .cloned()
            .expect("object");
        let mut root = crate::fields::Fields::from(map);
        assert_eq!(r("log.level").get(&root), Some(&json!("info")));
        assert_eq!(r("[service][name]").get(&root), Some(&json!("api")));
        assert_eq!(r("a.b.c").get(&root), Some(&json!(1)));
        r("x.y.z").set(&mut root, json!(true));
        assert_eq!(root["x"], json!({"y": {"z": true}}));
        if let Some(v) = r("log.level").get_mut(&mut root) {
            *v = json!("warn");
        }
        assert_eq!(root["log"]["level"], "warn");
        assert_eq!(r("service.name").remove(&mut root), Some(json!("api")));
        assert_eq!(r("x.y.z").remove(&mut root), Some(json!(true)));
        assert_eq!(root["x"], json!({"y": {}}));
        if let Some(v) = r("a.b.c").get_mut(&mut root) {
            *v = json!(5);
        }
        assert_eq!(root["a"]["b.c"], json!(5));
        assert_eq!(r("a.b.c").remove(&mut root), Some(json!(5)));
    }
}
