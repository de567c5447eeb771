//! The indices whose tantivy writer is open ([`OpenWriters`]), at most `max_open_writers` of them.
//!
//! A writer costs its indexing threads, a segment updater, its merge threads and its memory budget, so a
//! client writing to a thousand indices must not open a thousand writers (it made 7,000 threads and
//! 9 GiB). Before a write opens an index's writer, [`OpenWriters::admit`] makes room: the index that
//! was written least recently among the open ones is committed and its writer closed (its translog
//! stays; the next write to it opens a writer again). Like ES's `indices.memory.index_buffer_size`
//! controller, which flushes the shards with the largest buffers, this keeps the total bounded by
//! configuration instead of by clients.
//!
//! Invariant: no lock of an index is held while another index's writer is closed here, so two writes
//! making room for each other cannot deadlock. Two concurrent writes may briefly leave one writer more
//! open than the limit (a write to an index being closed reopens its writer); the next admission trims
//! it again.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::index::handle::IndexHandle;

/// The indices with an open writer, least recently written first.
pub struct OpenWriters {
    max: usize,
    open: Mutex<VecDeque<Weak<IndexHandle>>>,
}

impl OpenWriters {
    /// At most `max` (at least 1) writers open at once.
    pub fn new(max: usize) -> OpenWriters {
        OpenWriters {
            max: max.max(1),
            open: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a write to `handle` about to happen, closing the least recently written writers while
    /// more than the limit would be open.
    pub fn admit(&self, handle: &Arc<IndexHandle>) {
        let evicted: Vec<Weak<IndexHandle>> = {
            let mut open = self.open.lock();
            open.retain(|w| w.strong_count() > 0);
            if let Some(at) = open.iter().position(|w| w.as_ptr() == Arc::as_ptr(handle)) {
                if let Some(me) = open.remove(at) {
                    open.push_back(me);
                }
                return;
            }
            let excess = (open.len() + 1).saturating_sub(self.max);
            let evicted = open.drain(..excess).collect();
            open.push_back(Arc::downgrade(handle));
            evicted
        };
        for handle in evicted.iter().filter_map(Weak::upgrade) {
            log::debug!(
                "store: closing the writer of index [{}] to make room",
                handle.name
            );
            if let Err(err) = handle.close_writer() {
                log::error!(
                    "store: closing the writer of index [{}]: {err}",
                    handle.name
                );
            }
        }
    }

    /// How many indices are recorded as having an open writer.
    pub fn count(&self) -> usize {
        self.open.lock().len()
    }
}
