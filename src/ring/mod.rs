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
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Sending side, held by tailers: one bounded lane per consumer thread; a file's batches always take the same
/// lane, so they are sent in order. A file's lane is chosen on its first batch: the lane with the fewest
/// files (so ten busy files on two lanes split five and five, which a hash of the key does not promise), and
/// kept until the tailer `release`s the file.
#[derive(Clone)]
pub struct BatchSender {
    lanes: Vec<Sender<Batch>>,
    assignment: Arc<Mutex<LaneAssignment>>,
}

/// Which lane each file (by message key) sends on, and how many files each lane carries.
struct LaneAssignment {
    by_key: HashMap<String, usize>,
    files_per_lane: Vec<usize>,
}

impl LaneAssignment {
    fn new(lanes: usize) -> LaneAssignment {
        LaneAssignment {
            by_key: HashMap::new(),
            files_per_lane: vec![0; lanes],
        }
    }

    fn lane_of(&mut self, key: &str) -> usize {
        if let Some(lane) = self.by_key.get(key) {
            return *lane;
        }
        let lane = (0..self.files_per_lane.len())
            .min_by_key(|lane| self.files_per_lane[*lane])
            .unwrap_or(0);
        if let Some(n) = self.files_per_lane.get_mut(lane) {
            *n += 1;
        }
        self.by_key.insert(key.to_string(), lane);
        lane
    }

    fn release(&mut self, key: &str) {
        if let Some(lane) = self.by_key.remove(key) {
            if let Some(n) = self.files_per_lane.get_mut(lane) {
                *n = n.saturating_sub(1);
            }
        }
    }
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
    (
        BatchSender {
            lanes: senders,
            assignment: Arc::new(Mutex::new(LaneAssignment::new(lanes))),
        },
        receivers,
    )
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
        let lane_index = self.assignment.lock().lane_of(&batch.source.key);
        let lane = &self.lanes[lane_index % self.lanes.len()];
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

    /// Waits up to `wait` for room on the batch's lane: `Ok(None)` when sent, `Ok(Some(batch))` back when the
    /// lane stayed full (the caller does other work and tries again), `Err(Closed)` when every receiver is gone.
    pub fn send_within(&self, batch: Batch, wait: Duration) -> Result<Option<Batch>, SendError> {
        let lane_index = self.assignment.lock().lane_of(&batch.source.key);
        let lane = &self.lanes[lane_index % self.lanes.len()];
        match lane.send_timeout(batch, wait) {
            Ok(()) => Ok(None),
            Err(SendTimeoutError::Disconnected(_)) => Err(SendError::Closed),
            Err(SendTimeoutError::Timeout(back)) => Ok(Some(back)),
        }
    }

    /// Forgets the lane of a file the tailer closed (its batches already sent), so lanes stay balanced.
    pub fn release(&self, key: &str) {
        self.assignment.lock().release(key);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_spread_evenly_and_keep_their_lane() {
        let mut lanes = LaneAssignment::new(2);
        let first: Vec<usize> = (0..10)
            .map(|i| lanes.lane_of(&format!("h:1:{i}")))
            .collect();
        assert_eq!(first.iter().filter(|l| **l == 0).count(), 5);
        assert_eq!(first.iter().filter(|l| **l == 1).count(), 5);
        let again: Vec<usize> = (0..10)
            .map(|i| lanes.lane_of(&format!("h:1:{i}")))
            .collect();
        assert_eq!(first, again, "a file never changes lane while open");
        // Two files of lane 0 close: the next two new files go there.
        let on_zero: Vec<String> = (0..10)
            .filter(|i| first[*i] == 0)
            .take(2)
            .map(|i| format!("h:1:{i}"))
            .collect();
        for key in &on_zero {
            lanes.release(key);
        }
        assert_eq!(lanes.lane_of("h:1:new-a"), 0);
        assert_eq!(lanes.lane_of("h:1:new-b"), 0);
        assert_eq!(lanes.files_per_lane, vec![5, 5]);
    }
}
