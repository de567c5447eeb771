//! The JSON API under `/api/`: routing, input validation, the write guard, and error bodies.
//!
//! Every response is JSON. Errors are `{"error": {"kind", "message", "details"}}` with a status that says
//! whose fault it is: 400 `bad_request` (our validation) or `bad_query` (the backend refused the query),
//! 401 `unauthorized` / 403 `forbidden` (writes), 404, 409 `conflict` (etcd compare-and-swap lost),
//! 502 `backend_unreachable` / `backend_auth` (the backend refused the console's own credentials: 401 or
//! 403 from it), 503 `etcd_unavailable` / `etcd_not_configured`.
//!
//! 401 `login_required` (named users are configured and the caller has no session), 403 `csrf` /
//! `cross_site` (see `guard`), 429 `too_many_attempts` (login), 404, 409 `conflict` (etcd
//! compare-and-swap lost), 502 `backend_unreachable`, 503 `etcd_unavailable` / `etcd_not_configured`.
//!
//! Who may do what: `POST /api/login` / `POST /api/logout` / `GET /api/session` manage the session;
//! with named users every other route but `GET /api/info` needs a user (a session or the bearer token);
//! writes (`PUT /api/collect/{host}`, `POST /api/collect/{host}/restore`) need an editor (a viewer gets
//! 403), and there are none with `--read-only` or without users and token. Each write is recorded in
//! the audit trail (`audit`), shown by `GET /api/collect/{host}/history`.

use super::audit;
use super::backend::{BackendError, SearchBackend, SearchTargets};
use super::collect;
use super::etcd_gateway::{EtcdError, EtcdGateway};
use super::guard::Caller;
use super::login_limit::{Limited, LoginLimit};
use super::queries::{
    metric_hosts_body, shape_fields, shape_histogram, shape_hits, shape_metrics, validate_host,
    validate_index, MetricsRequest, RangeRequest, SearchRequest, TailRequest,
};
use super::sessions::{self, Sessions};
use super::users::{LoginRefused, Role, Users};
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
    /// The users file, roles file and bearer token.
    pub users: Users,
    pub sessions: Sessions,
    pub login_limit: LoginLimit,
    pub read_only: bool,
    /// The index pattern Discover opens with when the user has not chosen one; `None`: the family of the
    /// index holding the newest document.
    pub default_index: Option<String>,
    pub collect_prefix: String,
    pub status_prefix: String,
    /// etcd prefix of the audit records (`{audit_prefix}{host}/...`).
    pub audit_prefix: String,
}

/// One API request as the routes see it.
pub struct Call<'a> {
    pub method: &'a str,
    /// Without the query string.
    pub path: &'a str,
    pub caller: &'a Caller,
    pub peer: std::net::IpAddr,
    /// Whether it came over TLS (the cookie is then `Secure`).
    pub tls: bool,
    pub body: &'a [u8],
}

/// A response: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// Extra headers (`Set-Cookie`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn new(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }
}

fn ok(body: Value) -> Reply {
    Reply::new(200, body)
}

pub fn fail(status: u16, kind: &str, message: impl Into<String>, details: Vec<String>) -> Reply {
    Reply::new(
        status,
        json!({"error": {"kind": kind, "message": message.into(), "details": details}}),
    )
}

fn bad_request(message: impl Into<String>) -> Reply {
    fail(400, "bad_request", message, Vec::new())
}

fn backend_error(e: BackendError) -> Reply {
    match e {
        BackendError::Unreachable(_) => fail(502, "backend_unreachable", e.to_string(), Vec::new()),
        // The console's own credentials, not the user's query: no "bad query" for these.
        BackendError::Rejected {
            status: 401,
            ref reason,
        } => fail(
            502,
            "backend_auth",
            format!(
                "the search backend refused the console's credentials (401: {reason}): check user / \
                 password / api_key of [elasticsearch] in the console's config file"
            ),
            Vec::new(),
        ),
        BackendError::Rejected {
            status: 403,
            ref reason,
        } => fail(
            502,
            "backend_auth",
            format!(
                "the search backend does not allow the console's user this (403: {reason}): grant \
                 it read on these indices"
            ),
            Vec::new(),
        ),
        BackendError::Rejected { status, ref reason } if status < 500 => {
            fail(400, "bad_query", reason.clone(), Vec::new())
        }
        BackendError::Rejected { .. } => fail(502, "backend_error", e.to_string(), Vec::new()),
    }
}

fn etcd_error(e: EtcdError) -> Reply {
    match e {
        EtcdError::Conflict { current } => Reply::new(
            409,
            json!({"error": {"kind": "conflict", "message": e.to_string(), "details": [],
                             "current_revision": current}}),
        ),
        EtcdError::Unavailable(_) => fail(503, "etcd_unavailable", e.to_string(), Vec::new()),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("request body: {e}")))
}

impl ApiState {
    /// Whether this console accepts writes at all (from an editor).
    pub fn writes_enabled(&self) -> bool {
        !self.read_only && self.users.any() && self.etcd.is_some()
    }

    /// `Ok` when `caller` may change collect entries.
    fn authorize_write(&self, caller: &Caller) -> Result<(), Reply> {
        if self.read_only {
            return Err(fail(
                403,
                "forbidden",
                "this console is read-only (--read-only)",
                Vec::new(),
            ));
        }
        if !self.users.any() {
            return Err(fail(
                403,
                "forbidden",
                "writes are disabled: start the console with --users-file or --auth-token-file",
                Vec::new(),
            ));
        }
        match caller.role() {
            Some(Role::Editor) => Ok(()),
            Some(Role::Viewer) => Err(fail(
                403,
                "forbidden",
                format!(
                    "{} is a viewer: changes need the editor role",
                    caller.name().unwrap_or_default()
                ),
                Vec::new(),
            )),
            None => Err(fail(
                401,
                "unauthorized",
                "log in as an editor (or send a valid bearer token) to make changes",
                Vec::new(),
            )),
        }
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

    /// Serves one API request.
    pub fn handle(&self, call: &Call) -> Reply {
        let (method, path, body) = (call.method, call.path, call.body);
        let public = matches!(
            (method, path),
            ("GET", "/api/info")
                | ("GET", "/api/session")
                | ("POST", "/api/login")
                | ("POST", "/api/logout")
        );
        if !public && self.users.named() && call.caller.user.is_none() && known(path) {
            return fail(
                401,
                "login_required",
                "log in to use this console",
                Vec::new(),
            );
        }
        let result = match (method, path) {
            ("GET", "/api/info") => Ok(self.info()),
            ("GET", "/api/session") => Ok(self.session(call.caller)),
            ("POST", "/api/login") => self.login(call),
            ("POST", "/api/logout") => Ok(self.logout(call)),
            ("GET", "/api/indices") => self.indices(),
            ("POST", "/api/search") => self.search(body),
            ("POST", "/api/histogram") => self.histogram(body),
            ("POST", "/api/fields") => self.fields(body),
            ("POST", "/api/tail") => self.tail(body),
            ("POST", "/api/metrics/hosts") => self.metric_hosts(body),
            ("POST", "/api/metrics") => self.metrics(body),
            ("GET", "/api/fleet") => self.fleet(),
            ("GET", "/api/collect") => self.collect(call.caller),
            ("POST", "/api/collect/validate") => self.validate_collect(body),
            ("GET", p) if host_route(p, "/history").is_some() => {
                self.history(host_route(p, "/history").unwrap_or_default())
            }
            ("POST", p) if host_route(p, "/restore").is_some() => {
                self.authorize_write(call.caller).and_then(|()| {
                    self.restore(
                        host_route(p, "/restore").unwrap_or_default(),
                        call.caller,
                        body,
                    )
                })
            }
            ("PUT", p) if host_route(p, "").is_some() => {
                self.authorize_write(call.caller).and_then(|()| {
                    self.save_collect(host_route(p, "").unwrap_or_default(), call.caller, body)
                })
            }
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

    fn session(&self, caller: &Caller) -> Reply {
        let (user, role) = match &caller.user {
            Some((user, role)) => (json!(user), json!(role.name())),
            None => (Value::Null, Value::Null),
        };
        ok(json!({
            "user": user,
            "role": role,
            "csrf": caller.session.as_ref().map(|(_, s)| s.csrf.clone()),
            "login_required": self.users.named(),
            "login_enabled": self.users.any(),
            "can_write": self.writes_enabled() && caller.role() == Some(Role::Editor),
        }))
    }

    fn login(&self, call: &Call) -> Result<Reply, Reply> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Login {
            user: String,
            password: String,
        }
        if !self.users.any() {
            return Err(fail(
                404,
                "no_users",
                "this console has no users (start it with --users-file or --auth-token-file)",
                Vec::new(),
            ));
        }
        let login: Login = parse(call.body)?;
        if let Err(limited) = self.login_limit.attempt(call.peer, &login.user) {
            let wait = limited.wait().as_secs().max(1);
            let whom = match limited {
                Limited::User { .. } => format!("for {}", login.user),
                Limited::Address { .. } => format!("from {}", call.peer),
            };
            log::warn!("console: login attempts {whom} over the limit");
            let mut reply = Reply::new(
                429,
                json!({"error": {"kind": "too_many_attempts", "details": [], "retry_after_s": wait,
                    "message": format!("too many login attempts {whom}: try again in {wait} s")}}),
            );
            reply.headers.push(("retry-after", wait.to_string()));
            return Err(reply);
        }
        let role = match self.users.login(&login.user, &login.password) {
            Ok(role) => role,
            Err(LoginRefused::BadCredentials) => {
                log::warn!(
                    "console: failed login for {} from {}",
                    login.user,
                    call.peer
                );
                return Err(fail(
                    401,
                    "bad_credentials",
                    "wrong user name or password",
                    Vec::new(),
                ));
            }
            Err(LoginRefused::NoRole) => {
                return Err(fail(
                    403,
                    "no_role",
                    format!(
                        "{} has no role: add them to viewer or editor in the roles file",
                        login.user
                    ),
                    Vec::new(),
                ))
            }
        };
        if let Some((old, _)) = &call.caller.session {
            self.sessions.remove(old);
        }
        let (id, session) = self
            .sessions
            .create(&login.user, role)
            .map_err(|e| fail(500, "internal", e.to_string(), Vec::new()))?;
        log::info!(
            "console: {} logged in ({}) from {}",
            login.user,
            role.name(),
            call.peer
        );
        let mut reply = ok(
            json!({"user": login.user, "role": role.name(), "csrf": session.csrf,
            "can_write": self.writes_enabled() && role == Role::Editor}),
        );
        reply
            .headers
            .push(("set-cookie", sessions::set_cookie(&id, call.tls)));
        Ok(reply)
    }

    fn logout(&self, call: &Call) -> Reply {
        if let Some((id, _)) = &call.caller.session {
            self.sessions.remove(id);
        }
        let mut reply = ok(json!({"user": null}));
        reply
            .headers
            .push(("set-cookie", sessions::set_cookie("", call.tls)));
        reply
    }

    fn info(&self) -> Reply {
        ok(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "read_only": self.read_only,
            "writes_enabled": self.writes_enabled(),
            "login_required": self.users.named(),
            "login_enabled": self.users.any(),
            "etcd": self.etcd.is_some(),
            "default_index": self.default_index,
        }))
    }

    fn indices(&self) -> Result<Reply, Reply> {
        let targets = self.backend.targets().map_err(backend_error)?;
        let newest = self.newest_family();
        let first = self.default_index.as_deref().or(newest.as_deref());
        Ok(ok(json!({
            "indices": targets.indices,
            "data_streams": targets.data_streams,
            "aliases": targets.aliases,
            "patterns": patterns(&targets, first),
            "newest": newest,
        })))
    }

    /// The index pattern of the family (`prefix-*` for daily indices) holding the newest document, if any
    /// index has one. A failed search answers `None`: the page then offers the patterns without a choice.
    fn newest_family(&self) -> Option<String> {
        let newest = json!({"size": 1, "sort": [{"@timestamp": "desc"}], "_source": false});
        let response = self.backend.search("*", &newest).ok()?;
        let index = response["hits"]["hits"][0]["_index"].as_str()?;
        match backing_data_stream(index) {
            Some(stream) => Some(stream.to_string()),
            None => (!index.starts_with('.')).then(|| family(index)),
        }
    }

    fn search(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: SearchRequest = parse(body)?;
        request.validate().map_err(|e| bad_request(e.to_string()))?;
        let response = self
            .backend
            .search(&request.index, &request.body())
            .map_err(backend_error)?;
        Ok(ok(shape_hits(&response)))
    }

    fn histogram(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: RangeRequest = parse(body)?;
        request.validate().map_err(|e| bad_request(e.to_string()))?;
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
        request.validate().map_err(|e| bad_request(e.to_string()))?;
        let response = self
            .backend
            .search(&request.index, &request.fields_body())
            .map_err(backend_error)?;
        Ok(ok(shape_fields(&response)))
    }

    fn tail(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: TailRequest = parse(body)?;
        request.validate().map_err(|e| bad_request(e.to_string()))?;
        let response = self
            .backend
            .search(&request.index, &request.body())
            .map_err(backend_error)?;
        Ok(ok(shape_hits(&response)))
    }

    fn metric_hosts(&self, body: &[u8]) -> Result<Reply, Reply> {
        let request: RangeRequest = parse(body)?;
        request.validate().map_err(|e| bad_request(e.to_string()))?;
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
        request.validate().map_err(|e| bad_request(e.to_string()))?;
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

    fn collect(&self, caller: &Caller) -> Result<Reply, Reply> {
        let etcd = self.etcd()?;
        let collect = etcd.prefix(&self.collect_prefix).map_err(etcd_error)?;
        let statuses = etcd
            .prefix(&format!("{}agent/", self.status_prefix))
            .map_err(etcd_error)?;
        let mut view = collect::hosts_view(&self.collect_prefix, &collect, &statuses);
        view["writes_enabled"] = json!(self.writes_enabled());
        view["can_write"] = json!(self.writes_enabled() && caller.role() == Some(Role::Editor));
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

    fn save_collect(&self, host: &str, caller: &Caller, body: &[u8]) -> Result<Reply, Reply> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Save {
            entries: Vec<Value>,
            /// The key's mod_revision when the page read it (0: it did not exist).
            revision: i64,
        }
        let save: Save = parse(body)?;
        self.write(host, caller, &save.entries, save.revision, "save", None)
    }

    /// Validates `entries` and writes them with their audit record.
    fn write(
        &self,
        host: &str,
        caller: &Caller,
        entries: &[Value],
        expect_revision: i64,
        action: &str,
        restored_from: Option<(i64, &str)>,
    ) -> Result<Reply, Reply> {
        let entries = collect::validate_entries(host, entries).map_err(|errors| {
            fail(
                400,
                "bad_request",
                "the entries are not valid; nothing was saved",
                errors,
            )
        })?;
        let user = caller.name().unwrap_or_default();
        let change = audit::Change {
            host,
            entries: &entries,
            expect_revision,
            user,
            action,
            restored_from,
        };
        let revision = audit::write(
            self.etcd()?,
            &self.collect_prefix,
            &self.audit_prefix,
            &change,
        )
        .map_err(etcd_error)?;
        let key = format!("{}{host}", self.collect_prefix);
        log::info!(
            "console: {user} wrote {} entries to {key} at revision {revision} ({action})",
            entries.len()
        );
        Ok(ok(
            json!({"key": key, "revision": revision, "entries": entries}),
        ))
    }

    fn history(&self, host: &str) -> Result<Reply, Reply> {
        validate_host(host).map_err(|e| bad_request(e.to_string()))?;
        let records = self
            .etcd()?
            .prefix(&audit::host_prefix(&self.audit_prefix, host))
            .map_err(etcd_error)?;
        Ok(ok(
            json!({"host": host, "records": audit::history(&records)}),
        ))
    }

    fn restore(&self, host: &str, caller: &Caller, body: &[u8]) -> Result<Reply, Reply> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Restore {
            /// The revision of the audit record to restore.
            revision: i64,
            /// `after` (the entries as that change left them) or `before` (as it found them).
            #[serde(default = "after")]
            side: String,
            /// The key's mod_revision when the page read it (compare-and-swap, as an edit).
            current_revision: i64,
        }
        fn after() -> String {
            "after".into()
        }
        let restore: Restore = parse(body)?;
        validate_host(host).map_err(|e| bad_request(e.to_string()))?;
        if restore.side != "after" && restore.side != "before" {
            return Err(bad_request("side: `after` or `before`"));
        }
        let records = self
            .etcd()?
            .prefix(&audit::host_prefix(&self.audit_prefix, host))
            .map_err(etcd_error)?;
        let record = audit::find(&records, restore.revision).ok_or_else(|| {
            fail(
                404,
                "not_found",
                format!("no audit record of {host} at revision {}", restore.revision),
                Vec::new(),
            )
        })?;
        let entries = match &record[restore.side.as_str()] {
            Value::Array(entries) => entries.clone(),
            // The key did not exist before the change: restoring that is restoring no entries.
            Value::Null => Vec::new(),
            _ => {
                return Err(bad_request(format!(
                    "the {} side of revision {} is not a list of entries",
                    restore.side, restore.revision
                )))
            }
        };
        self.write(
            host,
            caller,
            &entries,
            restore.current_revision,
            "restore",
            Some((restore.revision, restore.side.as_str())),
        )
    }
}

/// `host` from `/api/collect/{host}{suffix}` (a host is one path segment).
fn host_route<'a>(path: &'a str, suffix: &str) -> Option<&'a str> {
    let host = path.strip_prefix("/api/collect/")?.strip_suffix(suffix)?;
    (!host.is_empty() && !host.contains('/') && host != "validate").then_some(host)
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
            | "/api/session"
            | "/api/login"
            | "/api/logout"
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

/// The data stream a backing index belongs to: `logs-app` for `.ds-logs-app-2026.12.04-000001` (ES 8's
/// naming, and the store's).
fn backing_data_stream(index: &str) -> Option<&str> {
    let rest = index.strip_prefix(".ds-")?;
    let (rest, generation) = rest.rsplit_once('-')?;
    let (stream, date) = rest.rsplit_once('-')?;
    let digits = |s: &str, dots: bool| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || (dots && c == '.'))
    };
    (digits(generation, false) && digits(date, true) && !stream.is_empty()).then_some(stream)
}

/// Index patterns to offer: `first` (the configured default or the newest family), the data streams,
/// the aliases, `prefix-*` for each daily family, then every index.
fn patterns(targets: &SearchTargets, first: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = first.map(str::to_string).into_iter().collect();
    let mut offer = |name: String| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    for name in targets.data_streams.iter().chain(&targets.aliases) {
        offer(name.clone());
    }
    for name in &targets.indices {
        let family = family(name);
        if validate_index(&family).is_ok() {
            offer(family);
        }
    }
    for name in &targets.indices {
        offer(name.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_refusing_the_consoles_credentials_is_not_a_bad_query() {
        let reply = |status| {
            backend_error(BackendError::Rejected {
                status,
                reason: "nope".into(),
            })
        };
        for status in [401, 403] {
            let r = reply(status);
            assert_eq!(
                (r.status, &r.body["error"]["kind"]),
                (502, &json!("backend_auth"))
            );
            let message = r.body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(&format!("({status}: nope)")), "{message}");
        }
        assert!(reply(401).body.to_string().contains("[elasticsearch]"));
        let r = reply(400);
        assert_eq!(
            (r.status, &r.body["error"]["kind"]),
            (400, &json!("bad_query"))
        );
        assert_eq!(reply(503).body["error"]["kind"], "backend_error");
    }

    #[test]
    fn patterns_offer_data_streams_and_aliases_before_daily_families() {
        let targets = SearchTargets {
            indices: vec!["logpipe-2026.11.21".into(), "web".into()],
            data_streams: vec!["logs-app-default".into()],
            aliases: vec!["all-logs".into()],
        };
        assert_eq!(
            patterns(&targets, Some("logs-app-default")),
            vec![
                "logs-app-default",
                "all-logs",
                "logpipe-*",
                "web",
                "logpipe-2026.11.21"
            ]
        );
        assert_eq!(
            backing_data_stream(".ds-logs-app-default-2026.12.04-000001"),
            Some("logs-app-default")
        );
        for not_backing in [
            ".ds-x",
            ".ds--2026.12.04-000001",
            ".kibana_1",
            "logs-2026.12.04",
        ] {
            assert_eq!(backing_data_stream(not_backing), None, "{not_backing}");
        }
    }

    #[test]
    fn patterns_group_daily_indices() {
        let names = SearchTargets {
            indices: vec![
                "logpipe-2026.11.21".to_string(),
                "logpipe-2026.11.22".to_string(),
                "other".to_string(),
            ],
            ..SearchTargets::default()
        };
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
    fn host_routes() {
        assert_eq!(host_route("/api/collect/web-1", ""), Some("web-1"));
        assert_eq!(
            host_route("/api/collect/web-1/history", "/history"),
            Some("web-1")
        );
        assert_eq!(host_route("/api/collect/web-1/history", ""), None);
        assert_eq!(host_route("/api/collect/validate", ""), None);
        assert_eq!(host_route("/api/collect/", ""), None);
    }
}
