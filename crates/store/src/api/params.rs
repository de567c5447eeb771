//! The request models of the API read from URL parameters and bodies: `?refresh=` and `?op_type=` of
//! writes, the search parameters, and JSON bodies. A malformed one is an [`EsError`] naming it.

use serde_json::Value;

use crate::api::error::EsError;
use crate::api::request::EsRequest;
use crate::index::refresher::Refresh;
use crate::search::SearchParams;

/// `?refresh=` of a write: absent or `false`: no; empty or `true`: now; `wait_for` (as ES).
pub fn refresh(req: &EsRequest) -> Result<Refresh, EsError> {
    match req.param("refresh") {
        None | Some("false") => Ok(Refresh::False),
        Some("" | "true") => Ok(Refresh::True),
        Some("wait_for") => Ok(Refresh::WaitFor),
        Some(other) => Err(EsError::illegal_argument(format!(
            "Unknown value for refresh: [{other}]."
        ))),
    }
}

/// `?op_type=create` of a single-document write.
pub fn op_type_create(req: &EsRequest) -> bool {
    req.param("op_type") == Some("create")
}

/// `?if_seq_no=` and `?if_primary_term=` of a single-document write, as the keys of its `_bulk` action
/// line (absent ones left out).
pub fn cas_params(req: &EsRequest) -> Result<serde_json::Map<String, Value>, EsError> {
    let mut cas = serde_json::Map::new();
    for name in ["if_seq_no", "if_primary_term"] {
        if let Some(text) = req.param(name) {
            let n: i64 = text.parse().map_err(|_| {
                EsError::illegal_argument(format!(
                    "Failed to parse long parameter [{name}] with value [{text}]"
                ))
            })?;
            cas.insert(name.to_string(), Value::from(n));
        }
    }
    Ok(cas)
}

/// The URL parameters of `_search` and `_count`.
pub fn search_params(req: &EsRequest) -> SearchParams {
    let get = |name: &str| req.param(name).map(str::to_string);
    SearchParams {
        q: get("q"),
        df: get("df"),
        default_and: req
            .param("default_operator")
            .is_some_and(|o| o.eq_ignore_ascii_case("and")),
        size: get("size"),
        from: get("from"),
        sort: get("sort"),
        source: get("_source"),
        track_total_hits: get("track_total_hits"),
        source_includes: get("_source_includes"),
        source_excludes: get("_source_excludes"),
        stored_fields: get("stored_fields"),
        docvalue_fields: get("docvalue_fields"),
        total_hits_as_int: total_hits_as_int(req),
        version: get("version"),
        seq_no_primary_term: get("seq_no_primary_term"),
    }
}

/// `?rest_total_hits_as_int` (present without a value, or `true`).
pub fn total_hits_as_int(req: &EsRequest) -> bool {
    matches!(req.param("rest_total_hits_as_int"), Some("" | "true"))
}

/// A JSON body; no body (or only whitespace) is JSON `null`.
pub fn json_body(body: &[u8]) -> Result<Value, EsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| EsError::parsing(format!("failed to parse request body: {e}")))
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn with_refresh(value: Option<&str>) -> EsRequest {
        let mut req = EsRequest::new(Method::POST, "/_bulk");
        if let Some(v) = value {
            req.query.push(("refresh".into(), v.into()));
        }
        req
    }

    #[test]
    fn parses_the_refresh_parameter_as_es() {
        let parsed = |v| refresh(&with_refresh(v)).ok();
        assert_eq!(parsed(None), Some(Refresh::False));
        assert_eq!(parsed(Some("")), Some(Refresh::True));
        assert_eq!(parsed(Some("true")), Some(Refresh::True));
        assert_eq!(parsed(Some("wait_for")), Some(Refresh::WaitFor));
        let err = refresh(&with_refresh(Some("soon"))).err();
        assert!(err.is_some_and(|e| e.status == 400 && e.to_string().contains("[soon]")));
    }

    #[test]
    fn bodies() {
        assert_eq!(json_body(b" \n").ok(), Some(Value::Null));
        assert_eq!(
            json_body(b"{\"a\":1}").ok(),
            Some(serde_json::json!({"a": 1}))
        );
        let err = json_body(b"{").err();
        assert!(err.is_some_and(|e| e.typ == "parsing_exception"));
    }
}
