//! Index APIs: `PUT /{index}`, `DELETE /{index}`, `HEAD /{index}`, `GET /{index}`,
//! `GET [/{index}]/_settings`, `[/{index}]/_refresh`, `POST /{index}/_close`, `POST /{index}/_open`.

use serde_json::{json, Map, Value};

use crate::api::handlers::aliases::{check_filters, create_body_aliases, index_aliases};
use crate::api::handlers::mapping::index_mappings;
use crate::api::handlers::Handled;
use crate::api::params::json_body;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::mapping::properties;
use crate::index::IndexError;
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
        // The filters are checked against the new index: one that is not a query undoes the creation.
        if let Err(err) = check_filters(store, &aliases) {
            store.index_set().delete(index)?;
            return Err(err);
        }
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

/// `GET /{index}`: aliases, mappings and settings of each index. A closed index is listed too, as ES lists
/// it (`index.verified_before_close`), with the mappings of its last commit.
pub fn get(store: &Store, req: &EsRequest, index: &str) -> Handled {
    let set = store.index_set();
    let open = set.without_closed_names(index);
    let handles = if open.is_empty() {
        Vec::new()
    } else {
        set.resolve(&open)?
    };
    let mut out = Map::new();
    for h in handles {
        out.insert(
            h.name.clone(),
            json!({
                "aliases": index_aliases(store, &h.name), "mappings": index_mappings(store, &h),
                "settings": settings(&h.name, h.uuid(), h.creation_date(), false)
            }),
        );
    }
    let closed = set.closed_named(index);
    for (name, c) in set.closed_indices() {
        if closed.contains(&name) {
            let settings = settings(&name, &c.identity.uuid, c.identity.creation_date, true);
            let mappings =
                json!({"properties": properties(&set.closed_field_mappings(&name, &c)?)});
            out.insert(
                name.clone(),
                json!({"aliases": index_aliases(store, &name), "mappings": mappings, "settings": settings}),
            );
        }
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// `GET [/{index}]/_settings`: each index's settings, as in `GET /{index}`. Closed indices are answered
/// too, named or matched by a pattern (ES's `_settings` expands wildcards to closed indices).
pub fn get_settings(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let set = store.index_set();
    let mut out = Map::new();
    let handles = match index {
        Some(expr) => {
            let open = set.without_closed_names(expr);
            if open.is_empty() {
                Vec::new()
            } else {
                set.resolve(&open)?
            }
        }
        None => set.all(),
    };
    for h in handles {
        let settings = settings(&h.name, h.uuid(), h.creation_date(), false);
        out.insert(h.name.clone(), json!({ "settings": settings }));
    }
    let closed = set.closed_named(index.unwrap_or("*"));
    for (name, c) in set.closed_indices() {
        if closed.contains(&name) {
            let settings = settings(&name, &c.identity.uuid, c.identity.creation_date, true);
            out.insert(name, json!({ "settings": settings }));
        }
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// The `settings` of an index as ES shows them (strings); a closed index's say so.
fn settings(name: &str, uuid: &str, creation_date: i64, closed: bool) -> Value {
    let mut settings = json!({"index": {
        "number_of_shards": "1",
        "number_of_replicas": "0",
        "provided_name": name,
        "uuid": uuid,
        "creation_date": creation_date.to_string(),
        "version": {"created": "8512000"},
    }});
    if closed {
        settings["index"]["verified_before_close"] = json!("true");
    }
    settings
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
