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
//! - every logged operation takes the next `_seq_no` under the writer lock, and the commit payload names
//!   the highest committed one (`max_seq_no`); a replay takes the same numbers again (`versions.rs`);
//! - a write racing the deletion of its index sees `deleted` and fails with [`IndexError::Deleted`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tantivy::indexer::IndexWriterOptions;
use tantivy::{Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

use crate::doc::log_document::LogDocument;
use crate::doc::schema::{build_schema, Fields};
use crate::index::error::IndexError;
use crate::index::format::{check_format, write_format, Identity};
use crate::index::id_filter::{IdFilter, IdKey};
use crate::index::search_activity::SearchActivity;
use crate::index::settings::WriterConfig;
use crate::index::tombstones::Tombstones;
use crate::index::translog::{GenerationContents, LogBatch, LoggedOp, Translog};
use crate::index::versions::{max_stored_seq_no, Current, DocVersion, VersionLookup};

/// Commit payload: the first translog generation whose operations are not in the commit, and the highest
/// `_seq_no` in it (-1: none; absent in commits of builds before sequence numbers).
#[derive(serde::Deserialize)]
struct CommitPayload {
    translog_generation: u64,
    #[serde(default)]
    max_seq_no: Option<i64>,
}

impl CommitPayload {
    fn to_json(&self) -> String {
        format!(
            "{{\"translog_generation\":{},\"max_seq_no\":{}}}",
            self.translog_generation,
            self.max_seq_no.unwrap_or(-1)
        )
    }
}

/// Writer-side state of one index, behind the writer mutex.
pub struct WriterState {
    /// The tantivy writer.
    pub writer: IndexWriter<LogDocument>,
    /// `_id` (as its [`IdKey`]) → what it holds ([`Current::Live`] or the tombstone
    /// [`Current::Deleted`]), for ids touched since the last commit. Every key here is in `ids` too, so a
    /// lookup may ask the filter first and a replay (whose filter is rebuilt) finds what the write found.
    pub pending: HashMap<IdKey, Current, rustc_hash::FxBuildHasher>,
    /// Deletes committed in the last `index.gc_deletes`, whose versions a write to their `_id` goes on from.
    pub tombstones: Tombstones,
    /// The `_seq_no` the next logged operation takes.
    pub next_seq_no: u64,
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
    /// The next `_seq_no` while no writer is open (an open writer's state holds it).
    next_seq_no: u64,
    /// The next `_seq_no` after the last commit: where a replay into a rolled-back writer counts from.
    replay_seq_no: u64,
}

impl WriterState {
    /// Takes the next `_seq_no`, for an operation about to be logged.
    pub fn take_seq_no(&mut self) -> u64 {
        let seq_no = self.next_seq_no;
        self.next_seq_no += 1;
        seq_no
    }
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
        let (first_uncommitted, max_seq_no) = match index.load_metas()?.payload {
            Some(p) => {
                let payload = serde_json::from_str::<CommitPayload>(&p).map_err(|source| {
                    IndexError::CommitPayload {
                        payload: p.clone(),
                        source,
                    }
                })?;
                (payload.translog_generation, payload.max_seq_no)
            }
            None => (0, None),
        };
        // A commit of a build before sequence numbers does not name the highest: the columns have it.
        let next_seq_no = match max_seq_no {
            Some(max) => u64::try_from(max + 1).unwrap_or(0),
            None => max_stored_seq_no(&reader.searcher(), &fields).map_or(0, |max| max + 1),
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
                next_seq_no,
                replay_seq_no: next_seq_no,
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
            tombstones: Tombstones::default(),
            next_seq_no: slot.next_seq_no,
            ids,
            log: LogBatch::default(),
            stopped: false,
        };
        Ok(slot.state.insert(state))
    }

    /// Brings a writer that stopped or failed to commit back: to the last commit, then forward again
    /// through the translog from generation `replay_from`, which holds every acknowledged write since.
    fn recover(
        &self,
        state: &mut WriterState,
        replay_from: u64,
        replay_seq_no: u64,
    ) -> Result<(), IndexError> {
        state.writer.rollback()?;
        state.pending.clear();
        state.next_seq_no = replay_seq_no;
        state.stopped = false;
        // Records of the write in progress were not appended; its request gets an error.
        state.log = LogBatch::default();
        let generations = self.translog.generations_from(replay_from)?;
        self.replay(state, &generations)?;
        Ok(())
    }

    /// Applies the operations of translog `generations` to the writer, in order, giving them the sequence
    /// numbers and versions they were given when written; returns how many.
    fn replay(&self, state: &mut WriterState, generations: &[PathBuf]) -> Result<u64, IndexError> {
        let mut applied = 0;
        let searcher = self.reader.searcher();
        let mut lookup = VersionLookup::new(&searcher);
        for path in generations {
            let contents = GenerationContents::read(path)?;
            if let Some(why) = &contents.torn_tail {
                log::warn!("store: index [{}]: translog {why}", self.name);
            }
            for op in contents.ops() {
                match op {
                    LoggedOp::Index { id, source } => {
                        let key = IdKey::of(id);
                        let version = self.current(state, &mut lookup, id, key)?.next_version();
                        let seq_no = state.take_seq_no();
                        state
                            .writer
                            .delete_term(Term::from_field_text(self.fields.id, id));
                        match LogDocument::from_source(&self.fields, id, source) {
                            Ok(mut doc) => {
                                doc.set_versions(&self.fields, seq_no, version);
                                state.writer.add_document(doc)?;
                                state.ids.insert(key);
                                let v = DocVersion { seq_no, version };
                                state.pending.insert(key, Current::Live(v));
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
                        let key = IdKey::of(id);
                        let version = self.current(state, &mut lookup, id, key)?.next_version();
                        let seq_no = state.take_seq_no();
                        state
                            .writer
                            .delete_term(Term::from_field_text(self.fields.id, id));
                        let v = DocVersion { seq_no, version };
                        state.ids.insert(key);
                        state.pending.insert(key, Current::Deleted(v));
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
        let replay_seq_no = slot.replay_seq_no;
        let state = self.writer_state(&mut slot)?;
        let r = f(state, &searcher);
        if state.stopped {
            // Whatever of this write reached the writer goes with the rollback; none of it is logged.
            if let Err(err) = self.recover(state, replay_from, replay_seq_no) {
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
        let replay_seq_no = slot.replay_seq_no;
        let mut committed_generation = None;
        if let Some(state) = slot.state.as_mut() {
            let generation = self.translog.roll().map_err(IndexError::TranslogRoll)?;
            let next_seq_no = state.next_seq_no;
            let payload = CommitPayload {
                translog_generation: generation,
                max_seq_no: Some(next_seq_no as i64 - 1),
            }
            .to_json();
            let committing = state.writer.prepare_commit().and_then(|mut prepared| {
                prepared.set_payload(&payload);
                prepared.commit()
            });
            if let Err(err) = committing {
                self.recover(state, replay_from, replay_seq_no)?;
                return Err(err.into());
            }
            committed_generation = Some((generation, next_seq_no));
            self.reader.reload()?;
            state
                .tombstones
                .commit(state.pending.iter(), Instant::now());
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
                for key in state.tombstones.keys() {
                    state.ids.insert(key);
                }
            }
        }
        if let Some((generation, next_seq_no)) = committed_generation {
            slot.replay_from = generation;
            slot.replay_seq_no = next_seq_no;
        }
        committed.seq = target;
        slot.uncommitted_ops = 0;
        slot.uncommitted_since = None;
        Ok(())
    }

    /// Whether a live document with this `_id` exists in the committed segments.
    pub fn committed_exists(&self, searcher: &Searcher, id: &str) -> Result<bool, IndexError> {
        Ok(VersionLookup::new(searcher)
            .committed(&self.fields, id)?
            .is_some())
    }

    /// What `id` (whose filter key is `key`) holds for a write under the writer lock: the writes since
    /// the last commit (`pending`), else the committed segments (`lookup`). The `_id` filter answers
    /// most new `_id`s without a lookup.
    pub fn current(
        &self,
        state: &WriterState,
        lookup: &mut VersionLookup<'_>,
        id: &str,
        key: IdKey,
    ) -> Result<Current, IndexError> {
        if !state.ids.may_contain(key) {
            return Ok(Current::Missing);
        }
        if let Some(current) = state.pending.get(&key) {
            return Ok(*current);
        }
        if let Some(deleted) = state.tombstones.get(key, Instant::now()) {
            return Ok(Current::Deleted(deleted));
        }
        Ok(lookup
            .committed(&self.fields, id)?
            .map_or(Current::Missing, Current::Live))
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
            slot.next_seq_no = state.next_seq_no;
            state.writer.wait_merging_threads()?;
        }
        Ok(())
    }

    /// Shuts the index for closing: later writes fail with [`IndexError::Deleted`] (and retry to find it
    /// closed), what was written is committed and the writer closed.
    pub(super) fn shut(&self) -> Result<(), IndexError> {
        self.deleted.store(true, Ordering::SeqCst);
        self.close_writer()
    }

    /// Marks the index deleted (a write waiting for it fails with [`IndexError::Deleted`] and retries on a
    /// fresh index) and drops its writer, waiting for its merges; the caller removes the directory.
    pub(super) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::SeqCst);
        let mut slot = self.writer.lock();
        if let Some(state) = slot.state.take() {
            slot.next_seq_no = state.next_seq_no;
            let _ = state.writer.wait_merging_threads();
        }
    }
}
