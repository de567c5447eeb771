//! The `date_range` aggregation, as ES 8 answers it: `from` (inclusive) and `to` (exclusive) are epoch millis,
//! dates or date math evaluated in `time_zone`, buckets come sorted by `from` then `to`, keyed
//! `from_as_string-to_as_string` (`*` for an open end) unless the range names its `key`, with the bounds
//! written in `format` and `time_zone`, as an array or, `keyed`, an object.
//!
//! tantivy computes it as a `range` aggregation whose ranges carry a marker key naming the ES range; the
//! ranges tantivy adds to fill gaps carry none and are dropped from the answer.

use serde_json::{json, Map, Value};

use crate::doc::date::{format_date, DateZone};
use crate::doc::schema::F_TS;
use crate::query::date_math::parse_date_math_in;
use crate::search::aggs::display;
use crate::search::aggs::error::AggError;
use crate::search::aggs::translate::{into_range, time_zone};

/// Starts the key of a range the request asked for: the marker, then the range's position in the request.
const MARKER: char = '\u{1}';

/// One requested range in millis.
struct Bounds {
    from: Option<i64>,
    to: Option<i64>,
}

fn bound(
    v: Option<&Value>,
    key: &str,
    now_ms: i64,
    zone: DateZone,
) -> Result<Option<i64>, AggError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => Ok(Some(parse_date_math_in(s, now_ms, false, zone)?)),
        Some(_) => Err(AggError::ParamType {
            param: key.to_string(),
            requirement: "a date, date math or epoch millis",
        }),
    }
}

/// The ranges of `p` in millis, in request order.
fn ranges(name: &str, p: &Map<String, Value>, now_ms: i64) -> Result<Vec<Bounds>, AggError> {
    let zone = time_zone(name, p)?;
    let list = p
        .get("ranges")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AggError::ParamType {
            param: "ranges".to_string(),
            requirement: "a non-empty array",
        })?;
    list.iter()
        .map(|r| {
            let r = r.as_object().ok_or_else(|| AggError::ParamType {
                param: "ranges".to_string(),
                requirement: "an array of objects",
            })?;
            Ok(Bounds {
                from: bound(r.get("from"), "from", now_ms, zone)?,
                to: bound(r.get("to"), "to", now_ms, zone)?,
            })
        })
        .collect()
}

/// The name of the hidden tantivy aggregation computing group `g` (≥ 1) of aggregation `name`'s ranges.
pub(super) fn group_name(name: &str, g: usize) -> String {
    format!("{name}{MARKER}{g}")
}

/// Splits the ranges into groups of disjoint ones (tantivy's `range` refuses overlapping ranges; ES allows
/// them): positions of `bounds`, each group sorted.
fn disjoint_groups(bounds: &[Bounds]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..bounds.len()).collect();
    order.sort_by_key(|&i| {
        (
            bounds[i].from.unwrap_or(i64::MIN),
            bounds[i].to.unwrap_or(i64::MAX),
        )
    });
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let from = bounds[i].from.unwrap_or(i64::MIN);
        let fits = |g: &Vec<usize>| {
            g.last()
                .is_none_or(|&last| bounds[last].to.unwrap_or(i64::MAX) <= from)
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Turns a `date_range`'s parameters into those of tantivy's `range` (in place); when ranges overlap,
/// returns the parameters of the further `range` aggregations ([`group_name`] 1, 2, …) computing the rest.
pub(super) fn translate(
    name: &str,
    p: &mut Map<String, Value>,
    now_ms: i64,
) -> Result<Vec<Map<String, Value>>, AggError> {
    let bounds = ranges(name, p, now_ms)?;
    let groups = disjoint_groups(&bounds);
    // `@timestamp` holds nanoseconds; other date fields are compared as the millis they hold.
    let scale = if p.get("field").and_then(Value::as_str) == Some(F_TS) {
        1e6
    } else {
        1.0
    };
    let tantivy_range = |i: usize| {
        let b = &bounds[i];
        {
            let mut r = Map::new();
            r.insert("key".into(), json!(format!("{MARKER}{i}")));
            if let Some(from) = b.from {
                r.insert("from".into(), json!(from as f64 * scale));
            }
            if let Some(to) = b.to {
                r.insert("to".into(), json!(to as f64 * scale));
            }
            Value::Object(r)
        }
    };
    let mut params: Vec<Map<String, Value>> = groups
        .iter()
        .map(|g| {
            let mut q = p.clone();
            into_range(&mut q, g.iter().map(|&i| tantivy_range(i)).collect());
            q
        })
        .collect();
    *p = params.remove(0);
    Ok(params)
}

/// Rewrites tantivy's `range` result `res` into ES's `date_range` answer for the request `params`;
/// `fix_sub` finishes each bucket's sub-aggregations.
/// Buckets of the further groups ([`translate`]) are appended to `res` by the caller first.
pub(super) fn render(
    params: &Value,
    res: &mut Value,
    now_ms: i64,
    fix_sub: &mut dyn FnMut(&mut Value),
) {
    let (zone, format) = display(Some(params));
    let p = params.as_object().cloned().unwrap_or_default();
    let bounds = ranges("", &p, now_ms).unwrap_or_default();
    let keys: Vec<Option<String>> = p
        .get("ranges")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| r.get("key").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let keyed = p.get("keyed").and_then(Value::as_bool).unwrap_or(false);
    let Some(Value::Array(buckets)) = res.get_mut("buckets") else {
        return;
    };
    let mut out: Vec<(usize, String, Value)> = Vec::with_capacity(bounds.len());
    for b in buckets.drain(..) {
        let Some(i) = b
            .get("key")
            .and_then(Value::as_str)
            .and_then(|k| k.strip_prefix(MARKER))
            .and_then(|k| k.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(range) = bounds.get(i) else {
            continue;
        };
        let from_s = range
            .from
            .map(|ms| format_date(ms, format.as_deref(), zone));
        let to_s = range.to.map(|ms| format_date(ms, format.as_deref(), zone));
        let key = keys.get(i).cloned().flatten().unwrap_or_else(|| {
            format!(
                "{}-{}",
                from_s.as_deref().unwrap_or("*"),
                to_s.as_deref().unwrap_or("*")
            )
        });
        let mut o = Map::new();
        if !keyed {
            o.insert("key".into(), json!(key));
        }
        if let (Some(ms), Some(s)) = (range.from, &from_s) {
            o.insert("from".into(), json!(ms as f64));
            o.insert("from_as_string".into(), json!(s));
        }
        if let (Some(ms), Some(s)) = (range.to, &to_s) {
            o.insert("to".into(), json!(ms as f64));
            o.insert("to_as_string".into(), json!(s));
        }
        o.insert(
            "doc_count".into(),
            b.get("doc_count").cloned().unwrap_or(json!(0)),
        );
        let mut sub = Value::Object(Map::new());
        if let Value::Object(fields) = b {
            for (k, v) in fields {
                if !matches!(
                    k.as_str(),
                    "key" | "from" | "to" | "from_as_string" | "to_as_string" | "doc_count"
                ) {
                    sub[k.as_str()] = v;
                }
            }
        }
        fix_sub(&mut sub);
        if let Value::Object(fields) = sub {
            o.extend(fields);
        }
        out.push((i, key, Value::Object(o)));
    }
    // ES orders the buckets by `from`, then `to`.
    out.sort_by_key(|(i, _, _)| {
        let b = &bounds[*i];
        (b.from.unwrap_or(i64::MIN), b.to.unwrap_or(i64::MAX))
    });
    res["buckets"] = if keyed {
        Value::Object(out.into_iter().map(|(_, k, b)| (k, b)).collect())
    } else {
        Value::Array(out.into_iter().map(|(_, _, b)| b).collect())
    };
}
