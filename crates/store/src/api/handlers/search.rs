//! `[/{index}]/_search` and `[/{index}]/_count`: the body and URL parameters read into the search layer's
//! request, run, and its answer sent as it is.

use crate::api::handlers::Handled;
use crate::api::params::{json_body, search_params};
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::search::{count_query, SearchRequest, UrlQuery};
use crate::Store;

/// `index` without the names of nothing when the request has `ignore_unavailable`.
fn available(store: &Store, req: &EsRequest, index: Option<&str>) -> Option<String> {
    let ignore = matches!(req.param("ignore_unavailable"), Some("" | "true"));
    index.map(|expr| {
        if ignore {
            store.index_set().available_parts(expr)
        } else {
            expr.to_string()
        }
    })
}

/// `_search` over `index` (`None`: all indices).
pub fn search(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let index = available(store, req, index);
    let index = index.as_deref();
    let body = json_body(&req.body)?;
    let request = SearchRequest::parse(&body, &search_params(req))?;
    let answer = crate::search::search(store.index_set(), index, &request)?;
    Ok(EsResponse::json(200, &answer, &req.headers))
}

/// `_count` over `index` (`None`: all indices).
pub fn count(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let index = available(store, req, index);
    let index = index.as_deref();
    let body = json_body(&req.body)?;
    let query = count_query(&body)?;
    let params = search_params(req);
    let url = UrlQuery {
        q: params.q.as_deref(),
        df: params.df.as_deref(),
        and: params.default_and,
    };
    let answer = crate::search::count(store.index_set(), index, query, url)?;
    Ok(EsResponse::json(200, &answer, &req.headers))
}
