//! The limits a server enforces on every client, with their defaults.

use std::time::Duration;

/// What one server allows its clients. Every field has a documented default ([`Limits::default`]);
/// override the ones that matter with struct-update syntax:
///
/// ```
/// use std::time::Duration;
/// let limits = logpipe_http::Limits { max_body_bytes: 1 << 20, ..Default::default() };
/// assert_eq!(limits.header_read, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to deliver a complete request head (request line and headers).
    /// Counted from the accept for a new connection (so it also bounds a client that connects and sends
    /// nothing, and the TLS handshake), and from the first byte of the next request on a kept-alive one.
    /// Expired: the connection is closed. Default 10 s.
    pub header_read: Duration,
    /// How long a kept-alive connection may sit idle, with no byte of a next request, after its last
    /// response. Expired: the connection is closed. Default 60 s.
    pub keep_alive_idle: Duration,
    /// Longest wait for the next piece of a request body. Expired: 408 and close. Default 30 s.
    pub body_idle: Duration,
    /// Longest time to read a whole request body, counted from the end of its head. Expired: 408 and
    /// close. Default 5 min.
    pub body_total: Duration,
    /// Longest time a response write may make no progress (a client that stops reading). Expired: the
    /// connection is closed. Default 30 s.
    pub write_stall: Duration,
    /// Connections served at once. One more is answered `503` (through [`crate::Handler::refuse`]) and
    /// closed; beyond [`Limits::max_refusing`] of those at once, a new one is closed without an answer.
    /// Keep it well under the process's `RLIMIT_NOFILE`. Default 512.
    pub max_connections: usize,
    /// Over-capacity connections being answered 503 at once (each gets at most 1 s). Default 64.
    pub max_refusing: usize,
    /// Largest request body, unless [`crate::Handler::max_body`] says otherwise for a route. A larger
    /// `Content-Length` is answered 413 before any of the body is read; a chunked body is cut off with 413
    /// as soon as it passes the limit. Default 100 MiB.
    pub max_body_bytes: usize,
    /// Memory all request bodies together may hold (being read, waiting for a handler, being handled).
    /// A body that would pass it is answered 503 as it arrives. At least `max_body_bytes`. Default
    /// 512 MiB.
    pub max_buffered_body_bytes: usize,
    /// Largest request head (request line plus headers); more is answered 431. Default 64 KiB.
    pub max_head_bytes: usize,
    /// Threads of the small async runtime that does all network IO. Default 1.
    pub io_threads: usize,
    /// Threads that run [`crate::Handler::handle`]. Default 2 × cores, clamped to 2..=16.
    pub handler_threads: usize,
    /// Requests (with their bodies read) waiting for a free handler thread. One more is answered `503`.
    /// Default 128.
    pub queue_length: usize,
    /// On stop, how long requests already being handled may take to finish. Default 10 s.
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The default number of handler threads on this machine: 2 × cores, clamped to 2..=16.
    pub fn default_handler_threads() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_mul(2)
            .clamp(2, 16)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            keep_alive_idle: Duration::from_secs(60),
            body_idle: Duration::from_secs(30),
            body_total: Duration::from_secs(300),
            write_stall: Duration::from_secs(30),
            max_connections: 512,
            max_refusing: 64,
            max_body_bytes: 100 * 1024 * 1024,
            max_buffered_body_bytes: 512 * 1024 * 1024,
            max_head_bytes: 64 * 1024,
            io_threads: 1,
            handler_threads: Limits::default_handler_threads(),
            queue_length: 128,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
