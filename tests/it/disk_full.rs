//! Disk full, on small tmpfs mounts that fill up and are freed (root, as CI runs).
//!
//! - Agent: with its data dir full it keeps tailing the files it knows (their offsets wait in memory), holds
//!   back a file opened meanwhile until its identity is on disk (a crash would otherwise re-read it under a
//!   new uid: every line twice), never leaves a torn or temp checkpoint file, says so once in its log, in its
//!   metrics and in its status, survives `kill -9` while full, and catches up by itself once space is back:
//!   every line exactly once by `event.id`.
//! - Transfer: a dead letter that cannot be written (its file's disk full, a letter cut off by `ENOSPC` half
//!   way) holds back the offset commit, the file keeps whole lines only, and once space is back the letter
//!   is written and the offsets pass.

use crate::common::agent::{append_lines, expected, setup, start_agent, PATIENCE};
use crate::common::kafka::TopicReader;
use crate::common::metrics::{metric, scrape};
use crate::common::ports::free_port;
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::tmpfs::Tmpfs;
use crate::common::transfer;
use crate::common::wait;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const FAILURE_LOG: &str = "positions stay in memory";

#[test]
fn agent_keeps_tailing_on_a_full_data_dir_and_catches_up_when_space_returns() {
    let tansu = Tansu::start();
    tansu.create_topic("full", 2);
    let port = free_port();
    let setup = setup(
        &tansu,
        "full",
        "",
        &format!("metrics_listen = \"127.0.0.1:{port}\""),
    );
    let disk = Tmpfs::mount("8m");
    let data = disk.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir data");
    // The agent's data_dir is `dir/data`: make it the tmpfs.
    std::os::unix::fs::symlink(&data, setup.dir.path().join("data")).expect("link data dir");
    let app = setup.logs.join("app.log");
    append_lines(&app, "before", 0..1000);
    let mut agent = start_agent(&setup);
    let mut reader = TopicReader::new(&tansu.brokers(), "full");
    reader.read_at_least(1000, PATIENCE);
    crate::common::agent::wait_checkpointed(&data, &app);
    let checkpoint_before = std::fs::read(data.join("checkpoints.json")).expect("checkpoint");

    disk.fill(0);
    append_lines(&app, "full", 0..1000);
    let fresh = setup.logs.join("fresh.log");
    append_lines(&fresh, "fresh", 0..500);
    // The known file goes on; the new one is open but held back at offset 0.
    reader.read_at_least(2000, PATIENCE);
    let fresh_held = format!(
        "logpipe_agent_file_read_offset_bytes{{path=\"{}\"}} 0",
        fresh.display()
    );
    let page = wait::until("the failure in the metrics", PATIENCE, || {
        let page = scrape(port)?;
        (metric(&page, "logpipe_agent_checkpoint_failing") == Some(1.0)
            && metric(&page, "logpipe_agent_checkpoint_write_failures_total")? >= 3.0
            && page.contains(&fresh_held))
        .then_some(page)
    });
    assert_eq!(metric(&page, "logpipe_agent_files_open"), Some(2.0));
    let messages = reader.drain(Duration::from_millis(500)).to_vec();
    assert!(
        messages.iter().all(|m| !m.json()["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("fresh")),
        "a file whose uid is not on disk must not be shipped"
    );
    assert_eq!(
        std::fs::read(data.join("checkpoints.json")).expect("checkpoint"),
        checkpoint_before,
        "the checkpoint file is the last one written whole"
    );
    assert_eq!(
        Tmpfs::names(&data),
        vec!["checkpoints.json".to_string()],
        "no temp file left"
    );
    assert_eq!(
        agent.log().matches(FAILURE_LOG).count(),
        1,
        "logged once, not at every attempt:\n{}",
        agent.log()
    );

    // kill -9 while full, and start again on the full disk: it resumes from the old checkpoint.
    agent.kill9();
    let log_before_restart = agent.log().len();
    let mut agent = start_agent(&setup);
    wait::until("the restarted agent to read again", PATIENCE, || {
        agent.log()[log_before_restart..]
            .contains("tailing")
            .then_some(())
    });
    append_lines(&app, "full", 1000..1100);

    disk.free();
    reader.read_at_least(2600, PATIENCE);
    let messages = reader.drain(Duration::from_secs(1)).to_vec();
    let mut ids_per_line: HashMap<String, HashSet<String>> = HashMap::new();
    for m in &messages {
        let event = m.json();
        ids_per_line
            .entry(event["message"].as_str().unwrap_or_default().to_string())
            .or_default()
            .insert(
                event["event"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
    }
    let mut want = expected("before", 0..1000);
    want.extend(expected("full", 0..1100));
    want.extend(expected("fresh", 0..500));
    for line in &want {
        let ids = ids_per_line
            .get(line)
            .unwrap_or_else(|| panic!("lost: {line}"));
        assert_eq!(ids.len(), 1, "{line} was shipped under two ids: {ids:?}");
    }
    assert_eq!(
        ids_per_line.len(),
        want.len(),
        "nothing that was not written"
    );
    crate::common::agent::wait_checkpointed(&data, &fresh);
    let page = wait::until("the recovery in the metrics", PATIENCE, || {
        let page = scrape(port)?;
        (metric(&page, "logpipe_agent_checkpoint_failing") == Some(0.0)).then_some(page)
    });
    assert!(
        metric(&page, "logpipe_agent_checkpoint_write_failures_total").is_some_and(|n| n >= 1.0)
    );
    let log = agent.log()[log_before_restart..].to_string();
    assert_eq!(log.matches(FAILURE_LOG).count(), 1, "{log}");
    assert!(log.contains("checkpoints written again"), "{log}");
    assert!(agent.running());
}

/// The committed offset of `group` on partition 0 of `topic` (None: nothing committed).
fn committed(brokers: &str, group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut list = TopicPartitionList::new();
    list.add_partition(topic, 0);
    let offsets = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .ok()?;
    match offsets.find_partition(topic, 0)?.offset() {
        Offset::Offset(n) => Some(n),
        _ => None,
    }
}

#[test]
fn transfer_holds_the_offset_while_a_dead_letter_cannot_be_written() {
    let tansu = Tansu::start();
    tansu.create_topic("letters", 1);
    let store = StoreProcess::start();
    let disk = Tmpfs::mount("1m");
    let config = transfer::write_config(
        disk.path(),
        &tansu.brokers(),
        r#"["letters"]"#,
        &store.url(),
        r#"index = "logs-%{[service]}""#,
        "",
    );
    let mut messages = Vec::new();
    for i in 0..100 {
        messages.push((
            "k".to_string(),
            format!(r#"{{"service":"api","message":"good {i}"}}"#).into_bytes(),
        ));
    }
    // No `service`: the index name cannot be filled, so it is a dead letter, larger than a page, so that a
    // full disk cuts its write half way.
    messages.push((
        "k".to_string(),
        format!(r#"{{"message":"{}"}}"#, "x".repeat(20_000)).into_bytes(),
    ));
    for i in 100..200 {
        messages.push((
            "k".to_string(),
            format!(r#"{{"service":"api","message":"good {i}"}}"#).into_bytes(),
        ));
    }
    transfer::produce(&tansu.brokers(), "letters", &messages);
    // One page of room: the letter's first 4 KiB land, then ENOSPC.
    disk.fill(4096);
    let logs = tempfile::tempdir().expect("tempdir");
    let log = logs.path().join("transfer.log");
    let mut process = transfer::start(&config, &log);
    wait::until(
        "a failed dead-letter write",
        Duration::from_secs(90),
        || {
            process
                .log()
                .contains("cannot write 1 dead letters")
                .then_some(())
        },
    );
    store.wait_count("logs-api", 200, Duration::from_secs(30));
    assert!(
        committed(&tansu.brokers(), "logpipe-transfer-test", "letters").is_none_or(|n| n <= 100),
        "an offset past the letter that is not written was committed"
    );
    let text = std::fs::read(disk.path().join("dead.ndjson")).unwrap_or_default();
    assert!(
        text.is_empty(),
        "a dead-letter write cut off by ENOSPC leaves no piece of a line ({} bytes)",
        text.len()
    );

    disk.free();
    let letters = wait::until("the dead letter", Duration::from_secs(30), || {
        let letters = transfer::dead_letters(disk.path());
        (!letters.is_empty()).then_some(letters)
    });
    assert_eq!(letters.len(), 1, "one whole letter");
    assert!(letters[0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("service")));
    wait::until("the offsets committed", Duration::from_secs(30), || {
        (committed(&tansu.brokers(), "logpipe-transfer-test", "letters") == Some(201)).then_some(())
    });
    assert_eq!(store.count("logs-api"), Some(200));
    let status = process.terminate(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
}

/// `_bulk` NDJSON of `n` documents of index `full` with `_id`s `{prefix}-{i}`.
fn bulk_body(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"index\":{{\"_index\":\"full\",\"_id\":\"{prefix}-{i}\"}}}}\n\
                 {{\"@timestamp\":\"2026-12-04T01:00:00Z\",\"message\":\"{prefix} line {i} {}\"}}\n",
                "x".repeat(200)
            )
        })
        .collect()
}

/// The statuses of a `_bulk` response's items, counted.
fn item_statuses(response: &serde_json::Value) -> HashMap<u64, usize> {
    let mut statuses = HashMap::new();
    for item in response["items"].as_array().into_iter().flatten() {
        let status = item["index"]["status"].as_u64().unwrap_or(0);
        *statuses.entry(status).or_default() += 1;
    }
    statuses
}

#[test]
fn store_refuses_writes_with_429_on_a_full_disk_and_recovers_by_itself() {
    let disk = Tmpfs::mount("64m");
    let mut store = StoreProcess::start_on(disk.path().join("data"));
    let es = store.es();
    // Acknowledged (durable in the translog), not refreshed: a commit is what a full disk breaks.
    let (status, body) = es.request("POST", "/_bulk", Some(&bulk_body("before", 2000)));
    assert_eq!(
        (status, item_statuses(&body)),
        (200, HashMap::from([(201, 2000)])),
        "{body}"
    );

    disk.fill(0);
    // The store refuses writes as ES does at its flood stage: each item 429 cluster_block_exception. (A
    // write may still fit in the last page of the translog before the block is set: it is acknowledged.)
    let mut acknowledged: HashSet<String> = HashSet::new();
    let refused = wait::until("writes refused", PATIENCE, || {
        let (status, body) = es.request("POST", "/_bulk", Some(&bulk_body("full", 50)));
        for item in body["items"].as_array().into_iter().flatten() {
            if item["index"]["status"] == 201 {
                acknowledged.insert(item["index"]["_id"].as_str().unwrap_or("").to_string());
            }
        }
        (status == 200 && item_statuses(&body) == HashMap::from([(429, 50)])).then_some(body)
    });
    let expected = 2500 + acknowledged.len() as u64;
    let error = &refused["items"][0]["index"]["error"];
    assert_eq!(error["type"], "cluster_block_exception", "{refused}");
    assert_eq!(
        error["reason"],
        "index [full] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, \
         index has read-only-allow-delete block];",
        "{refused}"
    );
    // A single-document write is the same item, as the request's error.
    let (status, body) = es.request(
        "PUT",
        "/full/_doc/one",
        Some(r#"{"message":"one","@timestamp":"2026-12-04T01:00:00Z"}"#),
    );
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "cluster_block_exception", "{body}");
    // Searches go on.
    assert!(es.count("full").is_some());

    disk.free();
    // No restart: the block lifts by itself, the acknowledged writes are committed, new ones accepted.
    wait::until("writes accepted again", PATIENCE, || {
        let (status, body) = es.request("POST", "/_bulk", Some(&bulk_body("after", 500)));
        (status == 200 && item_statuses(&body) == HashMap::from([(201, 500)])).then_some(())
    });
    es.request("POST", "/full/_refresh", None);
    // Every acknowledged write is there. A write answered with an error while the disk filled may be
    // there too (as in Elasticsearch, an error does not say nothing was written; a client's retry with the
    // same _id overwrites it), so the count lies between the two.
    let count = wait::until("every acknowledged write searchable", PATIENCE, || {
        es.count("full").filter(|c| *c >= expected)
    });
    assert!(count <= 2550, "{count} documents: more than were ever sent");
    let log = store.log();
    assert!(log.contains("writes are refused with 429"), "{log}");
    assert!(log.contains("writes are accepted"), "{log}");
    assert!(!log.contains("File exists"), "{log}");

    // Nothing acknowledged was lost, through a crash too.
    store.restart();
    es.wait_count("full", count, PATIENCE);
}

/// A store started on a full disk cannot replay and commit the translog of an index it finds: the index
/// stays closed (writes to it refused with the disk block, not created anew), and once space is back the
/// store opens it by itself, without a restart, with every acknowledged write.
#[test]
fn store_started_on_a_full_disk_opens_its_indices_once_space_returns() {
    let disk = Tmpfs::mount("64m");
    let mut store = StoreProcess::start_on(disk.path().join("data"));
    let es = store.es();
    // Acknowledged (in the translog), not committed: the next start must replay them.
    let (status, body) = es.request("POST", "/_bulk", Some(&bulk_body("before", 2000)));
    assert_eq!(
        (status, item_statuses(&body)),
        (200, HashMap::from([(201, 2000)])),
        "{body}"
    );
    store.kill9();
    disk.fill(0);
    store.restart();
    let log = wait::until("the index left closed at start", PATIENCE, || {
        let log = store.log();
        log.contains("cannot open index").then_some(log)
    });
    assert!(
        log.contains("tried again once the disk takes writes"),
        "{log}"
    );
    let (status, body) = es.request("POST", "/_bulk", Some(&bulk_body("full", 10)));
    assert_eq!(status, 200, "{body}");
    assert_eq!(item_statuses(&body), HashMap::from([(429, 10)]), "{body}");

    disk.free();
    es.wait_count("full", 2000, PATIENCE);
    let (status, body) = es.request("POST", "/_bulk?refresh=true", Some(&bulk_body("after", 10)));
    assert_eq!(
        (status, item_statuses(&body)),
        (200, HashMap::from([(201, 10)])),
        "{body}"
    );
    es.wait_count("full", 2010, PATIENCE);
    assert!(
        store
            .log()
            .contains("opened index [full], which could not be opened at start"),
        "{}",
        store.log()
    );
}
