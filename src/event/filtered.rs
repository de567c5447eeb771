//! Events of entries with filters: the line's ECS event built as a `logpipe_filter::Event`, run through the
//! entry's filter chain, and written as JSON.
//!
//! The event has the fields the `json` codec writes (`json.rs`), with the same values — `@timestamp`,
//! `message`, `host.name`, `log.file.path`, `log.offset`, `log.flags`, `log.original_base64`, `event.id`,
//! `tags`, `fields` — so a filtered event differs from an unfiltered one only by what its filters did (tested
//! below). Entries without filters never come here: they keep the codec's hand-written encoder and build no
//! event at all.

use super::flags;
use super::id::{event_id, FileUid};
use base64::Engine;
use logpipe_filter::{Event, Fields, FilterChain, Object, Verdict};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What filtering the events of one file takes: its entry's chain and the fields every event of the file
/// shares.
#[derive(Debug, Clone)]
pub struct FileFilters {
    pub chain: Arc<FilterChain>,
    host: String,
    path: String,
    /// The entry's static `fields`; `None` when it has none (the event then has no `fields`).
    fields: Option<Map<String, Value>>,
}

impl FileFilters {
    pub fn new(
        chain: Arc<FilterChain>,
        host: &str,
        path: &str,
        fields: &BTreeMap<String, Value>,
    ) -> FileFilters {
        FileFilters {
            chain,
            host: host.to_string(),
            path: path.to_string(),
            fields: (!fields.is_empty())
                .then(|| fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        }
    }

    /// The event of `line` (read at `timestamp`, at `offset` of file `uid`) before any filter ran.
    pub fn event(
        &self,
        timestamp: &str,
        uid: FileUid,
        offset: u64,
        line: &[u8],
        line_flags: u8,
    ) -> Event {
        let (message, valid) = match std::str::from_utf8(line) {
            Ok(text) => (text.to_string(), true),
            Err(_) => (String::from_utf8_lossy(line).into_owned(), false),
        };
        let mut log = Map::new();
        log.insert(
            "file".into(),
            object("path", Value::from(self.path.as_str())),
        );
        log.insert("offset".into(), Value::from(offset));
        if line_flags != 0 {
            log.insert(
                "flags".into(),
                flags::names(line_flags).map(Value::from).collect(),
            );
        }
        if !valid {
            log.insert(
                "original_base64".into(),
                Value::from(base64::engine::general_purpose::STANDARD.encode(line)),
            );
        }
        let id = event_id(uid, offset);

        let mut fields = Fields::with_capacity(16);
        fields.insert("@timestamp".into(), Value::from(timestamp));
        fields.insert("message".into(), Value::String(message));
        fields.insert(
            "host".into(),
            object("name", Value::from(self.host.as_str())),
        );
        fields.insert("log".into(), Value::Object(log));
        fields.insert("event".into(), object("id", Value::String(id)));
        if !valid {
            fields.insert(
                "tags".into(),
                Value::Array(vec![Value::from("invalid_utf8")]),
            );
        }
        if let Some(static_fields) = &self.fields {
            fields.insert("fields".into(), Value::Object(static_fields.clone()));
        }
        Event::from_fields(fields)
    }

    /// The event of `line` after the filters, or `None` when a `drop` filter dropped it.
    pub fn filter(
        &self,
        timestamp: &str,
        uid: FileUid,
        offset: u64,
        line: &[u8],
        line_flags: u8,
    ) -> Option<Event> {
        let mut event = self.event(timestamp, uid, offset, line, line_flags);
        match self.chain.apply(&mut event) {
            Verdict::Keep => Some(event),
            Verdict::Drop => None,
        }
    }
}

fn object(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::json::{encode, JsonTemplate};
    use logpipe_filter::FilterSpec;

    const STAMP: &str = "2026-11-22T04:51:21.123Z";

    fn filters(list: &str, fields: &BTreeMap<String, Value>) -> FileFilters {
        let specs: Vec<FilterSpec> = serde_json::from_str(list).expect("a filter list");
        let chain = logpipe_filter::compile(&specs).expect("compiles");
        FileFilters::new(Arc::new(chain), "web-1", "/var/log/a \"b\".log", fields)
    }

    #[test]
    fn the_event_is_what_the_json_codec_writes() {
        let mut fields = BTreeMap::new();
        fields.insert("env".to_string(), Value::from("prod"));
        fields.insert(
            "team".to_string(),
            serde_json::json!({"name": "web", "n": 3}),
        );
        for fields in [BTreeMap::new(), fields] {
            let filters = filters(
                r#"[{"mutate":{"add_tag":["never"],"if":"[nothing]"}}]"#,
                &fields,
            );
            let template = JsonTemplate::new("web-1", "/var/log/a \"b\".log", &fields);
            for (line, line_flags) in [
                (&b"plain line"[..], 0),
                (b"quotes \" and \\ and \t tabs \x01", 0),
                (b"cut and joined", flags::TRUNCATED | flags::MULTILINE),
                (b"bad \xff\xfe bytes", flags::NUL_REMOVED),
            ] {
                let mut written = Vec::new();
                encode(
                    &template,
                    STAMP,
                    FileUid::new("h", 1, 2, 3, 7),
                    42,
                    line,
                    line_flags,
                    &mut written,
                );
                let expected: Value = serde_json::from_slice(&written).expect("codec JSON");
                let event = filters
                    .filter(STAMP, FileUid::new("h", 1, 2, 3, 7), 42, line, line_flags)
                    .expect("kept");
                assert_eq!(Value::Object(event.fields().to_map()), expected);
                let mut out = Vec::new();
                event.write_json(&mut out);
                let reread: Value = serde_json::from_slice(&out).expect("event JSON");
                assert_eq!(reread, expected);
            }
        }
    }

    #[test]
    fn filters_change_the_event_and_drop_it() {
        let filters = filters(
            r#"[{"dissect":{"mapping":{"message":"%{[log][level]} %{rest}"}}},
                {"drop":{"if":"[log][level] == \"DEBUG\""}}]"#,
            &BTreeMap::new(),
        );
        let event = filters
            .filter(
                STAMP,
                FileUid::new("h", 1, 2, 3, 1),
                0,
                b"ERROR disk full",
                0,
            )
            .expect("kept");
        assert_eq!(event.fields()["log"]["level"], "ERROR");
        assert_eq!(event.fields()["log"]["offset"], 0);
        assert_eq!(event.fields()["rest"], "disk full");
        assert!(filters
            .filter(STAMP, FileUid::new("h", 1, 2, 3, 1), 16, b"DEBUG noise", 0)
            .is_none());
    }
}
