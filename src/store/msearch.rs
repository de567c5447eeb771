//! `GET|POST /_msearch` and `/{index}/_msearch`: several searches in one request, as Grafana's
//! Elasticsearch data source and the official clients' `msearch` send them.
//!
//! The body is NDJSON: a header line (`{"index": "app-*"}`, `{"index": ["a", "b"]}` or `{}`, which takes
//! the index of the path) and a search body line, per search. The answer has `took` and one entry of
//! `responses` per search, in order: the search's own answer with `"status": 200`, or its error body (which
//! carries its status). A search that fails fails alone; only a body that is not such NDJSON fails the
//! whole request. Header keys other than `index` (`preference`, `search_type`, `ignore_unavailable`, ...)
//! change nothing on a store of one shard per index, and are accepted and ignored.

use serde_json::{json, Value};
use std::time::Instant;

use super::error::EsError;
use super::index_set::IndexSet;
use super::search::{search, Params};

/// Runs every search of `body`; `path_index` is the index of the URL, if any.
pub fn msearch(set: &IndexSet, path_index: Option<&str>, body: &[u8]) -> Result<Value, EsError> {
    let start = Instant::now();
    let searches = parse(body)?;
    let params = Params::new();
    let responses: Vec<Value> = searches
        .into_iter()
        .map(|(index, search_body)| {
            let index = index.as_deref().or(path_index);
            match search(set, index, &search_body, &params) {
                Ok(mut answer) => {
                    answer["status"] = json!(200);
                    answer
                }
                Err(error) => error.to_body(),
            }
        })
        .collect();
    Ok(json!({
        "took": start.elapsed().as_millis() as u64,
        "responses": responses,
    }))
}

/// The (index of the header, search body) pairs of an `_msearch` body.
fn parse(body: &[u8]) -> Result<Vec<(Option<String>, Value)>, EsError> {
    let mut lines = body
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace));
    let mut searches = Vec::new();
    while let Some((n, header)) = lines.next() {
        let header: Value = serde_json::from_slice(header).map_err(|e| {
            EsError::parsing(format!(
                "[_msearch] header on line [{}] is not JSON: {e}",
                n + 1
            ))
        })?;
        let index = header_index(&header)
            .map_err(|reason| EsError::parsing(format!("[_msearch] line [{}]: {reason}", n + 1)))?;
        let Some((n, search_body)) = lines.next() else {
            return Err(EsError::parsing(format!(
                "[_msearch] header on line [{}] has no search body after it",
                n + 1
            )));
        };
        let search_body: Value = serde_json::from_slice(search_body).map_err(|e| {
            EsError::parsing(format!(
                "[_msearch] body on line [{}] is not JSON: {e}",
                n + 1
            ))
        })?;
        searches.push((index, search_body));
    }
    if searches.is_empty() {
        return Err(EsError::illegal_argument(
            "[_msearch] the request body has no search",
        ));
    }
    Ok(searches)
}

/// The `index` of a header: a name or pattern, a comma list, or an array of them.
fn header_index(header: &Value) -> Result<Option<String>, String> {
    let Some(map) = header.as_object() else {
        return Err("a header must be a JSON object".to_string());
    };
    match map.get("index") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(index)) => Ok(Some(index.clone())),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| name.as_str().ok_or("[index] holds a non-string"))
            .collect::<Result<Vec<_>, _>>()
            .map(|names| Some(names.join(",")))
            .map_err(String::from),
        Some(_) => Err("[index] must be a string or an array of strings".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_headers_with_bodies() {
        let body = b"{\"index\":\"a-*\"}\n{\"size\":0}\n\n{}\n{\"query\":{\"match_all\":{}}}\n{\"index\":[\"x\",\"y\"]}\n{}\n";
        let searches = parse(body).expect("parses");
        let indices: Vec<Option<&str>> = searches.iter().map(|(i, _)| i.as_deref()).collect();
        assert_eq!(indices, [Some("a-*"), None, Some("x,y")]);
        assert_eq!(searches[0].1, json!({"size": 0}));
    }

    #[test]
    fn malformed_bodies_are_errors_naming_the_line() {
        let reason = |body: &[u8]| parse(body).err().map(|e| e.to_body().to_string());
        assert!(reason(b"{}\n").is_some_and(|r| r.contains("no search body")));
        assert!(reason(b"{}\nnot json\n").is_some_and(|r| r.contains("line [2]")));
        assert!(reason(b"[1]\n{}\n").is_some_and(|r| r.contains("JSON object")));
        assert!(reason(b"{\"index\":3}\n{}\n").is_some_and(|r| r.contains("[index]")));
        assert!(reason(b"\n").is_some());
    }
}
