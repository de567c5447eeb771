//! `[etcd]`: the agent's section (`EtcdConfig`: where its collect entries and status live, which paths etcd may
//! name) and the connection settings every etcd client of logpipe shares (`EtcdConnection`).
//!
//! The keys, their types, defaults and help are in `EtcdConnection::KEYS, EtcdConfig::AGENT_KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).
//!
//! The flat `ca_file`, `cert_file` and `key_file` keys of `[etcd]` (before `[etcd.tls]` existed) are still
//! accepted as aliases of the `[etcd.tls]` keys; giving both is an error.

use super::allow::PathAllowlist;
use super::error::ConfigError;
use super::reference::{Key, Type};
use super::secret::Secret;
use super::tls::TlsFiles;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[etcd]` of the agent configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdConfig {
    /// `http://host:2379` or `https://host:2379` URLs.
    pub endpoints: Vec<String>,
    /// Key holding this host's collect entries (a JSON array).
    #[serde(default = "default_key")]
    pub key: String,
    /// Globs of the files etcd may ask this host to read (local only; never read from etcd).
    #[serde(default)]
    pub allow_paths: Vec<String>,
    /// The largest `max_line_bytes` an etcd entry may set: etcd can lower this host's line limit, never
    /// raise it beyond what the local administrator allows.
    #[serde(default = "default_etcd_max_line_bytes")]
    pub max_line_bytes: usize,
    /// Key of this agent's status, kept alive on a lease.
    #[serde(default = "default_status_key")]
    pub status_key: String,
    /// etcd user name (with `password`).
    #[serde(default)]
    pub user: Option<String>,
    /// etcd password (with `user`); logpipe warns when the config file holding it is readable by others.
    #[serde(default)]
    pub password: Option<Secret>,
    /// TLS files, the same keys as `[kafka.tls]`.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// Alias of `[etcd.tls] ca_file` (older configs).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Alias of `[etcd.tls] cert_file` (older configs).
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// Alias of `[etcd.tls] key_file` (older configs).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Name expected in etcd's certificate, when it differs from the endpoint's host.
    #[serde(default)]
    pub tls_domain: Option<String>,
    /// Bound on connecting and on each request.
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "super::duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

impl EtcdConfig {
    /// The agent's keys of `[etcd]`, besides `EtcdConnection::KEYS`.
    pub const AGENT_KEYS: &'static [Key] = &[
        Key::defaulted("key", Type::String, "\"/logpipe/collect/{hostname}\"", "key of this host's collect entries, a JSON array such as [{\"path\":\"/var/log/s4.log\",\"topic\":\"s4_log\"}] (every [[collect]] key accepted; topic required), added to the local [[collect]] entries; {hostname} and {ip} expand"),
        Key::required("allow_paths", Type::List(&Type::Glob), "[\"/var/log/**\"]", "the files etcd may ask for (local only): a glob is accepted when its literal directory lies under an allowed D/** or an allow glob matches it; no `..`; what a file resolves to must be inside too"),
        Key::defaulted("max_line_bytes", Type::Integer, "4194304", "the highest max_line_bytes an etcd entry may set"),
        Key::defaulted("status_key", Type::String, "\"/logpipe/status/agent/{hostname}\"", "key of this agent's JSON status, on a lease ({hostname}, {ip} expand)"),
    ];
}

fn default_key() -> String {
    "/logpipe/collect/{hostname}".into()
}
fn default_etcd_max_line_bytes() -> usize {
    4 << 20
}
fn default_status_key() -> String {
    "/logpipe/status/agent/{hostname}".into()
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}

impl EtcdConfig {
    /// Errors name the key (`etcd.allow_paths`, ...).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.endpoints.is_empty() {
            return Err("etcd.endpoints: at least one endpoint is required".into());
        }
        if self.allow_paths.is_empty() {
            return Err(
                "etcd.allow_paths: required, the globs of files etcd may ask this host to read \
                 (e.g. [\"/var/log/**\"])"
                    .into(),
            );
        }
        PathAllowlist::new(&self.allow_paths)
            .map_err(|e| ConfigError::Invalid(format!("etcd.allow_paths: {e}")))?;
        for (name, key) in [
            ("etcd.key", &self.key),
            ("etcd.status_key", &self.status_key),
        ] {
            if key.trim().is_empty() {
                return Err(ConfigError::Invalid(format!("{name}: must not be empty")));
            }
        }
        self.connection().validate()
    }

    /// The connection settings alone.
    pub fn connection(&self) -> EtcdConnection {
        EtcdConnection {
            endpoints: self.endpoints.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            tls: self.tls.clone(),
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            tls_domain: self.tls_domain.clone(),
            connect_timeout: self.connect_timeout,
        }
    }
}

/// Where etcd is and how to authenticate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdConnection {
    /// `http://host:2379` or `https://host:2379` URLs.
    pub endpoints: Vec<String>,
    /// etcd user name (with `password`).
    #[serde(default)]
    pub user: Option<String>,
    /// etcd password (with `user`).
    #[serde(default)]
    pub password: Option<Secret>,
    /// TLS files, the same keys as `[kafka.tls]`.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    /// Alias of `[etcd.tls] ca_file` (older configs).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Alias of `[etcd.tls] cert_file` (older configs).
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// Alias of `[etcd.tls] key_file` (older configs).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Name expected in the server certificate, when it differs from the endpoint's host.
    #[serde(default)]
    pub tls_domain: Option<String>,
    /// Bound on connecting and on each request.
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "super::duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

impl EtcdConnection {
    /// The keys every `[etcd]` section takes.
    pub const KEYS: &'static [Key] = &[
        Key::required("endpoints", Type::List(&Type::String), "[\"http://127.0.0.1:2379\"]", "http:// or https:// URLs of etcd"),
        Key::optional("user", Type::String, "\"logpipe\"", "etcd user, with password"),
        Key::optional("password", Type::Secret, "\"...\"", "etcd password, with user (warned about when others may read this file)"),
        Key::optional("tls_domain", Type::String, "\"etcd.internal\"", "name expected in etcd's certificate when it differs from the endpoint's host"),
        Key::defaulted("connect_timeout", Type::Duration, "\"3s\"", "bound on connecting and on each request"),
        Key::optional("ca_file", Type::Path, "\"/etc/logpipe/etcd-ca.pem\"", "older alias of [etcd.tls] ca_file (not with [etcd.tls])"),
        Key::optional("cert_file", Type::Path, "\"/etc/logpipe/etcd-client.pem\"", "older alias of [etcd.tls] cert_file"),
        Key::optional("key_file", Type::Path, "\"/etc/logpipe/etcd-client.key\"", "older alias of [etcd.tls] key_file"),
        Key::table("tls", &[TlsFiles::KEYS], "TLS for https:// endpoints: the same keys as [kafka.tls] (etcd's client takes no key_password_file and always verifies the host name)"),
    ];
}

impl EtcdConnection {
    /// Plain `http://` endpoints, no auth (tests, local etcd).
    pub fn plain(endpoints: Vec<String>) -> EtcdConnection {
        EtcdConnection {
            endpoints,
            user: None,
            password: None,
            tls: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            tls_domain: None,
            connect_timeout: default_connect_timeout(),
        }
    }

    /// Checks what can be checked without connecting; errors name the `etcd.*` key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.endpoints.is_empty() {
            return Err("etcd.endpoints: at least one endpoint is required".into());
        }
        for endpoint in &self.endpoints {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "etcd.endpoints: `{endpoint}` must start with http:// or https://"
                )));
            }
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("etcd.user / etcd.password: set both or neither".into());
        }
        let tls = self.tls_files()?;
        if let Some(tls) = &tls {
            tls.validate("etcd.tls")?;
            if tls.key_password_file.is_some() {
                return Err(
                    "etcd.tls.key_password_file: etcd's client (rustls) reads unencrypted keys only".into(),
                );
            }
            if !tls.verify_hostname {
                return Err(
                    "etcd.tls.verify_hostname: etcd's client always verifies; set tls_domain to the name in \
                     etcd's certificate instead"
                        .into(),
                );
            }
        }
        if self.uses_tls() && !cfg!(feature = "etcd-tls") {
            return Err("etcd: TLS settings need logpipe built with the `etcd-tls` feature".into());
        }
        Ok(())
    }

    /// The TLS files: `[etcd.tls]`, or the flat alias keys of older configs (never both).
    pub fn tls_files(&self) -> Result<Option<TlsFiles>, ConfigError> {
        let flat = [
            ("etcd.ca_file", &self.ca_file),
            ("etcd.cert_file", &self.cert_file),
            ("etcd.key_file", &self.key_file),
        ];
        let flat_given: Vec<&str> = flat
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| *k)
            .collect();
        match (&self.tls, flat_given.is_empty()) {
            (Some(_), false) => Err(ConfigError::Invalid(format!(
                "{} and [etcd.tls]: give the TLS files in [etcd.tls] only (the flat keys are older aliases)",
                flat_given.join(", ")
            ))),
            (Some(tls), true) => Ok(Some(tls.clone())),
            (None, false) => Ok(Some(TlsFiles {
                ca_file: self.ca_file.clone(),
                cert_file: self.cert_file.clone(),
                key_file: self.key_file.clone(),
                ..TlsFiles::default()
            })),
            (None, true) => Ok(None),
        }
    }

    pub(crate) fn uses_tls(&self) -> bool {
        self.tls.is_some()
            || self.ca_file.is_some()
            || self.cert_file.is_some()
            || self.endpoints.iter().any(|e| e.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_paths_are_required() {
        let c: EtcdConfig =
            toml::from_str("endpoints = [\"http://127.0.0.1:2379\"]").expect("parses");
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("etcd.allow_paths"));
    }

    #[test]
    fn flat_tls_keys_are_aliases_of_the_tls_table() {
        let flat: EtcdConnection = toml::from_str(
            "endpoints = [\"https://e:2379\"]\nca_file = \"/ca.pem\"\ncert_file = \"/c.pem\"\nkey_file = \"/k.pem\"",
        )
        .expect("parses");
        let table: EtcdConnection = toml::from_str(
            "endpoints = [\"https://e:2379\"]\n[tls]\nca_file = \"/ca.pem\"\ncert_file = \"/c.pem\"\nkey_file = \"/k.pem\"",
        )
        .expect("parses");
        assert_eq!(
            flat.tls_files().expect("valid"),
            table.tls_files().expect("valid")
        );
        let both: EtcdConnection = toml::from_str(
            "endpoints = [\"https://e:2379\"]\nca_file = \"/ca.pem\"\n[tls]\nca_file = \"/ca.pem\"",
        )
        .expect("parses");
        let err = both.validate().unwrap_err().to_string();
        assert!(err.contains("etcd.ca_file and [etcd.tls]"), "{err}");
        let half: EtcdConnection =
            toml::from_str("endpoints = [\"https://e:2379\"]\n[tls]\ncert_file = \"/c.pem\"")
                .expect("parses");
        let err = half.validate().unwrap_err().to_string();
        assert!(
            err.contains("etcd.tls.cert_file / etcd.tls.key_file"),
            "{err}"
        );
    }
}
