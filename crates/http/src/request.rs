//! What a handler receives: a request whose head is parsed, URL decoded and body read in full.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::target::Query;

/// A complete request. The layer has already read the whole body (within the limits) and decoded the
/// path; a request whose path does not decode never reaches a handler (the layer answers 400).
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The raw request target as sent: path and query, e.g. `/logs-%2A/_search?q=a+b`.
    pub target: String,
    /// The path split on `/` (empty segments dropped), each segment percent-decoded: `/logs-%2A/_search`
    /// is `["logs-*", "_search"]`.
    pub segments: Vec<String>,
    /// The decoded query string.
    pub query: Query,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole body (empty when there is none).
    pub body: Bytes,
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the request came over TLS (for `Secure` cookies).
    pub tls: bool,
}

impl Request {
    /// The raw path: the target up to `?` (still percent-encoded).
    pub fn path(&self) -> &str {
        raw_path(&self.target)
    }

    /// The raw query string, without `?` (empty when there is none).
    pub fn raw_query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The value of header `name` when it is present and visible ASCII (the first one if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The path part of a raw target: up to `?` or `#`.
pub(crate) fn raw_path(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or_default()
}
