//! Configuration files: the agent's TOML (`agent`) and the collect entries shared by the agent, standalone mode
//! and (later) etcd (`collect`).
//!
//! Every struct denies unknown keys, so a misspelt key is refused at start with an error naming it; semantic
//! checks (globs compile, topic names are legal, sizes are positive) live in `validate` methods that return
//! errors naming the offending key.

pub mod agent;
pub mod collect;
pub mod duration;
pub mod standalone;
pub mod transfer;

pub use agent::{AgentConfig, KafkaConfig};
pub use collect::{Codec, CollectEntry, MultilineConfig, MultilineMatch, StartAt};
