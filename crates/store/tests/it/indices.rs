//! Index wildcards, `_cat/indices`, deletes, retention.

use crate::common::*;
use serde_json::json;

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

    // By name: a wildcard is refused (`action.destructive_requires_name`, tests/it/limits.rs).
    let r = es.req("DELETE", "/app-2026.11.22,app-2026.11.21", None);
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

/// Index and cluster information as ES's reference documents it: `_refresh` counts one shard per index,
/// `GET /{index}` and `_settings` show `index.uuid` and `index.creation_date`, `_cluster/health` with
/// `level=indices` lists each index, and `_cat/indices` shows the same uuid.
#[test]
fn index_information_as_es_reference() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    es.bulk(
        "/other/_bulk?refresh=true",
        &[json!({"index": {}}), json!({"message": "x"})],
    );
    let info = es.req("GET", "/logs", None).body;
    let uuid = info["logs"]["settings"]["index"]["uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(uuid.len(), 22, "{info}");
    assert_ne!(uuid, "logs");
    let created: i64 = info["logs"]["settings"]["index"]["creation_date"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(created > 1_700_000_000_000, "{info}");
    let cat = es
        .req("GET", "/_cat/indices/logs?format=json&h=index,uuid", None)
        .body;
    assert_eq!(cat, json!([{"index": "logs", "uuid": uuid}]));
    check(
        &es,
        &[
            case("POST", "/_refresh").json(json!({"_shards": {"total": 2, "successful": 2, "failed": 0}})),
            case("POST", "/logs/_refresh").json(json!({"_shards": {"total": 1, "successful": 1, "failed": 0}})),
            case("GET", "/logs/_settings").json(json!({"logs": {"settings": {"index": {
                "number_of_shards": "1", "number_of_replicas": "0", "provided_name": "logs", "uuid": uuid.clone()}}}})),
            case("GET", "/_settings").json(json!({"logs": {}, "other": {}})),
            case("GET", "/_cluster/health?level=indices").json(json!({"status": "green",
                "active_primary_shards": 2,
                "indices": {"logs": {"status": "green", "number_of_shards": 1, "active_shards": 1},
                    "other": {"status": "green"}}})),
            case("GET", "/_cluster/health/logs").json(json!({"active_primary_shards": 1}))
                .absent("/indices"),
            case("GET", "/_cluster/health?level=bogus").status(400)
                .json(json!({"error": {"type": "illegal_argument_exception"}})),
            case("GET", "/nothere/_settings").status(404)
                .json(json!({"error": {"type": "index_not_found_exception"}})),
        ],
    );
}
