//! `json`: parses JSON text from a field (Logstash's json filter).
//!
//! Without `target` the parsed object's keys go to the event's root and replace what is there, except:
//! - the fields that identify a line — `event.id` (the `_id` that keeps the index free of duplicates),
//!   `host.name`, and every `log.*` field the event already has — keep their value; objects on the way are
//!   merged key by key, so `{"log": {"level": "info"}}` adds `log.level` next to `log.offset`
//!   (`overwrite = true` lets the JSON replace them too);
//! - a JSON `@timestamp` is the event's own time, as in Logstash: when it is ISO 8601 it becomes
//!   `@timestamp` (normalized to UTC) and the time the line was read moves to `event.ingested`, as with the
//!   `date` filter; otherwise it is kept as `_@timestamp` and the event tagged `_timestampparsefailure`.
//! - a key with dots (`"log.level"`, as ECS loggers write) is the nested field it spells.
//!
//! Text that is not JSON (or, without `target`, JSON that is not an object) tags `_jsonparsefailure` unless
//! `skip_on_invalid_json`. An absent source field, or one holding only blanks, is left alone.

use super::{set_event_time, Outcome};
use crate::error::{field, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::fields::Object;
use crate::spec::JsonSpec;
use crate::timestamp::{Timestamp, Zone};
use serde_json::{Map, Value};

pub(crate) const FAILURE_TAG: &str = "_jsonparsefailure";
const TIMESTAMP_FAILURE_TAG: &str = "_timestampparsefailure";

/// Paths a line's JSON cannot replace unless `overwrite`.
const PROTECTED: &[&[&str]] = &[&["event", "id"], &["host", "name"], &["log"]];

#[derive(Debug, Clone)]
pub(crate) struct JsonFilter {
    source: FieldRef,
    target: Option<FieldRef>,
    skip_on_invalid_json: bool,
    overwrite: bool,
}

impl JsonFilter {
    pub(crate) fn compile(spec: &JsonSpec) -> Result<JsonFilter, Invalid> {
        Ok(JsonFilter {
            source: field("source", &spec.source)?,
            target: spec
                .target
                .as_deref()
                .map(|t| field("target", t))
                .transpose()?,
            skip_on_invalid_json: spec.skip_on_invalid_json,
            overwrite: spec.overwrite,
        })
    }

    pub(crate) fn apply(&self, event: &mut Event) -> Outcome {
        let parsed = match event.get(&self.source) {
            None => return Outcome::Skipped,
            Some(Value::String(text)) if text.trim().is_empty() => return Outcome::Skipped,
            Some(Value::String(text)) => serde_json::from_str::<Value>(text),
            Some(_) => return self.invalid(),
        };
        let parsed = match parsed {
            Ok(value) => value,
            Err(_) => return self.invalid(),
        };
        if let Some(target) = &self.target {
            event.set(target, parsed);
            return Outcome::Success;
        }
        let Value::Object(object) = parsed else {
            return self.invalid();
        };
        for (key, value) in object {
            if key == "@timestamp" {
                self.event_time(event, value);
            } else if key.contains('.') {
                match FieldRef::parse(&key) {
                    Ok(path) => {
                        insert_path(event.fields_mut(), path.segments(), value, self.overwrite)
                    }
                    Err(_) => merge(
                        event.fields_mut(),
                        &mut Vec::new(),
                        key,
                        value,
                        self.overwrite,
                    ),
                }
            } else {
                merge(
                    event.fields_mut(),
                    &mut Vec::new(),
                    key,
                    value,
                    self.overwrite,
                );
            }
        }
        Outcome::Success
    }

    fn invalid(&self) -> Outcome {
        if self.skip_on_invalid_json {
            Outcome::Skipped
        } else {
            Outcome::Failure
        }
    }

    fn event_time(&self, event: &mut Event, value: Value) {
        let time = value
            .as_str()
            .and_then(|text| Timestamp::parse_iso8601(text, &Zone::UTC));
        match time {
            Some(time) => set_event_time(event, time),
            None => {
                event.fields_mut().insert("_@timestamp".to_string(), value);
                event.add_tag(TIMESTAMP_FAILURE_TAG);
            }
        }
    }
}

/// Whether `prefix` + `key` is a protected path, lies inside one, or holds one.
fn touches_protected(prefix: &[String], key: &str) -> bool {
    PROTECTED.iter().any(|protected| {
        let n = (prefix.len() + 1).min(protected.len());
        (0..n).all(|i| match prefix.get(i) {
            Some(segment) => segment == protected[i],
            None => key == protected[i],
        })
    })
}

/// Puts `key: value` into `map` (below `prefix`): replaces, except where that would replace protected
/// fields.
fn merge<M: Object>(
    map: &mut M,
    prefix: &mut Vec<String>,
    key: String,
    value: Value,
    overwrite: bool,
) {
    if overwrite || !touches_protected(prefix, &key) {
        map.insert(key, value);
        return;
    }
    match (map.get_mut(&key), value) {
        (None, value) => {
            map.insert(key, value);
        }
        (Some(Value::Object(existing)), Value::Object(incoming)) => {
            prefix.push(key);
            for (inner_key, inner_value) in incoming {
                merge(existing, prefix, inner_key, inner_value, overwrite);
            }
            prefix.pop();
        }
        // A protected value (or an object holding protected values) stays.
        (Some(_), _) => {}
    }
}

/// Sets a dotted key's path, merging into the objects on the way.
fn insert_path<M: Object>(root: &mut M, segments: &[String], value: Value, overwrite: bool) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut path: Vec<String> = Vec::with_capacity(segments.len());
    let Some((first, rest)) = parents.split_first() else {
        merge(root, &mut path, last.clone(), value, overwrite);
        return;
    };
    let Some(mut map) = descend(root, &mut path, first, overwrite) else {
        return;
    };
    for segment in rest {
        let Some(inner) = descend(map, &mut path, segment, overwrite) else {
            return;
        };
        map = inner;
    }
    merge(map, &mut path, last.clone(), value, overwrite);
}

/// The object under `segment` of `map`, made one unless that would replace a protected value.
fn descend<'a, M: Object>(
    map: &'a mut M,
    path: &mut Vec<String>,
    segment: &str,
    overwrite: bool,
) -> Option<&'a mut Map<String, Value>> {
    match map.get(segment) {
        Some(Value::Object(_)) => {}
        Some(_) if !overwrite && touches_protected(path, segment) => return None,
        _ => {
            map.insert(segment.to_string(), Value::Object(Map::new()));
        }
    }
    path.push(segment.to_string());
    match map.get_mut(segment) {
        Some(Value::Object(inner)) => Some(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(spec: &str, event: Value) -> (Outcome, Value) {
        let spec: JsonSpec = serde_json::from_str(spec).expect("spec");
        let filter = JsonFilter::compile(&spec).expect("compiles");
        let mut event = Event::from_map(event.as_object().cloned().expect("object"));
        let outcome = filter.apply(&mut event);
        (outcome, Value::Object(event.into_map()))
    }

    fn agent_event(message: &str) -> Value {
        json!({"@timestamp": "2026-11-22T04:51:21.123Z", "message": message, "host": {"name": "web-1"},
               "log": {"file": {"path": "/var/log/app.log"}, "offset": 42}, "event": {"id": "abc"}})
    }

    #[test]
    fn identity_fields_are_protected_and_the_rest_merges() {
        let line = r#"{"message":"hi","level":"error","log":{"level":"error","offset":1},
                       "event":{"id":"evil","dataset":"app"},"host":{"name":"x","ip":"10.0.0.1"},"log.logger":"main"}"#;
        let (outcome, event) = run(r#"{"source":"message"}"#, agent_event(line));
        assert_eq!(outcome, Outcome::Success);
        assert_eq!(event["message"], "hi");
        assert_eq!(event["level"], "error");
        assert_eq!(event["log"]["level"], "error");
        assert_eq!(event["log"]["logger"], "main");
        assert_eq!(event["log"]["offset"], 42);
        assert_eq!(event["log"]["file"]["path"], "/var/log/app.log");
        assert_eq!(event["event"]["id"], "abc");
        assert_eq!(event["event"]["dataset"], "app");
        assert_eq!(event["host"], json!({"name": "web-1", "ip": "10.0.0.1"}));
        let (_, forced) = run(
            r#"{"source":"message","overwrite":true}"#,
            agent_event(line),
        );
        assert_eq!(forced["event"]["id"], "evil");
        assert_eq!(
            forced["log"],
            json!({"level": "error", "offset": 1, "logger": "main"})
        );
    }

    #[test]
    fn json_timestamp_becomes_the_event_time() {
        let (_, event) = run(
            r#"{"source":"message"}"#,
            agent_event(r#"{"@timestamp":"2026-11-21T10:00:00+01:00","x":1}"#),
        );
        assert_eq!(event["@timestamp"], "2026-11-21T09:00:00.000Z");
        assert_eq!(event["event"]["ingested"], "2026-11-22T04:51:21.123Z");
        let (_, bad) = run(
            r#"{"source":"message"}"#,
            agent_event(r#"{"@timestamp":"yesterday"}"#),
        );
        assert_eq!(bad["@timestamp"], "2026-11-22T04:51:21.123Z");
        assert_eq!(bad["_@timestamp"], "yesterday");
        assert_eq!(bad["tags"], json!(["_timestampparsefailure"]));
    }

    #[test]
    fn targets_failures_and_skips() {
        let (outcome, event) = run(
            r#"{"source":"message","target":"doc"}"#,
            agent_event("[1,2]"),
        );
        assert_eq!(outcome, Outcome::Success);
        assert_eq!(event["doc"], json!([1, 2]));
        assert_eq!(
            run(r#"{"source":"message"}"#, agent_event("[1,2]")).0,
            Outcome::Failure
        );
        assert_eq!(
            run(r#"{"source":"message"}"#, agent_event("{oops")).0,
            Outcome::Failure
        );
        assert_eq!(
            run(
                r#"{"source":"message","skip_on_invalid_json":true}"#,
                agent_event("{oops")
            )
            .0,
            Outcome::Skipped
        );
        assert_eq!(
            run(r#"{"source":"absent"}"#, agent_event("{}")).0,
            Outcome::Skipped
        );
        assert_eq!(
            run(r#"{"source":"message"}"#, agent_event("  ")).0,
            Outcome::Skipped
        );
    }
}
