//! The transfer's TOML configuration (`logpipe transfer --config transfer.toml`).
//!
//! ```toml
//! [kafka]
//! brokers = "127.0.0.1:9092"
//! group = "logpipe-transfer"
//! topics = ["app_log", "^web_.*"]        # a leading ^ makes a regex (librdkafka)
//! [elasticsearch]
//! url = "http://127.0.0.1:9200"         # or urls = [...]
//! index = "%{[topic]}-%{+YYYY.MM.dd}"
//! codec = "json"                        # json | raw
//! [dead_letter]
//! path = "/var/lib/logpipe/dead.ndjson" # or topic = "dead_letters"
//! ```
//!
//! Every struct denies unknown keys, so a misspelt key is refused at start with an error naming it;
//! `validate` checks values (non-empty lists, positive sizes, exactly one dead-letter destination, a
//! well-formed index pattern) and names the offending key.

use super::duration;
use crate::indexer::index_name::IndexPattern;
use anyhow::Context;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole transfer configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferConfig {
    pub kafka: TransferKafkaConfig,
    pub elasticsearch: ElasticsearchConfig,
    #[serde(default)]
    pub pipeline: TransferPipelineConfig,
    /// Where documents the index refuses (4xx) go; required so that nothing is dropped silently.
    pub dead_letter: DeadLetterConfig,
    /// Optional: publish this process's status at `/logpipe/status/transfer/{host}-{pid}` on an etcd lease.
    #[serde(default)]
    pub etcd: Option<crate::etcd::EtcdConnection>,
}

/// The Kafka consumer group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferKafkaConfig {
    /// Comma-separated `host:port` list.
    pub brokers: String,
    /// Consumer group id; processes with the same group share the partitions.
    #[serde(default = "default_group")]
    pub group: String,
    /// Topic names, or regexes when they start with `^`.
    pub topics: Vec<String>,
    /// Consumer threads in this process (each one a group member).
    #[serde(default = "default_consumers")]
    pub consumers: usize,
    /// Extra librdkafka properties, passed as-is (e.g. `"session.timeout.ms" = "6000"`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

/// How messages become documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransferCodec {
    /// The message is a JSON document; anything else becomes `{"message": ...}` tagged `_jsonparsefailure`.
    #[default]
    Json,
    /// The message is the text of `message`; the agent's raw-codec headers become ECS fields.
    Raw,
}

/// The `_bulk` destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// One base URL (`http://host:9200`).
    #[serde(default)]
    pub url: Option<String>,
    /// Several base URLs, used round-robin.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Basic auth user (with `password`).
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// `Authorization: ApiKey <api_key>` (the base64 `id:key` form).
    #[serde(default)]
    pub api_key: Option<String>,
    /// Logstash sprintf pattern of the index name.
    #[serde(default = "default_index")]
    pub index: String,
    #[serde(default)]
    pub codec: TransferCodec,
    /// Timeout of one `_bulk` request.
    #[serde(
        default = "default_request_timeout",
        deserialize_with = "duration::deserialize"
    )]
    pub request_timeout: Duration,
}

/// Batching, threads and retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferPipelineConfig {
    /// Documents per `_bulk` request at most.
    #[serde(default = "default_bulk_docs")]
    pub bulk_docs: usize,
    /// Bytes of documents per `_bulk` request at most (a bigger single document goes alone).
    #[serde(default = "default_bulk_bytes")]
    pub bulk_bytes: usize,
    /// A partial batch is sent after this long.
    #[serde(
        default = "default_flush_interval",
        deserialize_with = "duration::deserialize"
    )]
    pub flush_interval: Duration,
    /// Indexer threads sending `_bulk` requests.
    #[serde(default = "default_indexers")]
    pub indexers: usize,
    /// Batches in flight per consumer before its partitions are paused.
    #[serde(default = "default_in_flight_batches")]
    pub in_flight_batches: usize,
    /// Documents larger than this are dead-lettered instead of indexed.
    #[serde(default = "default_max_document_bytes")]
    pub max_document_bytes: usize,
    /// First retry delay; doubles up to `backoff_max`.
    #[serde(
        default = "default_backoff_initial",
        deserialize_with = "duration::deserialize"
    )]
    pub backoff_initial: Duration,
    #[serde(
        default = "default_backoff_max",
        deserialize_with = "duration::deserialize"
    )]
    pub backoff_max: Duration,
    /// How long SIGTERM or a partition revocation waits for batches in flight before giving up on them
    /// (uncommitted: they are read again).
    #[serde(
        default = "default_drain_timeout",
        deserialize_with = "duration::deserialize"
    )]
    pub drain_timeout: Duration,
    /// How often a status line is logged.
    #[serde(
        default = "default_status_interval",
        deserialize_with = "duration::deserialize"
    )]
    pub status_interval: Duration,
}

/// Exactly one of `topic` / `path`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// A Kafka topic on the same brokers.
    #[serde(default)]
    pub topic: Option<String>,
    /// An NDJSON file, appended and fsynced.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

fn default_group() -> String {
    "logpipe-transfer".into()
}
fn default_consumers() -> usize {
    1
}
fn default_index() -> String {
    "%{[topic]}-%{+YYYY.MM.dd}".into()
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(60)
}
fn default_bulk_docs() -> usize {
    5000
}
fn default_bulk_bytes() -> usize {
    5 * 1024 * 1024
}
fn default_flush_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_indexers() -> usize {
    2
}
fn default_in_flight_batches() -> usize {
    4
}
fn default_max_document_bytes() -> usize {
    10 * 1024 * 1024
}
fn default_backoff_initial() -> Duration {
    Duration::from_millis(100)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(30)
}
fn default_drain_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_status_interval() -> Duration {
    Duration::from_secs(10)
}

impl Default for TransferPipelineConfig {
    fn default() -> Self {
        TransferPipelineConfig {
            bulk_docs: default_bulk_docs(),
            bulk_bytes: default_bulk_bytes(),
            flush_interval: default_flush_interval(),
            indexers: default_indexers(),
            in_flight_batches: default_in_flight_batches(),
            max_document_bytes: default_max_document_bytes(),
            backoff_initial: default_backoff_initial(),
            backoff_max: default_backoff_max(),
            drain_timeout: default_drain_timeout(),
            status_interval: default_status_interval(),
        }
    }
}

impl ElasticsearchConfig {
    /// Every base URL, without a trailing slash.
    pub fn all_urls(&self) -> Vec<String> {
        self.url
            .iter()
            .chain(self.urls.iter())
            .map(|u| u.trim_end_matches('/').to_string())
            .collect()
    }
}

impl TransferConfig {
    /// Reads and validates `path`; every error names the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<TransferConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        TransferConfig::parse(&text).with_context(|| format!("bad config {}", path.display()))
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> anyhow::Result<TransferConfig> {
        let config: TransferConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.kafka.brokers.trim().is_empty() {
            return Err("kafka.brokers: must not be empty".into());
        }
        if self.kafka.group.trim().is_empty() {
            return Err("kafka.group: must not be empty".into());
        }
        if self.kafka.topics.is_empty() || self.kafka.topics.iter().any(|t| t.trim().is_empty()) {
            return Err("kafka.topics: list at least one topic, none empty".into());
        }
        for topic in self.kafka.topics.iter().filter(|t| t.starts_with('^')) {
            regex::Regex::new(topic)
                .map_err(|e| format!("kafka.topics: `{topic}` is not a regex: {e}"))?;
        }
        let urls = self.elasticsearch.all_urls();
        if urls.is_empty() {
            return Err("elasticsearch.url: give url or urls".into());
        }
        for url in &urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "elasticsearch.urls: `{url}` must start with http:// or https://"
                ));
            }
        }
        if self.elasticsearch.user.is_some() != self.elasticsearch.password.is_some() {
            return Err("elasticsearch.user: user and password go together".into());
        }
        if self.elasticsearch.user.is_some() && self.elasticsearch.api_key.is_some() {
            return Err("elasticsearch.api_key: use either api_key or user/password".into());
        }
        IndexPattern::parse(&self.elasticsearch.index)
            .map_err(|e| format!("elasticsearch.index: {e}"))?;
        let p = &self.pipeline;
        for (key, value) in [
            ("kafka.consumers", self.kafka.consumers),
            ("pipeline.bulk_docs", p.bulk_docs),
            ("pipeline.bulk_bytes", p.bulk_bytes),
            ("pipeline.indexers", p.indexers),
            ("pipeline.in_flight_batches", p.in_flight_batches),
            ("pipeline.max_document_bytes", p.max_document_bytes),
        ] {
            if value == 0 {
                return Err(format!("{key}: must be at least 1"));
            }
        }
        if p.backoff_initial.is_zero() || p.backoff_max < p.backoff_initial {
            return Err(
                "pipeline.backoff_initial: must be positive and at most pipeline.backoff_max"
                    .into(),
            );
        }
        match (&self.dead_letter.topic, &self.dead_letter.path) {
            (Some(_), Some(_)) | (None, None) => {
                Err("dead_letter: give exactly one of topic or path".into())
            }
            (Some(topic), None) if topic.trim().is_empty() => {
                Err("dead_letter.topic: must not be empty".into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[kafka]
brokers = "127.0.0.1:9092"
topics = ["app_log"]
[elasticsearch]
url = "http://127.0.0.1:9200"
[dead_letter]
path = "/tmp/dead.ndjson"
"#;

    #[test]
    fn minimal_config_parses_with_defaults() {
        let c = TransferConfig::parse(MINIMAL).expect("parses");
        assert_eq!(c.kafka.group, "logpipe-transfer");
        assert_eq!(c.elasticsearch.index, "%{[topic]}-%{+YYYY.MM.dd}");
        assert_eq!(c.elasticsearch.codec, TransferCodec::Json);
        assert_eq!(c.pipeline.bulk_bytes, 5 * 1024 * 1024);
        assert_eq!(
            c.elasticsearch.all_urls(),
            vec!["http://127.0.0.1:9200".to_string()]
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("topics = ", "topiks = 1\ntopics = ");
        let err = format!("{:#}", TransferConfig::parse(&text).unwrap_err());
        assert!(err.contains("topiks"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let text = MINIMAL.replace(
            "path = \"/tmp/dead.ndjson\"",
            "path = \"/x\"\ntopic = \"dead\"",
        );
        let err = format!("{:#}", TransferConfig::parse(&text).unwrap_err());
        assert!(err.contains("dead_letter"), "{err}");
        let text = MINIMAL.replace(
            "url = \"http://127.0.0.1:9200\"",
            "url = \"http://x\"\nindex = \"a-%{+YYYY.QQ}\"",
        );
        let err = format!("{:#}", TransferConfig::parse(&text).unwrap_err());
        assert!(err.contains("elasticsearch.index"), "{err}");
        let text = MINIMAL.replace("[\"app_log\"]", "[]");
        let err = format!("{:#}", TransferConfig::parse(&text).unwrap_err());
        assert!(err.contains("kafka.topics"), "{err}");
    }
}
