//! Checkpoints: where each file's delivered lines end, persisted in `data_dir/checkpoints.json`.
//!
//! # Protocol
//! 1. A tailer that opens a file looks up its identity `(dev, ino, fingerprint)` here (`claim`); a match resumes
//!    at the stored offset with the stored uid (so event ids stay the same), otherwise the file gets a new uid.
//! 2. While the file is read, its `FileAck` (see `ring::ack`) advances `acked_offset` over batches the
//!    destination acknowledged, in order.
//! 3. The checkpoint thread calls `write` every `checkpoint_interval` and once at shutdown: it snapshots every
//!    live file's `acked_offset` and writes the whole set atomically (temp file, fsync, rename, fsync of the
//!    directory). A crash at any moment leaves the previous or the new file, never a torn one.
//! 4. After `kill -9` the agent resumes from offsets that were all acknowledged: lines after them are sent
//!    again (at-least-once) with the same ids, so an index overwrites instead of duplicating.
//!
//! Files that stop being tailed keep their checkpoint (an entry removed from the config may come back) unless
//! the file was deleted; checkpoints not seen for `RETENTION` are pruned.
//!
//! # Format (version 1)
//! `{"version":1,"checkpoints":[{"dev":..,"ino":..,"fingerprint":"hex","fingerprint_len":..,"uid":"hex",
//! "ids":"uid_offset","path":"..","offset":..,"updated":unix_seconds}]}`
//!
//! `ids` is the generation's event-id scheme (`event::id::IdScheme`). It was added inside version 1: an entry
//! without it was written before the scheme existed and keeps the hashed ids its lines were sent with, and
//! an older agent reading a newer file ignores it (its ids then differ for lines it sends again).

use crate::event::id::{FileUid, IdScheme};
use crate::ring::FileAck;
use crate::tail::fingerprint::Fingerprint;
use logpipe_fs::write_atomically;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Version tag of the on-disk format.
pub const FORMAT_VERSION: u32 = 1;
pub const FILE_NAME: &str = "checkpoints.json";
/// Checkpoints of files not seen for this long are dropped.
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// One file's persisted position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    pub dev: u64,
    pub ino: u64,
    pub fingerprint: String,
    pub fingerprint_len: u32,
    pub uid: String,
    /// How the generation's event ids are written; absent (hashed) in entries of agents before the scheme.
    #[serde(default, skip_serializing_if = "IdScheme::is_hashed")]
    pub ids: IdScheme,
    pub path: String,
    pub offset: u64,
    pub updated: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    checkpoints: Vec<FileCheckpoint>,
}

/// Identity key of a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    pub fingerprint: Fingerprint,
}

impl FileIdentity {
    fn of(cp: &FileCheckpoint) -> Option<FileIdentity> {
        let hash = u64::from_str_radix(&cp.fingerprint, 16).ok()?;
        Some(FileIdentity {
            dev: cp.dev,
            ino: cp.ino,
            fingerprint: Fingerprint {
                hash,
                len: cp.fingerprint_len,
            },
        })
    }
}

struct Live {
    identity: FileIdentity,
    uid: FileUid,
    path: String,
    ack: Arc<FileAck>,
    /// The offset in the last checkpoint file written (or claimed from).
    written: u64,
    /// The uid is in the checkpoint file on disk: after a crash the file resumes under it.
    on_disk: bool,
}

#[derive(Default)]
struct Registry {
    /// Files were tracked, untracked or claimed since the last write.
    changed: bool,
    /// Checkpoints of files not currently tailed.
    resting: HashMap<FileIdentity, FileCheckpoint>,
    /// Files being tailed, by uid.
    live: HashMap<FileUid, Live>,
}

/// The checkpoint store of one agent.
pub struct Checkpointer {
    path: PathBuf,
    registry: Mutex<Registry>,
    /// Tests: every write fails with ENOSPC, as on a full disk.
    #[cfg(test)]
    pub(crate) disk_full: std::sync::atomic::AtomicBool,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Why the checkpoint file cannot be read or written; each names the file (or the data directory).
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot create data_dir {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read checkpoint file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint file {} is not valid JSON: {source}", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("checkpoint file {} has version {version}, this logpipe reads version {FORMAT_VERSION}", path.display())]
    Version { path: PathBuf, version: u32 },
    #[error("cannot encode the checkpoints: {0}")]
    Encode(serde_json::Error),
    #[error("cannot write checkpoint file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Checkpointer {
    /// Loads `data_dir/checkpoints.json` (creating `data_dir`); a file of another version or unreadable JSON is
    /// an error naming the file, never silently discarded (that would resend every file with new ids).
    pub fn open(data_dir: &Path) -> Result<Checkpointer, CheckpointError> {
        fs::create_dir_all(data_dir).map_err(|source| CheckpointError::CreateDir {
            dir: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(FILE_NAME);
        let mut registry = Registry::default();
        match fs::read(&path) {
            Ok(bytes) => {
                let on_disk: OnDisk =
                    serde_json::from_slice(&bytes).map_err(|source| CheckpointError::NotJson {
                        path: path.clone(),
                        source,
                    })?;
                if on_disk.version != FORMAT_VERSION {
                    return Err(CheckpointError::Version {
                        path,
                        version: on_disk.version,
                    });
                }
                let oldest = unix_now().saturating_sub(RETENTION.as_secs());
                for cp in on_disk
                    .checkpoints
                    .into_iter()
                    .filter(|cp| cp.updated >= oldest)
                {
                    if let Some(identity) = FileIdentity::of(&cp) {
                        registry.resting.insert(identity, cp);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(CheckpointError::Read { path, source }),
        }
        Ok(Checkpointer {
            path,
            registry: Mutex::new(registry),
            #[cfg(test)]
            disk_full: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Takes the stored checkpoint of `identity`, if any: (uid, offset).
    pub fn claim(&self, identity: &FileIdentity) -> Option<(FileUid, u64)> {
        let mut registry = self.registry.lock();
        let cp = registry.resting.remove(identity)?;
        registry.changed = true;
        FileUid::from_hex(&cp.uid, cp.ids).map(|uid| (uid, cp.offset))
    }

    /// Starts persisting the progress of a tailed file. `on_disk`: its uid came from the checkpoint file
    /// (`claim`), so it is there already; a new uid is on disk after the next successful `write`.
    pub fn track(
        &self,
        identity: FileIdentity,
        uid: FileUid,
        path: &str,
        ack: Arc<FileAck>,
        on_disk: bool,
    ) {
        let mut registry = self.registry.lock();
        registry.changed = true;
        registry.live.insert(
            uid,
            Live {
                identity,
                uid,
                path: path.to_string(),
                written: u64::MAX,
                ack,
                on_disk,
            },
        );
    }

    /// Whether `uid` is in the checkpoint file on disk. Until it is, no event of the file may leave: after a
    /// crash the file would be read again under a new uid, and every line would get a second id.
    pub fn is_on_disk(&self, uid: FileUid) -> bool {
        self.registry
            .lock()
            .live
            .get(&uid)
            .is_some_and(|live| live.on_disk)
    }

    /// Stops tracking `uid`; its last acknowledged offset is kept for a later `claim` unless `forget`.
    pub fn untrack(&self, uid: FileUid, forget: bool) {
        let mut registry = self.registry.lock();
        registry.changed = true;
        if let Some(live) = registry.live.remove(&uid) {
            if !forget {
                let cp = Self::snapshot(&live, unix_now());
                registry.resting.insert(live.identity, cp);
            }
        }
    }

    fn write_file(&self, body: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if self.disk_full.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
        }
        write_atomically(&self.path, body)
    }

    fn snapshot(live: &Live, now: u64) -> FileCheckpoint {
        FileCheckpoint {
            dev: live.identity.dev,
            ino: live.identity.ino,
            fingerprint: format!("{:016x}", live.identity.fingerprint.hash),
            fingerprint_len: live.identity.fingerprint.len,
            uid: live.uid.to_hex(),
            ids: live.uid.ids,
            path: live.path.clone(),
            offset: live.ack.acked_offset(),
            updated: now,
        }
    }

    /// Writes the checkpoint file if any offset changed since the last write. Returns whether it wrote.
    /// Deciding that nothing changed allocates nothing, so an idle agent's checkpoint thread costs ~0.
    ///
    /// When the write fails (a full disk) the previous file stays as it was, the offsets stay in memory
    /// (each `FileAck`), and the next call writes again even if nothing moved.
    pub fn write(&self) -> Result<bool, CheckpointError> {
        let mut uids = Vec::new();
        let mut current = {
            let mut registry = self.registry.lock();
            let changed = registry.changed
                || registry
                    .live
                    .values()
                    .any(|live| live.ack.acked_offset() != live.written);
            if !changed {
                return Ok(false);
            }
            registry.changed = false;
            let now = unix_now();
            let mut all: Vec<FileCheckpoint> = registry.resting.values().cloned().collect();
            for live in registry.live.values_mut() {
                let cp = Self::snapshot(live, now);
                live.written = cp.offset;
                all.push(cp);
                if !live.on_disk {
                    uids.push(live.uid);
                }
            }
            all
        };
        current.sort_by(|a, b| (&a.path, a.ino).cmp(&(&b.path, b.ino)));
        let body = serde_json::to_vec(&OnDisk {
            version: FORMAT_VERSION,
            checkpoints: current,
        })
        .map_err(CheckpointError::Encode)?;
        let written = self
            .write_file(&body)
            .map_err(|source| CheckpointError::Write {
                path: self.path.clone(),
                source,
            });
        let mut registry = self.registry.lock();
        match written {
            Ok(()) => {
                for uid in uids {
                    if let Some(live) = registry.live.get_mut(&uid) {
                        live.on_disk = true;
                    }
                }
                Ok(true)
            }
            Err(e) => {
                // Try again at the next interval even if no offset moves.
                registry.changed = true;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_uid_and_acked_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let identity = FileIdentity {
            dev: 1,
            ino: 2,
            fingerprint: Fingerprint {
                hash: 0xabc,
                len: 10,
            },
        };
        let uid = FileUid::new("h", 1, 2, 0xabc, 99);
        {
            let cp = Checkpointer::open(dir.path()).expect("open");
            let ack = FileAck::new(0);
            cp.track(identity, uid, "/var/log/a.log", ack.clone(), false);
            assert!(!cp.is_on_disk(uid), "a new uid is not on disk yet");
            ack.register(100, 1).delivered(1);
            let later = ack.register(200, 1);
            let _unacked = ack.register(300, 1);
            assert!(cp.write().expect("write"));
            assert!(cp.is_on_disk(uid), "written");
            assert!(!cp.write().expect("write"), "nothing changed");
            later.delivered(1);
            assert!(
                cp.write().expect("write"),
                "an acknowledged batch is a change"
            );
            assert!(!cp.write().expect("write"), "nothing changed");
        }
        let cp = Checkpointer::open(dir.path()).expect("reopen");
        assert_eq!(
            cp.claim(&identity),
            Some((uid, 200)),
            "only acknowledged bytes are checkpointed"
        );
        assert_eq!(cp.claim(&identity), None, "claimed once");
    }

    #[test]
    fn an_entry_without_ids_keeps_the_hashed_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uid = "0123456789abcdeffedcba9876543210";
        let updated = unix_now();
        let entry = |ids: &str| {
            format!(
                r#"{{"dev":1,"ino":2,"fingerprint":"0000000000000abc","fingerprint_len":10,"uid":"{uid}",{ids}"path":"/a","offset":5,"updated":{updated}}}"#
            )
        };
        fs::write(
            dir.path().join(FILE_NAME),
            format!(
                r#"{{"version":1,"checkpoints":[{},{}]}}"#,
                entry(""),
                entry(r#""ids":"uid_offset","#).replace(r#""ino":2"#, r#""ino":3"#)
            ),
        )
        .expect("write");
        let cp = Checkpointer::open(dir.path()).expect("open");
        let identity = |ino| FileIdentity {
            dev: 1,
            ino,
            fingerprint: Fingerprint {
                hash: 0xabc,
                len: 10,
            },
        };
        let value = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
        assert_eq!(
            cp.claim(&identity(2)),
            Some((FileUid::with_ids(value, IdScheme::Hashed), 5))
        );
        assert_eq!(
            cp.claim(&identity(3)),
            Some((FileUid::with_ids(value, IdScheme::UidOffset), 5))
        );
    }

    #[test]
    fn unknown_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(
            dir.path().join(FILE_NAME),
            br#"{"version":9,"checkpoints":[]}"#,
        )
        .expect("write");
        let err = Checkpointer::open(dir.path()).err().expect("refused");
        assert!(format!("{err:#}").contains("version 9"));
        assert!(
            matches!(&err, CheckpointError::Version { path, version: 9 } if *path == dir.path().join(FILE_NAME)),
            "{err:?}"
        );
    }
}
