//! The JSON API under `/api/`: routing, input validation, the write guard, and error bodies.
//!
//! Every response is JSON. Errors are `{"error": {"kind", "message", "details"}}` with a status that says
//! whose fault it is: 400 `bad_request` (our validation) or `bad_query` (the backend refused the query),
//! 401 `unauthorized` / 403 `forbidden` (writes), 404, 409 `conflict` (etcd compare-and-swap lost),
//! 502 `backend_unreachable`, 503 `etcd_unavailable` / `etcd_not_configured`.
//!
//! Writes (`PUT /api/collect/{host}`) need `Authorization: Bearer <token>` matching the configured token
//! (compared in constant time); without a configured token, or with `--read-only`, there are no writes at all.

use super::backend::{BackendError, SearchBackend};
use super::collect;
use super::etcd_gateway::{EtcdError, EtcdGateway};
use super::queries::{
    metric_hosts_body, shape_fields, shape_histogram, shape_hits, shape_metrics, validate_index,
    MetricsRequest, RangeRequest, SearchRequest, TailRequest,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// Largest accepted API request body.
pub const MAX_API_BODY: usize = 1 << 20;

/// What the API serves from.
pub struct ApiState {
    pub backend: Arc<dyn SearchBackend>,
    pub etcd: Option<EtcdGateway>,
    pub auth_token: Option<String>,
    pub read_only: bool,
    /// The index pattern Discover opens with when the user has not chosen one; `None`: the family of the
    /// index holding the newest document.
    pub default_index: Option<String>,
    pub collect_prefix: String,
    pub status_prefix: String,
}

/// A response: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

fn ok(body: Value) -> Reply {
    Reply { status: 200, body }
}

fn fail(status: u16, kind: &str, message: impl Into<String>, details: Vec<String>) -> Reply {
    Reply {
        status,
        body: json!({"error": {"kind": kind, "message": message.into(), "details": details}}),
    }
}

fn bad_request(message: impl Into<String>) -> Reply {
    fail(400, "bad_request", message, Vec::new())
}

fn backend_error(e: BackendError) -> Reply {
    match e {
        BackendError::Unreachable(_) => fail(502, "backend_unreachable", e.to_string(), Vec::new()),
        BackendError::Rejected { status, ref reason } if status < 500 => {
            fail(400, "bad_query", reason.clone(), Vec::new())
        }
        BackendError::Rejected { .. } => fail(502, "backend_error", e.to_string(), Vec::new()),
    }
}

fn etcd_error(e: EtcdError) -> Reply {
    match e {
        EtcdError::Conflict { current } => Reply {
            status: 409,
            body: json!({"error": {"kind": "conflict", "message": e.to_string(), "details": [],
                                   "current_revision": current}}),
        },
        EtcdError::Unavailable(_) => fail(503, "etcd_unavailable", e.to_string(), Vec::new()),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("request body: {e}")))
}

/// Equal-length-independent comparison that does not stop at the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

impl ApiState {
    /// Whether this console accepts writes at all.
    pub fn writes_enabled(&self) -> bool {
        !self.read_only && self.auth_token.is_some() && self.etcd.is_some()
    }

    /// `Ok` when `authorization` carries the configured token.
    fn authorize(&self, authorization: Option<&str>) -> Result<(), Reply> {
        if self.read_only {
            return Err(fail(
                403,
                "forbidden",
                "this console is read-only (--read-only)",
                Vec::new(),
            ));
        }
        let Some(token) = &self.auth_token else {
            return Err(fail(
                403,
                "forbidden",
                "writes are disabled: start the console with --auth-token or LOGPIPE_CONSOLE_TOKEN",
                Vec::new(),
            ));
        };
        let given = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if given.is_empty() || !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return Err(fail(
                401,
                "unauthorized",
                "a valid bearer token is required for changes",
                Vec::new(),
            ));
        }
        Ok(())
    }

    fn etcd(&self) -> Result<&EtcdGateway, Reply> {
        self.etcd.as_ref().ok_or_else(|| {
            fail(
                503,
                "etcd_not_configured",
                "no etcd configured: start the console with --etcd http://host:2379",
                Vec::new(),
            )
        })
    }

    /// Serves one API request. `path` has no query string.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let result = match (method, path) {
            ("GET", "/api/info") => Ok(self.info()),
            ("GET", "/api/indices") => self.indices(),
            ("POST", "/api/search") => self.search(body),
            ("POST", "/api/histogram") => self.histogram(body),
            ("POST", "/api/fields") => self.fields(body),
            ("POST", "/api/tail") => self.tail(body),
            ("POST", "/api/metrics/hosts") => self.metric_hosts(body),
            ("POST", "/api/metrics") => self.metrics(body),
            ("GET", "/api/fleet") => self.fleet(),
            ("GET", "/api/collect") => self.collect(),
            ("POST", "/api/collect/validate") => self.validate_collect(body),
            ("PUT", p) if p.starts_with("/api/collect/") => self
                .authorize(authorization)
                .and_then(|()| self.save_collect(&p["/api/collect/".len()..], body)),
            (_, p) if known(p) => Err(fail(
                405,
                "method_not_allowed",
                format!("{method} {p}"),
                Vec::new(),
            )),
            _ => Err(fail(
                404,
                "not_found",
                format!("no API at {path}"),
                Vec::new(),
            )),
        };
        result.unwrap_or_else(|reply| reply)
    }

    fn info(&self) -> Reply {
        ok(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "read_only": self.read_only,
            "writes_enabled": self.writes_enabled(),
            "etcd": self.etcd.is_some(),
            "default_index": self.default_index,
        }))
    }

    fn indices(&self) -> Result<Reply, Reply> {
        let names = self.backend.indices().map_err(backend_error)?;
        let newest = self.newest_family();
        let first = self.default_index.as_deref().or(newest.as_deref());
        Ok(ok(json!({
            "indices": names,
            "patterns": patterns(&names, first),
            "newest": newest,
        })))
    }

    /// The index pattern of the family (`prefix-*` for daily indices) holding the newest document, if any
    /// index has one. A failed search answers `None`: the page then offers the patterns without a choice.
    fn newest_family(&self) -> Option<String> {
        let newest = json!({"size": 1, "sort": [{"@timestamp": "desc"}], "_source": false});
        let response = self.backend.search("*", &newest).ok()?;
        let index = response["hits"]["hits"][0]["_index"].as_str()?;
        (!index.starts_with('.')).then(|| family(index))
    }

    fn search(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: SearchRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(&request.index, &request.body())
            .map_err(backend_error)?;
        Ok(ok(shape_hits(&response)))
    }

    fn histogram(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: RangeRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(&request.index, &request.histogram_body())
            .map_err(backend_error)?;
        Ok(ok(shape_histogram(
            &response,
            request.from_ms,
            request.to_ms,
        )))
    }

    fn fields(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: RangeRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(&request.index, &request.fields_body())
            .map_err(backend_error)?;
        Ok(ok(shape_fields(&response)))
    }

    fn tail(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: TailRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(&request.index, &request.body())
            .map_err(backend_error)?;
        Ok(ok(shape_hits(&response)))
    }

    fn metric_hosts(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: RangeRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(
                &request.index,
                &metric_hosts_body(request.from_ms, request.to_ms),
            )
            .map_err(backend_error)?;
        let hosts: Vec<Value> = response["aggregations"]["hosts"]["buckets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| b["key"].clone())
            .collect();
        Ok(ok(json!({ "hosts": hosts })))
    }

    fn metrics(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: MetricsRequest = parse(body)?;
        request.validate().map_err(bad_request)?;
        let response = self
            .backend
            .search(&request.index, &request.body())
            .map_err(backend_error)?;
        Ok(ok(shape_metrics(&response, request.from_ms, request.to_ms)))
    }

    fn fleet(&self) -> Result<Reply, Reply> {
        let etcd = self.etcd()?;
        let statuses = etcd.prefix(&self.status_prefix).map_err(etcd_error)?;
        let now = chrono::Utc::now();
        let processes: Vec<Value> = statuses
            .iter()
            .map(|kv| {
                let status: Value = serde_json::from_slice(&kv.value)
                    .unwrap_or_else(|e| json!({"parse_error": e.to_string()}));
                let age = status["updated_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| {
                        (now - t.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0
                    });
                let lag: u64 = status["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["lag_bytes"].as_u64())
                    .sum();
                json!({"key": kv.key, "heartbeat_age_s": age, "lag_bytes": lag, "status": status})
            })
            .collect();
        Ok(ok(json!({ "processes": processes })))
    }

    fn collect(&self) -> Result<Reply, Reply> {
        let etcd = self.etcd()?;
        let collect = etcd.prefix(&self.collect_prefix).map_err(etcd_error)?;
        let statuses = etcd
            .prefix(&format!("{}agent/", self.status_prefix))
            .map_err(etcd_error)?;
        let mut view = collect::hosts_view(&self.collect_prefix, &collect, &statuses);
        view["writes_enabled"] = json!(self.writes_enabled());
        Ok(ok(view))
    }

    fn validate_collect(&self, body: &[u8]) -> Result<Reply, Reply> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Check {
            host: String,
            entries: Vec<Value>,
        }
        let check: Check = parse(body)?;
        Ok(
            match collect::validate_entries(&check.host, &check.entries) {
                Ok(_) => ok(json!({"valid": true, "errors": []})),
                Err(errors) => ok(json!({"valid": false, "errors": errors})),
            },
        )
    }

    fn save_collect(&self, host: &str, body: &[u8]) -> Result<Reply, Reply> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Save {
            entries: Vec<Value>,
            /// The key's mod_revision when the page read it (0: it did not exist).
            revision: i64,
        }
        let save: Save = parse(body)?;
        let entries = collect::validate_entries(host, &save.entries).map_err(|errors| {
            fail(
                400,
                "bad_request",
                "the entries are not valid; nothing was saved",
                errors,
            )
        })?;
        let value = serde_json::to_string(&entries)
            .map_err(|e| fail(500, "internal", e.to_string(), Vec::new()))?;
        let key = format!("{}{host}", self.collect_prefix);
        let revision = self
            .etcd()?
            .put(&key, value, save.revision)
            .map_err(etcd_error)?;
        log::info!(
            "console: wrote {} entries to {key} at revision {revision}",
            entries.len()
        );
        Ok(ok(
            json!({"key": key, "revision": revision, "entries": entries}),
        ))
    }
}

fn known(path: &str) -> bool {
    matches!(
        path,
        "/api/info"
            | "/api/indices"
            | "/api/search"
            | "/api/histogram"
            | "/api/fields"
            | "/api/tail"
            | "/api/metrics"
            | "/api/metrics/hosts"
            | "/api/fleet"
            | "/api/collect"
            | "/api/collect/validate"
    ) || path.starts_with("/api/collect/")
}

/// `prefix-*` for a daily index `prefix-YYYY.MM.dd`, else the index name itself.
fn family(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((prefix, date)) if date.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            format!("{prefix}-*")
        }
        _ => name.to_string(),
    }
}

/// Index patterns to offer: `first` (the configured default or the newest family), `prefix-*` for each
/// daily family, then every index.
fn patterns(names: &[String], first: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = first.map(str::to_string).into_iter().collect();
    for name in names {
        let family = family(name);
        if !out.contains(&family) && validate_index(&family).is_ok() {
            out.push(family);
        }
    }
    for name in names {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_group_daily_indices() {
        let names = vec![
            "logpipe-2026.11.21".to_string(),
            "logpipe-2026.11.22".to_string(),
            "other".to_string(),
        ];
        assert_eq!(
            patterns(&names, Some("logpipe-*")),
            vec![
                "logpipe-*",
                "other",
                "logpipe-2026.11.21",
                "logpipe-2026.11.22"
            ]
        );
        assert_eq!(
            patterns(&names, None),
            vec![
                "logpipe-*",
                "other",
                "logpipe-2026.11.21",
                "logpipe-2026.11.22"
            ]
        );
        assert_eq!(patterns(&names, Some("other"))[0], "other");
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
