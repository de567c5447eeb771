//! A small Elasticsearch REST client over ureq for tests: `_count`, `_search`, waiting for a count.

use serde_json::Value;
use std::time::{Duration, Instant};

/// Talks to an ES-compatible API at `url`.
pub struct EsClient {
    pub url: String,
    agent: ureq::Agent,
    authorization: Option<String>,
}

impl EsClient {
    pub fn new(url: &str) -> EsClient {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        EsClient {
            url: url.trim_end_matches('/').to_string(),
            agent,
            authorization: None,
        }
    }

    /// Over HTTPS trusting `ca_file`, as `user` with `password` (basic auth).
    pub fn secured(url: &str, ca_file: &std::path::Path, user: &str, password: &str) -> EsClient {
        use base64::Engine;
        let tls = logpipe::indexer::tls::ClientTls {
            certificate_authorities: vec![ca_file.to_path_buf()],
            ..Default::default()
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build();
        EsClient {
            url: url.trim_end_matches('/').to_string(),
            agent: logpipe::indexer::tls::agent(&tls, config).expect("TLS client"),
            authorization: Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
    }

    /// Any request: `method` on `path` (with its query string) with an optional JSON/NDJSON body; the status
    /// and the parsed body (`Null` when empty, a string when not JSON).
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url))
            .header("content-type", "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let request = request
            .body(body.unwrap_or("").as_bytes().to_vec())
            .expect("request");
        let mut response = self.agent.run(request).expect("HTTP request");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// `_count` of `index`; `None` while unreachable or the index is absent.
    pub fn count(&self, index: &str) -> Option<u64> {
        let mut request = self.agent.get(&format!("{}/{index}/_count", self.url));
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let mut response = request.call().ok()?;
        if response.status().as_u16() != 200 {
            return None;
        }
        let body: Value = response.body_mut().read_json().ok()?;
        body["count"].as_u64()
    }

    /// Waits until `_count` of `index` is `n`; panics after `timeout` without progress.
    pub fn wait_count(&self, index: &str, n: u64, timeout: Duration) {
        let mut last = None;
        let mut since = Instant::now();
        loop {
            let count = self.count(index);
            if count == Some(n) {
                return;
            }
            if count != last {
                last = count;
                since = Instant::now();
            }
            assert!(
                since.elapsed() < timeout,
                "_count of {index} stuck at {last:?}, expected {n}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `_search` with `query`; (status, body).
    pub fn search(&self, index: &str, query: &Value) -> (u16, Value) {
        let mut response = self
            .agent
            .post(&format!("{}/{index}/_search", self.url))
            .send_json(query)
            .expect("_search request");
        let status = response.status().as_u16();
        let body: Value = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_json()
            .expect("_search JSON");
        (status, body)
    }

    /// Every hit of `index` (at most 10 000): `_source` with `_id` added.
    pub fn all_documents(&self, index: &str) -> Vec<Value> {
        let (status, body) = self.search(
            index,
            &serde_json::json!({"size": 10000, "query": {"match_all": {}}}),
        );
        assert_eq!(status, 200, "_search: {body}");
        body["hits"]["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|hit| {
                let mut source = hit["_source"].clone();
                source["_id"] = hit["_id"].clone();
                source
            })
            .collect()
    }
}
