//! Counters the tailers keep for status reports and metrics.

use parking_lot::Mutex;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// One open file, as status reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileStatus {
    pub path: String,
    /// Bytes read so far.
    pub offset: u64,
    /// Bytes acknowledged by the destination (what the checkpoint holds).
    pub acked_offset: u64,
    pub size: u64,
    /// Bytes not yet acknowledged: `size - acked_offset`.
    pub lag_bytes: u64,
}

/// Why checkpoints cannot be written right now (a full or read-only disk), as status reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointFailure {
    pub error: String,
    /// When the first write of this run of failures failed (RFC 3339).
    pub since: String,
    /// Failed attempts since then.
    pub attempts: u64,
}

/// Totals since start; updated with relaxed atomics on the hot path. The per-file list is refreshed by the
/// file server once per poll interval.
#[derive(Debug, Default)]
pub struct TailStats {
    lines: AtomicU64,
    bytes: AtomicU64,
    files: AtomicU64,
    file_list: Mutex<Vec<FileStatus>>,
    checkpoint_failures: AtomicU64,
    checkpoint_failing: Mutex<Option<CheckpointFailure>>,
    positions_adopted: AtomicU64,
    positions_refused: AtomicU64,
    passes: AtomicU64,
}

impl TailStats {
    /// A file started at the read position of the agent logpipe replaces.
    pub fn position_adopted(&self) {
        self.positions_adopted.fetch_add(1, Ordering::Relaxed);
    }
    /// An old read position did not fit its file.
    pub fn position_refused(&self) {
        self.positions_refused.fetch_add(1, Ordering::Relaxed);
    }
    /// (adopted, refused) old read positions since start.
    pub fn positions(&self) -> (u64, u64) {
        (
            self.positions_adopted.load(Ordering::Relaxed),
            self.positions_refused.load(Ordering::Relaxed),
        )
    }
    pub fn add_lines(&self, n: u64) {
        self.lines.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
    pub fn set_files(&self, n: usize) {
        self.files.store(n as u64, Ordering::Relaxed);
    }
    /// One iteration of the file server's loop finished (a liveness signal for the watchdog).
    pub fn add_pass(&self) {
        self.passes.fetch_add(1, Ordering::Relaxed);
    }
    /// Iterations of the file server's loop since start.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }
    /// Events emitted since start.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }
    /// Bytes read since start.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Replaces the per-file list.
    pub fn set_file_list(&self, list: Vec<FileStatus>) {
        *self.file_list.lock() = list;
    }
    /// The per-file list as of the last poll.
    pub fn file_list(&self) -> Vec<FileStatus> {
        self.file_list.lock().clone()
    }
    /// Files open now.
    pub fn files(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }

    /// Records the outcome of a checkpoint write. A failure is logged when writes start failing and a
    /// recovery when they work again, not on every attempt (a full disk would fill the log too).
    pub fn record_checkpoint_write(
        &self,
        result: &Result<bool, super::checkpoint::CheckpointError>,
    ) {
        let mut failing = self.checkpoint_failing.lock();
        match (result, failing.as_mut()) {
            (Ok(_), None) => {}
            (Ok(_), Some(failure)) => {
                log::info!(
                    "checkpoints written again, after {} failed attempts since {}",
                    failure.attempts,
                    failure.since
                );
                *failing = None;
            }
            (Err(e), Some(failure)) => {
                self.checkpoint_failures.fetch_add(1, Ordering::Relaxed);
                failure.attempts += 1;
                failure.error = format!("{e:#}");
            }
            (Err(e), None) => {
                self.checkpoint_failures.fetch_add(1, Ordering::Relaxed);
                let error = format!("{e:#}");
                log::error!(
                    "{error}; positions stay in memory and the write is retried (logged again when it \
                     works); files opened meanwhile wait until their identity is on disk"
                );
                *failing = Some(CheckpointFailure {
                    error,
                    since: crate::event::timestamp::now(),
                    attempts: 1,
                });
            }
        }
    }
    /// Failed checkpoint writes since start.
    pub fn checkpoint_failures(&self) -> u64 {
        self.checkpoint_failures.load(Ordering::Relaxed)
    }
    /// Why checkpoints cannot be written, while they cannot.
    pub fn checkpoint_failing(&self) -> Option<CheckpointFailure> {
        self.checkpoint_failing.lock().clone()
    }
}
