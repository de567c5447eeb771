//! The transfer's TOML configuration (`logpipe transfer --config transfer.toml`).
//!
//! The keys, their types, defaults and help are in `TransferConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).
//!
//! Every struct denies unknown keys, so a misspelt key is refused at start with an error naming it;
//! `validate` checks values (non-empty lists, positive sizes, exactly one dead-letter destination, a
//! well-formed index pattern) and names the offending key.

use super::duration;
pub use super::elasticsearch::ElasticsearchConfig;
use super::error::ConfigError;
use super::filters::FilterList;
use super::kafka::{KafkaConnection, LibrdkafkaOptions, SaslConfig, SecurityProtocol};
use super::reference::{ConfigFile, Key, Type};
use super::tls::TlsFiles;
use super::toml_file::{LoadError, ParseError};
use super::EtcdConnection;
use indexmap::IndexMap;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole transfer configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferConfig {
    /// Directory of the transfer's own files (the default dead-letter file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    pub kafka: TransferKafkaConfig,
    pub elasticsearch: ElasticsearchConfig,
    #[serde(default)]
    pub pipeline: TransferPipelineConfig,
    /// Where documents the index refuses (4xx) go, with the reason, so that nothing is dropped silently:
    /// `data_dir/dead_letters.ndjson` unless a topic or another file is given.
    #[serde(default)]
    pub dead_letter: DeadLetterConfig,
    /// Optional: publish this process's status at `/logpipe/status/transfer/{host}-{pid}` on an etcd lease.
    #[serde(default)]
    pub etcd: Option<super::EtcdConnection>,
    /// Filters per topic, run on each decoded document before it is indexed: a topic name, or a regex when
    /// it starts with `^`, mapped to a filter list (the same lists as a collect entry's `filters`). A topic
    /// takes the list under its own name, else the first regex (in file order) it matches, else none.
    #[serde(default)]
    pub filters: IndexMap<String, FilterList>,
}

impl TransferConfig {
    /// The top-level keys of transfer.toml.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted("data_dir", Type::Path, "\"/var/lib/logpipe\"", "directory of the default dead-letter file"),
        Key::table("kafka", &[KafkaConnection::KEYS, TransferKafkaConfig::KEYS], "the consumer group (required); the dead-letter topic's producer uses the same connection keys"),
        Key::table("elasticsearch", &[ElasticsearchConfig::CONNECTION_KEYS, ElasticsearchConfig::WRITING_KEYS], "the _bulk destination (required); before consuming, GET / must answer Elasticsearch >= 7.10, OpenSearch 1-2 or logpipe's store"),
        Key::table("pipeline", &[TransferPipelineConfig::KEYS], "batching, threads and retries"),
        Key::table("dead_letter", &[DeadLetterConfig::KEYS], "where documents the index refuses go, with the reason: topic or path (absent: data_dir/dead_letters.ndjson)"),
        Key::table("etcd", &[EtcdConnection::KEYS], "fleet status at /logpipe/status/transfer/{host}-{pid} on a lease, gone when the process dies"),
        Key::map("filters", Type::Filters, "app_log = [{ json = { source = \"message\" } }]", "Logstash filters per topic, run on each decoded document: a topic name, or a regex when it starts with ^ (the first matching in file order); a dropped message is not indexed and its offset is committed"),
    ];
}

/// transfer.toml in the reference.
pub const TRANSFER_FILE: ConfigFile = ConfigFile {
    name: "transfer.toml",
    command: "transfer",
    keys: &[TransferConfig::KEYS],
    minimal: r#"
[kafka]
brokers = "127.0.0.1:9092"
topics = ["app_log"]
[elasticsearch]
url = "http://127.0.0.1:9200"
"#,
    not_for_this_file: &[],
};

/// The Kafka consumer group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferKafkaConfig {
    /// Bootstrap brokers, a comma-separated `host:port` list.
    pub brokers: String,
    /// `plaintext` (default), `ssl`, `sasl_plaintext` or `sasl_ssl` (as the agent's `[kafka]`).
    #[serde(default)]
    pub security_protocol: Option<SecurityProtocol>,
    /// TLS files (as the agent's `[kafka.tls]`).
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// SASL login (as the agent's `[kafka.sasl]`).
    #[serde(default)]
    pub sasl: Option<SaslConfig>,
    /// Consumer group id; processes with the same group share the partitions.
    #[serde(default = "default_group")]
    pub group: String,
    /// Topic names, or regexes when they start with `^`.
    pub topics: Vec<String>,
    /// Consumer threads in this process (each one a group member).
    #[serde(default = "default_consumers")]
    pub consumers: usize,
    /// Any other librdkafka property, passed as-is (e.g. `"session.timeout.ms" = "6000"`).
    #[serde(default)]
    pub options: LibrdkafkaOptions,
}

impl TransferKafkaConfig {
    /// The consumer keys of the transfer's `[kafka]`, besides `KafkaConnection::KEYS`.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted(
            "group",
            Type::String,
            "\"logpipe-transfer\"",
            "consumer group; processes of one group share the partitions",
        ),
        Key::required(
            "topics",
            Type::List(&Type::String),
            "[\"app_log\", \"^web_.*\"]",
            "topics to consume; a leading ^ makes a regex",
        ),
        Key::defaulted(
            "consumers",
            Type::Integer,
            "1",
            "consumer threads in this process (each a group member)",
        ),
    ];
}

impl TransferKafkaConfig {
    /// The connection settings alone (shared by the consumers and the dead-letter producer).
    pub fn connection(&self) -> KafkaConnection {
        KafkaConnection {
            brokers: self.brokers.clone(),
            security_protocol: self.security_protocol,
            tls: self.tls.clone(),
            sasl: self.sasl.clone(),
            options: self.options.clone(),
        }
    }
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
    /// Batches in flight per consumer before it waits (and, after 5 s, pauses its partitions).
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

impl TransferPipelineConfig {
    /// The keys of the transfer's `[pipeline]`.
    pub const KEYS: &'static [Key] = &[
        Key::defaulted("bulk_docs", Type::Integer, "5000", "documents per _bulk request at most"),
        Key::defaulted("bulk_bytes", Type::Integer, "5242880", "bytes per _bulk request at most (a bigger document goes alone)"),
        Key::defaulted("flush_interval", Type::Duration, "\"1s\"", "a partial batch is sent after this long"),
        Key::defaulted("indexers", Type::Integer, "2", "indexer threads"),
        Key::defaulted("in_flight_batches", Type::Integer, "4", "batches in flight per consumer before it stops reading (after 5 s it pauses its partitions)"),
        Key::defaulted("max_document_bytes", Type::Integer, "10485760", "larger messages go to the dead letter"),
        Key::defaulted("backoff_initial", Type::Duration, "\"100ms\"", "first retry delay of a 429, a 5xx or a connection error; it doubles up to backoff_max"),
        Key::defaulted("backoff_max", Type::Duration, "\"30s\"", "longest retry delay"),
        Key::defaulted("drain_timeout", Type::Duration, "\"10s\"", "SIGTERM and a partition revocation wait this long for batches in flight (uncommitted ones are read again)"),
        Key::defaulted("status_interval", Type::Duration, "\"10s\"", "how often a status line is logged"),
    ];
}

/// At most one of `topic` / `path`; neither means the default file in `data_dir`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterConfig {
    /// A Kafka topic on the same brokers.
    #[serde(default)]
    pub topic: Option<String>,
    /// An NDJSON file, appended and fsynced.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

impl DeadLetterConfig {
    /// The keys of `[dead_letter]` (one of them at most).
    pub const KEYS: &'static [Key] = &[
        Key::optional(
            "path",
            Type::Path,
            "\"/var/lib/logpipe/dead.ndjson\"",
            "an NDJSON file, appended and fsynced",
        ),
        Key::optional(
            "topic",
            Type::String,
            "\"logpipe_dead_letters\"",
            "a Kafka topic on the same brokers",
        ),
    ];
}

/// Where dead letters go, once the defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterDestination {
    Topic(String),
    File(PathBuf),
}

/// The name of the dead-letter file in `data_dir` when `[dead_letter]` names none.
pub const DEFAULT_DEAD_LETTER_FILE: &str = "dead_letters.ndjson";

fn default_data_dir() -> PathBuf {
    PathBuf::from("/var/lib/logpipe")
}
fn default_group() -> String {
    "logpipe-transfer".into()
}
fn default_consumers() -> usize {
    1
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

impl TransferConfig {
    /// Reads and validates `path`; every error names the file and the key. Warns when the file holds a
    /// password and others may read it.
    pub fn load(path: &Path) -> Result<TransferConfig, LoadError> {
        let text = super::toml_file::read(path)?;
        let config = TransferConfig::parse(&text).map_err(|e| e.in_file(path))?;
        let inline = [
            (
                "kafka.sasl.password",
                config
                    .kafka
                    .sasl
                    .as_ref()
                    .is_some_and(|s| s.password.is_some()),
            ),
            (
                "elasticsearch.password",
                config.elasticsearch.password.is_some(),
            ),
            (
                "etcd.password",
                config.etcd.as_ref().is_some_and(|e| e.password.is_some()),
            ),
        ];
        super::secret::warn_inline_passwords(path, &inline);
        Ok(config)
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<TransferConfig, ParseError> {
        let config: TransferConfig = super::toml_file::parse(text, &["kafka", "elasticsearch"])?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.kafka.connection().validate()?;
        if self.kafka.options.contains("group.id") {
            return Err(ConfigError::Conflict {
                key: "kafka.group".into(),
                options_key: "kafka.options.\"group.id\"".into(),
                property: "group.id".into(),
            });
        }
        if let Some(etcd) = &self.etcd {
            etcd.validate()?;
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
        self.elasticsearch.validate()?;
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
                return Err(ConfigError::Invalid(format!("{key}: must be at least 1")));
            }
        }
        if p.backoff_initial.is_zero() || p.backoff_max < p.backoff_initial {
            return Err(
                "pipeline.backoff_initial: must be positive and at most pipeline.backoff_max"
                    .into(),
            );
        }
        for (topic, filters) in &self.filters {
            let name = if topic.starts_with('^') {
                regex::Regex::new(topic)
                    .map_err(|e| format!("filters.\"{topic}\": not a regex: {e}"))?;
                format!("filters.\"{topic}\"")
            } else {
                super::collect::validate_topic(topic)
                    .map_err(|e| ConfigError::Invalid(format!("filters.{topic}: {e}")))?;
                format!("filters.{topic}")
            };
            filters.validate(&name)?;
        }
        match (&self.dead_letter.topic, &self.dead_letter.path) {
            (Some(_), Some(_)) => Err("dead_letter: give topic or path, not both".into()),
            (Some(topic), None) if topic.trim().is_empty() => {
                Err("dead_letter.topic: must not be empty".into())
            }
            _ => Ok(()),
        }
    }

    /// Where dead letters go: the configured topic or file, else `data_dir/dead_letters.ndjson`.
    pub fn dead_letter_destination(&self) -> DeadLetterDestination {
        match (&self.dead_letter.topic, &self.dead_letter.path) {
            (Some(topic), _) => DeadLetterDestination::Topic(topic.clone()),
            (None, Some(path)) => DeadLetterDestination::File(path.clone()),
            (None, None) => {
                DeadLetterDestination::File(self.data_dir.join(DEFAULT_DEAD_LETTER_FILE))
            }
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
        assert_eq!(c.elasticsearch.index_pattern(), "%{[topic]}-%{+YYYY.MM.dd}");
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

    /// Bug: a config without `[dead_letter]` was refused with a bare "missing field" at line 1.
    #[test]
    fn without_dead_letter_the_file_in_data_dir_is_used() {
        let text = MINIMAL.replace("[dead_letter]\npath = \"/tmp/dead.ndjson\"\n", "");
        assert!(!text.contains("dead_letter"));
        let c = TransferConfig::parse(&text).expect("parses");
        assert_eq!(
            c.dead_letter_destination(),
            DeadLetterDestination::File(PathBuf::from("/var/lib/logpipe/dead_letters.ndjson"))
        );
        let c = TransferConfig::parse(&format!("data_dir = \"/srv/lp\"\n{text}")).expect("parses");
        assert_eq!(
            c.dead_letter_destination(),
            DeadLetterDestination::File(PathBuf::from("/srv/lp/dead_letters.ndjson"))
        );
    }

    #[test]
    fn filters_per_topic_keep_their_order_and_name_their_errors() {
        let text = format!(
            "{MINIMAL}[filters]\n\"^web_.*\" = [ {{ json = {{ source = \"message\" }} }} ]\n\
             app_log = [ {{ drop = {{ if = '[level] == \"DEBUG\"' }} }} ]\n\
             \"^a.*\" = []\n"
        );
        let c = TransferConfig::parse(&text).expect("parses");
        let keys: Vec<&str> = c.filters.keys().map(String::as_str).collect();
        assert_eq!(keys, ["^web_.*", "app_log", "^a.*"]);
        let bad = text.replace("source = \"message\"", "source = \"[a\"");
        let err = format!("{:#}", TransferConfig::parse(&bad).unwrap_err());
        assert!(
            err.contains("filters.\"^web_.*\"[0].json.source: "),
            "{err}"
        );
        let bad = text.replace("app_log = [", "\"bad topic\" = [");
        let err = format!("{:#}", TransferConfig::parse(&bad).unwrap_err());
        assert!(err.contains("filters.bad topic: "), "{err}");
        let bad = text.replace("\"^a.*\"", "\"^a(\"");
        let err = format!("{:#}", TransferConfig::parse(&bad).unwrap_err());
        assert!(err.contains("filters.\"^a(\": not a regex"), "{err}");
    }

    #[test]
    fn a_missing_section_is_named_in_plain_words() {
        let text = MINIMAL.replace("[elasticsearch]\nurl = \"http://127.0.0.1:9200\"\n", "");
        let err = format!("{:#}", TransferConfig::parse(&text).unwrap_err());
        assert!(
            err.contains("the [elasticsearch] section is missing"),
            "{err}"
        );
    }
}
