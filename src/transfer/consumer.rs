//! One consumer thread: a group member polling Kafka, building batches, committing settled offsets.
//!
//! The thread owns a `BaseConsumer` whose context (`TransferContext`) holds the batch being built, the
//! batches in flight (`OffsetTracker`) and the channel on which indexer threads report settled batches. The
//! loop blocks on nothing but `poll` (100 ms) and, when `in_flight_batches` are out and the next batch is
//! full, on the settlements (100 ms at a time, without polling: librdkafka's bounded prefetch queue holds
//! what comes meanwhile). A batch goes to the indexers with `try_send`. A blockage that lasts `PAUSE_AFTER`
//! (the index down) pauses the assigned partitions and the loop polls again, so it stays in the group
//! however long the index is down. Offsets are committed (offset + 1,
//! per partition) only for the settled prefix of batches, asynchronously from the loop (a synchronous commit
//! holds the loop for a broker round trip per batch) and synchronously when draining; a failed commit is
//! retried with the next. On revocation (the
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
use rdkafka::error::KafkaResult;
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
    /// The offset of each partition's latest commit request: a failed commit is retried only when no newer
    /// one for the partition has been sent since (and the partition is still assigned).
    commit_sent: HashMap<Partition, i64>,
    /// Since when the consumer has had no room for another batch (`None`: it has room).
    blocked_since: Option<Instant>,
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
            commit_sent: HashMap::new(),
            blocked_since: None,
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

    /// Commits `offsets`: `Async` from the poll loop (the result comes to `commit_callback` during a later
    /// `poll`), `Sync` when draining for a revocation or shutdown. A commit that fails is retried with the
    /// next one.
    fn commit(
        &self,
        consumer: &BaseConsumer<TransferContext>,
        offsets: Vec<(Partition, i64)>,
        mode: CommitMode,
    ) {
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
        self.state.lock().commit_sent.extend(
            offsets
                .iter()
                .map(|(partition, next)| (partition.clone(), *next)),
        );
        if let Err(e) = consumer.commit(&list, mode) {
            log::warn!("{}: commit failed ({e}); will retry", self.name);
            self.state.lock().tracker.restore_ready(offsets);
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
        self.commit(consumer, ready, CommitMode::Sync);
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
    /// The result of a commit (librdkafka reports every one here, during `poll`, synchronous ones too).
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => self.stats.committed(),
            Err(e) => {
                let mut state = self.state.lock();
                let retry: Vec<(Partition, i64)> = offsets
                    .elements()
                    .into_iter()
                    .filter_map(|element| match element.offset() {
                        Offset::Offset(next) => {
                            Some(((element.topic().into(), element.partition()), next))
                        }
                        _ => None,
                    })
                    .filter(|(partition, next)| state.commit_sent.get(partition) == Some(next))
                    .collect();
                log::warn!(
                    "{}: commit of {} failed ({e}); {} partition offsets retried with the next commit",
                    self.name,
                    describe(offsets),
                    retry.len()
                );
                state.tracker.restore_ready(retry);
            }
        }
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            log::info!("{}: partitions revoked: {}", self.name, describe(list));
            self.drain_and_commit(consumer, "revocation");
            let mut state = self.state.lock();
            for element in list.elements() {
                let partition = (element.topic().into(), element.partition());
                state.continuity.forget(&partition);
                state.commit_sent.remove(&partition);
            }
            state.tracker.reset();
            state.pending = Pending::default();
            state.unsent = None;
            state.paused = false;
            state.blocked_since = None;
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

/// How long the consumer waits, not polling, for room for another batch before it pauses its partitions and
/// polls again (librdkafka's `max.poll.interval.ms`, 300 s by default, must not pass without a poll).
const PAUSE_AFTER: Duration = Duration::from_secs(5);

/// What the poll loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// There is room for another batch: poll.
    Poll,
    /// No room since less than `PAUSE_AFTER`: wait for a settlement, without polling.
    Wait,
    /// No room for `PAUSE_AFTER` or longer: partitions paused, poll.
    Pause,
}

impl Flow {
    /// The step for a consumer that has (`blocked`) no room for another batch, keeping since when in
    /// `blocked_since`.
    fn of(blocked: bool, blocked_since: &mut Option<Instant>, now: Instant) -> Flow {
        if !blocked {
            *blocked_since = None;
            return Flow::Poll;
        }
        let since = *blocked_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= PAUSE_AFTER {
            Flow::Pause
        } else {
            Flow::Wait
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
        let (ready, wait) = {
            let mut state = context.state.lock();
            context.absorb_settlements(&mut state, Duration::ZERO);
            context.send_batches(&mut state, false);
            let blocked = (state.tracker.in_flight() >= context.settings.in_flight_batches
                || state.unsent.is_some())
                && state.pending.is_full(&context.settings);
            let flow = Flow::of(blocked, &mut state.blocked_since, Instant::now());
            // Without room for another batch the loop waits for a settlement instead of polling: librdkafka
            // keeps prefetching into its bounded queue (`queued.max.messages.kbytes`) and stops when it is
            // full. Pausing the partitions would drop that queue and fetch it again after the resume: paused
            // about once a second at full speed, one consumer indexed 28.5k docs/s, against 458k/s a plain
            // consumer reads from the same broker (perf/RESULTS.md). Only a blockage that lasts (the index
            // down) pauses, so that the loop can poll again and stay in the group.
            let should_pause = flow == Flow::Pause;
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
            (state.tracker.take_ready(), flow == Flow::Wait)
        };
        context.commit(&consumer, ready, CommitMode::Async);
        if wait {
            let mut state = context.state.lock();
            context.absorb_settlements(&mut state, Duration::from_millis(100));
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_blockage_waits_and_a_long_one_pauses() {
        let start = Instant::now();
        let mut since = None;
        assert_eq!(Flow::of(false, &mut since, start), Flow::Poll);
        assert_eq!(Flow::of(true, &mut since, start), Flow::Wait);
        let later = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(Flow::of(true, &mut since, later(4)), Flow::Wait);
        assert_eq!(Flow::of(true, &mut since, later(5)), Flow::Pause);
        assert_eq!(Flow::of(true, &mut since, later(60)), Flow::Pause);
        // Room again: polling, and a new blockage waits again from its own start.
        assert_eq!(Flow::of(false, &mut since, later(61)), Flow::Poll);
        assert_eq!(since, None);
        assert_eq!(Flow::of(true, &mut since, later(62)), Flow::Wait);
        assert_eq!(Flow::of(true, &mut since, later(66)), Flow::Wait);
    }
}
