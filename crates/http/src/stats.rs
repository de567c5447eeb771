//! Counters a consumer can expose (e.g. on the metrics page): connections open, refused, timed out.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

/// Live counters of one server; read them with [`Stats::snapshot`]. Shared by the server's threads, so
/// a consumer may keep the `Arc` after the server is moved elsewhere.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) connections_open: AtomicU64,
    pub(crate) connections_accepted: AtomicU64,
    pub(crate) connections_refused: AtomicU64,
    pub(crate) accept_errors: AtomicU64,
    pub(crate) tls_handshake_failures: AtomicU64,
    pub(crate) header_timeouts: AtomicU64,
    pub(crate) idle_timeouts: AtomicU64,
    pub(crate) body_timeouts: AtomicU64,
    pub(crate) write_timeouts: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) requests_refused: AtomicU64,
    pub(crate) requests_overloaded: AtomicU64,
    pub(crate) handler_panics: AtomicU64,
    pub(crate) body_bytes_buffered: AtomicU64,
    /// Taken when `connections_open` goes down, so that a stop can wait for it to reach zero.
    closed: Mutex<()>,
    closed_cond: Condvar,
}

/// The counters at one moment. Every field but `connections_open` and `body_bytes_buffered` only grows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Connections being served now (TLS handshake included; over-capacity ones being refused not).
    pub connections_open: u64,
    /// Connections accepted for serving.
    pub connections_accepted: u64,
    /// Connections over [`crate::Limits::max_connections`], answered 503 or closed.
    pub connections_refused: u64,
    /// Failed `accept` calls (EMFILE, ENFILE, ...); the listener is kept and accepting resumes.
    pub accept_errors: u64,
    /// TLS handshakes that failed or did not finish within the header deadline.
    pub tls_handshake_failures: u64,
    /// Connections closed because a request head was not complete within [`crate::Limits::header_read`].
    pub header_timeouts: u64,
    /// Kept-alive connections closed after [`crate::Limits::keep_alive_idle`].
    pub idle_timeouts: u64,
    /// Requests answered 408 because the body did not arrive in time.
    pub body_timeouts: u64,
    /// Connections closed because a response write made no progress for [`crate::Limits::write_stall`].
    pub write_timeouts: u64,
    /// Request heads received.
    pub requests: u64,
    /// Requests the layer answered itself (bad URL, too large, timeout, overloaded, stopping).
    pub requests_refused: u64,
    /// Of those, requests answered 503 because every handler was busy and the queue full, or because
    /// their body would have passed [`crate::Limits::max_buffered_body_bytes`].
    pub requests_overloaded: u64,
    /// Handler calls that panicked (each answered 500).
    pub handler_panics: u64,
    /// Bytes of request bodies held now (being read, queued or being handled); at most
    /// [`crate::Limits::max_buffered_body_bytes`].
    pub body_bytes_buffered: u64,
}

impl Stats {
    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            connections_open: get(&self.connections_open),
            connections_accepted: get(&self.connections_accepted),
            connections_refused: get(&self.connections_refused),
            accept_errors: get(&self.accept_errors),
            tls_handshake_failures: get(&self.tls_handshake_failures),
            header_timeouts: get(&self.header_timeouts),
            idle_timeouts: get(&self.idle_timeouts),
            body_timeouts: get(&self.body_timeouts),
            write_timeouts: get(&self.write_timeouts),
            requests: get(&self.requests),
            requests_refused: get(&self.requests_refused),
            requests_overloaded: get(&self.requests_overloaded),
            handler_panics: get(&self.handler_panics),
            body_bytes_buffered: get(&self.body_bytes_buffered),
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection open until the guard is dropped.
    pub(crate) fn open_connection(self: &std::sync::Arc<Self>) -> OpenConnection {
        self.connections_open.fetch_add(1, Ordering::SeqCst);
        Stats::bump(&self.connections_accepted);
        OpenConnection {
            stats: self.clone(),
        }
    }

    pub(crate) fn open_now(&self) -> u64 {
        self.connections_open.load(Ordering::SeqCst)
    }

    /// Waits until no connection is open or `deadline` passes; whether none is open.
    pub(crate) fn wait_all_closed(&self, deadline: std::time::Instant) -> bool {
        let mut guard = self.closed.lock();
        while self.open_now() > 0 {
            if self
                .closed_cond
                .wait_until(&mut guard, deadline)
                .timed_out()
            {
                return self.open_now() == 0;
            }
        }
        true
    }
}

/// A connection counted in [`Stats::connections_open`].
pub(crate) struct OpenConnection {
    stats: std::sync::Arc<Stats>,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        // Under the lock, so that a waiter cannot miss the wake-up between its check and its wait.
        let _guard = self.stats.closed.lock();
        self.stats.connections_open.fetch_sub(1, Ordering::SeqCst);
        self.stats.closed_cond.notify_all();
    }
}
