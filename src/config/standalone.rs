//! `logpipe standalone --config standalone.toml`: the agent's tailing keys without Kafka, plus the store.
//!
//! The keys, their types, defaults and help are in `StandaloneConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).
//!
//! Command-line flags override the file.

use super::agent::{PipelineConfig, TailConfig};
use super::collect::CollectEntry;
use super::error::ConfigError;
use super::reference::{ConfigFile, Key, Type};
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
    /// The top-level keys of standalone.toml.
    pub const KEYS: &'static [Key] = &[
        Key::optional(
            "data_dir",
            Type::Path,
            "\"/var/lib/logpipe\"",
            "directory of the checkpoints and the indices (or --data-dir)",
        ),
        Key::optional(
            "listen",
            Type::String,
            "\"127.0.0.1:9200\"",
            "address of the store's Elasticsearch API (or --listen)",
        ),
        Key::implied(
            "index",
            Type::String,
            "\"logpipe-%{+YYYY.MM.dd}\"",
            "Logstash sprintf of the index name, as the transfer's",
        ),
        Key::optional(
            "retention_days",
            Type::Integer,
            "7",
            "delete daily indices (and data stream generations) older than this",
        ),
        Key::optional(
            "host_name",
            Type::String,
            "\"web-1\"",
            "host.name of the events (absent: this machine's host name)",
        ),
        Key::table(
            "tail",
            &[TailConfig::KEYS],
            "reading the files, as the agent's",
        ),
        Key::table(
            "pipeline",
            &[PipelineConfig::KEYS],
            "batches and threads, as the agent's",
        ),
        Key::tables(
            "collect",
            &[CollectEntry::KEYS],
            "what to tail, as the agent's; topic is optional",
        ),
    ];
}

/// standalone.toml in the reference.
pub const STANDALONE_FILE: ConfigFile = ConfigFile {
    name: "standalone.toml",
    command: "standalone",
    keys: &[StandaloneConfig::KEYS],
    minimal: r#"
data_dir = "/var/lib/logpipe"
[[collect]]
path = "/var/log/*.log"
"#,
    not_for_this_file: &[],
};

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
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.pipeline.validate()?;
        for (i, entry) in self.collect.iter().enumerate() {
            entry.validate(&format!("collect[{i}]"), false)?;
        }
        Ok(())
    }
}
