//! `--tls-cert`, `--tls-key` and `--tls-client-ca`: HTTPS for the roles that serve HTTP (the store and the
//! console), defined once and flattened into each role's arguments.

use std::path::PathBuf;

/// HTTPS options of a serving role.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ListenTlsArgs {
    /// Serve HTTPS with this PEM certificate (then its intermediates); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Ask clients for a certificate signed by a CA of this PEM file, and refuse those without one.
    #[arg(long, requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
}

impl ListenTlsArgs {
    /// The serving layer's TLS settings, or `None` for plain HTTP. The files are read when serving starts
    /// (an unreadable one is an error naming it).
    pub fn settings(&self) -> Option<logpipe_http::TlsSettings> {
        let (cert_file, key_file) = (self.tls_cert.clone()?, self.tls_key.clone()?);
        Some(logpipe_http::TlsSettings {
            cert_file,
            key_file,
            client_auth: self
                .tls_client_ca
                .clone()
                .map(|ca_file| logpipe_http::ClientAuth {
                    ca_file,
                    required: true,
                }),
        })
    }

    /// `https` when these options serve HTTPS, else `http` (for the addresses a role reports).
    pub fn scheme(&self) -> &'static str {
        if self.settings().is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// Whether every address `listen` (`host:port`) stands for is a loopback address; `Err` when it does not
/// resolve.
pub fn is_loopback(listen: &str) -> std::io::Result<bool> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = listen.to_socket_addrs()?.collect();
    Ok(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_addresses() {
        assert!(super::is_loopback("127.0.0.1:9200").expect("resolves"));
        assert!(super::is_loopback("[::1]:9200").expect("resolves"));
        assert!(super::is_loopback("localhost:9200").expect("resolves"));
        assert!(!super::is_loopback("0.0.0.0:9200").expect("resolves"));
        assert!(super::is_loopback("no-such-host.invalid:1").is_err());
    }
}
