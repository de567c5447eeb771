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
