//! Data stream APIs: `GET /_data_stream[/{name}]`, `PUT /_data_stream/{name}`,
//! `DELETE /_data_stream/{name}` and `POST /{name}/_rollover`, with ES 8's bodies.

use serde_json::{json, Value};

use crate::api::handlers::Handled;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::data_streams::DataStream;
use crate::Store;

/// One data stream as `GET _data_stream` shows it.
fn describe(stream: &DataStream) -> Value {
    let indices: Vec<Value> = stream
        .indices
        .iter()
        .map(|b| {
            json!({"index_name": b.index_name, "index_uuid": b.index_uuid, "prefer_ilm": true,
                   "managed_by": "Unmanaged"})
        })
        .collect();
    json!({
        "name": stream.name,
        "timestamp_field": {"name": "@timestamp"},
        "indices": indices,
        "generation": stream.generation,
        "status": "GREEN",
        "template": stream.template,
        "next_generation_managed_by": "Unmanaged",
        "prefer_ilm": true,
        "hidden": false,
        "system": false,
        "allow_custom_routing": false,
        "replicated": false,
        "rollover_on_write": false,
    })
}

/// `GET /_data_stream[/{name}]`: `{"data_streams": [...]}`; a name naming no data stream is 404.
pub fn get(store: &Store, req: &EsRequest, name: Option<&str>) -> Handled {
    let streams: Vec<Value> = store
        .index_set()
        .data_streams(name)?
        .iter()
        .map(describe)
        .collect();
    Ok(EsResponse::json(
        200,
        &json!({ "data_streams": streams }),
        &req.headers,
    ))
}

/// `PUT /_data_stream/{name}`: needs a matching template with `data_stream`.
pub fn create(store: &Store, req: &EsRequest, name: &str) -> Handled {
    store.index_set().create_data_stream(name)?;
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true}),
        &req.headers,
    ))
}

/// `DELETE /_data_stream/{name}`: the data streams and their backing indices.
pub fn delete(store: &Store, req: &EsRequest, name: &str) -> Handled {
    store.index_set().delete_data_streams(name)?;
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true}),
        &req.headers,
    ))
}

/// `POST /{name}/_rollover`: a new write index, unconditionally (no `conditions` are evaluated).
pub fn rollover(store: &Store, req: &EsRequest, name: &str) -> Handled {
    let done = store.index_set().rollover(name)?;
    let body = json!({
        "acknowledged": true,
        "shards_acknowledged": true,
        "old_index": done.old_index,
        "new_index": done.new_index,
        "rolled_over": true,
        "dry_run": false,
        "lazy": false,
        "conditions": {},
    });
    Ok(EsResponse::json(200, &body, &req.headers))
}
