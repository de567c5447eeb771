//! `ConfigError`: why a configuration was refused, always naming the key (or keys) to fix.

use std::path::PathBuf;

/// A refused configuration value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that is wrong on its own; the message starts with the key (`kafka.tls.ca_file: ...`).
    #[error("{0}")]
    Invalid(String),
    /// A typed key and a `[kafka.options]` entry both set the same librdkafka property.
    #[error(
        "{key} and {options_key} both set the librdkafka property `{property}`: keep only {key}"
    )]
    Conflict {
        key: String,
        options_key: String,
        property: String,
    },
    /// A file a key names cannot be read.
    #[error("{key}: cannot read {}: {source}", path.display())]
    Unreadable {
        key: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<String> for ConfigError {
    fn from(message: String) -> Self {
        ConfigError::Invalid(message)
    }
}

impl From<&str> for ConfigError {
    fn from(message: &str) -> Self {
        ConfigError::Invalid(message.to_string())
    }
}
