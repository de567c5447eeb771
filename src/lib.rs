//! logpipe: a log collection pipeline.
//!
//! `agent` tails files (`tail`) into bounded channels of batches (`ring`) drained by Kafka producer threads
//! (`producer`); `transfer` consumes Kafka and feeds indexer threads (`indexer`) that speak Elasticsearch's
//! `_bulk`; `store` serves the embedded tantivy store (crate `logpipe-store`) speaking the same REST API;
//! `standalone` wires tail → ring → indexer → store in one process. See ARCHITECTURE.md for threads, channels and the checkpoint protocol.

pub mod agent;
pub mod build_info;
pub mod check;
pub mod cli;
pub mod config;
pub mod console;
pub mod etcd;
pub mod event;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod host;
pub mod host_metrics;
pub mod import;
pub mod indexer;
pub mod kafka;
pub mod listen_tls;
pub mod logging;
pub mod metrics;
pub mod migrate;
pub mod producer;
pub mod ring;
pub mod shutdown;
#[cfg(feature = "store")]
pub mod standalone;
pub mod status;
#[cfg(feature = "store")]
pub mod store;
pub mod systemd;
pub mod tail;
pub mod transfer;

// Every program built on this crate allocates with logpipe's allocator (see the crate's docs).
use logpipe_alloc as _;
