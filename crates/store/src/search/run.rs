//! Running a search: the target indices resolved (and refreshed if search idle), one pass per index
//! counting, collecting the top hits ([`crate::search::top_hits`]) and the aggregations, the pages merged
//! and cut, then the page's documents fetched, `_source`-filtered and highlighted into ES's response.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Map, Value};
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::breaker::RequestBreaker;
use crate::doc::date::now_millis;
use crate::doc::schema::{F_MSG, F_TS};
use crate::index::versions::{VersionColumns, PRIMARY_TERM};
use crate::index::{IndexError, IndexHandle, IndexSet};
use crate::query::date_attr::DatePaths;
use crate::query::{QueryBuilder, QueryError};
use crate::search::aggs::nested_filters::fill as fill_nested_filters;
use crate::search::aggs::top_hits::{fill as fill_top_hits, HitSource};
use crate::search::aggs::{finish_aggs, AggRequest};
use crate::search::block_collector::CountTopAggs;
use crate::search::error::SearchError;
use crate::search::fields::{hit_fields, is_timestamp};
use crate::search::highlight::highlight_text;
use crate::search::request::SearchRequest;
use crate::search::sort::{parse_after, SortSpec};
use crate::search::source::{apply_source_filter, stored_source, stored_source_len};
use crate::search::top_hits::{cmp_hits, Hit, SortCollector};

/// Resolves the target indices of a search (`None` = all); missing concrete names are errors. Each is
/// recorded as searched, and refreshed first if it was search idle (unless the disk is full: then the
/// search reads what is committed).
fn targets(set: &IndexSet, expr: Option<&str>) -> Result<Vec<Arc<IndexHandle>>, IndexError> {
    let handles = match expr {
        None => set.all(),
        Some(e) => set.resolve(e)?,
    };
    for h in &handles {
        match h.prepare_search(set.search_idle_after()) {
            Ok(()) => {}
            // On a full disk searches go on over what is committed, as ES's do at its flood stage.
            Err(err) if set.disk_block().block_if_full(&err) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(handles)
}

/// A `q=` query with its `df=` (`message` when `None`) and whether `default_operator` is `AND`.
#[derive(Clone, Copy, Debug, Default)]
pub struct UrlQuery<'a> {
    pub q: Option<&'a str>,
    pub df: Option<&'a str>,
    pub and: bool,
}

/// The query of a search of one index: the request's (or `q=`), narrowed to the documents one of the
/// `alias_filters` matches when the index was reached only through filtered aliases.
fn build_query<'a>(
    handle: &'a IndexHandle,
    req_query: Option<&Value>,
    url: UrlQuery<'_>,
    now: i64,
    dates: &'a DatePaths<'a>,
    alias_filters: Option<&Vec<Value>>,
) -> Result<Box<dyn Query>, QueryError> {
    let qb = QueryBuilder::new(&handle.index, handle.fields, now).with_dates(dates);
    let query = match url.q {
        Some(q) => qb.parse_lucene(q, &[url.df.unwrap_or(F_MSG).to_string()], url.and)?,
        None => qb.build(req_query)?,
    };
    let Some(filters) = alias_filters.filter(|f| !f.is_empty()) else {
        return Ok(query);
    };
    // A filter, as ES applies it: it narrows without scoring.
    let filter = qb.build(Some(&json!({"bool": {"should": filters}})))?;
    Ok(Box::new(BooleanQuery::new(vec![
        (Occur::Must, query),
        (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))),
    ])))
}

fn shards(n: usize) -> Value {
    json!({"total": n, "successful": n, "skipped": 0, "failed": 0})
}

/// The smallest and largest `@timestamp` (millis) in the given indices, from the column statistics of each
/// segment (no document is read); `None` when they hold none.
fn timestamp_span(handles: &[Arc<IndexHandle>]) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for h in handles {
        for seg in h.searcher().segment_readers() {
            if seg.num_docs() == 0 {
                continue;
            }
            let Ok(column) = seg.fast_fields().date(F_TS) else {
                continue;
            };
            if column.values.num_vals() == 0 {
                continue;
            }
            let lo = column.min_value().into_timestamp_millis();
            let hi = column.max_value().into_timestamp_millis();
            span = Some(match span {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
    }
    span
}

/// Runs `req` over the indices `expr` resolves to (`None`: all); returns the ES `_search` response.
pub fn search(
    set: &IndexSet,
    expr: Option<&str>,
    req: &SearchRequest<'_>,
) -> Result<Value, SearchError> {
    let start = Instant::now();
    let handles = targets(set, expr)?;
    let alias_filters = expr.map(|e| set.alias_filters(e)).unwrap_or_default();
    let now = now_millis();
    let aggs = match req.aggs {
        Some(a) => Some(AggRequest::parse(a, now, &mut || timestamp_span(&handles))?),
        None => None,
    };
    let sorted_by_field = req.sort.is_some();
    let specs = Arc::new(
        req.sort
            .clone()
            .unwrap_or_else(|| vec![SortSpec::by_score()]),
    );
    // Which fields are dates depends on each index's mapping, read only when a range, a sort key or a
    // `fields` entry names a field other than `@timestamp` (Grafana's and Kibana's searches name none).
    let mut date_fields: Vec<DatePaths<'_>> = Vec::with_capacity(handles.len());
    let mut index_specs: Vec<Arc<Vec<SortSpec>>> = Vec::with_capacity(handles.len());
    let k = req.from + req.size;
    let mut total: u64 = 0;
    let mut hits: Vec<Hit> = Vec::new();
    let mut searchers: Vec<Searcher> = Vec::with_capacity(handles.len());
    let mut queries: Vec<Box<dyn Query>> = Vec::with_capacity(handles.len());
    let mut agg_parts = Vec::new();
    for (ord, h) in handles.iter().enumerate() {
        let searcher = h.searcher();
        let url = UrlQuery {
            q: req.q.as_deref(),
            df: req.df.as_deref(),
            and: req.default_and,
        };
        let dates = DatePaths::lazy(move || set.date_paths(h));
        let query = build_query(h, req.query, url, now, &dates, alias_filters.get(&h.name))?;
        let specs_here = Arc::new(SortSpec::for_dates(&specs, |p| dates.contains(p)));
        let after = match req.search_after {
            Some(a) => Some(Arc::new(parse_after(a, &specs_here)?)),
            None => None,
        };
        let top = (k > 0).then(|| SortCollector {
            specs: specs_here.clone(),
            k,
            after,
            index_ord: ord as u32,
        });
        let agg = aggs
            .as_ref()
            .map(|a| a.collector(&searcher, h.fields, &dates))
            .transpose()?;
        date_fields.push(dates);
        index_specs.push(specs_here);
        let (count, top_hits, agg_res) = searcher
            .search(&*query, &CountTopAggs { top, aggs: agg })
            .map_err(SearchError::Collect)?;
        total += count as u64;
        hits.extend(top_hits.unwrap_or_default());
        if let Some(a) = agg_res {
            agg_parts.push(a);
        }
        searchers.push(searcher);
        queries.push(query);
    }
    hits.sort_by(|a, b| cmp_hits(&specs, a, b));
    let page: Vec<Hit> = hits.into_iter().skip(req.from).take(req.size).collect();

    // Terms of `message` in each index's query, for highlighting.
    let hl_terms: Vec<HashSet<String>> = queries
        .iter()
        .zip(&handles)
        .map(|(q, h)| {
            let mut set = HashSet::new();
            if req.highlight.is_some() {
                q.query_terms(&mut |t, _| {
                    if t.field() == h.fields.message {
                        if let Some(s) = t.value().as_str() {
                            set.insert(s.to_string());
                        }
                    }
                });
            }
            set
        })
        .collect();

    let mut max_score: Option<f32> = None;
    let mut breaker = RequestBreaker::new("<search_hits>", set.settings().request_breaker_bytes);
    let mut out_hits = Vec::with_capacity(page.len());
    for hit in &page {
        let ord = hit.index_ord as usize;
        let (Some(h), Some(searcher)) = (handles.get(ord), searchers.get(ord)) else {
            continue;
        };
        let doc: TantivyDocument = searcher.doc(DocAddress::new(hit.seg, hit.doc))?;
        let id = doc
            .get_first(h.fields.id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        breaker.add(stored_source_len(&doc, &h.fields))?;
        let source = stored_source(&doc, &h.fields);
        let mut o = Map::new();
        o.insert("_index".into(), json!(h.name));
        if !req.no_metadata {
            o.insert("_id".into(), json!(id));
        }
        if req.version || req.seq_no_primary_term {
            let v = VersionColumns::of(searcher.segment_reader(hit.seg), &h.fields).get(hit.doc);
            if req.version {
                o.insert("_version".into(), json!(v.version));
            }
            if req.seq_no_primary_term {
                o.insert("_seq_no".into(), json!(v.seq_no));
                o.insert("_primary_term".into(), json!(PRIMARY_TERM));
            }
        }
        if sorted_by_field {
            o.insert("_score".into(), Value::Null);
        } else {
            max_score = Some(max_score.map_or(hit.score, |m: f32| m.max(hit.score)));
            o.insert("_score".into(), json!(hit.score));
        }
        if let (Some(hl), Some(msg)) = (
            &req.highlight,
            source.get("message").and_then(Value::as_str),
        ) {
            if let Some(frags) = highlight_text(h, &hl_terms[ord], msg, hl)? {
                o.insert("highlight".into(), json!({ "message": frags }));
            }
        }
        let is_date = |path: &str| is_timestamp(path) || date_fields[ord].contains(path);
        if let Some(fields) = hit_fields(&req.fields, &source, &is_date) {
            o.insert("fields".into(), fields);
        }
        if let Some(src) = apply_source_filter(&req.source, source) {
            o.insert("_source".into(), src);
        }
        if sorted_by_field {
            o.insert(
                "sort".into(),
                Value::Array(
                    hit.vals
                        .iter()
                        .zip(index_specs[ord].iter())
                        .map(|(v, spec)| spec.shown(v))
                        .collect(),
                ),
            );
        }
        out_hits.push(Value::Object(o));
    }

    let mut hits_obj = Map::new();
    if req.total_as_int {
        // ES writes -1 when the total is not tracked.
        let total = req.track_total.map_or(json!(-1), |_| json!(total));
        hits_obj.insert("total".into(), total);
    } else if let Some(cap) = req.track_total {
        let (value, relation) = if total > cap {
            (cap, "gte")
        } else {
            (total, "eq")
        };
        hits_obj.insert(
            "total".into(),
            json!({"value": value, "relation": relation}),
        );
    }
    hits_obj.insert(
        "max_score".into(),
        max_score.map_or(Value::Null, |s| json!(s)),
    );
    hits_obj.insert("hits".into(), Value::Array(out_hits));

    let mut resp = json!({
        "took": start.elapsed().as_millis() as u64,
        "timed_out": false,
        "_shards": shards(handles.len()),
        "hits": Value::Object(hits_obj),
    });
    if let Some(aggs) = &aggs {
        resp["aggregations"] = finish_aggs(aggs, agg_parts)?;
        let sources: Vec<HitSource<'_>> = handles
            .iter()
            .zip(&searchers)
            .zip(&queries)
            .zip(&date_fields)
            .map(|(((h, searcher), query), dates)| HitSource {
                name: &h.name,
                searcher,
                query: &**query,
                fields: h.fields,
                dates,
            })
            .collect();
        fill_nested_filters(aggs, &mut resp["aggregations"], &sources, &mut || {
            timestamp_span(&handles)
        })?;
        fill_top_hits(aggs, &mut resp["aggregations"], &sources)?;
    }
    if req.profile {
        resp["profile"] = profile(&handles);
    }
    Ok(resp)
}

/// ES's `profile` section: one shard per index, with no timings (the store does not measure them).
fn profile(handles: &[Arc<IndexHandle>]) -> Value {
    let shards: Vec<Value> = handles
        .iter()
        .map(|h| {
            json!({
                "id": format!("[logpipe][{}][0]", h.name),
                "node_id": "logpipe",
                "shard_id": 0,
                "index": h.name,
                "cluster": "(local)",
                "searches": [{"query": [], "rewrite_time": 0, "collector": []}],
                "aggregations": []
            })
        })
        .collect();
    json!({ "shards": shards })
}

/// Counts the documents `query` (or the Lucene query `q`, which takes precedence) matches in the indices
/// `expr` resolves to (`None`: all); returns the ES `_count` response.
pub fn count(
    set: &IndexSet,
    expr: Option<&str>,
    query: Option<&Value>,
    q: UrlQuery<'_>,
) -> Result<Value, SearchError> {
    let handles = targets(set, expr)?;
    let alias_filters = expr.map(|e| set.alias_filters(e)).unwrap_or_default();
    let now = now_millis();
    let mut total = 0u64;
    for h in &handles {
        let dates = DatePaths::lazy(|| set.date_paths(h));
        let q = build_query(h, query, q, now, &dates, alias_filters.get(&h.name))?;
        total += h.searcher().search(&*q, &Count)? as u64;
    }
    Ok(json!({"count": total, "_shards": shards(handles.len())}))
}
