//! TLS to Elasticsearch with Logstash's options: `ssl_certificate_authorities` (private CAs),
//! `ssl_certificate` + `ssl_key` (a client certificate) and `ssl_verification_mode` (`full`: chain and host
//! name; `certificate`: chain only, for nodes reached by an address their certificate does not name;
//! `none`: nothing, which is logged loudly).
//!
//! ureq's own rustls connector verifies chain and name together and knows no `certificate` mode, so the
//! connection is wrapped here by a small ureq `Connector` holding one rustls `ClientConfig` built at start
//! (files read once; a bad file is an error naming it). Without any `ssl_*` option the indexer keeps ureq's
//! default (Mozilla's roots, full verification) and this module is not involved.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

/// `ssl_verification_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationMode {
    /// The chain must lead to a trusted CA and the certificate must name the host of the URL.
    #[default]
    Full,
    /// The chain must lead to a trusted CA; the host name is not checked.
    Certificate,
    /// Nothing is checked: anyone on the path can read and change the traffic.
    None,
}

/// The TLS settings of the Elasticsearch client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// PEM files of the CAs to trust instead of Mozilla's roots.
    pub certificate_authorities: Vec<PathBuf>,
    /// PEM client certificate (and chain) and its key, when the cluster asks for one.
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub verification: VerificationMode,
}

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} {} holds no PEM {kind}", path.display())]
    Empty {
        what: &'static str,
        path: PathBuf,
        kind: &'static str,
    },
    #[error("{what} {} is not valid PEM: {reason}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("ssl_certificate_authorities: {0}")]
    Roots(String),
    #[error("ssl_certificate / ssl_key: {0}")]
    ClientCert(String),
}

impl ClientTls {
    /// Whether any option differs from ureq's default (public roots, full verification, no client cert).
    pub fn is_default(&self) -> bool {
        *self == ClientTls::default()
    }

    /// The rustls client configuration these settings describe (reads the files).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        if self.certificate_authorities.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for path in &self.certificate_authorities {
            for cert in read_certs(path, "ssl_certificate_authorities")? {
                roots
                    .add(cert)
                    .map_err(|e| TlsSetupError::Roots(format!("{}: {e}", path.display())))?;
            }
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| TlsSetupError::Roots(e.to_string()))?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.verification {
            VerificationMode::Full => webpki,
            mode => Arc::new(Relaxed {
                inner: webpki,
                mode,
            }),
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Roots(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match (&self.certificate, &self.key) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(
                    read_certs(cert, "ssl_certificate")?,
                    read_key(key, "ssl_key")?,
                )
                .map_err(|e| TlsSetupError::ClientCert(e.to_string()))?,
            _ => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|source| TlsSetupError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn read_certs(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    use rustls::pki_types::pem::PemObject;
    let pem = read_file(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::Pem {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Empty {
            what,
            path: path.to_path_buf(),
            kind: "certificate",
        });
    }
    Ok(certs)
}

fn read_key(path: &Path, what: &'static str) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    use rustls::pki_types::pem::PemObject;
    let pem = read_file(path, what)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsSetupError::Empty {
            what,
            path: path.to_path_buf(),
            kind: "private key",
        },
        e => TlsSetupError::Pem {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    })
}

/// `certificate` and `none`: the web-PKI verifier, with the host-name check (or every check) waived.
/// Handshake signatures are always verified.
#[derive(Debug)]
struct Relaxed {
    inner: Arc<WebPkiServerVerifier>,
    mode: VerificationMode,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.mode == VerificationMode::None {
            return Ok(ServerCertVerified::assertion());
        }
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A ureq connector that wraps `https` connections in TLS with one fixed rustls configuration.
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    pub fn new(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector { config }
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .ok_or(ureq::Error::Tls("the URL has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("the URL's host is not a valid TLS server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// A TLS connection made by `TlsConnector`.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// A ureq agent using `tls` (or ureq's defaults when `tls` is the default) with `config`.
pub fn agent(tls: &ClientTls, config: ureq::config::Config) -> Result<ureq::Agent, TlsSetupError> {
    if tls.is_default() {
        return Ok(config.into());
    }
    if tls.verification == VerificationMode::None {
        log::warn!(
            "elasticsearch.ssl_verification_mode = \"none\": the server's certificate is NOT checked; \
             anyone on the network path can read and change what is indexed"
        );
    }
    let connector = ureq::unversioned::transport::TcpConnector::default()
        .chain(TlsConnector::new(tls.client_config()?));
    Ok(ureq::Agent::with_parts(
        config,
        connector,
        ureq::unversioned::resolver::DefaultResolver::default(),
    ))
}
