//! Building `_bulk` request bodies: NDJSON pairs of an action line (`index` or `create`, with `_index`,
//! `_id` and the optional `pipeline` and `routing`) and the document's source line.
//!
//! `index` by default, so that a replayed document overwrites its earlier copy (`create`, needed by data
//! streams, answers a replay with 409, which the response reader counts as done); names, ids and values
//! are JSON-escaped; sources are written as-is and must be one-line JSON objects (the decoder guarantees it).

use super::Doc;
use crate::event::json::escape_str;

/// Appends the action and source lines of `doc` to `body`.
#[inline]
pub fn append_doc(body: &mut Vec<u8>, doc: &Doc) {
    body.extend_from_slice(b"{\"");
    body.extend_from_slice(doc.meta.action.as_str().as_bytes());
    body.extend_from_slice(b"\":{\"_index\":\"");
    escape_str(&doc.index, body);
    body.extend_from_slice(b"\",\"_id\":\"");
    escape_str(&doc.id, body);
    for (key, value) in [
        ("pipeline", &doc.meta.pipeline),
        ("routing", &doc.meta.routing),
    ] {
        if let Some(value) = value {
            body.extend_from_slice(b"\",\"");
            body.extend_from_slice(key.as_bytes());
            body.extend_from_slice(b"\":\"");
            escape_str(value, body);
        }
    }
    body.extend_from_slice(b"\"}}\n");
    body.extend_from_slice(&doc.source);
    body.push(b'\n');
}

/// The body for `docs[i]` for every `i` in `which`, in that order (response items come back in it).
pub fn build_body(docs: &[Doc], which: &[usize], body: &mut Vec<u8>) {
    body.clear();
    let bytes: usize = which
        .iter()
        .filter_map(|&i| docs.get(i))
        .map(|d| d.source.len() + d.index.len() + d.id.len() + 40)
        .sum();
    body.reserve(bytes);
    for doc in which.iter().filter_map(|&i| docs.get(i)) {
        append_doc(body, doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexer::Origin;

    fn doc(index: &str, id: &str, source: &str) -> Doc {
        Doc {
            index: index.into(),
            id: id.into(),
            source: source.as_bytes().to_vec(),
            meta: Default::default(),
            origin: Origin {
                source: "t".into(),
                partition: 0,
                offset: 1,
            },
        }
    }

    #[test]
    fn body_is_action_source_pairs() {
        let docs = vec![doc("a", "1", r#"{"x":1}"#), doc("b", "q\"2", r#"{"y":2}"#)];
        let mut body = Vec::new();
        build_body(&docs, &[1, 0], &mut body);
        let text = String::from_utf8(body).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(text.ends_with('\n'));
        for line in &lines {
            serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
        }
        let action: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
        assert_eq!(action["index"]["_id"], "q\"2");
        assert_eq!(action["index"]["_index"], "b");
        assert_eq!(lines[3], r#"{"x":1}"#);
    }

    #[test]
    fn create_pipeline_and_routing_go_into_the_action_line() {
        let mut d = doc("logs-app-default", "1", r#"{"x":1}"#);
        d.meta = crate::indexer::destination::BulkMeta {
            action: crate::indexer::destination::BulkAction::Create,
            pipeline: Some("p\"1".into()),
            routing: Some("u".into()),
        };
        let mut body = Vec::new();
        build_body(&[d], &[0], &mut body);
        let text = String::from_utf8(body).expect("utf8");
        let action: serde_json::Value =
            serde_json::from_str(text.lines().next().expect("a line")).expect("json");
        assert_eq!(
            action,
            serde_json::json!({"create": {"_index": "logs-app-default", "_id": "1", "pipeline": "p\"1", "routing": "u"}})
        );
    }
}
