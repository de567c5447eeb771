//! Alias APIs as ES's reference documents them: `POST /_aliases` (`add`, `remove`, `remove_index`
//! actions, all or none), `PUT|POST /{index}/_alias/{name}`, `DELETE /{index}/_alias/{name}`,
//! `GET|HEAD [/{index}]/_alias[/{name}]`, and the `aliases` of a create-index body.

use serde_json::{json, Map, Value};

use crate::api::error::EsError;
use crate::api::handlers::Handled;
use crate::api::params::json_body;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::doc::date::now_millis;
use crate::index::aliases::{AliasAction, AliasProps};
use crate::query::date_attr::DatePaths;
use crate::query::QueryBuilder;
use crate::search::source::strings;
use crate::Store;

/// The alias properties of a body (`is_write_index`, `filter`, `routing`, ...).
fn props(body: &Value) -> Result<AliasProps, EsError> {
    let mut body = body.clone();
    if let Value::Object(m) = &mut body {
        m.retain(|k, _| {
            matches!(
                k.as_str(),
                "is_write_index"
                    | "is_hidden"
                    | "filter"
                    | "routing"
                    | "index_routing"
                    | "search_routing"
            )
        });
    } else {
        body = json!({});
    }
    let mut props: AliasProps = serde_json::from_value(body)
        .map_err(|e| EsError::parsing(format!("[alias] failed to parse alias properties: {e}")))?;
    // `routing` is both routings, as ES keeps and shows it; one given on its own wins.
    if let Some(routing) = props.routing.take() {
        props.index_routing.get_or_insert_with(|| routing.clone());
        props.search_routing.get_or_insert(routing);
    }
    Ok(props)
}

/// The actions of a `POST /_aliases` body.
fn actions(body: &Value) -> Result<Vec<AliasAction>, EsError> {
    let list = body
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            EsError::illegal_argument(
                "Validation Failed: 1: Must specify at least one alias action;",
            )
        })?;
    let mut out = Vec::new();
    for item in list {
        let Some((kind, params)) = item.as_object().and_then(|m| m.iter().next()) else {
            return Err(EsError::parsing("[aliases] an action must be an object"));
        };
        let mut indices = strings(params.get("index"));
        indices.extend(strings(params.get("indices")));
        let mut aliases = strings(params.get("alias"));
        aliases.extend(strings(params.get("aliases")));
        if indices.is_empty() {
            return Err(EsError::illegal_argument(
                "Validation Failed: 1: One of [index] or [indices] is required;",
            ));
        }
        match kind.as_str() {
            "add" | "remove" if aliases.is_empty() => {
                return Err(EsError::illegal_argument(
                    "Validation Failed: 1: One of [alias] or [aliases] is required;",
                ))
            }
            "add" => {
                let p = props(params)?;
                for index in &indices {
                    for alias in &aliases {
                        out.push(AliasAction::Add {
                            index: index.clone(),
                            alias: alias.clone(),
                            props: p.clone(),
                        });
                    }
                }
            }
            "remove" => {
                let must_exist = params
                    .get("must_exist")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                for index in &indices {
                    for alias in &aliases {
                        out.push(AliasAction::Remove {
                            index: index.clone(),
                            alias: alias.clone(),
                            must_exist,
                        });
                    }
                }
            }
            "remove_index" => out.extend(
                indices
                    .into_iter()
                    .map(|index| AliasAction::RemoveIndex { index }),
            ),
            other => {
                return Err(EsError::parsing(format!(
                "[aliases] unknown action [{other}], expected one of [add, remove, remove_index]"
            )))
            }
        }
    }
    Ok(out)
}

/// Refuses an `add` whose `filter` is not a query the store can run on the indices it names, as ES
/// refuses it (400) before changing anything.
pub fn check_filters(store: &Store, actions: &[AliasAction]) -> Result<(), EsError> {
    let set = store.index_set();
    for action in actions {
        let AliasAction::Add {
            index,
            alias,
            props:
                AliasProps {
                    filter: Some(filter),
                    ..
                },
        } = action
        else {
            continue;
        };
        // Names that resolve to nothing are the update's own error.
        for h in set.resolve(index).unwrap_or_default() {
            let dates = DatePaths::lazy(|| set.date_paths(&h));
            QueryBuilder::new(&h.index, h.fields, now_millis())
                .with_dates(&dates)
                .build(Some(filter))
                .map_err(|e| {
                    EsError::illegal_argument(format!(
                        "failed to parse filter for alias [{alias}]: {e}"
                    ))
                })?;
        }
    }
    Ok(())
}

fn acknowledged(req: &EsRequest) -> Handled {
    Ok(EsResponse::json(
        200,
        &json!({"acknowledged": true, "errors": false}),
        &req.headers,
    ))
}

/// `POST /_aliases`.
pub fn update(store: &Store, req: &EsRequest) -> Handled {
    let body = json_body(&req.body)?;
    let actions = actions(&body)?;
    check_filters(store, &actions)?;
    store.index_set().update_aliases(&actions)?;
    acknowledged(req)
}

/// `PUT|POST /{index}/_alias/{name}`.
pub fn put(store: &Store, req: &EsRequest, index: &str, name: &str) -> Handled {
    let body = json_body(&req.body)?;
    let p = props(&body)?;
    let actions: Vec<AliasAction> = name
        .split(',')
        .map(|alias| AliasAction::Add {
            index: index.to_string(),
            alias: alias.to_string(),
            props: p.clone(),
        })
        .collect();
    check_filters(store, &actions)?;
    store.index_set().update_aliases(&actions)?;
    acknowledged(req)
}

/// `DELETE /{index}/_alias/{name}`: 404 when no such alias of those indices exists.
pub fn delete(store: &Store, req: &EsRequest, index: &str, name: &str) -> Handled {
    let actions: Vec<AliasAction> = name
        .split(',')
        .map(|alias| AliasAction::Remove {
            index: index.to_string(),
            alias: alias.to_string(),
            must_exist: true,
        })
        .collect();
    store.index_set().update_aliases(&actions)?;
    acknowledged(req)
}

/// The aliases of a create-index body (`{"aliases": {"name": {..}}}`) as actions on `index`.
pub fn create_body_aliases(index: &str, body: &Value) -> Result<Vec<AliasAction>, EsError> {
    let Some(aliases) = body.get("aliases").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    aliases
        .iter()
        .map(|(alias, p)| {
            Ok(AliasAction::Add {
                index: index.to_string(),
                alias: alias.clone(),
                props: props(p)?,
            })
        })
        .collect()
}

/// The aliases of an index as `GET /{index}` shows them.
pub fn index_aliases(store: &Store, index: &str) -> Value {
    match store.index_set().aliases_of(Some(index), None) {
        Ok((found, _)) => found
            .get(index)
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .unwrap_or_else(|| json!({})),
        Err(_) => json!({}),
    }
}

/// `GET|HEAD [/{index}]/_alias[/{name}]`: each index with its aliases; aliases named that do not exist
/// make it a 404 whose body still lists what was found, as ES answers.
pub fn get(store: &Store, req: &EsRequest, index: Option<&str>, name: Option<&str>) -> Handled {
    let (found, missing) = store.index_set().aliases_of(index, name)?;
    let mut body = Map::new();
    for (index, aliases) in found {
        body.insert(
            index,
            json!({"aliases": serde_json::to_value(aliases).map_err(EsError::internal)?}),
        );
    }
    let status = if missing.is_empty() {
        200
    } else {
        let which = if missing.len() == 1 {
            format!("alias [{}] missing", missing[0])
        } else {
            format!("aliases [{}] missing", missing.join(","))
        };
        body.insert("error".into(), json!(which));
        body.insert("status".into(), json!(404));
        404
    };
    Ok(EsResponse::json(status, &Value::Object(body), &req.headers))
}
