//! ES query DSL → tantivy `Query`.
//!
//! Supported: `match_all`, `match_none`, `match`, `match_phrase`, `multi_match`, `term`, `terms`, `ids`,
//! `range` (date math on `@timestamp`, numbers and strings elsewhere), `exists`, `bool` (with
//! `minimum_should_match`), `constant_score`, `query_string` / `simple_query_string` (`lucene_query`:
//! tantivy's parser, default field `message`, ES field names rewritten to the schema's, `F:*` and
//! `_exists_:F` as `exists`). Anything else is a 400
//! `parsing_exception`, never a panic. Field naming follows [`super::schema`]: keyword semantics (exact
//! term) for everything in `attrs`, analysed text for `message`.

use std::ops::Bound;

use serde_json::{Map, Number, Value};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, ExistsQuery, Occur, PhraseQuery, Query,
    QueryParser, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, Term};

use super::date_math::parse_date_math;
use super::error::EsError;
use super::lucene_query::{self, rewrite_field_names};
use super::schema::{
    resolve_field, tantivy_name, FieldRef, Fields, EVENT_ID, F_ATTRS, F_EVENT_ID, F_ID, F_MSG,
};
use super::timestamp_filter::TimestampFilter;

/// Builds tantivy queries for one index.
pub struct QueryBuilder<'a> {
    index: &'a Index,
    fields: Fields,
    now_ms: i64,
}

type Q = Box<dyn Query>;

fn obj<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, EsError> {
    v.as_object().ok_or_else(|| {
        EsError::parsing(format!(
            "[{what}] query malformed, no start_object after query name"
        ))
    })
}

/// The single `field: body` pair of a field-level query like `term` or `match`.
fn single_field<'v>(v: &'v Value, what: &str) -> Result<(&'v str, &'v Value), EsError> {
    let map = obj(v, what)?;
    let mut it = map
        .iter()
        .filter(|(k, _)| k.as_str() != "boost" && k.as_str() != "_name");
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        (None, _) => Err(EsError::parsing(format!(
            "[{what}] query does not support an empty field"
        ))),
        _ => Err(EsError::parsing(format!(
            "[{what}] query doesn't support multiple fields"
        ))),
    }
}

fn union(mut qs: Vec<Q>) -> Q {
    match qs.len() {
        0 => Box::new(EmptyQuery),
        1 => qs.remove(0),
        _ => Box::new(BooleanQuery::union(qs)),
    }
}

fn scalar_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> QueryBuilder<'a> {
    /// A builder for `index`, with `now_ms` for date math.
    pub fn new(index: &'a Index, fields: Fields, now_ms: i64) -> QueryBuilder<'a> {
        QueryBuilder {
            index,
            fields,
            now_ms,
        }
    }

    /// Translates an ES query object (`None` = `match_all`).
    pub fn build(&self, q: Option<&Value>) -> Result<Q, EsError> {
        let Some(q) = q else {
            return Ok(Box::new(AllQuery));
        };
        let map = q
            .as_object()
            .ok_or_else(|| EsError::parsing("query malformed, must start with start_object"))?;
        let mut it = map.iter();
        let (kind, body) = match (it.next(), it.next()) {
            (Some(kv), None) => kv,
            (None, _) => return Ok(Box::new(AllQuery)),
            _ => {
                return Err(EsError::parsing(
                    "[query] malformed query, expected a single query type",
                ))
            }
        };
        match kind.as_str() {
            "match_all" => Ok(Box::new(AllQuery)),
            "match_none" => Ok(Box::new(EmptyQuery)),
            "match" => self.match_query(body, false),
            "match_phrase" => self.match_query(body, true),
            "multi_match" => self.multi_match(body),
            "term" => {
                let (field, v) = single_field(body, "term")?;
                let v = match v {
                    Value::Object(m) => m
                        .get("value")
                        .ok_or_else(|| EsError::parsing("[term] query requires a value"))?,
                    v => v,
                };
                self.value_query(field, v)
            }
            "terms" => {
                let (field, v) = single_field(body, "terms")?;
                let values = v
                    .as_array()
                    .ok_or_else(|| EsError::parsing("[terms] query requires an array of values"))?;
                Ok(union(
                    values
                        .iter()
                        .map(|v| self.value_query(field, v))
                        .collect::<Result<_, _>>()?,
                ))
            }
            "ids" => {
                let values = obj(body, "ids")?
                    .get("values")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                Ok(union(
                    values
                        .iter()
                        .map(|v| self.value_query("_id", v))
                        .collect::<Result<_, _>>()?,
                ))
            }
            "range" => self.range(body),
            "exists" => {
                let field = obj(body, "exists")?
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| EsError::parsing("[exists] must be provided with a [field]"))?;
                self.exists(field)
            }
            "bool" => self.bool_query(body),
            "constant_score" => {
                let m = obj(body, "constant_score")?;
                let inner = self.build(Some(m.get("filter").ok_or_else(|| {
                    EsError::parsing("[constant_score] requires a 'filter' element")
                })?))?;
                let boost = m.get("boost").and_then(Value::as_f64).unwrap_or(1.0) as f32;
                Ok(Box::new(ConstScoreQuery::new(inner, boost)))
            }
            "query_string" | "simple_query_string" => self.query_string(body),
            other => Err(EsError::parsing(format!("unknown query [{other}]"))),
        }
    }

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
    fn value_query(&self, field: &str, v: &Value) -> Result<Q, EsError> {
        let bad = || EsError::parsing(format!("[term] query on [{field}] requires a scalar value"));
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
                let ms = self.date_value(v, false)?;
                Ok(Box::new(TimestampFilter::range(self.fields.ts, ms, ms)))
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
    fn folded(&self, q: Q) -> Q {
        let marker: Q = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.folded, EVENT_ID),
            IndexRecordOption::Basic,
        ));
        Box::new(BooleanQuery::intersection(vec![q, marker]))
    }

    fn attr_value_query(&self, path: &str, v: &Value) -> Q {
        union(
            self.attr_terms(path, v)
                .into_iter()
                .map(|t| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Q)
                .collect(),
        )
    }

    fn date_value(&self, v: &Value, round_up: bool) -> Result<i64, EsError> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| EsError::parsing(format!("failed to parse date [{n}]"))),
            Value::String(s) => parse_date_math(s, self.now_ms, round_up).map_err(EsError::parsing),
            other => Err(EsError::parsing(format!("failed to parse date [{other}]"))),
        }
    }

    fn tokens(&self, text: &str) -> Result<Vec<(usize, String)>, EsError> {
        let mut analyzer = self.index.tokenizer_for_field(self.fields.message)?;
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.position, t.text.clone()));
        }
        Ok(out)
    }

    fn match_query(&self, body: &Value, phrase: bool) -> Result<Q, EsError> {
        let what = if phrase { "match_phrase" } else { "match" };
        let (field, v) = single_field(body, what)?;
        let (text, opts) = match v {
            Value::Object(m) => (
                m.get("query")
                    .ok_or_else(|| EsError::parsing(format!("[{what}] requires query")))?,
                Some(m),
            ),
            v => (v, None),
        };
        self.match_field(field, text, opts, phrase)
    }

    fn match_field(
        &self,
        field: &str,
        text: &Value,
        opts: Option<&Map<String, Value>>,
        phrase: bool,
    ) -> Result<Q, EsError> {
        if resolve_field(field) != FieldRef::Message {
            return self.value_query(field, text);
        }
        let text = scalar_str(text)
            .ok_or_else(|| EsError::parsing("[match] query requires a scalar query"))?;
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
        let and = opts
            .and_then(|m| m.get("operator"))
            .and_then(Value::as_str)
            .is_some_and(|o| o.eq_ignore_ascii_case("and"));
        let occur = if and { Occur::Must } else { Occur::Should };
        let clauses: Vec<(Occur, Q)> = tokens
            .iter()
            .map(|(_, t)| {
                (
                    occur,
                    Box::new(TermQuery::new(term(t), IndexRecordOption::WithFreqs)) as Q,
                )
            })
            .collect();
        let n = clauses.len();
        let msm = opts
            .and_then(|m| m.get("minimum_should_match"))
            .map(|v| parse_msm(v, n))
            .transpose()?;
        Ok(Box::new(match (and, msm) {
            (false, Some(msm)) => BooleanQuery::with_minimum_required_clauses(clauses, msm.max(1)),
            _ => BooleanQuery::new(clauses),
        }))
    }

    fn multi_match(&self, body: &Value) -> Result<Q, EsError> {
        let m = obj(body, "multi_match")?;
        let text = m
            .get("query")
            .ok_or_else(|| EsError::parsing("[multi_match] requires query"))?;
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

    fn range(&self, body: &Value) -> Result<Q, EsError> {
        let (field, v) = single_field(body, "range")?;
        let m = obj(v, "range")?;
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "gte" | "gt" | "lte" | "lt" | "format" | "time_zone" | "boost" | "relation"
            ) {
                return Err(EsError::parsing(format!(
                    "[range] query does not support [{k}]"
                )));
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
        let fref = resolve_field(field);
        let q = if fref == FieldRef::EventId {
            let id = self.range_on(&FieldRef::Id, (lo, lo_incl), (hi, hi_incl))?;
            let attr = self.range_on(
                &FieldRef::Attr(EVENT_ID.to_string()),
                (lo, lo_incl),
                (hi, hi_incl),
            )?;
            id.zip(attr).map(|(a, b)| union(vec![self.folded(a), b]))
        } else {
            self.range_on(&fref, (lo, lo_incl), (hi, hi_incl))?
        };
        match q {
            Some(q) => Ok(q),
            None => self.exists(field),
        }
    }

    /// A range query on one field; `None` when neither bound gives a term (then ES means "exists").
    fn range_on(
        &self,
        fref: &FieldRef,
        (lo, lo_incl): (Option<&Value>, bool),
        (hi, hi_incl): (Option<&Value>, bool),
    ) -> Result<Option<Q>, EsError> {
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
                // ES rounds up for gt and lte. The column holds milliseconds, so an open bound is the
                // closed one a millisecond inside.
                let lo_ms = match lo {
                    Some(v) => self
                        .date_value(v, !lo_incl)?
                        .saturating_add(i64::from(!lo_incl)),
                    None => i64::MIN,
                };
                let hi_ms = match hi {
                    Some(v) => self
                        .date_value(v, hi_incl)?
                        .saturating_sub(i64::from(!hi_incl)),
                    None => i64::MAX,
                };
                return Ok(Some(Box::new(TimestampFilter::range(
                    self.fields.ts,
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
                return Err(EsError::internal("event.id range is split by the caller"))
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

    fn exists(&self, field: &str) -> Result<Q, EsError> {
        Ok(match resolve_field(field) {
            FieldRef::Id => Box::new(AllQuery),
            FieldRef::Timestamp => Box::new(ExistsQuery::new(tantivy_name(field), false)),
            FieldRef::Attr(_) => Box::new(ExistsQuery::new(tantivy_name(field), true)),
            FieldRef::EventId => union(vec![
                Box::new(ExistsQuery::new(F_EVENT_ID.to_string(), false)),
                Box::new(ExistsQuery::new(format!("{F_ATTRS}.{EVENT_ID}"), true)),
            ]),
            FieldRef::Message => Box::new(
                RegexQuery::from_pattern(".+", self.fields.message).map_err(EsError::internal)?,
            ),
        })
    }

    fn clauses(&self, v: Option<&Value>) -> Result<Vec<Q>, EsError> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|q| self.build(Some(q))).collect(),
            Some(q) => Ok(vec![self.build(Some(q))?]),
        }
    }

    fn bool_query(&self, body: &Value) -> Result<Q, EsError> {
        let m = obj(body, "bool")?;
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "must"
                    | "filter"
                    | "should"
                    | "must_not"
                    | "minimum_should_match"
                    | "boost"
                    | "_name"
                    | "adjust_pure_negative"
            ) {
                return Err(EsError::parsing(format!(
                    "[bool] query does not support [{k}]"
                )));
            }
        }
        let must = self.clauses(m.get("must"))?;
        let mut filter = self.clauses(m.get("filter"))?;
        // `@timestamp` ranges among the filters are applied segment by segment around the rest
        // (`TimestampFilter`); `msm` below is computed as if they were still here.
        let mut time_range: Option<TimestampFilter> = None;
        let n_filter = filter.len();
        filter.retain(|q| match q.downcast_ref::<TimestampFilter>() {
            Some(range) if range.is_bare() => {
                time_range = Some(match time_range.take() {
                    Some(earlier) => earlier.intersect(range),
                    None => range.clone(),
                });
                false
            }
            _ => true,
        });
        let has_required = !must.is_empty() || n_filter > 0;
        let should = self.clauses(m.get("should"))?;
        let must_not = self.clauses(m.get("must_not"))?;
        let n_should = should.len();
        let msm = match m.get("minimum_should_match") {
            Some(v) => parse_msm(v, n_should)?,
            None if !has_required && n_should > 0 => 1,
            None => 0,
        };
        if msm > n_should {
            return Ok(Box::new(EmptyQuery));
        }
        let mut clauses: Vec<(Occur, Q)> = Vec::new();
        clauses.extend(must.into_iter().map(|q| (Occur::Must, q)));
        clauses.extend(
            filter
                .into_iter()
                .map(|q| (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)) as Q)),
        );
        let has_positive = !clauses.is_empty() || msm > 0;
        if !has_positive && should.is_empty() && must_not.is_empty() {
            if let Some(range) = time_range {
                // Only filters: every match scores 0, as in ES.
                return Ok(Box::new(range.scoring(0.0)));
            }
        }
        clauses.extend(should.into_iter().map(|q| (Occur::Should, q)));
        if !has_positive {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        clauses.extend(must_not.into_iter().map(|q| (Occur::MustNot, q)));
        let q = BooleanQuery::with_minimum_required_clauses(clauses, msm);
        Ok(match time_range {
            Some(range) => Box::new(range.restrict(Box::new(q))),
            None => Box::new(q),
        })
    }

    fn query_string(&self, body: &Value) -> Result<Q, EsError> {
        let m = obj(body, "query_string")?;
        let text = m
            .get("query")
            .and_then(Value::as_str)
            .ok_or_else(|| EsError::parsing("[query_string] requires field [query]"))?;
        let mut defaults: Vec<String> = match m.get("fields") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|f| f.split('^').next().unwrap_or(f).to_string())
                .collect(),
            _ => Vec::new(),
        };
        if let Some(f) = m.get("default_field").and_then(Value::as_str) {
            defaults.push(f.to_string());
        }
        if defaults.is_empty() || defaults.iter().any(|f| f == "*") {
            defaults = vec![F_MSG.to_string()];
        }
        let and = m
            .get("default_operator")
            .and_then(Value::as_str)
            .is_some_and(|o| o.eq_ignore_ascii_case("and"));
        self.parse_lucene(text, &defaults, and)
    }

    /// Parses Lucene syntax (also used for the URI `q=` parameter).
    pub fn parse_lucene(
        &self,
        text: &str,
        default_fields: &[String],
        and: bool,
    ) -> Result<Q, EsError> {
        if text.trim().is_empty() || text.trim() == "*" || text.trim() == "*:*" {
            return Ok(Box::new(AllQuery));
        }
        let schema = self.index.schema();
        let mut defaults = Vec::new();
        // The same by name, for lucene_query when some cannot be the parser's (event.id, JSON paths).
        let mut by_name = lucene_query::DefaultFields::default();
        for f in default_fields {
            let name = tantivy_name(f);
            if resolve_field(f) == FieldRef::EventId {
                by_name.event_id = true;
                continue;
            }
            if !name.starts_with("attrs.") {
                defaults.push(schema.get_field(&name).map_err(EsError::internal)?);
            }
            by_name.names.push(name);
        }
        let mut parser = QueryParser::for_index(self.index, defaults);
        if and {
            parser.set_conjunction_by_default();
        }
        let rewritten = rewrite_field_names(text);
        // `name` is a tantivy name: `attrs.x.y`, or `_id`, `@timestamp`, `message`.
        let exists = |name: &str| self.exists(name.strip_prefix("attrs.").unwrap_or(name));
        lucene_query::build(&parser, text, &rewritten, and, by_name, &exists)
    }
}

/// `minimum_should_match`: an integer, a negative integer, or a (negative) percentage of `n`.
fn parse_msm(v: &Value, n: usize) -> Result<usize, EsError> {
    let s = scalar_str(v)
        .ok_or_else(|| EsError::parsing("[minimum_should_match] must be a number or string"))?;
    let s = s.trim();
    let bad = || EsError::parsing(format!("invalid minimum_should_match [{s}]"));
    let n_i = n as i64;
    let k: i64 = if let Some(p) = s.strip_suffix('%') {
        let p: i64 = p.trim().parse().map_err(|_| bad())?;
        if p < 0 {
            n_i - (n_i * -p) / 100
        } else {
            (n_i * p) / 100
        }
    } else {
        let k: i64 = s.parse().map_err(|_| bad())?;
        if k < 0 {
            n_i + k
        } else {
            k
        }
    };
    Ok(k.clamp(0, n_i) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msm() {
        assert_eq!(parse_msm(&Value::from(2), 3).ok(), Some(2));
        assert_eq!(parse_msm(&Value::from("-1"), 3).ok(), Some(2));
        assert_eq!(parse_msm(&Value::from("50%"), 4).ok(), Some(2));
        assert!(parse_msm(&Value::from("x"), 4).is_err());
    }
}
