//! Aggregations: an ES `aggs` request parsed ([`AggRequest::parse`], translated to tantivy's dialect by
//! [`translate`]), collected per index ([`AggsCollector`], with top-level fixed-interval `@timestamp`
//! histograms computed by [`time_histogram`] instead of tantivy), merged across indices and rendered in
//! ES's shape ([`results`]). Month, quarter and year buckets are [`calendar_interval`]'s; what can go
//! wrong is an [`AggError`].

pub mod bucket_condition;
pub mod calendar_interval;
pub mod date_range;
pub mod error;
pub mod filter_buckets;
pub mod nested_filters;
pub mod results;
pub mod time_histogram;
pub mod top_hits;
pub mod translate;

pub use error::AggError;
pub use results::finish_aggs;

use serde_json::{Map, Value};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::aggregation::{AggregationLimitsGuard, DistributedAggregationCollector};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DateTime, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::doc::date::DateZone;
use crate::doc::schema::Fields;
use crate::query::date_attr::DatePaths;
use crate::search::block_collector::StampedSegmentCollector;

use crate::search::aggs::filter_buckets::{
    FilterAgg, FilterCollector, FilterFruit, FilterSegment, FILTER_AGGS,
};
use crate::search::aggs::time_histogram::{Counts, TimeHistogram, TimeHistogramSegment};
use crate::search::aggs::translate::{agg_type, translate_all};

/// The smallest and largest `@timestamp` (millis) of the searched indices, computed only when a month-based
/// calendar histogram needs it; `None` when they hold no document.
pub type TimestampSpan<'a> = &'a mut dyn FnMut() -> Option<(i64, i64)>;

pub(super) const BUCKET_AGGS: &[&str] = &[
    "date_histogram",
    "histogram",
    "terms",
    "range",
    "date_range",
];
pub(super) const METRIC_AGGS: &[&str] = &[
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
    /// What tantivy computes; `None` when the histograms below are all there is.
    tantivy: Option<Aggregations>,
    /// Top-level `@timestamp` histograms computed by [`TimeHistogram`], by name.
    histograms: Vec<(String, TimeHistogram)>,
    /// Top-level `filters`, `filter` and `missing` aggregations, by name.
    filters: Vec<(String, FilterAgg)>,
    /// The `now` date math was evaluated at.
    now_ms: i64,
}

/// How a date histogram's keys are written (`key_as_string`): its `time_zone` (UTC when absent or not a
/// zone, which translation has refused already) and `format`.
pub(super) fn display(params: Option<&Value>) -> (DateZone, Option<String>) {
    let zone = params
        .and_then(|p| p.get("time_zone"))
        .and_then(Value::as_str)
        .and_then(DateZone::parse)
        .unwrap_or(DateZone::UTC);
    let format = params
        .and_then(|p| p.get("format"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (zone, format)
}

/// The buckets `filters` collect, nested ones included.
fn filter_collectors(filters: &[(String, FilterAgg)]) -> u64 {
    filters
        .iter()
        .fold(0u64, |n, (_, f)| n.saturating_add(f.collectors()))
}

pub(super) fn limits() -> AggregationLimitsGuard {
    AggregationLimitsGuard::new(Some(512 * 1024 * 1024), Some(65_000))
}

impl AggRequest {
    /// Parses and translates an ES `aggs` object.
    pub fn parse(v: &Value, now_ms: i64, span: TimestampSpan) -> Result<AggRequest, AggError> {
        let es = v.as_object().ok_or(AggError::NotAnObject)?.clone();
        let mut filters = Vec::new();
        let mut rest = Map::new();
        for (name, body) in &es {
            if let Some(b) = body.as_object() {
                let (kind, params) = agg_type(name, b)?;
                if FILTER_AGGS.contains(&kind.as_str()) {
                    let sub = b.get("aggs").or_else(|| b.get("aggregations"));
                    let f = FilterAgg::parse(name, &kind, &params, sub, now_ms, span)?;
                    filters.push((name.clone(), f));
                    continue;
                }
            }
            rest.insert(name.clone(), body.clone());
        }
        if filter_collectors(&filters) > time_histogram::MAX_BUCKETS {
            return Err(AggError::TooManyBuckets {
                max: time_histogram::MAX_BUCKETS,
            });
        }
        let mut translated = translate_all(&rest, now_ms, span)?;
        let mut histograms = Vec::new();
        translated.retain(|name, t| {
            let fast = t
                .as_object()
                .filter(|t| t.len() == 1)
                .and_then(|t| t.get("date_histogram"))
                .and_then(Value::as_object)
                .and_then(TimeHistogram::from_params);
            match fast {
                Some(mut h) => {
                    let es_params = es.get(name).and_then(|b| b.get("date_histogram"));
                    let (zone, format) = display(es_params);
                    h.zone = zone;
                    h.format = format;
                    histograms.push((name.clone(), h));
                    false
                }
                None => true,
            }
        });
        let tantivy = if translated.is_empty() {
            None
        } else {
            Some(
                serde_json::from_value::<Aggregations>(Value::Object(translated))
                    .map_err(AggError::Invalid)?,
            )
        };
        Ok(AggRequest {
            es,
            tantivy,
            histograms,
            filters,
            now_ms,
        })
    }

    /// The filter buckets collected by this request, nested ones included.
    pub(super) fn filter_collectors(&self) -> u64 {
        filter_collectors(&self.filters)
    }

    /// A collector over the index `searcher` reads (with its `fields` and the paths it maps as `dates`)
    /// producing mergeable intermediate results; fails when a bucket's query does not build against it.
    pub fn collector(
        &self,
        searcher: &Searcher,
        fields: Fields,
        dates: &DatePaths<'_>,
    ) -> Result<AggsCollector, AggError> {
        Ok(AggsCollector {
            tantivy: self
                .tantivy
                .as_ref()
                .map(|a| DistributedAggregationCollector::from_aggs(a.clone(), limits())),
            histograms: self.histograms.iter().map(|(_, h)| h.clone()).collect(),
            filters: self
                .filters
                .iter()
                .map(|(_, f)| f.collector(searcher, fields, dates, self.now_ms))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Collects one index's aggregations: tantivy's and the `@timestamp` histograms, from the same blocks.
pub struct AggsCollector {
    tantivy: Option<DistributedAggregationCollector>,
    histograms: Vec<TimeHistogram>,
    filters: Vec<FilterCollector>,
}

/// One index's aggregation results, merged across indices by [`finish_aggs`].
pub struct AggsFruit {
    tantivy: Option<IntermediateAggregationResults>,
    histograms: Vec<Counts>,
    filters: Vec<FilterFruit>,
}

/// The per-segment side of [`AggsCollector`].
pub struct AggsSegment {
    tantivy: Option<<DistributedAggregationCollector as Collector>::Child>,
    histograms: Vec<TimeHistogramSegment>,
    filters: Vec<FilterSegment>,
}

impl Collector for AggsCollector {
    type Fruit = AggsFruit;
    type Child = AggsSegment;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<AggsSegment> {
        Ok(AggsSegment {
            tantivy: self
                .tantivy
                .as_ref()
                .map(|c| c.for_segment(ord, reader))
                .transpose()?,
            histograms: self
                .histograms
                .iter()
                .map(|h| h.for_segment(ord, reader))
                .collect::<tantivy::Result<_>>()?,
            filters: self
                .filters
                .iter()
                .map(|f| f.for_segment(ord, reader))
                .collect::<tantivy::Result<_>>()?,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.tantivy
            .as_ref()
            .is_some_and(Collector::requires_scoring)
            || self.filters.iter().any(FilterCollector::requires_scoring)
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<AggsSegment as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<AggsFruit> {
        let mut tantivy_parts = Vec::new();
        let mut histograms: Vec<Counts> = vec![Counts::new(); self.histograms.len()];
        let mut filter_parts: Vec<Vec<_>> = self.filters.iter().map(|_| Vec::new()).collect();
        for SegmentFruit {
            tantivy: t,
            histograms: hs,
            filters: fs,
        } in fruits
        {
            tantivy_parts.extend(t);
            for (into, h) in histograms.iter_mut().zip(hs) {
                TimeHistogram::merge(into, h);
            }
            for (into, f) in filter_parts.iter_mut().zip(fs) {
                into.push(f);
            }
        }
        let filters = self
            .filters
            .iter()
            .zip(filter_parts)
            .map(|(c, parts)| c.merge_fruits(parts))
            .collect::<tantivy::Result<_>>()?;
        Ok(AggsFruit {
            tantivy: match &self.tantivy {
                Some(c) => Some(c.merge_fruits(tantivy_parts)?),
                None => None,
            },
            histograms,
            filters,
        })
    }
}

impl StampedSegmentCollector for AggsSegment {
    fn wants_stamps(&self) -> bool {
        !self.histograms.is_empty() || self.filters.iter().any(FilterSegment::wants_stamps)
    }

    fn collect_stamped(&mut self, docs: &[DocId], stamps: &[Option<DateTime>]) {
        if let Some(t) = &mut self.tantivy {
            t.collect_block(docs);
        }
        for h in &mut self.histograms {
            h.collect_stamps(stamps);
        }
        for f in &mut self.filters {
            f.collect_block(docs, Some(stamps));
        }
    }
}

/// What one segment yields: tantivy's intermediate results, the histograms' counts and the filter buckets'.
pub struct SegmentFruit {
    tantivy:
        Option<<<DistributedAggregationCollector as Collector>::Child as SegmentCollector>::Fruit>,
    histograms: Vec<Counts>,
    filters: Vec<filter_buckets::FilterSegmentFruit>,
}

impl SegmentCollector for AggsSegment {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(t) = &mut self.tantivy {
            t.collect(doc, score);
        }
        for h in &mut self.histograms {
            h.collect(doc, score);
        }
        for f in &mut self.filters {
            f.collect(doc, score);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        if let Some(t) = &mut self.tantivy {
            t.collect_block(docs);
        }
        for h in &mut self.histograms {
            h.collect_block(docs);
        }
        for f in &mut self.filters {
            f.collect_block(docs, None);
        }
    }

    fn harvest(self) -> Self::Fruit {
        SegmentFruit {
            tantivy: self.tantivy.map(SegmentCollector::harvest),
            histograms: self
                .histograms
                .into_iter()
                .map(SegmentCollector::harvest)
                .collect(),
            filters: self
                .filters
                .into_iter()
                .map(FilterSegment::harvest)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::doc::schema::{build_schema, Fields};
    use tantivy::query::AllQuery;
    use tantivy::{Index, IndexWriter, TantivyDocument};

    /// `@timestamp` histograms answered by `TimeHistogram` equal tantivy's answers to the same request
    /// (`keyed: false` sends it to tantivy), across segments, gaps, offsets and `min_doc_count`.
    #[test]
    fn time_histograms_answer_as_tantivy_does() -> anyhow::Result<()> {
        let index = Index::create_in_ram(build_schema());
        let fields = Fields::from_schema(&index.schema())?;
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 15_000_000)?;
        let day = 86_400_000_i64;
        for segment in 0..3i64 {
            for i in 0..500i64 {
                let mut doc = TantivyDocument::new();
                // Two clusters a day apart (a gap of empty buckets), and some documents without a time.
                if i % 7 != 0 {
                    let ms =
                        1_764_000_000_000 + segment * day + (i * 7919 % 3_600_000) + (i % 2) * day;
                    doc.add_date(fields.ts, DateTime::from_timestamp_millis(ms));
                }
                doc.add_text(fields.message, "x");
                writer.add_document(doc)?;
            }
            writer.commit()?;
        }
        let searcher = index.reader()?.searcher();
        let no_dates = DatePaths::lazy(std::collections::HashSet::new);
        let mut span = || None;
        for params in [
            json!({"fixed_interval": "1h"}),
            json!({"fixed_interval": "90s"}),
            json!({"fixed_interval": "1d", "offset": "-3h"}),
            json!({"fixed_interval": "30m", "offset": "+10m", "min_doc_count": 1}),
            json!({"fixed_interval": "1h", "min_doc_count": 40}),
        ] {
            let mut p = params.as_object().cloned().unwrap_or_default();
            p.insert("field".into(), json!("@timestamp"));
            let ours =
                AggRequest::parse(&json!({"h": {"date_histogram": p.clone()}}), 0, &mut span)?;
            assert_eq!(ours.histograms.len(), 1, "{params}");
            p.insert("keyed".into(), json!(false));
            let theirs = AggRequest::parse(&json!({"h": {"date_histogram": p}}), 0, &mut span)?;
            assert!(theirs.histograms.is_empty() && theirs.tantivy.is_some());
            let run = |req: &AggRequest| -> anyhow::Result<Value> {
                let fruit =
                    searcher.search(&AllQuery, &req.collector(&searcher, fields, &no_dates)?)?;
                finish_aggs(req, vec![fruit]).map_err(|e| anyhow::anyhow!("{e:?}"))
            };
            let (a, b) = (run(&ours)?, run(&theirs)?);
            assert!(
                a["h"]["buckets"].as_array().is_some_and(|b| b.len() > 1),
                "{a}"
            );
            assert_eq!(a, b, "{params}");
        }
        // Nothing matched: no buckets.
        let req = AggRequest::parse(
            &json!({"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m"}}}),
            0,
            &mut span,
        )?;
        let fruit = searcher.search(
            &tantivy::query::EmptyQuery,
            &req.collector(&searcher, fields, &no_dates)?,
        )?;
        let v = finish_aggs(&req, vec![fruit]).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert_eq!(v, json!({"h": {"buckets": []}}));
        Ok(())
    }
}
