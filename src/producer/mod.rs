//! Producer threads: batches from the ring → Kafka, with delivery reports settling acknowledgements.
//!
//! Each thread owns one rdkafka `BaseProducer` (bundled librdkafka; idempotence on, `acks=all`, lz4 by
//! default) and drains its own lane of the ring, so the batches of one file are produced in order. Every
//! event is encoded (`json` or `raw` codec) into a reused buffer and enqueued with its batch's `AckHandle` as
//! delivery opaque; librdkafka's delivery report calls `delivered(1)` on success. `message.timeout.ms = 0`
//! makes librdkafka retry forever, so a broker outage only stalls: the local queue fills, `send` answers
//! `QueueFull`, this thread stops taking batches, the ring fills, tailers stop reading. A message that still
//! fails (a permanent error such as an unknown topic) is logged, counted and enqueued again after a backoff —
//! never dropped.

pub mod client;
pub mod encode;
pub mod stats;

pub use stats::ProducerStats;

use crate::config::KafkaConfig;
use crate::ring::{AckHandle, BatchReceiver};
use client::{DeliveryContext, Retry};
use encode::Encoder;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long shutdown waits for outstanding deliveries.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an idle producer (nothing in flight) waits for a batch before looking at the stop flag again.
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// One producer thread's work loop. Returns when `stop` is set and its lane is drained (or closed).
pub fn run_producer(
    kafka: &KafkaConfig,
    lane: BatchReceiver,
    stop: Arc<AtomicBool>,
    stats: Arc<ProducerStats>,
) -> anyhow::Result<()> {
    let producer: BaseProducer<DeliveryContext> =
        client::config(kafka).create_with_context(DeliveryContext::new(stats.clone()))?;
    let mut encoder = Encoder::default();
    loop {
        producer.poll(Duration::ZERO);
        resend_failed(&producer, &stop);
        // Delivery reports need polling while messages are in flight; an idle producer sleeps longer.
        let wait = if producer.in_flight_count() > 0 {
            Duration::from_millis(100)
        } else {
            IDLE_WAIT
        };
        match lane.recv_timeout(wait) {
            Ok(batch) => {
                for line in &batch.lines {
                    let record = encoder.encode(&batch, line);
                    let opaque = Box::new(batch.ack.clone());
                    let base = BaseRecord::with_opaque_to(&batch.source.topic, opaque)
                        .key(batch.source.key.as_str())
                        .payload(record.payload);
                    let base = match record.headers {
                        Some(headers) => base.headers(headers),
                        None => base,
                    };
                    enqueue(&producer, base, &stop);
                    stats.sent(1);
                }
            }
            Err(false) => {
                if stop.load(Ordering::Relaxed) && lane.depth() == 0 {
                    break;
                }
            }
            Err(true) => break,
        }
    }
    let deadline = Instant::now() + FLUSH_TIMEOUT;
    while Instant::now() < deadline && producer.in_flight_count() > 0 {
        producer.poll(Duration::from_millis(100));
        resend_failed(&producer, &stop);
    }
    let left = producer.in_flight_count();
    if left > 0 {
        log::warn!("{left} messages were not acknowledged before shutdown; they will be sent again after restart");
    }
    Ok(())
}

/// The blackhole output: encodes every event like `run_producer` and acknowledges it at once, without Kafka.
/// Measures the pipeline's ceiling (tail → frame → batch → encode).
pub fn run_blackhole(
    lane: BatchReceiver,
    stop: Arc<AtomicBool>,
    stats: Arc<ProducerStats>,
) -> anyhow::Result<()> {
    let mut encoder = Encoder::default();
    let mut encoded_bytes = 0usize;
    loop {
        match lane.recv_timeout(Duration::from_millis(100)) {
            Ok(batch) => {
                for line in &batch.lines {
                    encoded_bytes =
                        encoded_bytes.wrapping_add(encoder.encode(&batch, line).payload.len());
                }
                let n = batch.lines.len() as u64;
                stats.sent(n);
                stats.acked(n);
                batch.ack.delivered_all();
            }
            Err(false) if stop.load(Ordering::Relaxed) && lane.depth() == 0 => break,
            Err(false) => {}
            Err(true) => break,
        }
    }
    log::debug!("blackhole encoded {encoded_bytes} bytes");
    Ok(())
}

/// Enqueues one record, waiting while librdkafka's queue is full. During shutdown a full queue (broker down)
/// gives up on the record: it was never acknowledged, so its line is read again after restart.
fn enqueue(
    producer: &BaseProducer<DeliveryContext>,
    mut record: BaseRecord<'_, str, [u8], Box<AckHandle>>,
    stop: &AtomicBool,
) {
    let mut warned = false;
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                producer.poll(Duration::from_millis(50));
            }
            Err((err, back)) => {
                if !warned {
                    log::error!(
                        "cannot enqueue a message for topic {}: {err}; retrying",
                        back.topic
                    );
                    warned = true;
                }
                record = back;
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                producer.poll(Duration::from_millis(500));
            }
        }
    }
}

fn resend_failed(producer: &BaseProducer<DeliveryContext>, stop: &AtomicBool) {
    for Retry {
        topic,
        key,
        payload,
        headers,
        ack,
    } in producer.context().take_due_retries()
    {
        let base = BaseRecord::with_opaque_to(&topic, ack)
            .key(key.as_str())
            .payload(payload.as_slice());
        let base = match headers {
            Some(h) => base.headers(h),
            None => base,
        };
        enqueue(producer, base, stop);
    }
}
