//! The `top_hits` aggregation (`size`, `from`, `sort`, `_source`, `fields` / `docvalue_fields`), as ES 8 answers it: each bucket's best
//! hits in the `hits` shape of a search. tantivy's own `top_hits` returns fast-field values only, not the
//! document, so it is computed after the aggregations: for each bucket holding a `top_hits` the search's
//! query is narrowed to the bucket (the conditions of the buckets above it, written as ES queries and built
//! by the store's query builder) and the hits are collected by the search's own top-hits collector
//! ([`crate::search::top_hits::SortCollector`]), fetched and `_source`-filtered as a search's are.
//! One extra pass per bucket holding a `top_hits`.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::doc::schema::{Fields, F_TS};
use crate::query::date_math::parse_date_math_in;
use crate::query::QueryBuilder;
use crate::search::aggs::error::AggError;
use crate::search::aggs::filter_buckets::missing_query;
use crate::search::aggs::time_histogram::duration_ms;
use crate::search::aggs::translate::agg_type;
use crate::search::aggs::{display, AggRequest};
use crate::search::fields::{hit_fields, is_timestamp, parse_field_specs};
use crate::search::sort::{parse_sort, SortKind, SortSpec};
use crate::search::source::{apply_source_filter, parse_source_filter, stored_source};
use crate::search::top_hits::{cmp_hits, Hit, SortCollector};

/// ES's default `index.max_inner_result_window`: the most `from + size` a `top_hits` may ask for.
const MAX_WINDOW: usize = 100;

/// One searched index, as the search ran it.
pub struct HitSource<'a> {
    pub name: &'a str,
    pub searcher: &'a Searcher,
    pub query: &'a dyn Query,
    pub fields: Fields,
}

fn sub_aggs(body: &Value) -> Option<&Map<String, Value>> {
    body.get("aggs")
        .or_else(|| body.get("aggregations"))
        .and_then(Value::as_object)
}

/// Whether any aggregation of `es`, at any depth, is a `top_hits`.
pub fn has_top_hits(es: &Map<String, Value>) -> bool {
    es.values()
        .any(|body| body.get("top_hits").is_some() || sub_aggs(body).is_some_and(has_top_hits))
}

/// Fills in the answers of every `top_hits` of `req` in the rendered aggregations `out`.
pub fn fill(req: &AggRequest, out: &mut Value, indices: &[HitSource<'_>]) -> Result<(), AggError> {
    if !has_top_hits(&req.es) {
        return Ok(());
    }
    walk(&req.es, out, &mut Vec::new(), indices, req.now_ms)
}

fn walk(
    es: &Map<String, Value>,
    out: &mut Value,
    conditions: &mut Vec<Value>,
    indices: &[HitSource<'_>],
    now_ms: i64,
) -> Result<(), AggError> {
    for (name, body) in es {
        let Some(b) = body.as_object() else {
            continue;
        };
        let (kind, params) = agg_type(name, b)?;
        if kind == "top_hits" {
            let mut res = top_hits(name, &params, conditions, indices, now_ms)?;
            if let Some(meta) = b.get("meta") {
                res["meta"] = meta.clone();
            }
            out[name.as_str()] = res;
            continue;
        }
        let Some(sub) = sub_aggs(body).filter(|s| has_top_hits(s)) else {
            continue;
        };
        let Some(res) = out.get_mut(name.as_str()) else {
            continue;
        };
        match res.get_mut("buckets") {
            // Multi-bucket aggregations: the condition of each bucket.
            Some(Value::Array(buckets)) => {
                for (i, bucket) in buckets.iter_mut().enumerate() {
                    let cond = bucket_condition(&kind, &params, bucket, Some(i), None);
                    descend(sub, bucket, conditions, cond, indices, now_ms)?;
                }
            }
            Some(Value::Object(buckets)) => {
                for (key, bucket) in buckets.iter_mut() {
                    let cond = bucket_condition(&kind, &params, bucket, None, Some(key));
                    descend(sub, bucket, conditions, cond, indices, now_ms)?;
                }
            }
            // `filter` and `missing`: one bucket, the aggregation itself.
            _ => {
                let cond = match kind.as_str() {
                    "filter" => Some(params.clone()),
                    "missing" => params
                        .get("field")
                        .and_then(Value::as_str)
                        .map(missing_query),
                    _ => None,
                };
                descend(sub, res, conditions, cond, indices, now_ms)?;
            }
        }
    }
    Ok(())
}

fn descend(
    sub: &Map<String, Value>,
    bucket: &mut Value,
    conditions: &mut Vec<Value>,
    cond: Option<Value>,
    indices: &[HitSource<'_>],
    now_ms: i64,
) -> Result<(), AggError> {
    // A bucket whose condition cannot be written as a query gets no hits rather than wrong ones.
    let cond = cond.unwrap_or_else(|| json!({"bool": {"must_not": [{"match_all": {}}]}}));
    conditions.push(cond);
    let r = walk(sub, bucket, conditions, indices, now_ms);
    conditions.pop();
    r
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

/// Runs one `top_hits` over the documents of the search matching every condition.
fn top_hits(
    name: &str,
    params: &Value,
    conditions: &[Value],
    indices: &[HitSource<'_>],
    now_ms: i64,
) -> Result<Value, AggError> {
    let size = usize_param(params, "size", 3)?;
    let from = usize_param(params, "from", 0)?;
    if from.saturating_add(size) > MAX_WINDOW {
        return Err(AggError::TopHitsWindow {
            name: name.to_string(),
            window: from.saturating_add(size),
        });
    }
    let sort = parse_sort(params.get("sort")).map_err(AggError::Request)?;
    let sorted_by_field = sort
        .as_ref()
        .is_some_and(|s| s.iter().any(|s| !matches!(s.kind, SortKind::Score)));
    let specs = Arc::new(sort.unwrap_or_else(|| vec![SortSpec::by_score()]));
    let source = parse_source_filter(params.get("_source"));
    // Kibana's "last value" asks for `fields` with `_source: false`.
    let mut field_specs = parse_field_specs(params.get("docvalue_fields"), "docvalue_fields")?;
    field_specs.extend(parse_field_specs(params.get("fields"), "fields")?);
    let narrowing = json!({"bool": {"filter": conditions}});
    let mut total = 0u64;
    let mut hits: Vec<Hit> = Vec::new();
    for (ord, ix) in indices.iter().enumerate() {
        let query: Box<dyn Query> = if conditions.is_empty() {
            ix.query.box_clone()
        } else {
            let narrow = QueryBuilder::new(ix.searcher.index(), ix.fields, now_ms)
                .build(Some(&narrowing))?;
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, ix.query.box_clone()),
                (Occur::Must, Box::new(ConstScoreQuery::new(narrow, 0.0))),
            ]))
        };
        let top = SortCollector {
            specs: specs.clone(),
            k: from + size,
            after: None,
            index_ord: ord as u32,
        };
        let (count, found) = ix
            .searcher
            .search(&*query, &(Count, top))
            .map_err(AggError::Execution)?;
        total += count as u64;
        hits.extend(found);
    }
    hits.sort_by(|a, b| cmp_hits(&specs, a, b));
    let mut max_score: Option<f32> = None;
    let mut out = Vec::new();
    for hit in hits.into_iter().skip(from).take(size) {
        let Some(ix) = indices.get(hit.index_ord as usize) else {
            continue;
        };
        let doc: TantivyDocument = ix
            .searcher
            .doc(DocAddress::new(hit.seg, hit.doc))
            .map_err(AggError::Execution)?;
        let id = doc
            .get_first(ix.fields.id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let mut o = Map::new();
        o.insert("_index".into(), json!(ix.name));
        o.insert("_id".into(), json!(id));
        if sorted_by_field {
            o.insert("_score".into(), Value::Null);
        } else {
            max_score = Some(max_score.map_or(hit.score, |m: f32| m.max(hit.score)));
            o.insert("_score".into(), json!(hit.score));
        }
        let stored = stored_source(&doc, &ix.fields);
        if let Some(fields) = hit_fields(&field_specs, &stored, &is_timestamp) {
            o.insert("fields".into(), fields);
        }
        if let Some(src) = apply_source_filter(&source, stored) {
            o.insert("_source".into(), src);
        }
        if sorted_by_field {
            o.insert(
                "sort".into(),
                Value::Array(
                    hit.vals
                        .iter()
                        .zip(specs.iter())
                        .map(|(v, spec)| spec.shown(v))
                        .collect(),
                ),
            );
        }
        out.push(Value::Object(o));
    }
    Ok(json!({"hits": {
        "total": {"value": total, "relation": "eq"},
        "max_score": max_score,
        "hits": out,
    }}))
}

fn usize_param(params: &Value, key: &str, default: usize) -> Result<usize, AggError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(|n| n as usize)
            .ok_or_else(|| AggError::ParamType {
                param: key.to_string(),
                requirement: "a non-negative integer",
            }),
    }
}
