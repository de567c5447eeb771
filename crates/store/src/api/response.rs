//! [`EsResponse`]: the answer of the ES API (status, headers, whole body), independent of the HTTP server
//! that sends it; it maps one to one onto a response of the shared HTTP layer.
//!
//! Every response carries `X-Elastic-Product: Elasticsearch`. JSON answers use `application/json`, or,
//! when the client asks for `application/vnd.elasticsearch+json; compatible-with=N` (official clients 8.x
//! and 9.x do), that media type with the same `N`, which is what those clients expect. `_cat` answers in
//! text are `text/plain; charset=UTF-8`, as ES's.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::api::error::EsError;

/// The header every answer carries.
pub const PRODUCT_HEADER: &str = "x-elastic-product";

/// The media type of `_cat` text answers.
pub const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

/// An answer of the ES API.
#[derive(Debug, Clone)]
pub struct EsResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers (`Content-Type`, `X-Elastic-Product`).
    pub headers: HeaderMap,
    /// The body (empty for `HEAD`).
    pub body: Bytes,
}

impl EsResponse {
    /// A body of `content_type`.
    pub fn new(status: u16, content_type: HeaderValue, body: impl Into<Bytes>) -> EsResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type);
        headers.insert(
            HeaderName::from_static(PRODUCT_HEADER),
            HeaderValue::from_static("Elasticsearch"),
        );
        EsResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: body.into(),
        }
    }

    /// A JSON body already serialized, in the media type the request asked for.
    pub fn json_bytes(status: u16, body: impl Into<Bytes>, request: &HeaderMap) -> EsResponse {
        EsResponse::new(status, json_media_type(request), body)
    }

    /// A JSON body, in the media type the request asked for.
    pub fn json(status: u16, body: &Value, request: &HeaderMap) -> EsResponse {
        EsResponse::json_bytes(
            status,
            serde_json::to_vec(body).unwrap_or_default(),
            request,
        )
    }

    /// The ES error body of `error`.
    pub fn error(error: &EsError, request: &HeaderMap) -> EsResponse {
        EsResponse::json(error.status, &error.to_body(), request)
    }

    /// A `text/plain` body.
    pub fn text(status: u16, body: String) -> EsResponse {
        EsResponse::new(status, HeaderValue::from_static(TEXT_PLAIN), body)
    }

    /// The same answer without its body (for `HEAD`).
    pub fn without_body(mut self) -> EsResponse {
        self.body = Bytes::new();
        self
    }

    /// The body as text (tests and logs).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Whether the request's `Accept` asks for ES's versioned JSON (`application/vnd.elasticsearch+json`), and
/// with which compatibility version (8 when it names none).
fn compatible_with(request: &HeaderMap) -> Option<String> {
    let accept = request
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())?
        .to_ascii_lowercase();
    if !accept.contains("application/vnd.elasticsearch+json") {
        return None;
    }
    let version = accept
        .split("compatible-with=")
        .nth(1)
        .map(|v| {
            v.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "8".to_string());
    Some(version)
}

/// The media type of a JSON answer to a request with these headers.
pub fn json_media_type(request: &HeaderMap) -> HeaderValue {
    match compatible_with(request) {
        Some(version) => HeaderValue::from_str(&format!(
            "application/vnd.elasticsearch+json;compatible-with={version}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("application/json")),
        None => HeaderValue::from_static("application/json"),
    }
}

/// Whether the first media range of `Accept` names JSON (for answers that are text by default: `_cat`).
pub fn accepts_json_first(request: &HeaderMap) -> bool {
    let Some(accept) = request
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let first = accept
        .split(',')
        .next()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    first == "application/json" || first == "application/vnd.elasticsearch+json"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(http::header::ACCEPT, v);
        }
        h
    }

    /// (Accept, JSON media type, JSON first for `_cat`)
    #[test]
    fn media_types_follow_accept() {
        let cases = [
            ("", "application/json", false),
            ("*/*", "application/json", false),
            ("application/json", "application/json", true),
            (
                "application/vnd.elasticsearch+json; compatible-with=9",
                "application/vnd.elasticsearch+json;compatible-with=9",
                true,
            ),
            (
                "application/vnd.elasticsearch+json",
                "application/vnd.elasticsearch+json;compatible-with=8",
                true,
            ),
            ("text/plain,application/json", "application/json", false),
        ];
        for (value, media_type, json_first) in cases {
            let headers = accept(value);
            assert_eq!(json_media_type(&headers), media_type, "{value:?}");
            assert_eq!(accepts_json_first(&headers), json_first, "{value:?}");
        }
        let r = EsResponse::text(200, "x\n".into());
        assert_eq!(r.header("content-type"), Some(TEXT_PLAIN));
        assert_eq!(r.header(PRODUCT_HEADER), Some("Elasticsearch"));
    }
}
