//! sd_notify as systemd sees it: each role is started with `NOTIFY_SOCKET` pointing at a real unix datagram
//! socket of the test (as systemd's is) and `WATCHDOG_USEC` set, and the datagrams are read back. READY=1
//! must arrive only once the role serves (its port accepts a connection at that moment), WATCHDOG=1 pings
//! must follow, a SIGHUP must be framed by RELOADING=1 (with MONOTONIC_USEC) and READY=1, and SIGTERM must
//! send STOPPING=1. The agent needs no Kafka (it serves, its producers retrying, with the broker down); the
//! transfer subscribes on a real Tansu broker.

use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a role may take to send an expected message.
const PATIENCE: Duration = Duration::from_secs(30);
/// WATCHDOG_USEC given to the roles: they ping every half of it.
const WATCHDOG_USEC: &str = "400000";

/// The test's end of NOTIFY_SOCKET.
struct NotifySocket {
    socket: UnixDatagram,
    path: String,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        NotifySocket {
            socket,
            path: path.display().to_string(),
        }
    }

    fn env(&self) -> [(&str, &str); 2] {
        [
            ("NOTIFY_SOCKET", self.path.as_str()),
            ("WATCHDOG_USEC", WATCHDOG_USEC),
        ]
    }

    /// The next datagram within `PATIENCE`, as its `KEY=VALUE` lines.
    fn next(&self, process: &Logpipe) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut buf = vec![0u8; 4096];
        loop {
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    return String::from_utf8_lossy(&buf[..n])
                        .lines()
                        .map(str::to_string)
                        .collect()
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    assert!(
                        Instant::now() < deadline,
                        "no sd_notify message within {PATIENCE:?}; log:\n{}",
                        process.log()
                    );
                }
                Err(e) => panic!("recv on the notify socket: {e}"),
            }
        }
    }

    /// Reads messages until one has `line`, returning it; `on_each` sees every message before that.
    fn until_line(
        &self,
        process: &Logpipe,
        line: &str,
        mut on_each: impl FnMut(&[String]),
    ) -> Vec<String> {
        loop {
            let message = self.next(process);
            if message.iter().any(|l| l == line) {
                return message;
            }
            on_each(&message);
        }
    }
}

/// Counts the WATCHDOG=1 pings among the next messages until `wanted` arrived.
fn expect_pings(notify: &NotifySocket, process: &Logpipe, wanted: usize) {
    let mut pings = 0;
    while pings < wanted {
        let message = notify.next(process);
        assert!(
            message.iter().all(|l| l != "READY=1"),
            "a second READY=1 without a reload: {message:?}"
        );
        if message.iter().any(|l| l == "WATCHDOG=1") {
            pings += 1;
        }
    }
}

fn status_of(message: &[String]) -> String {
    message
        .iter()
        .find_map(|l| l.strip_prefix("STATUS="))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_store_is_ready_only_once_listening_then_pings_and_says_stopping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notify = NotifySocket::bind(dir.path());
    let addr = format!("127.0.0.1:{}", free_port());
    let data = dir.path().join("store");
    let mut store = Logpipe::start_with_env(
        &[
            "store",
            "--data-dir",
            data.to_str().expect("utf-8"),
            "--listen",
            &addr,
        ],
        &dir.path().join("store.log"),
        &notify.env(),
    );
    let ready = notify.until_line(&store, "READY=1", |early| {
        panic!("a message before READY=1: {early:?}")
    });
    // The port must already accept: READY=1 is sent after the listener is bound.
    std::net::TcpStream::connect(&addr).expect("the store accepts when READY=1 arrives");
    assert!(status_of(&ready).contains(&addr), "{ready:?}");
    expect_pings(&notify, &store, 2);
    let pid = store.pid();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    notify.until_line(&store, "STOPPING=1", |_| {});
    assert!(store.terminate_wait(PATIENCE).success(), "{}", store.log());
}

/// The console's status names the address it serves, with the scheme it serves (it said `http://` over TLS).
#[test]
fn the_console_served_over_https_is_ready_with_its_https_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tls = crate::common::etcd::ServerTls::generate(dir.path());
    let notify = NotifySocket::bind(dir.path());
    let addr = format!("127.0.0.1:{}", free_port());
    let mut console = Logpipe::start_with_env(
        &[
            "console",
            "--listen",
            &addr,
            "--search",
            "http://127.0.0.1:9",
            "--tls-cert",
            tls.cert_file.to_str().expect("utf-8"),
            "--tls-key",
            tls.key_file.to_str().expect("utf-8"),
        ],
        &dir.path().join("console.log"),
        &notify.env(),
    );
    let ready = notify.until_line(&console, "READY=1", |early| {
        panic!("a message before READY=1: {early:?}")
    });
    std::net::TcpStream::connect(&addr).expect("the console accepts when READY=1 arrives");
    assert!(
        status_of(&ready).contains(&format!("https://{addr}/")),
        "{ready:?}"
    );
    expect_pings(&notify, &console, 1);
    assert!(console.terminate(PATIENCE).success(), "{}", console.log());
}

#[test]
fn the_agent_is_ready_after_its_first_pass_pings_and_frames_a_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
    let notify = NotifySocket::bind(&root);
    let metrics = format!("127.0.0.1:{}", free_port());
    std::fs::create_dir_all(root.join("logs")).expect("mkdir");
    std::fs::write(root.join("logs/a.log"), "one\ntwo\n").expect("write log");
    // A broker nobody listens on: the agent serves (tails, its producers retry) without Kafka.
    let broker_port = free_port();
    let config = |glob: &str| {
        format!(
            "data_dir = \"{data}\"\nmetrics_listen = \"{metrics}\"\n[kafka]\nbrokers = \"127.0.0.1:{port}\"\n\
             [[collect]]\npath = \"{root}/logs/{glob}\"\ntopic = \"notify_log\"\n",
            data = root.join("data").display(),
            port = broker_port,
            root = root.display(),
        )
    };
    let config_path = root.join("agent.toml");
    std::fs::write(&config_path, config("*.log")).expect("write config");
    let agent = Logpipe::start_with_env(
        &["agent", "--config", config_path.to_str().expect("utf-8")],
        &root.join("agent.log"),
        &notify.env(),
    );
    let ready = notify.until_line(&agent, "READY=1", |early| {
        panic!("a message before READY=1: {early:?}")
    });
    std::net::TcpStream::connect(&metrics).expect("the agent's metrics endpoint is up at READY=1");
    assert!(
        status_of(&ready).contains("tailing 1 files"),
        "READY=1 comes after the first scan: {ready:?}"
    );
    expect_pings(&notify, &agent, 2);

    // A changed [[collect]] entry: RELOADING=1 (with the monotonic time systemd 253+ wants), then READY=1.
    std::fs::write(&config_path, config("*.txt")).expect("rewrite config");
    agent.reload();
    let reloading = notify.until_line(&agent, "RELOADING=1", |_| {});
    assert!(
        reloading.iter().any(|l| l
            .strip_prefix("MONOTONIC_USEC=")
            .is_some_and(|v| v.parse::<u64>().is_ok())),
        "{reloading:?}"
    );
    let reloaded = notify.until_line(&agent, "READY=1", |m| {
        assert!(m.iter().all(|l| l == "WATCHDOG=1"), "{m:?}")
    });
    assert!(
        status_of(&reloaded).contains("reloaded: applied collect"),
        "{reloaded:?}"
    );

    // A file that does not parse: still framed, and the status says it was refused.
    std::fs::write(&config_path, "data_dir = [").expect("break config");
    agent.reload();
    notify.until_line(&agent, "RELOADING=1", |_| {});
    let refused = notify.until_line(&agent, "READY=1", |_| {});
    assert!(status_of(&refused).contains("refused"), "{refused:?}");
    expect_pings(&notify, &agent, 1);

    let mut agent = agent;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(agent.pid() as libc::pid_t, libc::SIGTERM) };
    notify.until_line(&agent, "STOPPING=1", |_| {});
    assert!(agent.terminate_wait(PATIENCE).success(), "{}", agent.log());
}

#[test]
fn without_notify_socket_the_store_runs_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notify = NotifySocket::bind(dir.path());
    let addr = format!("127.0.0.1:{}", free_port());
    let data = dir.path().join("store");
    // WATCHDOG_USEC alone (no NOTIFY_SOCKET) must not start pinging anywhere.
    let mut store = Logpipe::start_with_env(
        &[
            "store",
            "--data-dir",
            data.to_str().expect("utf-8"),
            "--listen",
            &addr,
        ],
        &dir.path().join("store.log"),
        &[("WATCHDOG_USEC", WATCHDOG_USEC)],
    );
    crate::common::wait::port_open(&addr, PATIENCE);
    assert!(store.running());
    let mut buf = [0u8; 256];
    notify.socket.set_nonblocking(true).expect("nonblocking");
    assert!(notify.socket.recv(&mut buf).is_err(), "nothing was sent");
    assert!(!store.log().contains("watchdog"), "{}", store.log());
    store.terminate(PATIENCE);
}

#[test]
fn the_transfer_is_ready_once_subscribed_then_pings_while_its_consumers_poll() {
    let tansu = crate::common::tansu::Tansu::start();
    tansu.create_topic("notify_transfer", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let notify = NotifySocket::bind(dir.path());
    // Nothing is produced; the store is there for the product check the transfer makes before it
    // subscribes (`GET /`).
    let store = crate::common::store::StoreProcess::start();
    let config = crate::common::transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["notify_transfer"]"#,
        &store.url(),
        "",
        "",
    );
    let mut transfer = Logpipe::start_with_env(
        &["transfer", "--config", config.to_str().expect("utf-8")],
        &dir.path().join("transfer.log"),
        &notify.env(),
    );
    let ready = notify.until_line(&transfer, "READY=1", |early| {
        panic!("a message before READY=1: {early:?}")
    });
    assert!(
        status_of(&ready).contains("logpipe-transfer-test"),
        "{ready:?}"
    );
    expect_pings(&notify, &transfer, 2);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(transfer.pid() as libc::pid_t, libc::SIGTERM) };
    notify.until_line(&transfer, "STOPPING=1", |_| {});
    assert!(
        transfer.terminate_wait(PATIENCE).success(),
        "{}",
        transfer.log()
    );
}

/// A transfer started while Elasticsearch is down is up as far as systemd is concerned: READY=1 with a
/// status saying what it waits for, then pings while it waits (no start timeout, no restart loop); once
/// the cluster answers, READY=1 again with the consuming status.
#[test]
fn the_transfer_waiting_for_elasticsearch_is_ready_and_pings_then_consumes_once_it_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notify = NotifySocket::bind(dir.path());
    let es_port = free_port();
    // No broker is needed to create the consumers; the point is the wait before them.
    let config = crate::common::transfer::write_config(
        dir.path(),
        &format!("127.0.0.1:{}", free_port()),
        r#"["notify_wait"]"#,
        &format!("http://127.0.0.1:{es_port}"),
        "",
        "",
    );
    let mut transfer = Logpipe::start_with_env(
        &["transfer", "--config", config.to_str().expect("utf-8")],
        &dir.path().join("transfer.log"),
        &notify.env(),
    );
    let waiting = notify.until_line(&transfer, "READY=1", |early| {
        panic!("a message before READY=1: {early:?}")
    });
    assert!(
        status_of(&waiting).contains("waiting for Elasticsearch"),
        "{waiting:?}"
    );
    expect_pings(&notify, &transfer, 2);

    let store = crate::common::store::StoreProcess::start_at(es_port);
    let consuming = notify.until_line(&transfer, "READY=1", |_| {});
    assert!(status_of(&consuming).contains("consuming"), "{consuming:?}");
    expect_pings(&notify, &transfer, 2);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(transfer.pid() as libc::pid_t, libc::SIGTERM) };
    notify.until_line(&transfer, "STOPPING=1", |_| {});
    assert!(
        transfer.terminate_wait(PATIENCE).success(),
        "{}",
        transfer.log()
    );
    drop(store);
}
