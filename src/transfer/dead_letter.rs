//! The Kafka-topic dead-letter sink: each letter is one JSON message (key: the document's `_id`).
//!
//! `write` enqueues every letter, then flushes and checks the delivery reports: only when all were
//! acknowledged does it return `Ok` (the indexer then counts the batch as settled). On failure the indexer
//! writes the whole set again, so a letter may appear twice in the topic — never zero times.

use crate::config::KafkaConnection;
use crate::indexer::{DeadLetter, DeadLetterError, DeadLetterSink};
use crate::kafka::{client_config, KafkaSetupError};
use parking_lot::Mutex;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long one `write` waits for acknowledgements.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Counts failed deliveries.
#[derive(Default)]
pub struct DeliveryFailures(AtomicU64);

impl ClientContext for DeliveryFailures {}

impl ProducerContext for DeliveryFailures {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            log::warn!("dead-letter delivery failed: {e}");
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Why letters were not stored in the topic; each names it.
#[derive(Debug, thiserror::Error)]
pub enum KafkaDeadLetterError {
    #[error("cannot enqueue a dead letter to {topic}: {source}")]
    Enqueue {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("dead letters to {topic} not acknowledged: {source}")]
    NotAcknowledged {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("{failed} dead letters to {topic} failed")]
    Failed { topic: String, failed: u64 },
}

impl From<KafkaDeadLetterError> for DeadLetterError {
    fn from(error: KafkaDeadLetterError) -> Self {
        DeadLetterError::Sink(Box::new(error))
    }
}

/// Dead letters to a Kafka topic.
pub struct KafkaDeadLetters {
    topic: String,
    producer: Mutex<BaseProducer<DeliveryFailures>>,
}

impl KafkaDeadLetters {
    /// A producer on the transfer's brokers with its security settings (TLS, SASL). Of `[kafka.options]`
    /// (consumer properties, mostly) only the `security.*`, `ssl.*` and `sasl.*` entries apply.
    pub fn new(
        connection: &KafkaConnection,
        topic: &str,
    ) -> Result<KafkaDeadLetters, KafkaSetupError> {
        let mut producer_side = connection.clone();
        producer_side.options = connection
            .options
            .iter()
            .filter(|(k, _)| {
                k.starts_with("security.") || k.starts_with("ssl.") || k.starts_with("sasl.")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let config = client_config(&producer_side, |config| {
            config
                .set("client.id", "logpipe-transfer-dead-letters")
                .set("acks", "all")
                .set(
                    "message.timeout.ms",
                    DELIVERY_TIMEOUT.as_millis().to_string(),
                )
                .set("linger.ms", "5");
        })?;
        let producer = config.create_with_context(DeliveryFailures::default())?;
        Ok(KafkaDeadLetters {
            topic: topic.to_string(),
            producer: Mutex::new(producer),
        })
    }
}

impl DeadLetterSink for KafkaDeadLetters {
    fn write(&self, letters: &[DeadLetter]) -> Result<(), DeadLetterError> {
        Ok(self.send(letters)?)
    }
}

impl KafkaDeadLetters {
    fn send(&self, letters: &[DeadLetter]) -> Result<(), KafkaDeadLetterError> {
        let producer = self.producer.lock();
        let failures_before = producer.context().0.load(Ordering::Relaxed);
        for letter in letters {
            let payload = letter.to_json_line();
            let key = letter.id.clone().unwrap_or_default();
            let mut record = BaseRecord::to(&self.topic)
                .key(key.as_str())
                .payload(payload.as_slice());
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((
                        rdkafka::error::KafkaError::MessageProduction(
                            rdkafka::types::RDKafkaErrorCode::QueueFull,
                        ),
                        back,
                    )) => {
                        record = back;
                        producer.poll(Duration::from_millis(50));
                    }
                    Err((source, _)) => {
                        return Err(KafkaDeadLetterError::Enqueue {
                            topic: self.topic.clone(),
                            source,
                        })
                    }
                }
            }
        }
        producer.flush(DELIVERY_TIMEOUT).map_err(|source| {
            KafkaDeadLetterError::NotAcknowledged {
                topic: self.topic.clone(),
                source,
            }
        })?;
        let failed = producer.context().0.load(Ordering::Relaxed) - failures_before;
        if failed > 0 {
            return Err(KafkaDeadLetterError::Failed {
                topic: self.topic.clone(),
                failed,
            });
        }
        Ok(())
    }
}
