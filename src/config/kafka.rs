//! `[kafka]`: the settings of every Kafka client of logpipe. `KafkaConnection` (brokers, security, extra
//! librdkafka properties) is shared by the agent's producers, the host-metrics producer, the transfer's
//! consumers and its dead-letter producer; `KafkaConfig` is the agent's section (connection + producer keys),
//! `config::transfer::TransferKafkaConfig` the transfer's (connection + group keys).
//!
//! The keys, their types, defaults and help are in `KafkaConnection::KEYS, KafkaConfig::PRODUCER_KEYS, SaslConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).
//!
//! Each typed key owns librdkafka properties (`KafkaConnection::owned_properties`); setting one of them in
//! `[kafka.options]` as well is an error naming both, so there is never a question which one wins.

use super::error::ConfigError;
use super::reference::{Key, Type};
use super::secret::Secret;
use super::tls::TlsFiles;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A value that is not one of those a key takes (the message names the key).
#[derive(Debug, thiserror::Error)]
#[error("{key}: `{value}` is not one of {expected}")]
pub struct UnknownValue {
    key: &'static str,
    value: String,
    expected: &'static str,
}

/// How the client talks to the brokers (librdkafka `security.protocol`; either case is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(try_from = "String")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl TryFrom<String> for SecurityProtocol {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, UnknownValue> {
        match value.to_ascii_lowercase().as_str() {
            "plaintext" => Ok(SecurityProtocol::Plaintext),
            "ssl" => Ok(SecurityProtocol::Ssl),
            "sasl_plaintext" => Ok(SecurityProtocol::SaslPlaintext),
            "sasl_ssl" => Ok(SecurityProtocol::SaslSsl),
            _ => Err(UnknownValue {
                key: "kafka.security_protocol",
                value,
                expected: "plaintext, ssl, sasl_plaintext, sasl_ssl",
            }),
        }
    }
}

impl SecurityProtocol {
    /// librdkafka's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "plaintext",
            SecurityProtocol::Ssl => "ssl",
            SecurityProtocol::SaslPlaintext => "sasl_plaintext",
            SecurityProtocol::SaslSsl => "sasl_ssl",
        }
    }
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// The SASL mechanism (librdkafka `sasl.mechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
    /// OAuth bearer tokens; configure the token source with `[kafka.options]` (`sasl.oauthbearer.*`).
    OauthBearer,
    /// Kerberos; needs logpipe built with the `kafka-gssapi` feature; `sasl.kerberos.*` in `[kafka.options]`.
    Gssapi,
}

impl TryFrom<String> for SaslMechanism {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, UnknownValue> {
        match value.to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
            "OAUTHBEARER" => Ok(SaslMechanism::OauthBearer),
            "GSSAPI" => Ok(SaslMechanism::Gssapi),
            _ => Err(UnknownValue {
                key: "kafka.sasl.mechanism",
                value,
                expected: "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI",
            }),
        }
    }
}

impl SaslMechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OauthBearer => "OAUTHBEARER",
            SaslMechanism::Gssapi => "GSSAPI",
        }
    }
    /// PLAIN and SCRAM log in with a user name and a password.
    pub fn uses_password(self) -> bool {
        matches!(
            self,
            SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512
        )
    }
}

/// `[kafka.sasl]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaslConfig {
    /// `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER` or `GSSAPI` (the last needs the `kafka-gssapi`
    /// build feature).
    pub mechanism: SaslMechanism,
    /// User name for PLAIN and SCRAM.
    #[serde(default)]
    pub username: Option<String>,
    /// File whose first line is the password (read at start and at every `SIGHUP`); the recommended source.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Name of an environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// The password itself, in this file. Allowed, but logpipe warns at start when the config file is
    /// readable by its group or by everyone; prefer `password_file` or `password_env`.
    #[serde(default)]
    pub password: Option<Secret>,
}

impl SaslConfig {
    fn password_sources(&self) -> usize {
        usize::from(self.password_file.is_some())
            + usize::from(self.password_env.is_some())
            + usize::from(self.password.is_some())
    }

    /// The password from whichever source is configured, read now.
    pub fn resolve_password(&self) -> Result<Option<Secret>, ConfigError> {
        super::tls::resolve_password(
            "kafka.sasl",
            self.password_file.as_deref(),
            self.password_env.as_deref(),
            self.password.as_ref(),
        )
    }
}

impl SaslConfig {
    /// The keys of `[kafka.sasl]`.
    pub const KEYS: &'static [Key] = &[
        Key::required("mechanism", Type::OneOf(&["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"]), "\"SCRAM-SHA-512\"", "SASL mechanism (OAUTHBEARER and GSSAPI take their settings from [kafka.options]; GSSAPI needs the kafka-gssapi build feature)"),
        Key::optional("username", Type::String, "\"logpipe\"", "user name for PLAIN and SCRAM"),
        Key::optional("password_file", Type::Path, "\"/etc/logpipe/kafka.pass\"", "file whose first line is the password, re-read at every SIGHUP (give one of password_file, password_env, password)"),
        Key::optional("password_env", Type::String, "\"KAFKA_PASSWORD\"", "environment variable holding the password"),
        Key::optional("password", Type::Secret, "\"...\"", "the password itself (warned about when others may read this file)"),
    ];
}

/// `[kafka.options]`: librdkafka properties passed as-is. `Debug` hides the values of secret properties.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct LibrdkafkaOptions(BTreeMap<String, String>);

/// librdkafka properties whose values are secrets (never shown by `Debug`).
const SECRET_PROPERTIES: [&str; 6] = [
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.key.pem",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.config",
];

impl LibrdkafkaOptions {
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
    pub fn get(&self, property: &str) -> Option<&str> {
        self.0.get(property).map(String::as_str)
    }
    pub fn contains(&self, property: &str) -> bool {
        self.0.contains_key(property)
    }
    /// `property` as a whole number, when it is set and is one.
    pub fn number(&self, property: &str) -> Option<u64> {
        self.get(property).and_then(|v| v.trim().parse().ok())
    }
    /// The same options without `property`.
    pub fn without(&self, property: &str) -> LibrdkafkaOptions {
        let mut options = self.clone();
        options.0.remove(property);
        options
    }
    /// Whether `property` is a secret librdkafka property.
    pub fn is_secret(property: &str) -> bool {
        SECRET_PROPERTIES.contains(&property)
    }
}

impl FromIterator<(String, String)> for LibrdkafkaOptions {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        LibrdkafkaOptions(iter.into_iter().collect())
    }
}

impl fmt::Debug for LibrdkafkaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let shown = if Self::is_secret(k) { "<redacted>" } else { v };
                (k, shown)
            }))
            .finish()
    }
}

/// What every Kafka client of logpipe needs to reach the brokers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConnection {
    /// Comma-separated `host:port` list.
    pub brokers: String,
    /// `None`: not given (plaintext, unless `[kafka.options]` sets `security.protocol`).
    pub security_protocol: Option<SecurityProtocol>,
    pub tls: Option<TlsFiles>,
    pub sasl: Option<SaslConfig>,
    pub options: LibrdkafkaOptions,
}

impl KafkaConnection {
    /// Plain connection to `brokers` (tests, tools).
    pub fn plain(brokers: &str) -> KafkaConnection {
        KafkaConnection {
            brokers: brokers.to_string(),
            security_protocol: None,
            tls: None,
            sasl: None,
            options: LibrdkafkaOptions::default(),
        }
    }

    /// The protocol in effect.
    pub fn protocol(&self) -> SecurityProtocol {
        self.security_protocol.unwrap_or_default()
    }

    /// (typed key, librdkafka properties it sets) of the keys given.
    pub fn owned_properties(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let mut owned: Vec<(&'static str, &'static [&'static str])> = vec![(
            "kafka.brokers",
            &["bootstrap.servers", "metadata.broker.list"],
        )];
        if self.security_protocol.is_some() {
            owned.push(("kafka.security_protocol", &["security.protocol"]));
        }
        if let Some(tls) = &self.tls {
            owned.push((
                "kafka.tls.verify_hostname",
                &["ssl.endpoint.identification.algorithm"],
            ));
            if tls.ca_file.is_some() {
                owned.push(("kafka.tls.ca_file", &["ssl.ca.location", "ssl.ca.pem"]));
            }
            if tls.cert_file.is_some() {
                owned.push((
                    "kafka.tls.cert_file",
                    &["ssl.certificate.location", "ssl.certificate.pem"],
                ));
            }
            if tls.key_file.is_some() {
                owned.push(("kafka.tls.key_file", &["ssl.key.location", "ssl.key.pem"]));
            }
            if tls.key_password_file.is_some() {
                owned.push(("kafka.tls.key_password_file", &["ssl.key.password"]));
            }
        }
        if let Some(sasl) = &self.sasl {
            owned.push((
                "kafka.sasl.mechanism",
                &["sasl.mechanism", "sasl.mechanisms"],
            ));
            if sasl.username.is_some() {
                owned.push(("kafka.sasl.username", &["sasl.username"]));
            }
            if sasl.password_sources() > 0 {
                owned.push(("kafka.sasl.password", &["sasl.password"]));
            }
        }
        owned
    }

    /// Checks the keys and their combination (files are read when a client is built).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.brokers.trim().is_empty() {
            return Err("kafka.brokers: must not be empty".into());
        }
        for broker in self.brokers.split(',').map(str::trim) {
            let port_ok = broker
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(ConfigError::Invalid(format!(
                    "kafka.brokers: `{broker}` is not host:port"
                )));
            }
        }
        let protocol = self.protocol();
        if let Some(tls) = &self.tls {
            tls.validate("kafka.tls")?;
            if !protocol.uses_tls() {
                return Err(ConfigError::Invalid(format!(
                    "kafka.tls: TLS settings need kafka.security_protocol = \"ssl\" or \"sasl_ssl\" (it is \"{}\")",
                    protocol.as_str()
                )));
            }
        }
        match (&self.sasl, protocol.uses_sasl()) {
            (Some(_), false) => {
                return Err(ConfigError::Invalid(format!(
                    "kafka.sasl: SASL settings need kafka.security_protocol = \"sasl_ssl\" or \"sasl_plaintext\" (it is \"{}\")",
                    protocol.as_str()
                )))
            }
            (None, true) if self.options.get("sasl.mechanism").is_none() => {
                return Err(ConfigError::Invalid(format!(
                    "kafka.security_protocol = \"{}\" needs a [kafka.sasl] section (mechanism, username, password_file)",
                    protocol.as_str()
                )))
            }
            _ => {}
        }
        if let Some(sasl) = &self.sasl {
            validate_sasl(sasl)?;
        }
        for (key, properties) in self.owned_properties() {
            if let Some(property) = properties.iter().find(|p| self.options.contains(p)) {
                return Err(ConfigError::Conflict {
                    key: key.to_string(),
                    options_key: format!("kafka.options.\"{property}\""),
                    property: (*property).to_string(),
                });
            }
        }
        Ok(())
    }

    /// A one-line description without secrets: `sasl_ssl, SCRAM-SHA-512 as logpipe, CA /etc/ca.pem`.
    pub fn describe(&self) -> String {
        let mut parts = vec![self
            .options
            .get("security.protocol")
            .filter(|_| self.security_protocol.is_none())
            .unwrap_or(self.protocol().as_str())
            .to_string()];
        if let Some(sasl) = &self.sasl {
            match &sasl.username {
                Some(user) => parts.push(format!("{} as {user}", sasl.mechanism.as_str())),
                None => parts.push(sasl.mechanism.as_str().to_string()),
            }
        }
        if let Some(tls) = &self.tls {
            if let Some(ca) = &tls.ca_file {
                parts.push(format!("CA {}", ca.display()));
            }
            if let Some(cert) = &tls.cert_file {
                parts.push(format!("client certificate {}", cert.display()));
            }
            if !tls.verify_hostname {
                parts.push("host name not verified".into());
            }
        }
        parts.join(", ")
    }
}

impl KafkaConnection {
    /// The keys every `[kafka]` section takes (the agent's producers, the transfer's consumers).
    pub const KEYS: &'static [Key] = &[
        Key::required("brokers", Type::String, "\"127.0.0.1:9092\"", "bootstrap brokers, a comma-separated host:port list"),
        Key::implied("security_protocol", Type::OneOf(&["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]), "\"plaintext\"", "how to talk to the brokers"),
        Key::table("tls", &[TlsFiles::KEYS], "TLS, with security_protocol ssl or sasl_ssl (the same keys as [etcd.tls])"),
        Key::table("sasl", &[SaslConfig::KEYS], "SASL login, with security_protocol sasl_ssl or sasl_plaintext"),
        Key::map("options", Type::String, "\"socket.keepalive.enable\" = \"true\"", "any other librdkafka property, passed as-is; repeating a property a typed key sets is an error naming both"),
    ];
}

fn validate_sasl(sasl: &SaslConfig) -> Result<(), ConfigError> {
    let mechanism = sasl.mechanism.as_str();
    if sasl.mechanism.uses_password() {
        if sasl.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(ConfigError::Invalid(format!(
                "kafka.sasl.username: required with mechanism {mechanism}"
            )));
        }
        match sasl.password_sources() {
            0 => {
                return Err(ConfigError::Invalid(format!(
                    "kafka.sasl.password_file: required with mechanism {mechanism} (or password_env, or password)"
                )))
            }
            1 => {}
            _ => {
                return Err(
                    "kafka.sasl.password_file / password_env / password: give only one".into(),
                )
            }
        }
        if let Some(path) = &sasl.password_file {
            if !path.is_absolute() {
                return Err(ConfigError::Invalid(format!(
                    "kafka.sasl.password_file: `{}` must be an absolute path",
                    path.display()
                )));
            }
        }
    } else if sasl.password_sources() > 0 || sasl.username.is_some() {
        return Err(ConfigError::Invalid(format!(
            "kafka.sasl.username / password: not used by mechanism {mechanism} (configure it with [kafka.options])"
        )));
    }
    if sasl.mechanism == SaslMechanism::Gssapi && !cfg!(feature = "kafka-gssapi") {
        return Err(
            "kafka.sasl.mechanism: GSSAPI needs logpipe built with the `kafka-gssapi` feature"
                .into(),
        );
    }
    Ok(())
}

/// Most bytes of messages in one batch, before compression, unless configured (batches compressed). Kafka
/// limits the *compressed* batch (1,048,588 bytes by default), and logs compress 3-5× with lz4. Batches
/// twice librdkafka's 1,000,000 halve the broker's requests: on Tansu its CPU fell by a fifth to a quarter,
/// and the wall time of 10 × 100 MiB by 7-11 % (perf/RESULTS.md, issue 28). A batch a broker still refuses
/// as too large makes the producer halve its batches (see `producer`).
pub const DEFAULT_BATCH_SIZE: u64 = 2_000_000;

/// The batch size unless configured when batches are not compressed: librdkafka's own, which fits a Kafka
/// broker's default limit as it is.
pub const DEFAULT_UNCOMPRESSED_BATCH_SIZE: u64 = 1_000_000;

/// The largest message the agent sends unless configured: one such message alone in a batch fits what a
/// Kafka broker accepts by default (1,048,588 bytes), even incompressible.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_000_000;
const MIN_MAX_MESSAGE_BYTES: u64 = 1024;
const MAX_MAX_MESSAGE_BYTES: u64 = 100_000_000;

/// `[kafka]` of the agent: the connection plus the producer's keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, a comma-separated `host:port` list.
    pub brokers: String,
    /// `plaintext` (default), `ssl`, `sasl_plaintext` or `sasl_ssl`.
    #[serde(default)]
    pub security_protocol: Option<SecurityProtocol>,
    /// TLS files (with `security_protocol` `ssl` or `sasl_ssl`).
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// SASL login (with `security_protocol` `sasl_ssl` or `sasl_plaintext`).
    #[serde(default)]
    pub sasl: Option<SaslConfig>,
    /// Acknowledgements the producer waits for: `all` (default; the idempotent producer is on), `1` or `0`.
    #[serde(default)]
    pub acks: Option<String>,
    /// Compression of produced batches: `none`, `gzip`, `snappy`, `lz4` (default) or `zstd`.
    #[serde(default)]
    pub compression: Option<String>,
    /// librdkafka `linger.ms`: how long a batch may wait to fill (default 50).
    #[serde(default)]
    pub linger_ms: Option<u64>,
    /// librdkafka `batch.size`: most bytes of messages in one batch, before compression (default 2000000;
    /// 1000000 without compression).
    #[serde(default)]
    pub batch_size: Option<u64>,
    /// Largest message sent, in bytes (default 1000000): a longer event has its line cut to fit.
    #[serde(default)]
    pub max_message_bytes: Option<u64>,
    /// Any other librdkafka property, passed as-is (`"socket.keepalive.enable" = "true"`).
    #[serde(default)]
    pub options: LibrdkafkaOptions,
}

impl KafkaConfig {
    pub fn acks(&self) -> &str {
        self.acks.as_deref().unwrap_or("all")
    }
    pub fn compression(&self) -> &str {
        self.compression.as_deref().unwrap_or("lz4")
    }
    pub fn linger_ms(&self) -> u64 {
        self.linger_ms.unwrap_or(50)
    }
    /// The batch size in force: `batch_size`, else `batch.size` of `[kafka.options]`, else
    /// `DEFAULT_BATCH_SIZE` (`DEFAULT_UNCOMPRESSED_BATCH_SIZE` with compression `none`).
    pub fn batch_size(&self) -> u64 {
        self.batch_size
            .or_else(|| self.options.number("batch.size"))
            .unwrap_or(if self.compresses() {
                DEFAULT_BATCH_SIZE
            } else {
                DEFAULT_UNCOMPRESSED_BATCH_SIZE
            })
    }

    /// Whether batches are compressed: `compression`, or librdkafka's own key in `[kafka.options]` when
    /// only that is given.
    fn compresses(&self) -> bool {
        self.compression
            .as_deref()
            .or_else(|| {
                ["compression.type", "compression.codec"]
                    .iter()
                    .find_map(|key| self.options.get(key))
            })
            .unwrap_or("lz4")
            != "none"
    }

    /// The same settings with batches of at most `bytes` (the producer's answer to a broker that refused a
    /// batch as too large).
    pub fn with_batch_size(&self, bytes: u64) -> KafkaConfig {
        KafkaConfig {
            batch_size: Some(bytes),
            options: self.options.without("batch.size"),
            ..self.clone()
        }
    }
    /// The largest message the producer sends: `max_message_bytes`, else librdkafka's `message.max.bytes`
    /// when `[kafka.options]` sets it (as a converted Logstash `max_request_size` does), else 1,000,000 —
    /// below the 1,048,588 bytes a Kafka broker accepts in one record batch by default, so a batch holding
    /// just one message always fits, compressed or not.
    pub fn max_message_bytes(&self) -> usize {
        let configured = self
            .max_message_bytes
            .or_else(|| self.options.number("message.max.bytes"));
        configured.map_or(DEFAULT_MAX_MESSAGE_BYTES, |v| {
            usize::try_from(v).unwrap_or(usize::MAX)
        })
    }

    /// The connection settings alone.
    pub fn connection(&self) -> KafkaConnection {
        KafkaConnection {
            brokers: self.brokers.clone(),
            security_protocol: self.security_protocol,
            tls: self.tls.clone(),
            sasl: self.sasl.clone(),
            options: self.options.clone(),
        }
    }

    /// Errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let connection = self.connection();
        connection.validate()?;
        if !matches!(self.acks(), "all" | "-1" | "0" | "1") {
            return Err(ConfigError::Invalid(format!(
                "kafka.acks: `{}` is not one of all, 1, 0",
                self.acks()
            )));
        }
        if !matches!(
            self.compression(),
            "none" | "gzip" | "snappy" | "lz4" | "zstd"
        ) {
            return Err(ConfigError::Invalid(format!(
                "kafka.compression: `{}` is not one of none, gzip, snappy, lz4, zstd",
                self.compression()
            )));
        }
        if let Some(bytes) = self.max_message_bytes {
            if !(MIN_MAX_MESSAGE_BYTES..=MAX_MAX_MESSAGE_BYTES).contains(&bytes) {
                return Err(ConfigError::Invalid(format!(
                    "kafka.max_message_bytes: {bytes} is not between {MIN_MAX_MESSAGE_BYTES} and {MAX_MAX_MESSAGE_BYTES}"
                )));
            }
        }
        let producer_keys: [(&str, bool, &[&str]); 5] = [
            (
                "kafka.acks",
                self.acks.is_some(),
                &["acks", "request.required.acks"],
            ),
            (
                "kafka.compression",
                self.compression.is_some(),
                &["compression.type", "compression.codec"],
            ),
            (
                "kafka.linger_ms",
                self.linger_ms.is_some(),
                &["linger.ms", "queue.buffering.max.ms"],
            ),
            (
                "kafka.batch_size",
                self.batch_size.is_some(),
                &["batch.size"],
            ),
            (
                "kafka.max_message_bytes",
                self.max_message_bytes.is_some(),
                &["message.max.bytes"],
            ),
        ];
        for (key, given, properties) in producer_keys {
            if let Some(property) = properties
                .iter()
                .find(|p| given && self.options.contains(p))
            {
                return Err(ConfigError::Conflict {
                    key: key.to_string(),
                    options_key: format!("kafka.options.\"{property}\""),
                    property: (*property).to_string(),
                });
            }
        }
        Ok(())
    }

    /// Whether the SASL password is written in the config file itself.
    pub fn has_inline_password(&self) -> bool {
        self.sasl.as_ref().is_some_and(|s| s.password.is_some())
    }
}

impl KafkaConfig {
    /// The agent's producer keys of `[kafka]`, besides `KafkaConnection::KEYS`.
    pub const PRODUCER_KEYS: &'static [Key] = &[
        Key::implied(
            "acks",
            Type::OneOf(&["all", "1", "0"]),
            "\"all\"",
            "acknowledgements the producer waits for (the idempotent producer is on with all)",
        ),
        Key::implied(
            "compression",
            Type::OneOf(&["none", "gzip", "snappy", "lz4", "zstd"]),
            "\"lz4\"",
            "compression of produced batches",
        ),
        Key::implied(
            "linger_ms",
            Type::Integer,
            "50",
            "librdkafka linger.ms: how long a batch may wait to fill",
        ),
        Key::implied(
            "batch_size",
            Type::Integer,
            "2000000",
            "librdkafka batch.size: most bytes of messages in one batch, before compression (1000000 with \
             compression none); halved each time the broker refuses a batch as too large",
        ),
        Key::implied(
            "max_message_bytes",
            Type::Integer,
            "1000000",
            "largest message sent (1024 to 100000000); a longer event has its line cut to fit and is flagged \
             truncated. Kafka refuses a record batch larger than its message.max.bytes (1048588 by default)",
        ),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> KafkaConfig {
        toml::from_str(text).expect("parses")
    }

    #[test]
    fn sasl_ssl_with_files_parses_and_validates() {
        let c = parse(
            r#"
brokers = "k1:9093,k2:9093"
security_protocol = "sasl_ssl"
[tls]
ca_file = "/etc/ca.pem"
[sasl]
mechanism = "SCRAM-SHA-512"
username = "logpipe"
password_file = "/etc/kafka.pass"
"#,
        );
        c.validate().expect("valid");
        assert_eq!(c.connection().protocol(), SecurityProtocol::SaslSsl);
        assert_eq!(
            c.connection().describe(),
            "sasl_ssl, SCRAM-SHA-512 as logpipe, CA /etc/ca.pem"
        );
    }

    #[test]
    fn typed_key_and_the_same_option_is_an_error_naming_both() {
        let c = parse(
            "brokers = \"k:9093\"\nsecurity_protocol = \"ssl\"\n[options]\n\"security.protocol\" = \"ssl\"\n",
        );
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("kafka.security_protocol")
                && err.contains("kafka.options.\"security.protocol\""),
            "{err}"
        );
        let c = parse("brokers = \"k:9092\"\ncompression = \"zstd\"\n[options]\n\"compression.codec\" = \"gzip\"\n");
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("kafka.compression"), "{err}");
        // An untyped property is passed as-is; a default typed key does not claim its property.
        let c = parse("brokers = \"k:9092\"\n[options]\n\"linger.ms\" = \"50\"\n\"security.protocol\" = \"ssl\"\n");
        c.validate().expect("valid");
    }

    #[test]
    fn section_and_protocol_must_agree() {
        let c = parse("brokers = \"k:9092\"\n[tls]\nca_file = \"/ca.pem\"\n");
        let err = c.validate().unwrap_err().to_string();
        assert!(err.starts_with("kafka.tls:"), "{err}");
        let c = parse("brokers = \"k:9092\"\nsecurity_protocol = \"sasl_plaintext\"\n");
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("[kafka.sasl]"), "{err}");
        let c = parse(
            "brokers = \"k:9092\"\nsecurity_protocol = \"sasl_plaintext\"\n[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\n",
        );
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("kafka.sasl.password_file"), "{err}");
    }

    #[test]
    fn unknown_mechanism_is_refused_by_name() {
        let err = toml::from_str::<KafkaConfig>(
            "brokers = \"k:9092\"\nsecurity_protocol = \"sasl_ssl\"\n[sasl]\nmechanism = \"SCRAM-SHA-1\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("SCRAM-SHA-1") && err.contains("SCRAM-SHA-512"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_never_shows_a_password() {
        let c = parse(
            "brokers = \"k:9092\"\nsecurity_protocol = \"sasl_plaintext\"\n[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\npassword = \"hunter2\"\n[options]\n\"ssl.key.password\" = \"swordfish\"\n",
        );
        let debug = format!("{c:?} {:?}", c.connection());
        assert!(
            !debug.contains("hunter2") && !debug.contains("swordfish"),
            "{debug}"
        );
        assert!(c.has_inline_password());
    }

    #[test]
    fn password_comes_from_the_environment() {
        let var = "LOGPIPE_TEST_KAFKA_PASSWORD_ENV";
        std::env::set_var(var, "from-env");
        let sasl = SaslConfig {
            mechanism: SaslMechanism::ScramSha256,
            username: Some("u".into()),
            password_file: None,
            password_env: Some(var.into()),
            password: None,
        };
        assert_eq!(
            sasl.resolve_password()
                .expect("set")
                .map(|s| s.expose().to_string()),
            Some("from-env".to_string())
        );
        let unset = SaslConfig {
            password_env: Some("LOGPIPE_TEST_SURELY_UNSET".into()),
            ..sasl
        };
        let err = unset.resolve_password().unwrap_err().to_string();
        assert!(err.starts_with("kafka.sasl.password_env"), "{err}");
    }

    #[test]
    fn the_default_batch_size_follows_compression() {
        let batch = |toml: &str| parse(&format!("brokers = \"k:9092\"\n{toml}")).batch_size();
        assert_eq!(batch(""), 2_000_000, "lz4 by default");
        assert_eq!(batch("compression = \"zstd\"\n"), 2_000_000);
        assert_eq!(batch("compression = \"none\"\n"), 1_000_000);
        assert_eq!(
            batch("[options]\n\"compression.codec\" = \"none\"\n"),
            1_000_000
        );
        assert_eq!(
            batch("compression = \"none\"\nbatch_size = 3000000\n"),
            3_000_000
        );
        assert_eq!(batch("[options]\n\"batch.size\" = \"65536\"\n"), 65_536);
    }

    #[test]
    fn max_message_bytes_defaults_follows_options_and_is_checked() {
        assert_eq!(
            parse("brokers = \"k:9092\"\n").max_message_bytes(),
            1_000_000
        );
        let from_options =
            parse("brokers = \"k:9092\"\n[options]\n\"message.max.bytes\" = \"2097152\"\n");
        assert_eq!(from_options.max_message_bytes(), 2_097_152);
        assert!(from_options.validate().is_ok());
        let typed = parse("brokers = \"k:9092\"\nmax_message_bytes = 500000\n");
        assert_eq!(typed.max_message_bytes(), 500_000);
        let both = parse(
            "brokers = \"k:9092\"\nmax_message_bytes = 500000\n[options]\n\"message.max.bytes\" = \"9\"\n",
        );
        assert!(both
            .validate()
            .unwrap_err()
            .to_string()
            .contains("kafka.max_message_bytes"));
        let tiny = parse("brokers = \"k:9092\"\nmax_message_bytes = 10\n");
        let error = tiny.validate().unwrap_err().to_string();
        assert!(
            error.contains("kafka.max_message_bytes: 10 is not between"),
            "{error}"
        );
    }
}
