//! The console's JSON API against real processes: writes need the bearer token, `--read-only` refuses
//! every write even with it, entries are validated server-side (nothing reaches etcd), stale revisions
//! conflict, a bad query / unreachable backend / foreign Host header each get their own error.

use crate::common::console::start;
use crate::common::etcd::Etcd;
use crate::common::store::StoreProcess;
use serde_json::{json, Value};

const TOKEN: &str = "api-test-token-0123456789";
const KEY: &str = "/logpipe/collect/web-1";

fn entries() -> Value {
    json!({"entries": [{"path": "/var/log/app/*.log", "topic": "app_log"}], "revision": 0})
}

#[test]
fn writes_need_the_token_and_valid_entries() {
    let etcd = Etcd::start();
    // The token from a file, as the README shows it (not in argv, where `ps` shows it).
    let secrets = tempfile::tempdir().expect("tempdir");
    let token_file = secrets.path().join("console.token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("write token");
    let token_file = token_file.to_string_lossy().into_owned();
    let console = start(
        "http://127.0.0.1:9",
        &["--etcd", &etcd.endpoint(), "--auth-token-file", &token_file],
    );
    let put = |token, body| console.call("PUT", "/api/collect/web-1", token, Some(body));

    let (status, body) = put(None, entries());
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["kind"], "unauthorized");
    let (status, _) = put(Some("wrong-token-wrong-token"), entries());
    assert_eq!(status, 401);
    assert_eq!(etcd.get(KEY), None, "nothing written without the token");

    let bad = json!({"entries": [
        {"path": "relative.log", "topic": "t"},
        {"path": "/var/log/a.log", "topic": "bad topic"},
        {"path": "/var/log/b.log", "topic": "b"},
        {"path": "/var/log/b.log", "topic": "b2"},
        {"path": "/var/log/c.log", "topic": "c", "colour": "red"},
    ], "revision": 0});
    let (status, body) = put(Some(TOKEN), bad);
    assert_eq!(status, 400, "{body}");
    let details: Vec<String> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(details.len(), 4, "{details:?}");
    assert!(details[0].contains("entries[0].path") && details[0].contains("absolute"));
    assert!(details[1].contains("entries[1].topic"));
    assert!(details[2].contains("appears twice"));
    assert!(details[3].contains("colour"));
    assert_eq!(etcd.get(KEY), None, "nothing written for invalid entries");
    let (status, _) = console.call(
        "PUT",
        "/api/collect/bad%2Fhost",
        Some(TOKEN),
        Some(entries()),
    );
    assert_eq!(status, 400);

    let (status, body) = put(Some(TOKEN), entries());
    assert_eq!(status, 200, "{body}");
    let revision = body["revision"].as_i64().expect("revision");
    let stored: Value = serde_json::from_str(&etcd.get(KEY).expect("written")).expect("JSON");
    assert_eq!(stored[0]["path"], "/var/log/app/*.log");
    assert_eq!(stored[0]["topic"], "app_log");

    // Saving against the revision read before someone else's change is a conflict.
    let (status, body) = put(Some(TOKEN), entries());
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["current_revision"], revision);
    let (status, body) = put(Some(TOKEN), json!({"entries": [], "revision": revision}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(etcd.get(KEY).as_deref(), Some("[]"));

    let (status, body) = console.call("GET", "/api/collect", None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hosts"][0]["host"], "web-1");
    assert_eq!(body["writes_enabled"], true);
    let (status, body) = console.call(
        "POST",
        "/api/collect/validate",
        None,
        Some(json!({"host": "web-1", "entries": [{"path": "/x.log"}]})),
    );
    assert_eq!(status, 200);
    assert_eq!(body["valid"], false);
    assert!(body["errors"][0]
        .as_str()
        .unwrap_or_default()
        .contains("topic"));
}

#[test]
fn read_only_refuses_every_write_even_with_the_token() {
    let etcd = Etcd::start();
    let console = start(
        "http://127.0.0.1:9",
        &[
            "--etcd",
            &etcd.endpoint(),
            "--auth-token",
            TOKEN,
            "--read-only",
        ],
    );
    let (status, body) = console.call("PUT", "/api/collect/web-1", Some(TOKEN), Some(entries()));
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("read-only"));
    assert_eq!(etcd.get(KEY), None);
    let (_, info) = console.call("GET", "/api/info", None, None);
    assert_eq!(info["read_only"], true);
    assert_eq!(info["writes_enabled"], false);

    // Without a token configured there are no writes either.
    let no_token = start("http://127.0.0.1:9", &["--etcd", &etcd.endpoint()]);
    let (status, body) = no_token.call("PUT", "/api/collect/web-1", Some(TOKEN), Some(entries()));
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("--auth-token"));
}

#[test]
fn search_inputs_errors_and_backend_states() {
    let store = StoreProcess::start();
    store.bulk(concat!(
        "{\"index\":{\"_index\":\"logpipe-2026.11.22\"}}\n",
        "{\"@timestamp\":\"2026-11-22T10:00:00.000Z\",\"message\":\"<script>alert(1)</script> hello\",\"host\":{\"name\":\"h\"}}\n"
    ));
    let console = start(&store.url(), &[]);
    let range = |extra: Value| {
        let mut body = json!({"index": "logpipe-*", "from_ms": 1_795_000_000_000i64, "to_ms": 1_796_000_000_000i64});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let (status, body) = console.call(
        "POST",
        "/api/search",
        None,
        Some(range(json!({"query": "hello"}))),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["hits"][0]["message"],
        "<script>alert(1)</script> hello"
    );
    assert_eq!(
        body["hits"][0]["highlight"],
        "<script>alert(1)</script> \u{e000}hello\u{e001}"
    );

    let (status, body) = console.call(
        "POST",
        "/api/search",
        None,
        Some(range(json!({"query": "message:(x"}))),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["kind"], "bad_query");
    for bad in [
        json!({"index": "../etc"}),
        json!({"index": "Logs"}),
        json!({"from_ms": 1_797_000_000_000i64}),
        json!({"size": 100_000}),
        json!({"search_after": [{"x": 1}, 2]}),
        json!({"unknown": 1}),
    ] {
        let (status, body) = console.call("POST", "/api/search", None, Some(range(bad.clone())));
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["kind"], "bad_request", "{bad}");
    }
    let (status, body) = console.call("GET", "/api/indices", None, None);
    assert_eq!(status, 200);
    assert!(body["patterns"]
        .as_array()
        .expect("patterns")
        .contains(&json!("logpipe-*")));
    let (status, body) = console.call("GET", "/api/fleet", None, None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["kind"], "etcd_not_configured");
    let (status, _) = console.call("PUT", "/api/collect/web-1", Some(TOKEN), Some(entries()));
    assert_eq!(status, 403, "no token configured: no writes");

    // A foreign Host header is refused (DNS rebinding).
    let mut response = console
        .agent
        .get(&format!("{}/api/info", console.url))
        .header("Host", "evil.example:5601")
        .call()
        .expect("answer");
    assert_eq!(response.status().as_u16(), 421);
    let _ = response.body_mut().read_to_string();
    // The page carries a CSP without inline script.
    let response = console
        .agent
        .get(&format!("{}/", console.url))
        .call()
        .expect("page");
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    let unreachable = start("http://127.0.0.1:9", &[]);
    let (status, body) = unreachable.call("POST", "/api/search", None, Some(range(json!({}))));
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["kind"], "backend_unreachable");
}

/// Stalled uploads (a head announcing a body, then nothing) and idle connections do not hold the console:
/// another client is answered meanwhile (bug: four stalled uploads held all four tiny_http workers).
#[test]
fn stalled_and_idle_clients_do_not_freeze_the_console() {
    use std::io::Write;
    let console = start("http://127.0.0.1:9", &[]);
    let addr = console.url.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for i in 0..16 {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        if i % 2 == 0 {
            let head = format!(
                "PUT /api/collect/web-1 HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).expect("stalled head");
        }
        held.push(stream);
    }
    let (status, info) = console.call("GET", "/api/info", None, None);
    assert_eq!(status, 200, "{info}");
    drop(held);
}

/// Discover offers data streams and aliases as index patterns beside daily-index families, and opens on the
/// data stream holding the newest document (its backing indices are hidden `.ds-` names).
#[test]
fn data_streams_and_aliases_are_index_patterns() {
    let store = StoreProcess::start();
    let es = store.es();
    let template = r#"{"index_patterns": ["logs-*-*"], "data_stream": {}, "priority": 200}"#;
    let (status, body) = es.request("PUT", "/_index_template/logs", Some(template));
    assert_eq!(status, 200, "{body}");
    store.bulk(concat!(
        "{\"index\":{\"_index\":\"logpipe-2026.11.22\"}}\n",
        "{\"@timestamp\":\"2026-11-22T10:00:00.000Z\",\"message\":\"older\"}\n",
        "{\"create\":{\"_index\":\"logs-app-default\"}}\n",
        "{\"@timestamp\":\"2026-11-23T10:00:00.000Z\",\"message\":\"newest\"}\n",
    ));
    let (status, body) = es.request("PUT", "/logpipe-2026.11.22/_alias/all-logs", None);
    assert_eq!(status, 200, "{body}");
    let (status, _) = es.request("POST", "/_refresh", None);
    assert_eq!(status, 200);

    let console = start(&store.url(), &[]);
    let (status, body) = console.call("GET", "/api/indices", None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data_streams"], json!(["logs-app-default"]));
    assert_eq!(body["aliases"], json!(["all-logs"]));
    assert_eq!(
        body["indices"],
        json!(["logpipe-2026.11.22"]),
        "no .ds- index"
    );
    assert_eq!(body["newest"], "logs-app-default");
    assert_eq!(
        body["patterns"],
        json!([
            "logs-app-default",
            "all-logs",
            "logpipe-*",
            "logpipe-2026.11.22"
        ])
    );
    for (pattern, message) in [("logs-app-default", "newest"), ("all-logs", "older")] {
        let search = json!({"index": pattern, "from_ms": 1_795_000_000_000i64, "to_ms": 1_796_000_000_000i64});
        let (status, body) = console.call("POST", "/api/search", None, Some(search));
        assert_eq!(status, 200, "{pattern}: {body}");
        assert_eq!(body["hits"][0]["message"], message, "{pattern}: {body}");
    }
}
