//! TLS settings (PEM files) and the rustls server configuration made from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// Serve HTTPS with this certificate and key, optionally verifying client certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM file with the server certificate, then its intermediates.
    pub cert_file: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// Verify client certificates against a CA; `None` asks for none.
    pub client_auth: Option<ClientAuth>,
}

/// Client-certificate verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    /// PEM file with the CA certificates a client certificate must chain to.
    pub ca_file: PathBuf,
    /// Whether a client without a certificate is refused (`true`) or let in (`false`; a certificate it
    /// does present must still verify).
    pub required: bool,
}

impl TlsSettings {
    /// Reads the files and builds the rustls configuration (HTTP/1.1 only, TLS 1.2 and 1.3, ring).
    pub(crate) fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let provider = Arc::new(ring::default_provider());
        let certs = read_certs(&self.cert_file, "certificate")?;
        let key = read_key(&self.key_file)?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| self.config_error(e))?;
        let builder = match &self.client_auth {
            None => builder.with_no_client_auth(),
            Some(auth) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(&auth.ca_file, "client CA")? {
                    roots.add(cert).map_err(|e| TlsError::BadCa {
                        path: auth.ca_file.clone(),
                        reason: e.to_string(),
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if auth.required {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                let verifier = verifier.build().map_err(|e| TlsError::BadCa {
                    path: auth.ca_file.clone(),
                    reason: e.to_string(),
                })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| self.config_error(e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    fn config_error(&self, e: rustls::Error) -> TlsError {
        TlsError::Config {
            cert: self.cert_file.clone(),
            key: self.key_file.clone(),
            reason: e.to_string(),
        }
    }
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn read_certs(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(path, what)?;
    let pem_error = |detail: Option<String>| TlsError::Pem {
        what,
        path: path.to_path_buf(),
        expected: "CERTIFICATE",
        detail,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(Some(e.to_string())))?;
    if certs.is_empty() {
        return Err(pem_error(None));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file(path, "private key")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::Pem {
        what: "private key",
        path: path.to_path_buf(),
        expected: "PRIVATE KEY",
        detail: Some(e.to_string()),
    })
}
