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

/// Why a session with etcd could not be opened or ended; each names the endpoints or the call.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// The connection settings cannot be used (a TLS file unreadable, TLS without the feature).
    #[error(transparent)]
    Settings(#[from] ConfigError),
    #[error("cannot connect to {endpoints:?}: {source}")]
    Connect {
        endpoints: Vec<String>,
        source: etcd_client::Error,
    },
    #[error("cannot connect to {endpoints:?}: no answer within {limit:?}")]
    ConnectTimeout {
        endpoints: Vec<String>,
        limit: Duration,
    },
    #[error("{call}: {source}")]
    Call {
        call: &'static str,
        source: etcd_client::Error,
    },
    #[error("{call}: no answer within {limit:?}")]
    CallTimeout { call: &'static str, limit: Duration },
    #[error("the watch stream ended")]
    WatchEnded,
    #[error("watch canceled (compact revision {compact_revision}): {reason}")]
    WatchCanceled {
        compact_revision: i64,
        reason: String,
    },
    #[error("the lease expired")]
    LeaseExpired,
}

impl EtcdConnection {
    /// Connects (bounded by `connect_timeout`).
    pub async fn connect(&self) -> Result<Client, EtcdError> {
        let options = self.options()?;
        match tokio::time::timeout(
            self.connect_timeout,
            Client::connect(&self.endpoints, Some(options)),
        )
        .await
        {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(source)) => Err(EtcdError::Connect {
                endpoints: self.endpoints.clone(),
                source,
            }),
            Err(_) => Err(EtcdError::ConnectTimeout {
                endpoints: self.endpoints.clone(),
                limit: self.connect_timeout,
            }),
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

/// Runs `call` (named `what` in its error) bounded by `limit`.
pub async fn bounded<T>(
    what: &'static str,
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, EtcdError> {
    match tokio::time::timeout(limit, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(EtcdError::Call { call: what, source }),
        Err(_) => Err(EtcdError::CallTimeout { call: what, limit }),
    }
}
