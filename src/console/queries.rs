//! The console's search requests: validated inputs in, Elasticsearch request bodies out, and ES responses
//! shaped into the small JSON the pages render.
//!
//! Nothing here does I/O, so every rule is unit-tested. Invariants: every input is checked before it reaches
//! a body (index patterns against ES naming rules, times as epoch milliseconds in a sane range, sizes
//! capped, `search_after` a short array of scalars); the user's query text goes only into `query_string`;
//! highlights use the private-use markers [`HL_PRE`] / [`HL_POST`] instead of `<em>`, so the page never has
//! to parse HTML out of a log line.

use serde::Deserialize;
use serde_json::{json, Value};

/// Marks the start of a highlighted span in `highlight` (U+E000, private use: not in ordinary logs).
pub const HL_PRE: &str = "\u{e000}";
/// Marks the end of a highlighted span (U+E001).
pub const HL_POST: &str = "\u{e001}";
/// Most hits per page.
pub const MAX_SIZE: usize = 500;
/// Longest accepted query text.
pub const MAX_QUERY: usize = 4096;
/// Fields offered in the Discover sidebar with their top values.
pub const SIDEBAR_FIELDS: &[&str] = &["host.name", "log.file.path", "event.dataset", "log.flags"];
/// Tie-breaker after `@timestamp` in every sort: the line's byte offset. A numeric field, because sorting on
/// a keyword (`event.id`) costs the store ~9 s over 300 k hits against 0.2 s for a number. Two lines of
/// different files with the same millisecond and offset can still tie at a page boundary (rare; live tail
/// dedups by `_id` anyway).
pub const TIEBREAKER: &str = "log.offset";

const LATEST_MS: i64 = 1 << 53;

/// `POST /api/search`: one page of hits, newest first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    pub index: String,
    #[serde(default)]
    pub query: String,
    pub from_ms: i64,
    pub to_ms: i64,
    #[serde(default)]
    pub size: Option<usize>,
    #[serde(default)]
    pub search_after: Option<Vec<Value>>,
}

/// `POST /api/histogram` and `/api/fields`: the same filter, aggregations only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeRequest {
    pub index: String,
    #[serde(default)]
    pub query: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// `POST /api/tail`: hits at or after `since_ms`, oldest first (the page drops ids it already shows).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailRequest {
    pub index: String,
    #[serde(default)]
    pub query: String,
    pub since_ms: i64,
}

/// `POST /api/metrics`: one host's system metrics over a range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsRequest {
    pub index: String,
    pub host: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A field of a console API request that cannot be used; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    #[error("{field}: {reason}")]
    Field { field: &'static str, reason: String },
    #[error("from_ms must be before to_ms")]
    RangeOrder,
}

/// `field`'s error, `reason` saying what is wrong.
fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidRequest {
    InvalidRequest::Field {
        field,
        reason: reason.into(),
    }
}

/// An index name or pattern as Elasticsearch accepts it in a URL: lowercase, `*` and `,` allowed.
pub fn validate_index(index: &str) -> Result<(), InvalidRequest> {
    if index.is_empty() || index.len() > 255 {
        return Err(invalid("index", "1 to 255 characters"));
    }
    if index.starts_with(['-', '_', '+', ',']) {
        return Err(invalid(
            "index",
            format!("`{index}` must not start with - _ + or ,"),
        ));
    }
    if let Some(bad) = index.chars().find(|c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '*' | ','))
    }) {
        return Err(invalid(
            "index",
            format!("`{index}` contains `{bad}` (use a-z 0-9 . _ - * ,)"),
        ));
    }
    Ok(())
}

fn validate_query(query: &str) -> Result<(), InvalidRequest> {
    if query.len() > MAX_QUERY {
        return Err(invalid("query", format!("longer than {MAX_QUERY} bytes")));
    }
    if query.chars().any(|c| c.is_control() && c != '\t') {
        return Err(invalid("query", "control characters are not allowed"));
    }
    Ok(())
}

fn validate_range(from_ms: i64, to_ms: i64) -> Result<(), InvalidRequest> {
    for (name, t) in [("from_ms", from_ms), ("to_ms", to_ms)] {
        if !(0..LATEST_MS).contains(&t) {
            return Err(invalid(name, format!("{t} is not epoch milliseconds")));
        }
    }
    if from_ms >= to_ms {
        return Err(InvalidRequest::RangeOrder);
    }
    Ok(())
}

/// A host name as agents report it.
pub fn validate_host(host: &str) -> Result<(), InvalidRequest> {
    if host.is_empty() || host.len() > 253 {
        return Err(invalid("host", "1 to 253 characters"));
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid("host", format!("`{host}` contains `{bad}`")));
    }
    Ok(())
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn filter(query: &str, from_ms: i64, to_ms: Option<i64>) -> Value {
    let mut range = json!({"gte": iso(from_ms)});
    if let Some(to) = to_ms {
        range["lte"] = json!(iso(to));
    }
    let mut filters = vec![json!({"range": {"@timestamp": range}})];
    if !query.trim().is_empty() {
        filters.push(json!({"query_string": {"query": query}}));
    }
    json!({"bool": {"filter": filters}})
}

fn highlight() -> Value {
    json!({"pre_tags": [HL_PRE], "post_tags": [HL_POST],
           "fields": {"message": {"number_of_fragments": 0}}})
}

impl SearchRequest {
    /// Checks every field; the error names it.
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        validate_index(&self.index)?;
        validate_query(&self.query)?;
        validate_range(self.from_ms, self.to_ms)?;
        if let Some(size) = self.size {
            if size == 0 || size > MAX_SIZE {
                return Err(invalid("size", format!("1 to {MAX_SIZE}")));
            }
        }
        if let Some(after) = &self.search_after {
            if after.len() != 2
                || after
                    .iter()
                    .any(|v| !(v.is_number() || v.is_string() || v.is_null()))
            {
                return Err(invalid("search_after", "two scalars (a hit's `sort`)"));
            }
        }
        Ok(())
    }

    /// The `_search` body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "size": self.size.unwrap_or(100),
            "track_total_hits": true,
            "query": filter(&self.query, self.from_ms, Some(self.to_ms)),
            "sort": [{"@timestamp": {"order": "desc"}}, {TIEBREAKER: {"order": "desc"}}],
            "highlight": highlight(),
        });
        if let Some(after) = &self.search_after {
            body["search_after"] = json!(after);
        }
        body
    }
}

impl RangeRequest {
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        validate_index(&self.index)?;
        validate_query(&self.query)?;
        validate_range(self.from_ms, self.to_ms)
    }

    /// Hits over time: a `date_histogram` with about 60–120 buckets.
    pub fn histogram_body(&self) -> Value {
        json!({
            "size": 0,
            "track_total_hits": true,
            "query": filter(&self.query, self.from_ms, Some(self.to_ms)),
            "aggs": {"over_time": {"date_histogram": {
                "field": "@timestamp",
                "fixed_interval": interval_text(interval_ms(self.from_ms, self.to_ms)),
                "min_doc_count": 0,
            }}},
        })
    }

    /// Top values of the sidebar fields.
    pub fn fields_body(&self) -> Value {
        let mut aggs = serde_json::Map::new();
        for field in SIDEBAR_FIELDS {
            aggs.insert(
                field.to_string(),
                json!({"terms": {"field": field, "size": 10}}),
            );
        }
        json!({
            "size": 0,
            "query": filter(&self.query, self.from_ms, Some(self.to_ms)),
            "aggs": aggs,
        })
    }
}

impl TailRequest {
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        validate_index(&self.index)?;
        validate_query(&self.query)?;
        if !(0..LATEST_MS).contains(&self.since_ms) {
            return Err(invalid("since_ms", "not epoch milliseconds"));
        }
        Ok(())
    }

    pub fn body(&self) -> Value {
        json!({
            "size": MAX_SIZE,
            "query": filter(&self.query, self.since_ms, None),
            "sort": [{"@timestamp": {"order": "asc"}}, {TIEBREAKER: {"order": "asc"}}],
            "highlight": highlight(),
        })
    }
}

/// Metric fields charted per host, with the aggregation used per bucket.
pub const METRICS: &[(&str, &str, &str)] = &[
    ("cpu", "avg", "system.cpu.total.norm.pct"),
    ("memory", "avg", "system.memory.actual.used.pct"),
    ("load", "avg", "system.load.1"),
    ("disk", "max", "system.filesystem.used.pct"),
];

impl MetricsRequest {
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        validate_index(&self.index)?;
        validate_host(&self.host)?;
        validate_range(self.from_ms, self.to_ms)
    }

    pub fn body(&self) -> Value {
        let mut per_bucket = serde_json::Map::new();
        for (name, agg, field) in METRICS {
            per_bucket.insert(name.to_string(), json!({agg.to_string(): {"field": field}}));
        }
        per_bucket.insert(
            "interfaces".into(),
            json!({"terms": {"field": "system.network.name", "size": 20},
                   "aggs": {"in": {"max": {"field": "system.network.in.bytes"}},
                            "out": {"max": {"field": "system.network.out.bytes"}}}}),
        );
        json!({
            "size": 0,
            "query": {"bool": {"filter": [
                {"term": {"event.dataset": "system.metrics"}},
                {"term": {"host.name": self.host}},
                {"range": {"@timestamp": {"gte": iso(self.from_ms), "lte": iso(self.to_ms)}}},
            ]}},
            "aggs": {"over_time": {
                "date_histogram": {"field": "@timestamp",
                                   "fixed_interval": interval_text(interval_ms(self.from_ms, self.to_ms))},
                "aggs": per_bucket,
            }},
        })
    }
}

/// Hosts that sent system metrics (terms on `host.name`).
pub fn metric_hosts_body(from_ms: i64, to_ms: i64) -> Value {
    json!({
        "size": 0,
        "query": {"bool": {"filter": [
            {"term": {"event.dataset": "system.metrics"}},
            {"range": {"@timestamp": {"gte": iso(from_ms), "lte": iso(to_ms)}}},
        ]}},
        "aggs": {"hosts": {"terms": {"field": "host.name", "size": 200}}},
    })
}

const INTERVALS_MS: &[i64] = &[
    1_000,
    2_000,
    5_000,
    10_000,
    30_000,
    60_000,
    2 * 60_000,
    5 * 60_000,
    10 * 60_000,
    30 * 60_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
];

/// The smallest round interval giving at most 120 buckets over `from..to`.
pub fn interval_ms(from_ms: i64, to_ms: i64) -> i64 {
    let span = (to_ms - from_ms).max(1);
    INTERVALS_MS
        .iter()
        .copied()
        .find(|i| span / i <= 120)
        .unwrap_or(30 * 86_400_000)
}

fn interval_text(ms: i64) -> String {
    if ms % 86_400_000 == 0 {
        format!("{}d", ms / 86_400_000)
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// Reads `a.b.c` out of nested JSON (or a flat `"a.b.c"` key).
pub fn dotted<'a>(source: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = source.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(source, |v, part| v.get(part))
}

fn total(body: &Value) -> u64 {
    let t = &body["hits"]["total"];
    t["value"].as_u64().or_else(|| t.as_u64()).unwrap_or(0)
}

/// `{"total", "hits": [{"id","index","ts","host","file","message","highlight","sort","source"}]}`.
pub fn shape_hits(body: &Value) -> Value {
    let hits: Vec<Value> = body["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|hit| {
                    let source = &hit["_source"];
                    let text = |path: &str| dotted(source, path).cloned().unwrap_or(Value::Null);
                    json!({
                        "id": hit["_id"],
                        "index": hit["_index"],
                        "ts": text("@timestamp"),
                        "host": text("host.name"),
                        "file": text("log.file.path"),
                        "message": text("message"),
                        "highlight": hit["highlight"]["message"][0],
                        "sort": hit["sort"],
                        "source": source,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"total": total(body), "hits": hits})
}

/// `{"interval_ms", "total", "buckets": [[start_ms, count], ...]}` with empty buckets filled over the range.
pub fn shape_histogram(body: &Value, from_ms: i64, to_ms: i64) -> Value {
    let interval = interval_ms(from_ms, to_ms);
    let mut counts = std::collections::BTreeMap::new();
    for bucket in body["aggregations"]["over_time"]["buckets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let (Some(key), Some(n)) = (bucket["key"].as_f64(), bucket["doc_count"].as_u64()) {
            counts.insert(key as i64, n);
        }
    }
    let mut buckets = Vec::new();
    let mut t = from_ms - from_ms.rem_euclid(interval);
    while t <= to_ms && buckets.len() < 1000 {
        buckets.push(json!([t, counts.get(&t).copied().unwrap_or(0)]));
        t += interval;
    }
    json!({"interval_ms": interval, "total": total(body), "buckets": buckets})
}

/// `{"fields": [{"field", "values": [{"value", "count"}]}]}`.
pub fn shape_fields(body: &Value) -> Value {
    let fields: Vec<Value> = SIDEBAR_FIELDS
        .iter()
        .map(|field| {
            let values: Vec<Value> = body["aggregations"][*field]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let value = b
                        .get("key_as_string")
                        .cloned()
                        .unwrap_or_else(|| b["key"].clone());
                    json!({"value": value, "count": b["doc_count"]})
                })
                .collect();
            json!({"field": field, "values": values})
        })
        .collect();
    json!({ "fields": fields })
}

/// `{"interval_ms", "t": [...], "cpu": [...], "memory", "load", "disk", "net_in", "net_out"}`: one value per
/// bucket (null when the bucket has none); network values are bytes per second summed over interfaces
/// (`lo` left out), from the counters' growth between buckets.
pub fn shape_metrics(body: &Value, from_ms: i64, to_ms: i64) -> Value {
    let interval = interval_ms(from_ms, to_ms);
    let buckets: Vec<&Value> = body["aggregations"]["over_time"]["buckets"]
        .as_array()
        .map(|b| b.iter().collect())
        .unwrap_or_default();
    let mut out = serde_json::Map::new();
    out.insert("interval_ms".into(), json!(interval));
    out.insert(
        "t".into(),
        json!(buckets
            .iter()
            .map(|b| b["key"].as_f64().map(|k| k / 1000.0))
            .collect::<Vec<_>>()),
    );
    for (name, _, _) in METRICS {
        let series: Vec<Option<f64>> = buckets.iter().map(|b| b[*name]["value"].as_f64()).collect();
        out.insert(name.to_string(), json!(series));
    }
    for dir in ["in", "out"] {
        let mut previous: std::collections::HashMap<String, f64> = Default::default();
        let mut series = Vec::with_capacity(buckets.len());
        for bucket in &buckets {
            let mut sum = None;
            for iface in bucket["interfaces"]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let name = iface["key"].as_str().unwrap_or_default().to_string();
                let Some(counter) = iface[dir]["value"].as_f64() else {
                    continue;
                };
                if name == "lo" {
                    continue;
                }
                if let Some(before) = previous.insert(name, counter) {
                    if counter >= before {
                        *sum.get_or_insert(0.0) += (counter - before) * 1000.0 / interval as f64;
                    }
                }
            }
            series.push(sum);
        }
        out.insert(format!("net_{dir}"), json!(series));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(index: &str, query: &str) -> SearchRequest {
        SearchRequest {
            index: index.into(),
            query: query.into(),
            from_ms: 1_000,
            to_ms: 2_000,
            size: None,
            search_after: None,
        }
    }

    #[test]
    fn inputs_are_validated() {
        assert!(search("logpipe-*", "error AND host.name:web-1")
            .validate()
            .is_ok());
        assert!(search("logpipe-*,other", "").validate().is_ok());
        for bad in ["", "Logpipe", "a/b", "_all", "a b", "a?b", "x#"] {
            assert!(search(bad, "").validate().is_err(), "{bad}");
        }
        assert!(search("x", "a\u{0}b").validate().is_err());
        assert!(search("x", &"a".repeat(MAX_QUERY + 1)).validate().is_err());
        let mut r = search("x", "");
        r.from_ms = 3_000;
        assert_eq!(r.validate(), Err(InvalidRequest::RangeOrder));
        let mut r = search("x", "");
        r.size = Some(MAX_SIZE + 1);
        assert!(r.validate().is_err());
        let mut r = search("x", "");
        r.search_after = Some(vec![json!({"a": 1}), json!("x")]);
        assert!(r.validate().is_err());
        r.search_after = Some(vec![json!(5), json!("x")]);
        assert!(r.validate().is_ok());
        assert!(validate_host("web-1.example").is_ok());
        assert!(validate_host("a b").is_err());
    }

    #[test]
    fn search_body_has_filter_sort_highlight_and_cursor() {
        let mut r = search("x", "error");
        r.search_after = Some(vec![json!(1500), json!("id")]);
        let body = r.body();
        assert_eq!(
            body["query"]["bool"]["filter"][1]["query_string"]["query"],
            "error"
        );
        assert_eq!(
            body["query"]["bool"]["filter"][0]["range"]["@timestamp"]["gte"],
            "1970-01-01T00:00:01.000Z"
        );
        assert_eq!(body["sort"][0]["@timestamp"]["order"], "desc");
        assert_eq!(body["highlight"]["pre_tags"][0], HL_PRE);
        assert_eq!(body["search_after"], json!([1500, "id"]));
        let empty = search("x", "  ").body();
        assert_eq!(
            empty["query"]["bool"]["filter"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn intervals_give_at_most_120_buckets() {
        assert_eq!(interval_ms(0, 15 * 60_000), 10_000);
        assert_eq!(interval_ms(0, 3_600_000), 30_000);
        assert_eq!(interval_ms(0, 86_400_000), 30 * 60_000);
        assert_eq!(interval_text(3_600_000), "1h");
        assert_eq!(interval_text(30_000), "30s");
        assert_eq!(interval_text(300_000), "5m");
    }

    #[test]
    fn histogram_fills_empty_buckets() {
        let body = json!({"hits": {"total": {"value": 3}}, "aggregations": {"over_time": {"buckets": [
            {"key": 20_000.0, "doc_count": 3}]}}});
        let shaped = shape_histogram(&body, 0, 60_000);
        assert_eq!(shaped["interval_ms"], 1_000);
        assert_eq!(shaped["buckets"][20], json!([20_000, 3]));
        assert_eq!(shaped["buckets"][0], json!([0, 0]));
        assert_eq!(shaped["total"], 3);
    }

    #[test]
    fn hits_are_shaped_with_dotted_fields() {
        let body = json!({"hits": {"total": {"value": 1}, "hits": [{"_id": "a", "_index": "i",
            "_source": {"@timestamp": "t", "message": "<script>", "host": {"name": "h"},
                        "log": {"file": {"path": "/f"}}},
            "highlight": {"message": ["\u{e000}x\u{e001}"]}, "sort": [1, "a"]}]}});
        let shaped = shape_hits(&body);
        assert_eq!(shaped["hits"][0]["host"], "h");
        assert_eq!(shaped["hits"][0]["file"], "/f");
        assert_eq!(shaped["hits"][0]["message"], "<script>");
        assert_eq!(shaped["hits"][0]["highlight"], "\u{e000}x\u{e001}");
    }

    #[test]
    fn network_rates_come_from_counter_growth() {
        let bucket = |t: f64, n: f64| {
            json!({"key": t, "cpu": {"value": 0.5},
            "interfaces": {"buckets": [{"key": "eth0", "in": {"value": n}, "out": {"value": n}},
                                       {"key": "lo", "in": {"value": 1e9}, "out": {"value": 1e9}}]}})
        };
        let body = json!({"aggregations": {"over_time": {"buckets": [bucket(0.0, 0.0), bucket(1000.0, 500.0)]}}});
        let shaped = shape_metrics(&body, 0, 60_000);
        assert_eq!(shaped["net_in"], json!([null, 500.0]));
        assert_eq!(shaped["cpu"], json!([0.5, 0.5]));
        assert_eq!(shaped["memory"], json!([null, null]));
    }
}
