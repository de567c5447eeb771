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
}

fn etcd_bin() -> String {
    std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".to_string())
}

impl Etcd {
    /// Starts etcd and waits until its client port accepts connections.
    pub fn start() -> Etcd {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut etcd = Etcd {
            child: None,
            client_port: free_port(),
            peer_port: free_port(),
            data_dir,
        };
        etcd.spawn();
        etcd
    }

    fn spawn(&mut self) {
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new(etcd_bin())
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

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
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
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoint()])
            .args(args)
            .output()
            .expect("run etcdctl");
        assert!(
            out.status.success(),
            "etcdctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `etcdctl put key value`.
    pub fn put(&self, key: &str, value: &str) {
        let status = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoint(), "put", key, value])
            .stdout(Stdio::null())
            .status()
            .expect("run etcdctl");
        assert!(status.success(), "etcdctl put {key} failed");
    }

    /// `etcdctl get key --print-value-only`, `None` when absent.
    pub fn get(&self, key: &str) -> Option<String> {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                "--endpoints",
                &self.endpoint(),
                "get",
                key,
                "--print-value-only",
            ])
            .output()
            .expect("run etcdctl");
        let text = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
        (!text.is_empty()).then_some(text)
    }
    /// Values of every key under `prefix`, one per line of `etcdctl get --prefix --print-value-only`.
    pub fn get_prefix(&self, prefix: &str) -> Vec<String> {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                "--endpoints",
                &self.endpoint(),
                "get",
                prefix,
                "--prefix",
                "--print-value-only",
            ])
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
