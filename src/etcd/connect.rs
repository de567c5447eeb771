//! Connection settings of an etcd client (endpoints, user/password, TLS) and the connect call.
//!
//! Shared by the config watcher and the status publisher of the agent and of the transfer: both hold an
//! `EtcdConnection` and open their own client, so each reconnects on its own. Certificates and keys are read
//! from disk at every connect, so a rotated client certificate is picked up on the next reconnect. Every call
//! is bounded by `connect_timeout`; the watch stream itself has no deadline (HTTP/2 keep-alives detect a
//! dead server).

use etcd_client::{Client, ConnectOptions};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Where etcd is and how to authenticate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtcdConnection {
    pub endpoints: Vec<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// PEM CA bundle for `https://` endpoints.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (mutual TLS), with `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Name expected in the server certificate, when it differs from the endpoint's host.
    #[serde(default)]
    pub tls_domain: Option<String>,
    /// Bound on connecting and on each request.
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "crate::config::duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}

impl EtcdConnection {
    /// Plain `http://` endpoints, no auth (tests, local etcd).
    pub fn plain(endpoints: Vec<String>) -> EtcdConnection {
        EtcdConnection {
            endpoints,
            user: None,
            password: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            tls_domain: None,
            connect_timeout: default_connect_timeout(),
        }
    }

    /// Checks what can be checked without connecting; errors name the `etcd.*` key.
    pub fn validate(&self) -> Result<(), String> {
        if self.endpoints.is_empty() {
            return Err("etcd.endpoints: at least one endpoint is required".into());
        }
        for endpoint in &self.endpoints {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(format!(
                    "etcd.endpoints: `{endpoint}` must start with http:// or https://"
                ));
            }
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("etcd.user / etcd.password: set both or neither".into());
        }
        if self.cert_file.is_some() != self.key_file.is_some() {
            return Err("etcd.cert_file / etcd.key_file: set both or neither".into());
        }
        if self.uses_tls() && !cfg!(feature = "etcd-tls") {
            return Err("etcd: TLS settings need logpipe built with the `etcd-tls` feature".into());
        }
        Ok(())
    }

    fn uses_tls(&self) -> bool {
        self.ca_file.is_some()
            || self.cert_file.is_some()
            || self.endpoints.iter().any(|e| e.starts_with("https://"))
    }

    /// Connects (bounded by `connect_timeout`).
    pub async fn connect(&self) -> Result<Client, String> {
        let options = self.options()?;
        match tokio::time::timeout(
            self.connect_timeout,
            Client::connect(&self.endpoints, Some(options)),
        )
        .await
        {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(format!("cannot connect to {:?}: {e}", self.endpoints)),
            Err(_) => Err(format!(
                "cannot connect to {:?}: no answer within {:?}",
                self.endpoints, self.connect_timeout
            )),
        }
    }

    fn options(&self) -> Result<ConnectOptions, String> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(self.connect_timeout)
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(5))
            .with_keep_alive_while_idle(true);
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            options = options.with_user(user.clone(), password.clone());
        }
        if self.uses_tls() {
            options = self.with_tls(options)?;
        }
        Ok(options)
    }

    #[cfg(feature = "etcd-tls")]
    fn with_tls(&self, options: ConnectOptions) -> Result<ConnectOptions, String> {
        use etcd_client::{Certificate, Identity, TlsOptions};
        let read = |key: &str, path: &PathBuf| {
            std::fs::read(path)
                .map_err(|e| format!("etcd.{key}: cannot read {}: {e}", path.display()))
        };
        let mut tls = TlsOptions::new();
        if let Some(ca) = &self.ca_file {
            tls = tls.ca_certificate(Certificate::from_pem(read("ca_file", ca)?));
        }
        if let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) {
            tls = tls.identity(Identity::from_pem(
                read("cert_file", cert)?,
                read("key_file", key)?,
            ));
        }
        if let Some(domain) = &self.tls_domain {
            tls = tls.domain_name(domain.clone());
        }
        Ok(options.with_tls(tls))
    }

    #[cfg(not(feature = "etcd-tls"))]
    fn with_tls(&self, _options: ConnectOptions) -> Result<ConnectOptions, String> {
        Err("etcd: TLS settings need logpipe built with the `etcd-tls` feature".into())
    }
}

/// Runs `call` bounded by `limit`, flattening both errors into text naming `what`.
pub async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {limit:?}")),
    }
}
