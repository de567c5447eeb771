//! Reading a `_bulk` response: one verdict per document sent, in request order.
//!
//! As Logstash's elasticsearch output: 2xx items are indexed; a `create` answered 409
//! `version_conflict_engine_exception` is a replay of a document already there (deterministic `_id`), so it
//! counts as indexed; 429, 5xx, `es_rejected_execution_exception`, `circuit_breaking_exception` and
//! `cluster_block_exception` (an index made read-only by a disk watermark, whatever its status) are retried,
//! never dead-lettered; any other 4xx item (mapping conflict, parse error, invalid index name, unknown
//! pipeline) is refused and goes to the dead letter with Elasticsearch's `type: reason`. A response whose
//! `items` do not match the request one for one is treated as unreadable (the whole request is retried: with
//! deterministic ids that only overwrites).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The part of a `_bulk` response the indexer reads. Everything else of an item (`_index`, `_id`,
/// `_version`, `_shards`, ...) is skipped while parsing, never built: reading each 5,000-item response into a
/// `serde_json::Value` and dropping it cost the transfer's indexer threads about 2.5 CPU-µs per document.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
pub struct BulkResponse {
    #[serde(default)]
    pub errors: Option<bool>,
    /// One entry per document: `{action: result}`.
    #[serde(default)]
    pub items: Option<Vec<BTreeMap<String, ItemResult>>>,
}

/// The result of one item, under its action's name.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
pub struct ItemResult {
    #[serde(default)]
    pub status: u64,
    #[serde(default)]
    pub error: Option<Value>,
}

/// What happened to one document of a `_bulk` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemVerdict {
    Indexed,
    Retry(String),
    Refused(String),
}

/// Why a `_bulk` response cannot be read (the whole request is retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnreadableResponse {
    #[error("the _bulk response has no items")]
    NoItems,
    #[error("the _bulk response has {items} items for {sent} documents")]
    ItemCount { items: usize, sent: usize },
}

/// One verdict per document, or why the response cannot be read.
pub fn classify(
    response: &BulkResponse,
    sent: usize,
) -> Result<Vec<ItemVerdict>, UnreadableResponse> {
    if response.errors == Some(false) && response.items.as_ref().is_none_or(|i| i.len() == sent) {
        return Ok(vec![ItemVerdict::Indexed; sent]);
    }
    let items = response.items.as_ref().ok_or(UnreadableResponse::NoItems)?;
    if items.len() != sent {
        return Err(UnreadableResponse::ItemCount {
            items: items.len(),
            sent,
        });
    }
    Ok(items.iter().map(item_verdict).collect())
}

/// Error types retried whatever their status (Logstash retries them too).
const RETRIED_TYPES: [&str; 3] = [
    "es_rejected_execution_exception",
    "circuit_breaking_exception",
    "cluster_block_exception",
];

fn item_verdict(item: &BTreeMap<String, ItemResult>) -> ItemVerdict {
    let Some((action, result)) = item.iter().next() else {
        return ItemVerdict::Retry("a _bulk item names no action".into());
    };
    let error_type = result
        .error
        .as_ref()
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str);
    let status = result.status;
    let reason = || match &result.error {
        Some(Value::Object(error)) => {
            let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
            let why = error.get("reason").and_then(Value::as_str).unwrap_or("");
            format!("HTTP {status} {kind}: {why}")
        }
        Some(other) => format!("HTTP {status}: {other}"),
        None => format!("HTTP {status}"),
    };
    if error_type.is_some_and(|t| RETRIED_TYPES.contains(&t)) {
        return ItemVerdict::Retry(reason());
    }
    match status {
        200..=299 if result.error.is_none() => ItemVerdict::Indexed,
        409 if action == "create" && error_type == Some("version_conflict_engine_exception") => {
            ItemVerdict::Indexed
        }
        429 | 500..=599 => ItemVerdict::Retry(reason()),
        400..=499 => ItemVerdict::Refused(reason()),
        _ => ItemVerdict::Retry(reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(value: Value) -> BulkResponse {
        serde_json::from_value(value).expect("a _bulk response")
    }

    #[test]
    fn all_ok() {
        let r = json!({"took": 1, "errors": false, "items": [{"index": {"status": 201}}, {"index": {"status": 200}}]});
        assert_eq!(
            classify(&parsed(r.clone()), 2),
            Ok(vec![ItemVerdict::Indexed, ItemVerdict::Indexed])
        );
    }

    #[test]
    fn mixed_items() {
        let r = json!({"errors": true, "items": [
            {"index": {"status": 201}},
            {"index": {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
            {"index": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [n]"}}},
            {"index": {"status": 503, "error": {"type": "unavailable_shards_exception", "reason": "x"}}},
        ]});
        let v = classify(&parsed(r.clone()), 4).expect("readable");
        assert_eq!(v[0], ItemVerdict::Indexed);
        assert!(matches!(&v[1], ItemVerdict::Retry(r) if r.contains("429")));
        assert!(
            matches!(&v[2], ItemVerdict::Refused(r) if r.contains("mapper_parsing_exception") && r.contains("[n]"))
        );
        assert!(matches!(&v[3], ItemVerdict::Retry(_)));
    }

    #[test]
    fn replayed_creates_and_blocked_indices_are_not_dead_letters() {
        let r = json!({"errors": true, "items": [
            {"create": {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "[1]: version conflict, document already exists"}}},
            {"index": {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "x"}}},
            {"create": {"status": 403, "error": {"type": "cluster_block_exception", "reason": "index [logs] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"}}},
            {"create": {"status": 400, "error": {"type": "circuit_breaking_exception", "reason": "[parent] Data too large"}}},
            {"create": {"status": 400, "error": {"type": "illegal_argument_exception", "reason": "pipeline with id [nope] does not exist"}}},
        ]});
        let v = classify(&parsed(r.clone()), 5).expect("readable");
        assert_eq!(v[0], ItemVerdict::Indexed, "a replayed create is done");
        assert!(
            matches!(&v[1], ItemVerdict::Refused(_)),
            "an index conflict is not a replay"
        );
        assert!(matches!(&v[2], ItemVerdict::Retry(r) if r.contains("cluster_block_exception")));
        assert!(matches!(&v[3], ItemVerdict::Retry(_)));
        assert!(matches!(&v[4], ItemVerdict::Refused(r) if r.contains("pipeline")));
    }

    #[test]
    fn mismatched_counts_are_unreadable() {
        let r = json!({"errors": true, "items": [{"index": {"status": 201}}]});
        assert_eq!(
            classify(&parsed(r.clone()), 2),
            Err(UnreadableResponse::ItemCount { items: 1, sent: 2 })
        );
        assert_eq!(
            classify(&parsed(json!({"error": "x"})), 1),
            Err(UnreadableResponse::NoItems)
        );
    }
}
