//! Turning one event of a batch into a Kafka message body (and headers, for the raw codec).
//!
//! A file without filters is encoded straight from the line's bytes (`event::json`, or the raw codec's
//! headers): no event is built. A file with filters (json codec only; the config refuses filters with the
//! raw codec) builds its event, runs the chain and writes what is left, or nothing when a `drop` filter
//! dropped it.

use crate::config::Codec;
use crate::event::filtered::FileFilters;
use crate::event::{flags, id, json};
use crate::ring::{Batch, LineRef};
use rdkafka::message::{Header, OwnedHeaders};

/// A message ready for `BaseRecord`: borrowed payload, optional headers.
pub struct Record<'a> {
    pub payload: &'a [u8],
    pub headers: Option<OwnedHeaders>,
}

/// Reuses one buffer for every JSON event.
#[derive(Default)]
pub struct Encoder {
    buffer: Vec<u8>,
}

impl Encoder {
    /// Encodes `line` of `batch` with the batch's codec; `None` when the file's filters dropped the event
    /// (it is not sent, and counts as delivered).
    pub fn encode<'a>(&'a mut self, batch: &'a Batch, line: &LineRef) -> Option<Record<'a>> {
        let source = &batch.source;
        if let Some(filters) = &source.filters {
            return self.encode_filtered(filters, batch, line);
        }
        Some(match source.codec {
            Codec::Json => {
                self.buffer.clear();
                json::encode(
                    &source.template,
                    &batch.timestamp.text,
                    source.uid,
                    line.offset,
                    batch.line(line),
                    line.flags,
                    &mut self.buffer,
                );
                Record {
                    payload: &self.buffer,
                    headers: None,
                }
            }
            Codec::Raw => {
                // Id and offset are written into stack buffers: no allocation per event.
                let event_id = id::EventId::new(source.uid, line.offset);
                let mut offset_digits = [0u8; 20];
                let offset = json::format_u64(line.offset, &mut offset_digits);
                let mut headers = OwnedHeaders::new_with_capacity(7)
                    .insert(Header {
                        key: "@timestamp",
                        value: Some(batch.timestamp.text.as_str()),
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
                if line.flags != 0 {
                    let names: Vec<&str> = flags::names(line.flags).collect();
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
                    payload: batch.line(line),
                    headers: Some(headers),
                }
            }
        })
    }

    /// The event of `line` built, filtered and written; kept out of line so that the unfiltered codecs
    /// above compile exactly as they did before filters existed.
    #[inline(never)]
    fn encode_filtered<'a>(
        &'a mut self,
        filters: &FileFilters,
        batch: &Batch,
        line: &LineRef,
    ) -> Option<Record<'a>> {
        let event = filters.filter(
            &batch.timestamp.text,
            batch.source.uid,
            line.offset,
            batch.line(line),
            line.flags,
        )?;
        self.buffer.clear();
        event.write_json(&mut self.buffer);
        Some(Record {
            payload: &self.buffer,
            headers: None,
        })
    }
}
