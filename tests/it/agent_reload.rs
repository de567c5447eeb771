//! `SIGHUP` re-reads the agent's config file, on real Tansu and etcd: changed `[[collect]]` entries apply like
//! an etcd change — an unchanged entry keeps its files' positions (nothing re-read: exact counts), a new local
//! entry starts (even outside `etcd.allow_paths`: local globs are trusted), the etcd entries stay, a removed
//! entry stops — and a file that does not parse keeps the running config, saying why in the status key.

use crate::common::agent::{append_lines, assert_exact, expected, wait_checkpointed, PATIENCE};
use crate::common::etcd::Etcd;
use crate::common::kafka::TopicReader;
use crate::common::process::Logpipe;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::fs;
use std::path::Path;
use std::time::Duration;

const KEY: &str = "/logpipe/collect/reload-host";
const STATUS_KEY: &str = "/logpipe/status/agent/reload-host";

fn write_config(root: &Path, tansu: &Tansu, etcd: &Etcd, locals: &[&str], tail: &str) {
    let mut collect = String::new();
    for dir in locals {
        collect.push_str(&format!(
            "[[collect]]\npath = \"{}/{dir}/*.log\"\ntopic = \"reload_log\"\n",
            root.display()
        ));
    }
    let text = format!(
        r#"data_dir = "{data}"
host_name = "reload-host"
status_interval = "300ms"
status_ttl = "3s"
{tail}
[kafka]
brokers = "{brokers}"
linger_ms = 1
[tail]
poll_interval = "250ms"
checkpoint_interval = "200ms"
[etcd]
endpoints = ["{endpoint}"]
allow_paths = ["{root}/remote/**"]
connect_timeout = "1s"
{collect}"#,
        data = root.join("data").display(),
        brokers = tansu.brokers(),
        endpoint = etcd.endpoint(),
        root = root.display(),
    );
    fs::write(root.join("agent.toml"), text).expect("write config");
}

#[test]
fn sighup_applies_local_collect_changes_like_an_etcd_change_and_keeps_the_running_config_on_a_bad_file(
) {
    let tansu = Tansu::start();
    tansu.create_topic("reload_log", 2);
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical tempdir");
    for sub in ["a", "b", "remote"] {
        fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    let (a, b, r) = (
        root.join("a/a.log"),
        root.join("b/b.log"),
        root.join("remote/r.log"),
    );
    etcd.put(
        KEY,
        &format!(
            r#"[{{"path":"{}/remote/*.log","topic":"reload_log"}}]"#,
            root.display()
        ),
    );
    append_lines(&a, "a", 0..200);
    append_lines(&b, "b", 0..100);
    append_lines(&r, "r", 0..100);
    write_config(&root, &tansu, &etcd, &["a"], "");
    let config = root.join("agent.toml").to_string_lossy().into_owned();
    let agent = Logpipe::start(&["agent", "--config", &config], &root.join("agent.log"));
    let data = root.join("data");
    wait_checkpointed(&data, &a);
    wait_checkpointed(&data, &r);

    // A second local entry: a.log keeps its position, b.log starts, the etcd entry stays.
    write_config(&root, &tansu, &etcd, &["a", "b"], "");
    agent.reload();
    append_lines(&a, "a", 200..300);
    append_lines(&r, "r", 100..150);
    wait_checkpointed(&data, &b);
    wait_checkpointed(&data, &a);
    wait_checkpointed(&data, &r);

    // A file that does not parse changes nothing, and the status key says why.
    fs::write(root.join("agent.toml"), "data_dir = [").expect("write a broken config");
    agent.reload();
    let status = wait::until("the refused reload in the status key", PATIENCE, || {
        let value: serde_json::Value = serde_json::from_str(etcd.get(STATUS_KEY)?.trim()).ok()?;
        (value["reload"]["ok"] == false).then_some(value)
    });
    let error = status["reload"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("agent.toml"), "{status}");
    append_lines(&b, "b", 100..150);
    wait_checkpointed(&data, &b);

    // Dropping the entry stops b.log; what is appended afterwards is not shipped.
    write_config(&root, &tansu, &etcd, &["a"], "");
    agent.reload();
    wait::until("the applied reload in the status key", PATIENCE, || {
        let value: serde_json::Value = serde_json::from_str(etcd.get(STATUS_KEY)?.trim()).ok()?;
        (value["reload"]["ok"] == true
            && value["reload"]["applied"] == serde_json::json!(["collect"]))
        .then_some(())
    });
    append_lines(&b, "b", 150..200);
    append_lines(&a, "a", 300..320);
    wait_checkpointed(&data, &a);

    let mut lines = expected("a", 0..320);
    lines.extend(expected("b", 0..150));
    lines.extend(expected("r", 0..150));
    let mut reader = TopicReader::new(&tansu.brokers(), "reload_log");
    reader.read_at_least(lines.len(), PATIENCE);
    assert_exact(reader.drain(Duration::from_secs(2)), &lines);
    let log = agent.log();
    assert!(log.contains("reload: applied the new collect"), "{log}");
}
