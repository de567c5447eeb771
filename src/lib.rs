//! logpipe: a log collection pipeline.
//!
//! `agent` tails files (`tail`) into bounded channels of batches (`ring`) drained by Kafka producer threads
//! (`producer`); `transfer` consumes Kafka and feeds indexer threads (`indexer`) that speak Elasticsearch's
//! `_bulk`; `store` is an embedded tantivy index speaking the same REST API; `standalone` wires tail → ring →
//! indexer → store in one process. See ARCHITECTURE.md for threads, channels and the checkpoint protocol.

pub mod agent;
pub mod config;
pub mod console;
pub mod etcd;
pub mod event;
pub mod host_metrics;
pub mod indexer;
pub mod metrics;
pub mod producer;
pub mod ring;
pub mod shutdown;
pub mod standalone;
pub mod status;
pub mod store;
pub mod tail;
pub mod transfer;

/// The allocator of every program built on this crate: the `logpipe` binary, and the tests, benchmarks and
/// examples, so that they measure what users run. mimalloc instead of glibc's malloc: the store allocates a
/// document's buffers on the request thread and frees them on tantivy's indexing threads, which glibc serves
/// with lock contention, consolidation and fresh zeroed pages; mimalloc cut `_bulk` CPU per document by
/// about a sixth (perf/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
