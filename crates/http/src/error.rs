//! Why a server could not start.

use std::path::PathBuf;

/// Why [`crate::serve`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address does not resolve.
    #[error("cannot resolve listen address {listen:?}: {source}")]
    Resolve {
        /// The address as given.
        listen: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// The socket could not be bound or listened on (address in use, permission denied...).
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        /// The address as given.
        listen: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// The TLS settings are unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A limit that cannot work (zero threads, zero connections).
    #[error("invalid limit: {0}")]
    InvalidLimit(&'static str),
    /// The runtime or a thread could not be started.
    #[error("cannot start the server's threads: {0}")]
    Threads(std::io::Error),
}

/// Why the TLS settings are unusable; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {what} file {}: {source}", path.display())]
    Read {
        /// Which file: "certificate", "private key", "client CA".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM item of the expected kind, or malformed PEM.
    #[error("{what} file {} holds no valid PEM {expected}{}", path.display(), detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Pem {
        /// Which file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What was expected ("CERTIFICATE", "PRIVATE KEY").
        expected: &'static str,
        /// The parser's complaint, when there was one.
        detail: Option<String>,
    },
    /// A CA certificate could not be used as a trust anchor.
    #[error("client CA file {}: {reason}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate and key do not make a server configuration (e.g. the key does not match).
    #[error("certificate {} with key {}: {reason}", cert.display(), key.display())]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        reason: String,
    },
}
