//! Counting consumer of `perf/run`: reads every partition of a topic from the beginning (manual assignment,
//! no consumer group) and counts messages, printing `COUNT <n> <errors>` every 200 ms and `DONE` once it has
//! seen the expected number.
//!
//! `cargo run --release --example perf_count -- BROKERS TOPIC PARTITIONS EXPECT [AGENT_TOML]`
//!
//! With AGENT_TOML, the `[kafka]` section of that agent config (security_protocol, [kafka.tls], [kafka.sasl])
//! says how to connect, through the same code as the agent (`logpipe::kafka::client_config`); BROKERS then
//! overrides its `brokers`.

use logpipe::config::KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(4..=5).contains(&args.len()) {
        eprintln!("usage: perf_count BROKERS TOPIC PARTITIONS EXPECT [AGENT_TOML]");
        std::process::exit(2);
    }
    let (brokers, topic) = (&args[0], &args[1]);
    let partitions: i32 = args[2].parse().expect("PARTITIONS");
    let expect: u64 = args[3].parse().expect("EXPECT");
    let mut connection = match args.get(4) {
        Some(path) => kafka_section(path).connection(),
        None => logpipe::config::KafkaConnection::plain(brokers),
    };
    connection.brokers = brokers.clone();
    let consumer: BaseConsumer = logpipe::kafka::client_config(&connection, |c| {
        c.set("group.id", "perf-count")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", "50")
            .set("fetch.max.bytes", "67108864")
            .set("max.partition.fetch.bytes", "16777216")
            .set("queued.min.messages", "200000");
    })
    .expect("[kafka] settings")
    .create()
    .expect("consumer");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&list).expect("assign");
    let (mut count, mut errors) = (0u64, 0u64);
    let mut last = Instant::now();
    let stdout = std::io::stdout();
    while count < expect {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(_)) => count += 1,
            Some(Err(_)) => errors += 1,
            None => {}
        }
        if last.elapsed() >= Duration::from_millis(200) {
            last = Instant::now();
            let _ = writeln!(stdout.lock(), "COUNT {count} {errors}");
        }
    }
    let _ = writeln!(stdout.lock(), "COUNT {count} {errors}\nDONE");
}

/// The `[kafka]` section of an agent config file.
fn kafka_section(path: &str) -> KafkaConfig {
    #[derive(serde::Deserialize)]
    struct File {
        kafka: KafkaConfig,
    }
    let text = std::fs::read_to_string(path).expect("read AGENT_TOML");
    let file: File = toml::from_str(&text).expect("AGENT_TOML has a valid [kafka] section");
    file.kafka
}
