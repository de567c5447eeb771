//! Indexer counters for status lines and benchmarks: documents indexed / dead-lettered, requests, retries,
//! and `_bulk` latency (sum, count, max, and a histogram for its p99).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::latency_histogram::LatencyHistogram;

/// Totals since start, shared by every indexer thread.
#[derive(Debug, Default)]
pub struct IndexerStats {
    indexed: AtomicU64,
    dead_lettered: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    abandoned_batches: AtomicU64,
    latency_micros_sum: AtomicU64,
    latency_micros_max: AtomicU64,
    latency: LatencyHistogram,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexerTotals {
    pub indexed: u64,
    pub dead_lettered: u64,
    pub requests: u64,
    pub retries: u64,
    pub abandoned_batches: u64,
    pub latency_micros_sum: u64,
    pub latency_micros_max: u64,
    /// The 99th percentile of the `_bulk` latencies (within 10 %, at most the slowest).
    pub latency_micros_p99: u64,
}

impl IndexerStats {
    pub fn indexed(&self, n: u64) {
        self.indexed.fetch_add(n, Ordering::Relaxed);
    }
    pub fn dead_lettered(&self, n: u64) {
        self.dead_lettered.fetch_add(n, Ordering::Relaxed);
    }
    pub fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub fn abandoned(&self) {
        self.abandoned_batches.fetch_add(1, Ordering::Relaxed);
    }
    /// One `_bulk` round trip (successful or not).
    pub fn request(&self, latency: Duration) {
        let micros = latency.as_micros() as u64;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.latency_micros_sum.fetch_add(micros, Ordering::Relaxed);
        self.latency_micros_max.fetch_max(micros, Ordering::Relaxed);
        self.latency.record(latency);
    }
    pub fn totals(&self) -> IndexerTotals {
        let latency_micros_max = self.latency_micros_max.load(Ordering::Relaxed);
        IndexerTotals {
            indexed: self.indexed.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            abandoned_batches: self.abandoned_batches.load(Ordering::Relaxed),
            latency_micros_sum: self.latency_micros_sum.load(Ordering::Relaxed),
            latency_micros_max,
            // A bucket's bound may lie above the slowest request itself.
            latency_micros_p99: self.latency.quantile_micros(0.99).min(latency_micros_max),
        }
    }
}

impl IndexerTotals {
    /// Mean `_bulk` latency in milliseconds.
    pub fn mean_latency_ms(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.latency_micros_sum as f64 / self.requests as f64 / 1000.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_p99_is_never_above_the_slowest_request() {
        let stats = IndexerStats::default();
        for _ in 0..10 {
            stats.request(Duration::from_millis(360));
        }
        let totals = stats.totals();
        assert_eq!(totals.latency_micros_max, 360_000);
        assert_eq!(totals.latency_micros_p99, 360_000);
    }
}
