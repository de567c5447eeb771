//! Index APIs: `PUT /{index}`, `DELETE /{index}`, `HEAD /{index}`, `GET /{index}`,
//! `GET [/{index}]/_settings`, `[/{index}]/_refresh`, `POST /{index}/_close`, `POST /{index}/_open`.

use serde_json::{json, Map, Value};

use crate::api::handlers::aliases::{create_body_aliases, index_aliases};
use crate::api::handlers::mapping::index_mappings;
use crate::api::handlers::Handled;
use crate::api::params::json_body;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::{IndexError, IndexHandle};
use crate::Store;

/// `PUT /{index}`: the body's `mappings` are kept and reported (`_mapping`, `_field_caps`), its `aliases`
/// created; its settings
/// must be JSON and are otherwise ignored. A name a data stream template matches is refused (as ES: such
/// names are data streams).
pub fn create(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let body = json_body(&req.body)?;
    store.index_set().check_plain_index_name(index)?;
    let mappings = body.get("mappings").cloned().unwrap_or(Value::Null);
    let aliases = create_body_aliases(index, &body)?;
    store.index_set().create_with_mappings(index, &mappings)?;
    if !aliases.is_empty() {
        store.index_set().update_aliases(&aliases)?;
    }
    let body = json!({"acknowledged": true, "shards_acknowledged": true, "index": index});
    Ok(EsResponse::json(200, &body, &req.headers))
}

/// `DELETE /{index}` (names, patterns, `_all`).
pub fn delete(store: &Store, req: &EsRequest, index: &str) -> Handled {
    store.delete_index(index)?;
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true}),
        &req.headers,
    ))
}

/// `HEAD /{index}`: 200 when the expression resolves to at least one index (a closed one too), else 404.
pub fn exists(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let status = match store.index_set().resolve(index) {
        Ok(h) if !h.is_empty() => 200,
        Err(IndexError::Closed { .. }) => 200,
        _ => 404,
    };
    Ok(EsResponse::json(status, &Value::Null, &req.headers))
}

/// `GET /{index}`: aliases, mappings and settings of each index.
pub fn get(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let mut out = Map::new();
    for h in store.index_set().resolve(index)? {
        out.insert(
            h.name.clone(),
            json!({
                "aliases": index_aliases(store, &h.name), "mappings": index_mappings(store, &h),
                "settings": settings(&h)
            }),
        );
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// `GET /{index}/_settings`: each index's settings, as in `GET /{index}`.
pub fn get_settings(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let mut out = Map::new();
    let handles = match index {
        Some(expr) => store.index_set().resolve(expr)?,
        None => store.index_set().all(),
    };
    for h in handles {
        out.insert(h.name.clone(), json!({ "settings": settings(&h) }));
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// The `settings` of an index as ES shows them (strings).
fn settings(h: &IndexHandle) -> Value {
    json!({"index": {
        "number_of_shards": "1",
        "number_of_replicas": "0",
        "provided_name": h.name,
        "uuid": h.uuid(),
        "creation_date": h.creation_date().to_string(),
        "version": {"created": "8512000"},
    }})
}

/// `[/{index}]/_refresh`: every write so far searchable; one shard per index refreshed, as ES counts them
/// (no replicas).
pub fn refresh(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let n = store.refresh(index)?;
    let body = json!({"_shards": {"total": n, "successful": n, "failed": 0}});
    Ok(EsResponse::json(200, &body, &req.headers))
}

/// `POST /{index}/_close`: ES 8's answer names each index closed.
pub fn close(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let names = store.index_set().close_indices(index)?;
    let indices: Map<String, Value> = names
        .into_iter()
        .map(|n| (n, json!({"closed": true})))
        .collect();
    let body = json!({"acknowledged": true, "shards_acknowledged": true, "indices": indices});
    Ok(EsResponse::json(200, &body, &req.headers))
}

/// `POST /{index}/_open`.
pub fn open(store: &Store, req: &EsRequest, index: &str) -> Handled {
    store.index_set().open_indices(index)?;
    let body = json!({"acknowledged": true, "shards_acknowledged": true});
    Ok(EsResponse::json(200, &body, &req.headers))
}
