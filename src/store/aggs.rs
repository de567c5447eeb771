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
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader};

use super::block_collector::StampedSegmentCollector;

use super::calendar_interval::{boundaries, months_per_bucket};
use super::date_math::{format_millis, parse_date_math};
use super::error::EsError;
use super::schema::{resolve_field, tantivy_name, FieldRef};
use super::time_histogram::{Counts, TimeHistogram, TimeHistogramSegment};

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
    /// What tantivy computes; `None` when the histograms below are all there is.
    tantivy: Option<Aggregations>,
    /// Top-level `@timestamp` histograms computed by [`TimeHistogram`], by name.
    histograms: Vec<(String, TimeHistogram)>,
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
        let mut translated = translate_all(&es, now_ms, span)?;
        let mut histograms = Vec::new();
        translated.retain(|name, t| {
            let fast = t
                .as_object()
                .filter(|t| t.len() == 1)
                .and_then(|t| t.get("date_histogram"))
                .and_then(Value::as_object)
                .and_then(TimeHistogram::from_params);
            match fast {
                Some(h) => {
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
                    .map_err(|e| EsError::parsing(format!("invalid aggregation: {e}")))?,
            )
        };
        Ok(AggRequest {
            es,
            tantivy,
            histograms,
        })
    }

    /// A collector producing mergeable intermediate results.
    pub fn collector(&self) -> AggsCollector {
        AggsCollector {
            tantivy: self
                .tantivy
                .as_ref()
                .map(|a| DistributedAggregationCollector::from_aggs(a.clone(), limits())),
            histograms: self.histograms.iter().map(|(_, h)| h.clone()).collect(),
        }
    }
}

/// Collects one index's aggregations: tantivy's and the `@timestamp` histograms, from the same blocks.
pub struct AggsCollector {
    tantivy: Option<DistributedAggregationCollector>,
    histograms: Vec<TimeHistogram>,
}

/// One index's aggregation results, merged across indices by [`finish_aggs`].
pub struct AggsFruit {
    tantivy: Option<IntermediateAggregationResults>,
    histograms: Vec<Counts>,
}

/// The per-segment side of [`AggsCollector`].
pub struct AggsSegment {
    tantivy: Option<<DistributedAggregationCollector as Collector>::Child>,
    histograms: Vec<TimeHistogramSegment>,
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
        })
    }

    fn requires_scoring(&self) -> bool {
        self.tantivy
            .as_ref()
            .is_some_and(Collector::requires_scoring)
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<AggsSegment as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<AggsFruit> {
        let mut tantivy_parts = Vec::new();
        let mut histograms: Vec<Counts> = vec![Counts::new(); self.histograms.len()];
        for (t, hs) in fruits {
            tantivy_parts.extend(t);
            for (into, h) in histograms.iter_mut().zip(hs) {
                TimeHistogram::merge(into, h);
            }
        }
        Ok(AggsFruit {
            tantivy: match &self.tantivy {
                Some(c) => Some(c.merge_fruits(tantivy_parts)?),
                None => None,
            },
            histograms,
        })
    }
}

impl StampedSegmentCollector for AggsSegment {
    fn wants_stamps(&self) -> bool {
        !self.histograms.is_empty()
    }

    fn collect_stamped(&mut self, docs: &[DocId], stamps: &[Option<DateTime>]) {
        if let Some(t) = &mut self.tantivy {
            t.collect_block(docs);
        }
        for h in &mut self.histograms {
            h.collect_stamps(stamps);
        }
    }
}

impl SegmentCollector for AggsSegment {
    type Fruit = (
        Option<<<DistributedAggregationCollector as Collector>::Child as SegmentCollector>::Fruit>,
        Vec<Counts>,
    );

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(t) = &mut self.tantivy {
            t.collect(doc, score);
        }
        for h in &mut self.histograms {
            h.collect(doc, score);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        if let Some(t) = &mut self.tantivy {
            t.collect_block(docs);
        }
        for h in &mut self.histograms {
            h.collect_block(docs);
        }
    }

    fn harvest(self) -> Self::Fruit {
        (
            self.tantivy.map(SegmentCollector::harvest),
            self.histograms
                .into_iter()
                .map(SegmentCollector::harvest)
                .collect(),
        )
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
pub fn finish_aggs(req: &AggRequest, parts: Vec<AggsFruit>) -> Result<Value, EsError> {
    let mut merged: Option<IntermediateAggregationResults> = None;
    let mut histograms: Vec<Counts> = vec![Counts::new(); req.histograms.len()];
    for part in parts {
        for (into, h) in histograms.iter_mut().zip(part.histograms) {
            TimeHistogram::merge(into, h);
        }
        let Some(part) = part.tantivy else {
            continue;
        };
        match &mut merged {
            None => merged = Some(part),
            Some(m) => m
                .merge_fruits(part)
                .map_err(|e| EsError::new(400, "aggregation_execution_exception", e.to_string()))?,
        }
    }
    let mut v = match &req.tantivy {
        Some(aggs) => {
            let results = merged
                .unwrap_or_default()
                .into_final_result(aggs.clone(), limits())
                .map_err(|e| EsError::new(400, "aggregation_execution_exception", e.to_string()))?;
            let mut v = serde_json::to_value(&results).map_err(EsError::internal)?;
            fix_results(&req.es, &mut v);
            v
        }
        None => Value::Object(Map::new()),
    };
    for ((name, h), counts) in req.histograms.iter().zip(&histograms) {
        v[name.as_str()] = h.render(counts)?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::{build_schema, Fields};
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
                let fruit = searcher.search(&AllQuery, &req.collector())?;
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
        let fruit = searcher.search(&tantivy::query::EmptyQuery, &req.collector())?;
        let v = finish_aggs(&req, vec![fruit]).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert_eq!(v, json!({"h": {"buckets": []}}));
        Ok(())
    }
}
