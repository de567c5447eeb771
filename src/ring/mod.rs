//! The bounded hand-off between tailers and senders.
//!
//! Tailers frame lines into `Batch`es (one file's consecutive lines) and push them through a bounded crossbeam
//! channel; producer or indexer threads drain it. The channel's capacity, in batches, times the batch size
//! bounds the bytes in flight: when senders are slow the tailer's `send` blocks and files stay unread (the file
//! is the buffer). Each batch carries an `AckHandle`; its file's checkpoint advances only when every batch
//! before it has been acknowledged by the destination.

pub mod ack;
pub mod batch;

pub use ack::{AckHandle, FileAck};
pub use batch::{Batch, FileSource, LineRef};

use crossbeam_channel::{Receiver, SendTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use xxhash_rust::xxh3::xxh3_64;

/// Sending side, held by tailers: one bounded lane per consumer thread; a file's batches always take the same
/// lane (chosen by the hash of its message key), so they are sent in order.
#[derive(Clone)]
pub struct BatchSender {
    lanes: Vec<Sender<Batch>>,
}

/// Receiving side, held by producer / indexer threads.
#[derive(Clone)]
pub struct BatchReceiver {
    inner: Receiver<Batch>,
}

/// `lanes` bounded channels sharing `capacity` batches; one receiver per lane.
pub fn channel(lanes: usize, capacity: usize) -> (BatchSender, Vec<BatchReceiver>) {
    let lanes = lanes.max(1);
    let per_lane = capacity.div_ceil(lanes).max(1);
    let (senders, receivers) = (0..lanes)
        .map(|_| {
            let (tx, rx) = crossbeam_channel::bounded(per_lane);
            (tx, BatchReceiver { inner: rx })
        })
        .unzip();
    (BatchSender { lanes: senders }, receivers)
}

/// Why a batch was not handed over.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// Shutdown was requested while the channel was full.
    ShuttingDown,
    /// Every receiver is gone.
    Closed,
}

impl BatchSender {
    /// Blocks until there is room, checking `stop` every 100 ms so shutdown is never stuck behind a full channel.
    pub fn send(&self, mut batch: Batch, stop: &AtomicBool) -> Result<(), SendError> {
        let lane =
            &self.lanes[(xxh3_64(batch.source.key.as_bytes()) % self.lanes.len() as u64) as usize];
        loop {
            match lane.send_timeout(batch, Duration::from_millis(100)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Disconnected(_)) => return Err(SendError::Closed),
                Err(SendTimeoutError::Timeout(back)) => {
                    if stop.load(Ordering::Relaxed) {
                        return Err(SendError::ShuttingDown);
                    }
                    batch = back;
                }
            }
        }
    }

    /// Batches waiting in all lanes.
    pub fn depth(&self) -> usize {
        self.lanes.iter().map(Sender::len).sum()
    }
}

impl BatchReceiver {
    /// Waits up to `timeout` for a batch; `Err(true)` when every sender is gone and the channel is empty.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Batch, bool> {
        match self.inner.recv_timeout(timeout) {
            Ok(batch) => Ok(batch),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(false),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Err(true),
        }
    }

    /// Batches waiting in the channel.
    pub fn depth(&self) -> usize {
        self.inner.len()
    }
}
