//! Index templates and data streams, as Elasticsearch 8 answers them (its REST reference and the YAML
//! tests of `indices.data_stream` / `index_template`): template CRUD and priority, auto-creation on the
//! first `create`, backing index names, rollover and `_id` conflicts across generations, the writes a
//! data stream refuses, search by name and wildcard, persistence across a restart, unknown pipelines.

use crate::check::{case, check};
use crate::common::*;
use logpipe_store::{serve, Store};
use serde_json::{json, Value};

/// The name of generation `generation` of data stream `stream` created today.
pub fn backing(stream: &str, generation: u32) -> String {
    format!(
        ".ds-{stream}-{}-{generation:06}",
        chrono::Utc::now().format("%Y.%m.%d")
    )
}

/// An NDJSON body of `lines`.
fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A `_bulk` body of one `create` of `id` with a timestamp.
pub fn create(id: &str) -> String {
    ndjson(&[
        json!({"create": {"_id": id}}),
        json!({"@timestamp": "2026-12-04T10:00:00Z", "message": format!("event {id}")}),
    ])
}

#[test]
fn templates_crud_and_priority() {
    let es = Es::start();
    check(
        &es,
        &[
            // A new store has ES 8's built-in `logs` template.
            case("GET", "/_index_template/logs").json(json!({"index_templates": [{
                "name": "logs",
                "index_template": {"index_patterns": ["logs-*-*"], "priority": 100,
                                   "data_stream": {"hidden": false, "allow_custom_routing": false}}
            }]})),
            case("POST", "/app-old/_bulk")
                .body(ndjson(&[json!({"index": {"_id": "o"}}), json!({"message": "old"})]))
                .json(json!({"errors": false})),
            case("PUT", "/_index_template/app")
                .body(r#"{"index_patterns":["app-*"],"priority":10,"data_stream":{},"template":{"settings":{"number_of_shards":1},"mappings":{"properties":{"x":{"type":"keyword"}}}}}"#)
                .json(json!({"acknowledged": true})),
            // An index that existed before the template stays a plain index.
            case("POST", "/app-old/_bulk?refresh=true")
                .body(ndjson(&[json!({"index": {"_id": "o2"}}), json!({"message": "old"})]))
                .json(json!({"errors": false, "items": [{"index": {"_index": "app-old", "status": 201}}]})),
            // Kept as given (settings and mappings are stored, not applied).
            case("GET", "/_index_template/app").json(json!({"index_templates": [{
                "name": "app",
                "index_template": {"index_patterns": ["app-*"], "priority": 10,
                                   "template": {"settings": {"number_of_shards": 1}},
                                   "data_stream": {"hidden": false}}
            }]})),
            case("HEAD", "/_index_template/app"),
            case("HEAD", "/_index_template/nope").status(404),
            case("PUT", "/_index_template/app2")
                .body(r#"{"index_patterns":["app-*"],"priority":10}"#)
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason":
                    "index template [app2] has index patterns [app-*] matching patterns from existing templates \
                     [app] with patterns (app => [app-*]) that have the same priority [10], multiple index \
                     templates may not match during index creation, please use a different priority"}})),
            case("PUT", "/_index_template/app?create=true")
                .body(r#"{"index_patterns":["app-*"],"priority":10}"#)
                .status(400)
                .json(json!({"error": {"reason": "index template [app] already exists"}})),
            // A higher priority without data_stream: its names are plain indices.
            case("PUT", "/_index_template/plain")
                .body(r#"{"index_patterns":"app-plain*","priority":20}"#)
                .json(json!({"acknowledged": true})),
            case("PUT", "/_index_template/bad")
                .body(r#"{"index_patterns":["b-*"],"composed_of":["logs@mappings"]}"#)
                .status(400)
                .json(json!({"error": {"type": "invalid_index_template_exception"}})),
            case("PUT", "/_index_template/bad")
                .body(r#"{"index_patterns":["b-*"],"frob":1}"#)
                .status(400)
                .json(json!({"error": {"type": "x_content_parse_exception"}})),
            case("GET", "/_index_template/nope")
                .status(404)
                .json(json!({"error": {"type": "resource_not_found_exception",
                                       "reason": "index template matching [nope] not found"}})),
            case("GET", "/_index_template/nope*").json(json!({"index_templates": []})),
            case("DELETE", "/_index_template/nope")
                .status(404)
                .json(json!({"error": {"type": "index_template_missing_exception",
                                       "reason": "index_template [nope] missing"}})),
            case("POST", "/app-plain-x/_bulk?refresh=true")
                .body(ndjson(&[json!({"index": {"_id": "p"}}), json!({"message": "plain"})]))
                .json(json!({"errors": false, "items": [{"index": {"_index": "app-plain-x", "status": 201}}]})),
            case("PUT", "/app-other")
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason":
                    "cannot create index with name [app-other], because it matches with template [app] that \
                     creates data streams only, use create data stream api instead"}})),
            case("PUT", "/_data_stream/nomatch")
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception",
                    "reason": "no matching index template found for data stream [nomatch]"}})),
            case("PUT", "/_data_stream/app-made").json(json!({"acknowledged": true})),
            case("PUT", "/_data_stream/app-made")
                .status(400)
                .json(json!({"error": {"type": "resource_already_exists_exception"}})),
            case("GET", "/_data_stream/app-made").json(json!({"data_streams": [{
                "name": "app-made", "template": "app", "generation": 1,
                "indices": [{"index_name": backing("app-made", 1)}]
            }]})),
            case("DELETE", "/_index_template/app")
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason":
                    "unable to remove composable templates [app] as they are in use by a data streams [app-made]"}})),
            case("DELETE", "/_data_stream/app-made").json(json!({"acknowledged": true})),
            case("GET", "/_data_stream/app-made")
                .status(404)
                .json(json!({"error": {"type": "index_not_found_exception"}})),
            case("DELETE", "/_index_template/app").json(json!({"acknowledged": true})),
            case("GET", "/_index_template/app").status(404),
        ],
    );
    // The backing index of the deleted data stream is gone with it.
    assert_eq!(es.store.index_names(), ["app-old", "app-plain-x"]);
}

#[test]
fn auto_creation_rollover_and_conflicts_across_generations() {
    let es = Es::start();
    let (g1, g2) = (
        backing("logs-web_shop-default", 1),
        backing("logs-web_shop-default", 2),
    );
    let ds = "/logs-web_shop-default";
    check(
        &es,
        &[
            // The first `create` makes the data stream (the built-in `logs` template matches).
            case("POST", format!("{ds}/_bulk?refresh=true"))
                .body(create("1"))
                .json(json!({"errors": false, "items": [{"create": {"_index": g1, "_id": "1", "status": 201, "result": "created"}}]})),
            case("POST", format!("{ds}/_bulk?refresh=true"))
                .body(create("1"))
                .json(json!({"errors": true, "items": [{"create": {"_index": g1, "status": 409,
                    "error": {"type": "version_conflict_engine_exception"}}}]})),
            case("POST", format!("{ds}/_bulk"))
                .body(ndjson(&[json!({"index": {"_id": "2"}}), json!({"@timestamp": "2026-12-04T10:00:00Z"})]))
                .json(json!({"errors": true, "items": [{"index": {"_index": "logs-web_shop-default", "status": 400,
                    "error": {"type": "illegal_argument_exception",
                              "reason": "only write ops with an op_type of create are allowed in data streams"}}}]})),
            case("POST", format!("{ds}/_bulk"))
                .body(ndjson(&[json!({"delete": {"_id": "1"}})]))
                .json(json!({"errors": true, "items": [{"delete": {"status": 400,
                    "error": {"reason": "only write ops with an op_type of create are allowed in data streams"}}}]})),
            case("POST", format!("{ds}/_bulk"))
                .body(ndjson(&[json!({"create": {"_id": "3"}}), json!({"message": "no time"})]))
                .json(json!({"errors": true, "items": [{"create": {"status": 400,
                    "error": {"type": "document_parsing_exception",
                              "reason": "[1:21] failed to parse: data stream timestamp field [@timestamp] is missing"}}}]})),
            case("PUT", format!("{ds}/_doc/9"))
                .body(r#"{"@timestamp":"2026-12-04T10:00:00Z"}"#)
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception"}})),
            case("PUT", format!("{ds}/_create/9?refresh=true"))
                .body(r#"{"@timestamp":"2026-12-04T10:00:01Z"}"#)
                .status(201)
                .json(json!({"_index": g1, "_id": "9", "result": "created"})),
            // Without an `_id` a document is created, which a data stream takes.
            case("POST", format!("{ds}/_doc?refresh=true"))
                .body(r#"{"@timestamp":"2026-12-04T10:00:02Z"}"#)
                .status(201)
                .json(json!({"_index": g1, "result": "created"})),
            case("GET", "/_data_stream/logs-web_shop-default").json(json!({"data_streams": [{
                "name": "logs-web_shop-default", "timestamp_field": {"name": "@timestamp"},
                "generation": 1, "status": "GREEN", "template": "logs",
                "indices": [{"index_name": g1}]
            }]})),
            case("POST", format!("{ds}/_rollover"))
                .json(json!({"acknowledged": true, "old_index": g1, "new_index": g2, "rolled_over": true})),
            // A replay of an `_id` from the previous generation is still a conflict.
            case("POST", format!("{ds}/_bulk?refresh=true"))
                .body(create("1"))
                .json(json!({"errors": true, "items": [{"create": {"_index": g2, "status": 409,
                    "error": {"type": "version_conflict_engine_exception"}}}]})),
            case("POST", format!("{ds}/_bulk?refresh=true"))
                .body(create("10"))
                .json(json!({"errors": false, "items": [{"create": {"_index": g2, "status": 201}}]})),
            case("POST", format!("{ds}/_bulk?refresh=true"))
                .body(create("10"))
                .json(json!({"items": [{"create": {"status": 409}}]})),
            case("GET", "/_data_stream/logs-*").json(json!({"data_streams": [{
                "name": "logs-web_shop-default", "generation": 2,
                "indices": [{"index_name": g1}, {"index_name": g2}]
            }]})),
            // Searching the name, or a pattern matching it, covers every generation.
            case("GET", format!("{ds}/_count")).json(json!({"count": 4})),
            case("GET", "/logs-*/_count").json(json!({"count": 4})),
            case("GET", "/_count").json(json!({"count": 4})),
            case("POST", format!("{ds}/_search"))
                .body(r#"{"query":{"ids":{"values":["1","10"]}}}"#)
                .json(json!({"hits": {"total": {"value": 2}}})),
            // A document is read by `_id` through its data stream, from the generation holding it.
            case("GET", format!("{ds}/_doc/1")).json(json!({"_index": g1, "_id": "1", "found": true})),
            case("GET", format!("{ds}/_doc/10")).json(json!({"_index": g2, "found": true})),
            case("GET", format!("{ds}/_doc/nope")).status(404).json(json!({"found": false})),
            // Writes named to a backing index, and deleting the write index, are refused.
            case("POST", format!("/{g1}/_bulk"))
                .body(create("11"))
                .json(json!({"items": [{"create": {"status": 400, "error": {"reason": format!(
                    "index request with op_type=create targeting backing indices is disallowed, target \
                     corresponding data stream [logs-web_shop-default] instead")}}}]})),
            case("POST", format!("/{g1}/_bulk"))
                .body(ndjson(&[json!({"index": {"_id": "12"}}), json!({"@timestamp": 1})]))
                .json(json!({"items": [{"index": {"status": 400, "error": {"type": "illegal_argument_exception"}}}]})),
            case("DELETE", format!("/{g2}"))
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason": format!(
                    "index [{g2}] is the write index for data stream [logs-web_shop-default] and cannot be deleted")}})),
            // The index API does not see the data stream itself.
            case("DELETE", ds).status(404),
            case("GET", "/logs-nope-x/_rollover").status(400),
            case("POST", "/logs-nope-x/_rollover")
                .status(404)
                .json(json!({"error": {"type": "index_not_found_exception"}})),
            // An older backing index may be deleted: the data stream forgets it.
            case("DELETE", format!("/{g1}")).json(json!({"acknowledged": true})),
            case("GET", "/_data_stream").json(json!({"data_streams": [{"indices": [{"index_name": g2}]}]})),
            case("GET", format!("{ds}/_count")).json(json!({"count": 1})),
        ],
    );
    let cat = es.req("GET", "/_cat/indices?format=json&h=index", None);
    assert_eq!(cat.body, json!([{"index": g2}]));
}

#[test]
fn unknown_pipelines_fail_as_elasticsearch_fails_them() {
    let es = Es::start();
    check(
        &es,
        &[
            case("POST", "/plain/_bulk?pipeline=nope")
                .body(ndjson(&[json!({"index": {"_id": "1"}}), json!({"message": "m"})]))
                .json(json!({"errors": true, "items": [{"index": {"_index": "plain", "_id": "1", "status": 400,
                    "error": {"type": "illegal_argument_exception", "reason": "pipeline with id [nope] does not exist"}}}]})),
            case("POST", "/_bulk")
                .body(ndjson(&[
                    json!({"index": {"_index": "plain", "_id": "2", "pipeline": "p2"}}),
                    json!({"message": "m"}),
                    json!({"index": {"_index": "plain", "_id": "3", "pipeline": "_none"}}),
                    json!({"message": "m"}),
                    json!({"delete": {"_index": "plain", "_id": "3", "pipeline": "p2"}}),
                ]))
                .json(json!({"errors": true, "items": [
                    {"index": {"status": 400, "error": {"reason": "pipeline with id [p2] does not exist"}}},
                    {"index": {"status": 201}},
                    {"delete": {"status": 200, "result": "deleted"}},
                ]})),
            case("PUT", "/plain/_doc/4?pipeline=nope")
                .body(r#"{"message":"m"}"#)
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception",
                                       "reason": "pipeline with id [nope] does not exist"}, "status": 400})),
        ],
    );
}

#[test]
fn data_streams_and_templates_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g1 = backing("logs-app-prod", 1);
    let g2 = backing("logs-app-prod", 2);
    {
        let store = Store::open(dir.path()).expect("open");
        let handle = serve(store.clone(), "127.0.0.1:0", None).expect("serve");
        let base = format!("http://{}", handle.addr());
        let agent = agent();
        let r = call(
            &agent,
            &base,
            "PUT",
            "/_index_template/mine",
            Some(r#"{"index_patterns":["mine-*"],"data_stream":{},"priority":5}"#),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(&agent, &base, "DELETE", "/_index_template/logs", None, None);
        assert_eq!(r.status, 200, "{}", r.body);
        // The data stream was made by the built-in template, deleted since: it lives on.
        let r = call(
            &agent,
            &base,
            "PUT",
            "/_index_template/logs",
            Some(r#"{"index_patterns":["logs-*-*"],"data_stream":{},"priority":100}"#),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(
            &agent,
            &base,
            "POST",
            "/logs-app-prod/_bulk",
            Some(&create("a")),
            None,
        );
        assert_eq!(r.body["errors"], false, "{}", r.body);
        let r = call(
            &agent,
            &base,
            "POST",
            "/logs-app-prod/_rollover",
            None,
            None,
        );
        assert_eq!(r.body["new_index"], json!(g2), "{}", r.body);
        handle.stop();
        store.close();
    }
    let store = Store::open(dir.path()).expect("reopen");
    let handle = serve(store.clone(), "127.0.0.1:0", None).expect("serve");
    let base = format!("http://{}", handle.addr());
    let agent = agent();
    let r = call(
        &agent,
        &base,
        "GET",
        "/_data_stream/logs-app-prod",
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data_streams"][0]["generation"], 2);
    assert_eq!(
        r.body["data_streams"][0]["indices"],
        json!([
            {"index_name": g1, "index_uuid": r.body["data_streams"][0]["indices"][0]["index_uuid"], "prefer_ilm": true, "managed_by": "Unmanaged"},
            {"index_name": g2, "index_uuid": r.body["data_streams"][0]["indices"][1]["index_uuid"], "prefer_ilm": true, "managed_by": "Unmanaged"},
        ])
    );
    let r = call(&agent, &base, "GET", "/_index_template/mine", None, None);
    assert_eq!(
        r.body["index_templates"][0]["index_template"]["priority"], 5,
        "{}",
        r.body
    );
    // After the restart, a replay of `a` (now in the older generation) is still a conflict.
    let r = call(
        &agent,
        &base,
        "POST",
        "/logs-app-prod/_bulk",
        Some(&create("a")),
        None,
    );
    assert_eq!(r.body["items"][0]["create"]["status"], 409, "{}", r.body);
    let r = call(
        &agent,
        &base,
        "POST",
        "/mine-x/_bulk?refresh=true",
        Some(&create("b")),
        None,
    );
    assert_eq!(
        r.body["items"][0]["create"]["_index"],
        json!(backing("mine-x", 1)),
        "{}",
        r.body
    );
    let r = call(
        &agent,
        &base,
        "GET",
        "/logs-app-prod,mine-*/_count",
        None,
        None,
    );
    assert_eq!(r.body["count"], 2, "{}", r.body);
    handle.stop();
    store.close();
}
