//! Counting consumer of `perf/run`: reads every partition of a topic from the beginning (manual assignment,
//! no consumer group; one consumer thread and connection per partition) and counts messages, printing
//! `COUNT <n> <errors>` every 20 ms and `DONE` once it has seen the expected number.
//!
//! `cargo run --release --example perf_count -- BROKERS TOPIC PARTITIONS EXPECT [AGENT_TOML]`
//!
//! With AGENT_TOML, the `[kafka]` section of that agent config (security_protocol, [kafka.tls], [kafka.sasl])
//! says how to connect, through the same code as the agent (`logpipe::kafka::client_config`); BROKERS then
//! overrides its `brokers`.

use logpipe::config::KafkaConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    // One consumer (one connection, one fetch in flight) per partition, so that the counter is not the limit.
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    for partition in 0..partitions {
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
        list.add_partition_offset(topic, partition, Offset::Beginning)
            .expect("partition");
        consumer.assign(&list).expect("assign");
        let (count, errors) = (count.clone(), errors.clone());
        let topic = topic.clone();
        std::thread::spawn(move || {
            // Counts offsets in sequence only. Tansu (memory storage) can answer a fetch with a batch
            // written by one connection before an earlier batch of another connection to the same
            // partition is visible; librdkafka then moves past the earlier one. On such a gap the
            // consumer goes back to the first offset it has not seen.
            let mut next = 0i64;
            loop {
                match consumer.poll(Duration::from_millis(100)) {
                    Some(Ok(message)) => {
                        let offset = message.offset();
                        if offset == next {
                            next += 1;
                            count.fetch_add(1, Ordering::Relaxed);
                        } else if offset > next {
                            drop(message);
                            eprintln!(
                                "partition {partition}: offset {offset} arrived before {next}; fetching again from {next}"
                            );
                            if let Err(e) = consumer.seek(
                                &topic,
                                partition,
                                Offset::Offset(next),
                                Duration::from_secs(10),
                            ) {
                                eprintln!("partition {partition}: seek to {next} failed: {e}");
                            }
                        }
                    }
                    Some(Err(_)) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    None => {}
                }
            }
        });
    }
    let stdout = std::io::stdout();
    loop {
        let (seen, failed) = (
            count.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed),
        );
        if seen >= expect {
            let _ = writeln!(stdout.lock(), "COUNT {seen} {failed}\nDONE");
            return;
        }
        let _ = writeln!(stdout.lock(), "COUNT {seen} {failed}");
        std::thread::sleep(Duration::from_millis(20));
    }
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
