//! A real etcd server (Debian `etcd-server`) on free loopback ports with a temp data dir.

use super::ports::free_port;
use super::wait;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running etcd; killed on drop.
pub struct Etcd {
    child: Option<Child>,
    pub client_port: u16,
    peer_port: u16,
    data_dir: tempfile::TempDir,
    tls: Option<ServerTls>,
    /// With TLS: every client must present a certificate signed by the CA (`--client-cert-auth`); this one
    /// (certificate, key) is `etcdctl`'s.
    client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// Certificate files for an etcd serving `https://` (see [`ServerTls::generate`]).
#[derive(Clone)]
pub struct ServerTls {
    pub ca_file: std::path::PathBuf,
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
}

impl ServerTls {
    /// A throw-away CA and a server certificate for `127.0.0.1` / `localhost` signed by it, made with the
    /// `openssl` command in `dir`.
    pub fn generate(dir: &std::path::Path) -> ServerTls {
        let openssl = |args: &[&str]| {
            let mut command = Command::new("openssl");
            command.current_dir(dir).args(args);
            output_ok(command, &format!("openssl {args:?}"));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=logpipe test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write san.ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ]);
        ServerTls {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
        }
    }
}

fn etcd_bin() -> String {
    std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".to_string())
}

impl Etcd {
    /// Starts etcd and waits until its client port accepts connections.
    pub fn start() -> Etcd {
        Etcd::start_with(None, None)
    }

    /// Starts etcd serving clients over TLS only (`https://`).
    pub fn start_tls(tls: ServerTls) -> Etcd {
        Etcd::start_with(Some(tls), None)
    }

    /// Starts etcd serving clients over TLS only, each with a certificate signed by `tls.ca_file`
    /// (`--client-cert-auth`); `etcdctl` presents `cert` / `key`.
    pub fn start_mutual_tls(tls: ServerTls, cert: &std::path::Path, key: &std::path::Path) -> Etcd {
        Etcd::start_with(Some(tls), Some((cert.to_path_buf(), key.to_path_buf())))
    }

    fn start_with(
        tls: Option<ServerTls>,
        client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    ) -> Etcd {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut etcd = Etcd {
            child: None,
            client_port: free_port(),
            peer_port: free_port(),
            data_dir,
            tls,
            client_cert,
        };
        etcd.spawn();
        etcd
    }

    fn spawn(&mut self) {
        let client = self.endpoint();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let mut command = Command::new(etcd_bin());
        if let Some(tls) = &self.tls {
            command
                .arg("--cert-file")
                .arg(&tls.cert_file)
                .arg("--key-file")
                .arg(&tls.key_file);
            if self.client_cert.is_some() {
                command
                    .arg("--client-cert-auth")
                    .arg("--trusted-ca-file")
                    .arg(&tls.ca_file);
            }
        }
        let child = command
            .args(["--name", "test", "--data-dir"])
            .arg(self.data_dir.path().join("data"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("test={peer}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start etcd ({e}): run .ci/setup (apt-get install etcd-server)")
            });
        self.child = Some(child);
        wait::port_open(
            &format!("127.0.0.1:{}", self.client_port),
            Duration::from_secs(20),
        );
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    /// `etcdctl` with this server's endpoint (and CA, with TLS).
    fn etcdctl_command(&self) -> Command {
        let mut command = Command::new("etcdctl");
        command
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoint()]);
        if let Some(tls) = &self.tls {
            command.arg("--cacert").arg(&tls.ca_file);
        }
        if let Some((cert, key)) = &self.client_cert {
            command.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        command
    }

    /// Stops the server (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Runs `etcdctl ARGS` against this server; panics when it fails.
    pub fn etcdctl(&self, args: &[&str]) -> String {
        let mut command = self.etcdctl_command();
        command.args(args);
        let out = output_ok(command, &format!("etcdctl {args:?}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `etcdctl put key value`.
    pub fn put(&self, key: &str, value: &str) {
        let status = self
            .etcdctl_command()
            .args(["put", key, value])
            .stdout(Stdio::null())
            .status()
            .expect("run etcdctl");
        assert!(status.success(), "etcdctl put {key} failed");
    }

    /// `etcdctl get key --print-value-only`, `None` when absent.
    pub fn get(&self, key: &str) -> Option<String> {
        let out = self
            .etcdctl_command()
            .args(["get", key, "--print-value-only"])
            .output()
            .expect("run etcdctl");
        let text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        (!text.is_empty()).then_some(text)
    }
    /// Values of every key under `prefix`, one per line of `etcdctl get --prefix --print-value-only`.
    pub fn get_prefix(&self, prefix: &str) -> Vec<String> {
        let out = self
            .etcdctl_command()
            .args(["get", prefix, "--prefix", "--print-value-only"])
            .output()
            .expect("run etcdctl");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Paths of the files an agent's status JSON lists as tailed.
pub fn tailed_paths(status: &serde_json::Value) -> Vec<String> {
    status["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `command` to its end; panics naming `what` (with its stderr) unless it succeeded.
fn output_ok(mut command: Command, what: &str) -> std::process::Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
