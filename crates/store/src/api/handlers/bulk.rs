//! `POST|PUT [/{index}]/_bulk`: the answer is serialized straight from its typed form
//! (`api/bulk_response.rs`).

use crate::api::handlers::Handled;
use crate::api::params::refresh;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::Store;

/// `_bulk` with `index` as the default target of actions that name none (and `?pipeline=` as their
/// default ingest pipeline).
pub fn bulk(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let refresh = refresh(req)?;
    let response = store.bulk_with_pipeline(&req.body, index, req.param("pipeline"), refresh)?;
    Ok(EsResponse::json_bytes(200, response.to_vec(), &req.headers))
}
