//! Aggregations, including calendar-interval date histograms.

use crate::common::*;
use serde_json::json;

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

/// `date_histogram` with `time_zone` (ES's reference: buckets are floors of local time, keys the UTC
/// instant of the local start, `key_as_string` in the zone or in `format`), across a daylight saving
/// time change, with Grafana's `"min_doc_count": "0"` and `format: epoch_millis`, and `meta` echoed.
#[test]
fn date_histogram_time_zones_formats_and_meta() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let dst: Vec<serde_json::Value> = [
        "2026-03-28T12:00:00Z",
        "2026-03-29T12:00:00Z",
        "2026-03-30T12:00:00Z",
    ]
    .iter()
    .flat_map(|t| {
        [
            json!({"index": {}}),
            json!({"@timestamp": t, "message": "m"}),
        ]
    })
    .collect();
    es.bulk("/dst/_bulk?refresh=true", &dst);
    let agg =
        |h: serde_json::Value| json!({"size": 0, "aggs": {"h": {"date_histogram": h}}}).to_string();
    let buckets = |b: serde_json::Value| json!({"aggregations": {"h": {"buckets": b}}});
    check(
        &es,
        &[
            // Whole-hour zone, hourly buckets: UTC hours, written in the zone.
            case("POST", "/logs/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1h", "time_zone": "Europe/Berlin"})))
                .json(buckets(json!([
                    {"key": 1795309200000_i64, "key_as_string": "2026-11-22T02:00:00.000+01:00", "doc_count": 2},
                    {"key": 1795312800000_i64, "key_as_string": "2026-11-22T03:00:00.000+01:00", "doc_count": 3},
                    {"key": 1795316400000_i64, "doc_count": 0},
                    {"key": 1795320000000_i64, "key_as_string": "2026-11-22T05:00:00.000+01:00", "doc_count": 1}]))),
            // Grafana's histogram: epoch_millis keys, min_doc_count as a string, extended bounds.
            case("POST", "/logs/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1h", "time_zone": "Europe/Berlin",
                    "min_doc_count": "0", "format": "epoch_millis",
                    "extended_bounds": {"min": 1795305600000_i64, "max": 1795323600000_i64}})))
                .json(buckets(json!([
                    {"key": 1795305600000_i64, "key_as_string": "1795305600000", "doc_count": 0},
                    {"key": 1795309200000_i64, "key_as_string": "1795309200000", "doc_count": 2},
                    {"key": 1795312800000_i64, "doc_count": 3},
                    {"key": 1795316400000_i64, "doc_count": 0},
                    {"key": 1795320000000_i64, "doc_count": 1},
                    {"key": 1795323600000_i64, "key_as_string": "1795323600000", "doc_count": 0}]))),
            // A half-hour zone: hourly buckets start at half past in UTC.
            case("POST", "/logs/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1h", "time_zone": "+05:30", "min_doc_count": 1})))
                .json(buckets(json!([
                    {"key": 1795307400000_i64, "key_as_string": "2026-11-22T06:00:00.000+05:30", "doc_count": 1},
                    {"key": 1795311000000_i64, "doc_count": 3},
                    {"key": 1795314600000_i64, "doc_count": 1},
                    {"key": 1795321800000_i64, "doc_count": 1}]))),
            // Days in Berlin: local midnights, one of them after the change to summer time.
            case("POST", "/dst/_search")
                .body(agg(json!({"field": "@timestamp", "calendar_interval": "day", "time_zone": "Europe/Berlin"})))
                .json(buckets(json!([
                    {"key": 1774652400000_i64, "key_as_string": "2026-03-28T00:00:00.000+01:00", "doc_count": 1},
                    {"key": 1774738800000_i64, "key_as_string": "2026-03-29T00:00:00.000+01:00", "doc_count": 1},
                    {"key": 1774821600000_i64, "key_as_string": "2026-03-30T00:00:00.000+02:00", "doc_count": 1}]))),
            case("POST", "/dst/_search")
                .body(agg(json!({"field": "@timestamp", "calendar_interval": "month", "time_zone": "Europe/Berlin",
                    "format": "yyyy-MM"})))
                .json(buckets(json!([{"key_as_string": "2026-03", "doc_count": 3}]))),
            case("POST", "/logs/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1h", "time_zone": "Mars/Olympus"})))
                .status(400),
            // Bounds at the ends of time are too many buckets, not an overflow.
            case("POST", "/dst/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1d", "time_zone": "Europe/Berlin",
                    "extended_bounds": {"min": -9.2e18, "max": 9.2e18}})))
                .status(400),
            case("POST", "/dst/_search")
                .body(agg(json!({"field": "@timestamp", "fixed_interval": "1h", "time_zone": "+05:30",
                    "extended_bounds": {"min": -9.2e18, "max": 9.2e18}})))
                .status(400),
            // `meta` is echoed, also in sub-aggregations of every bucket.
            case("POST", "/logs/_search")
                .body(json!({"size": 0, "aggs": {"levels": {"meta": {"panel": 2},
                    "terms": {"field": "log.level", "size": 1},
                    "aggs": {"per_day": {"meta": {"x": "y"}, "date_histogram": {"field": "@timestamp", "fixed_interval": "1d"}}}}}}).to_string())
                .json(json!({"aggregations": {"levels": {"meta": {"panel": 2}, "buckets": [
                    {"key": "error", "per_day": {"meta": {"x": "y"}}}]}}})),
        ],
    );
}

/// `date_range` as ES's reference answers it: buckets sorted by `from` then `to` whatever the request order,
/// keyed `from_as_string-to_as_string` (`*` for an open end) unless the range names its `key`, bounds as
/// float millis with their strings in `format` and `time_zone`, date math and local dates evaluated in
/// the zone, `keyed`, sub-aggregations, and overlapping ranges (each document in every range holding it).
#[test]
fn date_range_buckets() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let agg = |a: serde_json::Value| json!({"size": 0, "aggs": {"r": a}}).to_string();
    let (h1, h2, h3) = (
        1_795_309_200_000_f64,
        1_795_312_800_000_f64,
        1_795_316_400_000_f64,
    );
    check(
        &es,
        &[
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "ranges": [
                    {"from": "2026-11-22T03:00:00Z", "key": "late"},
                    {"to": "2026-11-22T02:00:00Z"},
                    {"from": "2026-11-22T02:00:00Z", "to": "2026-11-22T03:00:00Z"}]}})))
                .json(json!({"aggregations": {"r": {"buckets": [
                    {"key": "*-2026-11-22T02:00:00.000Z", "to": h2,
                        "to_as_string": "2026-11-22T02:00:00.000Z", "doc_count": 2},
                    {"key": "2026-11-22T02:00:00.000Z-2026-11-22T03:00:00.000Z",
                        "from": h2, "from_as_string": "2026-11-22T02:00:00.000Z",
                        "to": h3, "to_as_string": "2026-11-22T03:00:00.000Z", "doc_count": 3},
                    {"key": "late", "from": h3, "from_as_string": "2026-11-22T03:00:00.000Z", "doc_count": 1}]}}}))
                .absent("/aggregations/r/buckets/0/from")
                .absent("/aggregations/r/buckets/2/to"),
            // Local dates of the zone, keys in `format` and the zone, keyed by them.
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "time_zone": "+01:00", "format": "HH:mm",
                    "keyed": true, "ranges": [{"from": "2026-11-22T02:00:00", "to": "2026-11-22T03:00:00"}]}})))
                .json(json!({"aggregations": {"r": {"buckets": {"02:00-03:00": {
                    "from": h1, "from_as_string": "02:00", "to": h2, "to_as_string": "03:00", "doc_count": 2}}}}}))
                .absent("/aggregations/r/buckets/02:00-03:00/key"),
            // Date math, epoch millis, and sub-aggregations in each bucket.
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "format": "epoch_millis", "ranges": [
                    {"from": "2026-11-22T01:00:00Z||+1h/h"}, {"to": 1_795_312_800_000_i64}]},
                    "aggs": {"levels": {"terms": {"field": "log.level"}}}})))
                .json(json!({"aggregations": {"r": {"buckets": [
                    {"key": "*-1795312800000", "doc_count": 2, "levels": {"buckets": [
                        {"key": "error", "doc_count": 1}, {"key": "info", "doc_count": 1}]}},
                    {"key": "1795312800000-*", "from_as_string": "1795312800000", "doc_count": 4, "levels": {"buckets": [
                        {"key": "error", "doc_count": 2}, {"key": "info", "doc_count": 1}, {"key": "warn", "doc_count": 1}]}}]}}})),
            // `now` with rounding in the zone: everything sampled lies before tomorrow.
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "time_zone": "Europe/Berlin",
                    "ranges": [{"to": "now+1d/d"}]}})))
                .json(json!({"aggregations": {"r": {"buckets": [{"doc_count": 6}]}}})),
            // Under a terms bucket, with `meta`.
            case("POST", "/logs/_search")
                .body(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name"},
                    "aggs": {"r": {"meta": {"m": 1}, "date_range": {"field": "@timestamp",
                        "ranges": [{"to": "2026-11-22T02:30:00Z"}]}}}}}}).to_string())
                .json(json!({"aggregations": {"hosts": {"buckets": [
                    {"key": "db-1", "r": {"meta": {"m": 1}, "buckets": [{"key": "*-2026-11-22T02:30:00.000Z", "doc_count": 1}]}},
                    {"key": "web-1", "r": {"buckets": [{"doc_count": 2}]}},
                    {"key": "web-2", "r": {"buckets": [{"doc_count": 1}]}}]}}})),
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "ranges": [
                    {"from": "2026-11-22T02:00:00Z"}, {"to": "2026-11-22T03:00:00Z"},
                    {"from": "2026-11-22T01:30:00Z", "to": "2026-11-22T02:30:00Z"}]},
                    "aggs": {"hosts": {"cardinality": {"field": "host.name"}}}})))
                .json(json!({"aggregations": {"r": {"buckets": [
                    {"key": "*-2026-11-22T03:00:00.000Z", "doc_count": 5, "hosts": {"value": 3}},
                    {"key": "2026-11-22T01:30:00.000Z-2026-11-22T02:30:00.000Z", "doc_count": 3, "hosts": {"value": 3}},
                    {"key": "2026-11-22T02:00:00.000Z-*", "doc_count": 4, "hosts": {"value": 2}}]}}})),
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "ranges": [{"from": "yesterday-ish"}]}})))
                .status(400),
            case("POST", "/logs/_search")
                .body(agg(json!({"date_range": {"field": "@timestamp", "time_zone": "Mars/Olympus", "ranges": [{"to": "now"}]}})))
                .status(400),
        ],
    );
}

/// `filters` (named: an object sorted by key, or `keyed: false` an array with keys; anonymous: an array
/// without keys), `other_bucket` / `other_bucket_key`, sub-aggregations of every kind under each bucket,
/// the search's query narrowing them; `filter`; and what ES refuses.
#[test]
fn filters_and_filter_buckets() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let search = |body: serde_json::Value| case("POST", "/logs/_search").body(body.to_string());
    let named = json!({"warnings": {"term": {"log.level": "warn"}}, "errors": {"term": {"log.level": "error"}}});
    check(
        &es,
        &[
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": named},
                "aggs": {"hosts": {"terms": {"field": "host.name"}}}}}}))
                .json(json!({"aggregations": {"f": {"buckets": {
                    "errors": {"doc_count": 3, "hosts": {"buckets": [
                        {"key": "db-1", "doc_count": 1}, {"key": "web-1", "doc_count": 1}, {"key": "web-2", "doc_count": 1}]}},
                    "warnings": {"doc_count": 1, "hosts": {"buckets": [{"key": "web-2", "doc_count": 1}]}}}}}}))
                .absent("/aggregations/f/buckets/_other_"),
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": named, "other_bucket_key": "other_messages"}}}}))
                .json(json!({"aggregations": {"f": {"buckets": {
                    "errors": {"doc_count": 3}, "warnings": {"doc_count": 1}, "other_messages": {"doc_count": 2}}}}})),
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": named, "other_bucket": true, "keyed": false}}}}))
                .json(json!({"aggregations": {"f": {"buckets": [
                    {"key": "errors", "doc_count": 3}, {"key": "warnings", "doc_count": 1}, {"key": "_other_", "doc_count": 2}]}}})),
            // Anonymous filters keep the request's order and have no keys; documents may fall in several.
            search(json!({"size": 0, "aggs": {"f": {"filters": {"other_bucket": true, "filters": [
                {"term": {"log.level": "info"}}, {"match": {"message": "server"}}]}}}}))
                .json(json!({"aggregations": {"f": {"buckets": [
                    {"doc_count": 2}, {"doc_count": 4}, {"doc_count": 1}]}}}))
                .absent("/aggregations/f/buckets/0/key")
                .absent("/aggregations/f/buckets/2/key"),
            // The query narrows every bucket; a histogram of `@timestamp` and a metric under each.
            search(json!({"size": 0, "query": {"range": {"log.offset": {"gte": 20}}},
                "aggs": {"f": {"meta": {"panel": 1}, "filters": {"filters": named},
                    "aggs": {"per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}},
                             "top": {"max": {"field": "log.offset"}}}}}}))
                .json(json!({"aggregations": {"f": {"meta": {"panel": 1}, "buckets": {
                    "errors": {"doc_count": 2, "top": {"value": 60.0}, "per_hour": {"buckets": [
                        {"key_as_string": "2026-11-22T02:00:00.000Z", "doc_count": 1},
                        {"key_as_string": "2026-11-22T03:00:00.000Z", "doc_count": 0},
                        {"key_as_string": "2026-11-22T04:00:00.000Z", "doc_count": 1}]}},
                    "warnings": {"doc_count": 1, "top": {"value": 30.0}}}}}})),
            // `filter`: one bucket in place, nesting a `filters`.
            search(json!({"size": 0, "aggs": {"info": {"filter": {"term": {"log.level": "info"}},
                "aggs": {"avg_off": {"avg": {"field": "log.offset"}},
                         "db": {"filters": {"filters": {"db": {"term": {"host.name": "db-1"}}}}}}}}}))
                .json(json!({"aggregations": {"info": {"doc_count": 2, "avg_off": {"value": 30.0},
                    "db": {"buckets": {"db": {"doc_count": 1}}}}}})),
            // Bad queries and parameters are refused.
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": {"x": {"no_such_query": {}}}}}}}))
                .status(400),
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": named, "other": true}}}}))
                .status(400),
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": "x"}}}}))
                .status(400),
            search(json!({"size": 0, "aggs": {"f": {"filters": {"filters": {}}}}}))
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason": "[filters] cannot be empty."}})),
            // Nested filters multiply their buckets: past ES's bucket limit it is a 400, not a huge allocation.
            search(json!({"size": 0, "aggs": {"a": {"filters": {"filters": vec![json!({"match_all": {}}); 300]},
                "aggs": {"b": {"filters": {"filters": vec![json!({"match_all": {}}); 300]}}}}}}))
                .status(400)
                .json(json!({"error": {"type": "too_many_buckets_exception"}})),
        ],
    );
}

/// The `missing` aggregation and `terms`' `missing` parameter: documents without the field (`f` has no
/// `log.file.path`) counted in a bucket of their own, or under the given key among the terms; and terms
/// tied in count cut at `size` by key.
#[test]
fn missing_buckets() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let search = |body: serde_json::Value| case("POST", "/logs/_search").body(body.to_string());
    check(
        &es,
        &[
            search(json!({"size": 0, "aggs": {"no_path": {"missing": {"field": "log.file.path"},
                "aggs": {"hosts": {"terms": {"field": "host.name"}}}}}}))
                .json(json!({"aggregations": {"no_path": {"doc_count": 1,
                    "hosts": {"buckets": [{"key": "web-2", "doc_count": 1}]}}}})),
            search(json!({"size": 0, "aggs": {"no_level": {"missing": {"field": "log.level"}}}}))
                .json(json!({"aggregations": {"no_level": {"doc_count": 0}}})),
            search(json!({"size": 0, "aggs": {"paths": {"terms": {"field": "log.file.path", "missing": "none"}}}}))
                .json(json!({"aggregations": {"paths": {"buckets": [
                    {"key": "/var/log/db-1.log", "doc_count": 2},
                    {"key": "/var/log/web-1.log", "doc_count": 2},
                    {"key": "/var/log/web-2.log", "doc_count": 1},
                    {"key": "none", "doc_count": 1}]}}})),
            search(json!({"size": 0, "aggs": {"m": {"missing": {}}}})).status(400),
            // Ties in count at the cut are broken by key, as ES breaks them, and the rest is counted.
            search(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name", "size": 1},
                "aggs": {"levels": {"terms": {"field": "log.level", "size": "1"}}}}}}))
                .json(json!({"aggregations": {"hosts": {"sum_other_doc_count": 4, "buckets": [
                    {"key": "db-1", "doc_count": 2, "levels": {"sum_other_doc_count": 1,
                        "buckets": [{"key": "error", "doc_count": 1}]}}]}}})),
        ],
    );
}

/// `top_hits` under `terms`, `date_histogram` and `filters` and at the top level: each bucket's best hits
/// by `sort` (or score), `_source` filtered, totals per bucket, as ES's reference answers.
#[test]
fn top_hits_per_bucket() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let search = |body: serde_json::Value| case("POST", "/logs/_search").body(body.to_string());
    let hit = |id: &str, msg: &str, sort: serde_json::Value| json!({"_index": "logs", "_id": id, "_score": null, "_source": {"message": msg}, "sort": sort});
    check(
        &es,
        &[
            search(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name"},
                "aggs": {"last": {"top_hits": {"size": 1, "sort": [{"@timestamp": {"order": "desc"}}],
                    "_source": {"includes": ["message"]}}}}}}}))
                .json(json!({"aggregations": {"hosts": {"buckets": [
                    {"key": "db-1", "last": {"hits": {"total": {"value": 2, "relation": "eq"}, "max_score": null,
                        "hits": [hit("e", "disk full on server", json!([1_795_315_200_000_i64]))]}}},
                    {"key": "web-1", "last": {"hits": {"total": {"value": 2, "relation": "eq"},
                        "hits": [hit("b", "GET /index.html 200", json!([1_795_311_000_000_i64]))]}}},
                    {"key": "web-2", "last": {"hits": {"total": {"value": 2, "relation": "eq"},
                        "hits": [hit("f", "refused connection", json!([1_795_323_081_123_i64]))]}}}]}}})),
            search(json!({"size": 0, "aggs": {"per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                "aggs": {"first": {"top_hits": {"size": 2, "sort": [{"log.offset": "asc"}], "_source": ["message"]}}}}}}))
                .json(json!({"aggregations": {"per_hour": {"buckets": [
                    {"doc_count": 2, "first": {"hits": {"total": {"value": 2}, "hits": [
                        hit("a", "connection refused by upstream server", json!([10])),
                        hit("b", "GET /index.html 200", json!([20]))]}}},
                    {"doc_count": 3, "first": {"hits": {"total": {"value": 3}, "hits": [
                        hit("c", "upstream server timed out", json!([30])),
                        hit("d", "server started on port 8080", json!([40]))]}}},
                    {"doc_count": 0, "first": {"hits": {"total": {"value": 0}, "hits": []}}},
                    {"doc_count": 1, "first": {"hits": {"total": {"value": 1}, "hits": [
                        hit("f", "refused connection", json!([60]))]}}}]}}})),
            // Calendar days in a zone; the query narrows the hits as it narrows the buckets.
            search(json!({"size": 0, "query": {"term": {"log.level": "error"}}, "aggs": {"days": {"date_histogram":
                {"field": "@timestamp", "calendar_interval": "day", "time_zone": "Europe/Berlin"},
                "aggs": {"worst": {"top_hits": {"size": 5, "sort": [{"log.offset": "desc"}], "_source": false}}}}}}))
                .json(json!({"aggregations": {"days": {"buckets": [{"doc_count": 3, "worst": {"hits": {
                    "total": {"value": 3}, "hits": [{"_id": "f"}, {"_id": "e"}, {"_id": "a"}]}}}]}}}))
                .absent("/aggregations/days/buckets/0/worst/hits/hits/0/_source"),
            // At the top level, and under `filters` buckets including the other one; `from` pages.
            search(json!({"size": 0, "aggs": {
                "top": {"top_hits": {"size": 1, "from": 1, "sort": [{"log.offset": {"order": "desc"}}], "_source": ["message"]}},
                "f": {"filters": {"filters": {"errors": {"term": {"log.level": "error"}}}, "other_bucket": true},
                    "aggs": {"one": {"top_hits": {"size": 1, "sort": ["log.offset"], "_source": ["message"]}}}}}}))
                .json(json!({"aggregations": {
                    "top": {"hits": {"total": {"value": 6}, "hits": [hit("e", "disk full on server", json!([50]))]}},
                    "f": {"buckets": {
                        "errors": {"one": {"hits": {"hits": [hit("a", "connection refused by upstream server", json!([10]))]}}},
                        "_other_": {"one": {"hits": {"total": {"value": 3}, "hits": [hit("b", "GET /index.html 200", json!([20]))]}}}}}}})),
            // Without a sort: by score, with `max_score`, no `sort`.
            search(json!({"size": 0, "query": {"match": {"message": "refused"}}, "aggs": {"hosts": {"terms": {"field": "host.name", "size": 1},
                "aggs": {"best": {"top_hits": {"size": 1}}}}}}))
                .json(json!({"aggregations": {"hosts": {"buckets": [{"key": "web-1", "best": {"hits": {"total": {"value": 1},
                    "hits": [{"_id": "a", "_source": {"message": "connection refused by upstream server"}}]}}}]}}}))
                .absent("/aggregations/hosts/buckets/0/best/hits/hits/0/sort"),
            // Kibana Lens' "last value": `fields` without `_source`.
            search(json!({"size": 0, "query": {"term": {"host.name": "db-1"}}, "aggs": {"hosts": {"terms": {"field": "host.name"},
                "aggs": {"last": {"top_hits": {"size": 1, "_source": false, "sort": [{"@timestamp": {"order": "desc"}}],
                    "fields": [{"field": "log.offset"}, {"field": "@timestamp", "format": "epoch_millis"}]}}}}}}))
                .json(json!({"aggregations": {"hosts": {"buckets": [{"key": "db-1", "last": {"hits": {"hits": [
                    {"_id": "e", "fields": {"log.offset": [50], "@timestamp": ["1795315200000"]}}]}}}]}}}))
                .absent("/aggregations/hosts/buckets/0/last/hits/hits/0/_source"),
            search(json!({"size": 0, "aggs": {"t": {"top_hits": {"size": 101}}}}))
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception"}})),
            search(json!({"size": 0, "aggs": {"t": {"top_hits": {"size": 1}, "aggs": {"x": {"max": {"field": "log.offset"}}}}}}))
                .status(400),
        ],
    );
}

/// `filters`, `filter` and `missing` under `terms`, `histogram` and `date_histogram` buckets, as ES's
/// reference answers them: each bucket's own counts (the search's query narrowing them), with their own
/// sub-aggregations, `meta`, `top_hits` below them, and filters under filters under terms.
#[test]
fn filter_aggs_under_tantivy_buckets() {
    use crate::check::{case, check};
    let es = Es::start();
    sample(&es);
    let search = |body: serde_json::Value| case("POST", "/logs/_search").body(body.to_string());
    let named = json!({"warnings": {"term": {"log.level": "warn"}}, "errors": {"term": {"log.level": "error"}}});
    check(
        &es,
        &[
            search(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name"},
                "aggs": {"f": {"meta": {"m": 1}, "filters": {"filters": named, "other_bucket": true}}}}}}))
                .json(json!({"aggregations": {"hosts": {"buckets": [
                    {"key": "db-1", "doc_count": 2, "f": {"meta": {"m": 1}, "buckets": {
                        "errors": {"doc_count": 1}, "warnings": {"doc_count": 0}, "_other_": {"doc_count": 1}}}},
                    {"key": "web-1", "f": {"buckets": {
                        "errors": {"doc_count": 1}, "warnings": {"doc_count": 0}, "_other_": {"doc_count": 1}}}},
                    {"key": "web-2", "f": {"buckets": {
                        "errors": {"doc_count": 1}, "warnings": {"doc_count": 1}, "_other_": {"doc_count": 0}}}}]}}})),
            // `missing` and `filter` under a date histogram, with metrics under them; the query narrows.
            search(json!({"size": 0, "query": {"range": {"log.offset": {"gte": 20}}},
                "aggs": {"per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                "aggs": {"no_path": {"missing": {"field": "log.file.path"}},
                         "errors": {"filter": {"term": {"log.level": "error"}},
                             "aggs": {"top": {"max": {"field": "log.offset"}}}}}}}}))
                .json(json!({"aggregations": {"per_hour": {"buckets": [
                    {"key_as_string": "2026-11-22T01:00:00.000Z", "doc_count": 1,
                        "no_path": {"doc_count": 0}, "errors": {"doc_count": 0, "top": {"value": null}}},
                    {"key_as_string": "2026-11-22T02:00:00.000Z", "doc_count": 3,
                        "no_path": {"doc_count": 0}, "errors": {"doc_count": 1, "top": {"value": 50.0}}},
                    {"key_as_string": "2026-11-22T03:00:00.000Z", "doc_count": 0,
                        "no_path": {"doc_count": 0}, "errors": {"doc_count": 0}},
                    {"key_as_string": "2026-11-22T04:00:00.000Z", "doc_count": 1,
                        "no_path": {"doc_count": 1}, "errors": {"doc_count": 1, "top": {"value": 60.0}}}]}}})),
            // Under a numeric histogram, with a terms and a top_hits under the filter buckets.
            search(json!({"size": 0, "aggs": {"offsets": {"histogram": {"field": "log.offset", "interval": 30},
                "aggs": {"f": {"filters": {"filters": {"errors": {"term": {"log.level": "error"}}}},
                    "aggs": {"hosts": {"terms": {"field": "host.name"}},
                             "first": {"top_hits": {"size": 1, "sort": ["log.offset"], "_source": false}}}}}}}}))
                .json(json!({"aggregations": {"offsets": {"buckets": [
                    {"key": 0.0, "doc_count": 2, "f": {"buckets": {"errors": {"doc_count": 1,
                        "hosts": {"buckets": [{"key": "web-1", "doc_count": 1}]},
                        "first": {"hits": {"hits": [{"_id": "a"}]}}}}}},
                    {"key": 30.0, "doc_count": 3, "f": {"buckets": {"errors": {"doc_count": 1,
                        "hosts": {"buckets": [{"key": "db-1", "doc_count": 1}]},
                        "first": {"hits": {"hits": [{"_id": "e"}]}}}}}},
                    {"key": 60.0, "doc_count": 1, "f": {"buckets": {"errors": {"doc_count": 1,
                        "first": {"hits": {"hits": [{"_id": "f"}]}}}}}}]}}})),
            // Under a top-level filter: terms, then filters again.
            search(json!({"size": 0, "aggs": {"info_or_error": {"filter": {"terms": {"log.level": ["info", "error"]}},
                "aggs": {"hosts": {"terms": {"field": "host.name"},
                    "aggs": {"e": {"filter": {"term": {"log.level": "error"}}}}}}}}}))
                .json(json!({"aggregations": {"info_or_error": {"doc_count": 5, "hosts": {"buckets": [
                    {"key": "db-1", "doc_count": 2, "e": {"doc_count": 1}},
                    {"key": "web-1", "doc_count": 2, "e": {"doc_count": 1}},
                    {"key": "web-2", "doc_count": 1, "e": {"doc_count": 1}}]}}}})),
            // Still checked before the search: a bad query under a bucket is a 400.
            search(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name"},
                "aggs": {"f": {"filters": {"filters": {"x": {"no_such_query": {}}}}}}}}}))
                .status(400),
            search(json!({"size": 0, "aggs": {"hosts": {"terms": {"field": "host.name"},
                "aggs": {"m": {"missing": {}}}}}}))
                .status(400),
        ],
    );
}

/// `filter` / `filters` ranges and `query_string` ranges over a field mapped as a date (not `@timestamp`)
/// compare times, with date math and `format`, as the `range` query does; `top_hits` sorts on such a field
/// by time and shows epoch millis (a document without it: ES's `Long.MAX_VALUE` / `MIN_VALUE`).
#[test]
fn date_fields_in_filter_aggs_and_top_hits() {
    use crate::check::{case, check};
    let es = Es::start();
    // By time: d1 01:00Z, d2 02:00Z, d3 02:30Z; by text d3 < d2 < d1. d5 has none.
    let lines: Vec<serde_json::Value> = [
        ("d1", Some("2026-11-22T03:00:00+02:00"), "a"),
        ("d2", Some("2026-11-22 02:00:00"), "a"),
        ("d3", Some("2026-11-21T23:30:00-03:00"), "b"),
        ("d5", None, "b"),
    ]
    .into_iter()
    .flat_map(|(id, created, group)| {
        let mut source =
            json!({"@timestamp": "2026-11-22T05:00:00Z", "message": id, "group": group});
        if let Some(c) = created {
            source["event"] = json!({"created": c});
        }
        [json!({"index": {"_id": id}}), source]
    })
    .collect();
    let r = es.bulk("/events/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");
    let search = |body: serde_json::Value| case("POST", "/events/_search").body(body.to_string());
    let range = |params: serde_json::Value| json!({"range": {"event.created": params}});
    let hit = |id: &str, sort: serde_json::Value| json!({"_id": id, "sort": sort});
    check(
        &es,
        &[
            search(json!({"size": 0, "aggs": {"f": {"filters": {"other_bucket": true, "filters": {
                "early": range(json!({"lte": "2026-11-22T02:00:00Z"})),
                "late": range(json!({"gt": "2026-11-22T01:00:00Z||+1h"})),
                "local": range(json!({"gte": "22/11/2026 03:30", "format": "dd/MM/yyyy HH:mm", "time_zone": "+02:00"})),
                "qs": {"query_string": {"query": "event.created:[* TO 2026-11-22T01:30:00Z]"}}}}}}}))
                .json(json!({"aggregations": {"f": {"buckets": {
                    "early": {"doc_count": 2}, "late": {"doc_count": 1}, "local": {"doc_count": 2},
                    "qs": {"doc_count": 1}, "_other_": {"doc_count": 1}}}}})),
            search(json!({"size": 0, "aggs": {"recent": {"filter": range(json!({"gte": "now-100y/d", "format": "epoch_millis"})),
                "aggs": {"groups": {"terms": {"field": "group"}}}}}}))
                .json(json!({"aggregations": {"recent": {"doc_count": 3, "groups": {"buckets": [
                    {"key": "a", "doc_count": 2}, {"key": "b", "doc_count": 1}]}}}})),
            // Under a terms bucket too.
            search(json!({"size": 0, "aggs": {"groups": {"terms": {"field": "group"},
                "aggs": {"early": {"filter": range(json!({"lt": "2026-11-22T02:30:00Z"}))}}}}}))
                .json(json!({"aggregations": {"groups": {"buckets": [
                    {"key": "a", "early": {"doc_count": 2}}, {"key": "b", "early": {"doc_count": 0}}]}}})),
            // top_hits sorted on the date field: by time, millis shown.
            search(json!({"size": 0, "aggs": {"first": {"top_hits": {"size": 4, "sort": [{"event.created": "asc"}], "_source": false}}}}))
                .json(json!({"aggregations": {"first": {"hits": {"hits": [
                    hit("d1", json!([1_795_309_200_000_i64])), hit("d2", json!([1_795_312_800_000_i64])),
                    hit("d3", json!([1_795_314_600_000_i64])), hit("d5", json!([i64::MAX]))]}}}})),
            search(json!({"size": 0, "aggs": {"groups": {"terms": {"field": "group"},
                "aggs": {"last": {"top_hits": {"size": 2, "sort": [{"event.created": {"order": "desc", "format": "strict_date_optional_time"}}],
                    "_source": false, "fields": ["event.created"]}}}}}}))
                .json(json!({"aggregations": {"groups": {"buckets": [
                    {"key": "a", "last": {"hits": {"hits": [
                        {"_id": "d2", "sort": ["2026-11-22T02:00:00.000Z"], "fields": {"event.created": ["2026-11-22T02:00:00.000Z"]}},
                        {"_id": "d1", "sort": ["2026-11-22T01:00:00.000Z"]}]}}},
                    {"key": "b", "last": {"hits": {"hits": [
                        hit("d3", json!(["2026-11-22T02:30:00.000Z"])), hit("d5", json!(["-292275055-05-16T16:47:04.192Z"]))]}}}]}}})),
        ],
    );
}
