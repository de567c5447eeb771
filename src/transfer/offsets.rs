//! Which offsets may be committed: batches are settled out of order by several indexer threads, but a
//! partition's offset only moves past a message once every batch up to and including it is settled.
//!
//! Batches are registered in the order the consumer built them, each with the highest offset it holds per
//! partition. A settled prefix of that sequence yields, per partition, "next offset to commit" = highest
//! offset + 1. An unsettled (failing or abandoned) batch blocks every later batch, so nothing is committed past
//! it. `reset` forgets everything (partitions revoked: the new owner re-reads what was not committed); a late
//! settlement of a forgotten batch is ignored.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// A topic partition.
pub type Partition = (Arc<str>, i32);

struct InFlight {
    seq: u64,
    highest: HashMap<Partition, i64>,
    settled: bool,
}

/// Batches in flight and offsets ready to commit, for one consumer.
#[derive(Default)]
pub struct OffsetTracker {
    next_seq: u64,
    in_flight: VecDeque<InFlight>,
    ready: BTreeMap<Partition, i64>,
}

impl OffsetTracker {
    /// Registers the next batch (holding `highest[p]` as its last offset of partition `p`); returns its number.
    pub fn register(&mut self, highest: HashMap<Partition, i64>) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.in_flight.push_back(InFlight {
            seq,
            highest,
            settled: false,
        });
        seq
    }

    /// Batch `seq` is settled; the settled prefix moves to `ready`.
    pub fn settle(&mut self, seq: u64) {
        if let Some(batch) = self.in_flight.iter_mut().find(|b| b.seq == seq) {
            batch.settled = true;
        }
        while self.in_flight.front().is_some_and(|b| b.settled) {
            if let Some(batch) = self.in_flight.pop_front() {
                for (partition, offset) in batch.highest {
                    let next = offset + 1;
                    let entry = self.ready.entry(partition).or_insert(next);
                    *entry = (*entry).max(next);
                }
            }
        }
    }

    /// Batches registered and not yet part of the settled prefix.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Offsets to commit (next offset per partition), removed from the tracker.
    pub fn take_ready(&mut self) -> Vec<(Partition, i64)> {
        std::mem::take(&mut self.ready).into_iter().collect()
    }

    /// Puts back offsets whose commit failed (unless newer ones are ready already).
    pub fn restore_ready(&mut self, offsets: Vec<(Partition, i64)>) {
        for (partition, next) in offsets {
            let entry = self.ready.entry(partition).or_insert(next);
            *entry = (*entry).max(next);
        }
    }

    /// Forgets every batch and offset (after a revocation).
    pub fn reset(&mut self) {
        self.in_flight.clear();
        self.ready.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i32) -> Partition {
        ("t".into(), n)
    }

    #[test]
    fn commits_only_the_settled_prefix() {
        let mut t = OffsetTracker::default();
        let a = t.register(HashMap::from([(p(0), 9), (p(1), 4)]));
        let b = t.register(HashMap::from([(p(0), 19)]));
        let c = t.register(HashMap::from([(p(1), 8)]));
        t.settle(b);
        t.settle(c);
        assert!(
            t.take_ready().is_empty(),
            "batch a still in flight blocks b and c"
        );
        t.settle(a);
        assert_eq!(t.take_ready(), vec![(p(0), 20), (p(1), 9)]);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn reset_forgets_and_ignores_late_settlements() {
        let mut t = OffsetTracker::default();
        let a = t.register(HashMap::from([(p(0), 9)]));
        t.reset();
        t.settle(a);
        assert!(t.take_ready().is_empty());
        let b = t.register(HashMap::from([(p(0), 3)]));
        assert_ne!(a, b);
        t.settle(b);
        let ready = t.take_ready();
        assert_eq!(ready, vec![(p(0), 4)]);
        t.restore_ready(ready);
        assert_eq!(t.take_ready(), vec![(p(0), 4)]);
    }
}
