//! `logpipe transfer` end to end on real services: agent → Tansu → transfer → `logpipe store`, each a child
//! process. Exactly N documents for N lines across `kill -9` of the transfer, a store outage and a
//! copytruncated file; two transfer processes of one group split the partitions; bad input (not JSON, binary,
//! oversized, unfillable index name, refused by the store) is indexed or dead-lettered with a reason, never
//! stalling the partition.
//!
//! Tansu group joins take 20–30 s, so each test joins as few times as its scenario allows, and the tests run
//! in parallel (each with its own broker and store).

use crate::common::agent::{append_lines, expected, setup, start_agent};
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::transfer;
use crate::common::wait;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::time::Duration;

/// Longest wait without progress: covers a Tansu group join (20–30 s) plus a rebalance.
const JOIN_PATIENCE: Duration = Duration::from_secs(90);

/// Every expected line is exactly one document, every document has its own `_id` = `event.id`.
fn assert_exactly_once(documents: &[Value], expected_lines: &[String]) {
    let mut by_message: HashMap<&str, usize> = HashMap::new();
    for doc in documents {
        *by_message
            .entry(doc["message"].as_str().unwrap_or_default())
            .or_insert(0) += 1;
    }
    let missing: Vec<&String> = expected_lines
        .iter()
        .filter(|l| !by_message.contains_key(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} lines missing, first {:?}",
        missing.len(),
        missing.first()
    );
    let dupes: Vec<_> = by_message.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dupes.is_empty(),
        "duplicated lines: {} e.g. {:?}",
        dupes.len(),
        dupes.first()
    );
    assert_eq!(
        documents.len(),
        expected_lines.len(),
        "exact number of documents"
    );
    let ids: HashSet<&str> = documents
        .iter()
        .map(|d| d["event"]["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids.len(), documents.len(), "event.id unique");
    for doc in documents {
        assert_eq!(doc["_id"], doc["event"]["id"], "_id is the event id");
    }
}

/// `wait_count` with JOIN_PATIENCE that, when the count stops moving, fails with the tails of `logs` (the
/// transfer's and the agent's), so a stall says which side stalled.
fn wait_count_or_show_logs(store: &StoreProcess, index: &str, n: u64, logs: &[&Path]) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.wait_count(index, n, JOIN_PATIENCE)
    }));
    if let Err(panic) = outcome {
        for log in logs {
            let text = fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!("--- last lines of {}:\n{tail}", log.display());
        }
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn agent_to_store_exactly_once_across_kill9_store_outage_and_copytruncate() {
    let tansu = Tansu::start();
    tansu.create_topic("app_log", 3);
    let mut store = StoreProcess::start();
    let agent_setup = setup(&tansu, "app_log", "", "");
    let dir = agent_setup.dir.path();
    let a = agent_setup.logs.join("a.log");
    let b = agent_setup.logs.join("b.log");
    append_lines(&a, "a", 0..2000);
    append_lines(&b, "b", 0..1000);
    let _agent = start_agent(&agent_setup);
    let config = transfer::write_config(
        dir,
        &tansu.brokers(),
        r#"["app_log"]"#,
        &store.url(),
        "",
        "bulk_docs = 300",
    );
    let log = dir.join("transfer.log");
    let mut transfer_process = transfer::start(&config, &log);

    // kill -9 mid-stream, then restart: nothing lost, nothing duplicated.
    wait::until("first documents", JOIN_PATIENCE, || {
        store.count("app_log-*").filter(|&n| n > 0)
    });
    transfer_process.kill9();
    let at_kill = store.count("app_log-*").unwrap_or(0);
    append_lines(&a, "a", 2000..3000);
    let mut transfer_process = transfer::start(&config, &log);
    wait_count_or_show_logs(&store, "app_log-*", 4000, &[&log, &dir.join("agent.log")]);
    eprintln!("killed at {at_kill} of 4000 documents");

    // copytruncate a.log (fully shipped: all 3000 indexed), then a store outage while lines keep coming.
    fs::copy(&a, agent_setup.logs.join("a.log.1")).expect("copy");
    OpenOptions::new()
        .write(true)
        .open(&a)
        .and_then(|f| f.set_len(0))
        .expect("truncate");
    append_lines(&a, "a2", 0..1500);
    store.kill9();
    append_lines(&b, "b", 1000..2000);
    std::thread::sleep(Duration::from_secs(10));
    let retries_before = transfer_process.log().matches("_bulk failed").count();
    assert!(
        retries_before > 0,
        "the transfer retried during the outage:\n{}",
        transfer_process.log()
    );
    store.restart();
    wait_count_or_show_logs(&store, "app_log-*", 6500, &[&log, &dir.join("agent.log")]);

    let documents = store.all_documents("app_log-*");
    let mut lines = expected("a", 0..3000);
    lines.extend(expected("b", 0..2000));
    lines.extend(expected("a2", 0..1500));
    assert_exactly_once(&documents, &lines);
    // The new generation's lines sit at the old lines' offsets of a.log, as new documents.
    let a_path = a.to_string_lossy().into_owned();
    let offsets_of = |prefix: &str| -> HashSet<u64> {
        documents
            .iter()
            .filter(|d| {
                d["log"]["file"]["path"] == a_path.as_str()
                    && d["message"].as_str().is_some_and(|m| m.starts_with(prefix))
            })
            .filter_map(|d| d["log"]["offset"].as_u64())
            .collect()
    };
    let reused: Vec<u64> = offsets_of("a line")
        .intersection(&offsets_of("a2 line"))
        .copied()
        .collect();
    assert!(
        reused.contains(&0),
        "offset 0 of a.log holds an old and a new document: {reused:?}"
    );
    let today = chrono::Utc::now().format("%Y.%m.%d").to_string();
    assert!(
        store
            .count(&format!("app_log-{today}"))
            .is_some_and(|n| n > 0),
        "daily index app_log-{today}"
    );

    let status = transfer_process.terminate(Duration::from_secs(20));
    assert!(
        status.success(),
        "SIGTERM exits 0: {status:?}\n{}",
        transfer_process.log()
    );
    assert!(transfer::dead_letters(dir).is_empty(), "no dead letters");
}

#[test]
fn two_transfers_in_one_group_split_the_partitions() {
    let tansu = Tansu::start();
    tansu.create_topic("web_log", 4);
    let store = StoreProcess::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["^web_.*"]"#,
        &store.url(),
        "",
        "bulk_docs = 200",
    );
    let logs = [dir.path().join("t1.log"), dir.path().join("t2.log")];
    let _first = transfer::start(&config, &logs[0]);
    let _second = transfer::start(&config, &logs[1]);
    // Wait until the group settled with partitions on both members.
    let last_assignment = |log: &std::path::Path| -> Option<String> {
        let text = fs::read_to_string(log).ok()?;
        text.lines()
            .rfind(|l| l.contains("partitions assigned: "))
            .map(str::to_string)
    };
    wait::until("both transfers own partitions", JOIN_PATIENCE, || {
        let both: Vec<String> = logs.iter().filter_map(|l| last_assignment(l)).collect();
        (both.len() == 2 && both.iter().all(|a| a.contains("web_log/"))).then_some(())
    });

    // The seeds' log format (no event.id: the _id is a hash of topic/partition/offset), plain text, binary.
    let mut messages = Vec::new();
    for i in 0..2000 {
        let payload = match i % 10 {
            0 => format!("plain text line {i}").into_bytes(),
            1 => {
                let mut bytes = format!("binary {i} ").into_bytes();
                bytes.extend_from_slice(&[0xff, 0x00, 0xfe]);
                bytes
            }
            _ => format!(r#"{{"Type":"error","Msg":"seed message {i}"}}"#).into_bytes(),
        };
        messages.push((format!("key-{}", i % 40), payload));
    }
    transfer::produce(&tansu.brokers(), "web_log", &messages);
    store.wait_count("web_log-*", 2000, JOIN_PATIENCE);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(store.count("web_log-*"), Some(2000), "no late duplicates");

    let documents = store.all_documents("web_log-*");
    let ids: HashSet<&str> = documents.iter().filter_map(|d| d["_id"].as_str()).collect();
    assert_eq!(ids.len(), 2000);
    let seed = documents
        .iter()
        .filter(|d| {
            d["Msg"]
                .as_str()
                .is_some_and(|m| m.starts_with("seed message"))
        })
        .count();
    assert_eq!(seed, 1600);
    let failures: Vec<&Value> = documents
        .iter()
        .filter(|d| d["tags"][0] == "_jsonparsefailure")
        .collect();
    assert_eq!(
        failures.len(),
        400,
        "plain and binary lines are documents tagged _jsonparsefailure"
    );
    assert!(
        failures
            .iter()
            .filter(|d| d["log"]["original_base64"].is_string())
            .count()
            == 200,
        "binary kept exactly"
    );
    assert!(documents.iter().all(|d| d["@timestamp"].is_string()));
    // Both processes did part of the work.
    wait::until("status lines of both", Duration::from_secs(10), || {
        let counts: Vec<u64> = logs
            .iter()
            .map(|l| transfer::indexed_in_log(&fs::read_to_string(l).unwrap_or_default()))
            .collect();
        (counts.iter().all(|&n| n > 0) && counts.iter().sum::<u64>() >= 2000).then_some(())
    });
}

#[test]
fn bad_input_is_dead_lettered_with_reasons_and_never_stalls() {
    let tansu = Tansu::start();
    tansu.create_topic("mixed", 1);
    let store = StoreProcess::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["mixed"]"#,
        &store.url(),
        r#"index = "logs-%{[service]}""#,
        "max_document_bytes = 100000",
    );
    let mut messages = Vec::new();
    let mut good = 0;
    let mut push = |payload: Vec<u8>| messages.push(("k".to_string(), payload));
    for i in 0..300 {
        push(format!(r#"{{"service":"api","n":{i},"message":"good {i}"}}"#).into_bytes());
        good += 1;
        match i % 60 {
            0 => push(br#"{"message":"no service field"}"#.to_vec()),
            1 => push(
                br#"{"service":"api","@timestamp":"not a date","message":"refused by the store"}"#
                    .to_vec(),
            ),
            2 => push(
                format!(r#"{{"service":"api","message":"{}"}}"#, "x".repeat(150_000)).into_bytes(),
            ),
            3 => push(br#"{"service":"API","message":"uppercase index"}"#.to_vec()),
            4 => push(b"\x00\x01 binary without a service".to_vec()),
            _ => {}
        }
    }
    transfer::produce(&tansu.brokers(), "mixed", &messages);
    let log = dir.path().join("transfer.log");
    let mut transfer_process = transfer::start(&config, &log);
    store.wait_count("logs-api", good, JOIN_PATIENCE);
    let letters = wait::until("25 dead letters", Duration::from_secs(30), || {
        let letters = transfer::dead_letters(dir.path());
        (letters.len() >= 25).then_some(letters)
    });
    assert_eq!(letters.len(), 25);
    let reasons: Vec<&str> = letters
        .iter()
        .filter_map(|l| l["reason"].as_str())
        .collect();
    let with = |needle: &str| reasons.iter().filter(|r| r.contains(needle)).count();
    assert_eq!(with("field [service] is missing"), 10, "{reasons:?}");
    assert_eq!(with("@timestamp"), 5, "refused by the store: {reasons:?}");
    assert_eq!(with("max_document_bytes"), 5, "{reasons:?}");
    assert_eq!(with("lowercase"), 5, "{reasons:?}");
    assert!(letters
        .iter()
        .all(|l| l["origin"]["source"] == "mixed" && l["origin"]["offset"].is_i64()));
    // The partition goes on after the bad messages.
    transfer::produce(
        &tansu.brokers(),
        "mixed",
        &[(
            "k".into(),
            br#"{"service":"api","message":"after"}"#.to_vec(),
        )],
    );
    store.wait_count("logs-api", good + 1, Duration::from_secs(30));
    let status = transfer_process.terminate(Duration::from_secs(20));
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    let text = transfer_process.log();
    assert!(
        text.contains("dead_lettered=25"),
        "counted in the status line:\n{text}"
    );
}

#[test]
fn bad_config_names_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.toml");
    fs::write(&path, "[kafka]\nbrokers = \"x:1\"\ntopics = [\"a\"]\nbatch = 1\n[elasticsearch]\nurl = \"http://x\"\n[dead_letter]\npath = \"/tmp/d\"\n")
        .expect("write");
    let (status, stderr) =
        crate::common::process::run_to_end(&["transfer", "--config", &path.to_string_lossy()]);
    assert!(!status.success());
    assert!(stderr.contains("batch"), "{stderr}");
}
