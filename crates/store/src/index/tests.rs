//! Tests of the index layer against real indices in temp dirs: formats, writer recovery, older indices.

use std::path::Path;

use tantivy::{Index, IndexWriter};

use crate::doc::log_document::LogDocument;
use crate::doc::schema::{build_schema, Fields};
use crate::index::format::{format_tag, read_format, FORMAT_FILE, FORMAT_VERSION};
use crate::index::IndexSet;

#[test]
fn indices_of_another_format_are_not_opened() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let set = IndexSet::open(dir.path(), &Default::default())?;
    set.get_or_create("app")?;
    set.close_all();
    drop(set);
    let tag = dir.path().join("app").join(FORMAT_FILE);
    assert!(IndexSet::open(dir.path(), &Default::default())?
        .get("app")
        .is_some());

    // Format 1 had no tag file.
    std::fs::remove_file(&tag)?;
    let set = IndexSet::open(dir.path(), &Default::default())?;
    assert!(set.get("app").is_none());
    let err = set.get_or_create("app").err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("store format 1")),
        "{err:?}"
    );
    drop(set);

    std::fs::write(&tag, format_tag())?;
    assert!(IndexSet::open(dir.path(), &Default::default())?
        .get("app")
        .is_some());

    // Format 2 is format 3 without a translog: opened, and tagged before the translog appears.
    std::fs::write(&tag, br#"{"format_version":2}"#)?;
    assert!(IndexSet::open(dir.path(), &Default::default())?
        .get("app")
        .is_some());
    assert_eq!(read_format(&dir.path().join("app"))?, FORMAT_VERSION);
    Ok(())
}

/// An index's identity (ES's `index.uuid`, `index.creation_date`) is written with its tag and kept across
/// reopening; an index tagged before identities existed gets one when opened, kept from then on.
#[test]
fn an_index_keeps_its_identity() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let uuid = |dir: &Path| -> anyhow::Result<(String, i64)> {
        let set = IndexSet::open(dir, &Default::default())?;
        let h = set.get_or_create("app")?;
        let id = (h.uuid().to_string(), h.creation_date());
        set.close_all();
        Ok(id)
    };
    let first = uuid(dir.path())?;
    assert_eq!(first.0.len(), 22);
    assert_eq!(uuid(dir.path())?, first);
    std::fs::write(dir.path().join("app").join(FORMAT_FILE), format_tag())?;
    let given = uuid(dir.path())?;
    assert_ne!(given.0, first.0);
    assert_eq!(uuid(dir.path())?, given);
    Ok(())
}

/// Index `app` under `data_dir`, tagged format 3, with today's schema except field `name`, which `add`
/// adds as an older format had it.
fn format_3_index(
    data_dir: &Path,
    name: &str,
    add: impl Fn(&mut tantivy::schema::SchemaBuilder, &str),
) -> anyhow::Result<Index> {
    let index_dir = data_dir.join("app");
    std::fs::create_dir_all(&index_dir)?;
    std::fs::write(index_dir.join(FORMAT_FILE), br#"{"format_version":3}"#)?;
    let mut older = tantivy::schema::Schema::builder();
    for (_, entry) in build_schema().fields() {
        if entry.name() == name {
            add(&mut older, name);
        } else {
            older.add_field(entry.clone());
        }
    }
    Ok(Index::create_in_dir(&index_dir, older.build())?)
}

#[test]
fn a_writer_that_stops_is_rolled_back_and_replayed() -> anyhow::Result<()> {
    use crate::bulk::{bulk, IdGen};
    use crate::index::refresher::Refresh;
    use tantivy::schema::{DateOptions, DateTimePrecision};
    // An index of an older format, whose `@timestamp` also had a term index: tantivy refuses a
    // document with a string there (it skips mistyped values of fields that are not indexed).
    let dir = tempfile::tempdir()?;
    let ts = DateOptions::default()
        .set_fast()
        .set_indexed()
        .set_precision(DateTimePrecision::Milliseconds);
    drop(format_3_index(
        dir.path(),
        crate::doc::schema::F_TS,
        |b, name| {
            b.add_date_field(name, ts.clone());
        },
    )?);
    let set = IndexSet::open(dir.path(), &Default::default())?;
    let ids = IdGen::default();
    let line =
        |id: &str| format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{{\"message\":\"m {id}\"}}\n");
    bulk(&set, &ids, line("a").as_bytes(), Some("app"), Refresh::True)?;
    bulk(
        &set,
        &ids,
        line("b").as_bytes(),
        Some("app"),
        Refresh::False,
    )?;
    let handle = set.get("app").ok_or_else(|| anyhow::anyhow!("no index"))?;
    // The refused document stops the indexing thread, as a failing disk would.
    let refused = LogDocument::refused_by_tantivy(&handle.fields);
    handle
        .write(|state, _| state.writer.add_document(refused))?
        .0?;
    assert!(
        handle.refresh().is_err(),
        "the commit meets the stopped writer"
    );
    // Back to the commit holding `a`, forward again through the translog (`b`), and writable.
    bulk(&set, &ids, line("c").as_bytes(), Some("app"), Refresh::True)?;
    assert_eq!(handle.doc_count(), 3);
    set.close_all();
    Ok(())
}

#[test]
fn an_index_with_a_bytes_source_keeps_working() -> anyhow::Result<()> {
    use crate::{Refresh, Store};
    // A format-3 index: `_source` is a bytes field, and holds one document.
    let dir = tempfile::tempdir()?;
    let index = format_3_index(dir.path(), crate::doc::schema::F_SOURCE, |b, name| {
        b.add_bytes_field(name, tantivy::schema::STORED);
    })?;
    let fields = Fields::from_schema(&index.schema())?;
    assert!(!fields.source_is_text);
    let mut writer: IndexWriter<LogDocument> = index.writer_with_num_threads(1, 15_000_000)?;
    let old = LogDocument::from_source(&fields, "old", br#"{"message":"written before"}"#)?;
    writer.add_document(old)?;
    writer.commit()?;
    drop(writer);
    drop(index);

    let store = Store::open(dir.path())?;
    let body = b"{\"index\":{\"_id\":\"new\"}}\n{\"message\":\"written after\"}\n";
    let response = store.bulk(body, Some("app"), Refresh::True)?;
    assert!(!response.errors());
    let found = store.search(Some("app"), &serde_json::json!({}))?;
    let mut sources: Vec<String> = found["hits"]["hits"]
        .as_array()
        .map(|hits| hits.iter().map(|h| h["_source"].to_string()).collect())
        .unwrap_or_default();
    sources.sort();
    assert_eq!(
        sources,
        [
            r#"{"message":"written after"}"#,
            r#"{"message":"written before"}"#
        ]
    );
    store.close();
    Ok(())
}
