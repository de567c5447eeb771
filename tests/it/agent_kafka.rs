//! The agent against a real Tansu broker: every line arrives, in order per file, with ECS fields; rotation,
//! truncation and deletion each yield the exact count of lines; `kill -9` loses nothing.

use crate::common::agent::*;
use crate::common::kafka::TopicReader;
use crate::common::tansu::Tansu;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

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
        assert!(
            ts.ends_with('Z') && ts.len() == 24,
            "RFC 3339 with millis, UTC: {ts}"
        );
        let path = event["log"]["file"]["path"]
            .as_str()
            .expect("log.file.path")
            .to_string();
        let offset = event["log"]["offset"].as_u64().expect("log.offset");
        by_file.entry(path).or_default().push((
            m.partition,
            m.offset,
            offset,
            event["message"].as_str().unwrap_or_default().to_string(),
        ));
    }
    assert_eq!(by_file.len(), 2);
    for (path, events) in by_file {
        let partitions: HashSet<i32> = events.iter().map(|e| e.0).collect();
        assert_eq!(partitions.len(), 1, "{path}: one file, one partition");
        // The partition librdkafka's default partitioner gives the file's key, for the first message of
        // each enqueue call and for the rest, which skip the partitioner.
        let meta = fs::metadata(&path).expect("stat");
        let key = format!("test-host:{:x}:{:x}", meta.dev(), meta.ino());
        assert_eq!(
            partitions.into_iter().next(),
            Some(logpipe::producer::partitioner::consistent(
                key.as_bytes(),
                3
            )),
            "{path}: the partition of its key {key}"
        );
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.1);
        let offsets: Vec<u64> = sorted.iter().map(|e| e.2).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{path}: lines in file order within the partition"
        );
        // log.offset is the byte offset of the line in the file.
        let content = fs::read(&path).expect("read back");
        for (_, _, offset, message) in sorted.iter().take(50) {
            let at = *offset as usize;
            assert_eq!(
                &content[at..at + message.len()],
                message.as_bytes(),
                "{path} @ {offset}"
            );
        }
    }
}

/// Lines of 1,000 pseudo-random hex digits: lz4 leaves them about as large as they are.
fn incompressible_lines(count: usize) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut text = String::with_capacity(count * 1008);
    for n in 0..count {
        text.push_str(&format!("{n:06} "));
        for _ in 0..1000 / 16 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(&format!("{state:016x}"));
        }
        text.push('\n');
    }
    text
}

#[test]
fn a_broker_refusing_large_batches_gets_smaller_ones_and_every_line() {
    // A Kafka broker refuses a record batch larger than its message.max.bytes (or the topic's
    // max.message.bytes) after compression. The agent's default batch (1,000,000 bytes before compression)
    // of incompressible lines is refused by this one (400,000 bytes) until the agent has halved it.
    const LIMIT: usize = 400_000;
    const LINES: usize = 6000;
    let (tansu, proxy) = crate::common::size_limit_proxy::tansu_behind_proxy(LIMIT);
    tansu.create_topic("limited", 1);
    let setup = setup(&tansu, "limited", "", "");
    let config = fs::read_to_string(&setup.config).expect("config");
    let config = config
        .replace(&tansu.brokers(), &proxy.brokers())
        .replace("linger_ms = 1", "linger_ms = 200");
    fs::write(&setup.config, config).expect("config");
    let path = setup.logs.join("random.log");
    fs::write(&path, incompressible_lines(LINES)).expect("write the lines");
    let agent = start_agent(&setup);

    let mut reader = TopicReader::new(&tansu.brokers(), "limited");
    reader.read_at_least(LINES, Duration::from_secs(60));
    let messages = reader.drain(Duration::from_millis(500)).to_vec();
    let offsets: HashSet<u64> = messages
        .iter()
        .map(|m| m.json()["log"]["offset"].as_u64().expect("log.offset"))
        .collect();
    assert_eq!(offsets.len(), LINES, "every line once at least");
    assert!(
        proxy.refused() > 0,
        "the default batches must have been refused"
    );
    assert!(proxy.largest_accepted() <= LIMIT);
    let log = fs::read_to_string(&agent.log_path).expect("agent log");
    assert!(
        log.contains("batches are now at most 500000 bytes before compression (were 1000000)"),
        "{log}"
    );
    eprintln!(
        "{} messages for {LINES} lines; {} partitions refused; largest accepted batch {} bytes",
        messages.len(),
        proxy.refused(),
        proxy.largest_accepted()
    );
}
