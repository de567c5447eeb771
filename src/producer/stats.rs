//! Producer counters for status reports and metrics.

use std::sync::atomic::{AtomicU64, Ordering};

/// Totals since start.
#[derive(Debug, Default)]
pub struct ProducerStats {
    sent: AtomicU64,
    acked: AtomicU64,
    failed: AtomicU64,
    client_errors: AtomicU64,
    filtered_out: AtomicU64,
}

impl ProducerStats {
    pub fn sent(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
    }
    pub fn acked(&self, n: u64) {
        self.acked.fetch_add(n, Ordering::Relaxed);
    }
    pub fn failed(&self, n: u64) {
        self.failed.fetch_add(n, Ordering::Relaxed);
    }
    /// Events a `drop` filter dropped (acknowledged without being sent).
    pub fn filtered_out(&self, n: u64) {
        self.filtered_out.fetch_add(n, Ordering::Relaxed);
    }
    pub fn filtered_out_total(&self) -> u64 {
        self.filtered_out.load(Ordering::Relaxed)
    }
    pub fn client_error(&self) {
        self.client_errors.fetch_add(1, Ordering::Relaxed);
    }
    /// (sent, acked, failed, client errors).
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.acked.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.client_errors.load(Ordering::Relaxed),
        )
    }
}
