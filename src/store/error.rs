//! Elasticsearch-shaped errors.
//!
//! Every failure that reaches a client is an [`EsError`]: an HTTP status, an ES exception `type` (e.g.
//! `parsing_exception`, `index_not_found_exception`) and a human `reason`. [`EsError::to_body`] renders the
//! `{"error":{"root_cause":[..],"type":..,"reason":..},"status":..}` body ES clients parse, and
//! [`EsError::to_item_error`] the smaller object used inside `_bulk` items. Internal failures (tantivy, I/O)
//! become 500 `exception`s; input problems are always 4xx.

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
}

impl EsError {
    /// A new error with the given status, type and reason.
    pub fn new(status: u16, typ: &str, reason: impl Into<String>) -> EsError {
        EsError {
            status,
            typ: typ.to_string(),
            reason: reason.into(),
            index: None,
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

    fn cause(&self) -> Value {
        let mut cause = json!({"type": self.typ, "reason": self.reason});
        if let Some(index) = &self.index {
            cause["index"] = json!(index);
            cause["resource.type"] = json!("index_or_alias");
            cause["resource.id"] = json!(index);
            cause["index_uuid"] = json!("_na_");
        }
        cause
    }

    /// The full response body.
    pub fn to_body(&self) -> Value {
        let cause = self.cause();
        let mut error = cause.clone();
        error["root_cause"] = json!([cause]);
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

impl From<tantivy::TantivyError> for EsError {
    fn from(err: tantivy::TantivyError) -> EsError {
        EsError::internal(err)
    }
}

impl From<std::io::Error> for EsError {
    fn from(err: std::io::Error) -> EsError {
        EsError::internal(err)
    }
}
