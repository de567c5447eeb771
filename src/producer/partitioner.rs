//! Which partition a message goes to.
//!
//! Every message is keyed by its file (`FileSource::key`), so a file's lines stay in one partition, in order.
//! librdkafka's default partitioner (`consistent_random`) hashes the key with CRC-32 for every message: 3.6 %
//! of the agent's CPU at 740 k lines/s (perf/RESULTS.md, issue 28), for a key that is the same for a whole
//! batch. `FilePartitioner` picks the same partition as that default (CRC-32 of the key modulo the partition
//! count; a message without a key goes to a random partition, as there) and remembers the last key each
//! thread saw, so a batch's messages after the first cost a comparison of the key.
//!
//! It is installed only when `[kafka.options]` does not name a `partitioner`: a configured one (for example
//! `murmur2_random`, the Java client's) is librdkafka's to run.

use rdkafka::producer::Partitioner;
use std::cell::{Cell, RefCell};

/// The agent's partitioner (see the module documentation).
#[derive(Debug, Default)]
pub struct FilePartitioner;

/// One thread's last choice.
struct Choice {
    key: Vec<u8>,
    partition_cnt: i32,
    partition: i32,
    /// Keyed choices this thread has made (`last_keyed_choice`).
    made: u64,
}

thread_local! {
    static LAST: RefCell<Option<Choice>> = const { RefCell::new(None) };
    /// Spreads messages without a key.
    static NEXT_UNKEYED: Cell<u32> = const { Cell::new(0) };
}

impl Partitioner for FilePartitioner {
    fn partition(
        &self,
        _topic_name: &str,
        key: Option<&[u8]>,
        partition_cnt: i32,
        is_partition_available: impl Fn(i32) -> bool,
    ) -> i32 {
        if partition_cnt <= 0 {
            return rdkafka::producer::PARTITION_UA;
        }
        let Some(key) = key.filter(|key| !key.is_empty()) else {
            return unkeyed(partition_cnt, is_partition_available);
        };
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            // A count of 0 never matches (it returned above), so the first key is always computed.
            let choice = last.get_or_insert_with(|| Choice {
                key: Vec::new(),
                partition_cnt: 0,
                partition: 0,
                made: 0,
            });
            if choice.partition_cnt != partition_cnt || choice.key != key {
                choice.key.clear();
                choice.key.extend_from_slice(key);
                choice.partition_cnt = partition_cnt;
                choice.partition = consistent(key, partition_cnt);
            }
            choice.made += 1;
            choice.partition
        })
    }
}

/// How many keyed choices `FilePartitioner` has made on this thread, and the partition of the last one.
/// librdkafka runs the partitioner on the thread that enqueues (or, for messages that waited for their
/// topic's metadata, on its own thread), so a count that moved across one enqueue call on this thread
/// says that the call's message was partitioned, and where it went.
pub fn last_keyed_choice() -> (u64, i32) {
    LAST.with(|last| {
        last.borrow()
            .as_ref()
            .map_or((0, 0), |choice| (choice.made, choice.partition))
    })
}

/// librdkafka's `consistent` partitioner: CRC-32 (IEEE, as zlib computes it) of the key modulo the count.
pub fn consistent(key: &[u8], partition_cnt: i32) -> i32 {
    (crc32fast::hash(key) % partition_cnt as u32) as i32
}

/// A partition for a message without a key: the next one in turn, or the one after when it has no leader
/// (librdkafka's `random` partitioner draws a second time in that case).
fn unkeyed(partition_cnt: i32, is_partition_available: impl Fn(i32) -> bool) -> i32 {
    NEXT_UNKEYED.with(|next| {
        let first = next.get();
        next.set(first.wrapping_add(1));
        let partition = (first % partition_cnt as u32) as i32;
        if is_partition_available(partition) {
            partition
        } else {
            ((first.wrapping_add(1)) % partition_cnt as u32) as i32
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// librdkafka's own choice for `key`.
    fn librdkafka_choice(key: &[u8], partition_cnt: i32) -> i32 {
        // SAFETY: the consistent partitioner reads `key` and the count only (no topic is needed for a
        // non-empty key).
        unsafe {
            rdkafka::bindings::rd_kafka_msg_partitioner_consistent_random(
                std::ptr::null(),
                key.as_ptr().cast(),
                key.len(),
                partition_cnt,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        }
    }

    #[test]
    fn keyed_messages_go_where_librdkafka_sends_them() {
        let partitioner = FilePartitioner;
        for partition_cnt in [1, 2, 3, 4, 7, 12, 64, 1000] {
            for i in 0..500u64 {
                let key = format!("host-{}:{:x}:{:x}", i % 7, 2049 + i, i * 7919);
                let expected = librdkafka_choice(key.as_bytes(), partition_cnt);
                // Twice: the first computes, the second is remembered.
                for _ in 0..2 {
                    let chosen =
                        partitioner.partition("t", Some(key.as_bytes()), partition_cnt, |_| true);
                    assert_eq!(chosen, expected, "{key} over {partition_cnt} partitions");
                }
            }
        }
    }

    #[test]
    fn each_keyed_choice_is_counted_with_its_partition() {
        let partitioner = FilePartitioner;
        let (before, _) = last_keyed_choice();
        let chosen = partitioner.partition("t", Some(b"h:1:2"), 5, |_| true);
        assert_eq!(last_keyed_choice(), (before + 1, chosen));
        partitioner.partition("t", None, 5, |_| true);
        partitioner.partition("t", Some(b"h:1:2"), 0, |_| true);
        assert_eq!(
            last_keyed_choice(),
            (before + 1, chosen),
            "no key, or no partition count: no choice"
        );
    }

    #[test]
    fn a_remembered_key_is_chosen_again_for_a_new_partition_count() {
        let partitioner = FilePartitioner;
        let key = b"h:801:4f2a";
        let before = partitioner.partition("t", Some(key), 4, |_| true);
        assert_eq!(before, librdkafka_choice(key, 4));
        let after = partitioner.partition("t", Some(key), 13, |_| true);
        assert_eq!(after, librdkafka_choice(key, 13));
    }

    #[test]
    fn unkeyed_messages_are_spread_over_available_partitions() {
        let partitioner = FilePartitioner;
        let mut seen = [0usize; 4];
        for _ in 0..400 {
            let p = partitioner.partition("t", None, 4, |p| p != 2);
            seen[p as usize] += 1;
        }
        assert_eq!(seen[2], 0, "a partition without a leader is skipped");
        assert!(seen.iter().filter(|&&n| n > 0).count() == 3, "{seen:?}");
        assert_eq!(
            partitioner.partition("t", Some(b""), 0, |_| true),
            rdkafka::producer::PARTITION_UA
        );
    }
}
