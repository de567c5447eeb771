//! The agent against a real Tansu broker: every line arrives, in order per file, with ECS fields; rotation,
//! truncation and deletion each yield the exact count of lines; `kill -9` loses nothing.

use crate::common::agent::*;
use crate::common::kafka::TopicReader;
use crate::common::tansu::Tansu;
use std::collections::{HashMap, HashSet};
use std::fs;
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
