//! Crash and shutdown: `kill -9` mid-stream loses no line (resent lines keep their ids); SIGTERM flushes,
//! checkpoints and exits 0 within seconds, and a restart after it resends nothing.

use crate::common::agent::*;
use crate::common::kafka::TopicReader;
use crate::common::tansu::Tansu;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn kill_9_mid_stream_then_restart_loses_no_line() {
    let tansu = Tansu::start();
    tansu.create_topic("crash", 2);
    let setup = setup(&tansu, "crash", "", "");
    let path = setup.logs.join("app.log");
    let mut agent = start_agent(&setup);
    let mut reader = TopicReader::new(&tansu.brokers(), "crash");

    const TOTAL: usize = 40_000;
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let path = path.clone();
        let writing = writing.clone();
        std::thread::spawn(move || {
            for chunk in 0..(TOTAL / 500) {
                append_lines(&path, "crash", chunk * 500..(chunk + 1) * 500);
                // Pacing, not synchronisation: the file grows while the agent is killed and restarted.
                std::thread::sleep(Duration::from_millis(10));
            }
            writing.store(false, Ordering::Relaxed);
        })
    };
    reader.read_at_least(5_000, PATIENCE);
    agent.kill9();
    let at_kill = reader.messages.len();
    let mut agent = start_agent(&setup);
    writer.join().expect("writer");
    reader.read_at_least(TOTAL, PATIENCE);
    let messages = reader.drain(Duration::from_secs(1)).to_vec();
    assert!(!writing.load(Ordering::Relaxed));

    // Every line present; a line sent twice carries the same id both times (the index overwrites it).
    let mut ids_by_line: HashMap<String, Vec<String>> = HashMap::new();
    for m in &messages {
        let event = m.json();
        let line = event["message"].as_str().unwrap_or_default().to_string();
        ids_by_line.entry(line).or_default().push(
            event["event"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    for line in expected("crash", 0..TOTAL) {
        let ids = ids_by_line
            .get(&line)
            .unwrap_or_else(|| panic!("lost after kill -9: {line}"));
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "{line} was resent with another id: {ids:?}"
        );
    }
    assert_eq!(ids_by_line.len(), TOTAL, "no line that was never written");
    eprintln!(
        "{} messages for {TOTAL} lines ({} consumed before the kill)",
        messages.len(),
        at_kill
    );
    assert!(agent.running());
}

#[test]
fn sigterm_flushes_checkpoints_and_exits_0_and_restart_resends_nothing() {
    let tansu = Tansu::start();
    tansu.create_topic("term", 1);
    let setup = setup(&tansu, "term", "", "");
    let path = setup.logs.join("app.log");
    append_lines(&path, "t", 0..3000);
    let mut agent = start_agent(&setup);
    let mut reader = TopicReader::new(&tansu.brokers(), "term");
    reader.read_at_least(3000, PATIENCE);
    let status = agent.terminate(Duration::from_secs(8));
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        agent.log()
    );

    let checkpoints: serde_json::Value = serde_json::from_slice(
        &std::fs::read(setup.dir.path().join("data/checkpoints.json"))
            .expect("checkpoint file written"),
    )
    .expect("checkpoint JSON");
    assert_eq!(checkpoints["version"], 1);
    let size = std::fs::metadata(&path).expect("stat").len();
    assert_eq!(
        checkpoints["checkpoints"][0]["offset"].as_u64(),
        Some(size),
        "checkpoint at the end of the file"
    );

    append_lines(&path, "t", 3000..3010);
    let _agent = start_agent(&setup);
    reader.read_at_least(3010, PATIENCE);
    let messages = reader.drain(Duration::from_secs(1)).to_vec();
    assert_exact(&messages, &expected("t", 0..3010));
}

#[test]
fn a_file_an_older_agent_started_keeps_its_hashed_event_ids() {
    use logpipe::event::id::{event_id, FileUid, IdScheme};
    let tansu = Tansu::start();
    tansu.create_topic("upgrade", 1);
    let setup = setup(&tansu, "upgrade", "", "");
    let path = setup.logs.join("app.log");
    append_lines(&path, "u", 0..100);
    let mut agent = start_agent(&setup);
    let mut reader = TopicReader::new(&tansu.brokers(), "upgrade");
    reader.read_at_least(100, PATIENCE);
    assert!(agent.terminate(Duration::from_secs(8)).success());

    // This agent's ids are <uid>-<offset>; rewrite its checkpoint as an agent before them wrote it (no `ids`).
    let file = setup.dir.path().join("data/checkpoints.json");
    let mut checkpoints: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("checkpoint file")).expect("JSON");
    let entry = &mut checkpoints["checkpoints"][0];
    assert_eq!(entry["ids"], "uid_offset", "{entry}");
    let uid_hex = entry["uid"].as_str().expect("uid").to_string();
    let first: serde_json::Value = reader.messages[0].json();
    assert_eq!(
        first["event"]["id"],
        format!("{uid_hex}-{:016x}", 0),
        "the first line's id names the file's uid and offset 0"
    );
    entry
        .as_object_mut()
        .expect("an entry is an object")
        .remove("ids");
    std::fs::write(&file, serde_json::to_vec(&checkpoints).expect("JSON")).expect("rewrite");

    let offset = std::fs::metadata(&path).expect("stat").len();
    append_lines(&path, "u", 100..110);
    let _agent = start_agent(&setup);
    reader.read_at_least(110, PATIENCE);
    let old = FileUid::from_hex(&uid_hex, IdScheme::Hashed).expect("hex uid");
    let resumed = reader.messages[100].json();
    assert_eq!(resumed["log"]["offset"], offset);
    assert_eq!(
        resumed["event"]["id"],
        event_id(old, offset),
        "the hashed id an older agent gives the line at {offset}"
    );
}
