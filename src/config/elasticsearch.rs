//! `[elasticsearch]` of the transfer: URLs, credentials, the index, and the options Logstash's
//! elasticsearch output names the same way — TLS (`ssl_*`), where the password comes from, the bulk action,
//! ingest pipeline, routing and data streams.
//!
//! The keys, their types, defaults and help are in `ElasticsearchConfig::CONNECTION_KEYS, WRITING_KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).

use super::duration;
use super::error::ConfigError;
use super::reference::{Key, Type};
use super::transfer::TransferCodec;
use super::Secret;
use crate::indexer::destination::{BulkAction, DataStreamSettings, Destination, DATA_STREAM_TYPES};
use crate::indexer::index_name::IndexPattern;
use crate::indexer::tls::{ClientTls, VerificationMode};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Basic auth user (with a password).
    #[serde(default)]
    pub user: Option<String>,
    /// Basic auth password in this file (warned about when others may read it; see `password_file`).
    #[serde(default)]
    pub password: Option<Secret>,
    /// `Authorization: ApiKey <api_key>` (the base64 `id:key` form).
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Logstash sprintf pattern of the index name (default `%{[topic]}-%{+YYYY.MM.dd}`; not with
    /// `data_stream`).
    #[serde(default)]
    pub index: Option<String>,
    #[serde(default)]
    pub codec: TransferCodec,
    /// Timeout of one `_bulk` request.
    #[serde(
        default = "default_request_timeout",
        deserialize_with = "duration::deserialize"
    )]
    pub request_timeout: Duration,
    /// PEM files of the CAs that signed the cluster's certificates (instead of the public roots).
    #[serde(default)]
    pub ssl_certificate_authorities: Vec<PathBuf>,
    /// PEM client certificate, when the cluster asks for one (with `ssl_key`).
    #[serde(default)]
    pub ssl_certificate: Option<PathBuf>,
    #[serde(default)]
    pub ssl_key: Option<PathBuf>,
    /// `full` (default), `certificate` (no host-name check) or `none` (no check at all: logged loudly).
    #[serde(default)]
    pub ssl_verification_mode: VerificationMode,
    /// File whose first line is the password of `user`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the password of `user`.
    #[serde(default)]
    pub password_env: Option<String>,
    /// `index` (default) or `create`; data streams always use `create`.
    #[serde(default)]
    pub action: Option<BulkAction>,
    /// Ingest pipeline run on each document (sprintf).
    #[serde(default)]
    pub pipeline: Option<String>,
    /// Shard routing value (sprintf).
    #[serde(default)]
    pub routing: Option<String>,
    /// Write to data streams named `{type}-{dataset}-{namespace}` instead of `index`.
    #[serde(default)]
    pub data_stream: bool,
    /// `logs` (default), `metrics`, `synthetics` or `traces`.
    #[serde(default)]
    pub data_stream_type: Option<String>,
    /// Default `generic`; sprintf.
    #[serde(default)]
    pub data_stream_dataset: Option<String>,
    /// Default `default`; sprintf.
    #[serde(default)]
    pub data_stream_namespace: Option<String>,
    /// Write `data_stream.type/dataset/namespace` into each document (default true), as Elasticsearch
    /// expects of a data stream's documents.
    #[serde(default)]
    pub data_stream_sync_fields: Option<bool>,
    /// Take the name from the event's own `data_stream.*` fields when it has them (default true).
    #[serde(default)]
    pub data_stream_auto_routing: Option<bool>,
}

impl ElasticsearchConfig {
    /// The keys of `[elasticsearch]` that say where the cluster is and how to log in (the transfer's and the
    /// console's).
    pub const CONNECTION_KEYS: &'static [Key] = &[
        Key::optional(
            "url",
            Type::String,
            "\"http://127.0.0.1:9200\"",
            "base URL (give url or urls)",
        ),
        Key::optional(
            "urls",
            Type::List(&Type::String),
            "[\"https://es-1:9200\", \"https://es-2:9200\"]",
            "several base URLs, used round robin",
        ),
        Key::optional(
            "user",
            Type::String,
            "\"logpipe_writer\"",
            "basic auth user, with one of password_file, password_env, password",
        ),
        Key::optional(
            "password_file",
            Type::Path,
            "\"/etc/logpipe/es.pass\"",
            "file whose first line is the password of user",
        ),
        Key::optional(
            "password_env",
            Type::String,
            "\"ES_PASSWORD\"",
            "environment variable holding the password of user",
        ),
        Key::optional(
            "password",
            Type::Secret,
            "\"...\"",
            "the password itself (warned about when others may read this file)",
        ),
        Key::optional(
            "api_key",
            Type::Secret,
            "\"base64(id:key)\"",
            "an API key instead of user and password",
        ),
        Key::optional(
            "ssl_certificate_authorities",
            Type::List(&Type::Path),
            "[\"/etc/logpipe/es-ca.pem\"]",
            "PEM CAs to trust instead of the public roots",
        ),
        Key::optional(
            "ssl_certificate",
            Type::Path,
            "\"/etc/logpipe/client.pem\"",
            "PEM client certificate, with ssl_key",
        ),
        Key::optional(
            "ssl_key",
            Type::Path,
            "\"/etc/logpipe/client.key\"",
            "PEM private key of ssl_certificate",
        ),
        Key::defaulted(
            "ssl_verification_mode",
            Type::OneOf(&["full", "certificate", "none"]),
            "\"full\"",
            "full: chain and host name; certificate: the chain only; none: nothing (logged loudly)",
        ),
        Key::defaulted(
            "request_timeout",
            Type::Duration,
            "\"60s\"",
            "bound on one request",
        ),
    ];

    /// The transfer's keys of `[elasticsearch]`: how messages become documents and where they are written.
    pub const WRITING_KEYS: &'static [Key] = &[
        Key::implied("index", Type::String, "\"%{[topic]}-%{+YYYY.MM.dd}\"", "Logstash sprintf of the index name: %{+date} from @timestamp (UTC; yyyy YYYY xxxx ww MM dd HH mm ss SSS), %{[a][b]} from the document, %{[topic]} the Kafka topic; a document the pattern cannot fill goes to the dead letter (not with data_stream)"),
        Key::defaulted("codec", Type::OneOf(&["json", "raw"]), "\"json\"", "json: the message is the document (not JSON: {\"message\": ...} tagged _jsonparsefailure); raw: {\"message\": ...} plus the agent's raw-codec headers"),
        Key::implied("action", Type::OneOf(&["index", "create"]), "\"index\"", "index: a replay overwrites; create: a replay's 409 counts as done (data streams: create only)"),
        Key::optional("pipeline", Type::String, "\"%{[fields][pipeline]}\"", "ingest pipeline of each document (sprintf)"),
        Key::optional("routing", Type::String, "\"%{[host][name]}\"", "shard routing of each document (sprintf)"),
        Key::defaulted("data_stream", Type::Bool, "false", "write create actions to data streams {type}-{dataset}-{namespace} instead of index"),
        Key::implied("data_stream_type", Type::OneOf(&["logs", "metrics", "synthetics", "traces"]), "\"logs\"", "type of the data stream"),
        Key::implied("data_stream_dataset", Type::String, "\"generic\"", "dataset of the data stream (sprintf; sanitised as Elasticsearch's reroute processor does)"),
        Key::implied("data_stream_namespace", Type::String, "\"default\"", "namespace of the data stream (sprintf, sanitised likewise)"),
        Key::implied("data_stream_auto_routing", Type::Bool, "true", "take the name from the event's own data_stream.* fields when it has them"),
        Key::implied("data_stream_sync_fields", Type::Bool, "true", "write data_stream.type/dataset/namespace into each document"),
    ];
}

/// The index pattern when `[elasticsearch]` names none.
pub const DEFAULT_INDEX: &str = "%{[topic]}-%{+YYYY.MM.dd}";

fn default_request_timeout() -> Duration {
    Duration::from_secs(60)
}

impl ElasticsearchConfig {
    /// The credentials to send, with the password read from its file or variable now.
    pub fn auth(&self) -> Result<crate::indexer::http::Auth, ConfigError> {
        use crate::indexer::http::Auth;
        if let Some(user) = &self.user {
            let password = self
                .resolve_password()?
                .unwrap_or_else(|| Secret::new(String::new()));
            return Ok(Auth::Basic {
                user: user.clone(),
                password: password.expose().to_string(),
            });
        }
        Ok(match &self.api_key {
            Some(key) => Auth::ApiKey(key.expose().to_string()),
            None => Auth::None,
        })
    }

    /// Every base URL, without a trailing slash.
    pub fn all_urls(&self) -> Vec<String> {
        self.url
            .iter()
            .chain(self.urls.iter())
            .map(|u| u.trim_end_matches('/').to_string())
            .collect()
    }

    /// The index pattern (the default when none is given).
    pub fn index_pattern(&self) -> &str {
        self.index.as_deref().unwrap_or(DEFAULT_INDEX)
    }

    /// The TLS settings of the client.
    pub fn tls(&self) -> ClientTls {
        ClientTls {
            certificate_authorities: self.ssl_certificate_authorities.clone(),
            certificate: self.ssl_certificate.clone(),
            key: self.ssl_key.clone(),
            verification: self.ssl_verification_mode,
        }
    }

    /// The password of `user` from its file, the environment or this file.
    pub fn resolve_password(&self) -> Result<Option<Secret>, ConfigError> {
        super::tls::resolve_password(
            "elasticsearch",
            self.password_file.as_deref(),
            self.password_env.as_deref(),
            self.password.as_ref(),
        )
    }

    /// Where documents go: `index` (the index pattern), or the data stream these options name.
    pub fn destination(&self) -> Result<Destination, String> {
        let data_stream = self.data_stream.then(|| DataStreamSettings {
            kind: self
                .data_stream_type
                .clone()
                .unwrap_or_else(|| "logs".into()),
            dataset: self
                .data_stream_dataset
                .clone()
                .unwrap_or_else(|| "generic".into()),
            namespace: self
                .data_stream_namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            auto_routing: self.data_stream_auto_routing.unwrap_or(true),
            sync_fields: self.data_stream_sync_fields.unwrap_or(true),
        });
        Destination::new(
            self.index_pattern(),
            self.effective_action(),
            self.pipeline.as_deref(),
            self.routing.as_deref(),
            data_stream,
        )
    }

    /// The action every document is sent with.
    pub fn effective_action(&self) -> BulkAction {
        if self.data_stream {
            BulkAction::Create
        } else {
            self.action.unwrap_or_default()
        }
    }

    /// Checks the values; every error names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let urls = self.all_urls();
        if urls.is_empty() {
            return Err("elasticsearch.url: give url or urls".into());
        }
        for url in &urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "elasticsearch.urls: `{url}` must start with http:// or https://"
                )));
            }
        }
        let password_sources = usize::from(self.password_file.is_some())
            + usize::from(self.password_env.is_some())
            + usize::from(self.password.is_some());
        if self.user.is_some() != (password_sources > 0) {
            return Err("elasticsearch.user: user and a password go together".into());
        }
        if self.user.is_some() && self.api_key.is_some() {
            return Err("elasticsearch.api_key: use either api_key or user/password".into());
        }
        IndexPattern::parse(self.index_pattern())
            .map_err(|e| ConfigError::Invalid(format!("elasticsearch.index: {e}")))?;
        if password_sources > 1 {
            return Err(
                "elasticsearch.password: give one of password, password_file, password_env".into(),
            );
        }
        if self.ssl_certificate.is_some() != self.ssl_key.is_some() {
            return Err(
                "elasticsearch.ssl_certificate: ssl_certificate and ssl_key go together".into(),
            );
        }
        for (key, value) in [("pipeline", &self.pipeline), ("routing", &self.routing)] {
            if let Some(pattern) = value {
                IndexPattern::parse(pattern)
                    .map_err(|e| ConfigError::Invalid(format!("elasticsearch.{key}: {e}")))?;
            }
        }
        let ds_keys = [
            ("data_stream_type", self.data_stream_type.is_some()),
            ("data_stream_dataset", self.data_stream_dataset.is_some()),
            (
                "data_stream_namespace",
                self.data_stream_namespace.is_some(),
            ),
            (
                "data_stream_sync_fields",
                self.data_stream_sync_fields.is_some(),
            ),
            (
                "data_stream_auto_routing",
                self.data_stream_auto_routing.is_some(),
            ),
        ];
        if !self.data_stream {
            if let Some((key, _)) = ds_keys.iter().find(|(_, set)| *set) {
                return Err(ConfigError::Invalid(format!(
                    "elasticsearch.{key}: data stream settings need data_stream = true"
                )));
            }
            return Ok(());
        }
        if self.index.is_some() {
            return Err(
                "elasticsearch.index: a data stream is named by data_stream_type/dataset/namespace; \
                 remove index (or data_stream = true)"
                    .into(),
            );
        }
        if self.action == Some(BulkAction::Index) {
            return Err(
                "elasticsearch.action: data streams accept only `create` (the default with data_stream)"
                    .into(),
            );
        }
        if let Some(kind) = &self.data_stream_type {
            if !DATA_STREAM_TYPES.contains(&kind.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "elasticsearch.data_stream_type: `{kind}` is not one of {}",
                    DATA_STREAM_TYPES.join(", ")
                )));
            }
        }
        for (key, value) in [
            ("data_stream_dataset", &self.data_stream_dataset),
            ("data_stream_namespace", &self.data_stream_namespace),
        ] {
            if let Some(pattern) = value {
                crate::indexer::destination::validate_identifier(pattern)
                    .map_err(|e| ConfigError::Invalid(format!("elasticsearch.{key}: {e}")))?;
            }
        }
        Ok(())
    }
}
