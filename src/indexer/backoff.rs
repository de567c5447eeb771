//! Capped exponential backoff with jitter, slept in short slices so that shutdown is never held up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The delays of one retry sequence: `initial`, doubling, at most `max`, each ±20 % jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    attempts: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            next: initial,
            max,
            attempts: 0,
        }
    }

    /// Retries so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The next delay (and advances).
    pub fn next_delay(&mut self) -> Duration {
        self.attempts += 1;
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // Jitter from the clock's low bits: enough to spread retries of several threads.
        let nanos = Instant::now().elapsed().subsec_nanos()
            ^ std::process::id().wrapping_mul(2_654_435_761);
        let per_mille = 800 + u64::from(nanos % 401);
        Duration::from_micros((base.as_micros() as u64).saturating_mul(per_mille) / 1000)
    }

    /// Sleeps the next delay; returns false early if `abandon` is set.
    pub fn sleep(&mut self, abandon: &AtomicBool) -> bool {
        let until = Instant::now() + self.next_delay();
        while Instant::now() < until {
            if abandon.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        !abandon.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<u128> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert!((80..=120).contains(&delays[0]), "{delays:?}");
        assert!((160..=240).contains(&delays[1]), "{delays:?}");
        assert!(
            delays[2..].iter().all(|d| (280..=420).contains(d)),
            "{delays:?}"
        );
        assert_eq!(b.attempts(), 5);
    }
}
