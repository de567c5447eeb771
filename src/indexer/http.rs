//! `_bulk` over HTTP(S) with ureq: keep-alive connections, round-robin over several base URLs, basic auth or
//! API key.
//!
//! One request goes to one URL; the next request (a retry included) goes to the next URL, so a dead node is
//! skipped by the retry. Status mapping: 2xx with a JSON body → `Ok`; connection errors, timeouts, 408, 429,
//! 5xx, and 401/403/404 (a misconfigured or still-starting cluster: fix and we carry on, nothing dropped) →
//! `Retryable`; any other 4xx (400 malformed, 413 too large) → `Fatal`, which the worker answers by splitting
//! the request down to the refused document.

use super::{BulkError, BulkTarget};
use base64::Engine;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Largest `_bulk` response read (ES answers ~100 bytes per item).
const MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;

/// Credentials sent with every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    ApiKey(String),
}

/// An Elasticsearch-compatible `_bulk` endpoint (one or several nodes).
pub struct HttpBulkTarget {
    agent: ureq::Agent,
    bulk_urls: Vec<String>,
    next: AtomicUsize,
    authorization: Option<String>,
}

impl HttpBulkTarget {
    /// `base_urls` like `http://127.0.0.1:9200` (no trailing slash needed); `timeout` bounds one request.
    pub fn new(
        base_urls: &[String],
        auth: &Auth,
        timeout: Duration,
    ) -> Result<HttpBulkTarget, String> {
        if base_urls.is_empty() {
            return Err("no Elasticsearch URL".into());
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            .max_idle_connections_per_host(16)
            .max_idle_age(Duration::from_secs(30))
            .build();
        let authorization = match auth {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::ApiKey(key) => Some(format!("ApiKey {key}")),
        };
        Ok(HttpBulkTarget {
            agent: config.into(),
            bulk_urls: base_urls
                .iter()
                .map(|u| format!("{}/_bulk", u.trim_end_matches('/')))
                .collect(),
            next: AtomicUsize::new(0),
            authorization,
        })
    }
}

impl BulkTarget for HttpBulkTarget {
    fn bulk(&self, body: &[u8]) -> Result<serde_json::Value, BulkError> {
        let url = &self.bulk_urls[self.next.fetch_add(1, Ordering::Relaxed) % self.bulk_urls.len()];
        let mut request = self
            .agent
            .post(url)
            .header("Content-Type", "application/x-ndjson");
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request
            .send(body)
            .map_err(|e| BulkError::Retryable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| BulkError::Retryable(format!("{url}: reading the response: {e}")))?;
        let excerpt = || String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned();
        match status {
            200..=299 => serde_json::from_slice(&bytes).map_err(|e| {
                BulkError::Retryable(format!(
                    "{url}: the response is not JSON ({e}): {}",
                    excerpt()
                ))
            }),
            401 | 403 | 404 | 408 | 429 | 500..=599 => Err(BulkError::Retryable(format!(
                "{url}: HTTP {status}: {}",
                excerpt()
            ))),
            _ => Err(BulkError::Fatal {
                status,
                reason: format!("{url}: {}", excerpt()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a tiny_http server scripted per request: status mapping and round robin. (The end-to-end tests
    //! run against logpipe's real store.)
    use super::*;
    use std::sync::mpsc;

    /// (path, Authorization header, body) of one request seen.
    type Seen = (String, Option<String>, Vec<u8>);

    fn scripted_server(answers: Vec<(u16, &'static str)>) -> (String, mpsc::Receiver<Seen>) {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind");
        let port = server.server_addr().to_ip().map(|a| a.port()).expect("ip");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (status, body) in answers {
                let Ok(mut request) = server.recv() else {
                    return;
                };
                let mut content = Vec::new();
                let _ = request.as_reader().read_to_end(&mut content);
                let auth = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.to_string());
                let _ = tx.send((request.url().to_string(), auth, content));
                let _ = request
                    .respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        (format!("http://127.0.0.1:{port}"), rx)
    }

    #[test]
    fn statuses_map_to_retryable_fatal_or_ok() {
        let ok = r#"{"errors":false,"items":[{"index":{"status":201}}]}"#;
        let (url, seen) = scripted_server(vec![
            (503, "busy"),
            (429, "slow down"),
            (400, "bad body"),
            (200, "not json"),
            (200, ok),
        ]);
        let target = HttpBulkTarget::new(&[url], &Auth::ApiKey("k".into()), Duration::from_secs(5))
            .expect("target");
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(r)) if r.contains("503")));
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(r)) if r.contains("429")));
        assert!(matches!(
            target.bulk(b"x\n"),
            Err(BulkError::Fatal { status: 400, .. })
        ));
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(_))));
        assert_eq!(target.bulk(b"x\n").expect("ok")["errors"], false);
        let (path, auth, body) = seen.recv().expect("request seen");
        assert_eq!(path, "/_bulk");
        assert_eq!(auth.as_deref(), Some("ApiKey k"));
        assert_eq!(body, b"x\n");
    }

    #[test]
    fn connection_errors_are_retryable_and_urls_rotate() {
        let ok = r#"{"errors":false,"items":[]}"#;
        let (url, _seen) = scripted_server(vec![(200, ok)]);
        let dead = format!(
            "http://127.0.0.1:{}",
            crate::indexer::http::tests::closed_port()
        );
        let target =
            HttpBulkTarget::new(&[dead, url], &Auth::None, Duration::from_secs(5)).expect("target");
        assert!(matches!(target.bulk(b""), Err(BulkError::Retryable(_))));
        assert!(target.bulk(b"").is_ok(), "the retry goes to the next URL");
    }

    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().map(|a| a.port()).expect("addr")
    }
}
