//! The HTTP front: a tiny_http server drained by a small pool of worker threads, ES routing, headers and
//! error bodies.
//!
//! Every response carries `X-Elastic-Product: Elasticsearch` and a JSON content type; when the client asks for
//! `application/vnd.elasticsearch+json; compatible-with=N` (official clients 8.x/9.x do) the response uses
//! that media type with the same `N`, which is what those clients expect. Bodies larger than
//! [`MAX_BODY`] are refused with 413 before being read in full. Any error is an ES-shaped body with a 4xx
//! (input) or 5xx (internal) status; no input can panic a worker. Workers poll the shutdown flag between
//! requests, so [`ServerHandle::join`] returns soon after the flag is set.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use super::error::EsError;
use super::msearch::msearch;
use super::refresher::Refresh;
use super::search::{count, get_doc, search};
use super::Store;

/// Largest accepted request body.
pub const MAX_BODY: usize = 100 * 1024 * 1024;

/// Running HTTP server.
pub struct ServerHandle {
    addr: SocketAddr,
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
    shutdown: Arc<AtomicBool>,
}

impl ServerHandle {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the shutdown flag and waits for the workers.
    pub fn stop(self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.server.unblock();
        self.join();
    }

    /// Waits until the shutdown flag is set and every worker has finished its request.
    pub fn join(self) {
        for t in self.threads {
            if t.join().is_err() {
                log::error!("store: an HTTP worker panicked");
            }
        }
    }
}

/// Starts the HTTP API of `store` on `listen` (e.g. `127.0.0.1:9200` or `127.0.0.1:0`).
pub fn serve(
    store: Store,
    listen: &str,
    shutdown: Arc<AtomicBool>,
) -> anyhow::Result<ServerHandle> {
    let server = Arc::new(
        Server::http(listen).map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?,
    );
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow::anyhow!("{listen} is not an IP address"))?;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
        * 2;
    let mut threads = Vec::with_capacity(workers);
    for i in 0..workers {
        let server = server.clone();
        let store = store.clone();
        let shutdown = shutdown.clone();
        threads.push(
            std::thread::Builder::new()
                .name(format!("store-http-{i}"))
                .spawn(move || {
                    while !shutdown.load(Ordering::SeqCst) {
                        match server.recv_timeout(Duration::from_millis(100)) {
                            Ok(Some(req)) => handle(&store, req),
                            Ok(None) => {}
                            Err(err) => {
                                log::error!("store: accept failed: {err}");
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                })?,
        );
    }
    log::info!("store: listening on http://{addr}");
    Ok(ServerHandle {
        addr,
        server,
        threads,
        shutdown,
    })
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn content_type(req: &Request) -> String {
    let accept = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Accept"))
        .map(|h| h.value.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    if accept.contains("application/vnd.elasticsearch+json") {
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
        format!("application/vnd.elasticsearch+json;compatible-with={version}")
    } else {
        "application/json".to_string()
    }
}

fn respond(req: Request, status: u16, body: Option<&Value>) {
    let data = body
        .map(|b| serde_json::to_vec(b).unwrap_or_default())
        .unwrap_or_default();
    respond_bytes(req, status, data);
}

fn respond_bytes(req: Request, status: u16, data: Vec<u8>) {
    let ctype = content_type(&req);
    let mut resp = Response::from_data(data).with_status_code(StatusCode(status));
    for h in [
        header("X-Elastic-Product", "Elasticsearch"),
        header("Content-Type", &ctype),
    ]
    .into_iter()
    .flatten()
    {
        resp.add_header(h);
    }
    if let Err(err) = req.respond(resp) {
        log::debug!("store: could not send response: {err}");
    }
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_body(req: &mut Request) -> Result<Vec<u8>, EsError> {
    let too_large = || {
        EsError::new(
            413,
            "content_too_long_exception",
            format!("request body is larger than the limit of [{MAX_BODY}] bytes"),
        )
    };
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(req.body_length().unwrap_or(0).min(MAX_BODY));
    req.as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            EsError::new(
                400,
                "illegal_argument_exception",
                format!("cannot read request body: {e}"),
            )
        })?;
    if body.len() > MAX_BODY {
        return Err(too_large());
    }
    Ok(body)
}

fn json_body(body: &[u8]) -> Result<Value, EsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| EsError::parsing(format!("failed to parse request body: {e}")))
}

fn handle(store: &Store, mut req: Request) {
    let method = req.method().clone();
    let url = req.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let params: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect();
    let body = match read_body(&mut req) {
        Ok(b) => b,
        Err(e) => {
            // Close the connection rather than draining a huge body.
            respond(req, e.status, Some(&e.to_body()));
            return;
        }
    };
    // `_bulk` answers are serialized straight from their typed form (see `bulk_response`).
    let bulk_index = match (&method, segs.as_slice()) {
        (Method::Post | Method::Put, [b]) if b == "_bulk" => Some(None),
        (Method::Post | Method::Put, [index, b]) if b == "_bulk" => Some(Some(index.as_str())),
        _ => None,
    };
    let result = match bulk_index {
        Some(default_index) => match refresh_param(&params)
            .and_then(|refresh| store.bulk(&body, default_index, refresh))
        {
            Ok(resp) => return respond_bytes(req, 200, resp.to_vec()),
            Err(e) => Err(e),
        },
        None => route(store, &method, &segs, &params, &body),
    };
    match result {
        Ok((status, body)) => {
            let body = if method == Method::Head {
                None
            } else {
                Some(body)
            };
            respond(req, status, body.as_ref());
        }
        Err(e) => {
            log::debug!("store: {method} {url}: {e}");
            let body = if method == Method::Head {
                None
            } else {
                Some(e.to_body())
            };
            respond(req, e.status, body.as_ref());
        }
    }
}

fn root_info() -> Value {
    json!({
        "name": "logpipe",
        "cluster_name": "logpipe",
        "cluster_uuid": "bG9ncGlwZS1zdG9yZQ",
        "version": {
            "number": "8.15.0",
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": "logpipe",
            "build_date": "2024-08-05T10:05:34.233336849Z",
            "build_snapshot": false,
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    })
}

fn human_bytes(n: u64) -> String {
    let units = ["b", "kb", "mb", "gb", "tb"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}b")
    } else {
        format!("{v:.1}{}", units[u])
    }
}

fn mapping() -> Value {
    json!({"dynamic": "true", "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
    }})
}

type Routed = Result<(u16, Value), EsError>;

fn route(
    store: &Store,
    method: &Method,
    segs: &[String],
    params: &HashMap<String, String>,
    body: &[u8],
) -> Routed {
    let set = store.index_set();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    use Method::{Delete, Get, Head, Post, Put};
    match (method, s.as_slice()) {
        (Get | Head, []) => Ok((200, root_info())),
        (Get, ["_cluster", "health", ..]) => {
            let n = set.all().len();
            Ok((
                200,
                json!({
                    "cluster_name": "logpipe", "status": "green", "timed_out": false,
                    "number_of_nodes": 1, "number_of_data_nodes": 1,
                    "active_primary_shards": n, "active_shards": n, "relocating_shards": 0,
                    "initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0,
                    "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
                    "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0
                }),
            ))
        }
        (Get, ["_cat", "indices", rest @ ..]) => {
            let handles = match rest.first() {
                Some(p) => set.resolve(p)?,
                None => set.all(),
            };
            let raw_bytes = params.get("bytes").is_some_and(|b| b == "b");
            let rows: Vec<Value> = handles
                .iter()
                .map(|h| {
                    let size = h.disk_bytes();
                    let size = if raw_bytes { size.to_string() } else { human_bytes(size) };
                    json!({
                        "health": "green", "status": "open", "index": h.name, "uuid": h.name,
                        "pri": "1", "rep": "0", "docs.count": h.doc_count().to_string(), "docs.deleted": "0",
                        "store.size": size, "pri.store.size": size,
                    })
                })
                .collect();
            if params.get("format").is_some_and(|f| f == "json") {
                Ok((200, Value::Array(rows)))
            } else {
                let text: String = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "green open {} {} 1 0 {} 0 {} {}\n",
                            r["index"].as_str().unwrap_or_default(),
                            r["uuid"].as_str().unwrap_or_default(),
                            r["docs.count"].as_str().unwrap_or_default(),
                            r["store.size"].as_str().unwrap_or_default(),
                            r["pri.store.size"].as_str().unwrap_or_default()
                        )
                    })
                    .collect();
                Ok((200, Value::String(text)))
            }
        }
        (Get | Post, ["_search"]) => Ok((200, search(set, None, &json_body(body)?, params)?)),
        (Get | Post, [index, "_search"]) => {
            Ok((200, search(set, Some(index), &json_body(body)?, params)?))
        }
        (Get | Post, ["_msearch"]) => Ok((200, msearch(set, None, body)?)),
        (Get | Post, [index, "_msearch"]) => Ok((200, msearch(set, Some(index), body)?)),
        (Get | Post, ["_count"]) => Ok((200, count(set, None, &json_body(body)?, params)?)),
        (Get | Post, [index, "_count"]) => {
            Ok((200, count(set, Some(index), &json_body(body)?, params)?))
        }
        (Get | Post, ["_refresh"]) => {
            store.refresh(None)?;
            Ok((
                200,
                json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}),
            ))
        }
        (Get | Post, [index, "_refresh"]) => {
            store.refresh(Some(index))?;
            Ok((
                200,
                json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}),
            ))
        }
        (Put, [index]) => {
            json_body(body)?;
            set.create(index)?;
            Ok((
                200,
                json!({"acknowledged": true, "shards_acknowledged": true, "index": index}),
            ))
        }
        (Delete, [index]) => {
            set.delete(index)?;
            Ok((200, json!({"acknowledged": true})))
        }
        (Head, [index]) => {
            if index.starts_with('_') {
                return Err(EsError::illegal_argument(format!(
                    "no handler found for uri [/{index}] and method [HEAD]"
                )));
            }
            match set.resolve(index) {
                Ok(h) if !h.is_empty() => Ok((200, Value::Null)),
                _ => Ok((404, Value::Null)),
            }
        }
        (Get, [index]) if !index.starts_with('_') => {
            let mut out = Map::new();
            for h in set.resolve(index)? {
                out.insert(h.name.clone(), json!({
                    "aliases": {}, "mappings": mapping(),
                    "settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0", "provided_name": h.name}}
                }));
            }
            Ok((200, Value::Object(out)))
        }
        (Get, [index, "_mapping"]) => {
            let mut out = Map::new();
            for h in set.resolve(index)? {
                out.insert(h.name.clone(), json!({ "mappings": mapping() }));
            }
            Ok((200, Value::Object(out)))
        }
        (Get, [index, "_doc", id]) => {
            let (status, v) = get_doc(set, index, id)?;
            Ok((status, v))
        }
        (Put | Post, [index, "_doc" | "_create", id]) => single_doc(
            store,
            index,
            Some(id),
            s[1] == "_create" || params.get("op_type").is_some_and(|o| o == "create"),
            refresh_param(params)?,
            body,
        ),
        (Post, [index, "_doc"]) => {
            single_doc(store, index, None, false, refresh_param(params)?, body)
        }
        (Delete, [index, "_doc", id]) => delete_doc(store, index, id, refresh_param(params)?),
        (m, _) => Err(EsError::new(
            if matches!(m, Get | Post | Put | Delete | Head) {
                400
            } else {
                405
            },
            "illegal_argument_exception",
            format!(
                "no handler found for uri [/{}] and method [{m}]",
                segs.join("/")
            ),
        )),
    }
}

/// The `refresh` parameter of a write.
fn refresh_param(params: &HashMap<String, String>) -> Result<Refresh, EsError> {
    Refresh::from_param(params.get("refresh").map(String::as_str))
}

fn single_doc(
    store: &Store,
    index: &str,
    id: Option<&str>,
    create: bool,
    refresh: Refresh,
    body: &[u8],
) -> Routed {
    let doc = json_body(body)?;
    if !doc.is_object() {
        return Err(EsError::new(
            400,
            "document_parsing_exception",
            "[1:1] failed to parse: document is not a JSON object",
        ));
    }
    let action = if create { "create" } else { "index" };
    let mut meta = json!({ action: {"_index": index} });
    if let Some(id) = id {
        meta[action]["_id"] = json!(id);
    }
    one_action(store, index, action, &format!("{meta}\n{doc}\n"), refresh)
}

/// `DELETE /{index}/_doc/{id}`: a `_bulk` delete of one document of an existing index (ES does not create
/// one for it). 200 with `result: deleted`, or 404 with `result: not_found`, as ES answers.
fn delete_doc(store: &Store, index: &str, id: &str, refresh: Refresh) -> Routed {
    let targets = store.index_set().resolve(index)?;
    if targets.len() != 1 || targets[0].name != index {
        return Err(EsError::illegal_argument(format!(
            "[{index}] is not a single index: a document is deleted from one index"
        )));
    }
    let meta = json!({"delete": {"_index": index, "_id": id}});
    one_action(store, index, "delete", &format!("{meta}\n"), refresh)
}

/// A single-document request run as a `_bulk` of one `action` (its NDJSON `ndjson`): the item is the
/// answer, and a failed item is the request's error.
fn one_action(store: &Store, index: &str, action: &str, ndjson: &str, refresh: Refresh) -> Routed {
    let resp = store.bulk(ndjson.as_bytes(), None, refresh)?.to_value();
    let item = resp["items"][0][action].clone();
    let status = item["status"].as_u64().unwrap_or(500) as u16;
    if let Some(err) = item.get("error") {
        let mut e = EsError::new(
            status,
            err["type"].as_str().unwrap_or("exception"),
            err["reason"].as_str().unwrap_or(""),
        );
        e.index = Some(index.to_string());
        return Err(e);
    }
    Ok((status, item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("app-%2A", false), "app-*");
        assert_eq!(percent_decode("a+b%", true), "a b%");
        assert_eq!(percent_decode("%zz", false), "%zz");
    }
}
