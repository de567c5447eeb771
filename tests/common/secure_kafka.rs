//! A Tansu broker behind TLS, for the Kafka security tests.
//!
//! Tansu 0.6 does not terminate TLS itself (its `--cert` and `--key` flags cannot be given together and its
//! listener reads plain Kafka frames), so Debian's `stunnel4` terminates TLS in front of it: Tansu listens on
//! an internal port and advertises the stunnel port, so every client, after the bootstrap, connects through
//! TLS again. SASL is Tansu's own (`--authentication`): it offers SCRAM-SHA-256/512 (and OAUTHBEARER, which
//! it then refuses), not PLAIN. Tansu 0.6 cannot hold a SCRAM user a client could log in as: `tansu user
//! create` is refused by a broker that requires authentication (it cannot log in itself), and users created on
//! a broker without `--authentication` live in its memory only. So a SASL login is always refused here — the
//! refusal is what the tests check — and a broker without `--authentication` answers SaslHandshake with
//! "unsupported mechanism".
//!
//! `Pki` is a throw-away CA (and a second, untrusted one) made with the `openssl` command, with a server
//! certificate for 127.0.0.1 / localhost and a client certificate for mutual TLS.

use super::etcd::ServerTls;
use super::ports::free_port;
use super::tansu::Tansu;
use super::wait;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Certificates and keys of the tests.
pub struct Pki {
    pub dir: PathBuf,
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// A CA that signed nothing used here.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    pub fn generate(dir: &Path) -> Pki {
        let server = ServerTls::generate(dir);
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=logpipe-agent",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
            ],
        );
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n")
            .expect("write client.ext");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "client.ext",
                "-out",
                "client.pem",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=some other CA",
                "-keyout",
                "other-ca.key",
                "-out",
                "other-ca.pem",
            ],
        );
        Pki {
            dir: dir.to_path_buf(),
            ca: server.ca_file,
            other_ca: dir.join("other-ca.pem"),
            server_cert: server.cert_file,
            server_key: server.key_file,
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        }
    }
}

/// stunnel terminating TLS on `port` and forwarding to a local port; killed on drop.
pub struct TlsTerminator {
    child: Child,
    pub port: u16,
}

impl TlsTerminator {
    /// TLS on `port` → `127.0.0.1:target`; with `client_ca`, clients must present a certificate it signed.
    pub fn start(pki: &Pki, port: u16, target: u16, client_ca: Option<&Path>) -> TlsTerminator {
        let conf = pki.dir.join(format!("stunnel-{port}.conf"));
        let mut text = format!(
            "foreground = yes\npid =\ndebug = 3\n[kafka]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{target}\ncert = {}\nkey = {}\n",
            pki.server_cert.display(),
            pki.server_key.display()
        );
        if let Some(ca) = client_ca {
            text.push_str(&format!(
                "CAfile = {}\nrequireCert = yes\nverifyChain = yes\n",
                ca.display()
            ));
        }
        std::fs::write(&conf, text).expect("write stunnel.conf");
        let log = std::fs::File::create(pki.dir.join(format!("stunnel-{port}.log")))
            .expect("stunnel log");
        let child = Command::new("stunnel4")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start stunnel4 ({e}): run .ci/setup"));
        wait::port_open(&format!("127.0.0.1:{port}"), Duration::from_secs(20));
        TlsTerminator { child, port }
    }
}

impl Drop for TlsTerminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Tansu (optionally with SCRAM authentication) reachable only through TLS.
pub struct SecureKafka {
    pub tansu: Tansu,
    pub tls: TlsTerminator,
}

impl SecureKafka {
    pub fn start(pki: &Pki, authentication: bool, client_ca: Option<&Path>) -> SecureKafka {
        let (internal, public) = (free_port(), free_port());
        let tansu = Tansu::start_with(internal, public, authentication);
        let tls = TlsTerminator::start(pki, public, internal, client_ca);
        SecureKafka { tansu, tls }
    }

    /// `127.0.0.1:PORT` of the TLS listener.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.tls.port)
    }
}
