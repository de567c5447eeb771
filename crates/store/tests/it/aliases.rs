//! Aliases as ES's reference documents them (aliases API, create index API): searches of an alias cover
//! its indices, writes go to its write index, `GET _alias` shows them, a missing alias is a 404, an
//! alias cannot take an index's name, and deleting an index removes it from its aliases.

use crate::check::{case, check};
use crate::common::*;
use serde_json::json;

#[test]
fn aliases_resolve_searches_and_writes() {
    let es = Es::start();
    sample(&es);
    let created = es.json(
        "PUT",
        "/logs-2",
        json!({"aliases": {"all-logs": {}, "writer": {"is_write_index": true}}}),
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let error = |typ: &str| json!({"error": {"type": typ}});
    check(
        &es,
        &[
            case("POST", "/_aliases")
                .body(r#"{"actions": [{"add": {"index": "logs", "aliases": ["all-logs", "old"]}},
                    {"add": {"index": "logs", "alias": "writer", "is_write_index": false}}]}"#)
                .json(json!({"acknowledged": true})),
            // Reads of an alias (and of patterns matching it) cover its indices.
            case("GET", "/all-logs/_count").json(json!({"count": 6})),
            case("GET", "/all-*/_count").json(json!({"count": 6})),
            case("GET", "/old/_search?size=0").json(json!({"hits": {"total": {"value": 6}}})),
            // A write to the alias goes to its write index.
            case("POST", "/writer/_doc?refresh=true").body(r#"{"message": "through the alias"}"#)
                .status(201).json(json!({"_index": "logs-2", "result": "created"})),
            case("POST", "/writer/_bulk?refresh=true")
                .body("{\"index\":{\"_id\":\"w2\"}}\n{\"message\":\"bulk through the alias\"}\n")
                .json(json!({"errors": false, "items": [{"index": {"_index": "logs-2", "status": 201}}]})),
            case("GET", "/logs-2/_count").json(json!({"count": 2})),
            case("GET", "/all-logs/_count").json(json!({"count": 8})),
            // Two indices and no write index: writes are refused, as ES refuses them.
            case("POST", "/all-logs/_doc").body(r#"{"message": "x"}"#).status(400)
                .json(json!({"error": {"type": "illegal_argument_exception",
                    "reason": "no write index is defined for alias [all-logs]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"}})),
            // Reading aliases back.
            case("GET", "/_alias/writer").json(json!({
                "logs": {"aliases": {"writer": {"is_write_index": false}}},
                "logs-2": {"aliases": {"writer": {"is_write_index": true}}}})),
            case("GET", "/logs/_alias").json(json!({"logs": {"aliases": {"all-logs": {}, "old": {}, "writer": {}}}})),
            case("GET", "/logs-2").json(json!({"logs-2": {"aliases": {"all-logs": {}, "writer": {"is_write_index": true}}}})),
            case("HEAD", "/_alias/old").text(""),
            case("HEAD", "/_alias/nope").status(404).text(""),
            case("GET", "/_alias/old,nope").status(404)
                .json(json!({"error": "alias [nope] missing", "status": 404, "logs": {"aliases": {"old": {}}}})),
            // Names: an alias cannot be an index's name, nor an index an alias's.
            case("PUT", "/logs/_alias/logs-2").status(400).json(error("invalid_alias_name_exception")),
            case("PUT", "/old").status(400).json(error("invalid_index_name_exception")),
            case("PUT", "/nothere/_alias/x").status(404).json(error("index_not_found_exception")),
            // Removing.
            case("DELETE", "/logs/_alias/old").json(json!({"acknowledged": true})),
            case("DELETE", "/logs/_alias/old").status(404).json(error("aliases_not_found_exception")),
            case("GET", "/old/_count").status(404).json(error("index_not_found_exception")),
            case("POST", "/_aliases")
                .body(r#"{"actions": [{"add": {"index": "logs", "alias": "w", "is_write_index": true}},
                    {"add": {"index": "logs-2", "alias": "w", "is_write_index": true}}]}"#)
                .status(500).json(error("illegal_state_exception")),
            case("GET", "/_alias/w").status(404),
        ],
    );
    // Deleting an index takes it out of its aliases.
    assert_eq!(es.req("DELETE", "/logs-2", None).status, 200);
    check(
        &es,
        &[
            case("GET", "/_alias/writer")
                .json(json!({"logs": {"aliases": {"writer": {}}}}))
                .absent("/logs-2"),
            case("GET", "/all-logs/_count").json(json!({"count": 6})),
        ],
    );
}

/// Filtered aliases and routing as ES's aliases API documents them: a search or count through an alias
/// with a `filter` sees only the documents it matches (its own query and aggregations narrowed too),
/// through the index's name or an unfiltered alias everything, through two filtered aliases either
/// filter; `routing` is shown as `index_routing` and `search_routing`; set in `_aliases` actions and in a
/// create-index body.
#[test]
fn filtered_aliases_narrow_searches() {
    let es = Es::start();
    sample(&es);
    let created = es.json(
        "PUT",
        "/logs-2",
        json!({"aliases": {"l2-errors": {"filter": {"term": {"log.level": "error"}}, "routing": "1"}}}),
    );
    assert_eq!(created.status, 200, "{}", created.body);
    es.bulk(
        "/logs-2/_bulk?refresh=true",
        &[
            json!({"index": {"_id": "x"}}),
            json!({"@timestamp": "2026-11-22T06:00:00Z", "message": "later error", "log": {"level": "error"}}),
            json!({"index": {"_id": "y"}}),
            json!({"@timestamp": "2026-11-22T06:00:00Z", "message": "later info", "log": {"level": "info"}}),
        ],
    );
    let count =
        |path: &str, n: u64| case("GET", format!("{path}/_count")).json(json!({"count": n}));
    check(
        &es,
        &[
            case("POST", "/_aliases")
                .body(r#"{"actions": [
                    {"add": {"index": "logs", "alias": "errors", "filter": {"term": {"log.level": "error"}}}},
                    {"add": {"index": "logs", "alias": "web", "filter": {"prefix_free": {"match": {"host.name": "web-1"}}}}}]}"#)
                .status(400),
            case("POST", "/_aliases")
                .body(r#"{"actions": [
                    {"add": {"index": "logs", "alias": "errors", "filter": {"term": {"log.level": "error"}}}},
                    {"add": {"index": "logs", "alias": "web-1", "filter": {"term": {"host.name": "web-1"}},
                        "index_routing": "a", "search_routing": "b,c"}},
                    {"add": {"index": "logs", "alias": "everything"}}]}"#)
                .json(json!({"acknowledged": true})),
            count("/logs", 6),
            count("/errors", 3),
            count("/web-1", 2),
            // Either filter when two filtered aliases reach the index; the whole index when it is named too.
            count("/errors,web-1", 4),
            count("/errors,logs", 6),
            count("/errors,everything", 6),
            count("/l2-errors", 1),
            count("/errors,l2-errors", 4),
            case("POST", "/errors/_search")
                .body(r#"{"size": 10, "query": {"term": {"host.name": "web-1"}}, "sort": ["log.offset"],
                    "aggs": {"hosts": {"terms": {"field": "host.name"}}}}"#)
                .json(json!({"hits": {"total": {"value": 1}, "hits": [{"_id": "a"}]},
                    "aggregations": {"hosts": {"buckets": [{"key": "web-1", "doc_count": 1}]}}})),
            case("GET", "/errors/_search?q=host.name:db-1&size=0")
                .json(json!({"hits": {"total": {"value": 1}}})),
            case("GET", "/_alias/errors,web-1")
                .json(json!({"logs": {"aliases": {
                    "errors": {"filter": {"term": {"log.level": "error"}}},
                    "web-1": {"filter": {"term": {"host.name": "web-1"}}, "index_routing": "a", "search_routing": "b,c"}}}})),
            case("GET", "/logs-2/_alias")
                .json(json!({"logs-2": {"aliases": {"l2-errors": {
                    "filter": {"term": {"log.level": "error"}}, "index_routing": "1", "search_routing": "1"}}}}))
                .absent("/logs-2/aliases/l2-errors/routing"),
            case("GET", "/logs-2").json(json!({"logs-2": {"aliases": {"l2-errors": {"index_routing": "1"}}}})),
            // A create body whose alias filter is not a query creates nothing.
            case("PUT", "/bad").body(r#"{"aliases": {"x": {"filter": {"no_such_query": {}}}}}"#)
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception"}})),
            case("HEAD", "/bad").status(404),
            case("PUT", "/logs/_alias/y").body(r#"{"filter": {"term": {}}}"#).status(400),
        ],
    );
}
