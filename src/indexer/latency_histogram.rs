//! `_bulk` round-trip latencies counted in buckets that grow by a tenth each ([`LatencyHistogram`]), so a
//! status line can say a percentile (the p99 of issue 22's benchmark) within 10 % without keeping every
//! sample. Lock-free: every indexer thread records into the same atomics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bound of the first bucket, in microseconds.
const FIRST_BOUND_MICROS: f64 = 100.0;
/// Each bucket's upper bound is this factor times the previous one.
const GROWTH: f64 = 1.1;
/// Buckets up to about 6.4 minutes (100 µs × 1.1^159); a slower request counts in the last one.
const BUCKETS: usize = 160;

/// Counts of latencies per bucket.
#[derive(Debug)]
pub struct LatencyHistogram {
    counts: [AtomicU64; BUCKETS],
}

impl Default for LatencyHistogram {
    fn default() -> LatencyHistogram {
        LatencyHistogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

fn upper_bound_micros(bucket: usize) -> f64 {
    FIRST_BOUND_MICROS * GROWTH.powi(bucket as i32)
}

fn bucket_of(micros: u64) -> usize {
    if micros as f64 <= FIRST_BOUND_MICROS {
        return 0;
    }
    let bucket = ((micros as f64 / FIRST_BOUND_MICROS).ln() / GROWTH.ln()).ceil() as usize;
    bucket.min(BUCKETS - 1)
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)].fetch_add(1, Ordering::Relaxed);
    }

    /// The latency at or under which `quantile` (0..=1) of the recorded ones lie, as the upper bound of
    /// its bucket (at most 10 % above the true value), in microseconds; 0 when nothing was recorded.
    pub fn quantile_micros(&self, quantile: f64) -> u64 {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound_micros(bucket).round() as u64;
            }
        }
        upper_bound_micros(BUCKETS - 1).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(LatencyHistogram::default().quantile_micros(0.99), 0);
    }

    #[test]
    fn the_p99_of_a_hundred_requests_is_the_slowest_but_one_within_a_tenth() {
        let h = LatencyHistogram::default();
        for n in 1..=100 {
            h.record(ms(n));
        }
        let p99 = h.quantile_micros(0.99);
        assert!((99_000..=99_000 * 11 / 10).contains(&p99), "p99 {p99} µs");
        let p50 = h.quantile_micros(0.5);
        assert!((50_000..=55_000).contains(&p50), "p50 {p50} µs");
    }

    #[test]
    fn one_slow_request_in_a_thousand_does_not_move_the_p99() {
        let h = LatencyHistogram::default();
        for _ in 0..999 {
            h.record(ms(60));
        }
        h.record(ms(5_000));
        assert!(h.quantile_micros(0.99) <= 66_000);
        assert!(h.quantile_micros(1.0) >= 5_000_000);
    }

    #[test]
    fn extremes_land_in_the_first_and_last_buckets() {
        let h = LatencyHistogram::default();
        h.record(Duration::ZERO);
        h.record(Duration::from_secs(100_000));
        assert_eq!(h.quantile_micros(0.0), 100);
        assert_eq!(
            h.quantile_micros(1.0),
            upper_bound_micros(BUCKETS - 1).round() as u64
        );
    }
}
