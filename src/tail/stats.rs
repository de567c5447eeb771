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

/// Totals since start; updated with relaxed atomics on the hot path. The per-file list is refreshed by the
/// file server once per poll interval.
#[derive(Debug, Default)]
pub struct TailStats {
    lines: AtomicU64,
    bytes: AtomicU64,
    files: AtomicU64,
    file_list: Mutex<Vec<FileStatus>>,
}

impl TailStats {
    pub fn add_lines(&self, n: u64) {
        self.lines.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
    pub fn set_files(&self, n: usize) {
        self.files.store(n as u64, Ordering::Relaxed);
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
}
