//! The harness of the store's HTTP tests: a store opened in a temp dir and served on `127.0.0.1:0`, a ureq
//! client that keeps every status, and the sample documents several areas search.

use std::time::Duration;

use logpipe_store::{serve, ServerHandle, Store, StoreSettings};
use serde_json::{json, Value};

pub struct Es {
    pub base: String,
    pub agent: ureq::Agent,
    pub store: Store,
    pub handle: Option<ServerHandle>,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub product: String,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub fn call(
    agent: &ureq::Agent,
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    accept: Option<&str>,
) -> Resp {
    let mut b = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json");
    if let Some(a) = accept {
        b = b.header("accept", a);
    }
    let req = b
        .body(body.unwrap_or("").as_bytes().to_vec())
        .expect("request");
    let mut resp = agent.run(req).expect("http call");
    let status = resp.status().as_u16();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = header("content-type");
    let product = header("x-elastic-product");
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        body,
        content_type,
        product,
    }
}

impl Es {
    pub fn start() -> Es {
        Es::start_with_search_idle_after(logpipe_store::SEARCH_IDLE_AFTER)
    }

    /// A store whose indices go search idle after `after` without a search (zero: always idle).
    pub fn start_with_search_idle_after(after: Duration) -> Es {
        Es::start_with(StoreSettings {
            search_idle_after: after,
            ..StoreSettings::default()
        })
    }

    /// A store opened with `settings`.
    pub fn start_with(settings: StoreSettings) -> Es {
        Es::serve_dir(tempfile::tempdir().expect("tempdir"), &settings)
    }

    /// The same data directory served by a new store, as after a restart (this one is closed first, as
    /// on SIGTERM).
    pub fn restart(mut self) -> Es {
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("tempdir"));
        drop(self);
        Es::serve_dir(dir, &StoreSettings::default())
    }

    /// The store of `dir`, served.
    fn serve_dir(dir: tempfile::TempDir, settings: &StoreSettings) -> Es {
        let store = Store::open_with(dir.path(), settings).expect("open store");
        let handle = serve(store.clone(), "127.0.0.1:0", None).expect("serve");
        Es {
            base: format!("http://{}", handle.addr()),
            agent: agent(),
            store,
            handle: Some(handle),
            _dir: dir,
        }
    }

    pub fn req(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        call(&self.agent, &self.base, method, path, body, None)
    }

    pub fn json(&self, method: &str, path: &str, body: Value) -> Resp {
        self.req(method, path, Some(&body.to_string()))
    }

    pub fn bulk(&self, path: &str, lines: &[Value]) -> Value {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let r = self.req("POST", path, Some(&body));
        assert_eq!(r.status, 200, "bulk failed: {}", r.body);
        r.body
    }

    pub fn search(&self, index: &str, body: Value) -> Value {
        let r = self.json("POST", &format!("/{index}/_search"), body.clone());
        assert_eq!(r.status, 200, "search {body} failed: {}", r.body);
        r.body
    }

    pub fn ids(&self, index: &str, query: Value) -> Vec<String> {
        let r = self.search(
            index,
            json!({"query": query, "size": 100, "sort": [{"@timestamp": "asc"}]}),
        );
        let mut ids: Vec<String> = hits(&r)
            .iter()
            .map(|h| h["_id"].as_str().unwrap_or("").to_string())
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for Es {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop();
        }
        self.store.close();
    }
}

pub fn hits(r: &Value) -> Vec<Value> {
    r["hits"]["hits"].as_array().cloned().unwrap_or_default()
}

pub fn doc(id: &str, ts: &str, msg: &str, host: &str, level: &str, offset: i64) -> [Value; 2] {
    [
        json!({"index": {"_id": id}}),
        json!({"@timestamp": ts, "message": msg, "host": {"name": host}, "log": {"level": level, "offset": offset, "file": {"path": format!("/var/log/{host}.log")}}, "event": {"id": id}}),
    ]
}

/// The `_bulk` lines of the sample documents: `a` … `e` nested, `f` with dotted keys.
pub fn sample_lines() -> Vec<Value> {
    let docs = [
        doc(
            "a",
            "2026-11-22T01:00:00.000Z",
            "connection refused by upstream server",
            "web-1",
            "error",
            10,
        ),
        doc(
            "b",
            "2026-11-22T01:30:00.000Z",
            "GET /index.html 200",
            "web-1",
            "info",
            20,
        ),
        doc(
            "c",
            "2026-11-22T02:10:00.000Z",
            "upstream server timed out",
            "web-2",
            "warn",
            30,
        ),
        doc(
            "d",
            "2026-11-22T02:20:00.000Z",
            "server started on port 8080",
            "db-1",
            "info",
            40,
        ),
        doc(
            "e",
            "2026-11-22T02:40:00.000Z",
            "disk full on server",
            "db-1",
            "error",
            50,
        ),
    ];
    let mut lines: Vec<Value> = docs.iter().flat_map(|d| d.iter().cloned()).collect();
    // A document with dotted keys must behave like the nested ones.
    lines.push(json!({"index": {"_id": "f"}}));
    lines.push(json!({"@timestamp": "2026-11-22T04:51:21.123Z", "message": "refused connection", "host.name": "web-2", "log.level": "error", "log.offset": 60}));
    lines
}

/// The sample documents in index `logs`, searchable.
pub fn sample(es: &Es) {
    let r = es.bulk("/logs/_bulk?refresh=true", &sample_lines());
    assert_eq!(r["errors"], json!(false), "{r}");
}

pub fn bucket_counts(agg: &Value) -> Vec<(String, i64)> {
    agg["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| {
            (
                b["key_as_string"].as_str().unwrap_or("").to_string(),
                b["doc_count"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}
