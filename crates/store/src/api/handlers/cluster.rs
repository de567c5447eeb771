//! `GET /` (what the store is) and `GET /_cluster/health`.

use serde_json::{json, Map, Value};

use crate::api::error::EsError;

use crate::api::handlers::Handled;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::Store;

/// The version the store answers as: a recent ES 8, which clients and tools accept.
fn root_info() -> Value {
    json!({
        "name": "logpipe",
        "cluster_name": "logpipe",
        "cluster_uuid": "bG9ncGlwZS1zdG9yZQ",
        "version": {
            "number": "8.15.0",
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": "logpipe",
            "build_date": "2024-08-05T10:05:34.233336849Z",
            "build_snapshot": false,
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    })
}

/// `GET|HEAD /`.
pub fn root(req: &EsRequest) -> Handled {
    Ok(EsResponse::json(200, &root_info(), &req.headers))
}

/// `GET /_cluster/health[/{index}]`: one node, every index green with one primary shard; with
/// `level=indices` (or `shards`) each index's health under `indices`.
pub fn health(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let handles = match index {
        Some(expr) => store.index_set().resolve(expr)?,
        None => store.index_set().all(),
    };
    let n = handles.len();
    let mut body = json!({
        "cluster_name": "logpipe", "status": "green", "timed_out": false,
        "number_of_nodes": 1, "number_of_data_nodes": 1,
        "active_primary_shards": n, "active_shards": n, "relocating_shards": 0,
        "initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0
    });
    match req.param("level") {
        None | Some("cluster") => {}
        Some("indices" | "shards") => {
            let indices: Map<String, Value> = handles
                .iter()
                .map(|h| {
                    let health = json!({
                        "status": "green", "number_of_shards": 1, "number_of_replicas": 0,
                        "active_primary_shards": 1, "active_shards": 1, "relocating_shards": 0,
                        "initializing_shards": 0, "unassigned_shards": 0
                    });
                    (h.name.clone(), health)
                })
                .collect();
            body["indices"] = Value::Object(indices);
        }
        Some(other) => {
            return Err(EsError::illegal_argument(format!(
                "No enum constant org.elasticsearch.action.admin.cluster.health.ClusterHealthRequest.Level.{}",
                other.to_uppercase()
            )))
        }
    }
    Ok(EsResponse::json(200, &body, &req.headers))
}
