//! HTTPS with a throw-away CA made by openssl: requests served and marked as TLS, client certificates
//! required or optional, and settings errors that name the file.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::common::*;
use logpipe_http::{serve, ClientAuth, Limits, ServeError, Server, TlsError, TlsSettings};

/// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate, in a temporary
/// directory.
struct Pki {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let ca = [
            &[
                "req",
                "-x509",
                "-days",
                "2",
                "-subj",
                "/CN=logpipe test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ][..],
            &ec[..],
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ][..],
        ]
        .concat();
        openssl(d, &ca);
        for (name, usage, san) in [
            (
                "server",
                "serverAuth",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
            ),
            ("client", "clientAuth", ""),
        ] {
            let (subject, key, csr_file) = (
                format!("/CN=logpipe test {name}"),
                format!("{name}.key"),
                format!("{name}.csr"),
            );
            let csr = [
                &["req", "-subj", &subject, "-keyout", &key, "-out", &csr_file][..],
                &ec[..],
            ]
            .concat();
            openssl(d, &csr);
            std::fs::write(
                d.join(format!("{name}.ext")),
                format!("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n{san}"),
            )
            .unwrap();
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-days",
                    "2",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-extfile",
                    &format!("{name}.ext"),
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn settings(&self, client_auth: Option<bool>) -> TlsSettings {
        TlsSettings {
            cert_file: self.path("server.pem"),
            key_file: self.path("server.key"),
            client_auth: client_auth.map(|required| ClientAuth {
                ca_file: self.path("ca.pem"),
                required,
            }),
        }
    }

    fn client(&self, with_cert: bool) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(self.path("ca.pem")).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots);
        let config = if with_cert {
            let certs = CertificateDer::pem_file_iter(self.path("client.pem"))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_file(self.path("client.key")).unwrap();
            builder.with_client_auth_cert(certs, key).unwrap()
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(config)
    }
}

fn start_tls(pki: &Pki, client_auth: Option<bool>) -> Server {
    let gate = Gate::new();
    let handler = Arc::new(EchoHandler { gate });
    serve(
        "127.0.0.1:0",
        quick_limits(),
        Some(pki.settings(client_auth)),
        handler,
    )
    .unwrap_or_else(|e| panic!("cannot start the TLS server: {e}"))
}

/// `GET /echo` over TLS; the answer, or the error that prevented one.
fn https_get(addr: SocketAddr, config: Arc<ClientConfig>) -> Result<RawResponse, String> {
    let tcp = connect(addr);
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    read_response(&mut tls)
}

#[test]
fn https_requests_are_served_and_marked_as_tls() {
    let pki = Pki::new();
    let server = start_tls(&pki, None);
    let r = https_get(server.addr(), pki.client(false)).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body_text().contains("tls=true"), "{}", r.body_text());
    // Plain HTTP to the TLS port gets no answer, and counts as a failed handshake.
    let mut plain = connect(server.addr());
    send(&mut plain, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(!matches!(read_response(&mut plain), Ok(r) if r.status == 200));
    let stats = server.stats();
    assert!(eventually(|| stats.snapshot().tls_handshake_failures == 1));
}

/// A client that connects to the TLS port and sends nothing is closed after `header_read` (the
/// handshake is under the same deadline as a head).
#[test]
fn a_silent_client_does_not_hold_a_tls_handshake_open() {
    let pki = Pki::new();
    let server = start_tls(&pki, None);
    let mut silent = connect(server.addr());
    let took = wait_closed(&mut silent, Duration::from_secs(3)).expect("closed");
    assert!(took >= quick_limits().header_read - Duration::from_millis(50));
    let stats = server.stats();
    assert!(eventually(|| {
        let s = stats.snapshot();
        (s.tls_handshake_failures, s.header_timeouts) == (1, 1)
    }));
}

#[test]
fn a_required_client_certificate_refuses_clients_without_one() {
    let pki = Pki::new();
    let server = start_tls(&pki, Some(true));
    let without = https_get(server.addr(), pki.client(false));
    assert!(
        without.is_err(),
        "served without a client certificate: {without:?}"
    );
    let stats = server.stats();
    assert!(eventually(|| stats.snapshot().tls_handshake_failures == 1));
    assert_eq!(stats.snapshot().requests, 0);
    let with = https_get(server.addr(), pki.client(true)).unwrap();
    assert_eq!(with.status, 200);
}

#[test]
fn an_optional_client_certificate_lets_clients_without_one_in() {
    let pki = Pki::new();
    let server = start_tls(&pki, Some(false));
    assert_eq!(
        https_get(server.addr(), pki.client(false)).unwrap().status,
        200
    );
    assert_eq!(
        https_get(server.addr(), pki.client(true)).unwrap().status,
        200
    );
}

fn tls_error(settings: TlsSettings) -> TlsError {
    let handler = Arc::new(EchoHandler { gate: Gate::new() });
    match serve("127.0.0.1:0", Limits::default(), Some(settings), handler) {
        Err(ServeError::Tls(e)) => e,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn unusable_tls_files_are_errors_naming_the_file() {
    let pki = Pki::new();
    let garbage = pki.path("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();

    let bad_cert = tls_error(TlsSettings {
        cert_file: garbage.clone(),
        ..pki.settings(None)
    });
    assert!(matches!(bad_cert, TlsError::Pem { .. }), "{bad_cert:?}");
    assert!(bad_cert.to_string().contains("garbage.pem"), "{bad_cert}");
    assert!(bad_cert.to_string().contains("certificate"), "{bad_cert}");

    let missing_key = tls_error(TlsSettings {
        key_file: pki.path("no-such.key"),
        ..pki.settings(None)
    });
    assert!(
        matches!(missing_key, TlsError::Read { .. }),
        "{missing_key:?}"
    );
    assert!(
        missing_key.to_string().contains("no-such.key"),
        "{missing_key}"
    );

    let wrong_key = tls_error(TlsSettings {
        key_file: pki.path("client.key"),
        ..pki.settings(None)
    });
    assert!(
        matches!(wrong_key, TlsError::Config { .. }),
        "{wrong_key:?}"
    );
    assert!(wrong_key.to_string().contains("client.key"), "{wrong_key}");

    let bad_ca = tls_error(TlsSettings {
        client_auth: Some(ClientAuth {
            ca_file: garbage,
            required: true,
        }),
        ..pki.settings(None)
    });
    assert!(bad_ca.to_string().contains("client CA file"), "{bad_ca}");
    assert!(bad_ca.to_string().contains("garbage.pem"), "{bad_ca}");
}
