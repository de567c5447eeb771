//! [`EsRequest`]: one request to the ES API, independent of the HTTP server that received it. It maps one to
//! one onto a request of the shared HTTP layer (method, percent-decoded path segments, decoded query
//! pairs, headers, body); the serving layer's request maps onto it field by field.

use bytes::Bytes;
use http::{HeaderMap, Method};

/// A request to the ES API.
#[derive(Debug, Clone)]
pub struct EsRequest {
    /// The method.
    pub method: Method,
    /// The path split on `/`, empty segments dropped, each percent-decoded: `/logs-%2A/_search` is
    /// `["logs-*", "_search"]`.
    pub segments: Vec<String>,
    /// The query string's `name=value` pairs in order, decoded as a form (`+` is a space).
    pub query: Vec<(String, String)>,
    /// The headers (the API reads `Accept`).
    pub headers: HeaderMap,
    /// The whole body (empty when there is none).
    pub body: Bytes,
}

impl EsRequest {
    /// A request with no query, header or body.
    pub fn new(method: Method, path: &str) -> EsRequest {
        EsRequest {
            method,
            segments: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// The value of URL parameter `name`; when it is repeated, the last one (as ES reads them).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of header `name` when it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path as the segments spell it (for error messages): `/a/b`.
    pub fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_of_a_repeated_parameter_wins() {
        let mut req = EsRequest::new(Method::GET, "/a//_search/");
        assert_eq!(req.segments, ["a", "_search"]);
        req.query = vec![
            ("size".into(), "1".into()),
            ("q".into(), "x".into()),
            ("size".into(), "2".into()),
        ];
        assert_eq!(req.param("size"), Some("2"));
        assert_eq!(req.param("q"), Some("x"));
        assert_eq!(req.param("from"), None);
        assert_eq!(req.path(), "/a/_search");
    }
}
