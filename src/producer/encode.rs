//! Turning one event of a batch into a Kafka message body (and headers, for the raw codec).
//!
//! A file without filters is encoded straight from the line's bytes (`event::json`, or the raw codec's
//! headers): no event is built. A file with filters (json codec only; the config refuses filters with the
//! raw codec) builds its event, runs the chain and writes what is left, or nothing when a `drop` filter
//! dropped it.

use crate::config::Codec;
use crate::event::{flags, id, json};
use crate::ring::{Batch, LineRef};
use rdkafka::message::{Header, OwnedHeaders};

/// A message ready for `BaseRecord`: borrowed payload, optional headers.
pub struct Record<'a> {
    pub payload: &'a [u8],
    pub headers: Option<OwnedHeaders>,
}

/// Reuses one buffer for every JSON event, and keeps every message within `limit`.
pub struct Encoder {
    buffer: Vec<u8>,
    /// Most bytes of one message: payload, key and headers, as librdkafka counts them against
    /// `message.max.bytes` (`KafkaConfig::max_message_bytes`).
    limit: usize,
}

/// What librdkafka adds to key, payload and headers when it checks a message against `message.max.bytes`:
/// the record's framing, at most 40 bytes (`RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD`), rounded up.
const RECORD_FRAMING: usize = 64;

/// How the line of an event was fitted into the message limit.
enum Fitted {
    /// The whole line.
    Whole,
    /// The line's first `kept` bytes (`log.flags` gets `truncated`).
    Cut { kept: usize },
    /// A `drop` filter dropped the event.
    Dropped,
    /// Even the event of an empty line is larger than the limit (its static fields or what filters added).
    TooLarge,
}

impl Encoder {
    pub fn new(limit: usize) -> Encoder {
        Encoder {
            buffer: Vec::new(),
            limit,
        }
    }

    /// Applies a reloaded `max_message_bytes`.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Encodes `line` of `batch` with the batch's codec; `None` when the file's filters dropped the event
    /// (it is not sent, and counts as delivered). An event larger than the limit has its line cut to fit
    /// (flagged `truncated`): a message librdkafka or the broker refuses would stop its file for good.
    pub fn encode<'a>(&'a mut self, batch: &'a Batch, line: &LineRef) -> Option<Record<'a>> {
        if batch.source.filters.is_none() && batch.source.codec == Codec::Raw {
            return Some(self.raw_record(batch, line));
        }
        self.buffer.clear();
        let mut buffer = std::mem::take(&mut self.buffer);
        let kept = self.append_event(batch, line, &mut buffer);
        self.buffer = buffer;
        kept.then_some(Record {
            payload: &self.buffer,
            headers: None,
        })
    }

    /// Appends the JSON event of `line` (filtered when the file has filters) to `out`, cut to the limit;
    /// false when no event is to be sent (dropped by a filter, or too large even without its line), and
    /// `out` is as it was.
    pub fn append_event(&self, batch: &Batch, line: &LineRef, out: &mut Vec<u8>) -> bool {
        let source = &batch.source;
        let text = batch.line(line);
        let start = out.len();
        let write = |text: &[u8], flags: u8, out: &mut Vec<u8>| {
            match &source.filters {
                Some(filters) => {
                    let timestamp = &batch.timestamp.text;
                    let Some(event) =
                        filters.filter(timestamp, source.uid, line.offset, text, flags)
                    else {
                        return false;
                    };
                    event.write_json(out);
                }
                None => json::encode(
                    &source.template,
                    &batch.timestamp.text,
                    source.uid,
                    line.offset,
                    text,
                    flags,
                    out,
                ),
            }
            true
        };
        let fitted = fit(out, start, self.room(batch), text, line.flags, write);
        match fitted {
            Fitted::Whole => true,
            Fitted::Cut { kept } => {
                self.warn_cut(batch, line, kept);
                true
            }
            Fitted::Dropped => {
                out.truncate(start);
                false
            }
            Fitted::TooLarge => {
                log::error!(
                    "the event of {} at offset {} is larger than kafka.max_message_bytes ({} bytes) even \
                     without its line (fields or filters add too much): it is not sent",
                    source.path,
                    line.offset,
                    self.limit
                );
                out.truncate(start);
                false
            }
        }
    }

    /// Says that the line of an event was cut to its first `kept` bytes to fit the limit.
    fn warn_cut(&self, batch: &Batch, line: &LineRef, kept: usize) {
        log::warn!(
            "the event of {} at offset {} is larger than kafka.max_message_bytes ({} bytes): its line was \
             cut from {} to {kept} bytes and flagged truncated",
            batch.source.path,
            line.offset,
            self.limit,
            line.len
        );
    }

    /// Bytes the payload and headers of a message of `batch` may take.
    fn room(&self, batch: &Batch) -> usize {
        self.limit
            .saturating_sub(batch.source.key.len() + RECORD_FRAMING)
    }
}

/// Writes the event of `line` at `start` of `out` with `write` (false: dropped by a filter); while the
/// result is larger than `room`, writes it again with the line shortened by the excess. Escaping only ever
/// makes the output longer than the text, so each round removes at least the excess and it ends within a
/// few.
fn fit(
    out: &mut Vec<u8>,
    start: usize,
    room: usize,
    line: &[u8],
    flags: u8,
    mut write: impl FnMut(&[u8], u8, &mut Vec<u8>) -> bool,
) -> Fitted {
    let (mut text, mut flags) = (line, flags);
    loop {
        out.truncate(start);
        if !write(text, flags, out) {
            return Fitted::Dropped;
        }
        let written = out.len() - start;
        if written <= room {
            return if text.len() == line.len() {
                Fitted::Whole
            } else {
                Fitted::Cut { kept: text.len() }
            };
        }
        if text.is_empty() {
            return Fitted::TooLarge;
        }
        let excess = written - room;
        text = &text[..char_floor(text, text.len().saturating_sub(excess))];
        flags |= flags::TRUNCATED;
    }
}

/// The largest length ≤ `at` that does not split a UTF-8 sequence of `text` (so a cut does not turn valid
/// text into invalid UTF-8, which the codec would ship twice, as lossy text and as base64).
fn char_floor(text: &[u8], mut at: usize) -> usize {
    while at > 0 && at < text.len() && (text[at] & 0xC0) == 0x80 {
        at -= 1;
    }
    at
}

impl Encoder {
    /// The raw codec: the line as payload, the metadata in headers (id and offset written into stack buffers:
    /// no allocation besides librdkafka's headers); the payload is cut so that payload and headers fit in
    /// `room`.
    fn raw_record<'a>(&self, batch: &'a Batch, line: &LineRef) -> Record<'a> {
        let room = self.room(batch);
        let source = &batch.source;
        let event_id = id::EventId::new(source.uid, line.offset);
        let mut offset_digits = [0u8; 20];
        let offset = json::format_u64(line.offset, &mut offset_digits);
        let timestamp = batch.timestamp.text.as_str();
        // librdkafka counts each header as its key and value with two varint lengths; the flags header is
        // counted at its longest, "truncated,multiline,nul_removed".
        const HEADER_FRAMING: usize = 10;
        let header = |key: &str, value: usize| key.len() + value + HEADER_FRAMING;
        let headers_bytes = header("@timestamp", timestamp.len())
            + header("host.name", source.host.len())
            + header("log.file.path", source.path.len())
            + header("log.offset", offset.len())
            + header("event.id", event_id.as_bytes().len())
            + header("log.flags", 32)
            + source
                .fields_json
                .as_ref()
                .map_or(0, |fields| header("fields", fields.len()));
        let text = batch.line(line);
        let kept = char_floor(text, room.saturating_sub(headers_bytes)).min(text.len());
        let line_flags = if kept < text.len() {
            self.warn_cut(batch, line, kept);
            line.flags | flags::TRUNCATED
        } else {
            line.flags
        };
        let mut headers = OwnedHeaders::new_with_capacity(7)
            .insert(Header {
                key: "@timestamp",
                value: Some(timestamp),
            })
            .insert(Header {
                key: "host.name",
                value: Some(source.host.as_str()),
            })
            .insert(Header {
                key: "log.file.path",
                value: Some(source.path.as_str()),
            })
            .insert(Header {
                key: "log.offset",
                value: Some(offset),
            })
            .insert(Header {
                key: "event.id",
                value: Some(event_id.as_bytes()),
            });
        if line_flags != 0 {
            let names: Vec<&str> = flags::names(line_flags).collect();
            headers = headers.insert(Header {
                key: "log.flags",
                value: Some(names.join(",").as_str()),
            });
        }
        if let Some(fields) = &source.fields_json {
            headers = headers.insert(Header {
                key: "fields",
                value: Some(fields.as_str()),
            });
        }
        Record {
            payload: &text[..kept],
            headers: Some(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::id::FileUid;
    use std::collections::BTreeMap;

    /// `fit` with the JSON codec of a fixed file, for `line` within `room`.
    fn fit_json(line: &[u8], room: usize) -> (Fitted, Vec<u8>) {
        let template = json::JsonTemplate::new("host-1", "/var/log/app.log", &BTreeMap::new());
        let uid = FileUid::new("host-1", 1, 2, 3, 4);
        let mut out = Vec::new();
        let fitted = fit(&mut out, 0, room, line, 0, |text, flags, out| {
            json::encode(
                &template,
                "2026-12-05T10:00:00.000Z",
                uid,
                7,
                text,
                flags,
                out,
            );
            true
        });
        (fitted, out)
    }

    fn event(out: &[u8]) -> serde_json::Value {
        serde_json::from_slice(out).expect("valid JSON")
    }

    #[test]
    fn an_event_within_the_limit_is_whole() {
        let (fitted, out) = fit_json(b"short line", 1000);
        assert!(matches!(fitted, Fitted::Whole));
        assert_eq!(event(&out)["message"], "short line");
        assert!(event(&out)["log"].get("flags").is_none());
    }

    #[test]
    fn a_longer_event_is_cut_to_the_limit_and_flagged() {
        let line = vec![b'a'; 5000];
        let (fitted, out) = fit_json(&line, 1000);
        assert!(
            matches!(fitted, Fitted::Cut { kept } if kept < 1000),
            "{}",
            out.len()
        );
        assert!(out.len() <= 1000, "{}", out.len());
        let event = event(&out);
        assert_eq!(event["log"]["flags"], serde_json::json!(["truncated"]));
        let message = event["message"].as_str().expect("message");
        assert!(
            message.len() > 700 && line.starts_with(message.as_bytes()),
            "{}",
            message.len()
        );
    }

    #[test]
    fn escaping_and_multibyte_text_still_fit_and_stay_valid_utf8() {
        // Each `"` doubles in JSON, each control byte becomes six bytes, `é` is two bytes.
        let line: Vec<u8> = "\"\u{1}é".repeat(2000).into_bytes();
        for room in [400, 1000, 4321] {
            let (fitted, out) = fit_json(&line, room);
            assert!(matches!(fitted, Fitted::Cut { .. }));
            assert!(out.len() <= room, "{} > {room}", out.len());
            let event = event(&out);
            assert!(
                event.get("tags").is_none(),
                "a cut inside `é` made the text invalid: {event}"
            );
            let message = event["message"].as_str().expect("message");
            assert!(line.starts_with(message.as_bytes()));
        }
    }

    #[test]
    fn an_event_too_large_without_its_line_is_reported() {
        let (fitted, _) = fit_json(b"line", 20);
        assert!(matches!(fitted, Fitted::TooLarge));
    }

    #[test]
    fn char_floor_never_splits_a_sequence() {
        let text = "aé€😀".as_bytes(); // 1 + 2 + 3 + 4 bytes
        let floors: Vec<usize> = (0..=text.len()).map(|at| char_floor(text, at)).collect();
        assert_eq!(floors, vec![0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
    }
}
