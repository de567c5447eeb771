//! The documents of one bucket of a rendered aggregation, written as an ES query: what the passes run after
//! the aggregations (`top_hits`, and `filters` / `filter` / `missing` under a bucket tantivy computes) narrow
//! the search's query to. A bucket of a `terms` is its term, of a histogram or range its range, of a
//! `filters` its query (the other bucket: none of them), of `filter` / `missing` their query.

use serde_json::{json, Map, Value};

use crate::doc::schema::F_TS;
use crate::query::date_math::parse_date_math_in;
use crate::search::aggs::display;
use crate::search::aggs::error::AggError;
use crate::search::aggs::filter_buckets::missing_query;
use crate::search::aggs::time_histogram::duration_ms;

/// The sub-aggregations of an aggregation's body.
pub(super) fn sub_aggs(body: &Value) -> Option<&Map<String, Value>> {
    body.get("aggs")
        .or_else(|| body.get("aggregations"))
        .and_then(Value::as_object)
}

/// Calls `f` with each bucket of `res`, the rendered result of an aggregation of `kind` with `params`, and
/// the ES query selecting the bucket's documents (`None` when it cannot be written as one). `filter` and
/// `missing` are one bucket, the result itself.
pub(super) fn for_each_bucket(
    kind: &str,
    params: &Value,
    res: &mut Value,
    mut f: impl FnMut(&mut Value, Option<Value>) -> Result<(), AggError>,
) -> Result<(), AggError> {
    match res.get_mut("buckets") {
        Some(Value::Array(buckets)) => {
            for (i, bucket) in buckets.iter_mut().enumerate() {
                let cond = bucket_condition(kind, params, bucket, Some(i), None);
                f(bucket, cond)?;
            }
        }
        Some(Value::Object(buckets)) => {
            for (key, bucket) in buckets.iter_mut() {
                let cond = bucket_condition(kind, params, bucket, None, Some(key));
                f(bucket, cond)?;
            }
        }
        _ => {
            let cond = match kind {
                "filter" => Some(params.clone()),
                "missing" => params
                    .get("field")
                    .and_then(Value::as_str)
                    .map(missing_query),
                _ => None,
            };
            f(res, cond)?;
        }
    }
    Ok(())
}

/// The ES query selecting the documents of one bucket of aggregation `kind` with `params`: `pos` is the
/// bucket's position in an array of buckets, `key` its key in an object of them.
fn bucket_condition(
    kind: &str,
    params: &Value,
    bucket: &Value,
    pos: Option<usize>,
    key: Option<&String>,
) -> Option<Value> {
    let field = params.get("field").and_then(Value::as_str);
    let range = |lo: Option<&Value>, hi: Option<&Value>| {
        let mut r = Map::new();
        if let Some(lo) = lo {
            r.insert("gte".into(), lo.clone());
        }
        if let Some(hi) = hi {
            r.insert("lt".into(), hi.clone());
        }
        Some(json!({"range": {field?: r}}))
    };
    match kind {
        "terms" => {
            let field = field?;
            let key = bucket.get("key")?;
            let term = if field == F_TS {
                let ms = key.as_i64()?;
                json!({"range": {field: {"gte": ms, "lte": ms}}})
            } else {
                json!({"term": {field: key}})
            };
            // The `missing` value's bucket also holds the documents without the field.
            match params.get("missing") {
                Some(m)
                    if m == key
                        || m.as_str().and_then(|s| s.trim().parse::<f64>().ok())
                            == key.as_f64()
                            && key.is_number() =>
                {
                    Some(json!({"bool": {"should": [term, missing_query(field)]}}))
                }
                _ => Some(term),
            }
        }
        "date_histogram" => {
            let start = bucket.get("key")?.as_i64()?;
            let end = histogram_end(params, start)?;
            range(Some(&json!(start)), Some(&json!(end)))
        }
        "histogram" => {
            let start = bucket.get("key")?.as_f64()?;
            let interval = params.get("interval")?.as_f64()?;
            range(Some(&json!(start)), Some(&json!(start + interval)))
        }
        "range" | "date_range" => {
            let num = |k: &str| bucket.get(k).filter(|v| v.is_number());
            match (kind, num("from"), num("to")) {
                ("date_range", from, to) => {
                    let ms = |v: Option<&Value>| v.and_then(Value::as_f64).map(|f| json!(f as i64));
                    range(ms(from).as_ref(), ms(to).as_ref())
                }
                (_, from, to) => range(from, to),
            }
        }
        "filters" => {
            let filters = params.get("filters")?;
            match (filters, key, pos) {
                (Value::Object(named), Some(k), _) => named
                    .get(k)
                    .cloned()
                    .or_else(|| Some(none_of(named.values()))),
                (Value::Object(named), None, Some(_)) => {
                    let k = bucket.get("key")?.as_str()?;
                    named
                        .get(k)
                        .cloned()
                        .or_else(|| Some(none_of(named.values())))
                }
                (Value::Array(anonymous), _, Some(i)) => anonymous
                    .get(i)
                    .cloned()
                    .or_else(|| Some(none_of(anonymous.iter()))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The documents none of `queries` matches (a `filters` aggregation's other bucket).
fn none_of<'v>(queries: impl Iterator<Item = &'v Value>) -> Value {
    json!({"bool": {"must_not": queries.cloned().collect::<Vec<_>>()}})
}

/// The end of the `date_histogram` bucket starting at `start` (exclusive), in its `time_zone`.
fn histogram_end(params: &Value, start: i64) -> Option<i64> {
    let (zone, _) = display(Some(params));
    if let Some(fixed) = params.get("fixed_interval").and_then(Value::as_str) {
        return start.checked_add(duration_ms(fixed)?);
    }
    let interval = params
        .get("calendar_interval")
        .or_else(|| params.get("interval"))?
        .as_str()?;
    let step = match interval {
        "second" | "1s" => "1s",
        "minute" | "1m" => "1m",
        "hour" | "1h" => "1h",
        "day" | "1d" => "1d",
        "week" | "1w" => "1w",
        "month" | "1M" => "1M",
        "quarter" | "1q" => "3M",
        "year" | "1y" => "1y",
        fixed => return start.checked_add(duration_ms(fixed)?),
    };
    parse_date_math_in(&format!("{start}||+{step}"), 0, false, zone).ok()
}
