//! `GET /{index}/_doc/{id}`: one document by `_id`, realtime as in ES (acknowledged writes not yet
//! refreshed are seen: the index is refreshed first when it has any); of a data stream, from whichever
//! backing index holds it.

use serde_json::Value;
use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use crate::index::versions::{DocVersion, VersionColumns};
use crate::index::IndexSet;
use crate::search::error::SearchError;
use crate::search::source::stored_source;

/// A document found by `_id`.
pub struct Got {
    /// The index holding it.
    pub index: String,
    /// Its `_source`.
    pub source: Value,
    /// Its `_seq_no` and `_version`.
    pub version: DocVersion,
}

/// Document `id` (`None`: no such document). `index` must name an index or a data stream (whose backing
/// indices are looked in, newest first).
pub fn get_source(set: &IndexSet, index: &str, id: &str) -> Result<Option<Got>, SearchError> {
    for h in set.index_or_stream(index)? {
        if h.uncommitted().is_some() {
            h.refresh()?;
        }
        let searcher = h.searcher();
        let term = Term::from_field_text(h.fields.id, id);
        let q = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&q, &TopDocs::with_limit(1))?;
        if let Some((_, addr)) = top.first() {
            let doc: TantivyDocument = searcher.doc(*addr)?;
            let version = VersionColumns::of(searcher.segment_reader(addr.segment_ord), &h.fields)
                .get(addr.doc_id);
            return Ok(Some(Got {
                index: h.name.clone(),
                source: stored_source(&doc, &h.fields),
                version,
            }));
        }
    }
    Ok(None)
}
