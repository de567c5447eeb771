//! Single-document APIs: `GET /{index}/_doc/{id}`, `PUT|POST /{index}/_doc/{id}`, `/{index}/_create/{id}`,
//! `POST /{index}/_doc`, `DELETE /{index}/_doc/{id}`. Writes run as a `_bulk` of one action, whose item is
//! the answer (a failed item is the request's error).

use serde_json::json;

use crate::api::error::EsError;
use crate::api::handlers::Handled;
use crate::api::params::{cas_params, json_body, op_type_create, refresh};
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::refresher::Refresh;
use crate::index::versions::PRIMARY_TERM;
use crate::search::get_source;
use crate::search::source::{apply_source_filter, url_source_filter, SourceFilter};
use crate::Store;

/// `GET|HEAD /{index}/_doc/{id}`: 200 with the source, or 404 with `found: false`. The URL parameters
/// `_source`, `_source_includes`, `_source_excludes` filter the source; `stored_fields` drops it unless
/// `_source` is asked for too.
pub fn get(store: &Store, req: &EsRequest, index: &str, id: &str) -> Handled {
    let filter = url_source_filter(
        req.param("_source"),
        req.param("_source_includes"),
        req.param("_source_excludes"),
    );
    let filter = match filter {
        Some(f) => f,
        None if req.param("stored_fields").is_some() => SourceFilter::None,
        None => SourceFilter::All,
    };
    let (status, body) = match get_source(store.index_set(), index, id)? {
        Some(got) => {
            let mut body = json!({"_index": got.index, "_id": id, "_version": got.version.version,
                "_seq_no": got.version.seq_no, "_primary_term": PRIMARY_TERM, "found": true});
            if let Some(source) = apply_source_filter(&filter, got.source) {
                body["_source"] = source;
            }
            (200, body)
        }
        None => (404, json!({"_index": index, "_id": id, "found": false})),
    };
    Ok(EsResponse::json(status, &body, &req.headers))
}

/// `PUT|POST /{index}/_doc/{id}` (`create` for `_create` or `?op_type=create`) and `POST /{index}/_doc`
/// (`id`: none).
pub fn put(store: &Store, req: &EsRequest, index: &str, id: Option<&str>, create: bool) -> Handled {
    let refresh = refresh(req)?;
    let doc = json_body(&req.body)?;
    if !doc.is_object() {
        return Err(EsError::new(
            400,
            "document_parsing_exception",
            "[1:1] failed to parse: document is not a JSON object",
        ));
    }
    // As ES, a document sent without an `_id` is created (`op_type=create`), which data streams take.
    let action = if create || id.is_none() || op_type_create(req) {
        "create"
    } else {
        "index"
    };
    let mut meta = json!({ action: cas_params(req)? });
    meta[action]["_index"] = json!(index);
    if let Some(id) = id {
        meta[action]["_id"] = json!(id);
    }
    if let Some(pipeline) = req.param("pipeline") {
        meta[action]["pipeline"] = json!(pipeline);
    }
    one_action(
        store,
        req,
        index,
        action,
        &format!("{meta}\n{doc}\n"),
        refresh,
    )
}

/// `DELETE /{index}/_doc/{id}`: a `_bulk` delete of one document of an existing index (ES does not create
/// one for it). 200 with `result: deleted`, or 404 with `result: not_found`, as ES answers. Writes take
/// `?if_seq_no=&if_primary_term=` (a 409 when the document has others).
pub fn delete(store: &Store, req: &EsRequest, index: &str, id: &str) -> Handled {
    let refresh = refresh(req)?;
    let targets = store.index_set().resolve(index)?;
    if targets.len() != 1 || targets[0].name != index {
        return Err(EsError::illegal_argument(format!(
            "[{index}] is not a single index: a document is deleted from one index"
        )));
    }
    let mut meta = json!({ "delete": cas_params(req)? });
    meta["delete"]["_index"] = json!(index);
    meta["delete"]["_id"] = json!(id);
    one_action(store, req, index, "delete", &format!("{meta}\n"), refresh)
}

/// A single-document request run as a `_bulk` of one `action` (its NDJSON `ndjson`): the item is the
/// answer, and a failed item is the request's error.
fn one_action(
    store: &Store,
    req: &EsRequest,
    index: &str,
    action: &str,
    ndjson: &str,
    refresh: Refresh,
) -> Handled {
    let resp = store.bulk(ndjson.as_bytes(), None, refresh)?.to_value();
    let item = resp["items"][0][action].clone();
    let status = item["status"].as_u64().unwrap_or(500) as u16;
    if let Some(err) = item.get("error") {
        let e = EsError::new(
            status,
            err["type"].as_str().unwrap_or("exception"),
            err["reason"].as_str().unwrap_or(""),
        )
        .with_index(index);
        return Err(e);
    }
    Ok(EsResponse::json(status, &item, &req.headers))
}
