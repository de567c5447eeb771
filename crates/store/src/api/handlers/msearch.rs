//! `GET|POST [/{index}]/_msearch`: several searches in one request, as Grafana's Elasticsearch data source
//! and the official clients' `msearch` send them (the body: `msearch_body.rs`).
//!
//! The answer has `took` and one entry of `responses` per search, in order: the search's own answer with
//! `"status": 200`, or its error body (which carries its status). A search that fails fails alone; only a
//! body that is not such NDJSON fails the whole request.

use std::time::Instant;

use serde_json::{json, Value};

use crate::api::error::EsError;
use crate::api::handlers::Handled;
use crate::api::msearch_body::for_each;
use crate::api::params::total_hits_as_int;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::breaker::RequestBreaker;
use crate::index::IndexSet;
use crate::search::{SearchParams, SearchRequest};
use crate::Store;

/// `_msearch`; `path_index` is the index of the URL, if any. Its answers are kept as JSON text, not
/// trees, while the searches run, and bounded by the request breaker (`request_breaker_bytes`).
pub fn msearch(store: &Store, req: &EsRequest, path_index: Option<&str>) -> Handled {
    let limit = store.index_set().settings().request_breaker_bytes;
    msearch_within(store, req, path_index, limit)
}

/// `_msearch` whose answer may be at most `limit` bytes. The body is checked whole first (a malformed
/// line fails the request before any search runs), then the searches run one at a time, ES's
/// `max_concurrent_searches` of 1; an answer growing past `limit` fails the request with ES's request
/// circuit breaker error.
pub fn msearch_within(
    store: &Store,
    req: &EsRequest,
    path_index: Option<&str>,
    limit: usize,
) -> Handled {
    let start = Instant::now();
    for_each(&req.body, |_, _| Ok(()))?;
    if let Some(max) = req.param("max_concurrent_searches") {
        if !max.parse::<u32>().is_ok_and(|n| n > 0) {
            return Err(EsError::illegal_argument(format!(
                "maxConcurrentSearches must be positive, found [{max}]"
            )));
        }
    }
    let params = SearchParams {
        total_hits_as_int: total_hits_as_int(req),
        ..SearchParams::default()
    };
    let mut breaker = RequestBreaker::new("<msearch_response>", limit);
    let mut answers: Vec<u8> = b"{\"responses\":[".to_vec();
    let mut first = true;
    for_each(&req.body, |header, search_body| {
        let named = header.index.as_deref().or(path_index);
        let available = match named {
            Some(expr) if header.ignore_unavailable => {
                Some(store.index_set().available_parts(expr))
            }
            _ => None,
        };
        let index = available.as_deref().or(named);
        let answer = match one_search(store.index_set(), index, &search_body, &params) {
            Ok(mut answer) => {
                answer["status"] = json!(200);
                answer
            }
            Err(error) => error.to_body(),
        };
        if !first {
            answers.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut answers, &answer).map_err(EsError::internal)?;
        breaker.set(answers.len())?;
        Ok(())
    })?;
    answers.extend_from_slice(
        format!("],\"took\":{}}}", start.elapsed().as_millis() as u64).as_bytes(),
    );
    Ok(EsResponse::json_bytes(200, answers, &req.headers))
}

fn one_search(
    set: &IndexSet,
    index: Option<&str>,
    body: &Value,
    params: &SearchParams,
) -> Result<Value, EsError> {
    let request = SearchRequest::parse(body, params)?;
    Ok(crate::search::search(set, index, &request)?)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::Method;

    use super::*;

    fn request(searches: usize) -> EsRequest {
        let mut req = EsRequest::new(Method::POST, "/_msearch");
        req.body = Bytes::from("{}\n{\"size\":0}\n".repeat(searches));
        req
    }

    /// The answers of an `_msearch` are bounded: past the limit the request fails whole with ES's
    /// request breaker error (429), instead of the store holding every answer.
    #[test]
    fn an_answer_past_the_limit_trips_the_breaker() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let answer = msearch_within(&store, &request(3), None, 1024)?;
        let body: Value = serde_json::from_slice(&answer.body)?;
        assert_eq!(body["responses"].as_array().map(Vec::len), Some(3));
        assert!(body["took"].is_u64());

        let err = msearch_within(&store, &request(100), None, 1024).err();
        let err = err.ok_or("no error past the limit")?;
        assert_eq!(
            (err.status, err.typ.as_str()),
            (429, "circuit_breaking_exception")
        );
        assert!(
            err.reason
                .starts_with("[request] Data too large, data for [<msearch_response>]")
                && err
                    .reason
                    .ends_with("which is larger than the limit of [1024/1kb]"),
            "{}",
            err.reason
        );
        let mut req = request(1);
        req.query
            .push(("max_concurrent_searches".into(), "0".into()));
        assert!(msearch_within(&store, &req, None, 1024).is_err_and(|e| e.status == 400));
        store.close();
        Ok(())
    }
}
