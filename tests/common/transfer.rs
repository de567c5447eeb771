//! `logpipe transfer` in tests: a config file pointing at a Tansu broker and a store, the child process, its
//! status lines, and a producer for writing arbitrary (bad) messages straight into a topic.

use super::process::Logpipe;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// librdkafka settings that keep Tansu group joins and rebalances as short as it allows.
pub const FAST_GROUP_OPTIONS: &str = r#"[kafka.options]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
"max.poll.interval.ms" = "60000"
"topic.metadata.refresh.interval.ms" = "2000"
"fetch.wait.max.ms" = "100"
"#;

/// Writes `transfer.toml` in `dir`; `elasticsearch_extra` and `pipeline_extra` are TOML lines.
pub fn write_config(
    dir: &Path,
    brokers: &str,
    topics: &str,
    store_url: &str,
    elasticsearch_extra: &str,
    pipeline_extra: &str,
) -> PathBuf {
    let path = dir.join("transfer.toml");
    let text = format!(
        r#"[kafka]
brokers = "{brokers}"
group = "logpipe-transfer-test"
topics = {topics}
{FAST_GROUP_OPTIONS}
[elasticsearch]
url = "{store_url}"
{elasticsearch_extra}
[pipeline]
flush_interval = "200ms"
backoff_max = "1s"
status_interval = "1s"
drain_timeout = "5s"
{pipeline_extra}
[dead_letter]
path = "{dead}"
"#,
        dead = dir.join("dead.ndjson").display(),
    );
    std::fs::write(&path, text).expect("write transfer config");
    path
}

/// Starts `logpipe transfer --config CONFIG`, logging to `log`.
pub fn start(config: &Path, log: &Path) -> Logpipe {
    let config = config.to_string_lossy().into_owned();
    Logpipe::start(&["transfer", "--config", &config], log)
}

/// The last `indexed=N` of the transfer's status lines (0 before the first).
pub fn indexed_in_log(log: &str) -> u64 {
    log.lines()
        .filter_map(|line| line.split("indexed=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .next_back()
        .unwrap_or(0)
}

/// The dead letters written so far (one JSON object per line).
pub fn dead_letters(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("dead.ndjson"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("dead letter is JSON"))
        .collect()
}

/// Produces `payloads` to `topic` (partition chosen by key) and waits for every acknowledgement.
pub fn produce(brokers: &str, topic: &str, payloads: &[(String, Vec<u8>)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("message.max.bytes", "10000000")
        .set("linger.ms", "1")
        .create()
        .expect("producer");
    for (key, payload) in payloads {
        let mut record = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(payload.as_slice());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(50));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("every message acknowledged");
}
