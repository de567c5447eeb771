//! What can be wrong with a `_bulk` request: the whole body ([`BulkError`], a malformed action line, after
//! which the pairing of lines cannot be trusted), or one action ([`ItemError`], which fails that item
//! alone). The API layer gives each its status and ES error type.

use std::sync::Arc;

use crate::doc::DocumentError;
use crate::index::IndexError;

/// Why a `_bulk` body is refused whole. `line` is the 1-based line of the body.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// An action line that is not JSON.
    #[error("Malformed action/metadata line [{line}], expected START_OBJECT: {source}")]
    ActionNotJson {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// An action line that is JSON but not an object.
    #[error("Malformed action/metadata line [{line}], expected START_OBJECT")]
    ActionNotAnObject { line: usize },
    /// An action line with no action or more than one.
    #[error("Malformed action/metadata line [{line}], expected a single action")]
    NotOneAction { line: usize },
    /// An action other than `index`, `create`, `delete`, `update`.
    #[error(
        "Malformed action/metadata line [{line}], expected one of [create, delete, index, update] but \
         found [{action}]"
    )]
    UnknownAction { line: usize, action: String },
    /// An action whose parameters are not an object.
    #[error("Malformed action/metadata line [{line}], expected START_OBJECT after [{action}]")]
    ParamsNotAnObject { line: usize, action: String },
}

/// Why one action of a `_bulk` failed.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    /// Neither the action nor the URL names an index.
    #[error("Validation Failed: 1: index is missing;")]
    IndexMissing,
    /// `update` actions are not supported.
    #[error("the [update] bulk action is not supported by the logpipe store")]
    UpdateUnsupported { index: String },
    /// An `_id` that is empty or longer than 512 bytes.
    #[error("Validation Failed: 1: id is too long or empty;")]
    IdInvalid { index: String },
    /// A `delete` without `_id`.
    #[error("Validation Failed: 1: id is missing;")]
    IdMissing { index: String },
    /// A `create` of an `_id` the index holds (at `version`).
    #[error("[{id}]: version conflict, document already exists (current version [{version}])")]
    VersionConflict {
        index: String,
        id: String,
        version: u64,
    },
    /// An `if_seq_no` / `if_primary_term` the document does not have (`current`: its sequence number
    /// and primary term; `None`: there is no document).
    #[error(
        "[{id}]: version conflict, required seqNo [{if_seq_no}], primary term [{if_primary_term}]. {}",
        match current {
            Some((seq_no, term)) => format!("current document has seqNo [{seq_no}] and primary term [{term}]"),
            None => "but no document was found".to_string(),
        }
    )]
    SeqNoConflict {
        index: String,
        id: String,
        if_seq_no: u64,
        if_primary_term: u64,
        current: Option<(u64, u64)>,
    },
    /// `if_seq_no` / `if_primary_term` given wrongly (ES's request validation; `reason` is its text).
    #[error("Validation Failed: 1: {reason};")]
    CasInvalid { index: String, reason: String },
    /// The document line cannot be indexed.
    #[error("{source}")]
    Document {
        index: String,
        source: DocumentError,
    },
    /// The index failed (creating it, writing to it, making the write durable), for this item and maybe
    /// others (hence shared); `index` is `None` when the failure was not the index's as a whole (one `_id`
    /// lookup).
    #[error("{source}")]
    Index {
        index: Option<String>,
        source: Arc<IndexError>,
    },
    /// An `index` or `delete` action into a data stream.
    #[error("only write ops with an op_type of create are allowed in data streams")]
    StreamOpType,
    /// A `create` naming a backing index of a data stream.
    #[error(
        "index request with op_type=create targeting backing indices is disallowed, target corresponding \
         data stream [{stream}] instead"
    )]
    BackingCreate { index: String, stream: String },
    /// An `index` naming a backing index of a data stream (without `if_seq_no`, which the store does not
    /// take).
    #[error(
        "index request with op_type=index and no if_primary_term and if_seq_no set targeting backing \
         indices is disallowed, target corresponding data stream [{stream}] instead"
    )]
    BackingIndex { index: String, stream: String },
    /// An ingest pipeline the store does not know (it knows none).
    #[error("pipeline with id [{pipeline}] does not exist")]
    PipelineMissing { pipeline: String },
    /// The item was left without an outcome (a bug).
    #[error("item was not processed")]
    NotProcessed,
}

impl ItemError {
    /// The index the item was for, when the error is about it.
    pub fn index(&self) -> Option<&str> {
        match self {
            ItemError::IndexMissing
            | ItemError::NotProcessed
            | ItemError::StreamOpType
            | ItemError::PipelineMissing { .. } => None,
            ItemError::UpdateUnsupported { index }
            | ItemError::IdInvalid { index }
            | ItemError::IdMissing { index }
            | ItemError::VersionConflict { index, .. }
            | ItemError::SeqNoConflict { index, .. }
            | ItemError::CasInvalid { index, .. }
            | ItemError::Document { index, .. }
            | ItemError::BackingCreate { index, .. }
            | ItemError::BackingIndex { index, .. } => Some(index),
            ItemError::Index { index, .. } => index.as_deref(),
        }
    }
}
