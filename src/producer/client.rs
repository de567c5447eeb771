//! librdkafka configuration and the delivery-report context.

use super::stats::ProducerStats;
use crate::config::KafkaConfig;
use crate::ring::AckHandle;
use parking_lot::Mutex;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Backoff before a failed message is enqueued again.
const RETRY_BACKOFF: Duration = Duration::from_secs(1);

/// The producer's librdkafka properties; `[kafka.options]` override the defaults.
pub fn config(kafka: &KafkaConfig) -> ClientConfig {
    let mut config = ClientConfig::new();
    let idempotent = matches!(kafka.acks.as_str(), "all" | "-1");
    config
        .set("bootstrap.servers", &kafka.brokers)
        .set("client.id", "logpipe-agent")
        .set("acks", &kafka.acks)
        .set(
            "enable.idempotence",
            if idempotent { "true" } else { "false" },
        )
        .set("compression.type", &kafka.compression)
        .set("linger.ms", kafka.linger_ms.to_string())
        .set("batch.size", kafka.batch_size.to_string())
        .set("message.timeout.ms", "0")
        // Measured on Tansu (perf/RESULTS.md): an 8 MiB queue per producer ships twice as fast as 64 MiB
        // with an idempotent producer, at a third of the memory.
        .set("queue.buffering.max.kbytes", "8192")
        .set("queue.buffering.max.messages", "200000");
    for (key, value) in &kafka.options {
        config.set(key, value);
    }
    config
}

/// A message whose delivery failed permanently, waiting to be enqueued again.
pub struct Retry {
    pub topic: String,
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: Option<OwnedHeaders>,
    pub ack: Box<AckHandle>,
}

/// Receives delivery reports.
pub struct DeliveryContext {
    stats: Arc<ProducerStats>,
    retries: Mutex<Vec<(Instant, Retry)>>,
}

impl DeliveryContext {
    pub fn new(stats: Arc<ProducerStats>) -> DeliveryContext {
        DeliveryContext {
            stats,
            retries: Mutex::new(Vec::new()),
        }
    }

    /// Failed messages whose backoff has passed.
    pub fn take_due_retries(&self) -> Vec<Retry> {
        let mut retries = self.retries.lock();
        if retries.is_empty() {
            return Vec::new();
        }
        let now = Instant::now();
        let (due, waiting): (Vec<_>, Vec<_>) = retries.drain(..).partition(|(at, _)| *at <= now);
        *retries = waiting;
        due.into_iter().map(|(_, r)| r).collect()
    }
}

impl ClientContext for DeliveryContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.stats.client_error();
        log::warn!("kafka: {error}: {reason}");
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<AckHandle>;

    fn delivery(&self, result: &DeliveryResult<'_>, ack: Box<AckHandle>) {
        match result {
            Ok(_) => {
                self.stats.acked(1);
                ack.delivered(1);
            }
            Err((err, message)) => {
                self.stats.failed(1);
                log::error!(
                    "delivery to {} failed: {err}; retrying in {RETRY_BACKOFF:?}",
                    message.topic()
                );
                let retry = Retry {
                    topic: message.topic().to_string(),
                    key: message
                        .key()
                        .map(|k| String::from_utf8_lossy(k).into_owned())
                        .unwrap_or_default(),
                    payload: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    headers: message.headers().map(|h| h.detach()),
                    ack,
                };
                self.retries
                    .lock()
                    .push((Instant::now() + RETRY_BACKOFF, retry));
            }
        }
    }
}
