//! The one trait a consumer implements, and the refusals the layer makes on its own.

use std::fmt;

use http::{HeaderMap, Method, StatusCode};

use crate::request::Request;
use crate::response::Response;

/// A consumer of the layer (the store's ES API, the console, the metrics page).
///
/// [`Handler::handle`] is synchronous and runs on one of the layer's handler threads, never on an IO
/// thread, so it may take CPU time; it only ever sees a complete request. [`Handler::refuse`] and
/// [`Handler::max_body`] run on an IO thread and must be quick.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request. A panic here is caught: that request gets a 500 (through
    /// [`Handler::refuse`] with [`RefusalKind::HandlerPanicked`]) and the server goes on.
    fn handle(&self, request: Request) -> Response;

    /// Renders a refusal the layer makes itself (bad URL, body too large, timeout, overload) in the
    /// consumer's own error format. The default is a plain-text body. The layer sets `Connection: close`
    /// when the connection cannot be reused.
    fn refuse(&self, refusal: &Refusal) -> Response {
        Response::text(
            refusal.status(),
            format!("{} {}\n", refusal.status().as_u16(), refusal.message),
        )
    }

    /// The largest body accepted for `method` on `path` (the raw path, still percent-encoded); `None`
    /// (the default) is [`crate::Limits::max_body_bytes`].
    fn max_body(&self, _method: &Method, _path: &str) -> Option<usize> {
        None
    }
}

/// A request (or connection) the layer answers itself, without calling [`Handler::handle`].
#[derive(Debug, Clone)]
pub struct Refusal {
    /// What was refused.
    pub kind: RefusalKind,
    /// A sentence for a person, naming the limit or the input.
    pub message: String,
    /// The method, when a request head was read.
    pub method: Option<Method>,
    /// The headers of the refused request (empty when there was no request head), e.g. to choose a
    /// content type from `Accept`.
    pub headers: HeaderMap,
}

/// The refusals the layer makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The path does not percent-decode to UTF-8, or the body is malformed (garbage chunk sizes). 400.
    BadRequest,
    /// The body did not arrive within [`crate::Limits::body_idle`] / [`crate::Limits::body_total`]. 408.
    BodyTimeout,
    /// The body is over the limit (from `Content-Length`, or once a chunked body passes it). 413.
    BodyTooLarge,
    /// Every handler thread is busy and the queue is full, or the bodies held by the server would pass
    /// [`crate::Limits::max_buffered_body_bytes`]. 503.
    Overloaded,
    /// The server has [`crate::Limits::max_connections`] connections. 503.
    TooManyConnections,
    /// The server is stopping. 503.
    ShuttingDown,
    /// [`Handler::handle`] panicked. 500.
    HandlerPanicked,
}

impl Refusal {
    pub(crate) fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
            method: None,
            headers: HeaderMap::new(),
        }
    }

    pub(crate) fn for_request(mut self, method: &Method, headers: &HeaderMap) -> Refusal {
        self.method = Some(method.clone());
        self.headers = headers.clone();
        self
    }

    /// The HTTP status of this refusal.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl RefusalKind {
    /// The HTTP status of this kind of refusal.
    pub fn status(self) -> StatusCode {
        match self {
            RefusalKind::BadRequest => StatusCode::BAD_REQUEST,
            RefusalKind::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            RefusalKind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RefusalKind::Overloaded
            | RefusalKind::TooManyConnections
            | RefusalKind::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            RefusalKind::HandlerPanicked => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status(), self.message)
    }
}
