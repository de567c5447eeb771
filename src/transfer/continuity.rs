//! Offsets read in order, with no hole the broker did not mean: a partition's messages are taken only
//! when they follow the last one taken; an offset that jumps ahead is read again from the first missing
//! offset before anything after it is taken.
//!
//! Why: librdkafka hands the application whatever the broker's fetch response holds and moves its fetch
//! position past it; it does not check that offsets follow each other (Kafka's own log can have holes:
//! compacted records, transaction markers). A broker that answers a fetch with a later record batch
//! while an earlier one is not readable yet — the Tansu broker the tests run, with two producers writing
//! one partition at once — makes the consumer skip the earlier batch for good, and the offset commit
//! then passes over records that were never indexed (`perf/chaos` lost 1–2 lines in every 3-minute run
//! this way, each an offset that librdkafka jumped over). Reading the hole again fills it on such a broker;
//! a hole that is still there after [`MAX_REREADS`] reads is a real one and is passed over.
//!
//! Where reading starts (assignment: the committed offset; none: the first message) is told with
//! [`Continuity::start_at`]; a revoked partition is forgotten.

use super::offsets::Partition;
use std::collections::HashMap;

/// How many times a hole is read again before it is taken as one of the partition's own.
pub const MAX_REREADS: u32 = 5;

/// What to do with a message just polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It follows the last one taken (or nothing is known yet): take it.
    Take,
    /// Offsets are missing before it: drop it and read the partition again from `from`.
    Reread { from: i64 },
    /// The hole before it was read again `MAX_REREADS` times and is still there: take it, skipping
    /// `missing` offsets that the partition does not have.
    TakeOverHole { missing: i64 },
}

struct Next {
    offset: i64,
    rereads: u32,
}

/// The next offset expected on each partition being read.
#[derive(Default)]
pub struct Continuity {
    next: HashMap<Partition, Next>,
}

impl Continuity {
    /// Reading `partition` starts at `offset` (after an assignment: its committed offset).
    pub fn start_at(&mut self, partition: Partition, offset: i64) {
        self.next.insert(partition, Next { offset, rereads: 0 });
    }

    /// `partition` is no longer read (revoked).
    pub fn forget(&mut self, partition: &Partition) {
        self.next.remove(partition);
    }

    /// The verdict on a message at `offset` of `partition`.
    pub fn check(&mut self, partition: &Partition, offset: i64) -> Verdict {
        let Some(next) = self.next.get_mut(partition) else {
            self.start_at(partition.clone(), offset + 1);
            return Verdict::Take;
        };
        if offset <= next.offset {
            // The next one, or one read again (a seek back): from here on.
            next.offset = offset + 1;
            next.rereads = 0;
            return Verdict::Take;
        }
        if next.rereads < MAX_REREADS {
            next.rereads += 1;
            return Verdict::Reread { from: next.offset };
        }
        let missing = offset - next.offset;
        next.offset = offset + 1;
        next.rereads = 0;
        Verdict::TakeOverHole { missing }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i32) -> Partition {
        ("t".into(), n)
    }

    #[test]
    fn a_jump_is_read_again_until_the_missing_offsets_come() {
        let mut c = Continuity::default();
        c.start_at(p(0), 400);
        assert_eq!(c.check(&p(0), 400), Verdict::Take);
        assert_eq!(c.check(&p(0), 401), Verdict::Take);
        // The broker answered with 403 while 402 was not readable yet (what perf/chaos saw).
        assert_eq!(c.check(&p(0), 403), Verdict::Reread { from: 402 });
        assert_eq!(c.check(&p(0), 403), Verdict::Reread { from: 402 });
        assert_eq!(c.check(&p(0), 402), Verdict::Take);
        assert_eq!(c.check(&p(0), 403), Verdict::Take);
        // Other partitions are not held up.
        assert_eq!(c.check(&p(1), 7), Verdict::Take);
        assert_eq!(c.check(&p(1), 8), Verdict::Take);
    }

    #[test]
    fn a_real_hole_is_passed_after_the_rereads() {
        let mut c = Continuity::default();
        c.start_at(p(0), 10);
        for _ in 0..MAX_REREADS {
            assert_eq!(c.check(&p(0), 12), Verdict::Reread { from: 10 });
        }
        assert_eq!(c.check(&p(0), 12), Verdict::TakeOverHole { missing: 2 });
        assert_eq!(c.check(&p(0), 13), Verdict::Take);
        // The count starts again for the next hole.
        assert_eq!(c.check(&p(0), 15), Verdict::Reread { from: 14 });
    }

    #[test]
    fn the_first_message_after_an_assignment_must_be_the_committed_offset() {
        let mut c = Continuity::default();
        c.start_at(p(0), 100);
        assert_eq!(c.check(&p(0), 101), Verdict::Reread { from: 100 });
        // Without a known start (nothing committed: the earliest offset), the first message is taken.
        c.forget(&p(0));
        assert_eq!(c.check(&p(0), 101), Verdict::Take);
        // Read again from an earlier offset (a seek back): taken, the duplicates overwrite by `_id`.
        assert_eq!(c.check(&p(0), 95), Verdict::Take);
        assert_eq!(c.check(&p(0), 96), Verdict::Take);
    }
}
