//! Composable index template APIs: `PUT|POST /_index_template/{name}` (`?create=true`: only a new one),
//! `GET /_index_template[/{name}]` (names, patterns, comma separated), `HEAD /_index_template/{name}`,
//! `DELETE /_index_template/{name}`, with ES's bodies.

use serde_json::{json, Value};

use crate::api::error::EsError;
use crate::api::handlers::Handled;
use crate::api::params::json_body;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::templates::IndexTemplate;
use crate::Store;

/// `PUT /_index_template/{name}`: `{"acknowledged": true}`.
pub fn put(store: &Store, req: &EsRequest, name: &str) -> Handled {
    let body = json_body(&req.body)?;
    let template = IndexTemplate::from_body(name, &body).map_err(crate::index::IndexError::from)?;
    if req.param("create") == Some("true") && store.index_set().templates(Some(name)).is_ok() {
        return Err(EsError::illegal_argument(format!(
            "index template [{name}] already exists"
        )));
    }
    store.index_set().put_template(name, template)?;
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true}),
        &req.headers,
    ))
}

/// `GET /_index_template[/{name}]`: `{"index_templates": [{"name", "index_template"}]}`.
pub fn get(store: &Store, req: &EsRequest, name: Option<&str>) -> Handled {
    let listed: Vec<Value> = store
        .index_set()
        .templates(name)?
        .into_iter()
        .map(|(name, template)| json!({"name": name, "index_template": template}))
        .collect();
    Ok(EsResponse::json(
        200,
        &json!({ "index_templates": listed }),
        &req.headers,
    ))
}

/// `HEAD /_index_template/{name}`: 200 when it exists, else 404.
pub fn exists(store: &Store, req: &EsRequest, name: &str) -> Handled {
    let status = match store.index_set().templates(Some(name)) {
        Ok(found) if !found.is_empty() => 200,
        _ => 404,
    };
    Ok(EsResponse::json(status, &Value::Null, &req.headers))
}

/// `DELETE /_index_template/{name}`.
pub fn delete(store: &Store, req: &EsRequest, name: &str) -> Handled {
    store.index_set().delete_template(name)?;
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true}),
        &req.headers,
    ))
}
