//! Acknowledgement tracking: the heart of the checkpoint protocol.
//!
//! Every batch of a file gets the next sequence number and records the file offset that becomes safe once it
//! is delivered (`end_offset`: the first byte not yet part of a sent or deliberately skipped event). Batches
//! may be delivered out of order (several producer threads, retries), so `FileAck` keeps the pending ones in
//! sequence order and advances `acked_offset` only across a prefix of delivered batches. The checkpointer
//! persists `acked_offset`: every line before it has been acknowledged by the destination.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug)]
struct Pending {
    seq: u64,
    end_offset: u64,
    done: bool,
}

#[derive(Debug)]
struct State {
    next_seq: u64,
    pending: VecDeque<Pending>,
    acked_offset: u64,
}

/// Delivery progress of one file generation.
#[derive(Debug)]
pub struct FileAck {
    state: Mutex<State>,
}

impl FileAck {
    /// Progress starting at `offset` (the checkpointed or initial read position).
    pub fn new(offset: u64) -> Arc<FileAck> {
        Arc::new(FileAck {
            state: Mutex::new(State {
                next_seq: 0,
                pending: VecDeque::new(),
                acked_offset: offset,
            }),
        })
    }

    /// Registers the next batch, which makes `end_offset` safe once delivered along with all earlier batches.
    /// `events` is how many deliveries must be reported before the batch counts as delivered.
    pub fn register(self: &Arc<Self>, end_offset: u64, events: usize) -> AckHandle {
        let mut state = self.state.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.pending.push_back(Pending {
            seq,
            end_offset,
            done: false,
        });
        drop(state);
        let handle = AckHandle {
            inner: Arc::new(HandleInner {
                file: self.clone(),
                seq,
                remaining: AtomicUsize::new(events),
            }),
        };
        if events == 0 {
            handle.inner.settle();
        }
        handle
    }

    /// Offset before which every byte is delivered.
    pub fn acked_offset(&self) -> u64 {
        self.state.lock().acked_offset
    }

    /// Batches registered but not yet settled.
    pub fn in_flight(&self) -> usize {
        self.state.lock().pending.len()
    }

    fn settle(&self, seq: u64) {
        let mut state = self.state.lock();
        if let Some(p) = state.pending.iter_mut().find(|p| p.seq == seq) {
            p.done = true;
        }
        while state.pending.front().is_some_and(|p| p.done) {
            if let Some(p) = state.pending.pop_front() {
                state.acked_offset = p.end_offset;
            }
        }
    }
}

#[derive(Debug)]
struct HandleInner {
    file: Arc<FileAck>,
    seq: u64,
    remaining: AtomicUsize,
}

impl HandleInner {
    fn settle(&self) {
        self.file.settle(self.seq);
    }
}

/// Shared by every event of a batch; the last `delivered` settles the batch.
#[derive(Debug, Clone)]
pub struct AckHandle {
    inner: Arc<HandleInner>,
}

impl AckHandle {
    /// Reports `n` events delivered.
    pub fn delivered(&self, n: usize) {
        if n > 0 && self.inner.remaining.fetch_sub(n, Ordering::AcqRel) == n {
            self.inner.settle();
        }
    }

    /// The handle as a pointer, for a C library to hand back with the event's delivery report (the Kafka
    /// producer: one reference per message, and no allocation, unlike a boxed handle).
    pub fn into_raw(self) -> *const () {
        Arc::into_raw(self.inner).cast()
    }

    /// The handle `into_raw` gave.
    ///
    /// # Safety
    /// `ptr` came from `into_raw` and is turned back exactly once.
    pub unsafe fn from_raw(ptr: *const ()) -> AckHandle {
        AckHandle {
            // SAFETY: the caller passes a pointer of `into_raw`, once.
            inner: unsafe { Arc::from_raw(ptr.cast::<HandleInner>()) },
        }
    }

    /// Reports the whole batch delivered at once (indexer: one `_bulk` response settles it).
    pub fn delivered_all(&self) {
        let left = self.inner.remaining.swap(0, Ordering::AcqRel);
        if left > 0 {
            self.inner.settle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_survives_the_raw_round_trip() {
        let file = FileAck::new(0);
        let handle = file.register(100, 2);
        let raw = handle.clone().into_raw();
        // SAFETY: `raw` is from `into_raw`, turned back once.
        let back = unsafe { AckHandle::from_raw(raw) };
        back.delivered(1);
        drop(back);
        assert_eq!(file.acked_offset(), 0, "one event left");
        handle.delivered(1);
        assert_eq!(file.acked_offset(), 100);
    }

    #[test]
    fn offset_advances_only_over_a_delivered_prefix() {
        let file = FileAck::new(0);
        let a = file.register(100, 2);
        let b = file.register(200, 1);
        let c = file.register(300, 1);
        b.delivered(1);
        assert_eq!(file.acked_offset(), 0, "b is done but a is not");
        a.delivered(1);
        assert_eq!(file.acked_offset(), 0, "a has one event left");
        a.delivered(1);
        assert_eq!(file.acked_offset(), 200, "a and b done");
        c.delivered_all();
        assert_eq!(file.acked_offset(), 300);
        assert_eq!(file.in_flight(), 0);
    }

    #[test]
    fn empty_batch_settles_at_once() {
        let file = FileAck::new(5);
        let _ = file.register(50, 0);
        assert_eq!(file.acked_offset(), 50);
    }
}
