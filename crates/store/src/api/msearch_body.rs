//! The request model of `_msearch`: an NDJSON body of a header line (`{"index": "app-*"}`,
//! `{"index": ["a", "b"]}` or `{}`, which takes the index of the path) and a search body line per search.
//! `ignore_unavailable: true` leaves out names of no index (Grafana names every daily index of its time
//! range); other header keys (`preference`, `search_type`, ...) change nothing on a store of one shard per
//! index, and are accepted and ignored. A body that is not such NDJSON is an
//! [`EsError`] naming the line.

use serde_json::Value;

use crate::api::error::EsError;

/// The header of one search of an `_msearch`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Its `index` (`None`: the index of the path).
    pub index: Option<String>,
    /// Its `ignore_unavailable`.
    pub ignore_unavailable: bool,
}

/// Calls `f` with each (header, search body) pair of an `_msearch` body in turn, holding one search at a
/// time; stops at the first error (a malformed line, or `f`'s own).
pub fn for_each(
    body: &[u8],
    mut f: impl FnMut(Header, Value) -> Result<(), EsError>,
) -> Result<(), EsError> {
    let mut lines = body
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace));
    let mut searches = 0usize;
    while let Some((n, header)) = lines.next() {
        let header: Value = serde_json::from_slice(header).map_err(|e| {
            EsError::parsing(format!(
                "[_msearch] header on line [{}] is not JSON: {e}",
                n + 1
            ))
        })?;
        let index = header_index(&header, n + 1)?;
        let ignore_unavailable = match header.get("ignore_unavailable") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
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
        searches += 1;
        f(
            Header {
                index,
                ignore_unavailable,
            },
            search_body,
        )?;
    }
    if searches == 0 {
        return Err(EsError::illegal_argument(
            "[_msearch] the request body has no search",
        ));
    }
    Ok(())
}

/// The `index` of the header on line `line`: a name or pattern, a comma list, or an array of them.
fn header_index(header: &Value, line: usize) -> Result<Option<String>, EsError> {
    let bad = |reason: &str| EsError::parsing(format!("[_msearch] line [{line}]: {reason}"));
    let Some(map) = header.as_object() else {
        return Err(bad("a header must be a JSON object"));
    };
    match map.get("index") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(index)) => Ok(Some(index.clone())),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| {
                name.as_str()
                    .ok_or_else(|| bad("[index] holds a non-string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|names| Some(names.join(","))),
        Some(_) => Err(bad("[index] must be a string or an array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The (index of the header, search body) pairs of an `_msearch` body.
    fn parse(body: &[u8]) -> Result<Vec<(Option<String>, Value)>, EsError> {
        let mut searches = Vec::new();
        for_each(body, |header, search_body| {
            searches.push((header.index, search_body));
            Ok(())
        })?;
        Ok(searches)
    }

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
