//! Producer threads: batches from the ring → Kafka, with delivery reports settling acknowledgements.
//!
//! Each thread owns one rdkafka `BaseProducer` (bundled librdkafka; idempotence on, `acks=all`, lz4 by
//! default) and drains its own lane of the ring, so the batches of one file are produced in order. Every
//! event is encoded (`json` or `raw` codec) into a reused buffer and enqueued with its batch's `AckHandle` as
//! delivery opaque; librdkafka's delivery report calls `delivered(1)` on success. `message.timeout.ms = 0`
//! makes librdkafka retry forever, so a broker outage only stalls: the local queue fills, `send` answers
//! `QueueFull`, this thread stops taking batches, the ring fills, tailers stop reading. A message that still
//! fails (a permanent error such as an unknown topic) is logged, counted and enqueued again after a backoff —
//! never dropped. So that no message can fail for good by its size, the encoder keeps each one within
//! `kafka.max_message_bytes` (1,000,000 by default), cutting an event's line to fit and flagging it
//! `truncated`.
//!
//! A `SIGHUP` that changes `[kafka]` replaces the `SharedKafkaConfig`: each producer thread then stops taking
//! batches, builds a client with the new settings, gives the old one up to `RELOAD_DRAIN` to deliver what it
//! holds, purges the rest and sends it again, first, through the new client (so a file's lines keep their
//! order, and nothing acknowledged depends on the old client), then goes back to its lane.

pub mod batch_send;
pub mod client;
pub mod encode;
pub mod partitioner;
pub mod settings;
pub mod stats;

pub use settings::SharedKafkaConfig;
pub use stats::ProducerStats;

use crate::config::Codec;
use crate::kafka::{KafkaHealth, KafkaSetupError};
use crate::ring::Batch;
use crate::ring::{AckHandle, BatchReceiver};
use batch_send::{Offered, SendBuffer, TopicHandles};
use client::{DeliveryContext, Retry};
use encode::Encoder;
use partitioner::FilePartitioner;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, PurgeConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long shutdown waits for outstanding deliveries.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a producer being replaced may keep delivering what it holds before the rest is purged and
/// handed to its successor.
pub const RELOAD_DRAIN: Duration = Duration::from_secs(5);
/// How long a producer whose librdkafka queue is still full after serving the delivery reports that were
/// ready pauses before it serves them again.
const QUEUE_FULL_PAUSE: Duration = Duration::from_micros(200);
/// How long an idle producer (nothing in flight) waits for a batch before looking at the stop flag again.
const IDLE_WAIT: Duration = Duration::from_millis(500);

type AgentProducer = BaseProducer<DeliveryContext, FilePartitioner>;

/// Serves the delivery reports that arrive within `timeout` and adds them to the shared counters.
fn serve(producer: &AgentProducer, timeout: Duration) {
    producer.poll(timeout);
    producer.context().report_acked();
}

/// What a producer thread needs besides its lane.
#[derive(Clone)]
pub struct ProducerShared {
    pub kafka: Arc<SharedKafkaConfig>,
    pub stats: Arc<ProducerStats>,
    pub health: Arc<KafkaHealth>,
}

impl ProducerShared {
    /// A client for the settings of generation `kafka`.
    fn create(&self, kafka: &crate::config::KafkaConfig) -> Result<AgentProducer, KafkaSetupError> {
        // librdkafka's own partitioner when one is configured, else the same choice made once per batch.
        let partitioner = kafka
            .options
            .get("partitioner")
            .is_none()
            .then_some(FilePartitioner);
        let context = DeliveryContext::new(
            self.stats.clone(),
            self.health.clone(),
            kafka.connection(),
            partitioner,
        );
        Ok(client::config(kafka)?.create_with_context(context)?)
    }
}

/// One producer thread's work loop. Returns when `stop` is set and its lane is drained (or closed).
pub fn run_producer(
    shared: ProducerShared,
    lane: BatchReceiver,
    stop: Arc<AtomicBool>,
) -> Result<(), KafkaSetupError> {
    let stats = shared.stats.clone();
    let (generation, kafka) = shared.kafka.current();
    let producer = shared.create(&kafka)?;
    let mut current = Current {
        topics: TopicHandles::new(producer.client().native_ptr()),
        producer,
        generation,
        max_message_bytes: kafka.max_message_bytes(),
        batch_size: kafka.batch_size(),
        connected: false,
    };
    let mut encoder = Encoder::new(kafka.max_message_bytes());
    let mut buffer = SendBuffer::default();
    loop {
        current.follow(&shared, &stop);
        encoder.set_limit(current.max_message_bytes);
        serve(&current.producer, Duration::ZERO);
        // Delivery reports need polling while messages are in flight; an idle producer sleeps longer.
        let wait = if current.producer.in_flight_count() > 0 {
            Duration::from_millis(100)
        } else {
            IDLE_WAIT
        };
        match lane.recv_timeout(wait) {
            Ok(batch) => {
                current.connect(&batch.source.topic);
                let dropped = if batch.source.codec == Codec::Raw {
                    send_lines(&mut current, &shared, &batch, &mut encoder, &stop)
                } else {
                    send_batch(&mut current, &shared, &batch, &encoder, &mut buffer, &stop)
                };
                stats.sent((batch.lines.len() - dropped) as u64);
                // Dropped by a filter: nothing to deliver, so done now; the checkpoint moves past them once
                // the batch's other events are delivered.
                if dropped > 0 {
                    stats.filtered_out(dropped as u64);
                    batch.ack.delivered(dropped);
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
    while Instant::now() < deadline && current.producer.in_flight_count() > 0 {
        serve(&current.producer, Duration::from_millis(100));
        let _ = resend_failed(&current, &shared.kafka, &stop);
    }
    let left = current.producer.in_flight_count();
    if left > 0 {
        log::warn!("{left} messages were not acknowledged before shutdown; they will be sent again after restart");
    }
    Ok(())
}

/// The client in use and the generation of the settings it was built from.
struct Current {
    /// The client's topic handles; declared before it, so dropped before it.
    topics: TopicHandles,
    producer: AgentProducer,
    generation: u64,
    /// `max_message_bytes` of those settings.
    max_message_bytes: usize,
    /// The batch size of this client: the settings', or less after the broker refused a batch.
    batch_size: u64,
    /// `connect` ran for this client.
    connected: bool,
}

/// How long a new client's first batch waits for the metadata of its topic (see `Current::connect`).
const CONNECT_WAIT: Duration = Duration::from_millis(500);

impl Current {
    /// Before a new client's first message: asks for its topic's metadata and waits for it (at most
    /// `CONNECT_WAIT`; a broker that is down only delays the batch). The idempotent producer asks for its
    /// producer id on a timer that fires every 500 ms until some broker connection is up, and librdkafka
    /// opens connections only when something needs one; after the bootstrap connection is closed, the
    /// first messages alone did not get one opened before that timer's next round, so one of the two
    /// producers started sending a second after start instead of half a second (strace of the startup,
    /// perf/RESULTS.md, issue 28). The metadata request opens it at once.
    fn connect(&mut self, topic: &str) {
        if !self.connected {
            self.connected = true;
            if let Err(e) = self
                .producer
                .client()
                .fetch_metadata(Some(topic), CONNECT_WAIT)
            {
                log::debug!("kafka: no metadata of topic {topic} yet ({e}); sending anyway");
            }
        }
    }

    /// Rebuilds the client while the settings are newer than it, or with smaller batches when the broker
    /// refused one as too large, then sends again what failed (first, so it goes before anything newer).
    fn follow(&mut self, shared: &ProducerShared, stop: &AtomicBool) {
        loop {
            while shared.kafka.generation() != self.generation {
                let (generation, kafka) = shared.kafka.current();
                self.replace(shared, &kafka, "the reloaded settings");
                self.generation = generation;
                self.max_message_bytes = kafka.max_message_bytes();
                self.batch_size = kafka.batch_size();
            }
            if self.producer.context().take_batch_refused() {
                self.shrink_batches(shared);
            }
            if resend_failed(self, &shared.kafka, stop).is_ok() {
                return;
            }
        }
    }
}

impl Current {
    /// After the broker refused a batch as too large: a client with half the batch size (not below
    /// `MIN_BATCH_SIZE`), which takes over what the old one holds. Kafka limits the compressed batch
    /// (`message.max.bytes` of the broker, `max.message.bytes` of the topic) while librdkafka limits the
    /// uncompressed one, so only the broker can tell; a refused batch is failed whole and not written, and
    /// its messages are sent again through the new client, first.
    fn shrink_batches(&mut self, shared: &ProducerShared) {
        let smaller = (self.batch_size / 2).max(MIN_BATCH_SIZE);
        if smaller >= self.batch_size {
            log::error!(
                "kafka: the broker refuses a batch of {} bytes or less as too large: its message.max.bytes \
                 (or the topic's max.message.bytes) is below kafka.max_message_bytes ({}); lower that or \
                 raise the broker's limit",
                self.batch_size,
                self.max_message_bytes
            );
            return;
        }
        log::warn!(
            "kafka: the broker refused a batch as too large (its message.max.bytes or the topic's \
             max.message.bytes is below the compressed batch); batches are now at most {smaller} bytes \
             before compression (were {}). Raise the broker's limit or set kafka.batch_size to keep them",
            self.batch_size
        );
        let (_, kafka) = shared.kafka.current();
        self.replace(shared, &kafka.with_batch_size(smaller), "smaller batches");
        self.batch_size = smaller;
    }

    /// `replace_producer` on this client, with topic handles of the new one (the old handles go first,
    /// while their client is alive); the next batch connects again.
    fn replace(&mut self, shared: &ProducerShared, kafka: &crate::config::KafkaConfig, why: &str) {
        self.topics = TopicHandles::new(std::ptr::null_mut());
        replace_producer(&mut self.producer, shared, kafka, why);
        self.topics = TopicHandles::new(self.producer.client().native_ptr());
        self.connected = false;
    }
}

/// The smallest batch size `shrink_batches` goes down to (the Java producer's default `batch.size`);
/// librdkafka still puts at least one message in each batch.
const MIN_BATCH_SIZE: u64 = 16_384;

/// Builds a client with the settings `kafka`, puts it in `slot` and hands it everything the old one still
/// holds (`why` names the occasion in the log). If the new client cannot be built (a password file deleted
/// since the reload was checked), the old one stays.
fn replace_producer(
    slot: &mut AgentProducer,
    shared: &ProducerShared,
    kafka: &crate::config::KafkaConfig,
    why: &str,
) {
    let new = match shared.create(kafka) {
        Ok(new) => new,
        Err(e) => {
            log::error!(
                "kafka: a client with {why} cannot be built ({e}); keeping the previous one"
            );
            return;
        }
    };
    let old = std::mem::replace(slot, new);
    let deadline = Instant::now() + RELOAD_DRAIN;
    while old.in_flight_count() > 0 && Instant::now() < deadline {
        serve(&old, Duration::from_millis(100));
    }
    if old.in_flight_count() > 0 {
        old.purge(PurgeConfig::default().queue().inflight());
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        while old.in_flight_count() > 0 && Instant::now() < deadline {
            serve(&old, Duration::from_millis(50));
        }
    }
    let handed_over = old.context().take_all_retries();
    log::info!(
        "kafka: producer rebuilt with {why} ({}); {} undelivered messages moved to it",
        kafka.connection().describe(),
        handed_over.len()
    );
    slot.context().adopt_first(handed_over);
    shared.health.clear();
}

/// The blackhole output: encodes every event like `run_producer` and acknowledges it at once, without Kafka.
/// Measures the pipeline's ceiling (tail → frame → batch → encode).
pub fn run_blackhole(lane: BatchReceiver, stop: Arc<AtomicBool>, stats: Arc<ProducerStats>) {
    let mut encoder = Encoder::new(usize::MAX);
    let mut encoded_bytes = 0usize;
    loop {
        match lane.recv_timeout(Duration::from_millis(100)) {
            Ok(batch) => {
                for line in &batch.lines {
                    if let Some(record) = encoder.encode(&batch, line) {
                        encoded_bytes = encoded_bytes.wrapping_add(record.payload.len());
                    }
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
}

/// Sends the events of `batch` one `BaseRecord` at a time (the raw codec, whose headers
/// `rd_kafka_produce_batch` cannot carry); returns how many a filter dropped.
fn send_lines(
    current: &mut Current,
    shared: &ProducerShared,
    batch: &Batch,
    encoder: &mut Encoder,
    stop: &AtomicBool,
) -> usize {
    let mut dropped = 0;
    for line in &batch.lines {
        match encoder.encode(batch, line) {
            Some(record) => send_one(
                current,
                shared,
                batch,
                record.payload,
                record.headers,
                batch.ack.clone(),
                stop,
            ),
            None => dropped += 1,
        }
    }
    dropped
}

/// Sends the JSON events of `batch` with `rd_kafka_produce_batch` (see `batch_send`), waiting while
/// librdkafka's queue is full as `enqueue` does; returns how many a filter dropped.
fn send_batch(
    current: &mut Current,
    shared: &ProducerShared,
    batch: &Batch,
    encoder: &Encoder,
    buffer: &mut SendBuffer,
    stop: &AtomicBool,
) -> usize {
    buffer.clear();
    let mut dropped = 0;
    for line in &batch.lines {
        if !buffer.push(|out| encoder.append_event(batch, line, out)) {
            dropped += 1;
        }
    }
    if buffer.is_empty() {
        return dropped;
    }
    let topic = batch.source.topic.as_str();
    batch_send::prepare(buffer, batch.source.key.as_bytes(), &batch.ack);
    let (mut from, mut room) = (0, RoomWait::default());
    loop {
        let placement = current.producer.context().placement();
        match batch_send::offer(&mut current.topics, topic, buffer, from, placement) {
            Offered::All => return dropped,
            Offered::QueueFull { next } => {
                from = next;
                if stop.load(Ordering::Relaxed) {
                    // Never acknowledged: read again after restart.
                    drop(batch_send::take_back(
                        buffer,
                        from,
                        RDKafkaErrorCode::QueueFull,
                    ));
                    return dropped;
                }
                if shared.kafka.generation() != current.generation {
                    // The rest goes to the new client, after what the old one held.
                    current.follow(shared, stop);
                    room = RoomWait::default();
                    continue;
                }
                room.wait(&current.producer);
            }
            Offered::Refused(refused) => {
                for (index, error, ack) in refused {
                    log::debug!(
                        "kafka: a message for {topic} was not enqueued in a batch ({error})"
                    );
                    send_one(
                        current,
                        shared,
                        batch,
                        buffer.payload(index),
                        None,
                        ack,
                        stop,
                    );
                }
                return dropped;
            }
        }
    }
}

/// Enqueues one message of `batch` whatever it takes (`enqueue`; after a reload, the same message goes to
/// the new client, after what the old one held).
fn send_one(
    current: &mut Current,
    shared: &ProducerShared,
    batch: &Batch,
    payload: &[u8],
    mut headers: Option<OwnedHeaders>,
    mut ack: AckHandle,
    stop: &AtomicBool,
) {
    loop {
        let base = BaseRecord::with_opaque_to(&batch.source.topic, ack)
            .key(batch.source.key.as_str())
            .payload(payload)
            .timestamp(batch.timestamp.millis);
        let base = match headers {
            Some(headers) => base.headers(headers),
            None => base,
        };
        match enqueue(current, &shared.kafka, base, stop) {
            Enqueue::Done | Enqueue::Stopped => return,
            Enqueue::Reconfigured(back) => {
                (ack, headers) = (back.delivery_opaque, back.headers);
                current.follow(shared, stop);
            }
        }
    }
}

/// Waiting for room in librdkafka's full queue, for `enqueue` and `send_batch`. Each delivery report frees
/// its message's space. rdkafka's `poll(timeout)` serves reports until the timeout has passed, whatever it
/// served (and spins through its last millisecond), so it cannot wait for the next one: serve those that
/// are ready, try again, and pause briefly only when that freed nothing. (A 50 ms poll here let the whole
/// queue drain while the broker connection idled: perf/RESULTS.md, issue 28.)
#[derive(Default)]
struct RoomWait {
    /// Reports were served since the last try, and room was still lacking.
    served: bool,
}

impl RoomWait {
    fn wait(&mut self, producer: &AgentProducer) {
        if self.served {
            std::thread::sleep(QUEUE_FULL_PAUSE);
        }
        serve(producer, Duration::ZERO);
        self.served = true;
    }
}

/// How an `enqueue` ended.
enum Enqueue<'a> {
    Done,
    /// Shutdown while the queue was full (broker down): the record is given up, never acknowledged, and its
    /// line read again after restart.
    Stopped,
    /// The settings were reloaded while the queue was full: the record is handed back, to go to the new
    /// client.
    Reconfigured(BaseRecord<'a, str, [u8], AckHandle>),
}

/// Enqueues one record, waiting while librdkafka's queue is full.
fn enqueue<'a>(
    current: &Current,
    kafka: &SharedKafkaConfig,
    mut record: BaseRecord<'a, str, [u8], AckHandle>,
    stop: &AtomicBool,
) -> Enqueue<'a> {
    let producer = &current.producer;
    let mut warned = false;
    let mut room = RoomWait::default();
    loop {
        match producer.send(record) {
            Ok(()) => return Enqueue::Done,
            Err((err, back)) => {
                let full = matches!(
                    err,
                    KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)
                );
                if !full && !warned {
                    log::error!(
                        "cannot enqueue a message for topic {}: {err}; retrying",
                        back.topic
                    );
                    warned = true;
                }
                record = back;
                if stop.load(Ordering::Relaxed) {
                    return Enqueue::Stopped;
                }
                if kafka.generation() != current.generation {
                    return Enqueue::Reconfigured(record);
                }
                if full {
                    room.wait(producer);
                } else {
                    serve(producer, Duration::from_millis(500));
                }
            }
        }
    }
}

/// Enqueues the failed messages whose backoff passed. `Err` when the settings were reloaded meanwhile:
/// the messages not sent yet are put back first in line.
fn resend_failed(
    current: &Current,
    kafka: &SharedKafkaConfig,
    stop: &AtomicBool,
) -> Result<(), ()> {
    let mut due = current.producer.context().take_due_retries().into_iter();
    while let Some(Retry {
        topic,
        key,
        payload,
        headers,
        ack,
    }) = due.next()
    {
        let base = BaseRecord::with_opaque_to(&topic, ack)
            .key(key.as_str())
            .payload(payload.as_slice());
        let base = match headers {
            Some(h) => base.headers(h),
            None => base,
        };
        match enqueue(current, kafka, base, stop) {
            Enqueue::Done => {}
            Enqueue::Stopped => return Ok(()),
            Enqueue::Reconfigured(back) => {
                let (headers, ack) = (back.headers, back.delivery_opaque);
                let mut left = vec![Retry {
                    topic,
                    key,
                    payload,
                    headers,
                    ack,
                }];
                left.extend(due);
                current.producer.context().adopt_first(left);
                return Err(());
            }
        }
    }
    Ok(())
}
