//! The agent against a real Tansu broker: every line arrives, in order per file, with ECS fields; rotation,
//! truncation and deletion each yield the exact count of lines; `kill -9` loses nothing.

mod common;

use common::kafka::{Consumed, TopicReader};
use common::process::Logpipe;
use common::tansu::Tansu;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

struct Setup {
    dir: tempfile::TempDir,
    logs: PathBuf,
    config: PathBuf,
}

/// A temp dir with `logs/`, `data/` and an agent config tailing `logs/*.log` into `topic`.
fn setup(tansu: &Tansu, topic: &str, extra_collect: &str, extra_top: &str) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let config = dir.path().join("agent.toml");
    let text = format!(
        r#"data_dir = "{data}"
host_name = "test-host"
{extra_top}
[kafka]
brokers = "{brokers}"
linger_ms = 1
[tail]
rotate_wait = "2s"
poll_interval = "250ms"
checkpoint_interval = "200ms"
[[collect]]
path = "{logs}/*.log"
topic = "{topic}"
{extra_collect}
"#,
        data = dir.path().join("data").display(),
        brokers = tansu.brokers(),
        logs = logs.display(),
    );
    fs::write(&config, text).expect("write config");
    Setup { dir, logs, config }
}

fn start_agent(setup: &Setup) -> Logpipe {
    let config = setup.config.to_string_lossy().into_owned();
    Logpipe::start(&["agent", "--config", &config], &setup.dir.path().join("agent.log"))
}

fn append_lines(path: &Path, prefix: &str, range: std::ops::Range<usize>) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).expect("open for append");
    let mut text = String::new();
    for i in range {
        text.push_str(&format!("{prefix} line {i:06} padding-padding-padding\n"));
    }
    f.write_all(text.as_bytes()).expect("append");
}

/// (message → count) of consumed events.
fn message_counts(messages: &[Consumed]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in messages {
        *counts.entry(m.json()["message"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    counts
}

fn assert_exact(messages: &[Consumed], expected: &[String]) {
    let counts = message_counts(messages);
    let missing: Vec<&String> = expected.iter().filter(|m| !counts.contains_key(*m)).collect();
    assert!(missing.is_empty(), "{} lines missing, first: {:?}", missing.len(), missing.first());
    let dupes: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(dupes.is_empty(), "duplicated lines: {:?}", dupes.first());
    assert_eq!(messages.len(), expected.len(), "exact count");
    let ids: HashSet<String> = messages.iter().map(|m| m.json()["event"]["id"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(ids.len(), messages.len(), "every event has its own id");
}

fn expected(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix} line {i:06} padding-padding-padding")).collect()
}

#[test]
fn every_line_arrives_in_order_with_ecs_fields() {
    let tansu = Tansu::start();
    tansu.create_topic("app_log", 3);
    let setup = setup(&tansu, "app_log", "fields = { env = \"test\" }", "");
    append_lines(&setup.logs.join("a.log"), "a", 0..2000);
    let _agent = start_agent(&setup);
    append_lines(&setup.logs.join("b.log"), "b", 0..1500);
    append_lines(&setup.logs.join("a.log"), "a", 2000..3000);
    let mut reader = TopicReader::new(&tansu.brokers(), "app_log");
    reader.read_at_least(4500, PATIENCE);
    let messages = reader.drain(Duration::from_millis(500)).to_vec();
    let mut all = expected("a", 0..3000);
    all.extend(expected("b", 0..1500));
    assert_exact(&messages, &all);

    let mut by_file: HashMap<String, Vec<(i32, i64, u64, String)>> = HashMap::new();
    for m in &messages {
        let event = m.json();
        assert_eq!(event["host"]["name"], "test-host");
        assert_eq!(event["fields"]["env"], "test");
        let ts = event["@timestamp"].as_str().expect("@timestamp");
        assert!(ts.ends_with('Z') && ts.len() == 24, "RFC 3339 with millis, UTC: {ts}");
        let path = event["log"]["file"]["path"].as_str().expect("log.file.path").to_string();
        let offset = event["log"]["offset"].as_u64().expect("log.offset");
        by_file.entry(path).or_default().push((m.partition, m.offset, offset, event["message"].as_str().unwrap_or_default().to_string()));
    }
    assert_eq!(by_file.len(), 2);
    for (path, events) in by_file {
        let partitions: HashSet<i32> = events.iter().map(|e| e.0).collect();
        assert_eq!(partitions.len(), 1, "{path}: one file, one partition");
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.1);
        let offsets: Vec<u64> = sorted.iter().map(|e| e.2).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{path}: lines in file order within the partition");
        // log.offset is the byte offset of the line in the file.
        let content = fs::read(&path).expect("read back");
        for (_, _, offset, message) in sorted.iter().take(50) {
            let at = *offset as usize;
            assert_eq!(&content[at..at + message.len()], message.as_bytes(), "{path} @ {offset}");
        }
    }
}
