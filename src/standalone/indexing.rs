//! One indexing thread of standalone mode: ring batches → `_bulk` documents → settled acknowledgements.
//!
//! A ring batch holds consecutive events of one file read at one moment, so everything an index name pattern
//! can refer to (`@timestamp`, `host`, `log.file.path`, `fields`, the topic) is the same for all of them: the
//! name is computed once per batch from its first event. A batch whose index name cannot be filled is
//! dead-lettered with the reason (and so settled), like the transfer does.
//!
//! A file with filters is the exception: its events are built, filtered (a `drop` leaves the event out; the
//! batch is acknowledged all the same) and named one by one, since a filter gives each event its own time
//! (`date`, a JSON `@timestamp`) and fields, and the daily index is that of the event's own day.

use crate::event::filtered::FileFilters;
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
    if let Some(filters) = &source.filters {
        let (docs, dead) = filtered_docs(&batch, filters, pattern, &origin_name);
        settle(&batch, indexer.index(docs, dead));
        return;
    }
    let mut encoded = Vec::with_capacity(batch.lines.len());
    for line in &batch.lines {
        let mut body = Vec::with_capacity(line.len as usize + 256);
        json::encode(
            &source.template,
            &batch.timestamp.text,
            source.uid,
            line.offset,
            batch.line(line),
            line.flags,
            &mut body,
        );
        encoded.push((line.offset, body));
    }
    let index = encoded.first().map(|(_, first)| {
        let document: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(first).unwrap_or_default();
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
                meta: Default::default(),
                origin,
            }),
            Some(Err(reason)) => dead.push(DeadLetter {
                origin,
                index: None,
                id: Some(id),
                reason: reason.to_string(),
                document: body,
            }),
            None => {}
        }
    }
    settle(&batch, indexer.index(docs, dead));
}

/// The documents of a batch whose file has filters: each event filtered and named on its own.
fn filtered_docs(
    batch: &Batch,
    filters: &FileFilters,
    pattern: &IndexPattern,
    origin_name: &Arc<str>,
) -> (Vec<Doc>, Vec<DeadLetter>) {
    let source = &batch.source;
    let mut docs = Vec::with_capacity(batch.lines.len());
    let mut dead = Vec::new();
    for line in &batch.lines {
        let Some(event) = filters.filter(
            &batch.timestamp.text,
            source.uid,
            line.offset,
            batch.line(line),
            line.flags,
        ) else {
            continue;
        };
        let index = pattern.format(&IndexContext {
            document: event.fields(),
            topic: Some(&source.topic),
        });
        let mut body = Vec::with_capacity(line.len as usize + 512);
        event.write_json(&mut body);
        let origin = Origin {
            source: origin_name.clone(),
            partition: -1,
            offset: line.offset as i64,
        };
        let id = event_id(source.uid, line.offset);
        match index {
            Ok(index) => docs.push(Doc {
                index,
                id,
                source: body,
                meta: Default::default(),
                origin,
            }),
            Err(reason) => dead.push(DeadLetter {
                origin,
                index: None,
                id: Some(id),
                reason: reason.to_string(),
                document: body,
            }),
        }
    }
    (docs, dead)
}

/// Acknowledges the batch once the store settled it (events dropped by filters included).
fn settle(batch: &Batch, outcome: BatchOutcome) {
    match outcome {
        BatchOutcome::Settled { .. } => batch.ack.delivered_all(),
        BatchOutcome::Abandoned => log::warn!(
            "{}: a batch was abandoned at shutdown; it is read again after restart",
            batch.source.path
        ),
    }
}
