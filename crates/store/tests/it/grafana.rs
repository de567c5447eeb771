//! A conversation as Grafana's Elasticsearch data source has it (its backend `pkg/tsdb/elasticsearch`:
//! the health check, the `_msearch` it sends with `max_concurrent_shard_requests` and a header with
//! `ignore_unavailable` naming each daily index of the time range, the metric query's
//! `date_histogram` with `time_zone`, `extended_bounds` and `format: epoch_millis`, `terms` with `order`
//! and `size`, and the logs query with its sort object, highlight of every field, `docvalue_fields` and
//! `fields`; its frontend's `_mapping` for the field pickers), replayed against the store, then the next
//! page of logs with `search_after`.

use crate::check::{case, check};
use crate::common::*;
use serde_json::{json, Value};

/// 2026-11-22T00:00:00Z and the end of 05:59:59.999Z, in millis: the dashboard's time range.
const FROM: i64 = 1_795_305_600_000;
const TO: i64 = 1_795_327_199_999;

fn range() -> Value {
    json!({"range": {"@timestamp": {"gte": FROM, "lte": TO, "format": "epoch_millis"}}})
}

/// One `_msearch` body line pair as Grafana writes it.
fn search(body: Value) -> String {
    let header = json!({"search_type": "query_then_fetch", "ignore_unavailable": true,
        "index": "logs-2026.11.21,logs-2026.11.22"});
    format!("{header}\n{body}\n")
}

fn logs_query(after: Option<Value>) -> Value {
    let mut q = json!({
        "size": 2,
        "query": {"bool": {"filter": [range(), {"query_string": {"analyze_wildcard": true, "query": "server"}}]}},
        "sort": {"@timestamp": {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}},
        "script_fields": {},
        "docvalue_fields": ["@timestamp"],
        "highlight": {"pre_tags": ["@HIGHLIGHT@"], "post_tags": ["@/HIGHLIGHT@"],
            "fragment_size": 2147483647_i64, "fields": {"*": {}}},
        "fields": [{"field": "@timestamp", "format": "strict_date_optional_time_nanos"}]
    });
    if let Some(after) = after {
        q["search_after"] = after;
    }
    q
}

#[test]
fn grafana_conversation() {
    let es = Es::start();
    es.bulk("/logs-2026.11.22/_bulk?refresh=true", &sample_lines());

    let metrics = json!({
        "size": 0,
        "query": {"bool": {"filter": range()}},
        "aggs": {"2": {
            "date_histogram": {"field": "@timestamp", "min_doc_count": 0, "time_zone": "Europe/Berlin",
                "extended_bounds": {"min": FROM, "max": TO}, "format": "epoch_millis", "fixed_interval": "1h"},
            "aggs": {"1": {"max": {"field": "log.offset"}}}}}
    });
    let terms = json!({
        "size": 0,
        "query": {"bool": {"filter": range()}},
        "aggs": {"3": {
            "terms": {"field": "log.level.keyword", "size": 2, "order": {"_count": "desc"}, "min_doc_count": 1},
            "aggs": {"2": {"date_histogram": {"field": "@timestamp", "min_doc_count": 0, "format": "epoch_millis",
                "fixed_interval": "1h", "extended_bounds": {"min": FROM, "max": TO}}}}}}
    });
    let msearch = [search(metrics), search(terms), search(logs_query(None))].concat();
    let bucket = |key: i64, n: u64, max: Value| json!({"key": key, "key_as_string": key.to_string(), "doc_count": n, "1": {"value": max}});
    let hour = 3_600_000;
    check(
        &es,
        &[
            // The data source's health check and version.
            case("GET", "/_cluster/health?wait_for_status=yellow").json(json!({"status": "green"})),
            case("GET", "/").json(json!({"version": {"number": "8.15.0"}})),
            // Field pickers.
            case("GET", "/logs-2026.11.22/_mapping").json(json!({"logs-2026.11.22": {"mappings": {"properties": {
                "@timestamp": {"type": "date"},
                "log": {"properties": {"level": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
                    "offset": {"type": "long"}}}}}}})),
            case("GET", "/logs-*/_field_caps?fields=*&ignore_unavailable=true").json(json!({"fields": {
                "log.level.keyword": {"keyword": {"aggregatable": true}},
                "@timestamp": {"date": {"aggregatable": true}}}})),
            // The panels' queries, in one _msearch.
            case("POST", "/_msearch?max_concurrent_shard_requests=5").body(msearch).json(json!({"responses": [
                {"status": 200, "aggregations": {"2": {"buckets": [
                    bucket(FROM, 0, Value::Null),
                    bucket(FROM + hour, 2, json!(20.0)),
                    bucket(FROM + 2 * hour, 3, json!(50.0)),
                    bucket(FROM + 3 * hour, 0, Value::Null),
                    bucket(FROM + 4 * hour, 1, json!(60.0)),
                    bucket(FROM + 5 * hour, 0, Value::Null)]}}},
                {"status": 200, "aggregations": {"3": {"sum_other_doc_count": 1, "buckets": [
                    {"key": "error", "doc_count": 3},
                    {"key": "info", "doc_count": 2}]}}},
                {"status": 200, "hits": {"total": {"value": 4, "relation": "eq"}, "hits": [
                    {"_id": "e", "_source": {"message": "disk full on server"},
                        "highlight": {"message": ["disk full on @HIGHLIGHT@server@/HIGHLIGHT@"]},
                        "fields": {"@timestamp": ["2026-11-22T02:40:00.000Z"]}},
                    {"_id": "d", "fields": {"@timestamp": ["2026-11-22T02:20:00.000Z"]}}]}}]})),
        ],
    );
    // The next page: `search_after` with the last hit's sort values, until there is none.
    let page = |after: Option<Value>| -> Vec<Value> {
        let r = es.req(
            "POST",
            "/_msearch?max_concurrent_shard_requests=5",
            Some(&search(logs_query(after))),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        hits(&r.body["responses"][0])
    };
    let ids = |hits: &[Value]| -> Vec<String> {
        hits.iter()
            .map(|h| h["_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let one = page(None);
    assert_eq!(ids(&one), ["e", "d"]);
    let last_sort = one.last().map(|h| h["sort"].clone()).unwrap_or(Value::Null);
    assert_eq!(last_sort[0], json!(1_795_314_000_000_i64), "{last_sort}");
    let two = page(Some(last_sort));
    assert_eq!(ids(&two), ["c", "a"]);
    let three = page(two.last().map(|h| h["sort"].clone()));
    assert!(three.is_empty(), "{three:?}");
}
