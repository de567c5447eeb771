//! Elasticsearch-shaped errors, made only here, at the edge.
//!
//! Every failure that reaches a client is an [`EsError`]: an HTTP status, an ES exception `type` (e.g.
//! `parsing_exception`, `index_not_found_exception`) and a human `reason`, made from the typed error of
//! the layer that failed (`error_map.rs`) or from a malformed request read here. [`EsError::to_body`]
//! renders the `{"error":{"root_cause":[..],"type":..,"reason":..},"status":..}` body ES clients parse,
//! and [`EsError::to_item_error`] the smaller object used inside `_bulk` items. Internal failures (tantivy,
//! I/O) become 500 `exception`s; input problems are always 4xx.

use serde_json::{json, Value};

/// An error as Elasticsearch would report it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{typ}: {reason}")]
pub struct EsError {
    /// HTTP status code.
    pub status: u16,
    /// ES exception type, e.g. `parsing_exception`.
    pub typ: String,
    /// Human readable reason.
    pub reason: String,
    /// Index the error is about, if any.
    pub index: Option<String>,
    /// The error this one wraps (ES's `caused_by`): a search that failed on its shards is a
    /// `search_phase_execution_exception` caused by the shard's error, which is then the root cause.
    pub caused_by: Option<Box<EsError>>,
}

impl EsError {
    /// A new error with the given status, type and reason.
    pub fn new(status: u16, typ: &str, reason: impl Into<String>) -> EsError {
        EsError {
            status,
            typ: typ.to_string(),
            reason: reason.into(),
            index: None,
            caused_by: None,
        }
    }

    /// ES's answer to a search every shard of which failed with `cause`: 400
    /// `search_phase_execution_exception` "all shards failed", `cause` its root cause.
    pub fn all_shards_failed(cause: EsError) -> EsError {
        EsError {
            caused_by: Some(Box::new(cause)),
            ..EsError::new(400, "search_phase_execution_exception", "all shards failed")
        }
    }

    /// 400 `parsing_exception`: malformed query DSL or JSON.
    pub fn parsing(reason: impl Into<String>) -> EsError {
        EsError::new(400, "parsing_exception", reason)
    }

    /// 400 `illegal_argument_exception`.
    pub fn illegal_argument(reason: impl Into<String>) -> EsError {
        EsError::new(400, "illegal_argument_exception", reason)
    }

    /// 404 `index_not_found_exception` for `index`.
    pub fn index_not_found(index: &str) -> EsError {
        EsError::new(
            404,
            "index_not_found_exception",
            "no such index [".to_string() + index + "]",
        )
        .with_index(index)
    }

    /// 500 `exception`: something broke on our side.
    pub fn internal(err: impl std::fmt::Display) -> EsError {
        EsError::new(500, "exception", err.to_string())
    }

    /// Attaches the index name.
    pub fn with_index(mut self, index: &str) -> EsError {
        self.index = Some(index.to_string());
        self
    }

    /// This error as an object of an ES body, without `root_cause`, with its `caused_by` chain.
    fn cause(&self) -> Value {
        let mut cause = json!({"type": self.typ, "reason": self.reason});
        if let Some(index) = &self.index {
            cause["index"] = json!(index);
            cause["resource.type"] = json!("index_or_alias");
            cause["resource.id"] = json!(index);
            cause["index_uuid"] = json!("_na_");
        }
        if self.typ == "search_phase_execution_exception" {
            cause["phase"] = json!("query");
            cause["grouped"] = json!(true);
        }
        if let Some(inner) = &self.caused_by {
            cause["caused_by"] = inner.cause();
        }
        cause
    }

    /// The innermost error of the `caused_by` chain.
    fn root(&self) -> &EsError {
        match &self.caused_by {
            Some(inner) => inner.root(),
            None => self,
        }
    }

    /// The full response body.
    pub fn to_body(&self) -> Value {
        let mut error = self.cause();
        error["root_cause"] = json!([self.root().cause()]);
        json!({"error": error, "status": self.status})
    }

    /// The `error` object of a failed `_bulk` item.
    pub fn to_item_error(&self) -> Value {
        let mut cause = json!({"type": self.typ, "reason": self.reason});
        if let Some(index) = &self.index {
            cause["index"] = json!(index);
            cause["shard"] = json!("0");
            cause["index_uuid"] = json!("_na_");
        }
        cause
    }
}
