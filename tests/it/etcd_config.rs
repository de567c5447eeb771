//! Central config in etcd against real etcd and Tansu: the seeds' value is tailed; a new value adds and
//! removes files without a restart and without re-reading or skipping unchanged ones (exact counts); a
//! malformed value and an entry outside `allow_paths` keep the old config and show up in the status key;
//! etcd outages and restarts lose no change; the agent starts on its cache without etcd; the status key
//! disappears when the agent is killed.

use crate::common::agent::{append_lines, assert_exact, expected, wait_checkpointed, PATIENCE};
use crate::common::etcd::{tailed_paths, Etcd};
use crate::common::kafka::TopicReader;
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KEY: &str = "/logpipe/collect/test-host";
const STATUS_KEY: &str = "/logpipe/status/agent/test-host";

struct EtcdSetup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    logs: PathBuf,
    config: PathBuf,
    metrics_port: u16,
}

fn etcd_setup(tansu: &Tansu, etcd: &Etcd) -> EtcdSetup {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical tempdir");
    let logs = root.join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let metrics_port = free_port();
    let config = root.join("agent.toml");
    let text = format!(
        r#"data_dir = "{data}"
host_name = "test-host"
status_interval = "300ms"
status_ttl = "3s"
metrics_listen = "127.0.0.1:{metrics_port}"
[kafka]
brokers = "{brokers}"
linger_ms = 1
[tail]
rotate_wait = "2s"
poll_interval = "250ms"
checkpoint_interval = "200ms"
[etcd]
endpoints = ["{endpoint}"]
allow_paths = ["{root}/**"]
connect_timeout = "1s"
"#,
        data = root.join("data").display(),
        brokers = tansu.brokers(),
        endpoint = etcd.endpoint(),
        root = root.display(),
    );
    fs::write(&config, text).expect("write config");
    EtcdSetup {
        _dir: dir,
        root,
        logs,
        config,
        metrics_port,
    }
}

fn start(setup: &EtcdSetup) -> Logpipe {
    let config = setup.config.to_string_lossy().into_owned();
    Logpipe::start(
        &["agent", "--config", &config],
        &setup.root.join("agent.log"),
    )
}

fn entry(path: &Path, topic: &str) -> String {
    format!(r#"{{"path":"{}","topic":"{topic}"}}"#, path.display())
}

fn status(etcd: &Etcd) -> Option<serde_json::Value> {
    etcd.get(STATUS_KEY)
        .and_then(|text| serde_json::from_str(&text).ok())
}

/// Waits until the status key satisfies `check`; returns it.
fn status_until(
    etcd: &Etcd,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    wait::until(what, Duration::from_secs(15), || {
        status(etcd).filter(|s| check(s))
    })
}

/// Reads exactly `lines` of `prefix` from `reader`, then checks nothing more arrives for `quiet`.
fn expect_exact(reader: &mut TopicReader, prefix: &str, lines: usize, quiet: Duration) {
    reader.read_at_least(lines, PATIENCE);
    let messages = reader.drain(quiet).to_vec();
    assert_exact(&messages, &expected(prefix, 0..lines));
}

#[test]
fn seeds_value_hot_reload_bad_values_and_allowlist() {
    let tansu = Tansu::start();
    let etcd = Etcd::start();
    for topic in ["a_log", "b_log", "c_log", "passwd"] {
        tansu.create_topic(topic, 1);
    }
    let setup = etcd_setup(&tansu, &etcd);
    let (a, b, c) = (
        setup.logs.join("a.log"),
        setup.logs.join("b.log"),
        setup.logs.join("c.log"),
    );
    append_lines(&a, "a", 0..100);
    append_lines(&b, "b", 0..100);
    append_lines(&c, "c", 0..50);
    // The seeds' format, as-is.
    etcd.put(
        KEY,
        &format!("[{},{}]", entry(&a, "a_log"), entry(&b, "b_log")),
    );
    let agent = start(&setup);
    let mut a_reader = TopicReader::new(&tansu.brokers(), "a_log");
    let mut b_reader = TopicReader::new(&tansu.brokers(), "b_log");
    a_reader.read_at_least(100, PATIENCE);
    b_reader.read_at_least(100, PATIENCE);

    // New value: a kept, b removed, c added — applied without a restart, well within a second of the put.
    let put_at = Instant::now();
    etcd.put(
        KEY,
        &format!("[{},{}]", entry(&a, "a_log"), entry(&c, "c_log")),
    );
    let mut c_reader = TopicReader::new(&tansu.brokers(), "c_log");
    c_reader.read_at_least(50, PATIENCE);
    eprintln!(
        "c.log's 50 lines in Kafka {:?} after the put",
        put_at.elapsed()
    );
    let s = status_until(&etcd, "status with c.log and without b.log", |s| {
        let paths = tailed_paths(s);
        paths.iter().any(|p| p.ends_with("/c.log")) && !paths.iter().any(|p| p.ends_with("/b.log"))
    });
    assert_eq!(s["config"]["source"], "etcd");
    assert_eq!(s["config"]["entries"], 2);
    assert!(
        s["config"]["errors"]
            .as_array()
            .is_some_and(|e| e.is_empty()),
        "{s}"
    );
    append_lines(&a, "a", 100..150);
    append_lines(&b, "b", 100..150);
    expect_exact(&mut a_reader, "a", 150, Duration::from_secs(1));
    expect_exact(&mut b_reader, "b", 100, Duration::from_secs(1));
    expect_exact(&mut c_reader, "c", 50, Duration::ZERO);

    // Malformed JSON: the whole previous config stays; the error is in the status key.
    let revision_before = s["config"]["revision"].as_i64().expect("revision");
    etcd.put(KEY, r#"[{"path": oops"#);
    let s = status_until(&etcd, "status showing the malformed value", |s| {
        s["config"]["errors"]
            .to_string()
            .contains("not a JSON array")
    });
    assert!(s["config"]["errors"].to_string().contains(KEY), "{s}");
    assert_eq!(s["config"]["revision"].as_i64(), Some(revision_before));
    append_lines(&a, "a", 150..160);
    append_lines(&c, "c", 50..60);
    expect_exact(&mut a_reader, "a", 160, Duration::from_millis(500));
    expect_exact(&mut c_reader, "c", 60, Duration::from_millis(500));

    // An entry outside allow_paths is refused (named in the status), the others apply. Defence in depth:
    // a symlink inside the allowed tree pointing at /etc/passwd is not opened by the file server either.
    let passwd = Path::new("/etc/passwd");
    let d = setup.logs.join("d.log");
    append_lines(&d, "d", 0..20);
    tansu.create_topic("d_log", 1);
    let links = setup.root.join("links");
    fs::create_dir_all(&links).expect("mkdir");
    append_lines(&links.join("ok.log"), "ok", 0..5);
    std::os::unix::fs::symlink(passwd, links.join("evil.log")).expect("symlink");
    // Links are followed here, so the allowlist must judge where they lead.
    let followed_links = format!(
        r#"{{"path":"{}","topic":"passwd","follow_symlinks":true}}"#,
        links.join("*.log").display()
    );
    etcd.put(
        KEY,
        &format!(
            "[{},{},{},{},{}]",
            entry(&a, "a_log"),
            entry(&c, "c_log"),
            entry(passwd, "passwd"),
            entry(&d, "d_log"),
            followed_links
        ),
    );
    let mut d_reader = TopicReader::new(&tansu.brokers(), "d_log");
    expect_exact(&mut d_reader, "d", 20, Duration::from_millis(500));
    let s = status_until(&etcd, "status naming /etc/passwd", |s| {
        s["config"]["errors"].to_string().contains("/etc/passwd")
    });
    let errors = s["config"]["errors"].to_string();
    assert!(
        errors.contains("allow_paths") && errors.contains(KEY),
        "{errors}"
    );
    assert_eq!(s["config"]["entries"], 4, "{s}");
    assert!(!tailed_paths(&s)
        .iter()
        .any(|p| p == "/etc/passwd" || p.ends_with("evil.log")));
    let mut passwd_reader = TopicReader::new(&tansu.brokers(), "passwd");
    expect_exact(&mut passwd_reader, "ok", 5, Duration::from_secs(1));
    assert!(!agent.log().contains("tailing /etc/passwd"));
    assert!(
        agent.log().contains("resolves to /etc/passwd"),
        "{}",
        agent.log()
    );

    // Metrics reflect it all: every line written to a tailed file is acknowledged.
    let acked = 160 + 100 + 60 + 20 + 5;
    let page = wait::until("acked total in metrics", PATIENCE, || {
        let page = scrape(setup.metrics_port)?;
        (metric(&page, "logpipe_agent_events_acked_total") == Some(acked as f64)).then_some(page)
    });
    assert!(metric(&page, "logpipe_agent_config_reloads_total").is_some_and(|v| v >= 3.0));
    assert!(metric(&page, "logpipe_agent_config_errors_total").is_some_and(|v| v >= 2.0));
    assert!(page.contains("# TYPE logpipe_agent_file_lag_bytes gauge"));
    assert!(page.contains(&format!(
        "logpipe_agent_file_lag_bytes{{path=\"{}\"}}",
        a.display()
    )));
}

#[test]
fn outages_restarts_cache_and_lease_expiry() {
    let tansu = Tansu::start();
    let mut etcd = Etcd::start();
    tansu.create_topic("a_log", 1);
    tansu.create_topic("b_log", 1);
    let setup = etcd_setup(&tansu, &etcd);
    let (a, b) = (setup.logs.join("a.log"), setup.logs.join("b.log"));
    append_lines(&a, "a", 0..100);
    append_lines(&b, "b", 0..50);
    etcd.put(KEY, &format!("[{}]", entry(&a, "a_log")));
    let mut agent = start(&setup);
    let mut a_reader = TopicReader::new(&tansu.brokers(), "a_log");
    a_reader.read_at_least(100, PATIENCE);

    // etcd down: the agent keeps running on its config.
    etcd.stop();
    append_lines(&a, "a", 100..150);
    a_reader.read_at_least(150, PATIENCE);

    // etcd back (same ports and data): a change put after the restart is applied; status comes back.
    etcd.restart();
    etcd.put(
        KEY,
        &format!("[{},{}]", entry(&a, "a_log"), entry(&b, "b_log")),
    );
    let mut b_reader = TopicReader::new(&tansu.brokers(), "b_log");
    b_reader.read_at_least(50, PATIENCE);
    status_until(&etcd, "status listing b.log after the restart", |s| {
        tailed_paths(s).iter().any(|p| p.ends_with("/b.log"))
    });

    // kill -9 (once every line is checkpointed, so the restart below must resend none): the status key goes
    // when its lease (3 s) expires.
    wait_checkpointed(&setup.root.join("data"), &a);
    wait_checkpointed(&setup.root.join("data"), &b);
    agent.kill9();
    let killed_at = Instant::now();
    wait::until("status key to expire", Duration::from_secs(15), || {
        etcd.get(STATUS_KEY).is_none().then_some(())
    });
    eprintln!("status key gone {:?} after kill -9", killed_at.elapsed());

    // Start without etcd: the agent runs on the cached config, from its checkpoints.
    etcd.stop();
    let mut agent = start(&setup);
    append_lines(&a, "a", 150..200);
    append_lines(&b, "b", 50..80);
    expect_exact(&mut a_reader, "a", 200, Duration::from_millis(500));
    expect_exact(&mut b_reader, "b", 80, Duration::from_millis(500));
    assert!(
        agent.log().contains("running on the cached config"),
        "{}",
        agent.log()
    );
    etcd.restart();
    let s = status_until(&etcd, "status after starting on the cache", |s| {
        s["config"]["connected"] == true
    });
    assert_eq!(s["config"]["source"], "etcd", "{s}");
    // SIGTERM revokes the lease: the key goes at once.
    assert!(agent.terminate(Duration::from_secs(15)).success());
    assert_eq!(etcd.get(STATUS_KEY), None);
}

/// `GET /metrics` over a plain socket.
fn scrape(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// The value of an unlabelled sample.
fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}
