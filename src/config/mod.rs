//! Configuration files: the agent's TOML (`agent`) and the collect entries shared by the agent, standalone mode
//! and (later) etcd (`collect`).
//!
//! Every struct denies unknown keys, so a misspelt key is refused at start with an error naming it; semantic
//! checks (globs compile, topic names are legal, sizes are positive) live in `validate` methods that return
//! errors naming the offending key.
//!
//! Each struct has its documentation table beside it (`AgentConfig::KEYS`, `TlsFiles::KEYS`, ...):
//! `reference` composes them per file, renders `--help` and docs/CONFIG.md from them, and its tests hold
//! them to the serde types.

pub mod agent;
pub mod allow;
pub mod collect;
pub mod console;
pub mod duration;
pub mod elasticsearch;
pub mod error;
pub mod etcd;
pub mod filters;
pub mod host_metrics;
pub mod kafka;
pub mod migrate;
pub mod path_glob;
pub mod reference;
pub mod reload;
pub mod secret;
pub mod standalone;
pub mod tls;
pub mod toml_file;
pub mod transfer;

pub use agent::AgentConfig;
pub use allow::PathAllowlist;
pub use collect::{Codec, CollectEntry, MultilineConfig, MultilineMatch, StartAt};
pub use error::ConfigError;
pub use etcd::{EtcdConfig, EtcdConnection};
pub use filters::FilterList;
pub use host_metrics::HostMetricsConfig;
pub use kafka::{KafkaConfig, KafkaConnection};
pub use secret::Secret;
pub use tls::TlsFiles;
