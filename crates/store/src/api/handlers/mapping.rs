//! `GET [/{index}]/_mapping` and `GET|POST [/{index}]/_field_caps`: the fields of indices with their types
//! (`index/mapping.rs`), as ES shows them: `_mapping` as each index's `properties` tree, `_field_caps` as
//! one entry per field and type merged across the indices of the request (with `indices` naming which
//! index has which type where they differ), `object` parents and `.keyword` sub-fields included.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::api::handlers::Handled;
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::index::mapping::{properties, FieldMappings};
use crate::index::{IndexError, IndexHandle};
use crate::wildcard;
use crate::Store;

/// The indices of `index` (`None`: all); with `ignore_unavailable`, names that do not exist are skipped.
fn targets(
    store: &Store,
    req: &EsRequest,
    index: Option<&str>,
) -> Result<Vec<std::sync::Arc<IndexHandle>>, IndexError> {
    let set = store.index_set();
    let Some(expr) = index else {
        return Ok(set.all());
    };
    if matches!(req.param("ignore_unavailable"), Some("" | "true")) {
        return set.resolve(&set.available_parts(expr));
    }
    set.resolve(expr)
}

/// `GET [/{index}]/_mapping`. A closed index named by its name is answered too (ES keeps its mapping);
/// patterns reach open indices only, as ES's default `expand_wildcards` of `_mapping`.
pub fn get_mapping(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let set = store.index_set();
    let mut out = Map::new();
    let answer = |fields: &FieldMappings| json!({"mappings": {"properties": properties(fields)}});
    let open = index.map(|expr| set.without_closed_names(expr));
    if open.as_deref() != Some("") {
        for h in targets(store, req, open.as_deref())? {
            out.insert(h.name.clone(), answer(&set.field_mappings(&h)));
        }
    }
    if let Some(expr) = index {
        let named: Vec<&str> = expr.split(',').map(str::trim).collect();
        for (name, closed) in set.closed_indices() {
            if named.contains(&name.as_str()) {
                let fields = set.closed_field_mappings(&name, &closed)?;
                out.insert(name, answer(&fields));
            }
        }
    }
    Ok(EsResponse::json(200, &Value::Object(out), &req.headers))
}

/// The mappings of one index as `GET /{index}` shows them.
pub fn index_mappings(store: &Store, h: &IndexHandle) -> Value {
    json!({"properties": properties(&store.index_set().field_mappings(h))})
}

/// Every field `fields` lists with its field-caps type: leaves, their sub-fields (`name.keyword`) and the
/// `object` fields above them.
fn caps_types(fields: &FieldMappings) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (path, mapping) in fields {
        let typ = mapping["type"].as_str().unwrap_or("object").to_string();
        out.insert(path.clone(), typ);
        if let Some(subs) = mapping.get("fields").and_then(Value::as_object) {
            for (sub, m) in subs {
                let typ = m["type"].as_str().unwrap_or("keyword").to_string();
                out.insert(format!("{path}.{sub}"), typ);
            }
        }
        let mut parent = path.as_str();
        while let Some((p, _)) = parent.rsplit_once('.') {
            out.entry(p.to_string())
                .or_insert_with(|| "object".to_string());
            parent = p;
        }
    }
    out
}

/// Whether a field of type `typ` can be aggregated on (doc values): not `text`, `object` or `nested`.
fn aggregatable(typ: &str) -> bool {
    !matches!(
        typ,
        "text" | "object" | "nested" | "match_only_text" | "binary"
    )
}

/// `GET|POST [/{index}]/_field_caps?fields=..`.
pub fn field_caps(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let patterns: Vec<&str> = req
        .param("fields")
        .unwrap_or("*")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let handles = targets(store, req, index)?;
    // field → type → indices having it.
    let mut caps: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for h in &handles {
        let mut types = caps_types(&store.index_set().field_mappings(h));
        for (meta, typ) in [("_id", "_id"), ("_index", "_index"), ("_source", "_source")] {
            types.insert(meta.to_string(), typ.to_string());
        }
        for (field, typ) in types {
            if patterns.iter().any(|p| wildcard::matches(p, &field)) {
                caps.entry(field)
                    .or_default()
                    .entry(typ)
                    .or_default()
                    .push(h.name.clone());
            }
        }
    }
    let mut fields = Map::new();
    for (field, by_type) in caps {
        let several = by_type.len() > 1;
        let mut entry = Map::new();
        for (typ, indices) in by_type {
            let metadata = field.starts_with('_');
            let mut cap = json!({
                "type": typ,
                "metadata_field": metadata,
                "searchable": typ != "object" && typ != "_source",
                "aggregatable": aggregatable(&typ) && typ != "_source" && typ != "_id",
            });
            if several {
                cap["indices"] = json!(indices);
            }
            entry.insert(typ, cap);
        }
        fields.insert(field, Value::Object(entry));
    }
    let names: Vec<&str> = handles.iter().map(|h| h.name.as_str()).collect();
    let body = json!({"indices": names, "fields": fields});
    Ok(EsResponse::json(200, &body, &req.headers))
}
