//! Integration tests of the embedded store's Elasticsearch-compatible HTTP API.
//!
//! Each test opens its own store in a temp dir, serves it on `127.0.0.1:0` and talks HTTP with ureq.
//! The durability test runs the real binary and `kill -9`s it right after a `_bulk` answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logpipe::store::{serve, Refresh, ServerHandle, Store};
use serde_json::{json, Value};

struct Es {
    base: String,
    agent: ureq::Agent,
    store: Store,
    handle: Option<ServerHandle>,
    _dir: tempfile::TempDir,
}

struct Resp {
    status: u16,
    body: Value,
    content_type: String,
    product: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn call(
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
    fn start() -> Es {
        Es::start_with_search_idle_after(logpipe::store::SEARCH_IDLE_AFTER)
    }

    /// A store whose indices go search idle after `after` without a search (zero: always idle).
    fn start_with_search_idle_after(after: Duration) -> Es {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_with_search_idle_after(dir.path(), after).expect("open store");
        let handle = serve(
            store.clone(),
            "127.0.0.1:0",
            Arc::new(AtomicBool::new(false)),
        )
        .expect("serve");
        Es {
            base: format!("http://{}", handle.addr()),
            agent: agent(),
            store,
            handle: Some(handle),
            _dir: dir,
        }
    }

    fn req(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        call(&self.agent, &self.base, method, path, body, None)
    }

    fn json(&self, method: &str, path: &str, body: Value) -> Resp {
        self.req(method, path, Some(&body.to_string()))
    }

    fn bulk(&self, path: &str, lines: &[Value]) -> Value {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let r = self.req("POST", path, Some(&body));
        assert_eq!(r.status, 200, "bulk failed: {}", r.body);
        r.body
    }

    fn search(&self, index: &str, body: Value) -> Value {
        let r = self.json("POST", &format!("/{index}/_search"), body.clone());
        assert_eq!(r.status, 200, "search {body} failed: {}", r.body);
        r.body
    }

    fn ids(&self, index: &str, query: Value) -> Vec<String> {
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

fn hits(r: &Value) -> Vec<Value> {
    r["hits"]["hits"].as_array().cloned().unwrap_or_default()
}

fn doc(id: &str, ts: &str, msg: &str, host: &str, level: &str, offset: i64) -> [Value; 2] {
    [
        json!({"index": {"_id": id}}),
        json!({"@timestamp": ts, "message": msg, "host": {"name": host}, "log": {"level": level, "offset": offset, "file": {"path": format!("/var/log/{host}.log")}}, "event": {"id": id}}),
    ]
}

fn sample(es: &Es) {
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
    let r = es.bulk("/logs/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");
}

#[test]
fn root_headers_and_compat_media_type() {
    let es = Es::start();
    let r = es.req("GET", "/", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"]["number"], "8.15.0");
    assert_eq!(r.body["tagline"], "You Know, for Search");
    assert_eq!(r.product, "Elasticsearch");
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let r = call(
        &es.agent,
        &es.base,
        "GET",
        "/",
        None,
        Some("application/vnd.elasticsearch+json; compatible-with=9"),
    );
    assert_eq!(
        r.content_type,
        "application/vnd.elasticsearch+json;compatible-with=9"
    );
    assert_eq!(r.product, "Elasticsearch");
    let r = es.req("GET", "/_cluster/health", None);
    assert_eq!(r.body["status"], "green");
    // Errors carry the header too.
    let r = es.req("GET", "/nope/_search", None);
    assert_eq!(r.status, 404);
    assert_eq!(r.product, "Elasticsearch");
}

#[test]
fn bulk_index_create_conflict_and_bad_line() {
    let es = Es::start();
    let body = [
        json!({"index": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "one", "@timestamp": "2026-11-22T00:00:00Z"}).to_string(),
        json!({"create": {"_index": "t", "_id": "2"}}).to_string(),
        json!({"message": "two"}).to_string(),
        json!({"create": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "conflict"}).to_string(),
        json!({"index": {"_index": "t", "_id": "3"}}).to_string(),
        "{\"message\": broken".to_string(),
        json!({"index": {"_index": "t"}}).to_string(),
        json!({"message": "generated"}).to_string(),
        json!({"index": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "one again"}).to_string(),
        json!({"index": {"_index": "t", "_id": "4"}}).to_string(),
        json!({"@timestamp": "not a date"}).to_string(),
    ]
    .join("\n")
        + "\n";
    let r = es.req("POST", "/_bulk?refresh=true", Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["errors"], true);
    assert!(b["took"].is_u64());
    let items = b["items"].as_array().expect("items");
    assert_eq!(items.len(), 7);
    assert_eq!(items[0]["index"]["status"], 201);
    assert_eq!(items[0]["index"]["result"], "created");
    assert_eq!(items[0]["index"]["_index"], "t");
    assert_eq!(items[1]["create"]["status"], 201);
    assert_eq!(items[2]["create"]["status"], 409);
    assert_eq!(
        items[2]["create"]["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert!(items[2]["create"]["error"]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("version conflict"));
    assert_eq!(items[3]["index"]["status"], 400);
    assert_eq!(
        items[3]["index"]["error"]["type"],
        "document_parsing_exception"
    );
    assert_eq!(items[4]["index"]["status"], 201);
    let generated = items[4]["index"]["_id"].as_str().unwrap_or("");
    assert_eq!(generated.len(), 20);
    assert_eq!(items[5]["index"]["status"], 200);
    assert_eq!(items[5]["index"]["result"], "updated");
    assert_eq!(items[6]["index"]["status"], 400);

    // Immediately searchable, and the replaced document is not duplicated.
    let c = es.req("GET", "/t/_count", None);
    assert_eq!(c.body["count"], 3, "{}", c.body);
    let s = es.search("t", json!({"query": {"ids": {"values": ["1"]}}}));
    assert_eq!(hits(&s).len(), 1);
    assert_eq!(hits(&s)[0]["_source"]["message"], "one again");

    // Replays of the same ids keep the count stable (event.id dedup).
    let again = es.req("POST", "/_bulk?refresh=wait_for", Some(&body));
    assert_eq!(again.body["items"][0]["index"]["result"], "updated");
    assert_eq!(
        es.req("GET", "/t/_count", None).body["count"],
        4,
        "only the generated id adds a doc"
    );

    // Delete action.
    let d = es.bulk(
        "/t/_bulk",
        &[
            json!({"delete": {"_id": "2"}}),
            json!({"delete": {"_id": "zz"}}),
        ],
    );
    assert_eq!(d["items"][0]["delete"]["result"], "deleted");
    assert_eq!(d["items"][1]["delete"]["status"], 404);
    // Without `?refresh` the delete is durable but searchable only after a refresh.
    assert_eq!(es.req("POST", "/t/_refresh", None).status, 200);
    assert_eq!(es.req("GET", "/t/_count", None).body["count"], 3);
    let r = es.req(
        "POST",
        "/t/_bulk?refresh=soon",
        Some("{\"delete\":{\"_id\":\"1\"}}\n"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "illegal_argument_exception");
}

#[test]
fn malformed_requests_get_es_error_bodies() {
    let es = Es::start();
    let r = es.req(
        "POST",
        "/_bulk",
        Some("{\"index\":{\"_index\":\"x\"}}\n{}\nnot json\n{}\n"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["status"], 400);
    assert_eq!(r.body["error"]["type"], "illegal_argument_exception");
    assert_eq!(
        r.body["error"]["root_cause"][0]["type"],
        "illegal_argument_exception"
    );

    let r = es.req("POST", "/_bulk", Some("{\"index\":{}}\n{\"a\":1}\n"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["items"][0]["index"]["status"], 400,
        "missing index fails the item"
    );

    sample(&es);
    let r = es.req("POST", "/logs/_search", Some("{\"query\": {"));
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "parsing_exception");
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"query": {"fuzzy_wuzzy": {"message": "x"}}}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "parsing_exception");
    assert!(r.body["error"]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("fuzzy_wuzzy"));
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"query": {"query_string": {"query": "message:(unclosed"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"query": {"range": {"@timestamp": {"gte": "now-banana"}}}}),
    );
    assert_eq!(r.status, 400);
    let r = es.json("POST", "/logs/_search", json!({"size": 20000}));
    assert_eq!(r.status, 400);
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"aggs": {"x": {"nonsense": {"field": "a"}}}}),
    );
    assert_eq!(r.status, 400);
    let r = es.req("GET", "/missing/_search", None);
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["type"], "index_not_found_exception");
    assert_eq!(r.body["error"]["index"], "missing");
    let r = es.req("PUT", "/Bad*Name", None);
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "invalid_index_name_exception");

    // Oversized body: refused from the Content-Length alone.
    let addr = es.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(s, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 200000000\r\n\r\n").expect("write");
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // The server is still fine.
    assert_eq!(es.req("GET", "/logs/_count", None).body["count"], 6);
}

/// `_msearch`, as Grafana's data source sends it: answers in order, each with its status; a failing search
/// fails alone; the path's index is the default of a header without one.
#[test]
fn msearch_answers_each_search_in_order() {
    let es = Es::start();
    sample(&es);
    let lines = [
        json!({"index": "logs"}),
        json!({"size": 0, "query": {"term": {"log.level": "error"}},
               "aggs": {"h": {"terms": {"field": "host.name"}}}}),
        json!({"index": ["nothere"]}),
        json!({}),
        json!({}),
        json!({"query": {"query_string": {"query": "upstream"}}, "sort": [{"@timestamp": "asc"}]}),
        json!({"index": "logs"}),
        json!({"query": {"bogus": {}}}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let r = es.req("POST", "/logs/_msearch", Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let responses = r.body["responses"].as_array().cloned().unwrap_or_default();
    assert_eq!(responses.len(), 4, "{}", r.body);
    assert_eq!(responses[0]["status"], 200);
    assert_eq!(responses[0]["hits"]["total"]["value"], 3);
    let mut hosts: Vec<String> = responses[0]["aggregations"]["h"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{}={}", b["key"], b["doc_count"]))
        .collect();
    hosts.sort();
    assert_eq!(hosts, [r#""db-1"=1"#, r#""web-1"=1"#, r#""web-2"=1"#]);
    assert_eq!(
        (
            responses[1]["status"].clone(),
            responses[1]["error"]["type"].clone()
        ),
        (json!(404), json!("index_not_found_exception"))
    );
    let ids: Vec<Value> = hits(&responses[2])
        .iter()
        .map(|h| h["_id"].clone())
        .collect();
    assert_eq!(ids, [json!("a"), json!("c")], "the path's index");
    assert_eq!(responses[3]["status"], 400);
    assert_eq!(responses[3]["error"]["type"], "parsing_exception");

    let r = es.req("POST", "/_msearch", Some("{}\nnot json\n"));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body["error"]["reason"].to_string().contains("line [2]"),
        "{}",
        r.body
    );
}

#[test]
fn query_types() {
    let es = Es::start();
    sample(&es);
    let ids = |q: Value| es.ids("logs", q);
    assert_eq!(ids(json!({"match_all": {}})).len(), 6);
    assert_eq!(
        ids(json!({"match": {"message": "server upstream"}})),
        ["a", "c", "d", "e"]
    );
    assert_eq!(
        ids(json!({"match": {"message": {"query": "server upstream", "operator": "and"}}})),
        ["a", "c"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"message": "connection refused"}})),
        ["a"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"message": "refused connection"}})),
        ["f"]
    );
    // Nested and dotted documents are the same.
    assert_eq!(ids(json!({"term": {"host.name": "web-2"}})), ["c", "f"]);
    assert_eq!(
        ids(json!({"term": {"host.name": {"value": "web-2"}}})),
        ["c", "f"]
    );
    assert_eq!(ids(json!({"match": {"host.name": "web-2"}})), ["c", "f"]);
    assert_eq!(
        ids(json!({"term": {"host.name.keyword": "web-1"}})),
        ["a", "b"]
    );
    assert_eq!(
        ids(json!({"terms": {"log.level": ["warn", "info"]}})),
        ["b", "c", "d"]
    );
    assert_eq!(ids(json!({"term": {"log.offset": 60}})), ["f"]);
    assert_eq!(
        ids(json!({"term": {"log.file.path": "/var/log/db-1.log"}})),
        ["d", "e"]
    );
    assert_eq!(ids(json!({"term": {"_id": "b"}})), ["b"]);
    assert_eq!(
        ids(
            json!({"range": {"@timestamp": {"gte": "2026-11-22T02:00:00Z", "lt": "2026-11-22T02:40:00Z"}}})
        ),
        ["c", "d"]
    );
    assert_eq!(
        ids(
            json!({"range": {"@timestamp": {"gt": "2026-11-22T02:20:00.000Z", "format": "strict_date_optional_time"}}})
        ),
        ["e", "f"]
    );
    // `@timestamp` is a column only: one value is a range from it to itself, in the DSL and in Lucene.
    assert_eq!(
        ids(json!({"term": {"@timestamp": "2026-11-22T02:20:00Z"}})),
        ["d"]
    );
    assert_eq!(
        ids(
            json!({"query_string": {"query": "@timestamp:\"2026-11-22T02:20:00Z\" OR log.offset:10"}})
        ),
        ["a", "d"]
    );
    let t = 1_795_314_000_000i64; // 2026-11-22T02:20:00Z
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"lte": t}}})),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"gte": "2026-11-22||/d", "lte": "2026-11-22||/d"}}}))
            .len(),
        6
    );
    assert!(ids(json!({"range": {"@timestamp": {"gte": "now-15m"}}})).is_empty());
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"lte": "now", "gte": "now-10y/y"}}})).len(),
        6
    );
    assert_eq!(
        ids(json!({"range": {"log.offset": {"gt": 20, "lte": 40}}})),
        ["c", "d"]
    );
    assert_eq!(ids(json!({"range": {"log.offset": {"gte": 55.5}}})), ["f"]);
    assert_eq!(
        ids(json!({"exists": {"field": "event.id"}})),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        ids(json!({"exists": {"field": "log.file"}})),
        ["a", "b", "c", "d", "e"]
    );
    assert!(ids(json!({"exists": {"field": "nope"}})).is_empty());
    assert_eq!(
        ids(
            json!({"bool": {"must": [{"match": {"message": "server"}}], "filter": [{"term": {"log.level": "error"}}], "must_not": [{"term": {"host.name": "db-1"}}]}})
        ),
        ["a"]
    );
    assert_eq!(
        ids(json!({"bool": {"must_not": {"term": {"log.level": "error"}}}})),
        ["b", "c", "d"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"should": [{"term": {"log.level": "warn"}}, {"term": {"host.name": "web-1"}}]}})
        ),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"should": [{"term": {"log.level": "error"}}, {"term": {"host.name": "web-1"}}, {"match": {"message": "server"}}], "minimum_should_match": 2}})
        ),
        ["a", "e"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"filter": {"term": {"log.level": "info"}}, "should": [{"term": {"host.name": "nope"}}]}})
        ),
        ["b", "d"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "upstream AND host.name:web-2"}})),
        ["c"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "log.level:error -host.name:db-1"}})),
        ["a", "f"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "\"disk full\""}})),
        ["e"]
    );
    assert_eq!(ids(json!({"query_string": {"query": "*"}})).len(), 6);
    // `F:*` and `_exists_:F` are the DSL's `exists`, alone, negated, and inside larger queries.
    let lucene = |q: &str| ids(json!({"query_string": {"query": q}}));
    assert_eq!(lucene("_exists_:log.file"), ["a", "b", "c", "d", "e"]);
    assert_eq!(lucene("log.file.path:*"), ["a", "b", "c", "d", "e"]);
    assert_eq!(lucene("refused AND -_exists_:log.file"), ["f"]);
    assert_eq!(
        lucene("(log.level:warn OR log.level:info) AND host.name:*"),
        ["b", "c", "d"]
    );
    assert_eq!(lucene("_exists_:message AND _exists_:@timestamp").len(), 6);
    assert!(lucene("_exists_:nope").is_empty());
    // Negations alone match every document without them (ES adds a match_all to such a group).
    assert_eq!(lucene("-host.name:db-1"), ["a", "b", "c", "f"]);
    assert_eq!(lucene("-host.name:db-1 -log.level:error"), ["b", "c"]);
    assert_eq!(lucene("log.level:error AND (-host.name:db-1)"), ["a", "f"]);
    // A negated member of an OR is a negation of the whole, as in ES (`a OR -b` is `a` without `b`).
    assert_eq!(lucene("refused OR -host.name:web-2"), ["a"]);
    assert_eq!(lucene("refused OR NOT host.name:web-2"), ["a"]);
    assert_eq!(lucene("log.level:error AND NOT host.name:db-1"), ["a", "f"]);
    assert_eq!(
        lucene("NOT log.level:error OR NOT host.name:web-1"),
        ["c", "d"]
    );
    // A leaf that yields no query is left out, on either path.
    assert_eq!(lucene("host.name:web-1 AND \"--\""), ["a", "b"]);
    assert_eq!(
        lucene("_exists_:log.file AND host.name:web-1 AND \"--\""),
        ["a", "b"]
    );
    assert_eq!(
        lucene("_exists_:_exists_:log.file"),
        ["a", "b", "c", "d", "e"]
    );
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"query": {"query_string": {"query": "_exists_:message AND message:(unclosed"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        ids(json!({"query_string": {"query": "server refused", "default_operator": "AND"}})),
        ["a"]
    );
    assert_eq!(
        ids(json!({"constant_score": {"filter": {"term": {"host.name": "db-1"}}}})),
        ["d", "e"]
    );
    assert_eq!(
        ids(json!({"multi_match": {"query": "web-1", "fields": ["host.name", "message"]}})),
        ["a", "b"]
    );
    // URI search and count with a query.
    let r = es.req("GET", "/logs/_search?q=host.name:web-1&size=1", None);
    assert_eq!(r.body["hits"]["total"]["value"], 2);
    assert_eq!(hits(&r.body).len(), 1);
    let r = es.json(
        "POST",
        "/logs/_count",
        json!({"query": {"match": {"message": "server"}}}),
    );
    assert_eq!(r.body["count"], 4);
}

/// `event.id` equal to `_id` is indexed once (as `_id`); searches, sorts and aggregations on `event.id` must
/// not tell the difference from documents whose `event.id` differs or that have none.
#[test]
fn event_id_equal_to_id_or_not_searches_alike() {
    let es = Es::start();
    let lines = [
        json!({"index": {"_id": "k1"}}),
        json!({"@timestamp": "2026-11-22T01:00:00Z", "message": "same", "event": {"id": "k1", "kind": "event"}}),
        json!({"index": {"_id": "k2"}}),
        json!({"@timestamp": "2026-11-22T01:00:01Z", "message": "dotted line", "event.id": "k2"}),
        json!({"index": {"_id": "k3"}}),
        json!({"@timestamp": "2026-11-22T01:00:02Z", "message": "other", "event": {"id": "j9"}}),
        json!({"index": {"_id": "k4"}}),
        json!({"@timestamp": "2026-11-22T01:00:03Z", "message": "none"}),
    ];
    es.bulk("/evid/_bulk?refresh=true", &lines);
    let ids = |q: Value| es.ids("evid", q);
    let lucene = |q: &str| ids(json!({"query_string": {"query": q}}));

    assert_eq!(ids(json!({"term": {"event.id": "k1"}})), ["k1"]);
    assert_eq!(ids(json!({"term": {"event.id": "j9"}})), ["k3"]);
    assert!(
        ids(json!({"term": {"event.id": "k3"}})).is_empty(),
        "k3 is only an _id"
    );
    assert_eq!(
        ids(json!({"terms": {"event.id": ["k2", "j9", "k4"]}})),
        ["k2", "k3"]
    );
    assert_eq!(ids(json!({"match": {"event.id": "k2"}})), ["k2"]);
    assert_eq!(
        ids(json!({"exists": {"field": "event.id"}})),
        ["k1", "k2", "k3"]
    );
    assert_eq!(
        ids(json!({"range": {"event.id": {"gte": "j", "lte": "k2"}}})),
        ["k1", "k2", "k3"]
    );
    assert_eq!(lucene("event.id:k1 OR event.id:j9"), ["k1", "k3"]);
    assert_eq!(lucene(r#"event.id:"k2""#), ["k2"]);
    assert_eq!(lucene("event.id:[j TO k1]"), ["k1", "k3"]);
    assert_eq!(
        lucene("(message:same OR message:dotted OR message:other) AND -event.id:k1"),
        ["k2", "k3"]
    );
    assert!(lucene("event.id:k3").is_empty(), "k3 is only an _id");
    assert_eq!(lucene("_exists_:event.id"), ["k1", "k2", "k3"]);
    assert_eq!(lucene("message:* AND -event.id:*"), ["k4"]);
    assert_eq!(ids(json!({"term": {"event.kind": "event"}})), ["k1"]);

    // event.id, or another field of the JSON catch-all, as the default field of query_string.
    let in_default =
        |q: &str, field: &str| ids(json!({"query_string": {"query": q, "default_field": field}}));
    assert_eq!(in_default("k1 OR j9", "event.id"), ["k1", "k3"]);
    assert!(in_default("k3", "event.id").is_empty(), "k3 is only an _id");
    assert_eq!(in_default("k2 OR message:none", "event.id"), ["k2", "k4"]);
    assert_eq!(in_default("[j TO k1]", "event.id"), ["k1", "k3"]);
    assert_eq!(in_default("-k1", "event.id"), ["k2", "k3", "k4"]);
    assert_eq!(in_default("event", "event.kind"), ["k1"]);
    let in_fields = |q: &str, and: bool| {
        ids(
            json!({"query_string": {"query": q, "fields": ["message", "event.id"],
                   "default_operator": if and { "AND" } else { "OR" }}}),
        )
    };
    assert_eq!(in_fields("j9 OR dotted", false), ["k2", "k3"]);
    assert_eq!(in_fields("k1 same", true), ["k1"]);
    assert!(in_fields("k1 dotted", true).is_empty());
    // A field that refuses a term (a phrase prefix on a keyword) leaves it to the others.
    assert_eq!(in_fields(r#""dotted li"*"#, false), ["k2"]);
    assert_eq!(in_fields("[j TO k1]", false), ["k1", "k3"]);
    // [* TO *] is "has a value", as in ES.
    assert_eq!(in_default("[* TO *]", "event.id"), ["k1", "k2", "k3"]);
    assert_eq!(in_default("[* TO *]", "event.kind"), ["k1"]);
    assert_eq!(lucene("event.id:[* TO *]"), ["k1", "k2", "k3"]);
    assert_eq!(lucene("event.kind:[* TO *]"), ["k1"]);

    // _source is returned as sent.
    let r = es.search("evid", json!({"query": {"term": {"_id": "k1"}}}));
    assert_eq!(
        hits(&r)[0]["_source"]["event"],
        json!({"id": "k1", "kind": "event"})
    );

    // Sorting and aggregating read every event.id.
    let r = es.search(
        "evid",
        json!({"sort": [{"event.id": "desc"}], "size": 10,
               "aggs": {"ids": {"terms": {"field": "event.id"}}, "n": {"cardinality": {"field": "event.id"}}}}),
    );
    let order: Vec<String> = hits(&r)
        .iter()
        .map(|h| h["_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(order, ["k2", "k1", "k3", "k4"], "{r}");
    assert_eq!(bucket_counts(&r["aggregations"]["ids"]).len(), 3, "{r}");
    assert_eq!(r["aggregations"]["n"]["value"], json!(3), "{r}");
}

#[test]
fn sort_paging_source_highlight_total() {
    let es = Es::start();
    let mut lines = Vec::new();
    for i in 0..25 {
        lines.push(json!({"index": {"_id": format!("d{i:02}")}}));
        // Pairs of documents share a timestamp: paging must use the tiebreaker.
        lines.push(json!({"@timestamp": 1_763_769_600_000i64 + (i / 2) * 1000, "message": format!("event number {i}"), "seq": i, "host": {"name": format!("h{}", i % 3)}, "event": {"id": format!("d{i:02}")}}));
    }
    es.bulk("/p/_bulk?refresh=true", &lines);

    // search_after paging, desc on @timestamp with event.id as tiebreaker.
    let mut seen = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let mut body = json!({"size": 10, "sort": [{"@timestamp": {"order": "desc"}}, {"event.id": "asc"}], "query": {"match_all": {}}});
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let r = es.search("p", body);
        let page = hits(&r);
        if page.is_empty() {
            break;
        }
        assert_eq!(r["hits"]["total"]["value"], 25);
        for h in &page {
            assert!(h["_score"].is_null());
            seen.push(h["_source"]["seq"].as_i64().unwrap_or(-1));
        }
        after = page.last().map(|h| h["sort"].clone());
        assert!(seen.len() <= 25, "paging does not terminate");
    }
    let mut expected: Vec<i64> = (0..25).collect();
    expected.sort_by_key(|i| (-(i / 2), *i));
    assert_eq!(seen, expected);

    // Sort value shape and from/size.
    let r = es.search(
        "p",
        json!({"sort": [{"@timestamp": "asc"}], "from": 3, "size": 2}),
    );
    let page = hits(&r);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["sort"], json!([1_763_769_601_000i64]));
    // Keyword sort and string sort form.
    let r = es.search(
        "p",
        json!({"sort": [{"host.name": "desc"}, "seq"], "size": 3}),
    );
    let seqs: Vec<i64> = hits(&r)
        .iter()
        .map(|h| h["_source"]["seq"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(seqs, [2, 5, 8]);
    assert_eq!(hits(&r)[0]["sort"], json!(["h2", 2]));
    // Numeric field sort desc.
    let r = es.search(
        "p",
        json!({"sort": [{"seq": {"order": "desc"}}], "size": 1}),
    );
    assert_eq!(hits(&r)[0]["_source"]["seq"], 24);

    // _source filtering.
    let r = es.search(
        "p",
        json!({"_source": ["host.name"], "size": 1, "sort": ["seq"]}),
    );
    assert_eq!(hits(&r)[0]["_source"], json!({"host": {"name": "h0"}}));
    let r = es.search(
        "p",
        json!({"_source": {"excludes": ["host", "event.*"]}, "size": 1, "sort": ["seq"]}),
    );
    assert_eq!(
        hits(&r)[0]["_source"],
        json!({"@timestamp": 1_763_769_600_000i64, "message": "event number 0", "seq": 0, "event": {}})
    );
    let r = es.search("p", json!({"_source": false, "size": 1}));
    assert!(hits(&r)[0].get("_source").is_none());

    // track_total_hits.
    let r = es.search("p", json!({"track_total_hits": false, "size": 0}));
    assert!(r["hits"].get("total").is_none());
    let r = es.search("p", json!({"track_total_hits": 10, "size": 0}));
    assert_eq!(r["hits"]["total"], json!({"value": 10, "relation": "gte"}));
    let r = es.search("p", json!({"track_total_hits": true, "size": 0}));
    assert_eq!(r["hits"]["total"], json!({"value": 25, "relation": "eq"}));

    // Relevance order and highlight.
    let r = es.search("p", json!({"query": {"match": {"message": "number 7"}}, "highlight": {"fields": {"message": {}}}}));
    let top = &hits(&r)[0];
    assert_eq!(top["_id"], "d07");
    assert!(top["_score"].as_f64().unwrap_or(0.0) > 0.0);
    assert!(r["hits"]["max_score"].as_f64().is_some());
    assert_eq!(
        top["highlight"]["message"],
        json!(["event <em>number</em> <em>7</em>"])
    );
    let r = es.search(
        "p",
        json!({"query": {"query_string": {"query": "event AND seq:3"}}, "highlight": {"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"message": {}}}}),
    );
    assert_eq!(
        hits(&r)[0]["highlight"]["message"],
        json!(["<b>event</b> number 3"])
    );
}

#[test]
fn aggregations() {
    let es = Es::start();
    sample(&es);
    let r = es.search(
        "logs",
        json!({"size": 0, "aggs": {
            "per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "min_doc_count": 0,
                "extended_bounds": {"min": "2026-11-22T00:00:00Z", "max": "2026-11-22T05:00:00Z"}}},
            "per_hour_cal": {"date_histogram": {"field": "@timestamp", "calendar_interval": "hour"},
                "aggs": {"levels": {"terms": {"field": "log.level"}}}},
            "hosts": {"terms": {"field": "host.name", "size": 2}},
            "min_off": {"min": {"field": "log.offset"}},
            "max_off": {"max": {"field": "log.offset"}},
            "avg_off": {"avg": {"field": "log.offset"}},
            "sum_off": {"sum": {"field": "log.offset"}},
            "n_off": {"value_count": {"field": "log.offset"}},
            "n_hosts": {"cardinality": {"field": "host.name"}},
            "first": {"min": {"field": "@timestamp"}}
        }}),
    );
    assert_eq!(r["hits"]["total"]["value"], 6);
    assert!(hits(&r).is_empty());
    let a = &r["aggregations"];
    let buckets = a["per_hour"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let counts: Vec<(String, i64)> = buckets
        .iter()
        .map(|b| {
            (
                b["key_as_string"].as_str().unwrap_or("").to_string(),
                b["doc_count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("2026-11-22T00:00:00.000Z".to_string(), 0),
            ("2026-11-22T01:00:00.000Z".to_string(), 2),
            ("2026-11-22T02:00:00.000Z".to_string(), 3),
            ("2026-11-22T03:00:00.000Z".to_string(), 0),
            ("2026-11-22T04:00:00.000Z".to_string(), 1),
            ("2026-11-22T05:00:00.000Z".to_string(), 0),
        ]
    );
    assert_eq!(buckets[1]["key"], json!(1_795_309_200_000i64));
    let cal = a["per_hour_cal"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(cal[1]["doc_count"], 3);
    let lv: Vec<(String, i64)> = cal[1]["levels"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap_or("").to_string(),
                b["doc_count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        lv,
        [
            ("error".to_string(), 1),
            ("info".to_string(), 1),
            ("warn".to_string(), 1)
        ]
    );
    let hosts: Vec<(String, i64)> = a["hosts"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap_or("").to_string(),
                b["doc_count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(hosts.len(), 2);
    assert!(hosts.iter().all(|(_, c)| *c == 2));
    assert_eq!(a["hosts"]["sum_other_doc_count"], 2);
    assert_eq!(a["min_off"]["value"], 10.0);
    assert_eq!(a["max_off"]["value"], 60.0);
    assert_eq!(a["avg_off"]["value"], 35.0);
    assert_eq!(a["sum_off"]["value"], 210.0);
    assert_eq!(
        a["n_off"]["value"],
        json!(6),
        "counts are integers as in ES"
    );
    assert_eq!(a["n_hosts"]["value"], json!(3));
    assert_eq!(a["first"]["value_as_string"], "2026-11-22T01:00:00.000Z");
    assert_eq!(a["first"]["value"], 1_795_309_200_000.0);

    // Month-based calendar intervals are limited to `@timestamp`: elsewhere a clean 400.
    let bad = es.json("POST", "/logs/_search", json!({"aggs": {"m": {"date_histogram": {"field": "log.offset", "calendar_interval": "month"}}}}));
    assert_eq!(bad.status, 400, "{}", bad.body);
}

fn bucket_counts(agg: &Value) -> Vec<(String, i64)> {
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

#[test]
fn calendar_month_quarter_and_year_histograms() {
    let es = Es::start();
    let mut lines = Vec::new();
    // Two indices, so buckets merge across them; March 2026 holds nothing.
    for (index, id, ts, level) in [
        ("cal-a", "1", "2026-01-31T23:59:59.999Z", "error"),
        ("cal-a", "2", "2026-02-01T00:00:00.000Z", "info"),
        ("cal-a", "3", "2026-02-28T12:00:00.000Z", "error"),
        ("cal-b", "4", "2026-04-15T08:00:00.000Z", "info"),
        ("cal-b", "5", "2027-01-02T00:00:00.000Z", "error"),
    ] {
        lines.push(json!({"index": {"_index": index, "_id": id}}));
        lines.push(json!({"@timestamp": ts, "message": "m", "log": {"level": level}}));
    }
    let r = es.bulk("/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");

    let r = es.search(
        "cal-*",
        json!({"size": 0, "aggs": {
            "months": {"date_histogram": {"field": "@timestamp", "calendar_interval": "month"},
                "aggs": {"levels": {"terms": {"field": "log.level"}}}},
            "quarters": {"date_histogram": {"field": "@timestamp", "calendar_interval": "quarter"}},
            "years": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1y"}},
            "busy_months": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1M", "min_doc_count": 1}},
            "padded": {"date_histogram": {"field": "@timestamp", "calendar_interval": "year",
                "extended_bounds": {"min": "2025-06-01", "max": "2028-01-01"}}}
        }}),
    );
    let a = &r["aggregations"];
    let months = bucket_counts(&a["months"]);
    assert_eq!(months.len(), 13, "{months:?}");
    assert_eq!(months[0], ("2026-01-01T00:00:00.000Z".to_string(), 1));
    assert_eq!(months[1], ("2026-02-01T00:00:00.000Z".to_string(), 2));
    assert_eq!(months[2], ("2026-03-01T00:00:00.000Z".to_string(), 0));
    assert_eq!(months[3], ("2026-04-01T00:00:00.000Z".to_string(), 1));
    assert_eq!(months[12], ("2027-01-01T00:00:00.000Z".to_string(), 1));
    let feb = &a["months"]["buckets"][1];
    assert_eq!(feb["key"], json!(1_769_904_000_000_i64));
    let levels = bucket_counts(&feb["levels"])
        .into_iter()
        .map(|(_, n)| n)
        .collect::<Vec<_>>();
    assert_eq!(levels, [1, 1], "{feb}");
    assert_eq!(feb["levels"]["buckets"][0]["key"], "error");
    assert_eq!(
        bucket_counts(&a["quarters"]),
        [
            ("2026-01-01T00:00:00.000Z".to_string(), 3),
            ("2026-04-01T00:00:00.000Z".to_string(), 1),
            ("2026-07-01T00:00:00.000Z".to_string(), 0),
            ("2026-10-01T00:00:00.000Z".to_string(), 0),
            ("2027-01-01T00:00:00.000Z".to_string(), 1),
        ]
    );
    assert_eq!(
        bucket_counts(&a["years"]),
        [
            ("2026-01-01T00:00:00.000Z".to_string(), 4),
            ("2027-01-01T00:00:00.000Z".to_string(), 1),
        ]
    );
    assert_eq!(bucket_counts(&a["busy_months"]).len(), 4);
    let padded: Vec<i64> = bucket_counts(&a["padded"])
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(padded, [0, 4, 1, 0], "{}", a["padded"]);

    // A query narrows the buckets to the months holding matches.
    let r = es.search(
        "cal-*",
        json!({"size": 0, "query": {"term": {"log.level": "info"}}, "aggs": {
            "months": {"date_histogram": {"field": "@timestamp", "calendar_interval": "month"}}}}),
    );
    assert_eq!(
        bucket_counts(&r["aggregations"]["months"]),
        [
            ("2026-02-01T00:00:00.000Z".to_string(), 1),
            ("2026-03-01T00:00:00.000Z".to_string(), 0),
            ("2026-04-01T00:00:00.000Z".to_string(), 1),
        ]
    );
    // No documents at all: no buckets.
    let r = es.search(
        "cal-*",
        json!({"size": 0, "query": {"term": {"log.level": "nope"}}, "aggs": {
            "months": {"date_histogram": {"field": "@timestamp", "calendar_interval": "month"}}}}),
    );
    assert_eq!(r["aggregations"]["months"]["buckets"], json!([]));
}

#[test]
fn indices_wildcards_cat_and_delete() {
    let es = Es::start();
    for (index, n) in [("app-2026.11.21", 3), ("app-2026.11.22", 4), ("other", 1)] {
        let mut lines = Vec::new();
        for i in 0..n {
            lines.push(json!({"index": {"_index": index}}));
            lines
                .push(json!({"@timestamp": format!("2026-11-22T00:00:0{i}Z"), "message": "hello"}));
        }
        es.bulk("/_bulk?refresh=true", &lines);
    }
    assert_eq!(es.search("app-*", json!({}))["hits"]["total"]["value"], 7);
    assert_eq!(
        es.search("app-2026.11.21,other", json!({}))["hits"]["total"]["value"],
        4
    );
    assert_eq!(
        es.json("POST", "/_search", json!({"size": 100})).body["hits"]["hits"]
            .as_array()
            .map(Vec::len),
        Some(8)
    );
    assert_eq!(es.req("GET", "/_count", None).body["count"], 8);
    let r = es.search("nomatch-*", json!({}));
    assert_eq!(r["hits"]["total"]["value"], 0);
    let r = es.req("GET", "/app-2026.11.21,missing/_search", None);
    assert_eq!(r.status, 404);

    let r = es.req("GET", "/_cat/indices?format=json", None);
    let rows = r.body.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3);
    let app = rows
        .iter()
        .find(|r| r["index"] == "app-2026.11.22")
        .cloned()
        .unwrap_or_default();
    assert_eq!(app["docs.count"], "4");
    assert_eq!(app["health"], "green");
    assert_eq!(app["status"], "open");
    assert!(app["store.size"].as_str().is_some_and(|s| !s.is_empty()));

    assert_eq!(es.req("HEAD", "/other", None).status, 200);
    assert_eq!(es.req("HEAD", "/nothere", None).status, 404);
    let r = es.req("PUT", "/fresh", Some("{\"settings\":{}}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["acknowledged"], true);
    let r = es.req("PUT", "/fresh", None);
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "resource_already_exists_exception");
    assert_eq!(
        es.req("GET", "/fresh/_mapping", None).body["fresh"]["mappings"]["properties"]
            ["@timestamp"]["type"],
        "date"
    );

    let r = es.req("DELETE", "/app-*", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["acknowledged"], true);
    assert_eq!(es.req("HEAD", "/app-2026.11.22", None).status, 404);
    assert_eq!(
        es.req("GET", "/_cat/indices?format=json", None)
            .body
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(es.req("DELETE", "/app-2026.11.22", None).status, 404);
    // Writing again re-creates the index from scratch.
    es.bulk(
        "/app-2026.11.22/_bulk?refresh=true",
        &[json!({"index": {}}), json!({"message": "again"})],
    );
    assert_eq!(
        es.req("GET", "/app-2026.11.22/_count", None).body["count"],
        1
    );

    // Single-document API.
    let r = es.json("PUT", "/other/_doc/x1", json!({"message": "single"}));
    assert_eq!(r.status, 201);
    let r = es.req("GET", "/other/_doc/x1", None);
    assert_eq!(r.body["_source"]["message"], "single");
    assert_eq!(es.req("GET", "/other/_doc/nope", None).status, 404);
    let r = es.req("DELETE", "/other/_doc/x1?refresh=true", None);
    assert_eq!(
        (r.status, r.body["result"].clone()),
        (200, json!("deleted"))
    );
    assert_eq!(es.req("GET", "/other/_doc/x1", None).status, 404);
    // What is left is the document written to `other` by `_bulk` above.
    assert_eq!(es.req("GET", "/other/_count", None).body["count"], 1);
    let r = es.req("DELETE", "/other/_doc/x1", None);
    assert_eq!(
        (r.status, r.body["result"].clone()),
        (404, json!("not_found"))
    );
    let r = es.req("DELETE", "/missing/_doc/x1", None);
    assert_eq!(
        (r.status, r.body["error"]["type"].clone()),
        (404, json!("index_not_found_exception"))
    );
    assert_eq!(es.req("HEAD", "/missing", None).status, 404, "not created");
}

#[test]
fn retention_deletes_old_daily_indices_only() {
    let es = Es::start();
    let today = chrono::Utc::now().date_naive();
    let recent = format!("app-{}", (today - chrono::Days::new(2)).format("%Y.%m.%d"));
    let old = format!("app-{}", (today - chrono::Days::new(8)).format("%Y.%m.%d"));
    for index in [recent.as_str(), old.as_str(), "app-notadate", "2020.01.01x"] {
        es.bulk(
            "/_bulk",
            &[json!({"index": {"_index": index}}), json!({"message": "m"})],
        );
    }
    let deleted = es.store.apply_retention(7);
    assert_eq!(deleted, vec![old.clone()]);
    let mut names = es.store.index_names();
    names.sort();
    let mut expected = vec![
        "2020.01.01x".to_string(),
        "app-notadate".to_string(),
        recent,
    ];
    expected.sort();
    assert_eq!(names, expected);
    assert!(!es._dir.path().join(&old).exists());
}

#[test]
fn in_process_api_and_concurrent_bulks_share_commits() {
    let es = Es::start();
    let body: String = (0..3)
        .map(|i| format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"message\":\"m{i}\"}}\n"))
        .collect();
    let r = es
        .store
        .bulk(body.as_bytes(), Some("inproc"), Refresh::WaitFor)
        .expect("bulk");
    assert!(!r.errors());
    assert_eq!(
        es.store.count(Some("inproc"), &Value::Null).expect("count")["count"],
        3
    );
    let err = es
        .store
        .bulk(b"garbage\n", None, Refresh::False)
        .expect_err("malformed");
    assert_eq!(err.status, 400);

    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = es.store.clone();
            std::thread::spawn(move || {
                for round in 0..5 {
                    let body: String = (0..100)
                        .map(|i| format!("{{\"index\":{{}}}}\n{{\"message\":\"t{t} r{round} i{i}\",\"@timestamp\":\"2026-11-22T00:00:00Z\"}}\n"))
                        .collect();
                    let r = store
                        .bulk(body.as_bytes(), Some("conc"), Refresh::False)
                        .expect("bulk");
                    assert!(!r.errors());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    es.store.refresh(Some("conc")).expect("refresh");
    assert_eq!(es.req("GET", "/conc/_count", None).body["count"], 2000);
}

#[test]
fn a_search_idle_index_is_refreshed_by_the_next_search() {
    // Always idle: the refresher leaves writes uncommitted (for 30 s or 500 k operations), so only the
    // searches' own refreshes can make them visible.
    let es = Es::start_with_search_idle_after(Duration::ZERO);
    let docs = |from: usize, to: usize| -> Vec<Value> {
        (from..to)
            .flat_map(|i| {
                doc(
                    &format!("d{i}"),
                    "2026-11-22T10:00:00Z",
                    &format!("idle line {i}"),
                    "h1",
                    "info",
                    i as i64,
                )
            })
            .collect()
    };
    es.bulk("/idle/_bulk", &docs(0, 3));
    let cat = es.req("GET", "/_cat/indices/idle?format=json", None);
    assert_eq!(
        cat.body[0]["docs.count"], "0",
        "not refreshed in the background: {}",
        cat.body
    );
    assert_eq!(es.req("GET", "/idle/_count", None).body["count"], 3);
    es.bulk("/idle/_bulk", &docs(3, 5));
    let r = es.search("idle", json!({"query": {"match": {"message": "idle"}}}));
    assert_eq!(r["hits"]["total"]["value"], 5, "{r}");
    es.bulk("/idle/_bulk", &docs(5, 6));
    let r = es.search("idle*", json!({"query": {"match_all": {}}}));
    assert_eq!(r["hits"]["total"]["value"], 6, "{r}");
}

#[test]
fn concurrent_searches_of_an_index_going_idle_all_see_every_acknowledged_write() {
    // Idle 100 ms after the index is created, before the refresher's quick refresh of a small index
    // (200 ms) could commit it; idle, it is left alone for 30 s.
    let idle_after = Duration::from_millis(100);
    let es = Es::start_with_search_idle_after(idle_after);
    let lines: Vec<Value> = (0..2000)
        .flat_map(|i| {
            doc(
                &format!("c{i}"),
                "2026-11-22T10:00:00Z",
                &format!("line {i}"),
                "h1",
                "info",
                i,
            )
        })
        .collect();
    es.bulk("/burst/_bulk", &lines);
    // Idleness is a matter of time: let it pass, then check that nothing was committed.
    std::thread::sleep(idle_after + Duration::from_millis(300));
    let cat = es.req("GET", "/_cat/indices/burst?format=json", None);
    assert_eq!(cat.body[0]["docs.count"], "0", "{}", cat.body);
    let counts: Vec<Value> = std::thread::scope(|s| {
        let searches: Vec<_> = (0..4)
            .map(|_| s.spawn(|| es.req("GET", "/burst/_count", None).body["count"].clone()))
            .collect();
        searches
            .into_iter()
            .map(|t| t.join().expect("search thread"))
            .collect()
    });
    assert_eq!(counts, vec![json!(2000); 4]);
}

fn spawn_store(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .args(["store", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn logpipe store");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(pos) = line.find("listening on http://") {
                    let _ = tx.send(line[pos + "listening on ".len()..].trim().to_string());
                    sent = true;
                }
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("store did not report its address");
    (child, url)
}

#[test]
fn bulk_is_durable_across_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, url) = spawn_store(dir.path());
    let agent = agent();
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-{i}\"}}}}\n"
        ));
        body.push_str(&format!("{{\"@timestamp\":\"2026-11-22T04:51:21.123Z\",\"message\":\"line {i}\",\"event\":{{\"id\":\"ev-{i}\"}}}}\n"));
    }
    let r = call(&agent, &url, "POST", "/_bulk", Some(&body), None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["errors"], false);
    // Deletes and replacements, answered from the translog like the adds (a periodic refresh may or may
    // not have committed some of them by the time of the kill; the result must be the same).
    let mut body = String::new();
    for i in 0..10 {
        body.push_str(&format!(
            "{{\"delete\":{{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-{i}\"}}}}\n"
        ));
    }
    body.push_str("{\"index\":{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-10\"}}\n");
    body.push_str("{\"@timestamp\":\"2026-11-22T04:51:22.000Z\",\"message\":\"replaced\",\"event\":{\"id\":\"ev-10\"}}\n");
    let r = call(&agent, &url, "POST", "/_bulk", Some(&body), None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["errors"], false, "{}", r.body);
    child.kill().expect("kill -9");
    child.wait().ok();

    let (mut child, url) = spawn_store(dir.path());
    let deadline = Instant::now() + Duration::from_secs(20);
    let count = loop {
        let r = call(&agent, &url, "GET", "/logs-2026.11.22/_count", None, None);
        if r.status == 200 || Instant::now() > deadline {
            break r.body["count"].clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let r = call(
        &agent,
        &url,
        "POST",
        "/logs-*/_search",
        Some(r#"{"query":{"term":{"event.id":"ev-1999"}}}"#),
        None,
    );
    let replaced = call(
        &agent,
        &url,
        "GET",
        "/logs-2026.11.22/_doc/ev-10",
        None,
        None,
    );
    let deleted = call(
        &agent,
        &url,
        "GET",
        "/logs-2026.11.22/_doc/ev-3",
        None,
        None,
    );
    child.kill().ok();
    child.wait().ok();
    assert_eq!(count, 1990);
    assert_eq!(r.body["hits"]["hits"][0]["_id"], "ev-1999");
    assert_eq!(replaced.body["_source"]["message"], "replaced");
    assert_eq!(deleted.status, 404);
}

#[test]
fn sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, url) = spawn_store(dir.path());
    let r = call(
        &agent(),
        &url,
        "POST",
        "/x/_bulk",
        Some("{\"index\":{}}\n{\"message\":\"m\"}\n"),
        None,
    );
    assert_eq!(r.status, 200);
    let pid = child.id().to_string();
    let ok = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "store did not exit cleanly on SIGTERM: {status:?}"
    );
}

#[test]
fn keyword_sort_pages_across_segments_and_indices() {
    let es = Es::start();
    // Three bulks into two indices: several segments whose term dictionaries differ ("m-host" exists only in
    // the last one, so a search_after key is missing from the others).
    let hosts_per_bulk = [
        vec!["b-host", "d-host", "f-host"],
        vec!["a-host", "d-host", "z-host"],
        vec!["m-host", "b-host"],
    ];
    let mut expected: Vec<(String, String)> = Vec::new();
    for (bulk, hosts) in hosts_per_bulk.iter().enumerate() {
        let mut lines = Vec::new();
        for (i, host) in hosts.iter().enumerate() {
            for copy in 0..2 {
                let id = format!("k{bulk}{i}{copy}");
                let index = if copy == 0 { "kw-a" } else { "kw-b" };
                lines.push(json!({"index": {"_index": index, "_id": id}}));
                lines.push(json!({"@timestamp": "2026-11-22T00:00:00Z", "message": "m", "host": {"name": host}, "event": {"id": id}}));
                expected.push((host.to_string(), id));
            }
        }
        // One document without the field: sorted last.
        lines.push(json!({"index": {"_index": "kw-a", "_id": format!("none{bulk}")}}));
        lines.push(json!({"@timestamp": "2026-11-22T00:00:00Z", "message": "m", "event": {"id": format!("none{bulk}")}}));
        let r = es.bulk("/_bulk?refresh=true", &lines);
        assert_eq!(r["errors"], json!(false), "{r}");
    }
    expected.sort();
    let mut want: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    want.extend((0..3).map(|b| format!("none{b}")));

    let mut got: Vec<String> = Vec::new();
    let mut after: Option<Value> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"size": 4, "sort": [{"host.name": "asc"}, {"event.id": "asc"}]});
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let page = hits(&es.search("kw-*", body));
        if page.is_empty() {
            break;
        }
        pages += 1;
        got.extend(
            page.iter()
                .map(|h| h["_id"].as_str().unwrap_or("").to_string()),
        );
        after = page.last().map(|h| h["sort"].clone());
        assert!(pages < 20, "paging does not end: {got:?}");
    }
    assert_eq!(got, want);

    // A search_after key no segment holds: everything after it, in order.
    let r = es.search(
        "kw-*",
        json!({"size": 100, "sort": [{"host.name": "asc"}, {"event.id": "asc"}], "search_after": ["c-host", ""]}),
    );
    let first: Vec<Value> = hits(&r)
        .iter()
        .take(2)
        .map(|h| h["sort"][0].clone())
        .collect();
    assert_eq!(first, [json!("d-host"), json!("d-host")]);
    assert_eq!(
        hits(&r).len(),
        want.len() - 6,
        "a-host ×2 and b-host ×4 come before c-host"
    );
    // An empty sort is the default order.
    let r = es.search("kw-*", json!({"size": 3, "sort": []}));
    assert_eq!(hits(&r).len(), 3);
    // Descending.
    let r = es.search("kw-*", json!({"size": 3, "sort": [{"host.name": "desc"}]}));
    let top: Vec<Value> = hits(&r).iter().map(|h| h["sort"][0].clone()).collect();
    assert_eq!(top, [json!("z-host"), json!("z-host"), json!("m-host")]);
}
