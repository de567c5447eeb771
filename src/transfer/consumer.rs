//! One consumer thread: a group member polling Kafka, building batches, committing settled offsets.
//!
//! The thread owns a `BaseConsumer` whose context (`TransferContext`) holds the batch being built, the
//! batches in flight (`OffsetTracker`) and the channel on which indexer threads report settled batches. The
//! loop never blocks on anything but `poll` (100 ms): a batch goes to the indexers with `try_send`, and when
//! `in_flight_batches` are out and the next batch is full the assigned partitions are paused — the consumer
//! keeps polling, so it stays in the group however long the index is down. Offsets are committed
//! synchronously (offset + 1, per partition) only for the settled prefix of batches. On revocation (the
//! rebalance callback runs inside `poll`, on this thread, with the state unlocked) the current batch is sent
//! and everything in flight is waited for up to `drain_timeout` and committed; what is not settled by then is
//! forgotten uncommitted, so the partition's new owner reads it again (and overwrites, by `_id`). Shutdown
//! drains the same way. A partition's messages are taken in offset order from the committed offset
//! (`continuity`): a jump ahead is read again before anything after it is batched, so a commit never
//! passes an offset the consumer did not receive.

use super::continuity::{Continuity, Verdict};
use super::decode::{Decoded, Decoder, MessageView};
use super::offsets::{OffsetTracker, Partition};
use super::stats::TransferStats;
use crate::config::KafkaConnection;
use crate::indexer::{Batch, BatchOutcome, DeadLetter, Doc};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Batching limits of one consumer.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSettings {
    pub bulk_docs: usize,
    pub bulk_bytes: usize,
    pub flush_interval: Duration,
    pub in_flight_batches: usize,
    pub drain_timeout: Duration,
}

/// The batch being filled.
#[derive(Default)]
struct Pending {
    docs: Vec<Doc>,
    dead_letters: Vec<DeadLetter>,
    highest: HashMap<Partition, i64>,
    bytes: usize,
    since: Option<Instant>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.highest.is_empty()
    }
    fn len(&self) -> usize {
        self.docs.len() + self.dead_letters.len()
    }
    fn is_full(&self, settings: &ConsumerSettings) -> bool {
        self.len() >= settings.bulk_docs || self.bytes >= settings.bulk_bytes
    }
    fn is_due(&self, settings: &ConsumerSettings) -> bool {
        self.is_full(settings)
            || self
                .since
                .is_some_and(|s| s.elapsed() >= settings.flush_interval)
    }
    fn add(&mut self, decoded: Decoded, partition: Partition, offset: i64) {
        match decoded {
            Decoded::Doc(doc) => {
                self.bytes += doc.source.len() + doc.index.len() + doc.id.len() + 40;
                self.docs.push(doc);
            }
            Decoded::Dead(letter) => {
                self.bytes += letter
                    .document
                    .len()
                    .min(crate::indexer::dead_letter::MAX_LETTER_DOCUMENT_BYTES);
                self.dead_letters.push(letter);
            }
            // Dropped by a filter: only its offset joins the batch, to be committed when the batch settles.
            Decoded::Dropped => {}
        }
        let entry = self.highest.entry(partition).or_insert(offset);
        *entry = (*entry).max(offset);
        self.since.get_or_insert_with(Instant::now);
    }
}

struct State {
    pending: Pending,
    /// The next offset expected on each assigned partition (holes are read again).
    continuity: Continuity,
    /// A registered batch the indexer channel had no room for.
    unsent: Option<Batch>,
    tracker: OffsetTracker,
    paused: bool,
}

/// The consumer's context: rebalance callbacks and the state they share with the poll loop.
pub struct TransferContext {
    name: String,
    state: Mutex<State>,
    settled_tx: Sender<(u64, BatchOutcome)>,
    settled_rx: Receiver<(u64, BatchOutcome)>,
    batches: Sender<Batch>,
    settings: ConsumerSettings,
    stats: Arc<TransferStats>,
    /// The connection settings, to explain librdkafka's errors as the key to fix (`kafka::diagnose`).
    connection: Option<KafkaConnection>,
}

impl TransferContext {
    /// Client errors are logged as a sentence naming the `kafka.*` key to fix (see `kafka::diagnose`).
    pub fn explaining_errors_of(mut self, connection: KafkaConnection) -> TransferContext {
        self.connection = Some(connection);
        self
    }

    pub fn new(
        name: String,
        batches: Sender<Batch>,
        settings: ConsumerSettings,
        stats: Arc<TransferStats>,
    ) -> TransferContext {
        let (settled_tx, settled_rx) = crossbeam_channel::unbounded();
        let state = State {
            pending: Pending::default(),
            continuity: Continuity::default(),
            unsent: None,
            tracker: OffsetTracker::default(),
            paused: false,
        };
        TransferContext {
            name,
            state: Mutex::new(state),
            settled_tx,
            settled_rx,
            batches,
            settings,
            stats,
            connection: None,
        }
    }

    /// Applies settlements reported so far (waiting up to `wait` for the first one).
    fn absorb_settlements(&self, state: &mut State, wait: Duration) {
        let first = if wait.is_zero() {
            self.settled_rx.try_recv().ok()
        } else {
            self.settled_rx.recv_timeout(wait).ok()
        };
        for (seq, outcome) in first.into_iter().chain(self.settled_rx.try_iter()) {
            match outcome {
                BatchOutcome::Settled { .. } => state.tracker.settle(seq),
                BatchOutcome::Abandoned => log::warn!(
                    "{}: batch {seq} abandoned; its offsets stay uncommitted",
                    self.name
                ),
            }
        }
    }

    /// Sends the unsent batch, then (if `force` or due) the pending one. Never blocks.
    fn send_batches(&self, state: &mut State, force: bool) {
        if let Some(batch) = state.unsent.take() {
            match self.batches.try_send(batch) {
                Ok(()) => {}
                Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => {
                    state.unsent = Some(batch);
                    return;
                }
            }
        }
        let may_send = state.tracker.in_flight() < self.settings.in_flight_batches || force;
        if state.pending.is_empty() || !may_send || !(force || state.pending.is_due(&self.settings))
        {
            return;
        }
        let Pending {
            docs,
            dead_letters,
            highest,
            ..
        } = std::mem::take(&mut state.pending);
        let seq = state.tracker.register(highest);
        let settled = self.settled_tx.clone();
        let on_done = Box::new(move |outcome| {
            let _ = settled.send((seq, outcome));
        });
        state.unsent = Some(Batch {
            docs,
            dead_letters,
            on_done,
        });
        self.send_batches(state, false);
    }

    /// Commits `offsets` synchronously; on failure they are kept for the next attempt.
    fn commit(&self, consumer: &BaseConsumer<TransferContext>, offsets: Vec<(Partition, i64)>) {
        if offsets.is_empty() {
            return;
        }
        let mut list = TopicPartitionList::new();
        for ((topic, partition), next) in &offsets {
            if let Err(e) = list.add_partition_offset(topic, *partition, Offset::Offset(*next)) {
                log::error!(
                    "{}: cannot list offset {topic}/{partition}@{next}: {e}",
                    self.name
                );
            }
        }
        match consumer.commit(&list, CommitMode::Sync) {
            Ok(()) => self.stats.committed(),
            Err(e) => {
                log::warn!("{}: commit failed ({e}); will retry", self.name);
                self.state.lock().tracker.restore_ready(offsets);
            }
        }
    }

    /// Sends everything, waits up to `drain_timeout` for it to settle, commits what settled.
    fn drain_and_commit(&self, consumer: &BaseConsumer<TransferContext>, why: &str) {
        let deadline = Instant::now() + self.settings.drain_timeout;
        let ready = {
            let mut state = self.state.lock();
            loop {
                self.send_batches(&mut state, true);
                if state.tracker.in_flight() == 0 {
                    break;
                }
                if Instant::now() >= deadline {
                    log::warn!(
                        "{}: {why}: {} batches not settled within {:?}; left uncommitted, to be read again",
                        self.name,
                        state.tracker.in_flight(),
                        self.settings.drain_timeout
                    );
                    break;
                }
                self.absorb_settlements(&mut state, Duration::from_millis(50));
            }
            state.tracker.take_ready()
        };
        self.commit(consumer, ready);
    }
}

impl ClientContext for TransferContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        match &self.connection {
            Some(connection) => log::warn!(
                "{}: kafka: {} [{error}]",
                self.name,
                crate::kafka::diagnose(reason, connection).message
            ),
            None => log::warn!("{}: kafka: {error}: {reason}", self.name),
        }
    }
}

impl ConsumerContext for TransferContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            log::info!("{}: partitions revoked: {}", self.name, describe(list));
            self.drain_and_commit(consumer, "revocation");
            let mut state = self.state.lock();
            for element in list.elements() {
                state
                    .continuity
                    .forget(&(element.topic().into(), element.partition()));
            }
            state.tracker.reset();
            state.pending = Pending::default();
            state.unsent = None;
            state.paused = false;
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                log::info!("{}: partitions assigned: {}", self.name, describe(list));
                self.stats.assigned(list.count());
                // Reading starts at the committed offsets: the first message must be that one.
                let committed = consumer.committed_offsets((*list).clone(), COMMITTED_TIMEOUT);
                let mut state = self.state.lock();
                state.paused = false;
                match committed {
                    Ok(committed) => {
                        for element in committed.elements() {
                            let partition = (element.topic().into(), element.partition());
                            match element.offset() {
                                Offset::Offset(offset) => {
                                    state.continuity.start_at(partition, offset)
                                }
                                _ => state.continuity.forget(&partition),
                            }
                        }
                    }
                    Err(e) => log::warn!(
                        "{}: cannot read the committed offsets of the assignment ({e}); the first \
                         message of each partition is taken as where reading starts",
                        self.name
                    ),
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => log::error!("{}: rebalance error: {e}", self.name),
        }
    }
}

/// How long an assignment waits for its committed offsets (they say where reading must start).
const COMMITTED_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a seek back to a hole waits.
const SEEK_TIMEOUT: Duration = Duration::from_secs(5);

fn describe(list: &TopicPartitionList) -> String {
    let parts: Vec<String> = list
        .elements()
        .iter()
        .map(|e| format!("{}/{}", e.topic(), e.partition()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Polls until `stop`, then drains and commits. The consumer must be subscribed already.
pub fn run_consumer(
    consumer: BaseConsumer<TransferContext>,
    decoder: &Decoder,
    raw_headers: bool,
    stop: &AtomicBool,
) {
    let context = consumer.context().clone();
    let mut topics: HashMap<String, Arc<str>> = HashMap::new();
    let mut last_poll_error: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        context.stats.polled();
        let ready = {
            let mut state = context.state.lock();
            context.absorb_settlements(&mut state, Duration::ZERO);
            context.send_batches(&mut state, false);
            let blocked = state.tracker.in_flight() >= context.settings.in_flight_batches
                || state.unsent.is_some();
            let should_pause = blocked && state.pending.is_full(&context.settings);
            if should_pause != state.paused {
                if let Ok(assignment) = consumer.assignment() {
                    let result = if should_pause {
                        consumer.pause(&assignment)
                    } else {
                        consumer.resume(&assignment)
                    };
                    match result {
                        Ok(()) => {
                            state.paused = should_pause;
                            log::debug!(
                                "{}: partitions {}",
                                context.name,
                                if should_pause { "paused" } else { "resumed" }
                            );
                        }
                        Err(e) => log::warn!("{}: cannot pause/resume: {e}", context.name),
                    }
                }
            }
            state.tracker.take_ready()
        };
        context.commit(&consumer, ready);
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e))
                if last_poll_error.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) =>
            {
                log::warn!("{}: poll: {e}", context.name);
                last_poll_error = Some(Instant::now());
            }
            Some(Err(_)) => {}
            Some(Ok(message)) => {
                let topic = match topics.get(message.topic()) {
                    Some(topic) => topic.clone(),
                    None => {
                        let topic: Arc<str> = message.topic().into();
                        topics.insert(message.topic().to_string(), topic.clone());
                        topic
                    }
                };
                let headers = match (raw_headers, message.headers()) {
                    (true, Some(headers)) => headers
                        .iter()
                        .map(|h| (h.key, h.value.unwrap_or_default()))
                        .collect(),
                    _ => Vec::new(),
                };
                let view = MessageView {
                    topic: &topic,
                    partition: message.partition(),
                    offset: message.offset(),
                    timestamp_millis: message.timestamp().to_millis(),
                    payload: message.payload().unwrap_or_default(),
                    headers,
                };
                let partition: Partition = (topic.clone(), message.partition());
                let verdict = context
                    .state
                    .lock()
                    .continuity
                    .check(&partition, message.offset());
                match verdict {
                    Verdict::Take => {}
                    Verdict::Reread { from } => {
                        log::info!(
                            "{}: {}/{} jumped from offset {from} to {}; reading it again from {from}",
                            context.name,
                            partition.0,
                            partition.1,
                            message.offset()
                        );
                        if let Err(e) = consumer.seek(
                            &partition.0,
                            partition.1,
                            Offset::Offset(from),
                            SEEK_TIMEOUT,
                        ) {
                            log::warn!(
                                "{}: cannot seek {}/{} back to {from}: {e}",
                                context.name,
                                partition.0,
                                partition.1
                            );
                        }
                        continue;
                    }
                    Verdict::TakeOverHole { missing } => log::warn!(
                        "{}: {}/{} has no offsets {}..{} (read {} times): going on from {}",
                        context.name,
                        partition.0,
                        partition.1,
                        message.offset() - missing,
                        message.offset(),
                        super::continuity::MAX_REREADS + 1,
                        message.offset()
                    ),
                }
                let decoded = decoder.decode(&view);
                context.stats.consumed(matches!(decoded, Decoded::Dead(_)));
                context
                    .state
                    .lock()
                    .pending
                    .add(decoded, partition, message.offset());
            }
        }
    }
    context.drain_and_commit(&consumer, "shutdown");
    log::info!("{}: stopped", context.name);
}
