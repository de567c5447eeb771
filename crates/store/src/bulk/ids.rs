//! `_id`s generated for documents sent without one.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;

/// Generates ES-like 20-character ids, unique within the process.
pub struct IdGen {
    seq: AtomicU64,
    salt: u64,
}

impl Default for IdGen {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        IdGen {
            seq: AtomicU64::new(0),
            salt: xxhash_rust::xxh3::xxh3_64(
                &[
                    nanos.to_le_bytes(),
                    u64::from(std::process::id()).to_le_bytes(),
                ]
                .concat(),
            ),
        }
    }
}

impl IdGen {
    /// A fresh id.
    pub fn next_id(&self) -> String {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let millis = chrono::Utc::now().timestamp_millis() as u64;
        let mut bytes = [0u8; 15];
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6..14].copy_from_slice(&self.salt.wrapping_add(seq).to_be_bytes());
        bytes[14] = (self.salt >> 56) as u8;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_20_chars() {
        let g = IdGen::default();
        let a = g.next_id();
        let b = g.next_id();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
