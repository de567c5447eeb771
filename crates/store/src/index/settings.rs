//! The store's settings that bound what clients can make it do, each named after the Elasticsearch setting
//! it stands for ([`StoreSettings`]), and what one index writer may use under them ([`WriterConfig`]).
//!
//! Invariant: the store's footprint is bounded by these, not by what clients send: at most
//! `max_shards_per_node` indices (one shard each), at most `max_open_writers` tantivy writers open at
//! once (the least recently written one is committed and closed to make room: `writers.rs`), each with
//! an equal share of `indexing_buffer_bytes`, two indexing and two merge threads at most; at most
//! `max_new_indices_per_request` indices created by one request; at most `request_breaker_bytes` of
//! answer gathered by one search.

use std::time::Duration;

use crate::index::search_activity::SEARCH_IDLE_AFTER;

/// What one tantivy index writer is given.
const WRITER_BUDGET_MAX: usize = 128 * 1024 * 1024;
/// tantivy's smallest budget of an indexing thread (`MEMORY_BUDGET_NUM_BYTES_MIN`, 15 MB), rounded up.
const THREAD_BUDGET_MIN: usize = 16 * 1024 * 1024;

/// Settings of a store; [`StoreSettings::default`] has Elasticsearch's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// ES's `index.search.idle.after`: an index nobody searched for this long is no longer refreshed
    /// every second.
    pub search_idle_after: Duration,
    /// ES's `action.destructive_requires_name` (true since ES 8): deleting indices by wildcard or `_all`
    /// is refused.
    pub destructive_requires_name: bool,
    /// ES's `cluster.max_shards_per_node` (1000): creating an index beyond this many is refused.
    pub max_shards_per_node: usize,
    /// ES's `indices.memory.index_buffer_size`: the indexing memory all open writers share.
    pub indexing_buffer_bytes: usize,
    /// How many indices may have a tantivy writer (and its threads) open at once.
    pub max_open_writers: usize,
    /// How many indices (or data streams) one `_bulk` may create; its items for further new ones get a
    /// 429 `es_rejected_execution_exception`, which clients retry. (ES has no such bound; it keeps one
    /// request from creating hundreds of indices at once.)
    pub max_new_indices_per_request: usize,
    /// ES's `indices.breaker.request.limit`, in bytes: what one search may gather into its answer
    /// (`_source` of its hits; for `_msearch`, the answers of all its searches) before it fails with a 429
    /// `circuit_breaking_exception`.
    pub request_breaker_bytes: usize,
}

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            search_idle_after: SEARCH_IDLE_AFTER,
            destructive_requires_name: true,
            max_shards_per_node: 1000,
            indexing_buffer_bytes: 1024 * 1024 * 1024,
            max_open_writers: 8,
            max_new_indices_per_request: 100,
            request_breaker_bytes: 100 * 1024 * 1024,
        }
    }
}

/// What each index writer is opened with, derived from [`StoreSettings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Memory budget of the writer, shared by its indexing threads.
    pub budget: usize,
    /// Indexing threads.
    pub threads: usize,
    /// Merge threads.
    pub merge_threads: usize,
}

impl StoreSettings {
    /// The writer of each index: an equal share of the indexing buffer (at most 128 MiB, at least what
    /// one tantivy indexing thread needs), up to two indexing threads (one per core and 16 MiB of
    /// budget), as many merge threads.
    pub fn writer_config(&self) -> WriterConfig {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let budget = (self.indexing_buffer_bytes / self.max_open_writers.max(1))
            .clamp(THREAD_BUDGET_MIN, WRITER_BUDGET_MAX);
        let threads = (budget / THREAD_BUDGET_MIN).clamp(1, cores.clamp(1, 2));
        WriterConfig {
            budget,
            threads,
            merge_threads: cores.clamp(1, 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_share_the_indexing_buffer() {
        let settings = |buffer_mib: usize, writers: usize| StoreSettings {
            indexing_buffer_bytes: buffer_mib * 1024 * 1024,
            max_open_writers: writers,
            ..StoreSettings::default()
        };
        let budget_mib = |s: StoreSettings| s.writer_config().budget / (1024 * 1024);
        assert_eq!(budget_mib(StoreSettings::default()), 128);
        assert_eq!(budget_mib(settings(256, 8)), 32);
        // Never below what one indexing thread needs, never above 128 MiB.
        assert_eq!(budget_mib(settings(1, 8)), 16);
        assert_eq!(settings(1, 8).writer_config().threads, 1);
        assert_eq!(budget_mib(settings(4096, 1)), 128);
        assert!(StoreSettings::default().writer_config().threads <= 2);
    }
}
