//! `[host_metrics]` of the agent: which host metric events to send, how often, to which topic.

use super::duration;
use super::error::ConfigError;
use super::reference::{Key, Type};
use serde::Deserialize;
use std::time::Duration;

/// `[host_metrics]` of the agent configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostMetricsConfig {
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize"
    )]
    pub interval: Duration,
    /// Kafka topic of the metric events.
    pub topic: String,
    /// Mount points to report; every real file system when empty.
    #[serde(default)]
    pub mount_points: Vec<String>,
}

impl HostMetricsConfig {
    /// The keys of `[host_metrics]`.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted(
            "interval",
            Type::Duration,
            "\"10s\"",
            "how often the metrics are read and sent (at least 100ms)",
        ),
        Key::required(
            "topic",
            Type::String,
            "\"metrics\"",
            "Kafka topic of the metric events",
        ),
        Key::optional(
            "mount_points",
            Type::List(&Type::Path),
            "[\"/\"]",
            "file systems to report (absent: every real file system)",
        ),
    ];
}

fn default_interval() -> Duration {
    Duration::from_secs(10)
}

impl HostMetricsConfig {
    /// Errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        super::collect::validate_topic(&self.topic)
            .map_err(|e| ConfigError::Invalid(format!("host_metrics.topic: {e}")))?;
        if self.interval < Duration::from_millis(100) {
            return Err("host_metrics.interval: must be at least 100ms".into());
        }
        Ok(())
    }
}
