//! logpipe's one HTTP serving layer, used by the store (ES REST API), the console (web app and JSON API)
//! and the metrics endpoint, and hardened against hostile clients.
//!
//! HTTP/1.1 is spoken by hyper on a small tokio runtime owned by the server (one IO thread by
//! default). A connection costs a task and a few kilobytes, not a thread, so idle or stalled clients
//! cost nearly nothing. Handlers are synchronous ([`Handler::handle`]): the layer reads the whole body
//! first, asynchronously and within its limits, then queues the complete [`Request`] for a bounded pool
//! of handler threads. A client that stalls therefore never holds a handler thread.
//!
//! What the layer guarantees, with the [`Limits`] that set it:
//! - a request head must arrive within `header_read` (also a client that connects and sends nothing,
//!   and the TLS handshake); a kept-alive connection idle for `keep_alive_idle` is closed;
//! - a body must keep arriving (`body_idle`) and be complete within `body_total`, else 408;
//! - a body over the limit is refused with 413 before it is read (from `Content-Length`) or as soon as
//!   a chunked body passes it; a response the client does not read for `write_stall` closes it;
//! - at most `max_connections` connections are served; more are answered 503 and closed;
//! - request bodies held at once take at most `max_buffered_body_bytes`; past it, 503;
//! - accept errors (EMFILE, ENFILE...) are logged at a bounded rate and retried with back-off: the
//!   listener is never given up;
//! - malformed framing (conflicting or invalid `Content-Length`, garbage chunk sizes) is a 400 or a
//!   closed connection (hyper's parser, RFC 9112); a `Content-Length` beside `Transfer-Encoding:
//!   chunked` is ignored and the connection closed after the answer, so nothing can be smuggled;
//! - a path that does not percent-decode to UTF-8 is a 400 made by the layer;
//! - a handler panic is a 500 for that request only; the layer itself has no `unwrap` on client input.
//!
//! Every refusal is rendered by the consumer ([`Handler::refuse`]), in its own error format.
//!
//! The README (limits table, the reasons for this design, measurements) is tested as documentation:
#![doc = include_str!("../README.md")]

mod accept;
mod body;
mod budget;
mod connection;
mod error;
mod handler;
mod io;
mod limits;
mod phase;
mod pool;
mod request;
mod response;
mod server;
mod service;
mod shared;
mod stats;
mod target;
mod tls;

pub use error::{ServeError, TlsError};
pub use handler::{Handler, Refusal, RefusalKind};
pub use limits::Limits;
pub use request::Request;
pub use response::Response;
pub use server::{serve, LivenessProbe, Server, StopHandle};
pub use stats::{Stats, StatsSnapshot};
pub use target::{decode_segments, PathError, Query};
pub use tls::{ClientAuth, TlsSettings};

/// The body type.
pub use bytes::Bytes;
/// The `http` crate's types used in the API, re-exported so consumers need not name a version.
pub use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
