//! A batch: consecutive events of one file, their bytes in one buffer, and what to acknowledge when delivered.

use super::ack::AckHandle;
use crate::config::Codec;
use crate::event::filtered::FileFilters;
use crate::event::id::FileUid;
use crate::event::json::JsonTemplate;
use crate::event::timestamp::Stamp;
use std::sync::Arc;

/// What every event of one file generation shares: where it goes and how it is encoded.
#[derive(Debug, Clone)]
pub struct FileSource {
    /// Path of the file when it was opened.
    pub path: String,
    pub host: String,
    /// Kafka topic (agent) or index name prefix (standalone).
    pub topic: String,
    pub codec: Codec,
    pub uid: FileUid,
    /// Kafka message key: stable per file (host, device, inode) so its lines stay in one partition, in order.
    pub key: String,
    /// Static `fields`, pre-rendered as JSON for the raw codec's header.
    pub fields_json: Option<String>,
    pub template: JsonTemplate,
    /// The entry's filters (json codec only). `None`: events are encoded by `template` and no filterable
    /// event is ever built for them.
    pub filters: Option<FileFilters>,
}

/// One event inside `Batch::data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRef {
    /// Byte offset of the event's first byte in the file.
    pub offset: u64,
    pub start: u32,
    pub len: u32,
    /// `event::flags` bits.
    pub flags: u8,
}

/// Consecutive events of one file.
#[derive(Debug)]
pub struct Batch {
    pub source: Arc<FileSource>,
    /// The moment the bytes were read: every event's `@timestamp` (`text`), and the Kafka timestamp of the
    /// batch's messages (`millis`; given, so librdkafka does not read the clock for each message).
    pub timestamp: Stamp,
    pub data: Vec<u8>,
    pub lines: Vec<LineRef>,
    /// Settles the batch for the checkpoint once every event is delivered.
    pub ack: AckHandle,
}

impl Batch {
    /// The bytes of one event.
    #[inline]
    pub fn line(&self, line: &LineRef) -> &[u8] {
        &self.data[line.start as usize..(line.start + line.len) as usize]
    }

    /// Total bytes of the events.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }
}
