//! Sorting hits: the sort of a request ([`parse_sort`], [`parse_after`]), sort values and how they compare.
//! Missing values sort last in both directions unless asked otherwise (ES's default). Dates — `@timestamp`
//! and the fields an index maps as `date` ([`SortSpec::for_dates`]) — sort by time and show as epoch millis,
//! or in the key's `format` ([`SortSpec::shown`]); `search_after` takes either.

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::doc::date::{format_date, parse_date, DateZone};
use crate::doc::schema::{resolve_field, tantivy_name, FieldRef, F_MSG};
use crate::search::error::RequestError;

/// A sort value.
#[derive(Clone, Debug)]
pub enum SortVal {
    /// No value for this doc.
    Missing,
    /// Integer (dates are epoch millis).
    Int(i64),
    /// Floating point (also scores).
    Float(f64),
    /// Keyword.
    Str(String),
    /// A keyword's position in one segment's sorted term dictionary (see `keyword_position`): compared
    /// without reading the term, and turned into `Str` before hits leave the segment.
    Ord(u64),
}

impl SortVal {
    fn cmp_present(&self, other: &SortVal) -> Ordering {
        match (self, other) {
            (SortVal::Int(a), SortVal::Int(b)) => a.cmp(b),
            (SortVal::Str(a), SortVal::Str(b)) => a.cmp(b),
            (SortVal::Ord(a), SortVal::Ord(b)) => a.cmp(b),
            (SortVal::Str(_) | SortVal::Ord(_), _) => Ordering::Greater,
            (_, SortVal::Str(_) | SortVal::Ord(_)) => Ordering::Less,
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    fn as_f64(&self) -> f64 {
        match self {
            SortVal::Int(i) => *i as f64,
            SortVal::Float(f) => *f,
            _ => 0.0,
        }
    }

    /// The value as a hit's `sort` shows it.
    pub fn to_json(&self) -> Value {
        match self {
            SortVal::Missing | SortVal::Ord(_) => Value::Null,
            SortVal::Int(i) => json!(i),
            SortVal::Float(f) => json!(f),
            SortVal::Str(s) => json!(s),
        }
    }
}

/// What a sort key sorts on.
#[derive(Clone, Debug, PartialEq)]
pub enum SortKind {
    Score,
    Doc,
    Timestamp,
    /// A fast column of the JSON field (`attrs.x.y`).
    Attr(String),
    /// A fast column of the JSON field mapped as a `date`: its strings are read as dates.
    DateAttr(String),
}

impl SortKind {
    /// Whether the key's values are dates (epoch millis).
    pub fn is_date(&self) -> bool {
        matches!(self, SortKind::Timestamp | SortKind::DateAttr(_))
    }
}

/// One key of a sort.
#[derive(Clone, Debug)]
pub struct SortSpec {
    pub kind: SortKind,
    pub desc: bool,
    /// Documents without a value come first (`"missing": "_first"`); by default they come last.
    pub missing_first: bool,
    /// The field as the request names it (`""` for `_score` / `_doc`).
    pub field: String,
    /// How a date key's values are shown (ES's sort `format`); epoch millis when `None`.
    pub format: Option<String>,
}

impl SortSpec {
    /// Sorting by score, best first (a search's default).
    pub fn by_score() -> SortSpec {
        SortSpec {
            kind: SortKind::Score,
            desc: true,
            missing_first: false,
            field: String::new(),
            format: None,
        }
    }

    /// The sort for one index: keys on fields that index maps as dates (`is_date` of the field's path)
    /// sort as dates.
    pub fn for_dates(specs: &[SortSpec], is_date: impl Fn(&str) -> bool) -> Vec<SortSpec> {
        specs
            .iter()
            .map(|spec| match &spec.kind {
                SortKind::Attr(name) if is_date(&spec.field) => SortSpec {
                    kind: SortKind::DateAttr(name.clone()),
                    ..spec.clone()
                },
                _ => spec.clone(),
            })
            .collect()
    }

    /// What ES shows for a document without a value of this date key: the `long` that sorts where the
    /// document does (`Long.MAX_VALUE` last ascending or first descending, else `Long.MIN_VALUE`).
    fn missing_date(&self) -> i64 {
        if self.desc == self.missing_first {
            i64::MAX
        } else {
            i64::MIN
        }
    }

    /// A value of this key as a hit's `sort` shows it: dates in the key's `format` when it has one, a
    /// missing date as [`SortSpec::missing_date`] (other missing values are `null`).
    pub fn shown(&self, val: &SortVal) -> Value {
        if matches!(val, SortVal::Missing) && self.kind.is_date() {
            return self.shown(&SortVal::Int(self.missing_date()));
        }
        match (val, &self.format) {
            (SortVal::Int(ms), Some(format)) if self.kind.is_date() => {
                json!(format_date(*ms, Some(format), DateZone::UTC))
            }
            _ => val.to_json(),
        }
    }
}

/// Compares two hits' sort values key by key.
pub fn cmp_vals(specs: &[SortSpec], a: &[SortVal], b: &[SortVal]) -> Ordering {
    for ((spec, x), y) in specs.iter().zip(a).zip(b) {
        let o = cmp_val(spec, x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Compares two values of one sort key, in the key's order (`Less` sorts first).
pub fn cmp_val(spec: &SortSpec, x: &SortVal, y: &SortVal) -> Ordering {
    match (x, y) {
        (SortVal::Missing, SortVal::Missing) => Ordering::Equal,
        (SortVal::Missing, _) => {
            if spec.missing_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (_, SortVal::Missing) => {
            if spec.missing_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (x, y) => {
            let o = x.cmp_present(y);
            if spec.desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// The sort of a request (`None`: by score): a field name, `{field: order}`, `{field: {order, missing}}`
/// (an object may name several fields), or an array of them.
pub fn parse_sort(v: Option<&Value>) -> Result<Option<Vec<SortSpec>>, RequestError> {
    let Some(v) = v else { return Ok(None) };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    // An object may hold several keys (`{"@timestamp": "desc", "_doc": "desc"}`, as Grafana sends it),
    // each a key of the sort; they are taken in name order (JSON objects here do not keep theirs).
    let mut keys: Vec<(&str, Option<&Value>)> = Vec::new();
    for item in items {
        match item {
            Value::String(s) => keys.push((s.as_str(), None)),
            Value::Object(m) if !m.is_empty() => {
                keys.extend(m.iter().map(|(k, v)| (k.as_str(), Some(v))));
            }
            _ => {
                return Err(RequestError::MalformedSort {
                    sort: item.to_string(),
                })
            }
        }
    }
    let mut specs = Vec::new();
    for (field, opts) in keys {
        let (order, missing, format) = match opts {
            None => (None, None, None),
            Some(Value::String(o)) => (Some(o.as_str()), None, None),
            Some(Value::Object(m)) => (
                m.get("order").and_then(Value::as_str),
                m.get("missing").and_then(Value::as_str),
                m.get("format").and_then(Value::as_str),
            ),
            Some(other) => {
                return Err(RequestError::SortOptions {
                    options: other.to_string(),
                })
            }
        };
        let kind = match field {
            "_score" => SortKind::Score,
            "_doc" | "_shard_doc" => SortKind::Doc,
            f => match resolve_field(f) {
                FieldRef::Timestamp => SortKind::Timestamp,
                FieldRef::Attr(_) | FieldRef::EventId => SortKind::Attr(tantivy_name(f)),
                FieldRef::Id => return Err(RequestError::SortOnId),
                FieldRef::Message => return Err(RequestError::SortOnText { field: F_MSG }),
            },
        };
        let desc = match order {
            Some(o) if o.eq_ignore_ascii_case("desc") => true,
            Some(o) if o.eq_ignore_ascii_case("asc") => false,
            Some(o) => {
                return Err(RequestError::SortOrder {
                    order: o.to_string(),
                })
            }
            None => kind == SortKind::Score,
        };
        specs.push(SortSpec {
            kind,
            desc,
            missing_first: missing == Some("_first"),
            field: field.to_string(),
            format: format.map(str::to_string),
        });
    }
    // `"sort": []` is the default order (by score), as in ES; collectors rely on at least one key.
    Ok((!specs.is_empty()).then_some(specs))
}

/// A date of `search_after` as the key's `format` shows it (`epoch_second` is the one whose digits are not
/// millis), or any date `parse_date` reads.
fn parse_sort_date(s: &str, format: Option<&str>) -> Option<i64> {
    match format.map(|f| f.split("||").next().unwrap_or(f).trim()) {
        Some("epoch_second") => s.trim().parse::<i64>().ok()?.checked_mul(1000),
        _ => parse_date(s),
    }
}

/// The `search_after` values of a request, one per sort key (dates as millis).
pub fn parse_after(v: &Value, specs: &[SortSpec]) -> Result<Vec<SortVal>, RequestError> {
    let arr = v.as_array().ok_or(RequestError::SearchAfterNotArray)?;
    if arr.len() != specs.len() {
        return Err(RequestError::SearchAfterLength {
            values: arr.len(),
            keys: specs.len(),
        });
    }
    arr.iter()
        .zip(specs)
        .map(|(v, spec)| {
            Ok(match v {
                Value::Null => SortVal::Missing,
                // The value a hit without a date shows stands for that hit's place.
                Value::Number(n)
                    if spec.kind.is_date() && n.as_i64() == Some(spec.missing_date()) =>
                {
                    SortVal::Missing
                }
                Value::Number(n) => match n.as_i64() {
                    Some(i) => SortVal::Int(i),
                    None => SortVal::Float(n.as_f64().unwrap_or(0.0)),
                },
                Value::String(s) if spec.kind.is_date() => {
                    match parse_sort_date(s, spec.format.as_deref()) {
                        Some(ms) if ms == spec.missing_date() => SortVal::Missing,
                        Some(ms) => SortVal::Int(ms),
                        None => return Err(RequestError::SearchAfterDate { value: s.clone() }),
                    }
                }
                Value::String(s) => SortVal::Str(s.clone()),
                other => {
                    return Err(RequestError::SearchAfterValue {
                        value: other.to_string(),
                    })
                }
            })
        })
        .collect()
}
