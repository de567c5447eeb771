//! Closing and opening indices as ES's reference documents them (close index API, open index API): a
//! closed index refuses searches and writes naming it with 400 `index_closed_exception`, patterns pass
//! over it, `_cat/indices` shows it as `close`, it stays closed across a restart, and opening it brings
//! back every document.

use crate::check::{case, check, Case};
use crate::common::*;
use crate::data_streams::{backing, create};
use serde_json::json;

fn closed() -> serde_json::Value {
    json!({"error": {"root_cause": [{"type": "index_closed_exception", "reason": "closed",
        "index": "logs"}], "type": "index_closed_exception", "reason": "closed", "index": "logs"},
        "status": 400})
}

/// What a closed `logs` answers (with `other` open beside it).
fn while_closed() -> Vec<Case> {
    vec![
        case("GET", "/logs/_search").status(400).json(closed()),
        case("POST", "/logs/_count").status(400).json(closed()),
        case("GET", "/logs,other/_search")
            .status(400)
            .json(closed()),
        case("GET", "/logs/_doc/a").status(400).json(closed()),
        case("PUT", "/logs/_doc/z")
            .body(r#"{"message":"x"}"#)
            .status(400)
            .json(closed()),
        case("POST", "/_bulk")
            .body("{\"index\":{\"_index\":\"logs\",\"_id\":\"z\"}}\n{\"message\":\"x\"}\n")
            .json(
                json!({"errors": true, "items": [{"index": {"_index": "logs", "_id": "z",
                "status": 400, "error": {"type": "index_closed_exception", "reason": "closed"}}}]}),
            ),
        // Patterns and `_all` pass over it; `ignore_unavailable` leaves it out.
        case("GET", "/_count").json(json!({"count": 1})),
        case("GET", "/*/_count").json(json!({"count": 1})),
        case("GET", "/logs,other/_count?ignore_unavailable=true").json(json!({"count": 1})),
        case("HEAD", "/logs").text(""),
        case("GET", "/logs").json(json!({"logs": {"settings": {"index": {
            "provided_name": "logs", "verified_before_close": "true"}},
            "mappings": {"properties": {"log": {"properties": {"offset": {"type": "long"}}}}}}})),
        // A closed index keeps its metadata: `_mapping` and `_settings` answer for it by name;
        // `_settings` patterns reach it, `_mapping` patterns do not (ES's default `expand_wildcards`).
        case("GET", "/logs/_mapping").json(json!({"logs": {"mappings": {"properties": {
            "@timestamp": {"type": "date"},
            "host": {"properties": {"name": {"type": "text"}}},
            "log": {"properties": {"offset": {"type": "long"}}}}}}})),
        case("GET", "/logs,other/_mapping")
            .json(json!({"logs": {"mappings": {}}, "other": {"mappings": {}}})),
        case("GET", "/l*/_mapping").text("{}"),
        case("GET", "/logs/_settings").json(json!({"logs": {"settings": {"index": {
            "provided_name": "logs", "verified_before_close": "true", "number_of_shards": "1"}}}})),
        case("GET", "/_settings").json(json!({
            "logs": {"settings": {"index": {"verified_before_close": "true"}}},
            "other": {"settings": {"index": {"provided_name": "other"}}}})),
        case("GET", "/l*/_settings").json(json!({"logs": {"settings": {"index": {
            "verified_before_close": "true"}}}})),
        case("GET", "/other/_settings").absent("/logs"),
        case("PUT", "/logs")
            .status(400)
            .json(json!({"error": {"type": "resource_already_exists_exception"}})),
        case(
            "GET",
            "/_cat/indices?format=json&h=health,status,index&s=index",
        )
        .json(json!([
            {"health": "green", "status": "close", "index": "logs"},
            {"health": "green", "status": "open", "index": "other"}])),
        case("GET", "/_cat/indices/logs?h=status,index").text("close logs\n"),
    ]
}

/// A store with the sample documents in `logs` and one in `other`.
fn logs_and_other() -> Es {
    let es = Es::start();
    sample(&es);
    es.bulk(
        "/other/_bulk?refresh=true",
        &[json!({"index": {"_id": "o"}}), json!({"message": "open"})],
    );
    es
}

#[test]
fn a_closed_index_refuses_reads_and_writes_until_opened() {
    let es = logs_and_other();
    let mut cases = vec![
        case("POST", "/logs/_close").json(json!({"acknowledged": true,
            "shards_acknowledged": true, "indices": {"logs": {"closed": true}}})),
        // Closing it again is acknowledged too.
        case("POST", "/logs/_close").json(json!({"acknowledged": true,
            "indices": {"logs": {"closed": true}}})),
    ];
    cases.extend(while_closed());
    cases.extend([
        case("POST", "/nope/_close")
            .status(404)
            .json(json!({"error": {"type": "index_not_found_exception"}, "status": 404})),
        case("POST", "/nope/_open")
            .status(404)
            .json(json!({"error": {"type": "index_not_found_exception"}, "status": 404})),
        // As ES 8 (`action.destructive_requires_name`): indices are closed and opened by name.
        case("POST", "/log*/_open")
            .status(400)
            .json(json!({"error": {"type": "illegal_argument_exception"}})),
        case("POST", "/logs/_open").json(json!({"acknowledged": true,
            "shards_acknowledged": true})),
        case("POST", "/logs/_open").json(json!({"acknowledged": true})),
        case("GET", "/logs/_count").json(json!({"count": 6})),
        case("GET", "/logs/_doc/a").json(json!({"found": true})),
        case("GET", "/_cat/indices/logs?h=status,index").text("open logs\n"),
        // A closed index can be deleted.
        case("POST", "/logs/_close").json(json!({"acknowledged": true})),
        case("DELETE", "/logs").json(json!({"acknowledged": true})),
        case("HEAD", "/logs").status(404).text(""),
        case("GET", "/_cat/indices?h=index").text("other\n"),
    ]);
    check(&es, &cases);
}

#[test]
fn a_closed_index_stays_closed_across_a_restart() {
    let es = logs_and_other();
    // Written without a refresh: closing commits it.
    es.bulk(
        "/logs/_bulk",
        &[json!({"index": {"_id": "g"}}), json!({"message": "late"})],
    );
    check(
        &es,
        &[case("POST", "/logs/_close").json(json!({"acknowledged": true}))],
    );
    let es = es.restart();
    check(&es, &while_closed());
    check(
        &es,
        &[
            case("POST", "/logs/_open").json(json!({"acknowledged": true})),
            case("GET", "/logs/_count").json(json!({"count": 7})),
            case("GET", "/logs/_doc/g").json(json!({"_source": {"message": "late"}})),
        ],
    );
}

#[test]
fn a_data_stream_write_index_is_not_closed() {
    let es = Es::start();
    let write_index = backing("logs-app-default", 1);
    let refused = json!({"error": {"type": "illegal_argument_exception",
        "reason": format!("cannot close the following data stream write indices [{write_index}]")},
        "status": 400});
    check(
        &es,
        &[
            case("POST", "/logs-app-default/_bulk?refresh=true")
                .body(create("a"))
                .json(json!({"errors": false})),
            case("POST", "/logs-app-default/_close")
                .status(400)
                .json(refused.clone()),
            case("POST", format!("/{write_index}/_close"))
                .status(400)
                .json(refused),
            case("GET", "/logs-app-default/_count").json(json!({"count": 1})),
        ],
    );
}
