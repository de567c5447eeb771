//! `filters`, `filter` and `missing` under a bucket tantivy computes (`terms`, `histogram`,
//! `date_histogram`, `range`, `date_range`), as ES 8 answers them. tantivy has no such aggregation, and
//! the single-pass ones of [`crate::search::aggs::filter_buckets`] run only at the top level and under each
//! other, so these are computed after the aggregations, as `top_hits` are: for each bucket of the
//! aggregation above them, the search's query narrowed to the bucket (the conditions of the buckets above,
//! written as ES queries by [`crate::search::aggs::bucket_condition`]) is run once more with the filter
//! aggregation (and its own sub-aggregations) as a request of its own, and its answer is put in the bucket.
//! One extra pass per such bucket, against ES's bucket limit in all.

use serde_json::{json, Map, Value};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};

use crate::query::QueryBuilder;
use crate::search::aggs::bucket_condition::{for_each_bucket, sub_aggs};
use crate::search::aggs::error::AggError;
use crate::search::aggs::filter_buckets::FILTER_AGGS;
use crate::search::aggs::time_histogram::MAX_BUCKETS;
use crate::search::aggs::top_hits::HitSource;
use crate::search::aggs::translate::agg_type;
use crate::search::aggs::{finish_aggs, AggRequest, TimestampSpan};

/// Whether an aggregation of `es` (at any depth) is a filter aggregation computed here: one whose parent
/// is a bucket aggregation tantivy computes. `under_bucket`: `es` are the sub-aggregations of such a one.
pub fn has_nested_filters(es: &Map<String, Value>, under_bucket: bool) -> bool {
    es.iter().any(|(name, body)| {
        let filter = is_filter(name, body);
        (filter && under_bucket) || sub_aggs(body).is_some_and(|s| has_nested_filters(s, !filter))
    })
}

fn is_filter(name: &str, body: &Value) -> bool {
    body.as_object()
        .and_then(|b| agg_type(name, b).ok())
        .is_some_and(|(kind, _)| FILTER_AGGS.contains(&kind.as_str()))
}

/// What every pass shares.
struct Passes<'a, 'b> {
    indices: &'a [HitSource<'a>],
    now_ms: i64,
    span: TimestampSpan<'b>,
    /// Buckets made so far, against ES's limit.
    buckets: u64,
}

/// Fills in the answers of the filter aggregations of `req` under tantivy's buckets in the rendered
/// aggregations `out`, over the searched `indices`.
pub fn fill(
    req: &AggRequest,
    out: &mut Value,
    indices: &[HitSource<'_>],
    span: TimestampSpan,
) -> Result<(), AggError> {
    if !has_nested_filters(&req.es, false) {
        return Ok(());
    }
    let mut passes = Passes {
        indices,
        now_ms: req.now_ms,
        span,
        buckets: 0,
    };
    passes.walk(&req.es, out, &mut Vec::new(), false)
}

impl Passes<'_, '_> {
    fn walk(
        &mut self,
        es: &Map<String, Value>,
        out: &mut Value,
        conditions: &mut Vec<Value>,
        under_bucket: bool,
    ) -> Result<(), AggError> {
        for (name, body) in es {
            let Some(b) = body.as_object() else {
                continue;
            };
            let (kind, params) = agg_type(name, b)?;
            let filter = FILTER_AGGS.contains(&kind.as_str());
            if filter && under_bucket {
                let mut res = self.run(name, body, conditions)?;
                if let Some(meta) = b.get("meta") {
                    res["meta"] = meta.clone();
                }
                out[name.as_str()] = res;
            }
            let Some(sub) = sub_aggs(body).filter(|s| has_nested_filters(s, !filter)) else {
                continue;
            };
            let Some(res) = out.get_mut(name.as_str()) else {
                continue;
            };
            for_each_bucket(&kind, &params, res, |bucket, cond| {
                // A bucket whose documents cannot be written as a query: nothing rather than wrong counts.
                let cond = cond.unwrap_or_else(|| json!({"match_none": {}}));
                conditions.push(cond);
                let r = self.walk(sub, bucket, conditions, !filter);
                conditions.pop();
                r
            })?;
        }
        Ok(())
    }

    /// The answer of filter aggregation `name` (`body`) over the documents of the search matching every
    /// condition.
    fn run(&mut self, name: &str, body: &Value, conditions: &[Value]) -> Result<Value, AggError> {
        let mut request = Map::new();
        request.insert(name.to_string(), body.clone());
        let req = AggRequest::parse(&Value::Object(request), self.now_ms, self.span)?;
        self.buckets = self.buckets.saturating_add(req.filter_collectors());
        if self.buckets > MAX_BUCKETS {
            return Err(AggError::TooManyBuckets { max: MAX_BUCKETS });
        }
        let narrowing = json!({"bool": {"filter": conditions}});
        let mut parts = Vec::with_capacity(self.indices.len());
        for ix in self.indices {
            let narrow = QueryBuilder::new(ix.searcher.index(), ix.fields, self.now_ms)
                .with_dates(ix.dates)
                .build(Some(&narrowing))?;
            let query: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                (Occur::Must, ix.query.box_clone()),
                (Occur::Must, Box::new(ConstScoreQuery::new(narrow, 0.0))),
            ]));
            let collector = req.collector(ix.searcher, ix.fields, ix.dates)?;
            parts.push(
                ix.searcher
                    .search(&*query, &collector)
                    .map_err(AggError::Execution)?,
            );
        }
        let mut answer = finish_aggs(&req, parts)?;
        Ok(answer
            .get_mut(name)
            .map(Value::take)
            .unwrap_or_else(|| json!({})))
    }
}
