//! `TlsFiles`: the TLS settings every TLS client of logpipe reads alike — `[kafka.tls]` (librdkafka, OpenSSL)
//! and `[etcd.tls]` (etcd-client, rustls) take the same keys with the same meaning.
//!
//! The keys, their types, defaults and help are in `TlsFiles::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).

use super::error::ConfigError;
use super::reference::{Key, Type};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Certificates and keys of one TLS client, by file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// PEM file of the CA certificates that may sign the server's certificate. Absent: the system's CA store.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate presented to the server (mutual TLS); needs `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// File whose first line is the passphrase of an encrypted `key_file`.
    #[serde(default)]
    pub key_password_file: Option<PathBuf>,
    /// Check that the server's certificate names the host connected to (its DNS name or IP address).
    /// Turn off only for brokers reached through an address their certificate does not list.
    #[serde(default = "default_verify_hostname")]
    pub verify_hostname: bool,
}

fn default_verify_hostname() -> bool {
    true
}

impl Default for TlsFiles {
    fn default() -> Self {
        TlsFiles {
            ca_file: None,
            cert_file: None,
            key_file: None,
            key_password_file: None,
            verify_hostname: true,
        }
    }
}

impl TlsFiles {
    /// The keys of `[kafka.tls]` and `[etcd.tls]`.
    pub const KEYS: &'static [Key] = &[
        Key::optional(
            "ca_file",
            Type::Path,
            "\"/etc/logpipe/ca.pem\"",
            "PEM CAs that may sign the server's certificate (absent: the system's store)",
        ),
        Key::optional(
            "cert_file",
            Type::Path,
            "\"/etc/logpipe/client.pem\"",
            "PEM client certificate for mutual TLS, with key_file",
        ),
        Key::optional(
            "key_file",
            Type::Path,
            "\"/etc/logpipe/client.key\"",
            "PEM private key of cert_file",
        ),
        Key::optional(
            "key_password_file",
            Type::Path,
            "\"/etc/logpipe/client.key.pass\"",
            "file whose first line is the passphrase of an encrypted key_file (Kafka only)",
        ),
        Key::defaulted(
            "verify_hostname",
            Type::Bool,
            "true",
            "the server's certificate must name the host connected to",
        ),
    ];
}

impl TlsFiles {
    /// Checks the combination of keys (not the files' contents); `section` is `kafka.tls` or `etcd.tls`.
    pub fn validate(&self, section: &str) -> Result<(), ConfigError> {
        if self.cert_file.is_some() != self.key_file.is_some() {
            return Err(ConfigError::Invalid(format!(
                "{section}.cert_file / {section}.key_file: set both (mutual TLS) or neither"
            )));
        }
        if self.key_password_file.is_some() && self.key_file.is_none() {
            return Err(ConfigError::Invalid(format!(
                "{section}.key_password_file: only meaningful with {section}.key_file"
            )));
        }
        for (key, path) in self.files() {
            if !path.is_absolute() {
                return Err(ConfigError::Invalid(format!(
                    "{section}.{key}: `{}` must be an absolute path",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// (key name, path) of every file named.
    pub fn files(&self) -> Vec<(&'static str, &Path)> {
        [
            ("ca_file", &self.ca_file),
            ("cert_file", &self.cert_file),
            ("key_file", &self.key_file),
            ("key_password_file", &self.key_password_file),
        ]
        .into_iter()
        .filter_map(|(key, path)| path.as_deref().map(|p| (key, p)))
        .collect()
    }

    /// The passphrase of `key_file` (first line of `key_password_file`), read now.
    pub fn key_password(&self, section: &str) -> Result<Option<super::Secret>, ConfigError> {
        match &self.key_password_file {
            None => Ok(None),
            Some(path) => read_secret_file(&format!("{section}.key_password_file"), path).map(Some),
        }
    }
}

/// The first line of `path` as a secret (a trailing newline is not part of a password).
/// A password from whichever of its sources is set, read now: `{section}.password_file` (first line),
/// `{section}.password_env` (an environment variable), or the value written in the file.
pub fn resolve_password(
    section: &str,
    file: Option<&Path>,
    env: Option<&str>,
    inline: Option<&super::Secret>,
) -> Result<Option<super::Secret>, ConfigError> {
    if let Some(path) = file {
        return read_secret_file(&format!("{section}.password_file"), path).map(Some);
    }
    if let Some(var) = env {
        return match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Some(super::Secret::new(value))),
            _ => Err(ConfigError::Invalid(format!(
                "{section}.password_env: the environment variable {var} is not set (or empty)"
            ))),
        };
    }
    Ok(inline.cloned())
}

pub fn read_secret_file(key: &str, path: &Path) -> Result<super::Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        key: key.to_string(),
        path: path.to_path_buf(),
        source,
    })?;
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{key}: {} is empty",
            path.display()
        )));
    }
    Ok(super::Secret::new(first.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_verify_the_host_name() {
        let tls: TlsFiles = toml::from_str("ca_file = \"/etc/ca.pem\"").expect("parses");
        assert!(tls.verify_hostname);
        tls.validate("kafka.tls").expect("valid");
    }

    #[test]
    fn half_a_client_identity_is_named() {
        let tls: TlsFiles = toml::from_str("cert_file = \"/etc/c.pem\"").expect("parses");
        let err = tls.validate("kafka.tls").unwrap_err().to_string();
        assert!(
            err.contains("kafka.tls.cert_file / kafka.tls.key_file"),
            "{err}"
        );
        let relative: TlsFiles = toml::from_str("ca_file = \"ca.pem\"").expect("parses");
        let err = relative.validate("etcd.tls").unwrap_err().to_string();
        assert!(err.contains("etcd.tls.ca_file"), "{err}");
    }

    #[test]
    fn secret_file_keeps_its_first_line_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pass");
        std::fs::write(&path, "s3cret\n").expect("write");
        assert_eq!(
            read_secret_file("kafka.sasl.password_file", &path)
                .expect("reads")
                .expose(),
            "s3cret"
        );
        let missing = read_secret_file("kafka.sasl.password_file", &dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("kafka.sasl.password_file: cannot read"),
            "{missing}"
        );
    }
}
