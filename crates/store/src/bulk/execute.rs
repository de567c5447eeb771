//! Running a `_bulk`: actions grouped by target index (auto-created), durable in each index's translog on
//! return.
//!
//! Document conversion happens outside any lock, in chunks; the writer lock is held only to check a
//! chunk's `_id`s and hand its documents to tantivy, whose indexing threads then work on it while the next
//! chunk is converted; the same lock logs them to the index's translog. After the last chunk
//! [`IndexHandle::sync_through`] makes the log durable (or, with `?refresh=`,
//! [`IndexHandle::commit_through`] commits and makes them searchable) before the response is built, so a
//! returned response means every successful item survives a crash. A bad document line fails only its
//! item ([`ItemError`]).

use std::sync::Arc;
use std::time::Instant;

use tantivy::indexer::UserOperation;
use tantivy::Term;

use crate::bulk::error::{BulkError, ItemError};
use crate::bulk::ids::IdGen;
use crate::bulk::request::{parse_ops, Action, Cas, Op};
use crate::bulk::response::{BulkItem, BulkResponse, ItemOutcome as Outcome, ItemResult};
use crate::bulk::target::{route_group, GroupTarget};
use crate::doc::log_document::LogDocument;
use crate::doc::schema::Fields;
use crate::doc::DocumentError;
use crate::index::id_filter::IdKey;
use crate::index::refresher::Refresh;
use crate::index::versions::{Current, DocVersion, VersionLookup, PRIMARY_TERM};
use crate::index::{IndexError, IndexHandle, IndexSet};

/// A document ready to write.
struct Prepared {
    id: String,
    explicit_id: bool,
    doc: Option<LogDocument>,
}

/// Executes a `_bulk` body; returns the ES response (`took`, `errors`, `items`).
pub fn bulk(
    set: &IndexSet,
    ids: &IdGen,
    body: &[u8],
    default_index: Option<&str>,
    refresh: Refresh,
) -> Result<BulkResponse, BulkError> {
    bulk_with_pipeline(set, ids, body, default_index, None, refresh)
}

/// [`bulk`] with the request's `?pipeline=` (`default_pipeline`): the store runs no ingest pipeline, so
/// an `index` or `create` naming one (other than `_none`) fails as ES fails one naming an unknown pipeline.
pub fn bulk_with_pipeline(
    set: &IndexSet,
    ids: &IdGen,
    body: &[u8],
    default_index: Option<&str>,
    default_pipeline: Option<&str>,
    refresh: Refresh,
) -> Result<BulkResponse, BulkError> {
    let start = Instant::now();
    let ops = parse_ops(body)?;
    let mut outcomes: Vec<Option<Outcome>> = (0..ops.len()).map(|_| None).collect();
    let mut targets: Vec<Option<String>> = Vec::with_capacity(ops.len());

    // Group by target index, preserving order inside a group.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let target = op
            .index
            .clone()
            .or_else(|| default_index.map(str::to_string));
        targets.push(target.clone());
        let Some(target) = target else {
            outcomes[i] = Some(Outcome::Err {
                id: op.id.clone(),
                error: ItemError::IndexMissing,
            });
            continue;
        };
        let pipeline = op.pipeline.as_deref().or(default_pipeline);
        if let Some(pipeline) = pipeline.filter(|p| *p != "_none" && op.action != Action::Delete) {
            outcomes[i] = Some(Outcome::Err {
                id: op.id.clone(),
                error: ItemError::PipelineMissing {
                    pipeline: pipeline.to_string(),
                },
            });
            continue;
        }
        if op.action == Action::Update {
            outcomes[i] = Some(Outcome::Err {
                id: op.id.clone(),
                error: ItemError::UpdateUnsupported {
                    index: target.clone(),
                },
            });
            continue;
        }
        match groups.iter_mut().find(|(n, _)| *n == target) {
            Some((_, v)) => v.push(i),
            None => groups.push((target, vec![i])),
        }
    }

    let max_new = set.settings().max_new_indices_per_request;
    let mut new_indices = 0;
    for (name, members) in groups {
        // A full disk refuses every write with ES's 429 block, which clients retry; what was acknowledged
        // before is in the translog.
        if set.disk_block().is_blocked() {
            let err = Arc::new(IndexError::DiskBlocked { name: name.clone() });
            fail_unanswered(&ops, &members, &mut outcomes, &err, &name);
            continue;
        }
        if set.would_create(&name) {
            if new_indices >= max_new {
                let err = Arc::new(IndexError::TooManyNewIndices { max: max_new });
                fail_unanswered(&ops, &members, &mut outcomes, &err, &name);
                continue;
            }
            new_indices += 1;
        }
        let routed = route_group(set, &name, &ops, &members, &mut outcomes, &mut targets);
        let target = match routed {
            Ok(Some(target)) => target,
            Ok(None) => continue,
            Err(err) => {
                fail_unanswered(&ops, &members, &mut outcomes, &Arc::new(err), &name);
                continue;
            }
        };
        let members = target.members.clone();
        if let Err(err) = apply_group(set, ids, &name, target, &ops, refresh, &mut outcomes) {
            let err = Arc::new(blocked_if_disk_full(set, &name, err));
            for &i in &members {
                outcomes[i] = Some(Outcome::Err {
                    id: ops[i].id.clone(),
                    error: ItemError::Index {
                        index: Some(name.clone()),
                        source: err.clone(),
                    },
                });
            }
        }
    }

    let items = ops
        .iter()
        .zip(outcomes)
        .zip(targets)
        .map(|((op, outcome), target)| BulkItem {
            action: op.action.name(),
            index: target.unwrap_or_default(),
            outcome: outcome.unwrap_or_else(|| Outcome::Err {
                id: op.id.clone(),
                error: ItemError::NotProcessed,
            }),
        })
        .collect();
    Ok(BulkResponse {
        took: start.elapsed().as_millis() as u64,
        items,
    })
}

/// Documents converted per writer-lock acquisition. Tantivy's indexing threads start on a chunk while the
/// next is converted, and concurrent requests take turns at the lock instead of waiting for a whole body.
/// (On 2 cores this measured no faster: both are busy either way; see perf/RESULTS.md.)
const CHUNK: usize = 1024;

fn apply_group(
    set: &IndexSet,
    ids: &IdGen,
    name: &str,
    target: GroupTarget,
    ops: &[Op<'_>],
    refresh: Refresh,
    outcomes: &mut [Option<Outcome>],
) -> Result<(), IndexError> {
    let mut handle = target.handle.clone();
    let mut last_seq = None;
    // A chunk that cannot be written fails with the chunks after it; those before it were logged and
    // keep their outcomes (once the sync below has made them durable).
    let mut failed: Option<Arc<IndexError>> = None;
    for chunk in target.members.chunks(CHUNK) {
        if let Some(err) = &failed {
            fail_unanswered(ops, chunk, outcomes, err, name);
            continue;
        }
        let fields = handle.fields;
        let mut prepared = prepare(ids, name, &fields, ops, chunk, target.data_stream, outcomes);
        if prepared.is_empty() {
            continue;
        }
        let elsewhere = match ids_in_older_generations(&target, ops, &prepared) {
            Ok(found) => found,
            Err(err) => {
                let err = Arc::new(err);
                fail_unanswered(ops, chunk, outcomes, &err, name);
                failed = Some(err);
                continue;
            }
        };
        match write(
            set,
            &target,
            &mut handle,
            name,
            ops,
            &mut prepared,
            &elsewhere,
        ) {
            Ok((results, seq)) => {
                for (i, outcome) in results {
                    outcomes[i] = Some(outcome);
                }
                last_seq = Some(seq);
            }
            Err(err) => {
                let err = Arc::new(blocked_if_disk_full(set, name, err));
                fail_unanswered(ops, chunk, outcomes, &err, name);
                failed = Some(err);
            }
        }
    }
    match last_seq {
        Some(seq) if refresh.before_return() => handle.commit_through(seq)?,
        Some(seq) => handle.sync_through(seq)?,
        None => {}
    }
    Ok(())
}

/// `err`, or the disk block if `err` is a full disk (which sets the block: later writes are refused
/// before they touch the disk, until the refresher finds space again).
fn blocked_if_disk_full(set: &IndexSet, name: &str, err: IndexError) -> IndexError {
    if set.disk_block().block_if_full(&err) {
        IndexError::DiskBlocked {
            name: name.to_string(),
        }
    } else {
        err
    }
}

/// Gives every item of `chunk` not answered yet the error `err`.
fn fail_unanswered(
    ops: &[Op<'_>],
    chunk: &[usize],
    outcomes: &mut [Option<Outcome>],
    err: &Arc<IndexError>,
    name: &str,
) {
    for &i in chunk {
        if outcomes[i].is_none() {
            outcomes[i] = Some(Outcome::Err {
                id: ops[i].id.clone(),
                error: ItemError::Index {
                    index: Some(name.to_string()),
                    source: err.clone(),
                },
            });
        }
    }
}

/// The `_id`s of the `create`s of `prepared` that a data stream's older backing indices hold, looked up
/// in their committed segments: a rollover commits the index it retires, and one that took a write after
/// all (a `_bulk` that chose it before the rollover) is committed here first. A write still racing this
/// check in the retired index is not seen.
fn ids_in_older_generations(
    target: &GroupTarget,
    ops: &[Op<'_>],
    prepared: &[(usize, Prepared)],
) -> Result<rustc_hash::FxHashSet<String>, IndexError> {
    let mut found = rustc_hash::FxHashSet::default();
    if target.older.is_empty() {
        return Ok(found);
    }
    for h in &target.older {
        if h.uncommitted().is_some() {
            h.refresh()?;
        }
    }
    let searchers: Vec<_> = target.older.iter().map(|h| (h, h.searcher())).collect();
    for (i, p) in prepared {
        if !p.explicit_id || ops[*i].action != Action::Create {
            continue;
        }
        for (h, searcher) in &searchers {
            if h.committed_exists(searcher, &p.id)? {
                found.insert(p.id.clone());
                break;
            }
        }
    }
    Ok(found)
}

/// Hands `prepared` to the index writer under its lock: `_id` existence checks, deletes, adds. Returns the
/// outcomes and the write sequence number to commit through. `elsewhere`: `_id`s a data stream's older
/// backing indices hold, which a `create` conflicts with as well.
fn write(
    set: &IndexSet,
    target: &GroupTarget,
    handle: &mut Arc<IndexHandle>,
    name: &str,
    ops: &[Op<'_>],
    prepared: &mut [(usize, Prepared)],
    elsewhere: &rustc_hash::FxHashSet<String>,
) -> Result<(Vec<(usize, Outcome)>, u64), IndexError> {
    let fields = handle.fields;
    let mut attempt = 0;
    loop {
        // The closure runs at most once (a deleted index, retried below, is refused before it runs), so
        // it moves ids and documents out of `prepared`.
        set.admit_writer(handle);
        let res = handle.write(|state, searcher| {
            let mut results: Vec<(usize, Outcome)> = Vec::with_capacity(prepared.len());
            // The chunk goes to tantivy as one batch: one hand-over to an indexing thread instead of one
            // per document, with the same order (deletes before the adds that replace them).
            let mut batch: Vec<UserOperation<LogDocument>> = Vec::with_capacity(prepared.len() + 8);
            // Each segment's version columns are opened once for the chunk.
            let mut lookup = VersionLookup::new(searcher);
            for (i, p) in prepared.iter_mut() {
                let action = ops[*i].action;
                let key = IdKey::of(&p.id);
                // Generated `_id`s are new: no lookup.
                let current = if p.explicit_id {
                    match handle.current(state, &mut lookup, &p.id, key) {
                        Ok(current) => current,
                        Err(error) => {
                            let error = ItemError::Index {
                                index: None,
                                source: Arc::new(error),
                            };
                            results.push((
                                *i,
                                Outcome::Err {
                                    id: Some(p.id.clone()),
                                    error,
                                },
                            ));
                            continue;
                        }
                    }
                } else {
                    Current::Missing
                };
                if let Some(error) = cas_conflict(&handle.name, &p.id, ops[*i].cas, current) {
                    results.push((
                        *i,
                        Outcome::Err {
                            id: Some(p.id.clone()),
                            error,
                        },
                    ));
                    continue;
                }
                let live = current.live();
                let outcome = match action {
                    Action::Create if live.is_some() || elsewhere.contains(&p.id) => Outcome::Err {
                        id: Some(p.id.clone()),
                        error: ItemError::VersionConflict {
                            index: handle.name.clone(),
                            id: p.id.clone(),
                            version: live.map_or(1, |v| v.version),
                        },
                    },
                    Action::Delete => {
                        // Logged even when there is nothing to delete: it takes a `_seq_no`, as in ES,
                        // and a replay must take the same ones.
                        let version = DocVersion {
                            seq_no: state.take_seq_no(),
                            version: current.next_version(),
                        };
                        if live.is_some() {
                            batch.push(UserOperation::Delete(Term::from_field_text(
                                fields.id, &p.id,
                            )));
                        }
                        state.log.delete(&p.id);
                        // The tombstone's key joins the filter, which a lookup asks first.
                        state.ids.insert(key);
                        state.pending.insert(key, Current::Deleted(version));
                        Outcome::Ok {
                            id: std::mem::take(&mut p.id),
                            result: if live.is_some() {
                                ItemResult::Deleted
                            } else {
                                ItemResult::NotFound
                            },
                            version,
                        }
                    }
                    _ => {
                        let Some(mut doc) = p.doc.take() else {
                            results.push((
                                *i,
                                Outcome::Err {
                                    id: Some(p.id.clone()),
                                    error: ItemError::NotProcessed,
                                },
                            ));
                            continue;
                        };
                        let version = DocVersion {
                            seq_no: state.take_seq_no(),
                            version: current.next_version(),
                        };
                        doc.set_versions(&fields, version.seq_no, version.version);
                        if live.is_some() {
                            batch.push(UserOperation::Delete(Term::from_field_text(
                                fields.id, &p.id,
                            )));
                        }
                        batch.push(UserOperation::Add(doc));
                        state.log.index(&p.id, ops[*i].source.unwrap_or_default());
                        if p.explicit_id {
                            state.pending.insert(key, Current::Live(version));
                        }
                        let result = if live.is_some() {
                            ItemResult::Updated
                        } else {
                            state.ids.insert(key);
                            ItemResult::Created
                        };
                        Outcome::Ok {
                            id: std::mem::take(&mut p.id),
                            result,
                            version,
                        }
                    }
                };
                results.push((*i, outcome));
            }
            if let Err(err) = state.writer.run(batch) {
                // The writer has stopped (an indexing thread failed; the chunk's deletes may be queued).
                // `IndexHandle::write` rolls it back and replays the translog, which the chunk never
                // reached; the chunk fails.
                state.stopped = true;
                return Err(IndexError::Tantivy(err));
            }
            Ok(results)
        });
        let res = res.and_then(|(results, seq)| results.map(|r| (r, seq)));
        match res {
            Ok(r) => return Ok(r),
            // The index was deleted under us: recreate it once (a plain index; a data stream's backing
            // index is not recreated behind its data stream's back).
            Err(IndexError::Deleted { .. }) if attempt == 0 && target.recreate => {
                attempt += 1;
                *handle = set.get_or_create(name)?;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Parses and converts the documents of `members` (outside any lock); failures go to `outcomes`. For a
/// data stream (`data_stream`), a document without `@timestamp` fails.
fn prepare(
    ids: &IdGen,
    name: &str,
    fields: &Fields,
    ops: &[Op<'_>],
    members: &[usize],
    data_stream: bool,
    outcomes: &mut [Option<Outcome>],
) -> Vec<(usize, Prepared)> {
    let mut prepared: Vec<(usize, Prepared)> = Vec::with_capacity(members.len());
    for &i in members {
        let op = &ops[i];
        let (id, explicit_id) = match &op.id {
            Some(id) if id.is_empty() || id.len() > 512 => {
                outcomes[i] = Some(Outcome::Err {
                    id: Some(id.clone()),
                    error: ItemError::IdInvalid {
                        index: name.to_string(),
                    },
                });
                continue;
            }
            Some(id) => (id.clone(), true),
            None if op.action == Action::Delete => {
                outcomes[i] = Some(Outcome::Err {
                    id: None,
                    error: ItemError::IdMissing {
                        index: name.to_string(),
                    },
                });
                continue;
            }
            None => (ids.next_id(), false),
        };
        if let Some(reason) = cas_invalid(op.action, op.cas) {
            outcomes[i] = Some(Outcome::Err {
                id: Some(id),
                error: ItemError::CasInvalid {
                    index: name.to_string(),
                    reason,
                },
            });
            continue;
        }
        let doc = match op.source {
            None => None,
            Some(src) => match LogDocument::from_source(fields, &id, src) {
                Ok(doc) if data_stream && !doc.has_timestamp(fields) => {
                    let column = src.trim_ascii_end().len();
                    outcomes[i] = Some(Outcome::Err {
                        id: Some(id),
                        error: ItemError::Document {
                            index: name.to_string(),
                            source: DocumentError::TimestampMissing { column },
                        },
                    });
                    continue;
                }
                Ok(doc) => Some(doc),
                Err(source) => {
                    outcomes[i] = Some(Outcome::Err {
                        id: Some(id),
                        error: ItemError::Document {
                            index: name.to_string(),
                            source,
                        },
                    });
                    continue;
                }
            },
        };
        prepared.push((
            i,
            Prepared {
                id,
                explicit_id,
                doc,
            },
        ));
    }
    prepared
}

/// ES's validation of `if_seq_no` / `if_primary_term` (its reason), before anything is looked up.
fn cas_invalid(action: Action, cas: Cas) -> Option<String> {
    let term = cas.if_primary_term.unwrap_or(0);
    match cas.if_seq_no {
        _ if action == Action::Create && (cas.if_seq_no.is_some() || term != 0) => {
            Some("create operations do not support compare and set. use index instead".to_string())
        }
        Some(_) if term == 0 => Some("ifSeqNo is set, but primary term is [0]".to_string()),
        None if term != 0 => Some(format!(
            "ifSeqNo is unassigned, but primary term is [{term}]"
        )),
        _ => None,
    }
}

/// The conflict of a write whose `if_seq_no` / `if_primary_term` (`cas`) the document `id` of index
/// `index` does not match, as it stands (`current`).
fn cas_conflict(index: &str, id: &str, cas: Cas, current: Current) -> Option<ItemError> {
    let (Some(if_seq_no), Some(if_primary_term)) = (cas.if_seq_no, cas.if_primary_term) else {
        return None;
    };
    let live = current.live();
    if live.is_some_and(|v| v.seq_no == if_seq_no && if_primary_term == PRIMARY_TERM) {
        return None;
    }
    Some(ItemError::SeqNoConflict {
        index: index.to_string(),
        id: id.to_string(),
        if_seq_no,
        if_primary_term,
        current: live.map(|v| (v.seq_no, PRIMARY_TERM)),
    })
}
