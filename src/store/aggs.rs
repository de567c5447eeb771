//! Aggregations: ES request → tantivy aggregation request, and tantivy results → ES response shape.
//!
//! tantivy's aggregation framework already speaks an ES-like JSON dialect; this module renames fields to the
//! schema's (`host.name` → `attrs.host.name`), turns `calendar_interval` / `interval` of fixed length
//! (minute, hour, day, week) into `fixed_interval`, builds month, quarter and year buckets on `@timestamp` as a
//! `range` aggregation over calendar boundaries (see `calendar_interval`), evaluates date math in
//! `extended_bounds` / `hard_bounds`, and rejects what tantivy cannot do with a 400. Each index is
//! collected into intermediate results which are merged before finalising, so multi-index searches
//! aggregate correctly. On the way out, date histogram keys become integer millis with ES-formatted
//! `key_as_string`, and `min`/`max` on `@timestamp` gain `value_as_string`.

use serde_json::{json, Map, Value};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::aggregation::{AggregationLimitsGuard, DistributedAggregationCollector};

use super::calendar_interval::{boundaries, months_per_bucket};
use super::date_math::{format_millis, parse_date_math};
use super::error::EsError;
use super::schema::{resolve_field, tantivy_name, FieldRef};

/// The smallest and largest `@timestamp` (millis) of the searched indices, computed only when a month-based
/// calendar histogram needs it; `None` when they hold no document.
pub type TimestampSpan<'a> = &'a mut dyn FnMut() -> Option<(i64, i64)>;

const BUCKET_AGGS: &[&str] = &["date_histogram", "histogram", "terms", "range"];
const METRIC_AGGS: &[&str] = &[
    "min",
    "max",
    "avg",
    "sum",
    "value_count",
    "cardinality",
    "stats",
    "extended_stats",
    "percentiles",
];

/// A parsed aggregation request.
pub struct AggRequest {
    /// The original ES request (drives result post-processing).
    es: Map<String, Value>,
    /// The tantivy request.
    tantivy: Aggregations,
}

fn limits() -> AggregationLimitsGuard {
    AggregationLimitsGuard::new(Some(512 * 1024 * 1024), Some(65_000))
}

impl AggRequest {
    /// Parses and translates an ES `aggs` object.
    pub fn parse(v: &Value, now_ms: i64, span: TimestampSpan) -> Result<AggRequest, EsError> {
        let es = v
            .as_object()
            .ok_or_else(|| EsError::parsing("[aggs] must be an object"))?
            .clone();
        let translated = translate_all(&es, now_ms, span)?;
        let tantivy: Aggregations = serde_json::from_value(Value::Object(translated))
            .map_err(|e| EsError::parsing(format!("invalid aggregation: {e}")))?;
        Ok(AggRequest { es, tantivy })
    }

    /// A collector producing mergeable intermediate results.
    pub fn collector(&self) -> DistributedAggregationCollector {
        DistributedAggregationCollector::from_aggs(self.tantivy.clone(), limits())
    }
}

fn agg_type(name: &str, body: &Map<String, Value>) -> Result<(String, Value), EsError> {
    let mut it = body
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "aggs" | "aggregations" | "meta"));
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.clone(), v.clone())),
        (None, _) => Err(EsError::parsing(format!(
            "Missing definition for aggregation [{name}]"
        ))),
        _ => Err(EsError::parsing(format!(
            "Found two aggregation type definitions in [{name}]"
        ))),
    }
}

fn translate_all(
    aggs: &Map<String, Value>,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<Map<String, Value>, EsError> {
    let mut out = Map::new();
    for (name, body) in aggs {
        let body = body
            .as_object()
            .ok_or_else(|| EsError::parsing(format!("Expected [START_OBJECT] under [{name}]")))?;
        let (kind, params) = agg_type(name, body)?;
        let mut params = match params {
            Value::Object(p) => p,
            _ => {
                return Err(EsError::parsing(format!(
                    "[{kind}] in [{name}] must be an object"
                )))
            }
        };
        if let Some(Value::String(f)) = params.get("field") {
            params.insert("field".into(), json!(tantivy_name(f)));
        }
        let mut tantivy_kind = kind.clone();
        match kind.as_str() {
            "date_histogram" => {
                if translate_date_histogram(name, &mut params, now_ms, span)? {
                    tantivy_kind = "range".into();
                }
            }
            "terms" => {
                for k in [
                    "execution_hint",
                    "collect_mode",
                    "show_term_doc_count_error",
                    "format",
                ] {
                    params.remove(k);
                }
            }
            k if BUCKET_AGGS.contains(&k) || METRIC_AGGS.contains(&k) => {
                params.remove("format");
            }
            other => {
                return Err(EsError::parsing(format!(
                    "Unknown aggregation type [{other}] for aggregation [{name}]"
                )))
            }
        }
        let mut t = Map::new();
        t.insert(tantivy_kind, Value::Object(params));
        if let Some(sub) = body.get("aggs").or_else(|| body.get("aggregations")) {
            if !BUCKET_AGGS.contains(&kind.as_str()) {
                return Err(EsError::parsing(format!(
                    "Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations"
                )));
            }
            let sub = sub
                .as_object()
                .ok_or_else(|| EsError::parsing("[aggs] must be an object"))?;
            t.insert(
                "aggs".into(),
                Value::Object(translate_all(sub, now_ms, span)?),
            );
        }
        out.insert(name.clone(), Value::Object(t));
    }
    Ok(out)
}

/// Translates `p` in place; returns true when it became a `range` aggregation (month-based calendar interval).
fn translate_date_histogram(
    name: &str,
    p: &mut Map<String, Value>,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<bool, EsError> {
    p.remove("format");
    p.remove("order");
    if let Some(tz) = p.remove("time_zone") {
        if !matches!(
            tz.as_str(),
            Some("UTC" | "Z" | "+00:00" | "Etc/UTC" | "GMT")
        ) {
            return Err(EsError::illegal_argument(format!(
                "[date_histogram] [{name}]: only UTC time_zone is supported, got {tz}"
            )));
        }
    }
    let calendar = p.remove("calendar_interval");
    let legacy = p.remove("interval");
    let fixed = p.get("fixed_interval").cloned();
    let interval = match (fixed, calendar, legacy) {
        (Some(f), _, _) => f
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| EsError::parsing("[fixed_interval] must be a string"))?,
        (None, Some(c), _) | (None, None, Some(c)) => {
            let c = c
                .as_str()
                .ok_or_else(|| EsError::parsing("[calendar_interval] must be a string"))?;
            match c {
                "minute" | "1m" => "1m".to_string(),
                "hour" | "1h" => "1h".to_string(),
                "day" | "1d" => "1d".to_string(),
                "week" | "1w" => {
                    // Weeks start on Monday; 1970-01-05 was a Monday.
                    p.insert("offset".into(), json!("4d"));
                    "7d".to_string()
                }
                "second" | "1s" => "1s".to_string(),
                c if months_per_bucket(c).is_some() => {
                    let months = months_per_bucket(c).unwrap_or(1);
                    calendar_ranges(name, p, months, now_ms, span)?;
                    return Ok(true);
                }
                // Legacy `interval` accepted any fixed interval too.
                other => other.to_string(),
            }
        }
        (None, None, None) => {
            return Err(EsError::illegal_argument(format!(
                "Invalid interval specified, must be non-null and non-empty for [{name}]"
            )))
        }
    };
    p.insert("fixed_interval".into(), json!(interval));
    for key in ["extended_bounds", "hard_bounds"] {
        if !matches!(p.get(key), Some(Value::Object(_))) {
            continue;
        }
        let (min, max) = bounds(p, key, now_ms)?;
        let mut nb = Map::new();
        for (bk, ms) in [("min", min), ("max", max)] {
            if let Some(ms) = ms {
                nb.insert(bk.into(), json!(ms));
            }
        }
        p.insert(key.into(), Value::Object(nb));
    }
    Ok(false)
}

/// Reads `min` / `max` of a date histogram's `extended_bounds` / `hard_bounds` as millis (numbers, dates or
/// date math; `max` rounds up); absent keys are `None`, anything else is an error naming the key.
fn bounds(
    p: &Map<String, Value>,
    key: &str,
    now_ms: i64,
) -> Result<(Option<f64>, Option<f64>), EsError> {
    let Some(b) = p.get(key) else {
        return Ok((None, None));
    };
    let read = |bk: &str, round_up: bool| -> Result<Option<f64>, EsError> {
        match b.get(bk) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.as_f64().unwrap_or(0.0))),
            Some(Value::String(s)) => parse_date_math(s, now_ms, round_up)
                .map(|ms| Some(ms as f64))
                .map_err(EsError::parsing),
            Some(_) => Err(EsError::parsing(format!("[{key}.{bk}] must be a date"))),
        }
    };
    Ok((read("min", false)?, read("max", true)?))
}

/// Rewrites a month/quarter/year `date_histogram` on `@timestamp` into a `range` aggregation whose ranges
/// are the calendar buckets covering the data and `extended_bounds`, clipped to `hard_bounds`. Each range's
/// key is its start in millis; `fix_results` turns the buckets back into date-histogram buckets.
fn calendar_ranges(
    name: &str,
    p: &mut Map<String, Value>,
    months: u32,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<(), EsError> {
    if p.get("field").and_then(Value::as_str) != Some(tantivy_name("@timestamp").as_str()) {
        return Err(EsError::illegal_argument(format!(
            "[date_histogram] [{name}]: month, quarter and year intervals are supported on [@timestamp] only; use fixed_interval"
        )));
    }
    if p.contains_key("offset") {
        return Err(EsError::illegal_argument(format!(
            "[date_histogram] [{name}]: [offset] is not supported with month, quarter and year intervals"
        )));
    }
    let millis =
        |(min, max): (Option<f64>, Option<f64>)| (min.map(|v| v as i64), max.map(|v| v as i64));
    let (ext_min, ext_max) = millis(bounds(p, "extended_bounds", now_ms)?);
    let (hard_min, hard_max) = millis(bounds(p, "hard_bounds", now_ms)?);
    let data = span();
    let lo = [data.map(|d| d.0), ext_min].into_iter().flatten().min();
    let hi = [data.map(|d| d.1), ext_max].into_iter().flatten().max();
    let (lo, hi) = match (lo, hi) {
        (Some(lo), Some(hi)) => (
            lo.max(hard_min.unwrap_or(i64::MIN)),
            hi.min(hard_max.unwrap_or(i64::MAX)),
        ),
        // Nothing to bucket: one empty range, trimmed away by `fix_results`.
        _ => (0, 0),
    };
    let edges = if lo <= hi {
        boundaries(lo, hi, months).map_err(EsError::illegal_argument)?
    } else {
        vec![0, 1]
    };
    let ranges: Vec<Value> = edges
        .windows(2)
        .map(|w| {
            // The column stores nanoseconds.
            json!({"key": w[0].to_string(), "from": w[0] as f64 * 1e6, "to": w[1] as f64 * 1e6})
        })
        .collect();
    let field = p.get("field").cloned().unwrap_or(Value::Null);
    p.clear();
    p.insert("field".into(), field);
    p.insert("ranges".into(), Value::Array(ranges));
    p.insert("keyed".into(), json!(false));
    Ok(())
}

/// Turns the range buckets of a month-based calendar histogram back into date-histogram buckets: drops the
/// open-ended ranges tantivy adds, keys by the bucket start, and trims empty buckets at both ends outside
/// `extended_bounds` (ES returns buckets from the first to the last one holding documents).
fn calendar_buckets(params: &Value, res: &mut Value) {
    let now_ms = super::date_math::now_millis();
    let p = params.as_object().cloned().unwrap_or_default();
    let (ext_min, ext_max) = bounds(&p, "extended_bounds", now_ms).unwrap_or((None, None));
    let min_doc_count = p.get("min_doc_count").and_then(Value::as_u64).unwrap_or(0);
    let Some(Value::Array(buckets)) = res.get_mut("buckets") else {
        return;
    };
    let mut out: Vec<Value> = Vec::with_capacity(buckets.len());
    for mut b in buckets.drain(..) {
        let (Some(_), Some(_)) = (b.get("from"), b.get("to")) else {
            continue;
        };
        let Some(start) = b
            .get("key")
            .and_then(Value::as_str)
            .and_then(|k| k.parse::<i64>().ok())
        else {
            continue;
        };
        if let Some(o) = b.as_object_mut() {
            for k in ["from", "to", "from_as_string", "to_as_string"] {
                o.remove(k);
            }
        }
        b["key"] = json!(start);
        b["key_as_string"] = json!(format_millis(start));
        out.push(b);
    }
    let count = |b: &Value| b["doc_count"].as_u64().unwrap_or(0);
    let start = |b: &Value| b["key"].as_i64().unwrap_or(0);
    let keep_empty = |b: &Value, next: Option<&Value>| {
        let begin = start(b);
        let end = next.map(start).unwrap_or(i64::MAX);
        ext_min.is_some_and(|m| (m as i64) < end) && ext_max.is_some_and(|m| m as i64 >= begin)
    };
    if min_doc_count > 0 {
        out.retain(|b| count(b) >= min_doc_count);
    } else {
        while out
            .first()
            .is_some_and(|b| count(b) == 0 && !keep_empty(b, out.get(1)))
        {
            out.remove(0);
        }
        while out
            .last()
            .is_some_and(|b| count(b) == 0 && !keep_empty(b, None))
        {
            out.pop();
        }
    }
    *buckets = out;
}

/// Merges per-index intermediate results and renders the ES `aggregations` object.
pub fn finish_aggs(
    req: &AggRequest,
    parts: Vec<IntermediateAggregationResults>,
) -> Result<Value, EsError> {
    let mut merged = IntermediateAggregationResults::default();
    let mut first = true;
    for part in parts {
        if first {
            merged = part;
            first = false;
        } else {
            merged
                .merge_fruits(part)
                .map_err(|e| EsError::new(400, "aggregation_execution_exception", e.to_string()))?;
        }
    }
    let results = merged
        .into_final_result(req.tantivy.clone(), limits())
        .map_err(|e| EsError::new(400, "aggregation_execution_exception", e.to_string()))?;
    let mut v = serde_json::to_value(&results).map_err(EsError::internal)?;
    fix_results(&req.es, &mut v);
    Ok(v)
}

fn fix_results(es: &Map<String, Value>, results: &mut Value) {
    for (name, body) in es {
        let Some(body) = body.as_object() else {
            continue;
        };
        let Ok((kind, params)) = agg_type(name, body) else {
            continue;
        };
        let Some(res) = results.get_mut(name) else {
            continue;
        };
        let sub = body
            .get("aggs")
            .or_else(|| body.get("aggregations"))
            .and_then(Value::as_object);
        let is_ts = params
            .get("field")
            .and_then(Value::as_str)
            .map(resolve_field)
            == Some(FieldRef::Timestamp);
        match kind.as_str() {
            "date_histogram" | "histogram" | "terms" | "range" => {
                let calendar_months = params
                    .get("calendar_interval")
                    .or_else(|| params.get("interval"))
                    .and_then(Value::as_str)
                    .and_then(months_per_bucket);
                if kind == "date_histogram"
                    && params.get("fixed_interval").is_none()
                    && calendar_months.is_some()
                {
                    calendar_buckets(&params, res);
                }
                if kind == "terms" && params.get("order").is_none() {
                    // ES orders equal counts by key, ascending.
                    if let Some(Value::Array(a)) = res.get_mut("buckets") {
                        a.sort_by(|x, y| {
                            let c = |b: &Value| b["doc_count"].as_u64().unwrap_or(0);
                            c(y).cmp(&c(x)).then_with(|| {
                                match (x["key"].as_str(), y["key"].as_str()) {
                                    (Some(p), Some(q)) => p.cmp(q),
                                    _ => x["key"]
                                        .as_f64()
                                        .unwrap_or(0.0)
                                        .total_cmp(&y["key"].as_f64().unwrap_or(0.0)),
                                }
                            })
                        });
                    }
                }
                let buckets: Vec<&mut Value> = match res.get_mut("buckets") {
                    Some(Value::Array(a)) => a.iter_mut().collect(),
                    Some(Value::Object(o)) => o.values_mut().collect(),
                    _ => Vec::new(),
                };
                for b in buckets {
                    if kind == "date_histogram" || (kind == "terms" && is_ts) {
                        if let Some(key) = b.get("key").and_then(Value::as_f64) {
                            b["key"] = json!(key as i64);
                            b["key_as_string"] = json!(format_millis(key as i64));
                        }
                    } else if let Some(key) = b.get("key").and_then(Value::as_f64) {
                        if key.fract() == 0.0 && key.abs() < 9.0e15 && kind == "terms" {
                            b["key"] = json!(key as i64);
                        }
                    }
                    if let Some(sub) = sub {
                        fix_results(sub, b);
                    }
                }
            }
            "min" | "max" if is_ts => {
                // tantivy reports date metrics in nanoseconds; ES in milliseconds.
                if let Some(v) = res.get("value").and_then(Value::as_f64) {
                    let ms = (v / 1_000_000.0) as i64;
                    res["value"] = json!(ms as f64);
                    res["value_as_string"] = json!(format_millis(ms));
                }
            }
            "cardinality" | "value_count" => {
                // Counts are integers in ES (`"value": 3`), floats in tantivy.
                if let Some(v) = res.get("value").and_then(Value::as_f64) {
                    res["value"] = json!(v as u64);
                }
            }
            _ => {}
        }
    }
}
