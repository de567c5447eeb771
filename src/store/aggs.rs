//! Aggregations: ES request → tantivy aggregation request, and tantivy results → ES response shape.
//!
//! tantivy's aggregation framework already speaks an ES-like JSON dialect; this module renames fields to the
//! schema's (`host.name` → `attrs.host.name`), turns `calendar_interval` / `interval` of fixed length
//! (minute, hour, day, week) into `fixed_interval`, evaluates date math in `extended_bounds` /
//! `hard_bounds`, and rejects what tantivy cannot do (month/quarter/year buckets) with a 400. Each index is
//! collected into intermediate results which are merged before finalising, so multi-index searches
//! aggregate correctly. On the way out, date histogram keys become integer millis with ES-formatted
//! `key_as_string`, and `min`/`max` on `@timestamp` gain `value_as_string`.

use serde_json::{json, Map, Value};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::aggregation::{AggregationLimitsGuard, DistributedAggregationCollector};

use super::date_math::{format_millis, parse_date_math};
use super::error::EsError;
use super::schema::{resolve_field, tantivy_name, FieldRef};

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
    pub fn parse(v: &Value, now_ms: i64) -> Result<AggRequest, EsError> {
        let es = v
            .as_object()
            .ok_or_else(|| EsError::parsing("[aggs] must be an object"))?
            .clone();
        let translated = translate_all(&es, now_ms)?;
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

fn translate_all(aggs: &Map<String, Value>, now_ms: i64) -> Result<Map<String, Value>, EsError> {
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
        match kind.as_str() {
            "date_histogram" => translate_date_histogram(name, &mut params, now_ms)?,
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
        t.insert(kind.clone(), Value::Object(params));
        if let Some(sub) = body.get("aggs").or_else(|| body.get("aggregations")) {
            if !BUCKET_AGGS.contains(&kind.as_str()) {
                return Err(EsError::parsing(format!(
                    "Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations"
                )));
            }
            let sub = sub
                .as_object()
                .ok_or_else(|| EsError::parsing("[aggs] must be an object"))?;
            t.insert("aggs".into(), Value::Object(translate_all(sub, now_ms)?));
        }
        out.insert(name.clone(), Value::Object(t));
    }
    Ok(out)
}

fn translate_date_histogram(
    name: &str,
    p: &mut Map<String, Value>,
    now_ms: i64,
) -> Result<(), EsError> {
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
                "month" | "1M" | "quarter" | "1q" | "year" | "1y" => {
                    return Err(EsError::illegal_argument(format!(
                        "[date_histogram] [{name}]: calendar interval [{c}] is not supported by the logpipe store; use fixed_interval"
                    )))
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
        if let Some(Value::Object(b)) = p.get(key).cloned() {
            let mut nb = Map::new();
            for (bk, round_up) in [("min", false), ("max", true)] {
                if let Some(v) = b.get(bk) {
                    let ms = match v {
                        Value::Number(n) => n.as_f64().unwrap_or(0.0),
                        Value::String(s) => {
                            parse_date_math(s, now_ms, round_up).map_err(EsError::parsing)? as f64
                        }
                        _ => return Err(EsError::parsing(format!("[{key}.{bk}] must be a date"))),
                    };
                    nb.insert(bk.into(), json!(ms));
                }
            }
            p.insert(key.into(), Value::Object(nb));
        }
    }
    Ok(())
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
            _ => {}
        }
    }
}
