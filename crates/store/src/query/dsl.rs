//! The ES query DSL → tantivy `Query`: the query types that hold other queries (`bool`,
//! `constant_score`), the dispatch on the query type, and `query_string` / `simple_query_string` (parsed by
//! [`crate::query::query_string`]: tantivy's parser, default field `message`, ES field names rewritten to
//! the schema's, `F:*` and `_exists_:F` as `exists`). Field-level queries are in [`crate::query::field`].
//!
//! Supported: `match_all`, `match_none`, `match`, `match_phrase`, `multi_match`, `term`, `terms`, `ids`,
//! `range` (date math on `@timestamp` and on fields mapped as dates, numbers and strings elsewhere), `exists`, `bool` (with
//! `minimum_should_match`), `constant_score`, `query_string`, `simple_query_string`. Anything else is a
//! [`QueryError`], never a panic.

use std::cell::Cell;

use serde_json::{Map, Value};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser,
};
use tantivy::query_grammar::UserInputBound;
use tantivy::Index;

use crate::doc::schema::{resolve_field, tantivy_name, FieldRef, Fields, F_MSG, F_TS};
use crate::query::date_attr::DatePaths;
use crate::query::error::QueryError;
use crate::query::field::DateInput;
use crate::query::limits;
use crate::query::query_string::{self, rewrite_field_names};
use crate::query::timestamp_filter::TimestampFilter;

/// Builds tantivy queries for one index.
pub struct QueryBuilder<'a> {
    pub(super) index: &'a Index,
    pub(super) fields: Fields,
    /// "Now" of date math, in epoch millis.
    pub(super) now_ms: i64,
    /// Leaf clauses built so far, against ES's `indices.query.bool.max_clause_count` for the whole query.
    clauses: Cell<usize>,
    /// The attr paths the index maps as dates (`range` compares their values as times); none when unset.
    pub(super) dates: Option<&'a DatePaths<'a>>,
}

pub(super) type Q = Box<dyn Query>;

pub(super) fn obj<'v>(
    v: &'v Value,
    what: &'static str,
) -> Result<&'v Map<String, Value>, QueryError> {
    v.as_object()
        .ok_or(QueryError::BodyNotAnObject { query: what })
}

/// The single `field: body` pair of a field-level query like `term` or `match`.
pub(super) fn single_field<'v>(
    v: &'v Value,
    what: &'static str,
) -> Result<(&'v str, &'v Value), QueryError> {
    let map = obj(v, what)?;
    let mut it = map
        .iter()
        .filter(|(k, _)| k.as_str() != "boost" && k.as_str() != "_name");
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        (None, _) => Err(QueryError::NoField { query: what }),
        _ => Err(QueryError::SeveralFields { query: what }),
    }
}

pub(super) fn union(mut qs: Vec<Q>) -> Q {
    match qs.len() {
        0 => Box::new(EmptyQuery),
        1 => qs.remove(0),
        _ => Box::new(BooleanQuery::union(qs)),
    }
}

pub(super) fn scalar_str(v: &Value) -> Option<String> {
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
            clauses: Cell::new(0),
            dates: None,
        }
    }

    /// The same builder, knowing which attr paths the index maps as dates.
    pub fn with_dates(self, dates: &'a DatePaths<'a>) -> QueryBuilder<'a> {
        QueryBuilder {
            dates: Some(dates),
            ..self
        }
    }

    /// Counts `n` more leaf clauses of the query being built: past ES's `max_clause_count` in all, the
    /// query is refused before any more of it is built.
    fn count_clauses(&self, n: usize) -> Result<(), QueryError> {
        let total = self.clauses.get().saturating_add(n);
        self.clauses.set(total);
        limits::check_clause_count(total)
    }

    /// Translates an ES query object (`None` = `match_all`).
    pub fn build(&self, q: Option<&Value>) -> Result<Q, QueryError> {
        self.build_at(q, 1)
    }

    /// [`QueryBuilder::build`] of a query object `depth` levels deep (the top one is 1): deeper than
    /// ES's `indices.query.bool.max_nested_depth` is an error.
    fn build_at(&self, q: Option<&Value>, depth: usize) -> Result<Q, QueryError> {
        limits::check_nested_depth(depth)?;
        let Some(q) = q else {
            return Ok(Box::new(AllQuery));
        };
        let map = q.as_object().ok_or(QueryError::NotAnObject)?;
        let mut it = map.iter();
        let (kind, body) = match (it.next(), it.next()) {
            (Some(kv), None) => kv,
            (None, _) => return Ok(Box::new(AllQuery)),
            _ => return Err(QueryError::SeveralTypes),
        };
        if !matches!(
            kind.as_str(),
            "bool" | "constant_score" | "query_string" | "simple_query_string"
        ) {
            self.count_clauses(1)?;
        }
        match kind.as_str() {
            "match_all" => Ok(Box::new(AllQuery)),
            "match_none" => Ok(Box::new(EmptyQuery)),
            "match" => self.match_query(body, false),
            "match_phrase" => self.match_query(body, true),
            "multi_match" => self.multi_match(body),
            "term" => {
                let (field, v) = single_field(body, "term")?;
                let v = match v {
                    Value::Object(m) => m.get("value").ok_or(QueryError::Missing {
                        query: "term",
                        requirement: "query requires a value",
                    })?,
                    v => v,
                };
                self.value_query(field, v)
            }
            "terms" => {
                let (field, v) = single_field(body, "terms")?;
                let values = v.as_array().ok_or(QueryError::Missing {
                    query: "terms",
                    requirement: "query requires an array of values",
                })?;
                limits::check_terms_count(values.len())?;
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
                limits::check_terms_count(values.len())?;
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
                    .ok_or(QueryError::Missing {
                        query: "exists",
                        requirement: "must be provided with a [field]",
                    })?;
                self.exists(field)
            }
            "bool" => self.bool_query(body, depth),
            "constant_score" => {
                let m = obj(body, "constant_score")?;
                let filter = m.get("filter").ok_or(QueryError::Missing {
                    query: "constant_score",
                    requirement: "requires a 'filter' element",
                })?;
                let inner = self.build_at(Some(filter), depth + 1)?;
                let boost = m.get("boost").and_then(Value::as_f64).unwrap_or(1.0) as f32;
                Ok(Box::new(ConstScoreQuery::new(inner, boost)))
            }
            "query_string" | "simple_query_string" => self.query_string(body),
            other => Err(QueryError::UnknownQuery {
                name: other.to_string(),
            }),
        }
    }

    /// The queries of a `bool` clause of the query at `depth`.
    fn clauses(&self, v: Option<&Value>, depth: usize) -> Result<Vec<Q>, QueryError> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|q| self.build_at(Some(q), depth + 1))
                .collect(),
            Some(q) => Ok(vec![self.build_at(Some(q), depth + 1)?]),
        }
    }

    fn bool_query(&self, body: &Value, depth: usize) -> Result<Q, QueryError> {
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
                return Err(QueryError::UnsupportedParam {
                    query: "bool",
                    param: k.clone(),
                });
            }
        }
        let must = self.clauses(m.get("must"), depth)?;
        let mut filter = self.clauses(m.get("filter"), depth)?;
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
        let should = self.clauses(m.get("should"), depth)?;
        let must_not = self.clauses(m.get("must_not"), depth)?;
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

    fn query_string(&self, body: &Value) -> Result<Q, QueryError> {
        let m = obj(body, "query_string")?;
        let text = m
            .get("query")
            .and_then(Value::as_str)
            .ok_or(QueryError::Missing {
                query: "query_string",
                requirement: "requires field [query]",
            })?;
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
        let dates = DateInput {
            zone: DateInput::zone_of(m)?,
            format: None,
        };
        self.parse_lucene_with_dates(text, &defaults, and, &dates)
    }

    /// Parses Lucene syntax (also used for the URI `q=` parameter); date ranges read in UTC.
    pub fn parse_lucene(
        &self,
        text: &str,
        default_fields: &[String],
        and: bool,
    ) -> Result<Q, QueryError> {
        self.parse_lucene_with_dates(text, default_fields, and, &DateInput::default())
    }

    /// [`QueryBuilder::parse_lucene`] whose ranges on `@timestamp` and on fields mapped as dates read their
    /// bounds as a `range` query with `dates` would: date math (`now-1h`, `now/d`), partial dates rounded
    /// as ES rounds them, the `time_zone` of `query_string`.
    fn parse_lucene_with_dates(
        &self,
        text: &str,
        default_fields: &[String],
        and: bool,
        dates: &DateInput,
    ) -> Result<Q, QueryError> {
        if text.trim().is_empty() || text.trim() == "*" || text.trim() == "*:*" {
            return Ok(Box::new(AllQuery));
        }
        let shape = limits::check_lucene(text)?;
        self.count_clauses(shape.terms.max(1))?;
        let schema = self.index.schema();
        let mut defaults = Vec::new();
        // The same by name, for query_string when some cannot be the parser's (event.id, JSON paths).
        let mut by_name = query_string::DefaultFields::default();
        for f in default_fields {
            let name = tantivy_name(f);
            if resolve_field(f) == FieldRef::EventId {
                by_name.event_id = true;
                continue;
            }
            if !name.starts_with("attrs.") {
                defaults.push(schema.get_field(&name)?);
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
        let date_path = |name: &str| {
            name.strip_prefix("attrs.")
                .filter(|path| self.dates.is_some_and(|d| d.contains(path)))
                .map(str::to_string)
        };
        let is_date = |name: &str| name == F_TS || date_path(name).is_some();
        let date_range = |name: &str, lower: &UserInputBound, upper: &UserInputBound| {
            let (fref, path) = if name == F_TS {
                (FieldRef::Timestamp, name.to_string())
            } else {
                let path = date_path(name).unwrap_or_default();
                (FieldRef::Attr(path.clone()), path)
            };
            let bound = |b: &UserInputBound| match b {
                UserInputBound::Inclusive(v) => (Some(Value::from(v.trim_matches('"'))), true),
                UserInputBound::Exclusive(v) => (Some(Value::from(v.trim_matches('"'))), false),
                UserInputBound::Unbounded => (None, true),
            };
            let ((lo, lo_incl), (hi, hi_incl)) = (bound(lower), bound(upper));
            let range =
                self.range_on(&fref, (lo.as_ref(), lo_incl), (hi.as_ref(), hi_incl), dates)?;
            range.map_or_else(|| self.exists(&path), Ok)
        };
        let fields = query_string::FieldHooks {
            exists: &exists,
            is_date: &is_date,
            date_range: &date_range,
        };
        query_string::build(&parser, text, &rewritten, and, by_name, &fields)
    }
}

/// `minimum_should_match`: an integer, a negative integer, or a (negative) percentage of `n`.
pub(super) fn parse_msm(v: &Value, n: usize) -> Result<usize, QueryError> {
    let s = scalar_str(v).ok_or(QueryError::MinimumShouldMatchType)?;
    let s = s.trim();
    let bad = || QueryError::MinimumShouldMatch {
        value: s.to_string(),
    };
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
