//! The producers' librdkafka properties and the delivery-report context.

use super::batch_send::Placement;
use super::partitioner::FilePartitioner;
use super::stats::ProducerStats;
use crate::config::{ConfigError, KafkaConfig, KafkaConnection};
use crate::kafka::{client_config, diagnose, KafkaHealth};
use crate::ring::AckHandle;
use parking_lot::Mutex;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{DeliveryResult, ProducerContext};
use rdkafka::util::IntoOpaque;
use rdkafka::ClientContext;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Backoff before a failed message is enqueued again.
const RETRY_BACKOFF: Duration = Duration::from_secs(1);

/// The producer's librdkafka properties: the connection's (brokers, TLS, SASL), the agent's producer
/// defaults, then `[kafka.options]`.
pub fn config(kafka: &KafkaConfig) -> Result<ClientConfig, ConfigError> {
    let idempotent = matches!(kafka.acks(), "all" | "-1");
    client_config(&kafka.connection(), |config| {
        config
            .set("client.id", "logpipe-agent")
            .set("acks", kafka.acks())
            .set(
                "enable.idempotence",
                if idempotent { "true" } else { "false" },
            )
            .set("compression.type", kafka.compression())
            .set("linger.ms", kafka.linger_ms().to_string())
            .set("batch.size", kafka.batch_size().to_string())
            // librdkafka refuses a message larger than this, and caps a batch at the smaller of it and
            // batch.size; the encoder keeps every message within `max_message_bytes`.
            .set(
                "message.max.bytes",
                (kafka.max_message_bytes() as u64)
                    .max(kafka.batch_size())
                    .to_string(),
            )
            .set("message.timeout.ms", "0")
            .set(
                "queue.buffering.max.kbytes",
                queue_kbytes(kafka.batch_size()).to_string(),
            )
            .set("queue.buffering.max.messages", "200000");
    })
}

/// librdkafka's queue per producer, KiB: five batches, at least 8 MiB. Measured on Tansu (perf/RESULTS.md,
/// issue 28): a queue of 8 MiB ships twice as fast as 64 MiB with an idempotent producer, at a third of the
/// memory; with 2 MB batches, 8 MiB starves them (0.98× the wall time of 1 MB batches) and 10 MiB does not
/// (0.89×), while 12 and 16 MiB add memory and no speed.
pub fn queue_kbytes(batch_size: u64) -> u64 {
    (batch_size.saturating_mul(5).div_ceil(1024)).max(8192)
}

/// A message whose delivery failed permanently, waiting to be enqueued again.
pub struct Retry {
    pub topic: String,
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: Option<OwnedHeaders>,
    pub ack: AckHandle,
}

/// A message's batch handle travels through librdkafka as the `Arc` pointer itself: one reference per
/// message, no allocation.
impl IntoOpaque for AckHandle {
    fn into_ptr(self) -> *mut c_void {
        self.into_raw().cast_mut().cast()
    }

    unsafe fn from_ptr(ptr: *mut c_void) -> AckHandle {
        // SAFETY: librdkafka hands each message's opaque back once, in its delivery report.
        unsafe { AckHandle::from_raw(ptr.cast_const().cast()) }
    }
}

/// Receives delivery reports and client errors.
pub struct DeliveryContext {
    stats: Arc<ProducerStats>,
    health: Arc<KafkaHealth>,
    /// For naming the keys to fix in error messages (no secrets are kept here: the password is only in
    /// librdkafka's properties).
    connection: KafkaConnection,
    retries: Mutex<Vec<(Instant, Retry)>>,
    /// `None` when `[kafka.options]` names a partitioner of librdkafka's.
    partitioner: Option<FilePartitioner>,
    /// Deliveries not yet added to `stats`: the reports are served on the producer's own thread, and adding
    /// them up here spares a shared counter one write per message (`report_acked`).
    acked_unreported: AtomicU64,
    /// The broker refused a batch as too large since `take_batch_refused` last looked.
    batch_refused: AtomicBool,
}

impl DeliveryContext {
    pub fn new(
        stats: Arc<ProducerStats>,
        health: Arc<KafkaHealth>,
        connection: KafkaConnection,
        partitioner: Option<FilePartitioner>,
    ) -> DeliveryContext {
        DeliveryContext {
            stats,
            health,
            connection,
            retries: Mutex::new(Vec::new()),
            partitioner,
            acked_unreported: AtomicU64::new(0),
            batch_refused: AtomicBool::new(false),
        }
    }

    /// How `batch_send::offer` places a batch's messages: `FilePartitioner` chooses once per call, a
    /// partitioner of librdkafka's for every message.
    pub fn placement(&self) -> Placement {
        if self.partitioner.is_some() {
            Placement::FirstMessage
        } else {
            Placement::EachMessage
        }
    }

    /// Adds the deliveries served since the last call to the shared counters (after each `poll`).
    pub fn report_acked(&self) {
        let acked = self.acked_unreported.swap(0, Ordering::Relaxed);
        if acked > 0 {
            self.stats.acked(acked);
        }
    }

    /// Whether the broker refused a batch as too large (`MSG_SIZE_TOO_LARGE` in a delivery report) since
    /// the last call. librdkafka does not split a refused batch (the Java client does); the producer
    /// thread rebuilds its client with smaller batches instead.
    pub fn take_batch_refused(&self) -> bool {
        self.batch_refused.swap(false, Ordering::Relaxed)
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

    /// Every failed message, due or not, in the order they failed (a producer being replaced hands them on).
    pub fn take_all_retries(&self) -> Vec<Retry> {
        self.retries.lock().drain(..).map(|(_, r)| r).collect()
    }

    /// Messages to send again at once, before any other.
    pub fn adopt_first(&self, retries: Vec<Retry>) {
        let now = Instant::now();
        let mut waiting = self.retries.lock();
        let later = std::mem::take(&mut *waiting);
        waiting.extend(retries.into_iter().map(|r| (now, r)));
        waiting.extend(later);
    }
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        crate::kafka::health::forward_log(level, fac, message);
        // Some connection failures (a plaintext client on a TLS port) are only reported as `FAIL` lines.
        if fac == "FAIL" {
            let diagnosis = diagnose(message, &self.connection);
            if diagnosis.cause.is_settings_problem() && self.health.record_error(diagnosis.clone())
            {
                log::warn!("kafka: {}", diagnosis.message);
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.stats.client_error();
        let diagnosis = diagnose(reason, &self.connection);
        if self.health.record_error(diagnosis.clone()) {
            log::warn!("kafka: {} [{error}]", diagnosis.message);
        }
    }
}

impl ProducerContext<FilePartitioner> for DeliveryContext {
    type DeliveryOpaque = AckHandle;

    fn get_custom_partitioner(&self) -> Option<&FilePartitioner> {
        self.partitioner.as_ref()
    }

    fn delivery(&self, result: &DeliveryResult<'_>, ack: AckHandle) {
        match result {
            Ok(_) => {
                self.acked_unreported.fetch_add(1, Ordering::Relaxed);
                if let Some(problem) = self.health.record_delivery() {
                    log::info!(
                        "kafka: delivering again after {} reports of: {}",
                        problem.count,
                        problem.diagnosis.message
                    );
                }
                ack.delivered(1);
            }
            Err((err, message)) => {
                let purged = matches!(
                    err,
                    KafkaError::MessageProduction(
                        RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight
                    )
                );
                if matches!(
                    err,
                    KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)
                ) {
                    self.batch_refused.store(true, Ordering::Relaxed);
                }
                if !purged {
                    self.stats.failed(1);
                    log::error!(
                        "delivery to {} failed: {err}; retrying in {RETRY_BACKOFF:?}",
                        message.topic()
                    );
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kafka(toml: &str) -> KafkaConfig {
        toml::from_str(&format!("brokers = \"k:9092\"\n{toml}")).expect("kafka config")
    }

    /// The queue holds five batches of the size in force, never less than 8 MiB; librdkafka's batch and
    /// message limits follow the same batch size.
    #[test]
    fn the_queue_and_the_limits_follow_the_batch_size() {
        for (toml, batch, queue) in [
            ("", "2000000", "9766"),
            ("compression = \"none\"\n", "1000000", "8192"),
            ("batch_size = 65536\n", "65536", "8192"),
            ("batch_size = 4000000\n", "4000000", "19532"),
        ] {
            let config = config(&kafka(toml)).expect("client config");
            assert_eq!(config.get("batch.size"), Some(batch), "{toml}");
            assert_eq!(
                config.get("queue.buffering.max.kbytes"),
                Some(queue),
                "{toml}"
            );
            let max = config
                .get("message.max.bytes")
                .and_then(|v| v.parse::<u64>().ok());
            assert!(max >= batch.parse().ok(), "{toml}");
        }
        let overridden = kafka("[options]\n\"queue.buffering.max.kbytes\" = \"4096\"\n");
        assert_eq!(
            config(&overridden)
                .expect("client config")
                .get("queue.buffering.max.kbytes"),
            Some("4096"),
            "[kafka.options] has the last word"
        );
    }
}
