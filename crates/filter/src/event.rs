//! The event filters work on: a JSON object with access by field reference, and its `tags`.
//!
//! `@metadata` (Logstash's per-event scratch space) lives in the same object so that conditions and sprintf
//! reach it as `[@metadata][x]`; `write_json` and `into_document` leave it out, as Logstash's outputs do.
//! The root object is a `Fields` (see `fields.rs`); nested objects are `serde_json::Map`s.

use crate::field_ref::FieldRef;
use crate::fields::{Fields, Object};
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

/// Key of the list of tags (`_grokparsefailure`, …).
pub const TAGS: &str = "tags";
/// Key of the per-event scratch space that is never shipped.
pub const METADATA: &str = "@metadata";

/// One event: a mutable JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    fields: Fields,
}

/// Why bytes are not an event.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a JSON {0} is not an event (an event is a JSON object)")]
    NotAnObject(&'static str),
}

impl Event {
    /// An empty event.
    pub fn new() -> Event {
        Event::default()
    }

    /// The event `{"message": message}`.
    pub fn with_message(message: impl Into<String>) -> Event {
        let mut fields = Fields::with_capacity(16);
        fields.insert("message".to_string(), Value::String(message.into()));
        Event { fields }
    }

    pub fn from_map(fields: Map<String, Value>) -> Event {
        Event {
            fields: Fields::from(fields),
        }
    }

    pub fn from_fields(fields: Fields) -> Event {
        Event { fields }
    }

    /// Parses one JSON object (for example what the agent's `json` codec wrote).
    pub fn from_json_slice(bytes: &[u8]) -> Result<Event, EventError> {
        match serde_json::from_slice::<Value>(bytes)? {
            Value::Object(fields) => Ok(Event::from_map(fields)),
            other => Err(EventError::NotAnObject(json_kind(&other))),
        }
    }

    /// The root object, `@metadata` included.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    pub fn fields_mut(&mut self) -> &mut Fields {
        &mut self.fields
    }

    /// The whole object, `@metadata` included, as a `serde_json::Map`.
    pub fn into_map(self) -> Map<String, Value> {
        self.fields.into_map()
    }

    /// The document to ship: the object without `@metadata`.
    pub fn into_document(mut self) -> Map<String, Value> {
        self.fields.remove(METADATA);
        self.fields.into_map()
    }

    /// Appends the document (without `@metadata`) as one line of JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Serializing JSON values into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &Shipped(&self.fields));
    }

    pub fn get(&self, field: &FieldRef) -> Option<&Value> {
        field.get(&self.fields)
    }

    pub fn get_mut(&mut self, field: &FieldRef) -> Option<&mut Value> {
        field.get_mut(&mut self.fields)
    }

    /// The text of a string field.
    pub fn get_str(&self, field: &FieldRef) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    pub fn contains(&self, field: &FieldRef) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` (creating objects on the way) and returns what was there.
    pub fn set(&mut self, field: &FieldRef, value: Value) -> Option<Value> {
        field.set(&mut self.fields, value)
    }

    pub fn remove(&mut self, field: &FieldRef) -> Option<Value> {
        field.remove(&mut self.fields)
    }

    /// The event's tags (a string `tags` counts as one tag).
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        let (list, single) = match self.fields.get(TAGS) {
            Some(Value::Array(list)) => (list.as_slice(), None),
            Some(Value::String(one)) => (&[][..], Some(one.as_str())),
            _ => (&[][..], None),
        };
        list.iter().filter_map(Value::as_str).chain(single)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags().any(|t| t == tag)
    }

    /// Adds `tag` unless present (Logstash never repeats a tag).
    pub fn add_tag(&mut self, tag: &str) {
        if !self.fields.contains_key(TAGS) {
            self.fields
                .insert(TAGS.to_string(), Value::Array(Vec::new()));
        }
        let Some(slot) = self.fields.get_mut(TAGS) else {
            return;
        };
        match slot {
            Value::Array(list) => {
                if !list.iter().any(|t| t.as_str() == Some(tag)) {
                    list.push(Value::from(tag));
                }
            }
            Value::String(one) => {
                if one != tag {
                    let first = std::mem::take(one);
                    *slot = Value::Array(vec![Value::from(first), Value::from(tag)]);
                }
            }
            other => *other = Value::Array(vec![Value::from(tag)]),
        }
    }

    /// Removes `tag` wherever it is in `tags`.
    pub fn remove_tag(&mut self, tag: &str) {
        match self.fields.get_mut(TAGS) {
            Some(Value::Array(list)) => list.retain(|t| t.as_str() != Some(tag)),
            Some(Value::String(one)) if one == tag => {
                self.fields
                    .insert(TAGS.to_string(), Value::Array(Vec::new()));
            }
            _ => {}
        }
    }
}

/// The root without `@metadata`, for serializing.
struct Shipped<'a>(&'a Fields);

impl serde::Serialize for Shipped<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.0.iter() {
            if key != METADATA {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

impl From<Map<String, Value>> for Event {
    fn from(fields: Map<String, Value>) -> Event {
        Event::from_map(fields)
    }
}

/// `object`, `array`, `string`, … for messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_a_set_in_a_list() {
        let mut event = Event::with_message("x");
        event.add_tag("a");
        event.add_tag("b");
        event.add_tag("a");
        assert_eq!(event.fields()["tags"], json!(["a", "b"]));
        event.remove_tag("a");
        assert_eq!(event.tags().collect::<Vec<_>>(), ["b"]);
        event.set(&FieldRef::root("tags"), json!("solo"));
        assert!(event.has_tag("solo"));
        event.add_tag("two");
        assert_eq!(event.fields()["tags"], json!(["solo", "two"]));
    }

    #[test]
    fn metadata_is_not_shipped() {
        let mut event =
            Event::from_json_slice(br#"{"message":"m","@metadata":{"k":1}}"#).expect("an object");
        let meta = FieldRef::parse("[@metadata][k]").expect("ref");
        assert_eq!(event.get(&meta), Some(&json!(1)));
        let mut out = Vec::new();
        event.write_json(&mut out);
        assert_eq!(out, br#"{"message":"m"}"#);
        event.remove(&meta);
        assert!(!event.clone().into_document().contains_key("@metadata"));
        assert!(matches!(
            Event::from_json_slice(b"[1]"),
            Err(EventError::NotAnObject("array"))
        ));
    }
}
