//! Root, headers, media types and error bodies of malformed requests.

use crate::check::{case, check};
use crate::common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

/// What a client gets for each kind of bad request, and how paths and query strings are decoded, as ES
/// answers them.
#[test]
fn errors_and_url_decoding_as_elasticsearch_answers() {
    let es = Es::start();
    sample(&es);
    let error = |typ: &str| json!({"error": {"type": typ, "root_cause": [{"type": typ}]}});
    check(
        &es,
        &[
            // Routing.
            case("GET", "/").json(json!({"version": {"number": "8.15.0"}})),
            case("GET", "/_nodes").status(400).json(json!({"status": 400, "error": {
                "type": "illegal_argument_exception",
                "reason": "no handler found for uri [/_nodes] and method [GET]"}})),
            case("PATCH", "/logs").status(405).json(json!({"error": {
                "type": "illegal_argument_exception",
                "reason": "no handler found for uri [/logs] and method [PATCH]"}})),
            case("HEAD", "/_x").status(400).text(""),
            case("HEAD", "/logs").text(""),
            case("HEAD", "/nothere").status(404).text(""),
            // Path segments are percent-decoded, strictly.
            case("GET", "/log%2A/_count").json(json!({"count": 6})),
            case("GET", "/%6Cogs/_doc/a").json(json!({"_id": "a", "found": true})),
            case("GET", "/%+1/_search").status(400).json(json!({"error": {
                "type": "illegal_argument_exception",
                "reason": "path segment [%+1] holds a `%` not followed by two hexadecimal digits"}})),
            case("GET", "/logs/_doc/a%2").status(400).json(error("illegal_argument_exception")),
            case("GET", "/logs%FF/_search").status(400).json(json!({"error": {
                "reason": "path segment [logs%FF] does not decode to UTF-8"}})),
            // The query string is a form: `+` is a space, escapes are decoded.
            case("GET", "/logs/_count?q=host.name:web-1+OR+host.name:db-1").json(json!({"count": 4})),
            case("GET", "/logs/_count?q=host.name%3Aweb-2").json(json!({"count": 2})),
            case("GET", "/logs/_search?size=1&size=0").json(json!({"hits": {"hits": []}})),
            // Only `*` is a wildcard in index names: `?` is a character of a name no index has.
            case("GET", "/log%3F/_search").status(404).json(json!({"error": {
                "type": "index_not_found_exception", "index": "log?"}})),
            case("GET", "/lo*/_count").json(json!({"count": 6})),
            // Bodies and parameters.
            case("POST", "/logs/_search").body("{\"query\": {").status(400).json(error("parsing_exception")),
            case("POST", "/logs/_search").body(r#"{"nope": 1}"#).status(400).json(json!({"error": {
                "type": "parsing_exception", "reason": "Unknown key for a START_OBJECT in [nope]."}})),
            case("POST", "/logs/_search").body(r#"{"size": 20000}"#).status(400)
                .json(json!({"error": {"type": "search_phase_execution_exception",
                    "root_cause": [{"type": "illegal_argument_exception"}]}})),
            case("GET", "/logs/_search?size=ten").status(400).json(json!({"error": {
                "type": "illegal_argument_exception",
                "reason": "Failed to parse int parameter [size] with value [ten]"}})),
            case("POST", "/logs/_search").body(r#"{"sort": [{"_id": "asc"}]}"#).status(400)
                .json(error("illegal_argument_exception")),
            case("POST", "/logs/_search").body(r#"{"query": {"query_string": {"query": "message:(x"}}}"#)
                .status(400).json(error("query_shard_exception")),
            case("POST", "/logs/_search")
                .body(r#"{"aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "time_zone": "Mars/Olympus"}}}}"#)
                .status(400).json(error("illegal_argument_exception")),
            case("POST", "/logs/_count").body(r#"{"size": 1}"#).status(400).json(json!({"error": {
                "type": "parsing_exception", "reason": "request does not support [size]"}})),
            case("PUT", "/Bad*Name").status(400).json(json!({"error": {
                "type": "invalid_index_name_exception", "index": "Bad*Name"}})),
            case("PUT", "/logs").status(400).json(error("resource_already_exists_exception")),
            case("POST", "/_bulk").body("{\"frob\":{}}\n{}\n").status(400).json(json!({"error": {
                "type": "illegal_argument_exception",
                "reason": "Malformed action/metadata line [1], expected one of [create, delete, index, update] but found [frob]"}})),
            case("POST", "/logs/_bulk?refresh=soon").body("{\"delete\":{\"_id\":\"zz\"}}\n").status(400)
                .json(json!({"error": {"reason": "Unknown value for refresh: [soon]."}})),
            case("POST", "/logs/_doc").body("[1]").status(400).json(error("document_parsing_exception")),
            case("PUT", "/logs/_create/a").body(r#"{"message": "again"}"#).status(409).json(json!({
                "error": {"type": "version_conflict_engine_exception", "index": "logs"}})),
            case("GET", "/logs/_doc/zz").status(404).json(json!({"_index": "logs", "_id": "zz", "found": false})),
        ],
    );
}
