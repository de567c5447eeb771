//! The agent's `[etcd]` section and the expansion of key templates.
//!
//! ```toml
//! [etcd]
//! endpoints = ["http://127.0.0.1:2379"]
//! key = "/logpipe/collect/{hostname}"          # {hostname} and {ip} are replaced
//! allow_paths = ["/var/log/**"]                # required: the files etcd may ask this host to read
//! status_key = "/logpipe/status/agent/{hostname}"
//! user = "logpipe"                             # with password
//! password = "secret"
//! ca_file = "/etc/logpipe/etcd-ca.pem"          # TLS (https:// endpoints)
//! cert_file = "/etc/logpipe/etcd-client.pem"    # client certificate, with key_file
//! key_file = "/etc/logpipe/etcd-client.key"
//! tls_domain = "etcd.internal"                 # name checked in the server certificate
//! connect_timeout = "3s"
//! ```

use super::allow::PathAllowlist;
use super::connect::EtcdConnection;
use serde::Deserialize;
use std::net::{IpAddr, UdpSocket};
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
    /// Key of this agent's status, kept alive on a lease.
    #[serde(default = "default_status_key")]
    pub status_key: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub tls_domain: Option<String>,
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "crate::config::duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

fn default_key() -> String {
    "/logpipe/collect/{hostname}".into()
}
fn default_status_key() -> String {
    "/logpipe/status/agent/{hostname}".into()
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}

impl EtcdConfig {
    /// Errors name the key (`etcd.allow_paths`, ...).
    pub fn validate(&self) -> Result<(), String> {
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
        PathAllowlist::new(&self.allow_paths).map_err(|e| format!("etcd.allow_paths: {e}"))?;
        for (name, key) in [
            ("etcd.key", &self.key),
            ("etcd.status_key", &self.status_key),
        ] {
            if key.trim().is_empty() {
                return Err(format!("{name}: must not be empty"));
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
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            tls_domain: self.tls_domain.clone(),
            connect_timeout: self.connect_timeout,
        }
    }
}

/// Replaces `{hostname}` and `{ip}` in a key template; `{ip}` is only looked up when present.
pub fn expand_key(template: &str, hostname: &str, endpoints: &[String]) -> String {
    let mut key = template.replace("{hostname}", hostname);
    if key.contains("{ip}") {
        let ip = outbound_ip(endpoints)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "127.0.0.1".into());
        key = key.replace("{ip}", &ip);
    }
    key
}

/// The local address the kernel would use to reach the first etcd endpoint (a UDP `connect`, no packet sent).
pub fn outbound_ip(endpoints: &[String]) -> Option<IpAddr> {
    let endpoint = endpoints.first()?;
    let host_port = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .trim_end_matches('/');
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect(host_port).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand() {
        let endpoints = vec!["http://127.0.0.1:2379".to_string()];
        assert_eq!(
            expand_key("/logpipe/collect/{hostname}", "web-1", &endpoints),
            "/logpipe/collect/web-1"
        );
        assert_eq!(
            expand_key("/logpipe/collect/{ip}", "web-1", &endpoints),
            "/logpipe/collect/127.0.0.1"
        );
    }

    #[test]
    fn allow_paths_are_required() {
        let c: EtcdConfig =
            toml::from_str("endpoints = [\"http://127.0.0.1:2379\"]").expect("parses");
        assert!(c.validate().unwrap_err().contains("etcd.allow_paths"));
    }
}
