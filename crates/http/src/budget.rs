//! The memory all request bodies held by one server may use together: bodies being read, waiting for a
//! handler and being handled. A body is charged as its bytes arrive and released when the last
//! reference to it is dropped (the handler is done with the [`crate::Request`]), so the server's
//! body memory is bounded by configuration, not by how many clients upload at once.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use crate::stats::Stats;

pub(crate) struct BodyBudget {
    stats: Arc<Stats>,
    limit: u64,
}

/// Bytes charged to the budget until dropped.
pub(crate) struct Reservation {
    stats: Arc<Stats>,
    bytes: u64,
}

impl BodyBudget {
    pub(crate) fn new(stats: Arc<Stats>, limit: usize) -> BodyBudget {
        BodyBudget {
            stats,
            limit: limit as u64,
        }
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// An empty reservation, to grow as a body arrives.
    pub(crate) fn reservation(&self) -> Reservation {
        Reservation {
            stats: self.stats.clone(),
            bytes: 0,
        }
    }

    /// Charges `n` more bytes to `reservation`; `false` (and nothing charged) if that would pass the
    /// limit.
    pub(crate) fn grow(&self, reservation: &mut Reservation, n: usize) -> bool {
        let n = n as u64;
        let used = &self.stats.body_bytes_buffered;
        let mut current = used.load(Ordering::Relaxed);
        loop {
            let Some(next) = current.checked_add(n).filter(|next| *next <= self.limit) else {
                return false;
            };
            match used.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    reservation.bytes += n;
                    return true;
                }
                Err(actual) => current = actual,
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.stats
            .body_bytes_buffered
            .fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// A body whose memory stays charged to the budget for as long as any `Bytes` refers to it.
struct Charged {
    data: Bytes,
    _reservation: Reservation,
}

impl AsRef<[u8]> for Charged {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

/// `data` as a `Bytes` that releases `reservation` when its last clone is dropped.
pub(crate) fn charged(data: Bytes, reservation: Reservation) -> Bytes {
    if data.is_empty() {
        return data;
    }
    Bytes::from_owner(Charged {
        data,
        _reservation: reservation,
    })
}
