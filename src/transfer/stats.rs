//! Transfer counters (messages consumed, decoded straight to the dead letter, commits, partitions assigned)
//! for the status line; the indexer's own counters live in `indexer::IndexerStats`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct TransferStats {
    consumed: AtomicU64,
    undecodable: AtomicU64,
    commits: AtomicU64,
    assigned: AtomicU64,
    polls: AtomicU64,
}

impl TransferStats {
    /// One message read; `dead` when it went straight to the dead letter (oversized, no index name).
    pub fn consumed(&self, dead: bool) {
        self.consumed.fetch_add(1, Ordering::Relaxed);
        if dead {
            self.undecodable.fetch_add(1, Ordering::Relaxed);
        }
    }
    /// One iteration of a consumer's poll loop (a liveness signal for the watchdog).
    pub fn polled(&self) {
        self.polls.fetch_add(1, Ordering::Relaxed);
    }
    /// Iterations of the consumers' poll loops since start.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }
    pub fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }
    /// The latest assignment's size (of any consumer of this process).
    pub fn assigned(&self, partitions: usize) {
        self.assigned.store(partitions as u64, Ordering::Relaxed);
    }
    /// (consumed, undecodable, commits, partitions assigned).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        (
            self.consumed.load(Ordering::Relaxed),
            self.undecodable.load(Ordering::Relaxed),
            self.commits.load(Ordering::Relaxed),
            self.assigned.load(Ordering::Relaxed),
        )
    }
}
