//! Mappings as ES's reference documents them: dynamic mapping of ES 8 (strings → `text` with a `keyword`
//! sub-field, date-looking strings → `date`, whole numbers → `long`, others → `float`, booleans, objects by
//! path), explicit `mappings` of `PUT /{index}` and of index templates, `GET [/{index}]/_mapping` and
//! `_field_caps` merged across the indices of a pattern; and `df=` of `q=`.

use crate::check::{case, check};
use crate::common::*;
use serde_json::json;

#[test]
fn dynamic_and_explicit_mappings_and_field_caps() {
    let es = Es::start();
    sample(&es);
    es.bulk(
        "/metrics-a/_bulk?refresh=true",
        &[
            json!({"index": {}}),
            json!({"@timestamp": "2026-11-22T01:00:00Z", "cpu": 0.5, "up": true, "seen": "2026-11-21T10:00:00Z",
                "host": {"name": "web-1"}, "log": {"offset": "not a number"}}),
        ],
    );
    let r = es.json(
        "PUT",
        "/typed",
        json!({"mappings": {"properties": {"status": {"type": "keyword"}, "client": {"properties": {"ip": {"type": "ip"}}}}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let kw =
        json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}});
    let caps =
        |t: &str, agg: bool| json!({t: {"type": t, "searchable": true, "aggregatable": agg}});
    check(
        &es,
        &[
            case("GET", "/logs/_mapping").json(json!({"logs": {"mappings": {"properties": {
                "@timestamp": {"type": "date"},
                "message": {"type": "text"},
                "host": {"properties": {"name": kw.clone()}},
                "log": {"properties": {"level": kw.clone(), "offset": {"type": "long"},
                    "file": {"properties": {"path": kw.clone()}}}},
                "event": {"properties": {"id": kw.clone()}}}}}})),
            case("GET", "/metrics-a/_mapping").json(json!({"metrics-a": {"mappings": {"properties": {
                "cpu": {"type": "float"}, "up": {"type": "boolean"}, "seen": {"type": "date"}}}}})),
            case("GET", "/typed/_mapping").json(json!({"typed": {"mappings": {"properties": {
                "status": {"type": "keyword"}, "client": {"properties": {"ip": {"type": "ip"}}}}}}})),
            case("GET", "/_mapping").json(json!({"logs": {}, "metrics-a": {}, "typed": {}})),
            case("GET", "/typed").json(json!({"typed": {"mappings": {"properties": {"status": {"type": "keyword"}}}}})),
            // Field caps: one entry per type, merged across indices; differing types name their indices.
            case("GET", "/logs,metrics-a/_field_caps?fields=*").json(json!({
                "indices": ["logs", "metrics-a"],
                "fields": {
                    "host.name": caps("text", false),
                    "host.name.keyword": caps("keyword", true),
                    "host": {"object": {"type": "object", "aggregatable": false}},
                    "@timestamp": caps("date", true),
                    "_id": {"_id": {"metadata_field": true}},
                    "log.offset": {
                        "long": {"type": "long", "indices": ["logs"]},
                        "text": {"type": "text", "indices": ["metrics-a"]}},
                }})),
            case("POST", "/logs/_field_caps?fields=log.*,host.name").json(json!({
                "fields": {"log.level": caps("text", false), "host.name": caps("text", false)}}))
                .absent("/fields/message")
                .absent("/fields/@timestamp"),
            case("GET", "/logs,nothere/_field_caps?fields=*").status(404)
                .json(json!({"error": {"type": "index_not_found_exception"}})),
            case("GET", "/logs,nothere/_field_caps?fields=message&ignore_unavailable=true")
                .json(json!({"indices": ["logs"], "fields": {"message": caps("text", false)}})),
            // `df=`: the field of unqualified terms of `q=`.
            case("GET", "/logs/_count?q=web-2&df=host.name").json(json!({"count": 2})),
            case("GET", "/logs/_count?q=web-2").json(json!({"count": 0})),
            case("GET", "/logs/_search?q=server+refused&default_operator=AND&size=0")
                .json(json!({"hits": {"total": {"value": 1}}})),
        ],
    );
}

/// The `mappings` of an index template apply to the indices it matches.
#[test]
fn template_mappings_are_reported() {
    let es = Es::start();
    let r = es.json(
        "PUT",
        "/_index_template/app",
        json!({"index_patterns": ["app-*"], "template": {"mappings": {"properties": {"trace": {"type": "keyword"}}}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    es.bulk(
        "/app-1/_bulk?refresh=true",
        &[json!({"index": {}}), json!({"trace": "t1", "message": "m"})],
    );
    let r = es.req("GET", "/app-*/_mapping", None);
    assert_eq!(
        r.body["app-1"]["mappings"]["properties"]["trace"],
        json!({"type": "keyword"}),
        "{}",
        r.body
    );
}
