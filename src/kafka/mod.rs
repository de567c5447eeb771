//! What every Kafka client of logpipe shares, whatever its role: turning the typed `[kafka]` settings
//! (`config::KafkaConnection`) into librdkafka properties (`client`), explaining librdkafka's errors as a
//! sentence naming the key to fix (`diagnose`), the connection health the agent reports in its log, metrics
//! and status key (`health`), the probes behind `--check-config` (`probe`) and the features librdkafka was
//! built with (`features`).
//!
//! Architecture invariant: this module knows the Kafka settings and librdkafka, nothing of the roles: the
//! agent's producers, the host-metrics producer, the transfer's consumers and dead-letter producer all build
//! their clients through `client::client_config`, so TLS and SASL mean the same everywhere.

pub mod client;
pub mod diagnose;
pub mod features;
pub mod health;
pub mod probe;

pub use client::{client_config, KafkaSetupError};
pub use diagnose::{diagnose, Cause, Diagnosis};
pub use health::KafkaHealth;
