//! What a `_bulk` did: `took`, and one item per action in the request's order, each applied (with its
//! [`ItemResult`]) or failed (with its [`ItemError`]). The API layer serializes it straight to ES's JSON
//! (`api/bulk_response.rs`): a `Value` tree of ten thousand items cost more CPU than parsing the request.

use crate::bulk::error::ItemError;
use crate::index::versions::DocVersion;

/// What an applied action did to its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemResult {
    /// A new document.
    Created,
    /// A document with the same `_id` replaced.
    Updated,
    /// A document deleted.
    Deleted,
    /// A `delete` of an `_id` the index does not hold.
    NotFound,
}

impl ItemResult {
    /// Its name in ES's response (`result`).
    pub fn name(self) -> &'static str {
        match self {
            ItemResult::Created => "created",
            ItemResult::Updated => "updated",
            ItemResult::Deleted => "deleted",
            ItemResult::NotFound => "not_found",
        }
    }
}

/// What happened to one action.
#[derive(Debug)]
pub enum ItemOutcome {
    /// Applied, as the operation `version` (its `_seq_no` and the document's `_version`).
    Ok {
        id: String,
        result: ItemResult,
        version: DocVersion,
    },
    /// Refused or failed.
    Err {
        id: Option<String>,
        error: ItemError,
    },
}

/// One item of the response.
#[derive(Debug)]
pub struct BulkItem {
    /// `index`, `create`, `delete` or `update`.
    pub action: &'static str,
    /// Target index (empty if the request named none).
    pub index: String,
    pub outcome: ItemOutcome,
}

/// The whole response.
#[derive(Debug)]
pub struct BulkResponse {
    /// Milliseconds spent.
    pub took: u64,
    pub items: Vec<BulkItem>,
}

impl BulkResponse {
    /// Whether any item failed (the response's `errors`).
    pub fn errors(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i.outcome, ItemOutcome::Err { .. }))
    }
}
