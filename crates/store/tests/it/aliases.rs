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
