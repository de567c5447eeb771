//! Field-level queries of the DSL: exact values (`term`, `terms`, `ids`), analysed text (`match`,
//! `match_phrase`, `multi_match`), `range` and `exists`, each resolved through the schema
//! ([`crate::doc::schema`]): keyword semantics (exact term) for everything in `attrs`, analysed text for
//! `message`, the column for `@timestamp`, and both `_id` and `attrs` for `event.id`.

use std::ops::Bound;

use serde_json::{Map, Number, Value};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, ExistsQuery, Occur, PhraseQuery, RangeQuery, RegexQuery,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::doc::date::DateZone;
use crate::doc::schema::{
    resolve_field, tantivy_name, FieldRef, EVENT_ID, F_ATTRS, F_EVENT_ID, F_ID, F_MSG,
};
use crate::query::date_attr::date_range;
use crate::query::date_math::parse_date_math_as;
use crate::query::dsl::{obj, parse_msm, scalar_str, single_field, union, QueryBuilder, Q};
use crate::query::error::QueryError;
use crate::query::limits::MAX_CLAUSE_COUNT;
use crate::query::text_attr::JsonWordsQuery;
use crate::query::timestamp_filter::TimestampFilter;

/// A `match` of several tokens, one query each: all of them with `operator: and`, else any (at least
/// `minimum_should_match`).
fn match_of_tokens(queries: Vec<Q>, opts: Option<&Map<String, Value>>) -> Result<Q, QueryError> {
    let and = opts
        .and_then(|m| m.get("operator"))
        .and_then(Value::as_str)
        .is_some_and(|o| o.eq_ignore_ascii_case("and"));
    let occur = if and { Occur::Must } else { Occur::Should };
    let clauses: Vec<(Occur, Q)> = queries.into_iter().map(|q| (occur, q)).collect();
    let msm = opts
        .and_then(|m| m.get("minimum_should_match"))
        .map(|v| parse_msm(v, clauses.len()))
        .transpose()?;
    Ok(Box::new(match (and, msm) {
        (false, Some(msm)) => BooleanQuery::with_minimum_required_clauses(clauses, msm.max(1)),
        _ => BooleanQuery::new(clauses),
    }))
}

/// How a range's dates are read: its `time_zone` (of dates without an offset and of date math) and
/// `format`.
#[derive(Debug, Clone, Default)]
pub(super) struct DateInput {
    pub zone: DateZone,
    pub format: Option<String>,
}

impl DateInput {
    /// The `time_zone` and `format` of a `range` query's parameters.
    fn of(params: &Map<String, Value>) -> Result<DateInput, QueryError> {
        let zone = DateInput::zone_of(params)?;
        let format = match params.get("format") {
            None | Some(Value::Null) => None,
            Some(Value::String(f)) => Some(f.clone()),
            Some(_) => {
                return Err(QueryError::Missing {
                    query: "range",
                    requirement: "[format] must be a string",
                })
            }
        };
        Ok(DateInput { zone, format })
    }

    /// The `time_zone` of a query's parameters (`range`, `query_string`); UTC without one.
    pub(super) fn zone_of(params: &Map<String, Value>) -> Result<DateZone, QueryError> {
        match params.get("time_zone") {
            None | Some(Value::Null) => Ok(DateZone::UTC),
            Some(tz) => tz
                .as_str()
                .and_then(DateZone::parse)
                .ok_or_else(|| QueryError::TimeZone {
                    time_zone: tz.as_str().map_or_else(|| tz.to_string(), str::to_string),
                }),
        }
    }
}

impl QueryBuilder<'_> {
    fn attr_terms(&self, path: &str, v: &Value) -> Vec<Term> {
        let base = || Term::from_field_json_path(self.fields.attrs, path, true);
        let mut terms = Vec::new();
        let mut push_num = |n: &Number| {
            if let Some(i) = n.as_i64() {
                let mut t = base();
                t.append_type_and_fast_value(i);
                terms.push(t);
            }
            if let Some(u) = n.as_u64() {
                let mut t = base();
                t.append_type_and_fast_value(u);
                terms.push(t);
            }
            if let Some(f) = n.as_f64() {
                let mut t = base();
                t.append_type_and_fast_value(f);
                terms.push(t);
                if f.fract() == 0.0 && f.abs() < 9.0e15 && n.as_i64().is_none() {
                    let mut t = base();
                    t.append_type_and_fast_value(f as i64);
                    terms.push(t);
                }
            }
        };
        match v {
            Value::Number(n) => push_num(n),
            Value::String(s) => {
                if let Ok(n) = s.trim().parse::<Number>() {
                    push_num(&n);
                }
            }
            _ => {}
        }
        if let Value::Bool(b) = v {
            let mut t = base();
            t.append_type_and_fast_value(*b);
            terms.push(t);
        }
        if let Some(s) = scalar_str(v) {
            let mut t = base();
            t.append_type_and_str(&s);
            terms.push(t);
        }
        terms
    }

    /// Exact-value query (`term` semantics) for any field.
    pub(super) fn value_query(&self, field: &str, v: &Value) -> Result<Q, QueryError> {
        let bad = || QueryError::NotScalar {
            field: field.to_string(),
        };
        match resolve_field(field) {
            FieldRef::Id => {
                let s = scalar_str(v).ok_or_else(bad)?;
                Ok(Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.id, &s),
                    IndexRecordOption::Basic,
                )))
            }
            FieldRef::Message => {
                let s = scalar_str(v).ok_or_else(bad)?;
                Ok(Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.message, &s),
                    IndexRecordOption::WithFreqs,
                )))
            }
            FieldRef::Timestamp => {
                // As ES: a term on a date is the range the date covers (`2026-11-22`: the whole day).
                let from = self.date_value(v, false, &DateInput::default())?;
                let to = self.date_value(v, true, &DateInput::default())?;
                Ok(Box::new(TimestampFilter::range(self.fields.ts, from, to)))
            }
            FieldRef::EventId => {
                if scalar_str(v).is_none() {
                    return Err(bad());
                }
                Ok(union(vec![
                    self.folded(self.value_query(F_ID, v)?),
                    self.attr_value_query(EVENT_ID, v),
                ]))
            }
            FieldRef::Attr(path) => {
                if scalar_str(v).is_none() {
                    return Err(bad());
                }
                Ok(self.attr_value_query(&path, v))
            }
        }
    }

    /// `q` (on `_id`) restricted to documents whose `event.id` is their `_id`.
    pub(super) fn folded(&self, q: Q) -> Q {
        let marker: Q = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.folded, EVENT_ID),
            IndexRecordOption::Basic,
        ));
        Box::new(BooleanQuery::intersection(vec![q, marker]))
    }

    pub(super) fn attr_value_query(&self, path: &str, v: &Value) -> Q {
        union(
            self.attr_terms(path, v)
                .into_iter()
                .map(|t| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Q)
                .collect(),
        )
    }

    fn date_value(&self, v: &Value, round_up: bool, how: &DateInput) -> Result<i64, QueryError> {
        let millis = |n: &Number| {
            n.as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| QueryError::NotADate {
                    value: n.to_string(),
                })
        };
        match v {
            // A number is epoch millis, unless the format reads it otherwise (`epoch_second`).
            Value::Number(n) => match &how.format {
                Some(format) => parse_date_math_as(
                    &n.to_string(),
                    self.now_ms,
                    round_up,
                    how.zone,
                    Some(format),
                )
                .or_else(|_| millis(n)),
                None => millis(n),
            },
            Value::String(s) => Ok(parse_date_math_as(
                s,
                self.now_ms,
                round_up,
                how.zone,
                how.format.as_deref(),
            )?),
            other => Err(QueryError::NotADate {
                value: other.to_string(),
            }),
        }
    }

    fn tokens(&self, text: &str) -> Result<Vec<(usize, String)>, QueryError> {
        let mut analyzer = self.index.tokenizer_for_field(self.fields.message)?;
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.position, t.text.clone()));
        }
        Ok(out)
    }

    pub(super) fn match_query(&self, body: &Value, phrase: bool) -> Result<Q, QueryError> {
        let what = if phrase { "match_phrase" } else { "match" };
        let (field, v) = single_field(body, what)?;
        let (text, opts) = match v {
            Value::Object(m) => (
                m.get("query").ok_or(QueryError::Missing {
                    query: what,
                    requirement: "requires query",
                })?,
                Some(m),
            ),
            v => (v, None),
        };
        self.match_field(field, text, opts, phrase)
    }

    pub(super) fn match_field(
        &self,
        field: &str,
        text: &Value,
        opts: Option<&Map<String, Value>>,
        phrase: bool,
    ) -> Result<Q, QueryError> {
        let resolved = resolve_field(field);
        if let (FieldRef::Attr(path), Some(Value::String(s))) = (&resolved, Some(text)) {
            // A string field is `text` in ES's dynamic mapping; its `.keyword` is exact.
            if !field.ends_with(".keyword") {
                return self.attr_words(path, s, opts, phrase, self.value_query(field, text)?);
            }
        }
        if resolved != FieldRef::Message {
            return self.value_query(field, text);
        }
        let text = scalar_str(text).ok_or(QueryError::MatchNotScalar)?;
        let tokens = self.tokens(&text)?;
        let term = |s: &str| Term::from_field_text(self.fields.message, s);
        if tokens.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        if tokens.len() == 1 {
            return Ok(Box::new(TermQuery::new(
                term(&tokens[0].1),
                IndexRecordOption::WithFreqs,
            )));
        }
        if phrase {
            let slop = opts
                .and_then(|m| m.get("slop"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32;
            let terms = tokens.iter().map(|(p, t)| (*p, term(t))).collect();
            return Ok(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)));
        }
        let clauses = tokens
            .iter()
            .map(|(_, t)| Ok(Box::new(TermQuery::new(term(t), IndexRecordOption::WithFreqs)) as Q))
            .collect::<Result<Vec<Q>, QueryError>>()?;
        match_of_tokens(clauses, opts)
    }

    /// `match` / `match_phrase` of `text` on the string field at `path` of `attrs`, analysed as ES
    /// analyses a `text` field (`text_attr.rs`), or its exact value (`exact`).
    fn attr_words(
        &self,
        path: &str,
        text: &str,
        opts: Option<&Map<String, Value>>,
        phrase: bool,
        exact: Q,
    ) -> Result<Q, QueryError> {
        let tokens: Vec<String> = self.tokens(text)?.into_iter().map(|(_, t)| t).collect();
        if tokens.is_empty() {
            return Ok(exact);
        }
        // Each token is a pass over the field's values: as many as a query may have clauses.
        if tokens.len() > MAX_CLAUSE_COUNT {
            return Err(QueryError::TooManyClauses {
                max: MAX_CLAUSE_COUNT,
            });
        }
        let words = |tokens: &[String]| -> Result<Q, QueryError> {
            Ok(Box::new(JsonWordsQuery::words(
                self.fields.attrs,
                path,
                tokens,
            )?))
        };
        if phrase || tokens.len() == 1 {
            return Ok(union(vec![exact, words(&tokens)?]));
        }
        let clauses = tokens
            .iter()
            .map(|t| words(std::slice::from_ref(t)))
            .collect::<Result<Vec<Q>, QueryError>>()?;
        Ok(union(vec![exact, match_of_tokens(clauses, opts)?]))
    }

    pub(super) fn multi_match(&self, body: &Value) -> Result<Q, QueryError> {
        let m = obj(body, "multi_match")?;
        let text = m.get("query").ok_or(QueryError::Missing {
            query: "multi_match",
            requirement: "requires query",
        })?;
        let phrase = m.get("type").and_then(Value::as_str) == Some("phrase");
        let fields: Vec<String> = match m.get("fields") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|f| f.split('^').next().unwrap_or(f).to_string())
                .collect(),
            _ => vec![F_MSG.to_string()],
        };
        let qs = fields
            .iter()
            .map(|f| self.match_field(f, text, Some(m), phrase))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(union(qs))
    }

    pub(super) fn range(&self, body: &Value) -> Result<Q, QueryError> {
        let (field, v) = single_field(body, "range")?;
        let m = obj(v, "range")?;
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "gte" | "gt" | "lte" | "lt" | "format" | "time_zone" | "boost" | "relation"
            ) {
                return Err(QueryError::UnsupportedParam {
                    query: "range",
                    param: k.clone(),
                });
            }
        }
        let get = |k: &str| m.get(k).filter(|v| !v.is_null());
        let (lo, lo_incl) = match (get("gte"), get("gt")) {
            (Some(v), _) => (Some(v), true),
            (None, Some(v)) => (Some(v), false),
            _ => (None, true),
        };
        let (hi, hi_incl) = match (get("lte"), get("lt")) {
            (Some(v), _) => (Some(v), true),
            (None, Some(v)) => (Some(v), false),
            _ => (None, true),
        };
        let how = DateInput::of(m)?;
        let q = self.range_on(&resolve_field(field), (lo, lo_incl), (hi, hi_incl), &how)?;
        match q {
            Some(q) => Ok(q),
            None => self.exists(field),
        }
    }

    /// The closed range of epoch millis of a date range's bounds (date math allowed). ES rounds up for
    /// `gt` and `lte`; the values are milliseconds, so an open bound is the closed one a millisecond inside.
    pub(super) fn millis_bounds(
        &self,
        (lo, lo_incl): (Option<&Value>, bool),
        (hi, hi_incl): (Option<&Value>, bool),
        how: &DateInput,
    ) -> Result<(i64, i64), QueryError> {
        let lo_ms = match lo {
            Some(v) => self
                .date_value(v, !lo_incl, how)?
                .saturating_add(i64::from(!lo_incl)),
            None => i64::MIN,
        };
        let hi_ms = match hi {
            Some(v) => self
                .date_value(v, hi_incl, how)?
                .saturating_sub(i64::from(!hi_incl)),
            None => i64::MAX,
        };
        Ok((lo_ms, hi_ms))
    }

    /// A range query on one field; `None` when neither bound gives a term (then ES means "exists").
    pub(super) fn range_on(
        &self,
        fref: &FieldRef,
        (lo, lo_incl): (Option<&Value>, bool),
        (hi, hi_incl): (Option<&Value>, bool),
        how: &DateInput,
    ) -> Result<Option<Q>, QueryError> {
        let bound = |t: Option<Term>, incl: bool| match t {
            None => Bound::Unbounded,
            Some(t) if incl => Bound::Included(t),
            Some(t) => Bound::Excluded(t),
        };
        let (lo_t, hi_t) = match fref {
            FieldRef::Timestamp => {
                if lo.is_none() && hi.is_none() {
                    return Ok(None);
                }
                let (lo_ms, hi_ms) = self.millis_bounds((lo, lo_incl), (hi, hi_incl), how)?;
                return Ok(Some(Box::new(TimestampFilter::range(
                    self.fields.ts,
                    lo_ms,
                    hi_ms,
                ))));
            }
            FieldRef::Attr(path) if self.dates.is_some_and(|d| d.contains(path)) => {
                if lo.is_none() && hi.is_none() {
                    return Ok(None);
                }
                let (lo_ms, hi_ms) = self.millis_bounds((lo, lo_incl), (hi, hi_incl), how)?;
                return Ok(Some(union(date_range(
                    self.fields.attrs,
                    path,
                    lo_ms,
                    hi_ms,
                ))));
            }
            FieldRef::Attr(path) => {
                let numeric = |v: &Value| match v {
                    Value::Number(n) => Some(n.clone()),
                    Value::String(s) => s.trim().parse::<Number>().ok(),
                    _ => None,
                };
                let all_numeric = [lo, hi].iter().flatten().all(|v| numeric(v).is_some());
                let mk = |v: Option<&Value>| -> Option<Term> {
                    let v = v?;
                    let mut t = Term::from_field_json_path(self.fields.attrs, path, true);
                    if all_numeric {
                        let n = numeric(v)?;
                        match n.as_i64() {
                            Some(i) => t.append_type_and_fast_value(i),
                            None => t.append_type_and_fast_value(n.as_f64()?),
                        }
                    } else {
                        t.append_type_and_str(&scalar_str(v)?);
                    }
                    Some(t)
                };
                (mk(lo), mk(hi))
            }
            FieldRef::EventId => {
                // In `_id` where equal to it, else in `attrs` (see `schema`).
                let id = self.range_on(&FieldRef::Id, (lo, lo_incl), (hi, hi_incl), how)?;
                let attr = self.range_on(
                    &FieldRef::Attr(EVENT_ID.to_string()),
                    (lo, lo_incl),
                    (hi, hi_incl),
                    how,
                )?;
                return Ok(id.zip(attr).map(|(a, b)| union(vec![self.folded(a), b])));
            }
            FieldRef::Message | FieldRef::Id => {
                let f = if *fref == FieldRef::Id {
                    self.fields.id
                } else {
                    self.fields.message
                };
                let mk = |v: Option<&Value>| {
                    v.and_then(scalar_str).map(|s| Term::from_field_text(f, &s))
                };
                (mk(lo), mk(hi))
            }
        };
        if lo_t.is_none() && hi_t.is_none() {
            return Ok(None);
        }
        Ok(Some(Box::new(RangeQuery::new(
            bound(lo_t, lo_incl),
            bound(hi_t, hi_incl),
        ))))
    }

    pub(super) fn exists(&self, field: &str) -> Result<Q, QueryError> {
        Ok(match resolve_field(field) {
            FieldRef::Id => Box::new(AllQuery),
            FieldRef::Timestamp => Box::new(ExistsQuery::new(tantivy_name(field), false)),
            FieldRef::Attr(_) => Box::new(ExistsQuery::new(tantivy_name(field), true)),
            FieldRef::EventId => union(vec![
                Box::new(ExistsQuery::new(F_EVENT_ID.to_string(), false)),
                Box::new(ExistsQuery::new(format!("{F_ATTRS}.{EVENT_ID}"), true)),
            ]),
            FieldRef::Message => Box::new(RegexQuery::from_pattern(".+", self.fields.message)?),
        })
    }
}
