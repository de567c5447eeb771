//! `_source` of hits: the stored source of a document and its filtering by `includes` / `excludes`
//! patterns (`host.*`; [`crate::wildcard`]).

use serde_json::{Map, Value};
use tantivy::schema::Value as _;
use tantivy::TantivyDocument;

use crate::doc::schema::Fields;
use crate::wildcard;

/// `_source` filtering.
#[derive(Clone, Debug)]
pub enum SourceFilter {
    None,
    All,
    Filter {
        includes: Vec<String>,
        excludes: Vec<String>,
    },
}

/// A string or an array of strings (other elements skipped); nothing for anything else.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The `_source` of a request body: `true`/`false`, a pattern or array of patterns, or
/// `{includes, excludes}`.
pub fn parse_source_filter(v: Option<&Value>) -> SourceFilter {
    match v {
        None | Some(Value::Bool(true)) | Some(Value::Null) => SourceFilter::All,
        Some(Value::Bool(false)) => SourceFilter::None,
        Some(Value::Object(m)) => SourceFilter::Filter {
            includes: strings(m.get("includes").or_else(|| m.get("include"))),
            excludes: strings(m.get("excludes").or_else(|| m.get("exclude"))),
        },
        Some(other) => SourceFilter::Filter {
            includes: strings(Some(other)),
            excludes: Vec::new(),
        },
    }
}

/// The filter of the URL parameters `_source` (`true`, `false` or patterns), `_source_includes` and
/// `_source_excludes` (comma-separated patterns), as ES's `FetchSourceContext.parseFromRestRequest`; `None`
/// when none is given.
pub fn url_source_filter(
    source: Option<&str>,
    includes: Option<&str>,
    excludes: Option<&str>,
) -> Option<SourceFilter> {
    if source.is_none() && includes.is_none() && excludes.is_none() {
        return None;
    }
    let split = |s: &str| -> Vec<String> { s.split(',').map(str::to_string).collect() };
    let (fetch, mut incl) = match source {
        None | Some("true") => (true, Vec::new()),
        Some("false") => (false, Vec::new()),
        Some(s) => (true, split(s)),
    };
    if let Some(s) = includes {
        incl = split(s);
    }
    let excl = excludes.map(split).unwrap_or_default();
    Some(match (fetch, incl.is_empty() && excl.is_empty()) {
        (false, _) => SourceFilter::None,
        (true, true) => SourceFilter::All,
        (true, false) => SourceFilter::Filter {
            includes: incl,
            excludes: excl,
        },
    })
}

fn may_match_below(pattern: &str, path: &str) -> bool {
    let prefix = format!("{path}.");
    let literal = pattern.split('*').next().unwrap_or("");
    pattern.starts_with(&prefix)
        || (pattern.contains('*') && (prefix.starts_with(literal) || literal.starts_with(&prefix)))
}

fn filter_object(
    obj: Map<String, Value>,
    prefix: &str,
    includes: &[String],
    excludes: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if excludes.iter().any(|e| wildcard::matches(e, &path)) {
            continue;
        }
        let included = includes.is_empty() || includes.iter().any(|i| wildcard::matches(i, &path));
        match v {
            Value::Object(inner) => {
                let sub_includes: &[String] = if included { &[] } else { includes };
                if included || includes.iter().any(|i| may_match_below(i, &path)) {
                    let filtered = filter_object(inner, &path, sub_includes, excludes);
                    if included || !filtered.is_empty() {
                        out.insert(k, Value::Object(filtered));
                    }
                }
            }
            v if included => {
                out.insert(k, v);
            }
            _ => {}
        }
    }
    out
}

/// The `_source` a hit shows (`None`: none).
pub fn apply_source_filter(filter: &SourceFilter, src: Value) -> Option<Value> {
    match filter {
        SourceFilter::None => None,
        SourceFilter::All => Some(src),
        SourceFilter::Filter { includes, excludes } => match src {
            Value::Object(m) => Some(Value::Object(filter_object(m, "", includes, excludes))),
            other => Some(other),
        },
    }
}

/// The `_source` of a stored document: text in format-4 indices, bytes in older ones.
pub fn stored_source(doc: &TantivyDocument, fields: &Fields) -> Value {
    let Some(stored) = doc.get_first(fields.source) else {
        return Value::Null;
    };
    let parsed = match (stored.as_str(), stored.as_bytes()) {
        (Some(text), _) => serde_json::from_str(text).ok(),
        (None, Some(bytes)) => serde_json::from_slice(bytes).ok(),
        (None, None) => None,
    };
    parsed.unwrap_or(Value::Null)
}

/// The length of the `_source` stored in `doc`, in bytes (0 without one).
pub fn stored_source_len(doc: &TantivyDocument, fields: &Fields) -> usize {
    doc.get_first(fields.source).map_or(0, |stored| {
        stored
            .as_str()
            .map(str::len)
            .or_else(|| stored.as_bytes().map(<[u8]>::len))
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn source_filter() {
        let src =
            json!({"a": 1, "host": {"name": "h", "ip": "x"}, "log": {"file": {"path": "/p"}}});
        let f = SourceFilter::Filter {
            includes: vec!["host.name".into(), "log.*".into()],
            excludes: vec![],
        };
        assert_eq!(
            apply_source_filter(&f, src.clone()),
            Some(json!({"host": {"name": "h"}, "log": {"file": {"path": "/p"}}}))
        );
        let f = SourceFilter::Filter {
            includes: vec![],
            excludes: vec!["host".into()],
        };
        assert_eq!(
            apply_source_filter(&f, src),
            Some(json!({"a": 1, "log": {"file": {"path": "/p"}}}))
        );
    }
}
