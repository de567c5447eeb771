//! `_bulk`: NDJSON `index` / `create` / `delete` actions, durable in each index's translog on return.
//!
//! Parsing and document conversion happen outside any lock, in chunks; the writer lock is held only to
//! check a chunk's `_id`s and hand its documents to tantivy, whose indexing threads then work on it while
//! the next chunk is converted; the same lock logs them to the index's translog. After the last chunk
//! [`IndexHandle::sync_through`] makes the log durable (or, with `?refresh=`, [`IndexHandle::commit_through`]
//! commits and makes them searchable) before the response is built, so a returned response means every
//! successful item survives a crash. A bad document line fails only its item; a malformed action line
//! fails the whole request (as in ES, the pairing of later lines can no longer be trusted).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use serde_json::Value;
use tantivy::indexer::UserOperation;
use tantivy::Term;

use super::bulk_response::{BulkItem, BulkResponse, ItemOutcome as Outcome};
use super::error::EsError;
use super::index_set::{IdKey, IndexHandle, IndexSet};
use super::log_document::LogDocument;
use super::refresher::Refresh;
use super::schema::Fields;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Index,
    Create,
    Delete,
    Update,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Index => "index",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Update => "update",
        }
    }
}

struct Op<'a> {
    action: Action,
    index: Option<String>,
    id: Option<String>,
    source: Option<&'a [u8]>,
}

/// Generates ES-like 20-character ids, unique within the process.
pub struct IdGen {
    seq: AtomicU64,
    salt: u64,
}

impl Default for IdGen {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        IdGen {
            seq: AtomicU64::new(0),
            salt: xxhash_rust::xxh3::xxh3_64(
                &[
                    nanos.to_le_bytes(),
                    u64::from(std::process::id()).to_le_bytes(),
                ]
                .concat(),
            ),
        }
    }
}

impl IdGen {
    /// A fresh id.
    pub fn next_id(&self) -> String {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let millis = chrono::Utc::now().timestamp_millis() as u64;
        let mut bytes = [0u8; 15];
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6..14].copy_from_slice(&self.salt.wrapping_add(seq).to_be_bytes());
        bytes[14] = (self.salt >> 56) as u8;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}

fn parse_ops(body: &[u8]) -> Result<Vec<Op<'_>>, EsError> {
    let mut lines = body
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace));
    let mut ops = Vec::new();
    while let Some((lineno, line)) = lines.next() {
        let (action, index, id) = match ActionLine::parse(line) {
            Some(usual) => usual,
            None => parse_action(line, lineno)?,
        };
        let source = if action == Action::Delete {
            None
        } else {
            match lines.next() {
                Some((_, l)) => Some(l),
                None => {
                    return Err(EsError::illegal_argument(format!(
                        "Malformed action/metadata line [{lineno}]: the [{}] action has no document line",
                        action.name()
                    )))
                }
            }
        };
        ops.push(Op {
            action,
            index,
            id,
            source,
        });
    }
    Ok(ops)
}

/// The action, `_index` and `_id` of an action line of any shape, or the ES error for it.
fn parse_action(
    line: &[u8],
    lineno: usize,
) -> Result<(Action, Option<String>, Option<String>), EsError> {
    let meta: Value = serde_json::from_slice(line).map_err(|e| {
        EsError::illegal_argument(format!(
            "Malformed action/metadata line [{lineno}], expected START_OBJECT: {e}"
        ))
    })?;
    let Value::Object(map) = meta else {
        return Err(EsError::illegal_argument(format!(
            "Malformed action/metadata line [{lineno}], expected START_OBJECT"
        )));
    };
    let mut entries = map.into_iter();
    let (Some((name, params)), None) = (entries.next(), entries.next()) else {
        return Err(EsError::illegal_argument(format!(
            "Malformed action/metadata line [{lineno}], expected a single action"
        )));
    };
    let action = match name.as_str() {
        "index" => Action::Index,
        "create" => Action::Create,
        "delete" => Action::Delete,
        "update" => Action::Update,
        other => {
            return Err(EsError::illegal_argument(format!(
                "Malformed action/metadata line [{lineno}], expected one of [create, delete, index, update] but found [{other}]"
            )))
        }
    };
    let Value::Object(params) = params else {
        return Err(EsError::illegal_argument(format!(
            "Malformed action/metadata line [{lineno}], expected START_OBJECT after [{name}]"
        )));
    };
    let index = params
        .get("_index")
        .and_then(Value::as_str)
        .map(str::to_string);
    let id = match params.get("_id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok((action, index, id))
}

/// The usual action line (`index`, `create` or `delete` with string `_index` / `_id`), read without
/// building a JSON tree. Anything else is left to the general parser, [`parse_action`], which also words
/// the errors.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionLine<'a> {
    #[serde(borrow, default)]
    index: Option<ActionMeta<'a>>,
    #[serde(borrow, default)]
    create: Option<ActionMeta<'a>>,
    #[serde(borrow, default)]
    delete: Option<ActionMeta<'a>>,
}

#[derive(serde::Deserialize)]
struct ActionMeta<'a> {
    #[serde(rename = "_index", borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(rename = "_id", borrow, default)]
    id: Option<Cow<'a, str>>,
}

impl ActionLine<'_> {
    /// The action, `_index` and `_id` of `line`, if it has the usual shape.
    fn parse(line: &[u8]) -> Option<(Action, Option<String>, Option<String>)> {
        let parsed: ActionLine<'_> = serde_json::from_slice(line).ok()?;
        let (action, meta) = match (parsed.index, parsed.create, parsed.delete) {
            (Some(m), None, None) => (Action::Index, m),
            (None, Some(m), None) => (Action::Create, m),
            (None, None, Some(m)) => (Action::Delete, m),
            _ => return None,
        };
        Some((
            action,
            meta.index.map(Cow::into_owned),
            meta.id.map(Cow::into_owned),
        ))
    }
}

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
) -> Result<BulkResponse, EsError> {
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
                error: EsError::new(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: index is missing;",
                ),
            });
            continue;
        };
        if op.action == Action::Update {
            outcomes[i] = Some(Outcome::Err {
                id: op.id.clone(),
                error: EsError::illegal_argument(
                    "the [update] bulk action is not supported by the logpipe store",
                )
                .with_index(&target),
            });
            continue;
        }
        match groups.iter_mut().find(|(n, _)| *n == target) {
            Some((_, v)) => v.push(i),
            None => groups.push((target, vec![i])),
        }
    }

    for (name, members) in groups {
        if let Err(err) = apply_group(set, ids, &name, &ops, &members, refresh, &mut outcomes) {
            for &i in &members {
                outcomes[i] = Some(Outcome::Err {
                    id: ops[i].id.clone(),
                    error: err.clone().with_index(&name),
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
                error: EsError::internal("item was not processed"),
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
    ops: &[Op<'_>],
    members: &[usize],
    refresh: Refresh,
    outcomes: &mut [Option<Outcome>],
) -> Result<(), EsError> {
    let mut handle = set.get_or_create(name)?;
    let mut last_seq = None;
    // A chunk that cannot be written fails with the chunks after it; those before it were logged and
    // keep their outcomes (once the sync below has made them durable).
    let mut failed: Option<EsError> = None;
    for chunk in members.chunks(CHUNK) {
        if let Some(err) = &failed {
            fail_unanswered(ops, chunk, outcomes, err, name);
            continue;
        }
        let fields = handle.fields;
        let mut prepared = prepare(ids, name, &fields, ops, chunk, outcomes);
        if prepared.is_empty() {
            continue;
        }
        match write(set, &mut handle, name, ops, &mut prepared) {
            Ok((results, seq)) => {
                for (i, outcome) in results {
                    outcomes[i] = Some(outcome);
                }
                last_seq = Some(seq);
            }
            Err(err) => {
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

/// Gives every item of `chunk` not answered yet the error `err`.
fn fail_unanswered(
    ops: &[Op<'_>],
    chunk: &[usize],
    outcomes: &mut [Option<Outcome>],
    err: &EsError,
    name: &str,
) {
    for &i in chunk {
        if outcomes[i].is_none() {
            outcomes[i] = Some(Outcome::Err {
                id: ops[i].id.clone(),
                error: err.clone().with_index(name),
            });
        }
    }
}

/// Hands `prepared` to the index writer under its lock: `_id` existence checks, deletes, adds. Returns the
/// outcomes and the write sequence number to commit through.
fn write(
    set: &IndexSet,
    handle: &mut Arc<IndexHandle>,
    name: &str,
    ops: &[Op<'_>],
    prepared: &mut [(usize, Prepared)],
) -> Result<(Vec<(usize, Outcome)>, u64), EsError> {
    let fields = handle.fields;
    let mut attempt = 0;
    loop {
        // The closure runs at most once (a deleted index, retried below, is refused before it runs), so
        // it moves ids and documents out of `prepared`.
        let res = handle.write(|state, searcher| {
            let mut results: Vec<(usize, Outcome)> = Vec::with_capacity(prepared.len());
            // The chunk goes to tantivy as one batch: one hand-over to an indexing thread instead of one
            // per document, with the same order (deletes before the adds that replace them).
            let mut batch: Vec<UserOperation<LogDocument>> = Vec::with_capacity(prepared.len() + 8);
            for (i, p) in prepared.iter_mut() {
                let action = ops[*i].action;
                let key = IdKey::of(&p.id);
                let exists = if p.explicit_id && state.ids.may_contain(key) {
                    match state.pending.get(&key) {
                        Some(&e) => e,
                        None => match handle.committed_exists(searcher, &p.id) {
                            Ok(e) => e,
                            Err(error) => {
                                results.push((*i, Outcome::Err { id: Some(p.id.clone()), error }));
                                continue;
                            }
                        },
                    }
                } else {
                    false
                };
                let outcome = match action {
                    Action::Create if exists => Outcome::Err {
                        id: Some(p.id.clone()),
                        error: EsError::new(
                            409,
                            "version_conflict_engine_exception",
                            format!("[{}]: version conflict, document already exists (current version [1])", p.id),
                        )
                        .with_index(name),
                    },
                    Action::Delete => {
                        if exists {
                            batch.push(UserOperation::Delete(Term::from_field_text(fields.id, &p.id)));
                            state.log.delete(&p.id);
                            state.pending.insert(key, false);
                            Outcome::Ok { id: std::mem::take(&mut p.id), status: 200, result: "deleted" }
                        } else {
                            Outcome::Ok { id: std::mem::take(&mut p.id), status: 404, result: "not_found" }
                        }
                    }
                    _ => {
                        let Some(doc) = p.doc.take() else {
                            results.push((*i, Outcome::Err { id: Some(p.id.clone()), error: EsError::internal("document missing") }));
                            continue;
                        };
                        if exists {
                            batch.push(UserOperation::Delete(Term::from_field_text(fields.id, &p.id)));
                        }
                        batch.push(UserOperation::Add(doc));
                        state.log.index(&p.id, ops[*i].source.unwrap_or_default());
                        if p.explicit_id {
                            state.pending.insert(key, true);
                        }
                        if exists {
                            Outcome::Ok { id: std::mem::take(&mut p.id), status: 200, result: "updated" }
                        } else {
                            state.ids.insert(key);
                            Outcome::Ok { id: std::mem::take(&mut p.id), status: 201, result: "created" }
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
                return Err(EsError::internal(err));
            }
            Ok(results)
        });
        let res = res.and_then(|(results, seq)| results.map(|r| (r, seq)));
        match res {
            Ok(r) => return Ok(r),
            // The index was deleted under us: recreate it once.
            Err(err) if err.status == 503 && attempt == 0 => {
                attempt += 1;
                *handle = set.get_or_create(name)?;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Parses and converts the documents of `members` (outside any lock); failures go to `outcomes`.
fn prepare(
    ids: &IdGen,
    name: &str,
    fields: &Fields,
    ops: &[Op<'_>],
    members: &[usize],
    outcomes: &mut [Option<Outcome>],
) -> Vec<(usize, Prepared)> {
    let mut prepared: Vec<(usize, Prepared)> = Vec::with_capacity(members.len());
    for &i in members {
        let op = &ops[i];
        let (id, explicit_id) = match &op.id {
            Some(id) if id.is_empty() || id.len() > 512 => {
                outcomes[i] = Some(Outcome::Err {
                    id: Some(id.clone()),
                    error: EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: id is too long or empty;",
                    )
                    .with_index(name),
                });
                continue;
            }
            Some(id) => (id.clone(), true),
            None if op.action == Action::Delete => {
                outcomes[i] = Some(Outcome::Err {
                    id: None,
                    error: EsError::new(
                        400,
                        "action_request_validation_exception",
                        "Validation Failed: 1: id is missing;",
                    )
                    .with_index(name),
                });
                continue;
            }
            None => (ids.next_id(), false),
        };
        let doc = match op.source {
            None => None,
            Some(src) => match LogDocument::from_source(fields, &id, src) {
                Ok(doc) => Some(doc),
                Err(error) => {
                    outcomes[i] = Some(Outcome::Err {
                        id: Some(id),
                        error: error.with_index(name),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_20_chars() {
        let g = IdGen::default();
        let a = g.next_id();
        let b = g.next_id();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }

    #[test]
    fn bad_action_line_fails_request() {
        assert!(parse_ops(b"{\"index\":{}}\n{}\n{nope\n{}\n").is_err());
        assert!(parse_ops(b"{\"frob\":{}}\n{}\n").is_err());
        let ops = parse_ops(b"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_id\":2}}\n")
            .unwrap_or_default();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[1].id.as_deref(), Some("2"));
    }

    #[test]
    fn usual_and_unusual_action_lines_parse_alike() {
        let body = concat!(
            "{\"index\":{\"_index\":\"a\",\"_id\":\"x\\\"1\"}}\n{}\n",
            "{\"create\":{\"_id\":\"y\",\"routing\":\"r\"}}\n{}\n",
            "{\"delete\":{\"_index\":\"b\",\"_id\":\"z\"}}\n",
            "{\"index\":{\"_id\":7}}\n{}\n",
            "{\"update\":{\"_id\":\"u\"}}\n{}\n",
        );
        let ops = parse_ops(body.as_bytes()).unwrap_or_default();
        let seen: Vec<(Action, Option<&str>, Option<&str>, bool)> = ops
            .iter()
            .map(|o| {
                (
                    o.action,
                    o.index.as_deref(),
                    o.id.as_deref(),
                    o.source.is_some(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Action::Index, Some("a"), Some("x\"1"), true),
                (Action::Create, None, Some("y"), true),
                (Action::Delete, Some("b"), Some("z"), false),
                (Action::Index, None, Some("7"), true),
                (Action::Update, None, Some("u"), true),
            ]
        );
        assert!(parse_ops(b"{\"index\":{},\"create\":{}}\n{}\n").is_err());
        assert!(parse_ops(b"{\"index\":{}}\n").is_err());
    }
}
