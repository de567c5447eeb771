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

use crate::doc::schema::Fields;
use crate::query::date_attr::DatePaths;
use crate::query::QueryBuilder;
use crate::search::aggs::bucket_condition::{for_each_bucket, sub_aggs};
use crate::search::aggs::error::AggError;
use crate::search::aggs::translate::agg_type;
use crate::search::aggs::AggRequest;
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
    /// The paths the index maps as dates (besides `@timestamp`): sorted and shown as times.
    pub dates: &'a DatePaths<'a>,
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
        for_each_bucket(&kind, &params, res, |bucket, cond| {
            descend(sub, bucket, conditions, cond, indices, now_ms)
        })?;
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
    let mut index_specs: Vec<Arc<Vec<SortSpec>>> = Vec::with_capacity(indices.len());
    for (ord, ix) in indices.iter().enumerate() {
        let query: Box<dyn Query> = if conditions.is_empty() {
            ix.query.box_clone()
        } else {
            let narrow = QueryBuilder::new(ix.searcher.index(), ix.fields, now_ms)
                .with_dates(ix.dates)
                .build(Some(&narrowing))?;
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, ix.query.box_clone()),
                (Occur::Must, Box::new(ConstScoreQuery::new(narrow, 0.0))),
            ]))
        };
        // Keys on the index's date fields sort by time, as a search's do.
        let specs_here = Arc::new(SortSpec::for_dates(&specs, |p| ix.dates.contains(p)));
        let top = SortCollector {
            specs: specs_here.clone(),
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
        index_specs.push(specs_here);
    }
    hits.sort_by(|a, b| cmp_hits(&specs, a, b));
    let mut max_score: Option<f32> = None;
    let mut out = Vec::new();
    for hit in hits.into_iter().skip(from).take(size) {
        let (Some(ix), Some(specs_here)) = (
            indices.get(hit.index_ord as usize),
            index_specs.get(hit.index_ord as usize),
        ) else {
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
        let is_date = |path: &str| is_timestamp(path) || ix.dates.contains(path);
        if let Some(fields) = hit_fields(&field_specs, &stored, &is_date) {
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
                        .zip(specs_here.iter())
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
