//! `logpipe standalone --config standalone.toml`: the agent's tailing keys without Kafka, plus the store.
//!
//! ```toml
//! data_dir = "/var/lib/logpipe"
//! listen = "127.0.0.1:9200"              # the store's Elasticsearch API
//! index = "logpipe-%{+YYYY.MM.dd}"       # Logstash-style index name
//! retention_days = 7                     # delete daily indices older than this
//! host_name = "web-1"
//! [tail]                                 # as for the agent
//! [pipeline]                             # as for the agent (`producers` = indexer threads)
//! [[collect]]                            # as for the agent; `topic` is optional and fills %{[topic]}
//! path = "/var/log/*.log"
//! ```
//! Command-line flags override the file.

use super::agent::{PipelineConfig, TailConfig};
use super::collect::CollectEntry;
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default index name pattern of standalone mode.
pub const DEFAULT_INDEX: &str = "logpipe-%{+YYYY.MM.dd}";

/// The standalone configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandaloneConfig {
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub listen: Option<String>,
    #[serde(default)]
    pub index: Option<String>,
    #[serde(default)]
    pub retention_days: Option<u32>,
    #[serde(default)]
    pub host_name: Option<String>,
    #[serde(default)]
    pub tail: TailConfig,
    #[serde(default)]
    pub pipeline: PipelineConfig,
    #[serde(default)]
    pub collect: Vec<CollectEntry>,
}

impl StandaloneConfig {
    /// Reads and validates `path`; errors name the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<StandaloneConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: StandaloneConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("bad config {}", path.display()))?;
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("bad config {}: {e}", path.display()))?;
        Ok(config)
    }

    /// Checks pipeline sizes and every collect entry (topics optional).
    pub fn validate(&self) -> Result<(), String> {
        self.pipeline.validate()?;
        for (i, entry) in self.collect.iter().enumerate() {
            entry.validate(&format!("collect[{i}]"), false)?;
        }
        Ok(())
    }
}
