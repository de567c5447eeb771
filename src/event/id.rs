//! Deterministic event ids.
//!
//! A file's `uid` is a 128-bit hash of host, device, inode, content fingerprint and the moment the agent first
//! saw that generation of the file; it is persisted in the checkpoint so it survives restarts, and a new one is
//! drawn whenever the file is truncated or replaced. An event id is made of (uid, byte offset): the same line
//! always gets the same id (replays overwrite the same document), and lines of different files or
//! generations never share one.
//!
//! How the pair is written is the generation's `IdScheme`, chosen when its uid is drawn and kept with the uid
//! in the checkpoint:
//! - `UidOffset` (every generation first seen by this version): `<uid: 32 hex digits>-<offset: 16 hex
//!   digits>`. The ids of one file share their first 40-odd characters and grow with the offset. That is
//!   what Elasticsearch asks of ids chosen by the client (sequential, not random: they compress and are
//!   looked up fast), and it is what LZ4 can compress in a Kafka batch: the hashed id below was the one
//!   incompressible part of an event (32 random hex digits; perf/RESULTS.md, issue 28).
//! - `Hashed` (generations whose checkpoint was written before): 32 hex digits of xxh3-128(uid, offset).
//!   Kept so a line sent again after an upgrade lands on the document it made before.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

/// How the event ids of one file generation are written (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdScheme {
    /// xxh3-128 of (uid, offset) as 32 hex digits: generations first seen before `UidOffset` existed (a
    /// checkpoint entry without `ids`).
    #[default]
    Hashed,
    /// `<uid>-<offset>` in hex, 49 characters.
    UidOffset,
}

impl IdScheme {
    /// Whether this is the scheme of checkpoint entries that do not name one.
    pub fn is_hashed(&self) -> bool {
        *self == IdScheme::Hashed
    }
}

/// Identity of one generation of one file, and how its event ids are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileUid {
    pub value: u128,
    pub ids: IdScheme,
}

impl FileUid {
    /// A fresh uid for the file `(dev, ino, fingerprint)` on `host`, first seen at `seen_nanos`; its events
    /// get `UidOffset` ids.
    pub fn new(host: &str, dev: u64, ino: u64, fingerprint: u64, seen_nanos: u128) -> FileUid {
        let mut bytes = Vec::with_capacity(host.len() + 40);
        bytes.extend_from_slice(host.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&dev.to_le_bytes());
        bytes.extend_from_slice(&ino.to_le_bytes());
        bytes.extend_from_slice(&fingerprint.to_le_bytes());
        bytes.extend_from_slice(&seen_nanos.to_le_bytes());
        FileUid::with_ids(xxh3_128(&bytes), IdScheme::UidOffset)
    }

    /// The uid `value` whose events get ids by `ids`.
    pub const fn with_ids(value: u128, ids: IdScheme) -> FileUid {
        FileUid { value, ids }
    }

    /// The value as 32 lowercase hex digits (the scheme is stored beside it).
    pub fn to_hex(self) -> String {
        format!("{:032x}", self.value)
    }

    /// Parses what `to_hex` wrote, for a generation whose ids are written by `ids`.
    pub fn from_hex(text: &str, ids: IdScheme) -> Option<FileUid> {
        if text.len() != 32 {
            return None;
        }
        u128::from_str_radix(text, 16)
            .ok()
            .map(|value| FileUid::with_ids(value, ids))
    }
}

/// Longest event id of any scheme.
pub const MAX_EVENT_ID_LEN: usize = 49;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// One event's id, written into a stack buffer (no allocation per event).
#[derive(Clone, Copy)]
pub struct EventId {
    bytes: [u8; MAX_EVENT_ID_LEN],
    len: u8,
}

impl EventId {
    /// The id of the event at `offset` of the generation `uid`.
    #[inline]
    pub fn new(uid: FileUid, offset: u64) -> EventId {
        let mut bytes = [0u8; MAX_EVENT_ID_LEN];
        let len = match uid.ids {
            IdScheme::Hashed => {
                let mut input = [0u8; 24];
                input[..16].copy_from_slice(&uid.value.to_le_bytes());
                input[16..].copy_from_slice(&offset.to_le_bytes());
                write_hex(xxh3_128(&input), &mut bytes[..32]);
                32
            }
            IdScheme::UidOffset => {
                write_hex(uid.value, &mut bytes[..32]);
                bytes[32] = b'-';
                write_hex(u128::from(offset), &mut bytes[33..49]);
                49
            }
        };
        EventId {
            bytes,
            len: len as u8,
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The id as text (it is only ever hex digits and `-`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// Writes the low `4 * out.len()` bits of `value` as lowercase hex digits, most significant first.
#[inline]
fn write_hex(value: u128, out: &mut [u8]) {
    let last = out.len() - 1;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = HEX[((value >> (4 * (last - i))) & 0xf) as usize];
    }
}

/// The event id as a `String` (tests, the embedded store's `_id`).
pub fn event_id(uid: FileUid, offset: u64) -> String {
    EventId::new(uid, offset).as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = FileUid::new("h", 1, 2, 3, 4);
        assert_eq!(a, FileUid::new("h", 1, 2, 3, 4));
        let b = FileUid::new("h", 1, 2, 3, 5);
        assert_ne!(a, b, "a new generation of the same inode gets a new uid");
        let old_a = FileUid::with_ids(a.value, IdScheme::Hashed);
        assert_eq!(event_id(a, 10), event_id(a, 10));
        let ids: HashSet<String> = (0..1000)
            .flat_map(|o| [event_id(a, o), event_id(b, o), event_id(old_a, o)])
            .collect();
        assert_eq!(ids.len(), 3000);
        assert_eq!(FileUid::from_hex(&a.to_hex(), a.ids), Some(a));
    }

    #[test]
    fn the_schemes_write_what_they_promise() {
        let uid = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
        let new = FileUid::with_ids(uid, IdScheme::UidOffset);
        assert_eq!(
            event_id(new, 0x1f),
            "0123456789abcdeffedcba9876543210-000000000000001f"
        );
        assert_eq!(event_id(new, u64::MAX).len(), MAX_EVENT_ID_LEN);
        // The hashed ids of agents before the UidOffset scheme: this exact value must never change, or
        // lines re-sent after an upgrade would be indexed twice.
        let old = FileUid::with_ids(uid, IdScheme::Hashed);
        assert_eq!(event_id(old, 0x1f), HASHED_0X1F);
        assert_eq!(EventId::new(old, 0x1f).as_bytes().len(), 32);
    }

    /// `event_id` of uid 0x0123…3210 at offset 0x1f under the hashed scheme, as agents before 2026-12-05
    /// wrote it.
    const HASHED_0X1F: &str = "c8bad6377e62fcc9cb9929cd2e359723";
}
