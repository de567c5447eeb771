//! tantivy's aggregation results → ES's response shape: per-index intermediate results merged, then
//! date histogram keys as integer millis with ES-formatted `key_as_string`, `min`/`max` on `@timestamp`
//! with `value_as_string`, counts as integers, `terms` ties ordered by key, and month-based calendar
//! buckets turned back from ranges.

use serde_json::{json, Map, Value};
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;

use crate::doc::date::{format_date, format_millis};
use crate::doc::schema::{resolve_field, FieldRef};
use crate::search::aggs::date_range;
use crate::search::aggs::error::AggError;
use crate::search::aggs::filter_buckets::FilterFruit;
use crate::search::aggs::time_histogram::{Counts, TimeHistogram};
use crate::search::aggs::translate::{agg_type, bounds, terms_size};
use crate::search::aggs::{display, limits, AggRequest, AggsFruit};

/// Turns the range buckets of a month-based calendar histogram back into date-histogram buckets: drops the
/// open-ended ranges tantivy adds, keys by the bucket start, and trims empty buckets at both ends outside
/// `extended_bounds` (ES returns buckets from the first to the last one holding documents).
fn calendar_buckets(params: &Value, res: &mut Value, now_ms: i64) {
    let (zone, format) = display(Some(params));
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
        b["key_as_string"] = json!(format_date(start, format.as_deref(), zone));
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
pub fn finish_aggs(req: &AggRequest, parts: Vec<AggsFruit>) -> Result<Value, AggError> {
    let mut merged: Option<IntermediateAggregationResults> = None;
    let mut histograms: Vec<Counts> = vec![Counts::new(); req.histograms.len()];
    let mut filters: Vec<Vec<FilterFruit>> = req.filters.iter().map(|_| Vec::new()).collect();
    for part in parts {
        for (into, h) in histograms.iter_mut().zip(part.histograms) {
            TimeHistogram::merge(into, h);
        }
        for (into, f) in filters.iter_mut().zip(part.filters) {
            into.push(f);
        }
        let Some(part) = part.tantivy else {
            continue;
        };
        match &mut merged {
            None => merged = Some(part),
            Some(m) => m.merge_fruits(part).map_err(AggError::Execution)?,
        }
    }
    let mut v = match &req.tantivy {
        Some(aggs) => {
            let results = merged
                .unwrap_or_default()
                .into_final_result(aggs.clone(), limits())
                .map_err(AggError::Execution)?;
            let mut v = serde_json::to_value(&results)?;
            fix_results(&req.es, &mut v, req.now_ms);
            v
        }
        None => Value::Object(Map::new()),
    };
    for ((name, h), counts) in req.histograms.iter().zip(&histograms) {
        v[name.as_str()] = h.render(counts)?;
    }
    for ((name, f), parts) in req.filters.iter().zip(filters) {
        v[name.as_str()] = f.render(parts)?;
    }
    echo_meta(&req.es, &mut v);
    Ok(v)
}

/// Copies each aggregation's `meta` into its result, in every bucket of the aggregations above it, as ES
/// echoes it.
fn echo_meta(es: &Map<String, Value>, results: &mut Value) {
    for (name, body) in es {
        let Some(res) = results.get_mut(name.as_str()) else {
            continue;
        };
        if let Some(meta) = body.get("meta") {
            res["meta"] = meta.clone();
        }
        let Some(sub) = body
            .get("aggs")
            .or_else(|| body.get("aggregations"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        match res.get_mut("buckets") {
            Some(Value::Array(a)) => a.iter_mut().for_each(|b| echo_meta(sub, b)),
            Some(Value::Object(o)) => o.values_mut().for_each(|b| echo_meta(sub, b)),
            _ => {}
        }
    }
}

fn fix_results(es: &Map<String, Value>, results: &mut Value, now_ms: i64) {
    for (name, body) in es {
        let Some(body) = body.as_object() else {
            continue;
        };
        let Ok((kind, params)) = agg_type(name, body) else {
            continue;
        };
        // Overlapping date ranges were computed in groups of disjoint ones: their buckets, together.
        let mut group_buckets = Vec::new();
        if kind == "date_range" {
            if let Some(o) = results.as_object_mut() {
                for g in 1.. {
                    let Some(mut group) = o.remove(&date_range::group_name(name, g)) else {
                        break;
                    };
                    if let Some(Value::Array(b)) = group.get_mut("buckets") {
                        group_buckets.append(b);
                    }
                }
            }
        }
        let Some(res) = results.get_mut(name) else {
            continue;
        };
        if let Some(Value::Array(b)) = res.get_mut("buckets") {
            b.append(&mut group_buckets);
        }
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
            "date_range" => date_range::render(&params, res, now_ms, &mut |b| {
                if let Some(sub) = sub {
                    fix_results(sub, b, now_ms);
                }
            }),
            "date_histogram" | "histogram" | "terms" | "range" => {
                // Month-based and time-zone histograms were computed as ranges.
                let as_ranges = matches!(res.get("buckets"), Some(Value::Array(a))
                    if a.first().is_some_and(|b| b.get("to").is_some()));
                if kind == "date_histogram" && as_ranges {
                    calendar_buckets(&params, res, now_ms);
                }
                let (zone, format) = display(Some(&params));
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
                        // Cut to the requested size (more was asked of tantivy, see `translate`).
                        let size = params
                            .as_object()
                            .map_or(10, terms_size)
                            .try_into()
                            .unwrap_or(usize::MAX);
                        if a.len() > size {
                            let cut: u64 = a
                                .drain(size..)
                                .map(|b| b["doc_count"].as_u64().unwrap_or(0))
                                .sum();
                            let other = res["sum_other_doc_count"].as_u64().unwrap_or(0);
                            res["sum_other_doc_count"] = json!(other + cut);
                        }
                    }
                }
                let buckets: Vec<&mut Value> = match res.get_mut("buckets") {
                    Some(Value::Array(a)) => a.iter_mut().collect(),
                    Some(Value::Object(o)) => o.values_mut().collect(),
                    _ => Vec::new(),
                };
                for b in buckets {
                    if kind == "date_histogram" {
                        if let Some(key) = b.get("key").and_then(Value::as_f64) {
                            b["key"] = json!(key as i64);
                            b["key_as_string"] =
                                json!(format_date(key as i64, format.as_deref(), zone));
                        }
                    } else if kind == "terms" && is_ts {
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
                        fix_results(sub, b, now_ms);
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
