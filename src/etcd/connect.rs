//! The connect call of an etcd client, from its settings (`config::EtcdConnection`: endpoints, user/password, TLS).
//!
//! Shared by the config watcher and the status publisher of the agent and of the transfer: both hold an
//! `EtcdConnection` and open their own client, so each reconnects on its own. Certificates and keys are read
//! from disk at every connect, so a rotated client certificate is picked up on the next reconnect. Every call
//! is bounded by `connect_timeout`; the watch stream itself has no deadline (HTTP/2 keep-alives detect a
//! dead server).

use crate::config::{ConfigError, EtcdConnection};
use etcd_client::{Client, ConnectOptions};
#[cfg(feature = "etcd-tls")]
use std::path::Path;
use std::time::Duration;

impl EtcdConnection {
    /// Connects (bounded by `connect_timeout`).
    pub async fn connect(&self) -> Result<Client, String> {
        let options = self.options().map_err(|e| e.to_string())?;
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

    fn options(&self) -> Result<ConnectOptions, ConfigError> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(self.connect_timeout)
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(5))
            .with_keep_alive_while_idle(true);
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            options = options.with_user(user.clone(), password.expose().to_string());
        }
        if self.uses_tls() {
            options = self.with_tls(options)?;
        }
        Ok(options)
    }

    #[cfg(feature = "etcd-tls")]
    fn with_tls(&self, options: ConnectOptions) -> Result<ConnectOptions, ConfigError> {
        use etcd_client::{Certificate, Identity, TlsOptions};
        let read = |key: &str, path: &Path| {
            std::fs::read(path).map_err(|source| ConfigError::Unreadable {
                key: format!("etcd.tls.{key}"),
                path: path.to_path_buf(),
                source,
            })
        };
        let files = self.tls_files()?.unwrap_or_default();
        let mut tls = TlsOptions::new();
        if let Some(ca) = &files.ca_file {
            tls = tls.ca_certificate(Certificate::from_pem(read("ca_file", ca)?));
        }
        if let (Some(cert), Some(key)) = (&files.cert_file, &files.key_file) {
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
    fn with_tls(&self, _options: ConnectOptions) -> Result<ConnectOptions, ConfigError> {
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
