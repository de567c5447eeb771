//! Reading a topic back: every partition assigned from the beginning, messages counted.

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One consumed message.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
}

impl Consumed {
    /// The payload as JSON (panics with the payload when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or_else(|e| {
            panic!(
                "payload is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.payload)
            )
        })
    }
}

/// A consumer reading one topic from the beginning of every partition.
pub struct TopicReader {
    consumer: BaseConsumer,
    pub messages: Vec<Consumed>,
}

impl TopicReader {
    /// Assigns every partition of `topic` (waiting for its metadata) from the beginning.
    pub fn new(brokers: &str, topic: &str) -> TopicReader {
        TopicReader::with_properties(brokers, topic, &[])
    }

    fn assign_all(consumer: BaseConsumer, topic: &str) -> TopicReader {
        let partitions = super::wait::until(
            &format!("metadata of topic {topic}"),
            Duration::from_secs(30),
            || {
                let metadata = consumer
                    .fetch_metadata(Some(topic), Duration::from_secs(5))
                    .ok()?;
                let count = metadata
                    .topics()
                    .iter()
                    .find(|t| t.name() == topic)?
                    .partitions()
                    .len();
                (count > 0).then_some(count)
            },
        );
        let mut list = TopicPartitionList::new();
        for p in 0..partitions {
            list.add_partition_offset(topic, p as i32, Offset::Beginning)
                .expect("partition offset");
        }
        consumer.assign(&list).expect("assign");
        TopicReader {
            consumer,
            messages: Vec::new(),
        }
    }

    /// Polls until at least `count` messages were read in total; panics after `timeout` with no progress.
    pub fn read_at_least(&mut self, count: usize, timeout: Duration) -> &[Consumed] {
        self.read_until(&format!("{count} messages"), timeout, |m| m.len() >= count)
    }

    /// Polls until `done` holds for the messages read so far; panics after `timeout` with no progress.
    pub fn read_until(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Consumed]) -> bool,
    ) -> &[Consumed] {
        let mut last_progress = Instant::now();
        while !done(&self.messages) {
            if self.poll_once(Duration::from_millis(200)) {
                last_progress = Instant::now();
            } else if last_progress.elapsed() > timeout {
                panic!(
                    "read {} messages, still not {what}; nothing new for {timeout:?}",
                    self.messages.len()
                );
            }
        }
        &self.messages
    }

    /// Keeps reading for `quiet` after the last message (to catch extras beyond an expected count).
    pub fn drain(&mut self, quiet: Duration) -> &[Consumed] {
        let mut last = Instant::now();
        while last.elapsed() < quiet {
            if self.poll_once(Duration::from_millis(100)) {
                last = Instant::now();
            }
        }
        &self.messages
    }

    fn poll_once(&mut self, timeout: Duration) -> bool {
        match self.consumer.poll(timeout) {
            Some(Ok(message)) => {
                let mut headers = HashMap::new();
                if let Some(hs) = message.headers() {
                    for h in hs.iter() {
                        headers.insert(
                            h.key.to_string(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        );
                    }
                }
                self.messages.push(Consumed {
                    partition: message.partition(),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().unwrap_or_default().to_vec(),
                    headers,
                });
                true
            }
            Some(Err(e)) => {
                eprintln!("consumer error: {e}");
                false
            }
            None => false,
        }
    }
}

impl TopicReader {
    /// `new` with extra librdkafka properties (security settings of a secured broker).
    pub fn with_properties(brokers: &str, topic: &str, properties: &[(&str, &str)]) -> TopicReader {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("group.id", "logpipe-tests-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false");
        for (key, value) in properties {
            config.set(*key, *value);
        }
        let consumer: BaseConsumer = config.create().expect("consumer");
        TopicReader::assign_all(consumer, topic)
    }
}
