//! One open index ([`IndexHandle`]): its tantivy index and reader, its writer (opened on first write),
//! its translog, and the write → durable → committed protocol.
//!
//! Invariants:
//! - each handle has at most one `IndexWriter`, opened lazily on first write and kept alive; `pending`
//!   records `_id`s added or deleted since the last commit, so `_id` existence checks see uncommitted work
//!   (the reader only sees committed segments);
//! - writes bump `seq` under the writer lock and append their operations to the index's [`Translog`]
//!   under the same lock; [`IndexHandle::sync_through`] makes them durable (a `_bulk` answers 200 after
//!   it); [`IndexHandle::commit_through`] commits tantivy once for every write up to the current `seq`
//!   (group commit: bulks that wrote while another commit ran share the next one), naming the first
//!   translog generation not in the commit in its payload, and reloads the reader before clearing
//!   `pending`. The refresher calls it within a second of a write (for a search-idle index: after 30 s or
//!   500 k operations, or the next search does); `?refresh=` right away;
//! - opening an index replays its translog from the generation its last commit names, then commits;
//! - a write racing the deletion of its index sees `deleted` and fails with [`IndexError::Deleted`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tantivy::indexer::IndexWriterOptions;
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocSet, Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term, TERMINATED,
};

use crate::doc::log_document::LogDocument;
use crate::doc::schema::{build_schema, Fields};
use crate::index::error::IndexError;
use crate::index::format::{check_format, write_format, Identity};
use crate::index::id_filter::{IdFilter, IdKey};
use crate::index::search_activity::SearchActivity;
use crate::index::settings::WriterConfig;
use crate::index::translog::{GenerationContents, LogBatch, LoggedOp, Translog};

/// Commit payload: the first translog generation whose operations are not in the commit.
#[derive(serde::Deserialize)]
struct CommitPayload {
    translog_generation: u64,
}

impl CommitPayload {
    fn to_json(&self) -> String {
        format!("{{\"translog_generation\":{}}}", self.translog_generation)
    }
}

/// Writer-side state of one index, behind the writer mutex.
pub struct WriterState {
    /// The tantivy writer.
    pub writer: IndexWriter<LogDocument>,
    /// `_id` (as its [`IdKey`]) → exists, for ids touched since the last commit.
    pub pending: HashMap<IdKey, bool, rustc_hash::FxBuildHasher>,
    /// Bloom filter over every `_id` ever added (committed or not): a miss means "new id" without
    /// looking into every segment's term dictionary.
    pub ids: IdFilter,
    /// Translog records of the write in progress, appended when it ends.
    pub log: LogBatch,
    /// Set by a write whose hand-over to tantivy failed (the writer has stopped): [`IndexHandle::write`]
    /// then logs nothing of it and brings the writer back ([`IndexHandle::recover`]) before it returns.
    pub stopped: bool,
}

/// One open ES index.
pub struct IndexHandle {
    /// ES index name.
    pub name: String,
    /// Directory of the tantivy index.
    pub dir: PathBuf,
    /// The tantivy index.
    pub index: Index,
    /// Reader, reloaded after every commit.
    pub reader: IndexReader,
    /// Field handles.
    pub fields: Fields,
    writer: Mutex<WriterSlot>,
    /// Highest write sequence number known to be committed (the lock commits take first, then the
    /// writer's).
    committed: Mutex<Committed>,
    translog: Translog,
    deleted: AtomicBool,
    /// When the index was last searched: whether the refresher commits it every second.
    pub activity: SearchActivity,
    /// What its writer is opened with.
    writer_config: WriterConfig,
    /// ES's `index.uuid` and `index.creation_date`.
    identity: Identity,
}

struct Committed {
    seq: u64,
}

struct WriterSlot {
    state: Option<WriterState>,
    /// The first translog generation not in the last commit: where a replay into a rolled-back writer
    /// starts. Changed only by a commit, which holds the writer lock too.
    replay_from: u64,
    seq: u64,
    /// Operations logged since the last commit, and when the first of them was.
    uncommitted_ops: u64,
    uncommitted_since: Option<Instant>,
}

impl IndexHandle {
    /// Opens the index in `dir` (checking its format tag), or creates it there when `create`, replaying
    /// its translog and committing what the replay applied.
    pub(super) fn open_or_create(
        dir: &Path,
        name: &str,
        create: bool,
        search_executor: &Executor,
        writer_config: WriterConfig,
    ) -> Result<IndexHandle, IndexError> {
        let (mut index, identity) = if create {
            std::fs::create_dir_all(dir)?;
            // The tag goes first: a crash before meta.json leaves a directory that is not an index yet.
            let identity = write_format(dir)?;
            (Index::create_in_dir(dir, build_schema())?, identity)
        } else {
            let identity = check_format(dir)?;
            (Index::open_in_dir(dir)?, identity)
        };
        // Before the reader is built: searchers take the executor from the index they were made from.
        index.set_executor(search_executor.clone());
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let first_uncommitted = match index.load_metas()?.payload {
            Some(p) => {
                serde_json::from_str::<CommitPayload>(&p)
                    .map_err(|source| IndexError::CommitPayload {
                        payload: p.clone(),
                        source,
                    })?
                    .translog_generation
            }
            None => 0,
        };
        let (translog, recovery) = Translog::open(dir, first_uncommitted)?;
        let handle = IndexHandle {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            writer: Mutex::new(WriterSlot {
                state: None,
                replay_from: first_uncommitted,
                seq: 0,
                uncommitted_ops: 0,
                uncommitted_since: None,
            }),
            committed: Mutex::new(Committed { seq: 0 }),
            translog,
            deleted: AtomicBool::new(false),
            activity: SearchActivity::new(),
            writer_config,
            identity,
        };
        if !recovery.generations.is_empty() {
            // The replay is one write; committing through it also deletes the replayed generations.
            let replayed = {
                let mut slot = handle.writer.lock();
                let state = handle.writer_state(&mut slot)?;
                let replayed = handle.replay(state, &recovery.generations)?;
                slot.seq += 1;
                replayed
            };
            // Commits through the replay and closes the writer again: opening many indices leaves no
            // writer open.
            handle.close_writer()?;
            if replayed > 0 {
                log::info!(
                    "store: index [{name}]: replayed {replayed} operations from the translog"
                );
            }
        }
        Ok(handle)
    }

    /// The writer state, opening the writer (and building the `_id` filter) on first use.
    fn writer_state<'a>(
        &self,
        slot: &'a mut WriterSlot,
    ) -> Result<&'a mut WriterState, IndexError> {
        if let Some(state) = slot.state.take() {
            return Ok(slot.state.insert(state));
        }
        let config = self.writer_config;
        let options = IndexWriterOptions::builder()
            .num_worker_threads(config.threads)
            .memory_budget_per_thread(config.budget / config.threads)
            .num_merge_threads(config.merge_threads)
            .build();
        let writer = self.index.writer_with_options(options)?;
        let ids = IdFilter::build(&self.reader.searcher(), self.fields.id, 1 << 20)?;
        let state = WriterState {
            writer,
            pending: HashMap::default(),
            ids,
            log: LogBatch::default(),
            stopped: false,
        };
        Ok(slot.state.insert(state))
    }

    /// Brings a writer that stopped or failed to commit back: to the last commit, then forward again
    /// through the translog from generation `replay_from`, which holds every acknowledged write since.
    fn recover(&self, state: &mut WriterState, replay_from: u64) -> Result<(), IndexError> {
        state.writer.rollback()?;
        state.pending.clear();
        state.stopped = false;
        // Records of the write in progress were not appended; its request gets an error.
        state.log = LogBatch::default();
        let generations = self.translog.generations_from(replay_from)?;
        self.replay(state, &generations)?;
        Ok(())
    }

    /// Applies the operations of translog `generations` to the writer, in order; returns how many.
    fn replay(&self, state: &mut WriterState, generations: &[PathBuf]) -> Result<u64, IndexError> {
        let mut applied = 0;
        for path in generations {
            let contents = GenerationContents::read(path)?;
            if let Some(why) = &contents.torn_tail {
                log::warn!("store: index [{}]: translog {why}", self.name);
            }
            for op in contents.ops() {
                match op {
                    LoggedOp::Index { id, source } => {
                        state
                            .writer
                            .delete_term(Term::from_field_text(self.fields.id, id));
                        match LogDocument::from_source(&self.fields, id, source) {
                            Ok(doc) => {
                                state.writer.add_document(doc)?;
                                let key = IdKey::of(id);
                                state.ids.insert(key);
                                state.pending.insert(key, true);
                            }
                            // It was converted once before being logged; a build with other rules may
                            // refuse it now. Say so and go on with the rest.
                            Err(err) => log::error!(
                                "store: index [{}]: translog document [{id}] skipped: {err}",
                                self.name
                            ),
                        }
                    }
                    LoggedOp::Delete { id } => {
                        state
                            .writer
                            .delete_term(Term::from_field_text(self.fields.id, id));
                        state.pending.insert(IdKey::of(id), false);
                    }
                }
                applied += 1;
            }
        }
        Ok(applied)
    }

    /// ES's `index.uuid` of the index.
    pub fn uuid(&self) -> &str {
        &self.identity.uuid
    }

    /// ES's `index.creation_date` of the index (epoch millis).
    pub fn creation_date(&self) -> i64 {
        self.identity.creation_date
    }

    /// A searcher over committed documents.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Runs `f` with the writer (opened if needed) and a searcher consistent with `pending`; returns `f`'s
    /// result and the write sequence number to pass to [`IndexHandle::commit_through`].
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut WriterState, &Searcher) -> R,
    ) -> Result<(R, u64), IndexError> {
        let mut slot = self.writer.lock();
        if self.deleted.load(Ordering::SeqCst) {
            return Err(IndexError::Deleted {
                name: self.name.clone(),
            });
        }
        let searcher = self.reader.searcher();
        let seq = slot.seq + 1;
        let replay_from = slot.replay_from;
        let state = self.writer_state(&mut slot)?;
        let r = f(state, &searcher);
        if state.stopped {
            // Whatever of this write reached the writer goes with the rollback; none of it is logged.
            if let Err(err) = self.recover(state, replay_from) {
                log::error!(
                    "store: index [{}]: writer recovery failed: {err}",
                    self.name
                );
            }
            return Ok((r, slot.seq));
        }
        let wrote = state.log.records() > 0;
        let append = self.translog.append(&mut state.log, seq);
        slot.seq = seq;
        // Whatever the append did, these operations are in the writer and wait for a commit.
        if wrote {
            slot.uncommitted_since.get_or_insert_with(Instant::now);
        }
        match append {
            Ok(records) => slot.uncommitted_ops += records,
            // The operations are in the writer but not in the log: they will be committed, yet a crash
            // before that would lose them, so the request is not acknowledged (clients retry by `_id`).
            Err(err) => return Err(IndexError::TranslogAppend(err)),
        }
        Ok((r, slot.seq))
    }

    /// Makes every write up to `seq` durable (in the translog; searchable after the next refresh).
    pub fn sync_through(&self, seq: u64) -> Result<(), IndexError> {
        self.translog
            .sync_through(seq)
            .map_err(IndexError::TranslogSync)
    }

    /// How long ago the first operation not yet committed was written (`None`: there is none), and how
    /// many have been logged since.
    pub fn uncommitted(&self) -> Option<(Duration, u64)> {
        let slot = self.writer.lock();
        slot.uncommitted_since
            .map(|since| (since.elapsed(), slot.uncommitted_ops))
    }

    /// Records a search about to read the index; if nobody had searched it for `idle_after` (so the
    /// refresher may have left writes uncommitted), commits them first, as ES refreshes a search-idle
    /// shard before searching it. Searches arriving meanwhile wait for that commit; a failed one leaves the
    /// index idle, so the next search tries again.
    pub fn prepare_search(&self, idle_after: Duration) -> Result<(), IndexError> {
        self.activity.record_search(idle_after, |was_idle| {
            if was_idle && self.uncommitted().is_some() {
                self.refresh()?;
            }
            Ok(())
        })
    }

    /// Commits every write so far (the refresher's call).
    pub fn refresh(&self) -> Result<(), IndexError> {
        let seq = self.writer.lock().seq;
        self.commit_through(seq)
    }

    /// Makes every write up to `seq` durable and searchable (sharing a commit with concurrent writers).
    pub fn commit_through(&self, seq: u64) -> Result<(), IndexError> {
        let mut committed = self.committed.lock();
        if committed.seq >= seq {
            return Ok(());
        }
        let mut slot = self.writer.lock();
        let target = slot.seq;
        let replay_from = slot.replay_from;
        let mut committed_generation = None;
        if let Some(state) = slot.state.as_mut() {
            let generation = self.translog.roll().map_err(IndexError::TranslogRoll)?;
            let payload = CommitPayload {
                translog_generation: generation,
            }
            .to_json();
            let committing = state.writer.prepare_commit().and_then(|mut prepared| {
                prepared.set_payload(&payload);
                prepared.commit()
            });
            if let Err(err) = committing {
                self.recover(state, replay_from)?;
                return Err(err.into());
            }
            committed_generation = Some(generation);
            self.reader.reload()?;
            state.pending.clear();
            if let Err(err) = self.translog.trim(generation) {
                log::warn!("store: index [{}]: translog trim: {err}", self.name);
            }
            if state.ids.is_over_capacity() {
                // Everything is committed now, so the rebuilt filter is complete.
                state.ids = IdFilter::build(
                    &self.reader.searcher(),
                    self.fields.id,
                    state.ids.capacity() * 2,
                )?;
            }
        }
        if let Some(generation) = committed_generation {
            slot.replay_from = generation;
        }
        committed.seq = target;
        slot.uncommitted_ops = 0;
        slot.uncommitted_since = None;
        Ok(())
    }

    /// Whether a live document with this `_id` exists in the committed segments.
    pub fn committed_exists(&self, searcher: &Searcher, id: &str) -> Result<bool, IndexError> {
        let term = Term::from_field_text(self.fields.id, id);
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(self.fields.id)?;
            if let Some(mut postings) = inv.read_postings(&term, IndexRecordOption::Basic)? {
                let alive = seg.alive_bitset();
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|bits| bits.is_alive(doc)) {
                        return Ok(true);
                    }
                    doc = postings.advance();
                }
            }
        }
        Ok(false)
    }

    /// Number of live documents.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Bytes on disk.
    pub fn disk_bytes(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Commits and closes the writer (waiting for merges); later writes reopen it unless deleted.
    pub fn close_writer(&self) -> Result<(), IndexError> {
        self.refresh()?;
        let mut slot = self.writer.lock();
        if let Some(state) = slot.state.take() {
            state.writer.wait_merging_threads()?;
        }
        Ok(())
    }

    /// Marks the index deleted (a write waiting for it fails with [`IndexError::Deleted`] and retries on a
    /// fresh index) and drops its writer, waiting for its merges; the caller removes the directory.
    pub(super) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::SeqCst);
        let mut slot = self.writer.lock();
        if let Some(state) = slot.state.take() {
            let _ = state.writer.wait_merging_threads();
        }
    }
}
