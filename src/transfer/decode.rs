//! Kafka message → `Doc` (or a `DeadLetter` with the reason): codecs, `_id`, `@timestamp`, index name.
//!
//! Codec `json`: a JSON object is the document (kept byte for byte when it is one line and has
//! `@timestamp`); anything else — not JSON, a JSON scalar or array, binary — becomes
//! `{"message": <text>, "tags": ["_jsonparsefailure"]}` as Logstash does (invalid UTF-8 is replaced, the exact
//! bytes kept in `log.original_base64`, tagged `invalid_utf8`). Codec `raw`: `{"message": <text>}` plus the
//! agent's raw-codec headers mapped back to nested ECS fields. Both add `@timestamp` (the Kafka timestamp, or
//! now) when absent. `_id` is `event.id` when the document has one, else a hash of topic/partition/offset,
//! so a replay of the same message lands on the same document. Oversized messages and index names the pattern
//! cannot fill are dead letters, never errors of the partition.
//!
//! A topic with filters (`[filters]`, see `filters.rs`) runs them on the decoded document, with the message's
//! Kafka facts in `[@metadata][kafka]` (`topic`, `partition`, `offset`, as Logstash's kafka input decorates
//! events; never indexed, but an index name may use it). A `drop` makes the message `Decoded::Dropped`:
//! settled with its batch (its offset is committed) and not indexed. `_id` and the index name are taken
//! from the filtered document.

use super::filters::TopicFilters;
use super::lazy_document::LazyDocument;
use crate::config::transfer::TransferCodec;
use crate::indexer::destination::{Destination, PlaceError, Placement};
use crate::indexer::{DeadLetter, Doc, Origin};
use base64::Engine;
use logpipe_filter::event::METADATA;
use logpipe_filter::{Event, Object, Verdict};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest `_id` Elasticsearch accepts.
const MAX_ID_BYTES: usize = 512;

/// The parts of a Kafka message the decoder uses.
pub struct MessageView<'a> {
    pub topic: &'a Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// Kafka timestamp, milliseconds since the epoch.
    pub timestamp_millis: Option<i64>,
    pub payload: &'a [u8],
    pub headers: Vec<(&'a str, &'a [u8])>,
}

/// What a message became.
pub enum Decoded {
    Doc(Doc),
    Dead(DeadLetter),
    /// A `drop` filter dropped it: nothing to index, and settled all the same.
    Dropped,
}

/// Settings of the decoding step.
pub struct Decoder {
    pub codec: TransferCodec,
    /// Index or data stream, action, pipeline, routing.
    pub destination: Destination,
    pub max_document_bytes: usize,
    pub filters: TopicFilters,
}

impl Decoder {
    pub fn decode(&self, message: &MessageView<'_>) -> Decoded {
        let origin = Origin {
            source: message.topic.clone(),
            partition: message.partition,
            offset: message.offset,
        };
        if message.payload.len() > self.max_document_bytes {
            return Decoded::Dead(DeadLetter {
                origin,
                index: None,
                id: None,
                reason: format!(
                    "message of {} bytes exceeds pipeline.max_document_bytes ({})",
                    message.payload.len(),
                    self.max_document_bytes
                ),
                document: message.payload.to_vec(),
            });
        }
        if let Some(decoded) = self.decode_verbatim(message, &origin) {
            return decoded;
        }
        let (mut document, verbatim) = match self.codec {
            TransferCodec::Json => json_document(message),
            TransferCodec::Raw => (raw_document(message), false),
        };
        let Some(chain) = self.filters.for_topic(message.topic) else {
            let id = document_id(&document)
                .unwrap_or_else(|| hash_id(message.topic, message.partition, message.offset));
            let placed = self.destination.place(&mut document, Some(message.topic));
            let verbatim = verbatim && placed.as_ref().is_ok_and(|p| !p.document_changed);
            let source = if verbatim {
                message.payload.to_vec()
            } else {
                serde_json::to_vec(&document).unwrap_or_default()
            };
            return placed_doc(origin, id, placed, source);
        };
        let mut event = Event::from_map(document);
        let mut kafka = Map::new();
        kafka.insert("topic".into(), Value::from(&**message.topic));
        kafka.insert("partition".into(), Value::from(message.partition));
        kafka.insert("offset".into(), Value::from(message.offset));
        let mut metadata = Map::new();
        metadata.insert("kafka".into(), Value::Object(kafka));
        event
            .fields_mut()
            .insert(METADATA.into(), Value::Object(metadata));
        if chain.apply(&mut event) == Verdict::Drop {
            return Decoded::Dropped;
        }
        let id = document_id(event.fields())
            .unwrap_or_else(|| hash_id(message.topic, message.partition, message.offset));
        // `@metadata` is not indexed, but an index name may read it (`%{[@metadata][index]}`), as in
        // Logstash's outputs. Placed before it is written: a data stream may add its `data_stream.*`.
        let placed = self
            .destination
            .place(event.fields_mut(), Some(message.topic));
        let mut source = Vec::with_capacity(message.payload.len() + 256);
        event.write_json(&mut source);
        placed_doc(origin, id, placed, source)
    }
}

impl Decoder {
    /// The common case read without building the document: a JSON codec message that is one line, one
    /// object with `@timestamp`, for a topic without filters, to an index (not a data stream). It goes
    /// into the `_bulk` body as it is; only what the `_id` and the index name need is parsed. `None`: the
    /// message needs the full decoding.
    fn decode_verbatim(&self, message: &MessageView<'_>, origin: &Origin) -> Option<Decoded> {
        if self.codec != TransferCodec::Json
            || !self.destination.keeps_documents()
            || self.filters.for_topic(message.topic).is_some()
            || memchr::memchr(b'\n', message.payload).is_some()
        {
            return None;
        }
        let mut document = LazyDocument::parse(message.payload)?;
        if !document.contains_key("@timestamp") {
            return None;
        }
        let id = document_id(&document)
            .unwrap_or_else(|| hash_id(message.topic, message.partition, message.offset));
        let placed = self.destination.place(&mut document, Some(message.topic));
        Some(placed_doc(
            origin.clone(),
            id,
            placed,
            message.payload.to_vec(),
        ))
    }
}

/// The document with its `_id` and placement, or a dead letter when it cannot be placed.
fn placed_doc(
    origin: Origin,
    id: String,
    placed: Result<Placement, PlaceError>,
    source: Vec<u8>,
) -> Decoded {
    match placed {
        Ok(placement) => Decoded::Doc(Doc {
            index: placement.index,
            id,
            source,
            meta: placement.meta,
            origin,
        }),
        Err(reason) => Decoded::Dead(DeadLetter {
            origin,
            index: None,
            id: Some(id),
            reason: format!("no index name: {reason}"),
            document: source,
        }),
    }
}

/// The document and whether the payload itself can be sent as its source.
fn json_document(message: &MessageView<'_>) -> (Map<String, Value>, bool) {
    match serde_json::from_slice::<Value>(message.payload) {
        Ok(Value::Object(mut map)) => {
            let one_line = memchr::memchr(b'\n', message.payload).is_none();
            if map.contains_key("@timestamp") {
                (map, one_line)
            } else {
                map.insert(
                    "@timestamp".into(),
                    Value::String(kafka_timestamp(message.timestamp_millis)),
                );
                (map, false)
            }
        }
        _ => {
            let mut map = text_document(message.payload);
            let tags = map
                .entry("tags")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(tags) = tags {
                tags.insert(0, Value::from("_jsonparsefailure"));
            }
            map.insert(
                "@timestamp".into(),
                Value::String(kafka_timestamp(message.timestamp_millis)),
            );
            (map, false)
        }
    }
}

/// `{"message": text}`, lossless for invalid UTF-8.
fn text_document(payload: &[u8]) -> Map<String, Value> {
    let mut map = Map::new();
    match std::str::from_utf8(payload) {
        Ok(text) => {
            map.insert("message".into(), Value::from(text));
        }
        Err(_) => {
            map.insert(
                "message".into(),
                Value::from(String::from_utf8_lossy(payload).into_owned()),
            );
            let original = base64::engine::general_purpose::STANDARD.encode(payload);
            map.insert(
                "log".into(),
                serde_json::json!({ "original_base64": original }),
            );
            map.insert("tags".into(), serde_json::json!(["invalid_utf8"]));
        }
    }
    map
}

fn raw_document(message: &MessageView<'_>) -> Map<String, Value> {
    let mut map = text_document(message.payload);
    let mut document = Map::new();
    let header = |name: &str| {
        message
            .headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let timestamp =
        header("@timestamp").unwrap_or_else(|| kafka_timestamp(message.timestamp_millis));
    set_path(&mut document, &["@timestamp"], Value::from(timestamp));
    if let Some(host) = header("host.name") {
        set_path(&mut document, &["host", "name"], Value::from(host));
    }
    if let Some(path) = header("log.file.path") {
        set_path(&mut document, &["log", "file", "path"], Value::from(path));
    }
    if let Some(offset) = header("log.offset") {
        let value = offset
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or(Value::from(offset));
        set_path(&mut document, &["log", "offset"], value);
    }
    if let Some(flags) = header("log.flags") {
        let list: Vec<Value> = flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(Value::from)
            .collect();
        set_path(&mut document, &["log", "flags"], Value::Array(list));
    }
    if let Some(id) = header("event.id") {
        set_path(&mut document, &["event", "id"], Value::from(id));
    }
    if let Some(fields) = header("fields") {
        let value = serde_json::from_str::<Value>(&fields).unwrap_or(Value::from(fields));
        set_path(&mut document, &["fields"], value);
    }
    if let Some(Value::Object(log)) = map.remove("log") {
        for (key, value) in log {
            set_path(&mut document, &["log", key.as_str()], value);
        }
    }
    document.extend(map);
    document
}

fn set_path(document: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = document;
    for key in parents {
        if !matches!(at.get(*key), Some(Value::Object(_))) {
            at.insert((*key).to_string(), Value::Object(Map::new()));
        }
        let Some(Value::Object(next)) = at.get_mut(*key) else {
            return;
        };
        at = next;
    }
    at.insert((*last).to_string(), value);
}

/// `event.id` (nested or dotted) when it is a usable `_id`.
fn document_id<M: Object>(document: &M) -> Option<String> {
    let value = document
        .get("event")
        .and_then(|e| e.get("id"))
        .or_else(|| document.get("event.id"))?;
    let id = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!id.is_empty() && id.len() <= MAX_ID_BYTES).then_some(id)
}

/// 32 hex digits identifying a Kafka message.
pub fn hash_id(topic: &str, partition: i32, offset: i64) -> String {
    let mut bytes = Vec::with_capacity(topic.len() + 13);
    bytes.extend_from_slice(topic.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&partition.to_le_bytes());
    bytes.extend_from_slice(&offset.to_le_bytes());
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

fn kafka_timestamp(millis: Option<i64>) -> String {
    match millis.and_then(|m| u64::try_from(m).ok()) {
        Some(m) => crate::event::timestamp::rfc3339_millis(UNIX_EPOCH + Duration::from_millis(m)),
        None => crate::event::timestamp::rfc3339_millis(SystemTime::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder(codec: TransferCodec, pattern: &str) -> Decoder {
        Decoder {
            codec,
            destination: Destination::index(
                crate::indexer::IndexPattern::parse(pattern).expect("pattern"),
            ),
            max_document_bytes: 1000,
            filters: TopicFilters::default(),
        }
    }

    fn view<'a>(
        topic: &'a Arc<str>,
        payload: &'a [u8],
        headers: Vec<(&'a str, &'a [u8])>,
    ) -> MessageView<'a> {
        MessageView {
            topic,
            partition: 1,
            offset: 42,
            timestamp_millis: Some(1_790_000_000_000),
            payload,
            headers,
        }
    }

    fn doc(decoded: Decoded) -> (Doc, Value) {
        match decoded {
            Decoded::Doc(doc) => {
                let value = serde_json::from_slice(&doc.source).expect("source is JSON");
                (doc, value)
            }
            Decoded::Dead(letter) => panic!("dead letter: {}", letter.reason),
            Decoded::Dropped => panic!("dropped"),
        }
    }

    #[test]
    fn agent_events_keep_their_bytes_and_id() {
        let topic: Arc<str> = "app_log".into();
        let payload =
            br#"{"@timestamp":"2026-11-22T04:51:21.123Z","message":"hi","event":{"id":"abc"}}"#;
        let (d, _) = doc(
            decoder(TransferCodec::Json, "%{[topic]}-%{+YYYY.MM.dd}").decode(&view(
                &topic,
                payload,
                vec![],
            )),
        );
        assert_eq!(d.source, payload.to_vec());
        assert_eq!(d.id, "abc");
        assert_eq!(d.index, "app_log-2026.11.22");
    }

    #[test]
    fn non_json_is_tagged_and_timestamped() {
        let topic: Arc<str> = "t".into();
        for payload in [&b"plain text"[..], b"[1,2]", b"\xff\xfebinary", b""] {
            let (d, v) =
                doc(decoder(TransferCodec::Json, "logs").decode(&view(&topic, payload, vec![])));
            assert_eq!(v["tags"][0], "_jsonparsefailure");
            assert!(
                v["@timestamp"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("2026-")),
                "{v}"
            );
            assert_eq!(d.id, hash_id("t", 1, 42));
        }
        let (_, v) =
            doc(decoder(TransferCodec::Json, "logs").decode(&view(&topic, b"\xff", vec![])));
        assert_eq!(v["log"]["original_base64"], "/w==");
        let (_, v) = doc(decoder(TransferCodec::Json, "logs").decode(&view(
            &topic,
            br#"{"Type":"error","Msg":"x"}"#,
            vec![],
        )));
        assert_eq!(v["Msg"], "x");
        assert!(v.get("tags").is_none());
        assert!(v["@timestamp"].is_string());
    }

    #[test]
    fn raw_headers_become_ecs_fields() {
        let topic: Arc<str> = "t".into();
        let headers: Vec<(&str, &[u8])> = vec![
            ("@timestamp", b"2026-11-22T04:51:21.123Z"),
            ("host.name", b"web-1"),
            ("log.file.path", b"/var/log/a.log"),
            ("log.offset", b"77"),
            ("event.id", b"ffee"),
            ("fields", br#"{"env":"prod"}"#),
            ("log.flags", b"truncated,multiline"),
        ];
        let (d, v) = doc(decoder(TransferCodec::Raw, "%{[fields][env]}-%{+YYYY}")
            .decode(&view(&topic, b"a line", headers)));
        assert_eq!(d.id, "ffee");
        assert_eq!(d.index, "prod-2026");
        assert_eq!(v["message"], "a line");
        assert_eq!(v["host"]["name"], "web-1");
        assert_eq!(v["log"]["file"]["path"], "/var/log/a.log");
        assert_eq!(v["log"]["offset"], 77);
        assert_eq!(
            v["log"]["flags"],
            serde_json::json!(["truncated", "multiline"])
        );
        assert_eq!(v["event"]["id"], "ffee");
    }

    #[test]
    fn topic_filters_run_on_the_document_and_may_drop_it() {
        let table: indexmap::IndexMap<String, crate::config::FilterList> = serde_json::from_str(
            r#"{"^app.*": [{"json": {"source": "message"}},
                           {"drop": {"if": "[level] == \"DEBUG\""}},
                           {"mutate": {"add_field": {"from": "%{[@metadata][kafka][topic]}/%{[@metadata][kafka][partition]}"}}}]}"#,
        )
        .expect("table");
        let mut decoder = decoder(TransferCodec::Json, "%{[service]}-%{+YYYY.MM}");
        decoder.filters = TopicFilters::new(&table).expect("compiles");
        let topic: Arc<str> = "app_log".into();
        let payload = br#"{"@timestamp":"2026-11-22T04:51:21.123Z","event":{"id":"abc"},"message":"{\"level\":\"error\",\"service\":\"billing\",\"@timestamp\":\"2026-10-01T00:00:00Z\",\"event\":{\"id\":\"forged\"}}"}"#;
        let (d, v) = doc(decoder.decode(&view(&topic, payload, vec![])));
        assert_eq!(v["level"], "error");
        assert_eq!(v["from"], "app_log/1");
        assert_eq!(
            v["@timestamp"], "2026-10-01T00:00:00.000Z",
            "the line's own time"
        );
        assert_eq!(v["event"]["ingested"], "2026-11-22T04:51:21.123Z");
        assert!(v.get("@metadata").is_none(), "metadata is not indexed");
        assert_eq!(d.id, "abc", "the agent's id stays the _id");
        assert_eq!(
            d.index, "billing-2026.10",
            "the index name is the filtered document's"
        );
        let debug =
            br#"{"@timestamp":"2026-11-22T04:51:21.123Z","message":"{\"level\":\"DEBUG\"}"}"#;
        assert!(matches!(
            decoder.decode(&view(&topic, debug, vec![])),
            Decoded::Dropped
        ));
        // Another topic: untouched, bytes and all.
        let other: Arc<str> = "web_log".into();
        let plain = br#"{"@timestamp":"2026-11-22T04:51:21.123Z","message":"{\"level\":\"DEBUG\"}","service":"s"}"#;
        let (d, _) = doc(decoder.decode(&view(&other, plain, vec![])));
        assert_eq!(d.source, plain.to_vec());
    }

    #[test]
    fn unfillable_index_and_huge_messages_are_dead_letters() {
        let topic: Arc<str> = "t".into();
        let Decoded::Dead(letter) =
            decoder(TransferCodec::Json, "%{[app]}").decode(&view(&topic, br#"{"x":1}"#, vec![]))
        else {
            panic!("expected a dead letter")
        };
        assert!(letter.reason.contains("[app]"), "{}", letter.reason);
        let big = vec![b'a'; 1001];
        let Decoded::Dead(letter) =
            decoder(TransferCodec::Json, "logs").decode(&view(&topic, &big, vec![]))
        else {
            panic!("expected a dead letter")
        };
        assert!(
            letter.reason.contains("max_document_bytes"),
            "{}",
            letter.reason
        );
    }
}
