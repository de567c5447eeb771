//! Elasticsearch's `_seq_no` and `_version` of one index's documents.
//!
//! - `_seq_no`: one counter per index (the store's one shard), taken under the writer lock by every logged
//!   operation (an `index`, a `delete`, a `delete` of a missing `_id`), in translog order, from 0. A commit
//!   names the highest one in its payload (`max_seq_no`), so the counter goes on from there after a
//!   restart; replaying the translog takes the same numbers again, in the same order.
//! - `_version`: per `_id`, 1 for a new document, one more than the current one for each write to it. A
//!   delete leaves a tombstone (in the writer's `pending` map until the next commit, then in
//!   [`super::tombstones::Tombstones`] for 60 s), so a write after a delete goes on from its version as
//!   ES's does within `index.gc_deletes` (60 s); after that the `_id` starts at 1 again.
//! - Both are stored with the document (fast columns `_seq_no`, `_version`), so a get, a search hit and
//!   the version lookup of an overwrite read them from the committed segment. The lookup runs only when the
//!   writer's `_id` filter says the `_id` may exist (an overwrite, or a rare false positive): a new `_id`
//!   costs nothing more than before.
//! - `_primary_term` is always 1: the store has one copy of each shard and no failover.

use tantivy::columnar::Column;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Searcher, SegmentReader, Term, TERMINATED};

use crate::doc::schema::{Fields, F_SEQ_NO, F_VERSION};
use crate::index::error::IndexError;

/// ES's `_primary_term` of every operation of the store.
pub const PRIMARY_TERM: u64 = 1;

/// A document's (or tombstone's) sequence number and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocVersion {
    /// `_seq_no`.
    pub seq_no: u64,
    /// `_version`.
    pub version: u64,
}

/// What an `_id` holds when a write is planned against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Current {
    /// No document (and no delete remembered).
    Missing,
    /// A live document.
    Live(DocVersion),
    /// Deleted within `index.gc_deletes`: its version goes on counting.
    Deleted(DocVersion),
}

impl Current {
    /// The live document's sequence number and version.
    pub fn live(self) -> Option<DocVersion> {
        match self {
            Current::Live(v) => Some(v),
            Current::Missing | Current::Deleted(_) => None,
        }
    }

    /// The `_version` a write to this `_id` gets.
    pub fn next_version(self) -> u64 {
        match self {
            Current::Missing => 1,
            Current::Live(v) | Current::Deleted(v) => v.version + 1,
        }
    }
}

/// Reads documents' `_seq_no` and `_version` from one segment's columns.
pub struct VersionColumns {
    seq_no: Option<Column<u64>>,
    version: Option<Column<u64>>,
}

impl VersionColumns {
    /// The columns of `seg` (none in an index created without them, or a segment without a value).
    pub fn of(seg: &SegmentReader, fields: &Fields) -> VersionColumns {
        if fields.versions.is_none() {
            return VersionColumns {
                seq_no: None,
                version: None,
            };
        }
        let fast = seg.fast_fields();
        VersionColumns {
            seq_no: fast.u64(F_SEQ_NO).ok(),
            version: fast.u64(F_VERSION).ok(),
        }
    }

    /// Document `doc`'s sequence number and version (0 and 1 when it has none).
    pub fn get(&self, doc: DocId) -> DocVersion {
        DocVersion {
            seq_no: self.seq_no.as_ref().and_then(|c| c.first(doc)).unwrap_or(0),
            version: self
                .version
                .as_ref()
                .and_then(|c| c.first(doc))
                .unwrap_or(1),
        }
    }

    /// The highest sequence number in the segment (deleted documents included).
    pub fn max_seq_no(&self) -> Option<u64> {
        self.seq_no
            .as_ref()
            .filter(|c| c.num_docs() > 0 && c.values.num_vals() > 0)
            .map(|c| c.max_value())
    }
}

/// Finds live documents by `_id` in the committed segments of one searcher, opening each segment's
/// version columns once (a write looks up a chunk of `_id`s with one).
pub struct VersionLookup<'s> {
    searcher: &'s Searcher,
    columns: Vec<Option<VersionColumns>>,
}

impl<'s> VersionLookup<'s> {
    /// Lookups in the segments of `searcher`.
    pub fn new(searcher: &'s Searcher) -> VersionLookup<'s> {
        VersionLookup {
            searcher,
            columns: searcher.segment_readers().iter().map(|_| None).collect(),
        }
    }

    /// The live document `id`: its sequence number and version.
    pub fn committed(
        &mut self,
        fields: &Fields,
        id: &str,
    ) -> Result<Option<DocVersion>, IndexError> {
        let term = Term::from_field_text(fields.id, id);
        for (ord, seg) in self.searcher.segment_readers().iter().enumerate() {
            let inv = seg.inverted_index(fields.id)?;
            if let Some(mut postings) = inv.read_postings(&term, IndexRecordOption::Basic)? {
                let alive = seg.alive_bitset();
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|bits| bits.is_alive(doc)) {
                        let columns = match self.columns.get_mut(ord) {
                            Some(slot) => {
                                slot.get_or_insert_with(|| VersionColumns::of(seg, fields))
                            }
                            None => return Ok(Some(VersionColumns::of(seg, fields).get(doc))),
                        };
                        return Ok(Some(columns.get(doc)));
                    }
                    doc = postings.advance();
                }
            }
        }
        Ok(None)
    }
}

/// The highest sequence number stored in the committed segments (`None`: no document has one), for an
/// index whose last commit does not name it.
pub fn max_stored_seq_no(searcher: &Searcher, fields: &Fields) -> Option<u64> {
    searcher
        .segment_readers()
        .iter()
        .filter_map(|seg| VersionColumns::of(seg, fields).max_seq_no())
        .max()
}
