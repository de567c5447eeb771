//! Benchmark (ignored by default; `perf/etcd_reload.sh` runs it): time from `etcdctl put` of a 1,000-entry
//! config to every entry applied, i.e. 1,000 files open in the file server, measured by polling the agent's
//! metrics endpoint every 5 ms (`logpipe_agent_files_open`, `logpipe_agent_config_entries`). Target ≤ 1 s.

use crate::common::agent::{append_lines, PATIENCE};
use crate::common::etcd::Etcd;
use crate::common::kafka::TopicReader;
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::fs;
use std::time::{Duration, Instant};

const ENTRIES: usize = 1000;

#[test]
#[ignore = "benchmark: run perf/etcd_reload.sh"]
fn put_of_1000_entries_to_all_applied() {
    let tansu = Tansu::start();
    let etcd = Etcd::start();
    tansu.create_topic("bench", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical");
    let logs = root.join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let mut value = Vec::new();
    for i in 0..ENTRIES {
        let path = logs.join(format!("f{i:04}.log"));
        append_lines(&path, &format!("f{i}"), 0..1);
        value.push(format!(
            r#"{{"path":"{}","topic":"bench"}}"#,
            path.display()
        ));
    }
    let value = format!("[{}]", value.join(","));
    let port = free_port();
    let config = root.join("agent.toml");
    fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
host_name = "bench-host"
metrics_listen = "127.0.0.1:{port}"
[kafka]
brokers = "{brokers}"
linger_ms = 1
[etcd]
endpoints = ["{endpoint}"]
allow_paths = ["{root}/**"]
"#,
            data = root.join("data").display(),
            brokers = tansu.brokers(),
            endpoint = etcd.endpoint(),
            root = root.display(),
        ),
    )
    .expect("write config");
    etcd.put("/logpipe/collect/bench-host", "[]");
    let config = config.to_string_lossy().into_owned();
    let _agent = Logpipe::start(&["agent", "--config", &config], &root.join("agent.log"));
    wait::until("metrics endpoint", PATIENCE, || scrape(port));

    let start = Instant::now();
    etcd.put("/logpipe/collect/bench-host", &value);
    let put_done = start.elapsed();
    let mut entries_at = None;
    let files_at = loop {
        if let Some(page) = scrape(port) {
            if entries_at.is_none()
                && metric(&page, "logpipe_agent_config_entries") == Some(ENTRIES as f64)
            {
                entries_at = Some(start.elapsed());
            }
            if metric(&page, "logpipe_agent_files_open") == Some(ENTRIES as f64) {
                break start.elapsed();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not applied in 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    println!(
        "etcd reload of {ENTRIES} entries: etcdctl put returned after {put_done:?}; \
         entries accepted after {:?}; all {ENTRIES} files open after {files_at:?}",
        entries_at.unwrap_or(files_at)
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "bench");
    reader.read_at_least(ENTRIES, PATIENCE);
    assert!(
        files_at <= Duration::from_secs(1),
        "target: applied within 1 s, took {files_at:?}"
    );
}

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

fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}
