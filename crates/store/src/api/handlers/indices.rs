//! Index APIs: `PUT /{index}`, `DELETE /{index}`, `HEAD /{index}`, `GET /{index}`,
//! `GET /{index}/_mapping`, `[/{index}]/_refresh`.

use serde_json::{json, Map, Value};

use crate::api::handlers::Handled;
use crate::api::params::json_body;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::Store;

/// The mapping every index has (see `doc/schema.rs`).
fn mapping() -> Value {
    json!({"dynamic": "true", "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
    }})
}

/// `PUT /{index}`: the body (settings, mappings) must be JSON and is otherwise ignored. A name a data
/// stream template matches is refused (as ES: such names are data streams).
pub fn create(store: &Store, req: &EsRequest, index: &str) -> Handled {
    json_body(&req.body)?;
    store.index_set().check_plain_index_name(index)?;
    store.index_set().create(index)?;
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

/// `HEAD /{index}`: 200 when the expression resolves to at least one index, else 404.
pub fn exists(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let status = match store.index_set().resolve(index) {
        Ok(h) if !h.is_empty() => 200,
        _ => 404,
    };
    Ok(EsResponse::json(status, &Value::Null, &req.headers))
}

/// `GET /{index}`: aliases, mappings and settings of each index.
pub fn get(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let mut out = Map::new();
    for h in store.index_set().resolve(index)? {
        out.insert(h.name.clone(), json!({
            "aliases": {}, "mappings": mapping(),
            "settings": {"index": {"number_of_shards": "1", "number_of_replicas": "0", "provided_name": h.name}}
        }));
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// `GET /{index}/_mapping`.
pub fn get_mapping(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let mut out = Map::new();
    for h in store.index_set().resolve(index)? {
        out.insert(h.name.clone(), json!({ "mappings": mapping() }));
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// `[/{index}]/_refresh`: every write so far searchable.
pub fn refresh(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    store.refresh(index)?;
    let body = json!({"_shards": {"total": 1, "successful": 1, "failed": 0}});
    Ok(EsResponse::json(200, &body, &req.headers))
}
