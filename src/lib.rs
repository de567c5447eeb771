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
