//! Where one connection is in its request cycle, and so which deadline applies to it now.
//!
//! hyper has a single `header_read_timeout` whose reach has changed between releases (whether it covers
//! a client that sends nothing, hyperium/hyper#3178, and the idle time of a kept-alive connection,
//! #3828); it has no separate idle timeout. The layer therefore keeps its own account: the IO wrapper reports bytes
//! read, the service reports a request head received and its response finished, and the connection's
//! watchdog ([`crate::connection`]) closes the connection when [`Phase::deadline`] passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::limits::Limits;

/// Shared by a connection's IO wrapper, its service and its watchdog.
#[derive(Debug)]
pub(crate) struct Phase {
    state: Mutex<State>,
    /// Woken when the deadline may have moved earlier (a request began arriving, a response finished).
    pub(crate) changed: Notify,
    /// Set when a response is sent before the request body was read: close gently (see `io`).
    linger: AtomicBool,
}

#[derive(Debug)]
struct State {
    /// Requests whose response is not finished.
    busy: usize,
    /// Response bytes were written but not yet flushed to the socket (hyper drops a response body as
    /// soon as it has taken it, which for a large body is long before the client has it).
    writing: bool,
    /// When the connection started waiting for its next request (accept, or end of last response).
    waiting_since: Instant,
    /// No request head has been received yet on this connection.
    first: bool,
    /// When the current head began (for the first request: the accept).
    head_since: Option<Instant>,
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// The request head (or the TLS handshake) did not complete within `header_read`.
    Header,
    /// A kept-alive connection idled longer than `keep_alive_idle`.
    Idle,
}

impl Phase {
    pub(crate) fn new(accepted: Instant) -> Arc<Phase> {
        Arc::new(Phase {
            state: Mutex::new(State {
                busy: 0,
                writing: false,
                waiting_since: accepted,
                first: true,
                head_since: None,
            }),
            changed: Notify::new(),
            linger: AtomicBool::new(false),
        })
    }

    /// Bytes arrived from the client.
    pub(crate) fn bytes_read(&self) {
        let mut state = self.state.lock();
        if state.busy == 0 && state.head_since.is_none() {
            state.head_since = Some(if state.first {
                state.waiting_since
            } else {
                Instant::now()
            });
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A request head was received; the returned guard marks its response finished when dropped.
    pub(crate) fn request_started(self: &Arc<Self>) -> ResponseDone {
        let mut state = self.state.lock();
        state.busy += 1;
        state.first = false;
        state.head_since = None;
        ResponseDone(self.clone())
    }

    fn response_done(&self) {
        let mut state = self.state.lock();
        state.busy = state.busy.saturating_sub(1);
        if state.busy == 0 {
            state.waiting_since = Instant::now();
            state.head_since = None;
            drop(state);
            self.changed.notify_one();
        }
    }

    /// The IO wrapper started writing (`true`) or finished flushing (`false`).
    pub(crate) fn set_writing(&self, writing: bool) {
        let mut state = self.state.lock();
        state.writing = writing;
        if !writing && state.busy == 0 {
            // Idle from the moment the last response is on the wire.
            state.waiting_since = Instant::now();
            drop(state);
            self.changed.notify_one();
        }
    }

    /// The deadline in force now, or `None` while a request is being read, handled or answered, and
    /// until the answer is flushed (those have their own limits: body deadlines, write stall).
    pub(crate) fn deadline(&self, limits: &Limits) -> Option<(Instant, Expiry)> {
        let state = self.state.lock();
        if state.busy > 0 || state.writing {
            return None;
        }
        Some(match (state.head_since, state.first) {
            (Some(since), _) => (since + limits.header_read, Expiry::Header),
            (None, true) => (state.waiting_since + limits.header_read, Expiry::Header),
            (None, false) => (state.waiting_since + limits.keep_alive_idle, Expiry::Idle),
        })
    }

    /// Whether nothing was ever asked on this connection, or a next request has begun but its head is
    /// not complete: closing now loses no answer.
    pub(crate) fn nothing_to_answer(&self) -> bool {
        let state = self.state.lock();
        state.busy == 0 && !state.writing && (state.first || state.head_since.is_some())
    }

    pub(crate) fn set_linger(&self) {
        self.linger.store(true, Ordering::Relaxed);
    }

    pub(crate) fn linger(&self) -> bool {
        self.linger.load(Ordering::Relaxed)
    }
}

/// Dropped when a response has been handed to the connection in full (or abandoned).
#[derive(Debug)]
pub(crate) struct ResponseDone(Arc<Phase>);

impl Drop for ResponseDone {
    fn drop(&mut self) {
        self.0.response_done();
    }
}

/// How long to keep reading (and discarding) from a connection closed before its request body was
/// read, so that the client reads the answer instead of a reset.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_read: Duration::from_secs(10),
            keep_alive_idle: Duration::from_secs(60),
            ..Limits::default()
        }
    }

    #[test]
    fn each_phase_has_its_deadline() {
        let accepted = Instant::now();
        let phase = Phase::new(accepted);
        let limits = limits();
        // A new connection: the head is due `header_read` after the accept, bytes or not.
        assert_eq!(
            phase.deadline(&limits),
            Some((accepted + limits.header_read, Expiry::Header))
        );
        assert!(phase.nothing_to_answer());
        phase.bytes_read();
        assert_eq!(
            phase.deadline(&limits),
            Some((accepted + limits.header_read, Expiry::Header))
        );
        // Head received: no deadline of this kind while the request is read, handled and answered,
        // nor while the answer is being flushed.
        let done = phase.request_started();
        assert_eq!(phase.deadline(&limits), None);
        assert!(!phase.nothing_to_answer());
        phase.set_writing(true);
        drop(done);
        assert_eq!(phase.deadline(&limits), None);
        assert!(!phase.nothing_to_answer());
        // Flushed: idle, with the keep-alive deadline counted from now.
        let before = Instant::now();
        phase.set_writing(false);
        let (at, expiry) = phase.deadline(&limits).expect("an idle deadline");
        assert_eq!(expiry, Expiry::Idle);
        assert!(at >= before + limits.keep_alive_idle);
        // Closing an idle kept-alive connection goes through hyper (its last answer may be in flight).
        assert!(!phase.nothing_to_answer());
        // The next request begins: its head is due `header_read` after its first byte.
        let first_byte = Instant::now();
        phase.bytes_read();
        let (at, expiry) = phase.deadline(&limits).expect("a head deadline");
        assert_eq!(expiry, Expiry::Header);
        assert!(at >= first_byte + limits.header_read);
        assert!(phase.nothing_to_answer());
    }
}
