//! Read positions another agent recorded (Logstash's sincedb, Filebeat's registry), used once: when the
//! file server first sees a file in an entry's first scan and logpipe has no checkpoint for it, it starts
//! where the old agent stopped — neither losing what the old agent had not shipped nor sending again what it
//! had. Files that appear later are new files and start per `start_at`.
//!
//! A position is used only when it fits the file: same device and inode, the file at least as long as the
//! position, and the file not created after the old agent last saw that inode (an inode reused by another
//! file). Otherwise the file starts per `start_at`, and why is logged.
//!
//! The tailer knows nothing of the old agents' formats: `crate::migrate` reads them into `OldPositions`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Creation times within this much after the old agent's last sight still count as the same file (clocks
/// and timestamp precision).
const CLOCK_SLACK: Duration = Duration::from_secs(2);

/// One old agent's position for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldPosition {
    /// Bytes the old agent had shipped.
    pub offset: u64,
    /// When the old agent last saw the file, if it recorded it.
    pub last_active: Option<SystemTime>,
    /// Where the position came from, for the log (`logstash sincedb /var/lib/…/.sincedb_x line 3`).
    pub origin: String,
}

/// What to do with a file on first sight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption<'a> {
    /// Start at `offset`, the old agent's position.
    Adopt { offset: u64, origin: &'a str },
    /// An old position exists but does not fit the file.
    Refuse { origin: &'a str, reason: String },
}

/// Old positions by (device, inode).
#[derive(Debug, Clone, Default)]
pub struct OldPositions {
    by_file: HashMap<(u64, u64), OldPosition>,
}

impl OldPositions {
    /// Adds a position; a later one for the same file (a newer registry record) replaces it.
    pub fn insert(&mut self, dev: u64, ino: u64, position: OldPosition) {
        self.by_file.insert((dev, ino), position);
    }

    /// Forgets the position of a file (a registry `remove`).
    pub fn remove(&mut self, dev: u64, ino: u64) {
        self.by_file.remove(&(dev, ino));
    }

    pub fn len(&self) -> usize {
        self.by_file.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }

    /// The decision for a file of `len` bytes created at `created`, or `None` without an old position.
    pub fn decide(
        &self,
        dev: u64,
        ino: u64,
        len: u64,
        created: Option<SystemTime>,
    ) -> Option<Adoption<'_>> {
        let old = self.by_file.get(&(dev, ino))?;
        let origin = old.origin.as_str();
        if old.offset > len {
            return Some(Adoption::Refuse {
                origin,
                reason: format!(
                    "the file has {len} bytes, fewer than the old position {}: it was truncated or is \
                     another file",
                    old.offset
                ),
            });
        }
        if let (Some(created), Some(seen)) = (created, old.last_active) {
            if created > seen + CLOCK_SLACK {
                return Some(Adoption::Refuse {
                    origin,
                    reason: "the file was created after the old agent last saw this inode: another file \
                             reuses it"
                        .into(),
                });
            }
        }
        Some(Adoption::Adopt {
            offset: old.offset,
            origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_used_only_when_they_fit() {
        let now = SystemTime::now();
        let mut p = OldPositions::default();
        p.insert(
            1,
            2,
            OldPosition {
                offset: 100,
                last_active: Some(now),
                origin: "o".into(),
            },
        );
        assert_eq!(p.decide(1, 3, 500, None), None);
        assert_eq!(
            p.decide(1, 2, 500, Some(now - Duration::from_secs(60))),
            Some(Adoption::Adopt {
                offset: 100,
                origin: "o"
            })
        );
        assert!(matches!(
            p.decide(1, 2, 50, None),
            Some(Adoption::Refuse { reason, .. }) if reason.contains("fewer than")
        ));
        assert!(matches!(
            p.decide(1, 2, 500, Some(now + Duration::from_secs(60))),
            Some(Adoption::Refuse { reason, .. }) if reason.contains("reuses")
        ));
        p.remove(1, 2);
        assert!(p.is_empty());
    }
}
