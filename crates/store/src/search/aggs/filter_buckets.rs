//! The single-pass bucket aggregations tantivy lacks: `filters` (named or anonymous, with `other_bucket`),
//! `filter` and `missing`, answered as ES 8 answers them. Each bucket's query is built by the store's own
//! query builder ([`crate::query::QueryBuilder`]; `missing` is `bool.must_not.exists`); while the search
//! collects, every matching document is checked against each bucket's query (its scorer advanced to the
//! document, as documents come in order) and handed, with its `@timestamp`, to that bucket's
//! sub-aggregations — a whole [`AggRequest`] of their own, so any aggregation works under them, these
//! included.
//!
//! They are computed here at the top level and under each other; under a `terms` or histogram bucket they
//! are computed after the search ([`crate::search::aggs::nested_filters`]).

use serde_json::{json, Map, Value};
use tantivy::query::{EnableScoring, Scorer, Weight};
use tantivy::{DateTime, DocId, DocSet, Score, Searcher, SegmentReader};

use crate::doc::schema::Fields;
use crate::query::date_attr::DatePaths;
use crate::query::QueryBuilder;
use crate::search::aggs::error::AggError;
use crate::search::aggs::time_histogram::MAX_BUCKETS;
use crate::search::aggs::{
    finish_aggs, AggRequest, AggsCollector, AggsFruit, AggsSegment, SegmentFruit, TimestampSpan,
};
use crate::search::block_collector::StampedSegmentCollector;
use tantivy::collector::{Collector, SegmentCollector};

/// The aggregation types computed here.
pub const FILTER_AGGS: &[&str] = &["filters", "filter", "missing"];

/// The documents without a value in `field` (the `missing` aggregation's bucket).
pub fn missing_query(field: &str) -> Value {
    json!({"bool": {"must_not": [{"exists": {"field": field}}]}})
}

/// How the buckets are answered.
enum Shape {
    /// `filter` and `missing`: one bucket, `{"doc_count": n, ...}` in place of the aggregation.
    Single,
    /// Named filters, sorted by key as ES keeps them: an object by key, or (`keyed: false`) an array of
    /// buckets carrying `key`.
    Named {
        keys: Vec<String>,
        other_key: String,
        keyed: bool,
    },
    /// Anonymous filters: an array in request order, without keys.
    Anonymous,
}

/// A parsed `filters`, `filter` or `missing` aggregation.
pub struct FilterAgg {
    shape: Shape,
    /// The ES query of each bucket (the other bucket is not among them).
    queries: Vec<Value>,
    /// Whether there is a bucket of the documents no query matches (after the others).
    other: bool,
    /// The sub-aggregations of every bucket.
    sub: Option<AggRequest>,
}

fn filters_param(params: &Map<String, Value>) -> Result<(Shape, Vec<Value>, bool), AggError> {
    for k in params.keys() {
        if !matches!(
            k.as_str(),
            "filters" | "other_bucket" | "other_bucket_key" | "keyed"
        ) {
            return Err(AggError::UnknownParam {
                kind: "filters",
                param: k.clone(),
            });
        }
    }
    let other_key = match params.get("other_bucket_key") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => {
            return Err(AggError::ParamType {
                param: "other_bucket_key".to_string(),
                requirement: "a string",
            })
        }
    };
    // Naming the other bucket asks for it.
    let other = match params.get("other_bucket") {
        None => other_key.is_some(),
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(AggError::ParamType {
                param: "other_bucket".to_string(),
                requirement: "a boolean",
            })
        }
    };
    let keyed = match params.get("keyed") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(AggError::ParamType {
                param: "keyed".to_string(),
                requirement: "a boolean",
            })
        }
    };
    match params.get("filters") {
        Some(Value::Object(named)) => {
            let mut pairs: Vec<(&String, &Value)> = named.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            Ok((
                Shape::Named {
                    keys: pairs.iter().map(|(k, _)| (*k).clone()).collect(),
                    other_key: other_key.unwrap_or_else(|| "_other_".to_string()),
                    keyed,
                },
                pairs.into_iter().map(|(_, q)| q.clone()).collect(),
                other,
            ))
        }
        Some(Value::Array(anonymous)) => Ok((Shape::Anonymous, anonymous.clone(), other)),
        _ => Err(AggError::ParamType {
            param: "filters".to_string(),
            requirement: "an object of named queries or an array of queries",
        }),
    }
}

impl FilterAgg {
    /// Parses aggregation `name` of type `kind` (one of [`FILTER_AGGS`]) with its `params` and sub-aggregations.
    pub fn parse(
        name: &str,
        kind: &str,
        params: &Value,
        sub: Option<&Value>,
        now_ms: i64,
        span: TimestampSpan,
    ) -> Result<FilterAgg, AggError> {
        let not_object = || AggError::ParamsNotAnObject {
            kind: kind.to_string(),
            name: name.to_string(),
        };
        let p = params.as_object().ok_or_else(not_object)?;
        let (shape, queries, other) = match kind {
            "filters" => {
                let (shape, queries, other) = filters_param(p)?;
                if queries.is_empty() {
                    return Err(AggError::EmptyFilters);
                }
                (shape, queries, other)
            }
            "filter" => (Shape::Single, vec![params.clone()], false),
            _ => {
                let field =
                    p.get("field")
                        .and_then(Value::as_str)
                        .ok_or_else(|| AggError::ParamType {
                            param: "field".to_string(),
                            requirement: "a field name",
                        })?;
                (Shape::Single, vec![missing_query(field)], false)
            }
        };
        let sub = match sub {
            Some(s) => Some(AggRequest::parse(s, now_ms, span)?),
            None => None,
        };
        let agg = FilterAgg {
            shape,
            queries,
            other,
            sub,
        };
        // Every bucket collects its sub-aggregations on its own: nested filters multiply.
        if agg.collectors() > MAX_BUCKETS {
            return Err(AggError::TooManyBuckets { max: MAX_BUCKETS });
        }
        Ok(agg)
    }

    /// The buckets collected for this aggregation, its sub-aggregations' included.
    pub(super) fn collectors(&self) -> u64 {
        let per_bucket = self.sub.as_ref().map_or(0, AggRequest::filter_collectors);
        (self.buckets() as u64).saturating_mul(per_bucket.saturating_add(1))
    }

    fn buckets(&self) -> usize {
        self.queries.len() + usize::from(self.other)
    }

    /// A collector over one index: each bucket's query built against it (`range` on the paths it maps as
    /// `dates` compares times).
    pub fn collector(
        &self,
        searcher: &Searcher,
        fields: Fields,
        dates: &DatePaths<'_>,
        now_ms: i64,
    ) -> Result<FilterCollector, AggError> {
        let mut weights = Vec::with_capacity(self.queries.len());
        for q in &self.queries {
            // A builder per query: ES's clause limit counts each filter on its own.
            let query = QueryBuilder::new(searcher.index(), fields, now_ms)
                .with_dates(dates)
                .build(Some(q))?;
            weights.push(
                query
                    .weight(EnableScoring::disabled_from_searcher(searcher))
                    .map_err(AggError::Execution)?,
            );
        }
        let subs = match &self.sub {
            Some(sub) => (0..self.buckets())
                .map(|_| sub.collector(searcher, fields, dates))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(FilterCollector {
            weights,
            other: self.other,
            subs,
        })
    }

    /// The ES answer from the per-index results.
    pub fn render(&self, parts: Vec<FilterFruit>) -> Result<Value, AggError> {
        let n = self.buckets();
        let mut counts = vec![0u64; n];
        let mut subs: Vec<Vec<AggsFruit>> = (0..n).map(|_| Vec::new()).collect();
        for part in parts {
            for (c, p) in counts.iter_mut().zip(part.counts) {
                *c += p;
            }
            for (s, p) in subs.iter_mut().zip(part.subs) {
                s.push(p);
            }
        }
        let mut buckets = Vec::with_capacity(n);
        for (count, sub_parts) in counts.into_iter().zip(subs) {
            let mut b = Map::new();
            b.insert("doc_count".into(), json!(count));
            if let Some(sub) = &self.sub {
                if let Value::Object(o) = finish_aggs(sub, sub_parts)? {
                    b.extend(o);
                }
            }
            buckets.push(b);
        }
        Ok(match &self.shape {
            Shape::Single => Value::Object(buckets.pop().unwrap_or_default()),
            Shape::Anonymous => json!({ "buckets": buckets }),
            Shape::Named {
                keys,
                other_key,
                keyed,
            } => {
                let keys = keys.iter().chain(self.other.then_some(other_key));
                if *keyed {
                    let o: Map<String, Value> = keys
                        .zip(buckets)
                        .map(|(k, b)| (k.clone(), Value::Object(b)))
                        .collect();
                    json!({ "buckets": o })
                } else {
                    let a: Vec<Value> = keys
                        .zip(buckets)
                        .map(|(k, b)| {
                            let mut o = Map::new();
                            o.insert("key".into(), json!(k));
                            o.extend(b);
                            Value::Object(o)
                        })
                        .collect();
                    json!({ "buckets": a })
                }
            }
        })
    }
}

/// Collects one index's buckets.
pub struct FilterCollector {
    weights: Vec<Box<dyn Weight>>,
    other: bool,
    /// One per bucket (the other one last) when there are sub-aggregations.
    subs: Vec<AggsCollector>,
}

/// One index's bucket counts and sub-aggregation results.
pub struct FilterFruit {
    counts: Vec<u64>,
    subs: Vec<AggsFruit>,
}

/// The per-segment side of [`FilterCollector`].
pub struct FilterSegment {
    scorers: Vec<Box<dyn Scorer>>,
    other: bool,
    counts: Vec<u64>,
    subs: Vec<AggsSegment>,
    /// Per bucket, the documents (and stamps) of the block being routed.
    docs: Vec<Vec<DocId>>,
    stamps: Vec<Vec<Option<DateTime>>>,
}

/// What one segment's buckets yield: counts and each bucket's sub-aggregation results.
pub struct FilterSegmentFruit {
    counts: Vec<u64>,
    subs: Vec<SegmentFruit>,
}

impl FilterCollector {
    pub(super) fn for_segment(
        &self,
        ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<FilterSegment> {
        let scorers = self
            .weights
            .iter()
            .map(|w| w.scorer(reader, 1.0))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let n = scorers.len() + usize::from(self.other);
        let subs = self
            .subs
            .iter()
            .map(|s| s.for_segment(ord, reader))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(FilterSegment {
            scorers,
            other: self.other,
            counts: vec![0; n],
            docs: vec![Vec::new(); if subs.is_empty() { 0 } else { n }],
            stamps: vec![Vec::new(); if subs.is_empty() { 0 } else { n }],
            subs,
        })
    }

    pub(super) fn requires_scoring(&self) -> bool {
        self.subs.iter().any(Collector::requires_scoring)
    }

    pub(super) fn merge_fruits(
        &self,
        fruits: Vec<FilterSegmentFruit>,
    ) -> tantivy::Result<FilterFruit> {
        let n = self.weights.len() + usize::from(self.other);
        let mut counts = vec![0u64; n];
        let mut per_bucket: Vec<Vec<_>> = (0..self.subs.len()).map(|_| Vec::new()).collect();
        for FilterSegmentFruit { counts: c, subs } in fruits {
            for (into, c) in counts.iter_mut().zip(c) {
                *into += c;
            }
            for (into, s) in per_bucket.iter_mut().zip(subs) {
                into.push(s);
            }
        }
        let subs = self
            .subs
            .iter()
            .zip(per_bucket)
            .map(|(c, f)| c.merge_fruits(f))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(FilterFruit { counts, subs })
    }
}

impl FilterSegment {
    /// The buckets `doc` falls in, as a callback per bucket position.
    fn route(&mut self, doc: DocId, mut hit: impl FnMut(usize)) {
        let mut any = false;
        for (i, s) in self.scorers.iter_mut().enumerate() {
            if s.doc() < doc {
                s.seek(doc);
            }
            if s.doc() == doc {
                any = true;
                hit(i);
            }
        }
        if self.other && !any {
            hit(self.scorers.len());
        }
    }

    pub(super) fn wants_stamps(&self) -> bool {
        self.subs.iter().any(StampedSegmentCollector::wants_stamps)
    }

    pub(super) fn collect(&mut self, doc: DocId, score: Score) {
        let mut hits = Vec::new();
        self.route(doc, |i| hits.push(i));
        for i in hits {
            self.counts[i] += 1;
            if let Some(s) = self.subs.get_mut(i) {
                s.collect(doc, score);
            }
        }
    }

    /// Routes a block; `stamps`, when given, are its documents' `@timestamp`s.
    pub(super) fn collect_block(&mut self, docs: &[DocId], stamps: Option<&[Option<DateTime>]>) {
        let mut counts = std::mem::take(&mut self.counts);
        let (mut bucket_docs, mut bucket_stamps) = (
            std::mem::take(&mut self.docs),
            std::mem::take(&mut self.stamps),
        );
        let with_subs = !self.subs.is_empty();
        for (j, &doc) in docs.iter().enumerate() {
            self.route(doc, |i| {
                counts[i] += 1;
                if with_subs {
                    bucket_docs[i].push(doc);
                    if let Some(st) = stamps {
                        bucket_stamps[i].push(st.get(j).copied().flatten());
                    }
                }
            });
        }
        for (i, sub) in self.subs.iter_mut().enumerate() {
            if bucket_docs[i].is_empty() {
                continue;
            }
            match stamps {
                Some(_) if sub.wants_stamps() => {
                    sub.collect_stamped(&bucket_docs[i], &bucket_stamps[i])
                }
                _ => sub.collect_block(&bucket_docs[i]),
            }
            bucket_docs[i].clear();
            bucket_stamps[i].clear();
        }
        self.counts = counts;
        self.docs = bucket_docs;
        self.stamps = bucket_stamps;
    }

    pub(super) fn harvest(self) -> FilterSegmentFruit {
        FilterSegmentFruit {
            counts: self.counts,
            subs: self
                .subs
                .into_iter()
                .map(SegmentCollector::harvest)
                .collect(),
        }
    }
}
