//! What a handler returns: a status, headers and a complete body.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};

/// A complete response. The layer sets `Content-Length` (and `Date`) itself; a `Content-Length` or
/// `Transfer-Encoding` set here is ignored. For `HEAD` the body is not sent.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with no header and an empty body.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A body of `content_type`.
    pub fn bytes(
        status: StatusCode,
        content_type: HeaderValue,
        body: impl Into<Bytes>,
    ) -> Response {
        Response::new(status)
            .with_header(CONTENT_TYPE, content_type)
            .with_body(body)
    }

    /// A `text/plain; charset=utf-8` body.
    pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
        Response::bytes(
            status,
            HeaderValue::from_static("text/plain; charset=utf-8"),
            body.into(),
        )
    }

    /// An `application/json` body, already serialized.
    pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Response {
        Response::bytes(status, HeaderValue::from_static("application/json"), body)
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Response {
        self.body = body.into();
        self
    }

    /// Sets header `name` (replacing any value it had).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Response {
        self.headers.insert(name, value);
        self
    }

    /// Sets header `name` from text. A value that cannot be a header value (a control character, a
    /// newline) is not set, and a warning is logged: it is a bug of the caller, not of the client.
    pub fn with_header_text(mut self, name: HeaderName, value: &str) -> Response {
        match HeaderValue::from_str(value) {
            Ok(value) => {
                self.headers.insert(name, value);
            }
            Err(_) => log::warn!("http: not setting header {name} to the invalid value {value:?}"),
        }
        self
    }
}
