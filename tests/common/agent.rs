//! Running the agent in tests: a temp dir with `logs/`, `data/` and a config; writing numbered lines; checking
//! that a topic holds exactly the expected lines.

use super::kafka::Consumed;
use super::process::Logpipe;
use super::tansu::Tansu;
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub logs: PathBuf,
    pub config: PathBuf,
}

/// A temp dir with `logs/`, `data/` and an agent config tailing `logs/*.log` into `topic`.
pub fn setup(tansu: &Tansu, topic: &str, extra_collect: &str, extra_top: &str) -> Setup {
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

pub fn start_agent(setup: &Setup) -> Logpipe {
    let config = setup.config.to_string_lossy().into_owned();
    Logpipe::start(
        &["agent", "--config", &config],
        &setup.dir.path().join("agent.log"),
    )
}

pub fn append_lines(path: &Path, prefix: &str, range: std::ops::Range<usize>) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    let mut text = String::new();
    for i in range {
        text.push_str(&format!("{prefix} line {i:06} padding-padding-padding\n"));
    }
    f.write_all(text.as_bytes()).expect("append");
}

/// (message → count) of consumed events.
pub fn message_counts(messages: &[Consumed]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in messages {
        *counts
            .entry(m.json()["message"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    counts
}

pub fn assert_exact(messages: &[Consumed], expected: &[String]) {
    let counts = message_counts(messages);
    let missing: Vec<&String> = expected
        .iter()
        .filter(|m| !counts.contains_key(*m))
        .collect();
    assert!(
        missing.is_empty(),
        "{} lines missing, first: {:?}",
        missing.len(),
        missing.first()
    );
    let dupes: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
    assert!(dupes.is_empty(), "duplicated lines: {:?}", dupes.first());
    assert_eq!(messages.len(), expected.len(), "exact count");
    let ids: HashSet<String> = messages
        .iter()
        .map(|m| {
            m.json()["event"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), messages.len(), "every event has its own id");
}

pub fn expected(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range
        .map(|i| format!("{prefix} line {i:06} padding-padding-padding"))
        .collect()
}

/// Waits until `data_dir/checkpoints.json` holds `file` at its full size: every line of it acknowledged and
/// persisted, so a `kill -9` from now on resends none of it.
pub fn wait_checkpointed(data_dir: &Path, file: &Path) {
    let size = fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let path = file.to_string_lossy().into_owned();
    super::wait::until(&format!("checkpoint of {path} at {size}"), PATIENCE, || {
        let text = fs::read(data_dir.join("checkpoints.json")).ok()?;
        let doc: serde_json::Value = serde_json::from_slice(&text).ok()?;
        doc["checkpoints"]
            .as_array()?
            .iter()
            .any(|cp| cp["path"] == path.as_str() && cp["offset"].as_u64() == Some(size))
            .then_some(())
    });
}

/// An agent config named `name` (`ROOT/agent-NAME.toml`, data in `ROOT/data-NAME`) for `--blackhole` (its
/// `[kafka]` names a port nobody listens on) of the host `host`, configured from the etcd at `endpoint`
/// with `etcd_lines` last in `[etcd]` (credentials, a CA, or an `[etcd.tls]` table), which may ask for any
/// file under `root`; its status key is refreshed every 300 ms. Returns the config's path.
pub fn etcd_blackhole_config(
    root: &Path,
    endpoint: &str,
    host: &str,
    name: &str,
    etcd_lines: &str,
) -> String {
    let config = root.join(format!("agent-{name}.toml"));
    let text = format!(
        r#"data_dir = "{data}"
host_name = "{host}"
status_interval = "300ms"
status_ttl = "3s"
[kafka]
brokers = "127.0.0.1:1"
[etcd]
endpoints = ["{endpoint}"]
allow_paths = ["{root}/**"]
connect_timeout = "1s"
{etcd_lines}
"#,
        data = root.join(format!("data-{name}")).display(),
        root = root.display(),
    );
    fs::write(&config, text).expect("write config");
    config.to_string_lossy().into_owned()
}
