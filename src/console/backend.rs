//! The search backend behind the console: logpipe's store or a real Elasticsearch, reached over HTTP
//! ([`HttpBackend`], ureq) or, in `logpipe standalone`, the in-process store (`standalone::StoreBackend`).
//!
//! Both speak the same request and response bodies (`_search`, `_cat/indices`), so everything above this
//! module is one code path. Errors are values that keep apart "the backend is not there" (shown as
//! "search backend unreachable") from "the backend refused the request" (a bad query: its reason is shown).

use crate::indexer::http::Auth;
use crate::indexer::tls::ClientTls;
use serde_json::Value;
use std::time::Duration;

/// Why a backend call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendError {
    /// No answer (connection refused, timeout, unreadable body).
    Unreachable(String),
    /// The backend answered with an error status; `reason` is its error text.
    Rejected { status: u16, reason: String },
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendError::Unreachable(why) => write!(f, "search backend unreachable: {why}"),
            BackendError::Rejected { status, reason } => {
                write!(f, "search backend refused the request ({status}): {reason}")
            }
        }
    }
}

/// What the console needs from a search backend.
pub trait SearchBackend: Send + Sync {
    /// `POST /{index}/_search` with `body`.
    fn search(&self, index: &str, body: &Value) -> Result<Value, BackendError>;
    /// What a search can name: indices (`_cat/indices`, hidden `.`-prefixed ones such as the backing
    /// indices of data streams left out), data streams (`_data_stream`) and aliases (`_alias`). Only the
    /// indices are required: a user allowed to search but not to read index metadata (`view_index_metadata`)
    /// still gets its indices.
    fn targets(&self) -> Result<SearchTargets, BackendError>;
}

/// The names a search can target, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTargets {
    pub indices: Vec<String>,
    pub data_streams: Vec<String>,
    pub aliases: Vec<String>,
}

impl SearchTargets {
    /// Sorts every list, leaving out hidden (`.`-prefixed) names.
    pub fn visible(mut self) -> SearchTargets {
        for names in [&mut self.indices, &mut self.data_streams, &mut self.aliases] {
            names.retain(|n| !n.starts_with('.'));
            names.sort();
            names.dedup();
        }
        self
    }
}

/// The ES error body's most useful text: `error.root_cause[0].reason`, else `error.reason`, else the body.
pub fn error_reason(body: &Value) -> String {
    let error = &body["error"];
    error["root_cause"][0]["reason"]
        .as_str()
        .or_else(|| error["reason"].as_str())
        .or_else(|| error.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string().chars().take(300).collect())
}

/// A backend at an HTTP URL (`http://127.0.0.1:9200`).
pub struct HttpBackend {
    url: String,
    agent: ureq::Agent,
    /// `Authorization` header value, when the backend asks for credentials.
    authorization: Option<String>,
}

/// Why a search backend cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum BackendSetupError {
    #[error("--search `{0}` must start with http:// or https://")]
    Scheme(String),
    /// A TLS file or setting of `[elasticsearch]` cannot be used; the error names the key.
    #[error("elasticsearch.{0}")]
    Tls(#[from] crate::indexer::tls::TlsSetupError),
}

impl HttpBackend {
    /// `url` must be `http://` or `https://`; the timeout bounds every request.
    pub fn new(url: &str, timeout: Duration) -> Result<HttpBackend, BackendSetupError> {
        HttpBackend::secured(url, timeout, &Auth::None, &ClientTls::default())
    }

    /// [`HttpBackend::new`] with credentials and TLS settings (the transfer's `[elasticsearch]` ones).
    pub fn secured(
        url: &str,
        timeout: Duration,
        auth: &Auth,
        tls: &ClientTls,
    ) -> Result<HttpBackend, BackendSetupError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(BackendSetupError::Scheme(url.to_string()));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        let agent = crate::indexer::tls::agent(tls, config)?;
        Ok(HttpBackend {
            url: url.trim_end_matches('/').to_string(),
            agent,
            authorization: auth.header(),
        })
    }

    fn authorize<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }

    fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Value, BackendError> {
        let status = response.status().as_u16();
        let body: Value = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_json()
            .map_err(|e| BackendError::Unreachable(format!("unreadable response: {e}")))?;
        if status >= 300 {
            return Err(BackendError::Rejected {
                status,
                reason: error_reason(&body),
            });
        }
        Ok(body)
    }
}

impl SearchBackend for HttpBackend {
    fn search(&self, index: &str, body: &Value) -> Result<Value, BackendError> {
        let response = self
            .authorize(self.agent.post(&format!("{}/{index}/_search", self.url)))
            .send_json(body)
            .map_err(|e| BackendError::Unreachable(e.to_string()))?;
        HttpBackend::read(response)
    }

    fn targets(&self) -> Result<SearchTargets, BackendError> {
        let rows = self.get("_cat/indices?format=json&h=index")?;
        let indices = rows
            .as_array()
            .map(|rows| names_at(rows, "index"))
            .unwrap_or_default();
        // Optional: a read-only user may lack the privilege to list these.
        let data_streams = self
            .get("_data_stream")
            .ok()
            .and_then(|body| body["data_streams"].as_array().map(|s| names_at(s, "name")))
            .unwrap_or_default();
        let aliases = self
            .get("_alias")
            .ok()
            .and_then(|body| {
                body.as_object().map(|by_index| {
                    by_index
                        .values()
                        .filter_map(|index| index["aliases"].as_object())
                        .flat_map(|aliases| aliases.keys().cloned())
                        .collect()
                })
            })
            .unwrap_or_default();
        Ok(SearchTargets {
            indices,
            data_streams,
            aliases,
        }
        .visible())
    }
}

impl HttpBackend {
    /// `GET /{path}`, its JSON body.
    fn get(&self, path: &str) -> Result<Value, BackendError> {
        let response = self
            .authorize(self.agent.get(&format!("{}/{path}", self.url)))
            .call()
            .map_err(|e| BackendError::Unreachable(e.to_string()))?;
        HttpBackend::read(response)
    }
}

/// The string `key` of each object in `rows`.
fn names_at(rows: &[Value], key: &str) -> Vec<String> {
    rows.iter()
        .filter_map(|row| row[key].as_str())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_come_from_root_cause_first() {
        let body = serde_json::json!({"error": {"root_cause": [{"reason": "bad query"}], "reason": "all shards failed"}, "status": 400});
        assert_eq!(error_reason(&body), "bad query");
        let body = serde_json::json!({"error": {"reason": "no such index"}});
        assert_eq!(error_reason(&body), "no such index");
    }

    #[test]
    fn unreachable_backend_is_reported_as_such() {
        let backend =
            HttpBackend::new("http://127.0.0.1:1", Duration::from_secs(2)).expect("url ok");
        match backend.search("x", &serde_json::json!({})) {
            Err(BackendError::Unreachable(_)) => {}
            other => panic!("expected Unreachable, got {other:?}"),
        }
        assert!(HttpBackend::new("ftp://x", Duration::from_secs(1)).is_err());
    }
}
