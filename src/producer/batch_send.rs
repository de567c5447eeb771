//! Enqueueing a whole ring batch of JSON events with one `rd_kafka_produce_batch` call.
//!
//! `BaseProducer::send` costs, per message, librdkafka's variadic `producev` parsing, a look-up of the
//! topic by name, two clock readings and a lock of the topic; `rd_kafka_produce_batch` does the look-up and
//! the clock once per call. The events of a batch are encoded one after the other into one reused buffer
//! (`SendBuffer`), and each message points into it; librdkafka copies each payload (`RD_KAFKA_MSG_F_COPY`),
//! as `send` does.
//!
//! The partition is chosen by the client's partitioner (`FilePartitioner`, or the one named in
//! `[kafka.options]`). All messages of a batch share their file's key, so with `FilePartitioner`
//! (`Placement::FirstMessage`) only the first message of a call is partitioned, and the rest go straight to
//! the partition it got: librdkafka's partitioner path costs a topic lock, a clock reading, the callback and
//! a partition look-up per message. A named partitioner runs for every message.
//!
//! Each message carries its batch's `AckHandle` as opaque, so delivery reports are served exactly as for
//! `send`. Events of the raw codec carry headers, which `rd_kafka_produce_batch` cannot pass: they keep
//! going through `send`.
//!
//! Order: once librdkafka's queue is full, every later message of the call fails with `QUEUE_FULL` too, so
//! the messages enqueued are a prefix; the rest is offered again after delivery reports freed room, or to the
//! next client after a reload.

use super::partitioner;
use crate::ring::AckHandle;
use rdkafka::bindings as rd;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::util::IntoOpaque;
use std::collections::HashMap;
use std::ffi::CString;
use std::ptr::NonNull;

/// The encoded events of one batch, and the librdkafka messages pointing into them.
#[derive(Default)]
pub struct SendBuffer {
    payloads: Vec<u8>,
    /// (start, length) in `payloads` of each event to send.
    spans: Vec<(usize, usize)>,
    messages: Vec<rd::rd_kafka_message_t>,
}

impl SendBuffer {
    /// Empties the buffer for the next batch.
    pub fn clear(&mut self) {
        debug_assert!(
            self.messages.is_empty(),
            "every message's opaque was handed on or taken back"
        );
        self.payloads.clear();
        self.spans.clear();
    }

    /// Encodes one event with `append` (false: nothing to send) at the end of the buffer.
    pub fn push(&mut self, append: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        let start = self.payloads.len();
        if append(&mut self.payloads) {
            self.spans.push((start, self.payloads.len() - start));
            true
        } else {
            self.payloads.truncate(start);
            false
        }
    }

    /// Events to send.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The payload of event `index`.
    pub fn payload(&self, index: usize) -> &[u8] {
        let (start, len) = self.spans[index];
        &self.payloads[start..start + len]
    }
}

/// A client's topic handles by name (`rd_kafka_produce_batch` takes a handle, not a name). Owned by the
/// client's `Current`; dropped before the client.
pub struct TopicHandles {
    rk: *mut rd::rd_kafka_t,
    by_name: HashMap<String, NonNull<rd::rd_kafka_topic_t>>,
}

impl TopicHandles {
    /// Handles of the client `rk` (from `client().native_ptr()`).
    pub fn new(rk: *mut rd::rd_kafka_t) -> TopicHandles {
        TopicHandles {
            rk,
            by_name: HashMap::new(),
        }
    }

    /// The handle of `topic`, created with the client's default topic settings (which carry the
    /// partitioner), as `send` creates it.
    fn get(&mut self, topic: &str) -> Option<NonNull<rd::rd_kafka_topic_t>> {
        if let Some(handle) = self.by_name.get(topic) {
            return Some(*handle);
        }
        let name = CString::new(topic).ok()?;
        // SAFETY: `rk` is a live client (this value is dropped before it); a null conf means the
        // client's default topic conf.
        let handle = NonNull::new(unsafe {
            rd::rd_kafka_topic_new(self.rk, name.as_ptr(), std::ptr::null_mut())
        })?;
        self.by_name.insert(topic.to_string(), handle);
        Some(handle)
    }
}

impl Drop for TopicHandles {
    fn drop(&mut self) {
        for handle in self.by_name.values() {
            // SAFETY: created by `rd_kafka_topic_new` of this client, destroyed once.
            unsafe { rd::rd_kafka_topic_destroy(handle.as_ptr()) };
        }
    }
}

/// How far one call got.
pub enum Offered {
    /// Every message was enqueued.
    All,
    /// Messages before `next` were enqueued; `next` and the rest failed with `QUEUE_FULL` and keep their
    /// opaques, to be offered again.
    QueueFull { next: usize },
    /// Some messages were refused for another reason: each with its error and its opaque, handed back to
    /// be sent one by one; the others were enqueued.
    Refused(Vec<(usize, RDKafkaErrorCode, AckHandle)>),
}

/// `err` of a prepared message not enqueued yet: `take_back` and `offer` count it as not enqueued.
const NOT_ENQUEUED: rd::rd_kafka_resp_err_t =
    rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL;
const ENQUEUED: rd::rd_kafka_resp_err_t = rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;

/// Builds the messages of `buffer` (each carrying a reference of `ack`) for `offer`.
pub fn prepare(buffer: &mut SendBuffer, key: &[u8], ack: &AckHandle) {
    let SendBuffer {
        payloads,
        spans,
        messages,
    } = buffer;
    messages.clear();
    messages.extend(spans.iter().map(|&(start, len)| rd::rd_kafka_message_t {
        err: NOT_ENQUEUED,
        rkt: std::ptr::null_mut(),
        partition: rdkafka::producer::PARTITION_UA,
        payload: payloads[start..].as_ptr().cast_mut().cast(),
        len,
        key: key.as_ptr().cast_mut().cast(),
        key_len: key.len(),
        offset: 0,
        _private: ack.clone().into_ptr(),
    }));
}

/// Where `offer` sends the messages of one call (which share one key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// librdkafka's partitioner runs for every message (a partitioner named in `[kafka.options]`).
    EachMessage,
    /// The client's partitioner is `FilePartitioner`: it runs for the first message, and the others go to
    /// the partition it chose for their common key. When it did not run (the topic's metadata is not known
    /// yet, and the message waits unpartitioned), the others wait unpartitioned too.
    FirstMessage,
}

/// Offers the prepared messages from `from` on to the client of `topics`. After `All` and `Refused` the
/// prepared messages are forgotten (each opaque is librdkafka's or handed back).
pub fn offer(
    topics: &mut TopicHandles,
    topic: &str,
    buffer: &mut SendBuffer,
    from: usize,
    placement: Placement,
) -> Offered {
    let Some(handle) = topics.get(topic) else {
        return Offered::Refused(take_back(buffer, from, RDKafkaErrorCode::InvalidArgument));
    };
    let messages = &mut buffer.messages[from..];
    let ua = rdkafka::producer::PARTITION_UA;
    if placement == Placement::FirstMessage && messages.len() > 1 {
        let (choices, _) = partitioner::last_keyed_choice();
        produce(handle, ua, &mut messages[..1]);
        // Not enqueued (a full queue): the others must not overtake it.
        if messages[0].err == ENQUEUED {
            let (after, partition) = partitioner::last_keyed_choice();
            let partition = if after != choices { partition } else { ua };
            produce(handle, partition, &mut messages[1..]);
        }
    } else {
        produce(handle, ua, messages);
    }
    match messages.iter().position(|m| m.err != ENQUEUED) {
        None => {
            buffer.messages.clear();
            Offered::All
        }
        // librdkafka fails every message after the first `QUEUE_FULL` of a call the same way.
        Some(i) if messages[i..].iter().all(|m| m.err == NOT_ENQUEUED) => {
            Offered::QueueFull { next: from + i }
        }
        Some(_) => Offered::Refused(take_back(buffer, from, RDKafkaErrorCode::QueueFull)),
    }
}

/// One `rd_kafka_produce_batch` call: `messages` to `partition` (`PARTITION_UA`: each partitioned).
fn produce(
    handle: NonNull<rd::rd_kafka_topic_t>,
    partition: i32,
    messages: &mut [rd::rd_kafka_message_t],
) {
    let count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
    // SAFETY: the handle belongs to the live client; every message points into the caller's
    // `SendBuffer::payloads`, which is not touched until the call returns (librdkafka copies the payloads);
    // the key outlives the call. librdkafka sets `err` of each of the `count` messages.
    unsafe {
        rd::rd_kafka_produce_batch(
            handle.as_ptr(),
            partition,
            rd::RD_KAFKA_MSG_F_COPY,
            messages.as_mut_ptr(),
            count,
        )
    };
}

/// Takes back the opaques of the messages from `from` on that were not enqueued (with their error;
/// `unsent` for those never offered) and forgets the prepared messages.
pub fn take_back(
    buffer: &mut SendBuffer,
    from: usize,
    unsent: RDKafkaErrorCode,
) -> Vec<(usize, RDKafkaErrorCode, AckHandle)> {
    let taken = buffer.messages[from..]
        .iter()
        .enumerate()
        .filter(|(_, m)| m.err != ENQUEUED)
        .map(|(i, m)| {
            let error = if m.err == NOT_ENQUEUED {
                unsent
            } else {
                RDKafkaErrorCode::from(m.err)
            };
            // SAFETY: librdkafka did not take a message it did not enqueue: its opaque is still ours, and
            // is taken back once (the messages are forgotten below).
            (from + i, error, unsafe { AckHandle::from_ptr(m._private) })
        })
        .collect();
    buffer.messages.clear();
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::FileAck;
    use rdkafka::producer::{BaseProducer, Producer};
    use rdkafka::ClientConfig;

    /// A client with no reachable broker and room for `room` messages: librdkafka enqueues locally.
    fn client(room: usize) -> BaseProducer {
        ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("queue.buffering.max.messages", room.to_string())
            .set("log_level", "0")
            .create()
            .expect("client")
    }

    fn buffer_of(events: usize) -> SendBuffer {
        let mut buffer = SendBuffer::default();
        for n in 0..events {
            assert!(buffer.push(|out| {
                out.extend_from_slice(format!("event {n}").as_bytes());
                true
            }));
        }
        assert!(!buffer.push(|out| {
            out.extend_from_slice(b"dropped half-way");
            false
        }));
        buffer
    }

    #[test]
    fn the_buffer_keeps_each_event_and_forgets_a_dropped_one() {
        let buffer = buffer_of(3);
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.payload(2), b"event 2");
        assert_eq!(buffer.payloads.len(), "event 0".len() * 3);
    }

    /// `events` events of one batch prepared for a client with room for `room` messages (drop order:
    /// buffer, handles, client).
    fn prepared(room: usize, events: usize) -> (BaseProducer, TopicHandles, SendBuffer) {
        let producer = client(room);
        let topics = TopicHandles::new(producer.client().native_ptr());
        let mut buffer = buffer_of(events);
        let ack = FileAck::new(0).register(100, events);
        prepare(&mut buffer, b"key", &ack);
        (producer, topics, buffer)
    }

    #[test]
    fn a_full_queue_takes_a_prefix_and_the_rest_is_offered_again_or_taken_back() {
        let (_producer, mut topics, mut buffer) = prepared(10, 25);
        let Offered::QueueFull { next } =
            offer(&mut topics, "t", &mut buffer, 0, Placement::EachMessage)
        else {
            panic!("the queue holds 10 messages");
        };
        assert_eq!(next, 10);
        // Still full: nothing more goes in, and the first 10 are not offered twice.
        let Offered::QueueFull { next } =
            offer(&mut topics, "t", &mut buffer, next, Placement::FirstMessage)
        else {
            panic!("still full");
        };
        assert_eq!(next, 10);
        let taken = take_back(&mut buffer, next, RDKafkaErrorCode::QueueFull);
        let indexes: Vec<usize> = taken.iter().map(|(i, _, _)| *i).collect();
        assert_eq!(indexes, (10..25).collect::<Vec<_>>());
        assert!(taken
            .iter()
            .all(|(_, e, _)| *e == RDKafkaErrorCode::QueueFull));
        buffer.clear();
    }

    #[test]
    fn every_message_with_room_is_enqueued_at_once() {
        let (producer, mut topics, mut buffer) = prepared(100, 25);
        assert!(matches!(
            offer(&mut topics, "t", &mut buffer, 0, Placement::EachMessage),
            Offered::All
        ));
        // The count also holds librdkafka's own pending requests.
        assert!(producer.in_flight_count() >= 25);
        assert!(take_back(&mut buffer, 0, RDKafkaErrorCode::QueueFull).is_empty());
        buffer.clear();
    }

    #[test]
    fn a_topic_name_librdkafka_cannot_take_hands_every_message_back() {
        let (_producer, mut topics, mut buffer) = prepared(100, 3);
        let Offered::Refused(refused) = offer(
            &mut topics,
            "bad\0name",
            &mut buffer,
            0,
            Placement::FirstMessage,
        ) else {
            panic!("a NUL in the name");
        };
        assert_eq!(refused.len(), 3);
        assert!(refused
            .iter()
            .all(|(_, e, _)| *e == RDKafkaErrorCode::InvalidArgument));
        buffer.clear();
    }
}
