//! One indexing thread of standalone mode: ring batches → `_bulk` documents → settled acknowledgements.
//!
//! A ring batch holds consecutive events of one file read at one moment, so everything an index name pattern
//! can refer to (`@timestamp`, `host`, `log.file.path`, `fields`, the topic) is the same for all of them: the
//! name is computed once per batch from its first event. A batch whose index name cannot be filled is
//! dead-lettered with the reason (and so settled), like the transfer does.

use crate::event::id::event_id;
use crate::event::json;
use crate::indexer::{BatchOutcome, DeadLetter, Doc, IndexContext, IndexPattern, Indexer, Origin};
use crate::ring::{Batch, BatchReceiver};
use std::sync::Arc;
use std::time::Duration;

/// Indexes batches from `lane` until it is closed and empty.
pub fn run(lane: BatchReceiver, indexer: &Indexer, pattern: &IndexPattern) {
    loop {
        match lane.recv_timeout(Duration::from_millis(200)) {
            Ok(batch) => index_batch(batch, indexer, pattern),
            Err(true) => return,
            Err(false) => {}
        }
    }
}

fn index_batch(batch: Batch, indexer: &Indexer, pattern: &IndexPattern) {
    let source = &batch.source;
    let origin_name: Arc<str> = Arc::from(source.path.as_str());
    let mut encoded = Vec::with_capacity(batch.lines.len());
    for line in &batch.lines {
        let mut body = Vec::with_capacity(line.len as usize + 256);
        json::encode(
            &source.template,
            &batch.timestamp,
            source.uid,
            line.offset,
            batch.line(line),
            line.flags,
            &mut body,
        );
        encoded.push((line.offset, body));
    }
    let index = encoded.first().map(|(_, first)| {
        let document: serde_json::Value = serde_json::from_slice(first).unwrap_or_default();
        pattern.format(&IndexContext {
            document: &document,
            topic: Some(&source.topic),
        })
    });
    let mut docs = Vec::with_capacity(encoded.len());
    let mut dead = Vec::new();
    for (offset, body) in encoded {
        let origin = Origin {
            source: origin_name.clone(),
            partition: -1,
            offset: offset as i64,
        };
        let id = event_id(source.uid, offset);
        match &index {
            Some(Ok(name)) => docs.push(Doc {
                index: name.clone(),
                id,
                source: body,
                origin,
            }),
            Some(Err(reason)) => dead.push(DeadLetter {
                origin,
                index: None,
                id: Some(id),
                reason: reason.clone(),
                document: body,
            }),
            None => {}
        }
    }
    match indexer.index(docs, dead) {
        BatchOutcome::Settled { .. } => batch.ack.delivered_all(),
        BatchOutcome::Abandoned => log::warn!(
            "{}: a batch was abandoned at shutdown; it is read again after restart",
            source.path
        ),
    }
}
