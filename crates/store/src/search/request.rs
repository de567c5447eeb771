//! The search request: a `_search` body and its URL parameters read into a [`SearchRequest`] and checked
//! (known keys, `size` / `from` within `index.max_result_window`, `search_after` with a sort), and the
//! query of a `_count` body.

use serde_json::{json, Map, Value};

use crate::search::error::RequestError;
use crate::search::fields::{parse_field_specs, FieldSpec};
use crate::search::highlight::{parse_highlight, Highlight};
use crate::search::sort::{parse_sort, SortSpec};
use crate::search::source::{parse_source_filter, url_source_filter, SourceFilter};

/// ES's `index.max_result_window`.
pub const MAX_RESULT_WINDOW: usize = 10_000;
/// Default `track_total_hits` cap.
const DEFAULT_TRACK_TOTAL: u64 = 10_000;

/// The URL parameters that shape a search (`_search`, `_count`), as given (decoded); `None` when absent.
/// They take precedence over the body's keys of the same meaning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    /// `q`: a Lucene query on `message` (or `df`), instead of the body's `query`.
    pub q: Option<String>,
    /// `df`: the field of `q`'s terms that name none (`message` when absent).
    pub df: Option<String>,
    /// `default_operator=AND`: every term of `q` must match.
    pub default_and: bool,
    /// `size`.
    pub size: Option<String>,
    /// `from`.
    pub from: Option<String>,
    /// `sort`: `field`, `field:order`, comma-separated.
    pub sort: Option<String>,
    /// `_source`: `true`, `false`, or comma-separated include patterns.
    pub source: Option<String>,
    /// `track_total_hits`: `true`, `false` or a number.
    pub track_total_hits: Option<String>,
    /// `_source_includes`: comma-separated patterns.
    pub source_includes: Option<String>,
    /// `_source_excludes`: comma-separated patterns.
    pub source_excludes: Option<String>,
    /// `stored_fields`: comma-separated names (`_none_`: no metadata either).
    pub stored_fields: Option<String>,
    /// `docvalue_fields`: comma-separated names or patterns.
    pub docvalue_fields: Option<String>,
    /// `rest_total_hits_as_int=true`: `hits.total` is a number, counted exactly.
    pub total_hits_as_int: bool,
    /// `version`: `true` (or empty) / `false`, replacing the body's.
    pub version: Option<String>,
    /// `seq_no_primary_term`: `true` (or empty) / `false`, replacing the body's.
    pub seq_no_primary_term: Option<String>,
}

/// A `_search` request, checked: its body (borrowed) and URL parameters merged.
pub struct SearchRequest<'a> {
    /// The DSL query (`None`: all documents).
    pub query: Option<&'a Value>,
    /// `q=` (replaces `query`).
    pub q: Option<String>,
    /// `df=` of `q`.
    pub df: Option<String>,
    /// `default_operator=AND` of `q`.
    pub default_and: bool,
    pub size: usize,
    pub from: usize,
    /// `None`: by score.
    pub sort: Option<Vec<SortSpec>>,
    pub search_after: Option<&'a Value>,
    pub source: SourceFilter,
    /// Count hits up to this many (`None`: no total).
    pub track_total: Option<u64>,
    pub highlight: Option<Highlight>,
    pub aggs: Option<&'a Value>,
    /// `hits.total` as a number (`rest_total_hits_as_int`).
    pub total_as_int: bool,
    /// `stored_fields: _none_`: hits without `_id`.
    pub no_metadata: bool,
    /// `docvalue_fields` and `fields`: values shown under each hit's `fields`.
    pub fields: Vec<FieldSpec>,
    /// `version: true`: each hit's `_version`.
    pub version: bool,
    /// `seq_no_primary_term: true`: each hit's `_seq_no` and `_primary_term`.
    pub seq_no_primary_term: bool,
    /// `profile: true`: an (empty) profile of each shard.
    pub profile: bool,
}

const KNOWN_KEYS: &[&str] = &[
    "query",
    "size",
    "from",
    "sort",
    "search_after",
    "_source",
    "track_total_hits",
    "highlight",
    "aggs",
    "aggregations",
    "timeout",
    "version",
    "seq_no_primary_term",
    "stored_fields",
    "docvalue_fields",
    "fields",
    "track_scores",
    "explain",
    "min_score",
    "terminate_after",
    "runtime_mappings",
    "script_fields",
    "post_filter",
    "profile",
    "indices_boost",
    "stats",
    "pit",
    "collapse",
];

/// `size` or `from`: the URL parameter if given, else the body's value, else `default`.
fn usize_param(
    body: Option<&Value>,
    param: Option<&str>,
    key: &'static str,
    default: usize,
) -> Result<usize, RequestError> {
    if let Some(p) = param {
        if p.starts_with('-') && p.parse::<i64>().is_ok() {
            return Err(RequestError::Negative {
                key,
                value: p.to_string(),
            });
        }
        return p.parse().map_err(|_| RequestError::IntParam {
            key,
            value: p.to_string(),
        });
    }
    match body {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => {
            n.as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| RequestError::Negative {
                    key,
                    value: n.to_string(),
                })
        }
        Some(Value::String(s)) => s.parse().map_err(|_| RequestError::NotANumber { key }),
        Some(other) => Err(RequestError::NotANumberFound {
            key,
            found: other.to_string(),
        }),
    }
}

impl<'a> SearchRequest<'a> {
    /// Reads and checks a `_search` body (an object; JSON `null` or no body at all is `{}`) with its URL
    /// parameters.
    pub fn parse(
        body: &'a Value,
        params: &SearchParams,
    ) -> Result<SearchRequest<'a>, RequestError> {
        static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        let body = if body.is_null() {
            EMPTY.get_or_init(|| Value::Object(Map::new()))
        } else {
            body
        };
        parse_request(body, params)
    }
}

fn parse_request<'a>(
    body: &'a Value,
    params: &SearchParams,
) -> Result<SearchRequest<'a>, RequestError> {
    let m = match body {
        Value::Object(m) => m,
        _ => return Err(RequestError::BodyNotAnObject),
    };
    for k in m.keys() {
        if !KNOWN_KEYS.contains(&k.as_str()) {
            return Err(RequestError::UnknownKey { key: k.clone() });
        }
    }
    let size = usize_param(m.get("size"), params.size.as_deref(), "size", 10)?;
    let from = usize_param(m.get("from"), params.from.as_deref(), "from", 0)?;
    let mut sort = parse_sort(m.get("sort"))?;
    if let Some(s) = &params.sort {
        let items: Vec<Value> = s
            .split(',')
            .map(|part| match part.split_once(':') {
                Some((f, o)) => json!({ f: o }),
                None => json!(part),
            })
            .collect();
        sort = parse_sort(Some(&Value::Array(items)))?;
    }
    let mut track_total = match params
        .track_total_hits
        .as_ref()
        .map(|s| Value::String(s.clone()))
        .as_ref()
        .or(m.get("track_total_hits"))
    {
        None => Some(DEFAULT_TRACK_TOTAL),
        Some(Value::Bool(true)) => Some(u64::MAX),
        Some(Value::Bool(false)) => None,
        Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(u64::MAX)),
        Some(Value::String(s)) => match s.as_str() {
            "true" => Some(u64::MAX),
            "false" => None,
            n => Some(n.parse().map_err(|_| RequestError::TrackTotalHits)?),
        },
        Some(_) => return Err(RequestError::TrackTotalHits),
    };
    if params.total_hits_as_int {
        // As ES's `RestSearchAction.checkRestTotalHits`: an exact count, or none at all.
        let given = params.track_total_hits.is_some() || m.contains_key("track_total_hits");
        match track_total {
            _ if !given => track_total = Some(u64::MAX),
            None | Some(u64::MAX) => {}
            Some(got) => return Err(RequestError::TotalHitsAsIntInaccurate { got }),
        }
    }
    let split = |s: &str| -> Vec<String> { s.split(',').map(str::to_string).collect() };
    // As ES's `FetchSourceContext.parseFromRestRequest`: any URL parameter replaces the body's `_source`.
    let url_source = url_source_filter(
        params.source.as_deref(),
        params.source_includes.as_deref(),
        params.source_excludes.as_deref(),
    );
    let url_given = url_source.is_some();
    let mut source = url_source.unwrap_or_else(|| parse_source_filter(m.get("_source")));
    // `stored_fields` fetches no `_source` unless it is asked for (ES's fetch phase).
    let stored_fields: Option<Vec<String>> = match (&params.stored_fields, m.get("stored_fields")) {
        (Some(s), _) => Some(split(s)),
        (None, Some(Value::String(s))) => Some(vec![s.clone()]),
        (None, Some(Value::Array(a))) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    };
    let no_metadata = stored_fields
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == "_none_"));
    if stored_fields.is_some() && !url_given && !m.contains_key("_source") {
        source = SourceFilter::None;
    }
    let mut fields = parse_field_specs(m.get("docvalue_fields"), "docvalue_fields")?;
    fields.extend(parse_field_specs(m.get("fields"), "fields")?);
    if let Some(s) = &params.docvalue_fields {
        fields.extend(split(s).into_iter().map(FieldSpec::named));
    }
    // A URL flag replaces the body's (ES's `RestSearchAction`).
    let flag = |key: &'static str, url: &Option<String>| match url.as_deref() {
        Some("" | "true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(RequestError::BooleanParam {
            param: key,
            value: other.to_string(),
        }),
        None => Ok(m.get(key).and_then(Value::as_bool).unwrap_or(false)),
    };
    let aggs = m.get("aggs").or_else(|| m.get("aggregations"));
    let after = m.get("search_after");
    if after.is_some() && from > 0 {
        return Err(RequestError::SearchAfterWithFrom);
    }
    // Both can be as large as u64: the sum must not wrap into a small window.
    let window = from.saturating_add(size);
    if window > MAX_RESULT_WINDOW {
        return Err(RequestError::ResultWindow {
            window,
            max: MAX_RESULT_WINDOW,
        });
    }
    if after.is_some() && sort.is_none() {
        return Err(RequestError::SearchAfterWithoutSort);
    }
    Ok(SearchRequest {
        query: m.get("query"),
        size,
        from,
        sort,
        search_after: after,
        source,
        track_total,
        highlight: parse_highlight(m.get("highlight")),
        aggs,
        q: params.q.clone(),
        df: params.df.clone(),
        default_and: params.default_and,
        total_as_int: params.total_hits_as_int,
        no_metadata,
        fields,
        version: flag("version", &params.version)?,
        seq_no_primary_term: flag("seq_no_primary_term", &params.seq_no_primary_term)?,
        profile: flag("profile", &None)?,
    })
}

/// The query of a `_count` body (`{"query": ..}`, `{}` or JSON `null`); no other key is allowed.
pub fn count_query(body: &Value) -> Result<Option<&Value>, RequestError> {
    match body {
        Value::Null => Ok(None),
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| *k != "query") {
                return Err(RequestError::CountKey { key: k.clone() });
            }
            Ok(m.get("query"))
        }
        _ => Err(RequestError::BodyNotAnObject),
    }
}
