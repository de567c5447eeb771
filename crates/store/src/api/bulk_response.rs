//! The ES JSON of a `_bulk` answer, serialized straight from its typed form ([`BulkResponse`]), exactly as
//! Elasticsearch sends it: a successful item has `_index`, `_id`, `_version`, `result`, `_shards`,
//! `_seq_no`, `_primary_term` and `status`; a failed one has `_index`, `_id`, `status` and an `error`
//! object with `type` and `reason`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::api::error::EsError;
use crate::bulk::response::{BulkItem, BulkResponse, ItemOutcome, ItemResult};
use crate::index::versions::PRIMARY_TERM;

/// The status of an applied item.
fn item_status(result: ItemResult) -> u16 {
    match result {
        ItemResult::Created => 201,
        ItemResult::Updated | ItemResult::Deleted => 200,
        ItemResult::NotFound => 404,
    }
}

impl BulkResponse {
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
            ItemOutcome::Ok {
                id,
                result,
                version,
            } => {
                let mut m = s.serialize_map(Some(8))?;
                m.serialize_entry("_index", &item.index)?;
                m.serialize_entry("_id", id)?;
                m.serialize_entry("_version", &version.version)?;
                m.serialize_entry("result", result.name())?;
                m.serialize_entry("_shards", &Shards)?;
                m.serialize_entry("_seq_no", &version.seq_no)?;
                m.serialize_entry("_primary_term", &PRIMARY_TERM)?;
                m.serialize_entry("status", &item_status(*result))?;
                m.end()
            }
            ItemOutcome::Err { id, error } => {
                let error = EsError::from(error);
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
    use crate::bulk::ItemError;
    use crate::index::versions::DocVersion;

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
                        result: ItemResult::Updated,
                        version: DocVersion {
                            seq_no: 7,
                            version: 3,
                        },
                    },
                },
                BulkItem {
                    action: "create",
                    index: "app".into(),
                    outcome: ItemOutcome::Err {
                        id: Some("b".into()),
                        error: ItemError::VersionConflict {
                            index: "app".into(),
                            id: "b".into(),
                            version: 1,
                        },
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
            json!({"index": {"_index": "app", "_id": "a", "_version": 3, "result": "updated",
                "_shards": {"total": 1, "successful": 1, "failed": 0},
                "_seq_no": 7, "_primary_term": 1, "status": 200}})
        );
        assert_eq!(v["items"][1]["create"]["status"], 409);
        assert_eq!(v["items"][1]["create"]["_id"], "b");
        assert_eq!(
            v["items"][1]["create"]["error"]["type"],
            "version_conflict_engine_exception"
        );
    }
}
