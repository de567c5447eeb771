//! The filters. Each compiles its spec once (`compile`, errors name the key) and applies to one event.

pub(crate) mod date;
pub(crate) mod dissect;
pub mod grok;
pub(crate) mod json;
pub(crate) mod mutate;

use crate::event::Event;
use crate::fields::Object;
use crate::timestamp::Timestamp;
use serde_json::{Map, Value};

/// How a filter fared on one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It did its work: the common options apply.
    Success,
    /// It could not: the failure tags apply.
    Failure,
    /// Nothing to work on (its source field is absent): neither applies.
    Skipped,
}

/// Sets `@timestamp` to `time`; the time it replaces (when the agent read the line) is kept in
/// `event.ingested` unless that is already set.
pub(crate) fn set_event_time(event: &mut Event, time: Timestamp) {
    let fields = event.fields_mut();
    let time = Value::String(time.to_iso8601());
    let previous = match fields.get_mut("@timestamp") {
        Some(slot) => std::mem::replace(slot, time),
        None => {
            fields.insert("@timestamp".to_string(), time);
            return;
        }
    };
    match fields.get_mut("event") {
        Some(Value::Object(event_object)) => {
            if !event_object.contains_key("ingested") {
                event_object.insert("ingested".to_string(), previous);
            }
        }
        Some(_) => {}
        None => {
            let mut event_object = Map::new();
            event_object.insert("ingested".to_string(), previous);
            fields.insert("event".to_string(), Value::Object(event_object));
        }
    }
}
