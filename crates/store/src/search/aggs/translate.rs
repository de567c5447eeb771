//! ES aggregation request → tantivy's dialect: field names renamed to the schema's (`host.name` →
//! `attrs.host.name`), `calendar_interval` / `interval` of fixed length turned into `fixed_interval`,
//! month, quarter and year buckets on `@timestamp` turned into a `range` aggregation over calendar
//! boundaries ([`super::calendar_interval`]), `time_zone` histograms turned into UTC ones with an offset
//! where the zone's offsets allow it and into ranges over local bucket boundaries where daylight saving
//! time makes bucket lengths vary, date math in `extended_bounds` / `hard_bounds` evaluated,
//! and what tantivy cannot do refused with an [`AggError`].

use serde_json::{json, Map, Value};

use crate::doc::date::DateZone;
use crate::doc::schema::tantivy_name;
use crate::query::date_math::parse_date_math;
use crate::search::aggs::calendar_interval::{boundaries, months_per_bucket};
use crate::search::aggs::date_range;
use crate::search::aggs::error::AggError;
use crate::search::aggs::filter_buckets::{FilterAgg, FILTER_AGGS};
use crate::search::aggs::time_histogram::{duration_ms, MAX_BUCKETS};
use crate::search::aggs::{TimestampSpan, BUCKET_AGGS, METRIC_AGGS};

pub(super) fn agg_type(name: &str, body: &Map<String, Value>) -> Result<(String, Value), AggError> {
    let mut it = body
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "aggs" | "aggregations" | "meta"));
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.clone(), v.clone())),
        (None, _) => Err(AggError::NoType {
            name: name.to_string(),
        }),
        _ => Err(AggError::TwoTypes {
            name: name.to_string(),
        }),
    }
}

pub(super) fn translate_all(
    aggs: &Map<String, Value>,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<Map<String, Value>, AggError> {
    let mut out = Map::new();
    for (name, body) in aggs {
        let body = body
            .as_object()
            .ok_or_else(|| AggError::DefinitionNotAnObject { name: name.clone() })?;
        let (kind, params) = agg_type(name, body)?;
        let mut params = match params {
            Value::Object(p) => p,
            _ => {
                return Err(AggError::ParamsNotAnObject {
                    kind,
                    name: name.clone(),
                })
            }
        };
        if let Some(Value::String(f)) = params.get("field") {
            params.insert("field".into(), json!(tantivy_name(f)));
        }
        let mut tantivy_kind = kind.clone();
        let mut groups = Vec::new();
        match kind.as_str() {
            "date_histogram" => {
                if translate_date_histogram(name, &mut params, now_ms, span)? {
                    tantivy_kind = "range".into();
                }
            }
            "date_range" => {
                groups = date_range::translate(name, &mut params, now_ms)?;
                tantivy_kind = "range".into();
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
                if params.get("order").is_none() {
                    // ES breaks ties in count by key; tantivy cuts at `size` whatever the key. Asked for
                    // more, the answer is sorted and cut to `size` afterwards (`results`).
                    let size = terms_size(&params);
                    params.insert("size".into(), json!(size.saturating_add(TIE_MARGIN)));
                }
            }
            k if BUCKET_AGGS.contains(&k) || METRIC_AGGS.contains(&k) => {
                params.remove("format");
            }
            "top_hits" => {
                // Computed after the search (`super::top_hits`), not by tantivy.
                if body.contains_key("aggs") || body.contains_key("aggregations") {
                    return Err(AggError::SubAggregations {
                        kind,
                        name: name.clone(),
                    });
                }
                continue;
            }
            k if FILTER_AGGS.contains(&k) => {
                // Under a bucket of tantivy's: computed after the search (`super::nested_filters`),
                // checked now.
                let sub = body.get("aggs").or_else(|| body.get("aggregations"));
                FilterAgg::parse(name, k, &Value::Object(params), sub, now_ms, span)?;
                continue;
            }
            other => {
                return Err(AggError::UnknownType {
                    kind: other.to_string(),
                    name: name.clone(),
                })
            }
        }
        let mut t = Map::new();
        t.insert(tantivy_kind, Value::Object(params));
        if let Some(sub) = body.get("aggs").or_else(|| body.get("aggregations")) {
            if !BUCKET_AGGS.contains(&kind.as_str()) {
                return Err(AggError::SubAggregations {
                    kind,
                    name: name.clone(),
                });
            }
            let sub = sub.as_object().ok_or(AggError::NotAnObject)?;
            let sub = translate_all(sub, now_ms, span)?;
            if !sub.is_empty() {
                t.insert("aggs".into(), Value::Object(sub));
            }
        }
        for (g, params) in groups.into_iter().enumerate() {
            let mut group = t.clone();
            group.insert("range".into(), Value::Object(params));
            out.insert(date_range::group_name(name, g + 1), Value::Object(group));
        }
        out.insert(name.clone(), Value::Object(t));
    }
    Ok(out)
}

/// The terms beyond `size` asked of tantivy so that ties in count at the cut are broken by key as ES
/// breaks them (exact unless more than this many terms tie at the cut).
const TIE_MARGIN: u64 = 100;

/// A `terms` aggregation's `size` (10 unless given; numbers in strings as ES takes them).
pub(super) fn terms_size(p: &Map<String, Value>) -> u64 {
    match p.get("size") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(10),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(10),
        _ => 10,
    }
}

/// The `time_zone` of aggregation `name` (UTC when absent); an error when it is not a zone.
pub(super) fn time_zone(name: &str, p: &Map<String, Value>) -> Result<DateZone, AggError> {
    match p.get("time_zone") {
        None => Ok(DateZone::UTC),
        Some(tz) => tz
            .as_str()
            .and_then(DateZone::parse)
            .ok_or_else(|| AggError::TimeZone {
                name: name.to_string(),
                time_zone: tz.to_string(),
            }),
    }
}

/// Translates `p` in place; returns true when it became a `range` aggregation (month-based calendar interval).
fn translate_date_histogram(
    name: &str,
    p: &mut Map<String, Value>,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<bool, AggError> {
    p.remove("format");
    p.remove("order");
    let zone = time_zone(name, p)?;
    p.remove("time_zone");
    // ES takes numbers in strings (Grafana's data source sends `"min_doc_count": "0"`).
    if let Some(Value::String(n)) = p.get("min_doc_count") {
        let n: u64 = n.trim().parse().map_err(|_| AggError::ParamType {
            param: "min_doc_count".to_string(),
            requirement: "a number",
        })?;
        p.insert("min_doc_count".into(), json!(n));
    }
    let calendar = p.remove("calendar_interval");
    let legacy = p.remove("interval");
    let fixed = p.get("fixed_interval").cloned();
    let interval = match (fixed, calendar, legacy) {
        (Some(f), _, _) => f
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| AggError::ParamType {
                param: "fixed_interval".to_string(),
                requirement: "a string",
            })?,
        (None, Some(c), _) | (None, None, Some(c)) => {
            let c = c.as_str().ok_or_else(|| AggError::ParamType {
                param: "calendar_interval".to_string(),
                requirement: "a string",
            })?;
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
                    calendar_ranges(name, p, Step::Months(months), zone, now_ms, span)?;
                    return Ok(true);
                }
                // Legacy `interval` accepted any fixed interval too.
                other => other.to_string(),
            }
        }
        (None, None, None) => {
            return Err(AggError::NoInterval {
                name: name.to_string(),
            })
        }
    };
    if !zone.is_utc() {
        let interval_ms =
            duration_ms(&interval)
                .filter(|&i| i > 0)
                .ok_or_else(|| AggError::ParamType {
                    param: "fixed_interval".to_string(),
                    requirement: "a duration such as 30s, 5m, 1h or 1d",
                })?;
        let offset_ms = match p.get("offset").and_then(Value::as_str) {
            None => 0,
            Some(s) => signed_duration_ms(s).ok_or_else(|| AggError::ParamType {
                param: "offset".to_string(),
                requirement: "a duration such as -1h or +4d",
            })?,
        };
        let (lo, hi) = zone_span(p, now_ms, span)?;
        // Buckets are floors of local time. Where every offset the zone has over the span leaves the
        // same remainder of the interval, they are UTC buckets shifted by it; otherwise their lengths
        // vary (daylight saving time) and they become ranges.
        match single_residue(zone, lo, hi, interval_ms) {
            Some(r) => {
                p.insert("offset".into(), json!(format!("{}ms", offset_ms - r)));
            }
            None => {
                p.insert("offset".into(), json!(format!("{offset_ms}ms")));
                calendar_ranges(
                    name,
                    p,
                    Step::Fixed(interval_ms, offset_ms),
                    zone,
                    now_ms,
                    span,
                )?;
                return Ok(true);
            }
        }
    }
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

/// Starts of the fixed-interval buckets covering `[lo, hi]` and the end of the last: `floor((t - offset) /
/// interval) * interval + offset`, as tantivy's and ES's histograms place them.
fn fixed_boundaries(lo: i64, hi: i64, interval: i64, offset: i64) -> Result<Vec<i64>, AggError> {
    let too_many = AggError::TooManyBuckets { max: MAX_BUCKETS };
    // Bounds come from the request: arithmetic that would overflow is too many buckets.
    let first = lo
        .checked_sub(offset)
        .map(|l| l.div_euclid(interval))
        .and_then(|b| b.checked_mul(interval))
        .and_then(|s| s.checked_add(offset))
        .ok_or(too_many)?;
    let n = hi
        .checked_sub(first)
        .map(|span| span / interval + 2)
        .filter(|&n| n as u64 <= MAX_BUCKETS)
        .ok_or(AggError::TooManyBuckets { max: MAX_BUCKETS })?;
    Ok((0..n).map(|i| first + i * interval).collect())
}

/// Reads `min` / `max` of a date histogram's `extended_bounds` / `hard_bounds` as millis (numbers, dates or
/// date math; `max` rounds up); absent keys are `None`, anything else is an error naming the key.
pub(super) fn bounds(
    p: &Map<String, Value>,
    key: &str,
    now_ms: i64,
) -> Result<(Option<f64>, Option<f64>), AggError> {
    let Some(b) = p.get(key) else {
        return Ok((None, None));
    };
    let read = |bk: &str, round_up: bool| -> Result<Option<f64>, AggError> {
        match b.get(bk) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.as_f64().unwrap_or(0.0))),
            Some(Value::String(s)) => parse_date_math(s, now_ms, round_up)
                .map(|ms| Some(ms as f64))
                .map_err(AggError::from),
            Some(_) => Err(AggError::ParamType {
                param: format!("{key}.{bk}"),
                requirement: "a date",
            }),
        }
    };
    Ok((read("min", false)?, read("max", true)?))
}

/// The length of the buckets a histogram turned into ranges has, in the local time of its zone.
#[derive(Clone, Copy)]
enum Step {
    /// Calendar months (1, 3 or 12).
    Months(u32),
    /// A fixed interval and offset, in millis.
    Fixed(i64, i64),
}

/// `-1h`, `+4d`, `30m` in millis.
fn signed_duration_ms(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(rest) => duration_ms(rest).map(|ms| -ms),
        None => duration_ms(s.strip_prefix('+').unwrap_or(s)),
    }
}

/// The instants a time-zone histogram covers: the data and `extended_bounds` (now when neither has any).
fn zone_span(
    p: &Map<String, Value>,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<(i64, i64), AggError> {
    let (ext_min, ext_max) = bounds(p, "extended_bounds", now_ms)?;
    let data = span();
    let lo = [data.map(|d| d.0), ext_min.map(|v| v as i64)]
        .into_iter()
        .flatten()
        .min();
    let hi = [data.map(|d| d.1), ext_max.map(|v| v as i64)]
        .into_iter()
        .flatten()
        .max();
    Ok((lo.unwrap_or(now_ms), hi.unwrap_or(now_ms)))
}

/// The one remainder modulo `interval_ms` of every offset `zone` has in `[lo, hi]`, or `None` when they
/// differ. Offsets are sampled every 6 hours (zones change offset at most a few times a year), at most
/// 100,000 times.
fn single_residue(zone: DateZone, lo: i64, hi: i64, interval_ms: i64) -> Option<i64> {
    let step = (hi.saturating_sub(lo) / 100_000).max(6 * 3_600_000);
    let residue = zone.offset_ms(lo).rem_euclid(interval_ms);
    let mut t = lo;
    while t < hi {
        t = t.saturating_add(step).min(hi);
        if zone.offset_ms(t).rem_euclid(interval_ms) != residue {
            return None;
        }
    }
    Some(residue)
}

/// Rewrites a `date_histogram` on `@timestamp` whose buckets vary in length — months, quarters and years,
/// or a fixed interval in a zone with daylight saving time — into a `range` aggregation whose ranges are
/// the buckets (in the local time of `zone`) covering the data and `extended_bounds`, clipped to
/// `hard_bounds`. Each range's key is its start in millis; `fix_results` turns the buckets back into
/// date-histogram buckets.
fn calendar_ranges(
    name: &str,
    p: &mut Map<String, Value>,
    step: Step,
    zone: DateZone,
    now_ms: i64,
    span: TimestampSpan,
) -> Result<(), AggError> {
    if p.get("field").and_then(Value::as_str) != Some(tantivy_name("@timestamp").as_str()) {
        return Err(AggError::CalendarField {
            name: name.to_string(),
        });
    }
    if matches!(step, Step::Months(_)) && p.contains_key("offset") {
        return Err(AggError::CalendarOffset {
            name: name.to_string(),
        });
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
        // Computed on local times read as UTC, then turned into instants.
        let (local_lo, local_hi) = (
            lo.saturating_add(zone.offset_ms(lo)),
            hi.saturating_add(zone.offset_ms(hi)),
        );
        let local = match step {
            Step::Months(months) => boundaries(local_lo, local_hi, months)?,
            Step::Fixed(interval, offset) => {
                fixed_boundaries(local_lo, local_hi, interval, offset)?
            }
        };
        let mut edges: Vec<i64> = local.into_iter().map(|l| zone.local_to_utc(l)).collect();
        edges.dedup();
        edges
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
    into_range(p, ranges);
    Ok(())
}

/// Replaces the parameters `p` of an aggregation computed as tantivy's `range` by its field and `ranges`
/// (answered as an array, which the rendering turns back into the ES shape).
pub(super) fn into_range(p: &mut Map<String, Value>, ranges: Vec<Value>) {
    let field = p.get("field").cloned().unwrap_or(Value::Null);
    p.clear();
    p.insert("field".into(), field);
    p.insert("ranges".into(), Value::Array(ranges));
    p.insert("keyed".into(), json!(false));
}
