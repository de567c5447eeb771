//! `GET /_cat/indices[/{index}]`: one row per index, as Elasticsearch's columns (`health`, `status`,
//! `index`, `uuid`, `pri`, `rep`, `docs.count`, `docs.deleted`, `store.size`, `pri.store.size`), with
//! `health=` filtering and the table parameters of `cat_table.rs` (`v`, `h=`, `s=`, `bytes=`, `format=`).

use crate::api::cat_table::{render, Cell, Column};
use crate::api::error::EsError;
use crate::api::handlers::Handled;
use crate::api::request::EsRequest;
use crate::Store;

const fn column(
    name: &'static str,
    aliases: &'static [&'static str],
    right_aligned: bool,
) -> Column {
    Column {
        name,
        aliases,
        right_aligned,
    }
}

/// The columns of `_cat/indices`, with ES's aliases.
const INDICES: [Column; 10] = [
    column("health", &["h"], false),
    column("status", &["s"], false),
    column("index", &["i", "idx"], false),
    column("uuid", &["id", "uuid"], false),
    column("pri", &["p", "shards.primary", "shardsPrimary"], true),
    column("rep", &["r", "shards.replica", "shardsReplica"], true),
    column("docs.count", &["dc", "docsCount"], true),
    column("docs.deleted", &["dd", "docsDeleted"], true),
    column("store.size", &["ss", "storeSize"], true),
    column("pri.store.size", &[], true),
];

/// `_cat/indices` of the indices `index` resolves to (all when `None`).
pub fn indices(store: &Store, req: &EsRequest, index: Option<&str>) -> Handled {
    let set = store.index_set();
    let (handles, closed) = match index {
        Some(expr) => {
            let open = set.without_closed_names(expr);
            let handles = if open.is_empty() {
                Vec::new()
            } else {
                set.resolve(&open)?
            };
            (handles, set.closed_named(expr))
        }
        None => (set.all(), set.closed_named("*")),
    };
    let closed = set
        .closed_indices()
        .into_iter()
        .filter(|(name, _)| closed.contains(name));
    // Every index is green (one primary, no replica): `health=yellow|red` lists none.
    let listed = match req.param("health") {
        None | Some("green") => true,
        Some("yellow" | "red") => false,
        Some(other) => {
            return Err(EsError::illegal_argument(format!(
                "unknown cluster health status [{other}]"
            )))
        }
    };
    let mut rows: Vec<Vec<Cell>> = handles
        .iter()
        .filter(|_| listed)
        .map(|h| {
            let size = h.disk_bytes();
            vec![
                Cell::Text("green".into()),
                Cell::Text("open".into()),
                Cell::Text(h.name.clone()),
                Cell::Text(h.uuid().to_string()),
                Cell::Number(1),
                Cell::Number(0),
                Cell::Number(h.doc_count()),
                Cell::Number(0),
                Cell::Bytes(size),
                Cell::Bytes(size),
            ]
        })
        .collect();
    // A closed index: no counts or sizes, as ES shows it.
    rows.extend(closed.filter(|_| listed).map(|(name, c)| {
        vec![
            Cell::Text("green".into()),
            Cell::Text("close".into()),
            Cell::Text(name),
            Cell::Text(c.identity.uuid),
            Cell::Number(1),
            Cell::Number(0),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
        ]
    }));
    render(&INDICES, &rows, req)
}
