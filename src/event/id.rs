//! Deterministic event ids.
//!
//! A file's `uid` is a 128-bit hash of host, device, inode, content fingerprint and the moment the agent first
//! saw that generation of the file; it is persisted in the checkpoint so it survives restarts, and a new one is
//! drawn whenever the file is truncated or replaced. An event id is the hash of (uid, byte offset), written as
//! 32 hex digits: the same line always gets the same id (replays overwrite the same document), and lines of
//! different files or generations never share one.

use xxhash_rust::xxh3::xxh3_128;

/// Identity of one generation of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileUid(pub u128);

impl FileUid {
    /// A fresh uid for the file `(dev, ino, fingerprint)` on `host`, first seen at `seen_nanos`.
    pub fn new(host: &str, dev: u64, ino: u64, fingerprint: u64, seen_nanos: u128) -> FileUid {
        let mut bytes = Vec::with_capacity(host.len() + 40);
        bytes.extend_from_slice(host.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&dev.to_le_bytes());
        bytes.extend_from_slice(&ino.to_le_bytes());
        bytes.extend_from_slice(&fingerprint.to_le_bytes());
        bytes.extend_from_slice(&seen_nanos.to_le_bytes());
        FileUid(xxh3_128(&bytes))
    }

    /// 32 lowercase hex digits.
    pub fn to_hex(self) -> String {
        format!("{:032x}", self.0)
    }

    /// Parses what `to_hex` wrote.
    pub fn from_hex(text: &str) -> Option<FileUid> {
        if text.len() != 32 {
            return None;
        }
        u128::from_str_radix(text, 16).ok().map(FileUid)
    }
}

/// Writes the 32-hex-digit id of the event at `offset` of file `uid` into `out`.
#[inline]
pub fn write_event_id(uid: FileUid, offset: u64, out: &mut [u8; 32]) {
    let mut input = [0u8; 24];
    input[..16].copy_from_slice(&uid.0.to_le_bytes());
    input[16..].copy_from_slice(&offset.to_le_bytes());
    let hash = xxh3_128(&input);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = (hash >> (124 - 4 * i)) & 0xf;
        *slot = HEX[nibble as usize];
    }
}

/// The event id as a `String` (tests, headers).
pub fn event_id(uid: FileUid, offset: u64) -> String {
    let mut out = [0u8; 32];
    write_event_id(uid, offset, &mut out);
    String::from_utf8_lossy(&out).into_owned()
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
        assert_eq!(event_id(a, 10), event_id(a, 10));
        let ids: HashSet<String> = (0..1000)
            .flat_map(|o| [event_id(a, o), event_id(b, o)])
            .collect();
        assert_eq!(ids.len(), 2000);
        assert_eq!(FileUid::from_hex(&a.to_hex()), Some(a));
    }
}
