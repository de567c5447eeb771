//! The store's flood-stage block: Elasticsearch's `read_only_allow_delete` block of a full disk.
//!
//! One per data directory (every index lives on that file system). It is set when a write finds the disk
//! full — `ENOSPC` / `EDQUOT` from the translog (append, sync, roll) or from tantivy (indexing, commit) —
//! or when the refresher sees the free space fall under [`Watermarks::flood_stage`]. While it is set,
//! `_bulk` refuses every action with ES's 429 `cluster_block_exception` (clients retry a 429), the
//! refresher stops trying to commit, and searches go on over what is committed. Nothing acknowledged is
//! lost: an acknowledged write is in the translog, and the translog is replayed into every commit.
//!
//! The refresher lifts the block by itself ([`crate::index::refresher`]) once the free space is back over
//! [`Watermarks::release`] and every index has committed what it holds (so the disk has just taken a
//! commit), as ES releases the block once the disk is under its high watermark again. No restart.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Free-space thresholds of the block, in bytes available to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// Under this the block is set before a write fails (ES: the flood-stage watermark).
    pub flood_stage: u64,
    /// The block is lifted only with at least this much free (ES: under the high watermark).
    pub release: u64,
}

impl Default for Watermarks {
    fn default() -> Watermarks {
        Watermarks {
            flood_stage: 4 << 20,
            release: 16 << 20,
        }
    }
}

/// Whether the store's disk is blocked for writes, and the thresholds that set and lift it.
pub struct DiskBlock {
    data_dir: PathBuf,
    blocked: AtomicBool,
    watermarks: Watermarks,
}

impl DiskBlock {
    /// An unblocked disk holding `data_dir`.
    pub fn new(data_dir: &Path, watermarks: Watermarks) -> DiskBlock {
        DiskBlock {
            data_dir: data_dir.to_path_buf(),
            blocked: AtomicBool::new(false),
            watermarks,
        }
    }

    /// Whether writes are refused.
    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::SeqCst)
    }

    /// Refuses writes from now on; `why` is logged when the block starts.
    pub fn block(&self, why: &dyn std::fmt::Display) {
        if !self.blocked.swap(true, Ordering::SeqCst) {
            log::error!(
                "store: the disk of {} is full ({why}); writes are refused with 429 \
                 cluster_block_exception until space is freed",
                self.data_dir.display()
            );
        }
    }

    /// Sets the block when `err` is a full disk; returns whether it was.
    pub fn block_if_full(&self, err: &(dyn Error + 'static)) -> bool {
        let full = is_disk_full(err);
        if full {
            self.block(&err);
        }
        full
    }

    /// Takes writes again.
    pub fn release(&self) {
        if self.blocked.swap(false, Ordering::SeqCst) {
            log::info!(
                "store: the disk of {} has space again; writes are accepted",
                self.data_dir.display()
            );
        }
    }

    /// Bytes the store may still write on its file system (`None`: unknown).
    pub fn available(&self) -> Option<u64> {
        fs4::available_space(&self.data_dir).ok()
    }

    /// Whether the free space is under the flood stage (unknown space is not).
    pub fn under_flood_stage(&self) -> bool {
        self.available()
            .is_some_and(|free| free < self.watermarks.flood_stage)
    }

    /// Whether there is room enough to lift the block (unknown space is: the commits then decide).
    pub fn may_release(&self) -> bool {
        self.available()
            .is_none_or(|free| free >= self.watermarks.release)
    }
}

/// Whether `err`, or an error it was caused by, is a full disk or an exhausted quota.
pub fn is_disk_full(err: &(dyn Error + 'static)) -> bool {
    let mut cur: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // tantivy keeps its io::Error without exposing it as the source.
        let io = e.downcast_ref::<std::io::Error>().or_else(|| {
            match e.downcast_ref::<tantivy::TantivyError>()? {
                tantivy::TantivyError::IoError(io) => Some(io.as_ref()),
                tantivy::TantivyError::OpenWriteError(
                    tantivy::directory::error::OpenWriteError::IoError { io_error, .. },
                ) => Some(io_error.as_ref()),
                _ => None,
            }
        });
        if io.is_some_and(io_is_disk_full) {
            return true;
        }
        cur = e.source();
    }
    false
}

fn io_is_disk_full(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || err
        .get_ref()
        .is_some_and(|inner| is_disk_full(inner as &(dyn Error + 'static)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_recognised_through_wrappers() {
        let enospc = std::io::Error::from_raw_os_error(28);
        assert!(is_disk_full(&enospc));
        let edquot = std::io::Error::from_raw_os_error(122);
        assert!(is_disk_full(&edquot));
        let wrapped = std::io::Error::other(std::io::Error::from_raw_os_error(28));
        assert!(is_disk_full(&wrapped));
        let tantivy = tantivy::TantivyError::from(std::io::Error::from_raw_os_error(28));
        assert!(is_disk_full(&tantivy));
        assert!(!is_disk_full(&std::io::Error::from_raw_os_error(5)));
    }
}
