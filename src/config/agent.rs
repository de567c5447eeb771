//! The agent's TOML configuration (`logpipe agent --config agent.toml`).
//!
//! The keys, their types, defaults and help are in `AgentConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).
//!
//! Memory in flight is bounded by `channel_batches × batch_bytes` on the channel plus librdkafka's own queue
//! (`queue.buffering.max.kbytes`, settable through `[kafka.options]`).

use super::collect::CollectEntry;
use super::error::ConfigError;
use super::kafka::KafkaConfig;
use super::migrate::MigrateConfig;
use super::reference::{ConfigFile, Key, Type};
use super::{EtcdConfig, HostMetricsConfig};
use super::{EtcdConnection, KafkaConnection};
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole agent configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Directory of the checkpoint file.
    pub data_dir: PathBuf,
    /// Host name stamped on events; the machine's host name when absent.
    #[serde(default)]
    pub host_name: Option<String>,
    /// The brokers and how to reach them (see `config::kafka`).
    pub kafka: KafkaConfig,
    #[serde(default)]
    pub tail: TailConfig,
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// What to tail.
    #[serde(default)]
    pub collect: Vec<CollectEntry>,
    /// Central config (collect entries) and status in etcd.
    #[serde(default)]
    pub etcd: Option<EtcdConfig>,
    /// Host metrics events.
    #[serde(default)]
    pub host_metrics: Option<HostMetricsConfig>,
    /// Read positions of the Logstash / Filebeat this agent replaces.
    #[serde(default)]
    pub migrate: super::migrate::MigrateConfig,
    /// How often the status key in etcd is refreshed.
    #[serde(
        default = "default_status_interval",
        deserialize_with = "super::duration::deserialize"
    )]
    pub status_interval: Duration,
    /// Lease of the status key: it disappears this long after the process died.
    #[serde(
        default = "default_status_ttl",
        deserialize_with = "super::duration::deserialize"
    )]
    pub status_ttl: Duration,
    /// `host:port` of the Prometheus endpoint (`GET /metrics`); off when absent.
    #[serde(default)]
    pub metrics_listen: Option<String>,
    /// `--blackhole`: encode and discard instead of producing (benchmarks only; not a config key).
    #[serde(skip)]
    pub blackhole: bool,
}

impl AgentConfig {
    /// The top-level keys of agent.toml.
    pub const KEYS: &'static [Key] = &[
        Key::required("data_dir", Type::Path, "\"/var/lib/logpipe\"", "directory of checkpoints.json and of the last good etcd config"),
        Key::optional("host_name", Type::String, "\"web-1\"", "host.name of the events (absent: this machine's host name)"),
        Key::defaulted("status_interval", Type::Duration, "\"2s\"", "refresh of the status key in etcd"),
        Key::defaulted("status_ttl", Type::Duration, "\"10s\"", "lease of the status key: it is gone this long after the process died (at least 2s)"),
        Key::optional("metrics_listen", Type::String, "\"127.0.0.1:9600\"", "host:port of the Prometheus endpoint GET /metrics (or --metrics-listen; absent: off)"),
        Key::table("kafka", &[KafkaConnection::KEYS, KafkaConfig::PRODUCER_KEYS], "the brokers, how to reach them, and the producer's settings (required)"),
        Key::table("tail", &[TailConfig::KEYS], "reading the files"),
        Key::table("pipeline", &[PipelineConfig::KEYS], "batches and threads between the tailer and the producers; memory in flight is at most channel_batches × batch_bytes plus librdkafka's queue"),
        Key::tables("collect", &[CollectEntry::KEYS], "one per glob of files to tail; as many as needed"),
        Key::table("etcd", &[EtcdConnection::KEYS, EtcdConfig::AGENT_KEYS], "central config: collect entries from etcd, applied within a second, cached in data_dir (etcd down at start: the agent runs on the cache); a bad value or entry keeps its last good version; and the agent's status"),
        Key::table("host_metrics", &[HostMetricsConfig::KEYS], "CPU, load, memory, disk and network events with ECS system.* names"),
        Key::table("migrate", &[MigrateConfig::KEYS], "moving over from Logstash / Filebeat: a file logpipe has no checkpoint of starts where the old agent stopped (same device and inode, file long enough, not created after the old agent last saw it; otherwise per start_at, logged); the first clean stop writes data_dir/migrated and [migrate] is not read again"),
    ];
}

/// agent.toml in the reference.
pub const AGENT_FILE: ConfigFile = ConfigFile {
    name: "agent.toml",
    command: "agent",
    keys: &[AgentConfig::KEYS],
    minimal: r#"
data_dir = "/var/lib/logpipe"
[kafka]
brokers = "127.0.0.1:9092"
[[collect]]
path = "/var/log/app/*.log"
topic = "app_log"
"#,
    not_for_this_file: &[],
};

fn default_status_interval() -> Duration {
    Duration::from_secs(2)
}
fn default_status_ttl() -> Duration {
    Duration::from_secs(10)
}

/// File tailing settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailConfig {
    #[serde(
        default = "default_poll_interval",
        deserialize_with = "super::duration::deserialize"
    )]
    pub poll_interval: Duration,
    #[serde(
        default = "default_rotate_wait",
        deserialize_with = "super::duration::deserialize"
    )]
    pub rotate_wait: Duration,
    #[serde(default = "default_mmap_threshold")]
    pub mmap_threshold: u64,
    #[serde(
        default = "default_checkpoint_interval",
        deserialize_with = "super::duration::deserialize"
    )]
    pub checkpoint_interval: Duration,
}

impl TailConfig {
    /// The keys of `[tail]`.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted(
            "poll_interval",
            Type::Duration,
            "\"1s\"",
            "stat open files and rescan the globs this often (the fallback when inotify is silent)",
        ),
        Key::defaulted(
            "rotate_wait",
            Type::Duration,
            "\"5s\"",
            "keep a rotated or deleted file open this long after its last write",
        ),
        Key::defaulted(
            "mmap_threshold",
            Type::Integer,
            "16777216",
            "backlogs of at least this many bytes are read through mmap (SIGBUS-safe)",
        ),
        Key::defaulted(
            "checkpoint_interval",
            Type::Duration,
            "\"1s\"",
            "how often acknowledged offsets are written to data_dir/checkpoints.json",
        ),
    ];
}

fn default_poll_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_rotate_wait() -> Duration {
    Duration::from_secs(5)
}
fn default_mmap_threshold() -> u64 {
    16 * 1024 * 1024
}
fn default_checkpoint_interval() -> Duration {
    Duration::from_secs(1)
}

impl Default for TailConfig {
    fn default() -> Self {
        TailConfig {
            poll_interval: default_poll_interval(),
            rotate_wait: default_rotate_wait(),
            mmap_threshold: default_mmap_threshold(),
            checkpoint_interval: default_checkpoint_interval(),
        }
    }
}

/// Channel and thread sizing between tailers and producers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    #[serde(default = "default_batch_lines")]
    pub batch_lines: usize,
    #[serde(default = "default_batch_bytes")]
    pub batch_bytes: usize,
    #[serde(default = "default_channel_batches")]
    pub channel_batches: usize,
    #[serde(default = "default_producers")]
    pub producers: usize,
}

impl PipelineConfig {
    /// The keys of `[pipeline]`.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted("batch_lines", Type::Integer, "2048", "events per batch"),
        Key::defaulted("batch_bytes", Type::Integer, "1048576", "bytes per batch"),
        Key::defaulted(
            "channel_batches",
            Type::Integer,
            "8",
            "batches in flight between the tailer and the producers (the memory bound)",
        ),
        Key::defaulted(
            "producers",
            Type::Integer,
            "2",
            "producer threads (standalone: indexing threads)",
        ),
    ];
}

fn default_batch_lines() -> usize {
    2048
}
fn default_batch_bytes() -> usize {
    1024 * 1024
}
fn default_channel_batches() -> usize {
    8
}
fn default_producers() -> usize {
    2
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch_lines: default_batch_lines(),
            batch_bytes: default_batch_bytes(),
            channel_batches: default_channel_batches(),
            producers: default_producers(),
        }
    }
}

impl PipelineConfig {
    /// Errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("pipeline.batch_lines", self.batch_lines),
            ("pipeline.batch_bytes", self.batch_bytes),
            ("pipeline.channel_batches", self.channel_batches),
            ("pipeline.producers", self.producers),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{key}: must be at least 1")));
            }
        }
        Ok(())
    }
}

impl AgentConfig {
    /// Reads and validates `path`; every error names the file and the key. Warns when the file holds a
    /// password and others may read it.
    pub fn load(path: &Path) -> anyhow::Result<AgentConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config =
            AgentConfig::parse(&text).with_context(|| format!("bad config {}", path.display()))?;
        let inline = [
            ("kafka.sasl.password", config.kafka.has_inline_password()),
            (
                "etcd.password",
                config.etcd.as_ref().is_some_and(|e| e.password.is_some()),
            ),
        ];
        super::secret::warn_inline_passwords(path, &inline);
        Ok(config)
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> anyhow::Result<AgentConfig> {
        let config: AgentConfig = super::toml_file::parse(text, &["kafka"])?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.validate()?;
        self.pipeline.validate()?;
        for (i, entry) in self.collect.iter().enumerate() {
            entry.validate(&format!("collect[{i}]"), true)?;
        }
        if let Some(etcd) = &self.etcd {
            etcd.validate()?;
        }
        if let Some(host_metrics) = &self.host_metrics {
            host_metrics.validate()?;
        }
        self.migrate.validate()?;
        if self.status_ttl < Duration::from_secs(2) {
            return Err("status_ttl: must be at least 2s (etcd's shortest lease)".into());
        }
        if self.status_interval.is_zero() || self.status_interval >= self.status_ttl {
            return Err(ConfigError::Invalid(format!(
                "status_interval: must be above 0 and below status_ttl ({:?})",
                self.status_ttl
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
data_dir = "/tmp/x"
[kafka]
brokers = "127.0.0.1:9092"
[[collect]]
path = "/var/log/app/*.log"
topic = "app_log"
"#;

    #[test]
    fn minimal_config_parses_with_defaults() {
        let c = AgentConfig::parse(MINIMAL).expect("parses");
        assert_eq!(c.kafka.acks(), "all");
        assert_eq!(c.kafka.compression(), "lz4");
        assert_eq!(c.collect.len(), 1);
        assert_eq!(c.tail.rotate_wait, Duration::from_secs(5));
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("topic = \"app_log\"", "topic = \"app_log\"\ntopik = 1");
        let err = format!("{:#}", AgentConfig::parse(&text).unwrap_err());
        assert!(err.contains("topik"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let text = MINIMAL.replace("brokers = ", "compression = \"brotli\"\nbrokers = ");
        let err = format!("{:#}", AgentConfig::parse(&text).unwrap_err());
        assert!(err.contains("kafka.compression"), "{err}");
        let text = MINIMAL.replace("app_log", "app log");
        let err = format!("{:#}", AgentConfig::parse(&text).unwrap_err());
        assert!(err.contains("collect[0].topic"), "{err}");
    }

    #[test]
    fn etcd_and_host_metrics_sections_parse() {
        let text = format!(
            "status_interval = \"1s\"\nmetrics_listen = \"127.0.0.1:0\"\n{MINIMAL}\n[etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\nallow_paths = [\"/var/log/**\"]\n[host_metrics]\ninterval = \"5s\"\ntopic = \"metrics\"\n"
        );
        let c = AgentConfig::parse(&text).expect("parses");
        let etcd = c.etcd.expect("etcd");
        assert_eq!(etcd.key, "/logpipe/collect/{hostname}");
        assert_eq!(c.status_interval, Duration::from_secs(1));
        assert_eq!(c.host_metrics.expect("host metrics").topic, "metrics");
        let bad = text.replace(
            "allow_paths = [\"/var/log/**\"]",
            "allow_paths = [\"var/log\"]",
        );
        let err = format!("{:#}", AgentConfig::parse(&bad).unwrap_err());
        assert!(err.contains("etcd.allow_paths"), "{err}");
    }
}
