//! The Elasticsearch REST edge of the store, independent of the HTTP server in front of it:
//! [`handle`] answers an [`EsRequest`] with an [`EsResponse`], and [`refuse`] renders a request the
//! server refuses itself (bad URL, body too large, overload) as an ES error.
//!
//! - [`request`], [`response`]: the transport-independent request and answer (media types, the
//!   `X-Elastic-Product` header);
//! - [`routes`]: method and path → endpoint; [`handlers`]: one handler per API area;
//! - [`params`], [`msearch_body`]: request models read from URL parameters and bodies; [`cat_table`]: the
//!   tables of `_cat`; [`bulk_response`]: the JSON of a `_bulk` answer;
//! - [`error`]: [`EsError`], the ES error body; [`error_map`]: the typed errors of the library layers →
//!   status and ES type;
//! - [`server`]: the API as a handler of the shared HTTP serving layer (`logpipe-http`).
//!
//! Any error is an ES-shaped body with a 4xx (input) or 5xx (internal) status; no input can panic a
//! handler.
//!
//! Architecture invariant: this is the only module that knows HTTP statuses, media types and ES error
//! bodies; it calls the library layers and never the other way round.

pub mod auth;
pub mod bulk_response;
pub mod cat_table;
pub mod error;
pub mod error_map;
pub mod handlers;
pub mod msearch_body;
pub mod params;
pub mod request;
pub mod response;
pub mod routes;
pub mod server;

use http::{HeaderMap, Method, StatusCode};

pub use auth::{Credentials, CredentialsError};
pub use error::EsError;
pub use request::EsRequest;
pub use response::EsResponse;
pub use server::{serve, serve_secured, ServeError, ServerHandle, MAX_BODY};

use handlers::{
    aliases, bulk, cat, cluster, data_streams, documents, indices, mapping, msearch, search,
    templates, Handled,
};
use routes::{route, Route};

use crate::Store;

/// Answers `req` against `store`. A `HEAD` answer has no body.
pub fn handle(store: &Store, req: EsRequest) -> EsResponse {
    let answer = dispatch(store, &req).unwrap_or_else(|e| {
        log::debug!("store: {} {}: {e}", req.method, req.path());
        EsResponse::error(&e, &req.headers)
    });
    if req.method == Method::HEAD {
        answer.without_body()
    } else {
        answer
    }
}

fn dispatch(store: &Store, req: &EsRequest) -> Handled {
    match route(&req.method, &req.segments)? {
        Route::Root => cluster::root(req),
        Route::ClusterHealth { index } => cluster::health(store, req, index),
        Route::GetSettings { index } => indices::get_settings(store, req, index),
        Route::CatIndices { index } => cat::indices(store, req, index),
        Route::Bulk { index } => bulk::bulk(store, req, index),
        Route::Search { index } => search::search(store, req, index),
        Route::Msearch { index } => msearch::msearch(store, req, index),
        Route::Count { index } => search::count(store, req, index),
        Route::Refresh { index } => indices::refresh(store, req, index),
        Route::CreateIndex { index } => indices::create(store, req, index),
        Route::DeleteIndex { index } => indices::delete(store, req, index),
        Route::IndexExists { index } => indices::exists(store, req, index),
        Route::GetIndex { index } => indices::get(store, req, index),
        Route::GetMapping { index } => mapping::get_mapping(store, req, index),
        Route::FieldCaps { index } => mapping::field_caps(store, req, index),
        Route::GetDoc { index, id } => documents::get(store, req, index, id),
        Route::PutDoc { index, id, create } => documents::put(store, req, index, Some(id), create),
        Route::PostDoc { index } => documents::put(store, req, index, None, false),
        Route::DeleteDoc { index, id } => documents::delete(store, req, index, id),
        Route::PutTemplate { name } => templates::put(store, req, name),
        Route::GetTemplates { name } => templates::get(store, req, name),
        Route::TemplateExists { name } => templates::exists(store, req, name),
        Route::DeleteTemplate { name } => templates::delete(store, req, name),
        Route::GetDataStreams { name } => data_streams::get(store, req, name),
        Route::CreateDataStream { name } => data_streams::create(store, req, name),
        Route::DeleteDataStream { name } => data_streams::delete(store, req, name),
        Route::Rollover { name } => data_streams::rollover(store, req, name),
        Route::CloseIndex { index } => indices::close(store, req, index),
        Route::OpenIndex { index } => indices::open(store, req, index),
        Route::UpdateAliases => aliases::update(store, req),
        Route::PutAlias { index, name } => aliases::put(store, req, index, name),
        Route::DeleteAlias { index, name } => aliases::delete(store, req, index, name),
        Route::GetAliases { index, name } => aliases::get(store, req, index, name),
    }
}

/// The ES answer to a request the HTTP server refuses before it reaches [`handle`]: `status` with an
/// error of the matching ES type and `reason`, in the media type the request's headers ask for.
pub fn refuse(status: StatusCode, reason: &str, request_headers: &HeaderMap) -> EsResponse {
    let typ = match status.as_u16() {
        413 => "content_too_long_exception",
        408 => "timeout_exception",
        429 | 503 => "es_rejected_execution_exception",
        400..=499 => "illegal_argument_exception",
        _ => "exception",
    };
    EsResponse::error(&EsError::new(status.as_u16(), typ, reason), request_headers)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::header::{HeaderValue, ACCEPT};

    use super::*;

    /// The API answers requests built in process, with no HTTP server: what the shared HTTP layer will do.
    #[test]
    fn answers_requests_without_a_server() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let mut bulk = EsRequest::new(Method::POST, "/app/_bulk");
        bulk.query.push(("refresh".into(), "true".into()));
        bulk.body = Bytes::from_static(b"{\"index\":{\"_id\":\"1\"}}\n{\"message\":\"hello\"}\n");
        let r = handle(&store, bulk);
        assert_eq!(r.status, StatusCode::OK, "{}", r.body_text());
        assert!(r.body_text().contains("\"result\":\"created\""));

        let mut count = EsRequest::new(Method::GET, "/app/_count");
        count.headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.elasticsearch+json; compatible-with=8"),
        );
        let r = handle(&store, count);
        assert_eq!(
            r.body_text(),
            r#"{"_shards":{"failed":0,"skipped":0,"successful":1,"total":1},"count":1}"#
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/vnd.elasticsearch+json;compatible-with=8")
        );

        let r = handle(&store, EsRequest::new(Method::HEAD, "/app"));
        assert_eq!((r.status, r.body.len()), (StatusCode::OK, 0));
        let r = handle(&store, EsRequest::new(Method::HEAD, "/missing"));
        assert_eq!((r.status, r.body.len()), (StatusCode::NOT_FOUND, 0));
        let r = handle(&store, EsRequest::new(Method::GET, "/missing/_search"));
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body_text().contains("index_not_found_exception"));

        // What the server refuses itself is an ES error too.
        let r = refuse(StatusCode::PAYLOAD_TOO_LARGE, "too big", &HeaderMap::new());
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            r.body_text(),
            r#"{"error":{"reason":"too big","root_cause":[{"reason":"too big","type":"content_too_long_exception"}],"type":"content_too_long_exception"},"status":413}"#
        );
        assert_eq!(r.header("x-elastic-product"), Some("Elasticsearch"));
        store.close();
        Ok(())
    }
}
