//! `_bulk` over HTTP(S) with ureq: keep-alive connections, round-robin over several base URLs, basic auth or
//! API key, TLS settings of `tls`, and the product check (`GET /`, see `product`) that decides whether the
//! requests ask for Elasticsearch 8's compatibility mode.
//!
//! One request goes to one URL; the next request (a retry included) goes to the next URL, so a dead node is
//! skipped by the retry. Status mapping: 2xx with a JSON body → `Ok`; connection errors, timeouts, 408, 429,
//! 5xx, and 401/403/404 (a misconfigured or still-starting cluster: fix and we carry on, nothing dropped) →
//! `Retryable`; any other 4xx (400 malformed, 413 too large) → `Fatal`, which the worker answers by splitting
//! the request down to the refused document.

use super::product::{self, Product, Unsupported};
use super::response::BulkResponse;
use super::tls::{ClientTls, TlsSetupError};
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

impl Auth {
    /// The `Authorization` header value, if any.
    pub fn header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::ApiKey(key) => Some(format!("ApiKey {key}")),
        }
    }
}

/// `Content-Type` of a `_bulk` body in Elasticsearch 8's compatibility mode.
const COMPATIBLE_NDJSON: &str = "application/vnd.elasticsearch+x-ndjson; compatible-with=8";
/// `Accept` in Elasticsearch 8's compatibility mode.
const COMPATIBLE_JSON: &str = "application/vnd.elasticsearch+json; compatible-with=8";

/// Why the target cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("no Elasticsearch URL")]
    NoUrl,
    #[error("elasticsearch.{0}")]
    Tls(#[from] TlsSetupError),
}

/// Why the product check did not pass.
#[derive(Debug, thiserror::Error)]
pub enum ProductCheckError {
    /// Nothing usable answered (connection, TLS or credentials): worth retrying once fixed.
    #[error("{0}")]
    Unreachable(String),
    /// Something answered that the indexer does not write to.
    #[error("{url}: {reason}")]
    Unsupported { url: String, reason: Unsupported },
}

/// An Elasticsearch-compatible `_bulk` endpoint (one or several nodes).
pub struct HttpBulkTarget {
    agent: ureq::Agent,
    base_urls: Vec<String>,
    bulk_urls: Vec<String>,
    next: AtomicUsize,
    authorization: Option<String>,
    /// Set by the product check: `(Content-Type, Accept)` of Elasticsearch 8's compatibility mode.
    compatibility: Option<(&'static str, &'static str)>,
}

impl HttpBulkTarget {
    /// `base_urls` like `http://127.0.0.1:9200` (no trailing slash needed); `timeout` bounds one request.
    pub fn new(
        base_urls: &[String],
        auth: &Auth,
        timeout: Duration,
        tls: &ClientTls,
    ) -> Result<HttpBulkTarget, HttpSetupError> {
        if base_urls.is_empty() {
            return Err(HttpSetupError::NoUrl);
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            .max_idle_connections_per_host(16)
            .max_idle_age(Duration::from_secs(30))
            .build();
        let base_urls: Vec<String> = base_urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_string())
            .collect();
        Ok(HttpBulkTarget {
            agent: super::tls::agent(tls, config)?,
            bulk_urls: base_urls.iter().map(|u| format!("{u}/_bulk")).collect(),
            base_urls,
            next: AtomicUsize::new(0),
            authorization: auth.header(),
            compatibility: None,
        })
    }

    /// `GET /` on each URL until one answers: which product it is. Elasticsearch 8 and later (and
    /// logpipe's store) are then sent 8.x compatibility headers. Connection, TLS and credential failures
    /// are `Unreachable` with a hint naming the option to check.
    pub fn check_product(&mut self) -> Result<Product, ProductCheckError> {
        let mut failures = Vec::new();
        for url in &self.base_urls {
            let mut request = self.agent.get(&format!("{url}/"));
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            let mut response = match request.call() {
                Ok(response) => response,
                Err(e) => {
                    failures.push(format!("{url}: {}", explain_transport_error(&e)));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let header = response
                .headers()
                .get("x-elastic-product")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = response
                .body_mut()
                .with_config()
                .limit(1024 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            match status {
                200..=299 => {
                    let product = product::identify(header.as_deref(), &body).map_err(|reason| {
                        ProductCheckError::Unsupported {
                            url: url.clone(),
                            reason,
                        }
                    })?;
                    self.compatibility = product
                        .compatible_with()
                        .map(|_| (COMPATIBLE_NDJSON, COMPATIBLE_JSON));
                    return Ok(product);
                }
                401 => failures.push(format!(
                    "{url}: HTTP 401: the credentials were refused: check elasticsearch.user / password \
                     or api_key"
                )),
                403 => failures.push(format!(
                    "{url}: HTTP 403: the user may not read the cluster's root (it needs the `monitor` \
                     cluster privilege)"
                )),
                _ => failures.push(format!(
                    "{url}: HTTP {status} from GET /: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )),
            }
        }
        Err(ProductCheckError::Unreachable(failures.join("; ")))
    }
}

/// A transport error with the option to check when the cause is TLS.
fn explain_transport_error(error: &ureq::Error) -> String {
    let text = error.to_string();
    if text.contains("NotValidForName") || text.contains("not valid for name") {
        format!(
            "{text}: the certificate does not name this host: use the name it holds in the URL, or \
             ssl_verification_mode = \"certificate\""
        )
    } else if text.contains("UnknownIssuer") || text.contains("certificate") {
        format!(
            "{text}: the server's certificate is not trusted: check elasticsearch.ssl_certificate_authorities \
             (and ssl_verification_mode)"
        )
    } else {
        format!("cannot reach it: {text}")
    }
}

impl BulkTarget for HttpBulkTarget {
    fn bulk(&self, body: &[u8]) -> Result<BulkResponse, BulkError> {
        let url = &self.bulk_urls[self.next.fetch_add(1, Ordering::Relaxed) % self.bulk_urls.len()];
        let (content_type, accept) = self
            .compatibility
            .unwrap_or(("application/x-ndjson", "application/json"));
        let mut request = self
            .agent
            .post(url)
            .header("Content-Type", content_type)
            .header("Accept", accept);
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request
            .send(body)
            .map_err(|e| BulkError::Retryable(format!("{url}: {}", explain_transport_error(&e))))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| BulkError::Retryable(format!("{url}: reading the response: {e}")))?;
        let excerpt = || String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned();
        match status {
            200..=299 => serde_json::from_slice::<BulkResponse>(&bytes).map_err(|e| {
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
    //! Against a server scripted per request (on logpipe's HTTP serving layer): status mapping and round
    //! robin. (The end-to-end tests run against logpipe's real store.)
    use super::*;
    use parking_lot::Mutex;
    use std::sync::mpsc;

    /// (path, Authorization header, body) of one request seen.
    type Seen = (String, Option<String>, Vec<u8>);

    /// Answers each request with the next scripted (status, body), reporting what it saw.
    struct Scripted {
        answers: Mutex<std::vec::IntoIter<(u16, &'static str)>>,
        seen: Mutex<mpsc::Sender<Seen>>,
    }

    impl logpipe_http::Handler for Scripted {
        fn handle(&self, request: logpipe_http::Request) -> logpipe_http::Response {
            let auth = request.header("authorization").map(str::to_string);
            let _ =
                self.seen
                    .lock()
                    .send((request.path().to_string(), auth, request.body.to_vec()));
            let (status, body) = self.answers.lock().next().unwrap_or((500, "script ended"));
            let status = logpipe_http::StatusCode::from_u16(status)
                .unwrap_or(logpipe_http::StatusCode::INTERNAL_SERVER_ERROR);
            logpipe_http::Response::text(status, body)
        }
    }

    fn scripted_server(
        answers: Vec<(u16, &'static str)>,
    ) -> (String, mpsc::Receiver<Seen>, logpipe_http::Server) {
        let (tx, rx) = mpsc::channel();
        let handler = Scripted {
            answers: Mutex::new(answers.into_iter()),
            seen: Mutex::new(tx),
        };
        let server = logpipe_http::serve(
            "127.0.0.1:0",
            logpipe_http::Limits::default(),
            None,
            std::sync::Arc::new(handler),
        )
        .expect("serve");
        (format!("http://{}", server.addr()), rx, server)
    }

    #[test]
    fn statuses_map_to_retryable_fatal_or_ok() {
        let ok = r#"{"errors":false,"items":[{"index":{"status":201}}]}"#;
        let (url, seen, _server) = scripted_server(vec![
            (503, "busy"),
            (429, "slow down"),
            (400, "bad body"),
            (200, "not json"),
            (200, ok),
        ]);
        let target = HttpBulkTarget::new(
            &[url],
            &Auth::ApiKey("k".into()),
            Duration::from_secs(5),
            &ClientTls::default(),
        )
        .expect("target");
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(r)) if r.contains("503")));
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(r)) if r.contains("429")));
        assert!(matches!(
            target.bulk(b"x\n"),
            Err(BulkError::Fatal { status: 400, .. })
        ));
        assert!(matches!(target.bulk(b"x\n"), Err(BulkError::Retryable(_))));
        assert_eq!(target.bulk(b"x\n").expect("ok").errors, Some(false));
        let (path, auth, body) = seen.recv().expect("request seen");
        assert_eq!(path, "/_bulk");
        assert_eq!(auth.as_deref(), Some("ApiKey k"));
        assert_eq!(body, b"x\n");
    }

    #[test]
    fn connection_errors_are_retryable_and_urls_rotate() {
        let ok = r#"{"errors":false,"items":[]}"#;
        let (url, _seen, _server) = scripted_server(vec![(200, ok)]);
        let dead = format!(
            "http://127.0.0.1:{}",
            crate::indexer::http::tests::closed_port()
        );
        let target = HttpBulkTarget::new(
            &[dead, url],
            &Auth::None,
            Duration::from_secs(5),
            &ClientTls::default(),
        )
        .expect("target");
        assert!(matches!(target.bulk(b""), Err(BulkError::Retryable(_))));
        assert!(target.bulk(b"").is_ok(), "the retry goes to the next URL");
    }

    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().map(|a| a.port()).expect("addr")
    }
}
