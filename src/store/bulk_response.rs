//! The answer to a `_bulk` request: `took`, `errors`, and one item per action, in the request's order.
//!
//! Kept typed and serialized straight to bytes: a `serde_json::Value` tree of ten thousand items (a map with
//! a dozen keys each) cost more CPU than parsing the request. The JSON is exactly what Elasticsearch sends:
//! a successful item has `_index`, `_id`, `_version`, `result`, `_shards`, `_seq_no`, `_primary_term` and
//! `status`; a failed one has `_index`, `_id`, `status` and an `error` object with `type` and `reason`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::error::EsError;

/// What happened to one action.
#[derive(Debug)]
pub enum ItemOutcome {
    /// Applied: `result` is `created`, `updated`, `deleted` or `not_found`.
    Ok {
        id: String,
        status: u16,
        result: &'static str,
    },
    /// Refused or failed.
    Err { id: Option<String>, error: EsError },
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

    /// The response as a JSON value (for in-process callers that read it like an HTTP answer).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The response as JSON bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Serialize for BulkResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("took", &self.took)?;
        m.serialize_entry("errors", &self.errors())?;
        m.serialize_entry("items", &self.items)?;
        m.end()
    }
}

impl Serialize for BulkItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.action, &ItemBody(self))?;
        m.end()
    }
}

struct ItemBody<'a>(&'a BulkItem);

struct Shards;

impl Serialize for Shards {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("total", &1)?;
        m.serialize_entry("successful", &1)?;
        m.serialize_entry("failed", &0)?;
        m.end()
    }
}

impl Serialize for ItemBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let item = self.0;
        match &item.outcome {
            ItemOutcome::Ok { id, status, result } => {
                let mut m = s.serialize_map(Some(8))?;
                m.serialize_entry("_index", &item.index)?;
                m.serialize_entry("_id", id)?;
                m.serialize_entry("_version", &1)?;
                m.serialize_entry("result", result)?;
                m.serialize_entry("_shards", &Shards)?;
                m.serialize_entry("_seq_no", &0)?;
                m.serialize_entry("_primary_term", &1)?;
                m.serialize_entry("status", status)?;
                m.end()
            }
            ItemOutcome::Err { id, error } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("_index", &item.index)?;
                m.serialize_entry("_id", id)?;
                m.serialize_entry("status", &error.status)?;
                m.serialize_entry("error", &error.to_item_error())?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn serializes_as_elasticsearch() {
        let r = BulkResponse {
            took: 3,
            items: vec![
                BulkItem {
                    action: "index",
                    index: "app".into(),
                    outcome: ItemOutcome::Ok {
                        id: "a".into(),
                        status: 201,
                        result: "created",
                    },
                },
                BulkItem {
                    action: "create",
                    index: "app".into(),
                    outcome: ItemOutcome::Err {
                        id: Some("b".into()),
                        error: EsError::new(409, "version_conflict_engine_exception", "exists"),
                    },
                },
            ],
        };
        let v: Value = serde_json::from_slice(&r.to_vec()).unwrap_or_default();
        assert_eq!(v, r.to_value());
        assert_eq!(v["took"], 3);
        assert_eq!(v["errors"], true);
        assert_eq!(
            v["items"][0],
            json!({"index": {"_index": "app", "_id": "a", "_version": 1, "result": "created",
                "_shards": {"total": 1, "successful": 1, "failed": 0},
                "_seq_no": 0, "_primary_term": 1, "status": 201}})
        );
        assert_eq!(v["items"][1]["create"]["status"], 409);
        assert_eq!(v["items"][1]["create"]["_id"], "b");
        assert_eq!(
            v["items"][1]["create"]["error"]["type"],
            "version_conflict_engine_exception"
        );
    }
}
