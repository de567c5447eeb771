//! Counters the tailers keep for status reports and metrics.

use std::sync::atomic::{AtomicU64, Ordering};

/// Totals since start; updated with relaxed atomics on the hot path.
#[derive(Debug, Default)]
pub struct TailStats {
    lines: AtomicU64,
    bytes: AtomicU64,
    files: AtomicU64,
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
    /// Files open now.
    pub fn files(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }
}
