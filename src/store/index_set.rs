//! The set of ES indices: one tantivy index per ES index, each in `data_dir/<name>/`.
//!
//! Invariants:
//! - the map holds exactly the indices whose directories exist and are not being deleted;
//! - each [`IndexHandle`] has at most one `IndexWriter`, opened lazily on first write and kept alive;
//!   `pending` records `_id`s added or deleted since the last commit, so `_id` existence checks see
//!   uncommitted work (the reader only sees committed segments);
//! - writes bump `seq` under the writer lock and append their operations to the index's [`Translog`]
//!   under the same lock; [`IndexHandle::sync_through`] makes them durable (a `_bulk` answers 200 after
//!   it); [`IndexHandle::commit_through`] commits tantivy once for every write up to the current `seq`
//!   (group commit: bulks that wrote while another commit ran share the next one), naming the first
//!   translog generation not in the commit in its payload, and reloads the reader before clearing
//!   `pending`. The refresher calls it within a second of a write (for a search-idle index: after 30 s or
//!   500 k operations, or the next search does); `?refresh=` right away;
//! - opening an index replays its translog from the generation its last commit names, then commits;
//! - deleting an index removes it from the map first, then closes its writer, then removes the directory;
//!   a write racing the delete sees `deleted` and retries on a fresh index.
//!
//! - every index directory carries a format tag file ([`FORMAT_FILE`]); an index whose tag is missing or
//!   names another format is not opened (logged with the reason) rather than misread.
//!
//! Name resolution (`a,b`, `app-*`, `_all`) and daily-index retention live here too.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use parking_lot::{Mutex, RwLock};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocSet, Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term, TERMINATED,
};

use super::error::EsError;
use super::log_document::LogDocument;
use super::schema::{build_schema, Fields};
use super::search_activity::{SearchActivity, SEARCH_IDLE_AFTER};
use super::translog::{GenerationContents, LogBatch, LoggedOp, Translog};
use crate::tail::checkpoint::write_atomically;

/// File in each index directory naming the on-disk format the index was written in.
pub const FORMAT_FILE: &str = "logpipe-store-format";

/// The on-disk format this build writes. Format 1 (no tag file) had FST term dictionaries; format 2 has
/// tantivy's SSTable term dictionaries, which are cheaper to build and merge for the unique per-document
/// terms (`_id`) that log indices carry; format 3 adds the translog (`translog/`), which a build reading
/// format 2 would ignore, losing what it holds; format 4 indices are created with `_source` as a stored
/// text field instead of bytes, which a build reading format 3 would not find.
pub const FORMAT_VERSION: u32 = 4;

/// Formats this build opens. An older index is tagged 4 when opened, before its translog is created; it
/// keeps its bytes `_source`, which this build reads and writes as well.
const READABLE_FORMATS: [u32; 3] = [2, 3, 4];

/// Contents of [`FORMAT_FILE`].
#[derive(serde::Serialize, serde::Deserialize)]
struct FormatTag {
    format_version: u32,
    /// Informational; only `format_version` decides.
    #[serde(default)]
    term_dictionary: String,
}

fn format_tag() -> Vec<u8> {
    let tag = FormatTag {
        format_version: FORMAT_VERSION,
        term_dictionary: "sstable".to_string(),
    };
    serde_json::to_vec(&tag).unwrap_or_default()
}

/// Checks the format tag of the index in `dir`, upgrading format 2 to 3 (the same files plus a translog).
fn check_format(dir: &Path) -> anyhow::Result<()> {
    let found = read_format(dir)?;
    if !READABLE_FORMATS.contains(&found) {
        anyhow::bail!(
            "written in store format {found}, this logpipe reads formats {READABLE_FORMATS:?}; \
             reindex it from its source or delete the directory"
        );
    }
    if found != FORMAT_VERSION {
        write_atomically(&dir.join(FORMAT_FILE), &format_tag())?;
    }
    Ok(())
}

/// The format version named by the tag in `dir` (1 without a tag).
fn read_format(dir: &Path) -> anyhow::Result<u32> {
    let path = dir.join(FORMAT_FILE);
    let found = match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice::<FormatTag>(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is not a format tag: {e}", path.display()))?
                .format_version
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => 1,
        Err(err) => return Err(anyhow::anyhow!("cannot read {}: {err}", path.display())),
    };
    Ok(found)
}

/// Commit payload: the first translog generation whose operations are not in the commit.
#[derive(serde::Serialize, serde::Deserialize)]
struct CommitPayload {
    translog_generation: u64,
}

/// Total indexing memory budget of one index writer.
const WRITER_BUDGET: usize = 128 * 1024 * 1024;

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

/// An `_id` as its 128-bit xxh3 hash: the key of `pending` and the source of the Bloom filter's probes,
/// computed once per document. (Two ids sharing a 128-bit hash among the ids of one index is not a
/// practical concern.)
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct IdKey(u128);

impl IdKey {
    /// The key of `id`.
    pub fn of(id: &str) -> IdKey {
        IdKey::of_bytes(id.as_bytes())
    }

    /// The key of an `_id` term's bytes.
    fn of_bytes(id: &[u8]) -> IdKey {
        IdKey(xxhash_rust::xxh3::xxh3_128(id))
    }
}

/// A Bloom filter of `_id`s (~10 bits per id, 7 probes, ~1% false positives at capacity).
pub struct IdFilter {
    bits: Vec<u64>,
    mask: u64,
    count: u64,
    capacity: u64,
}

impl IdFilter {
    fn with_capacity(capacity: u64) -> IdFilter {
        let capacity = capacity.max(1 << 16);
        let nbits = (capacity * 10).next_power_of_two();
        IdFilter {
            bits: vec![0; (nbits / 64) as usize],
            mask: nbits - 1,
            count: 0,
            capacity,
        }
    }

    fn probes(key: IdKey) -> impl Iterator<Item = u64> {
        let h = key.0;
        let (a, b) = (h as u64, ((h >> 64) as u64) | 1);
        (0..7u64).map(move |i| a.wrapping_add(i.wrapping_mul(b)))
    }

    /// Records `id`.
    pub fn insert(&mut self, key: IdKey) {
        for p in Self::probes(key) {
            let p = p & self.mask;
            self.bits[(p / 64) as usize] |= 1 << (p % 64);
        }
        self.count += 1;
    }

    /// False means `id` was never inserted.
    pub fn may_contain(&self, key: IdKey) -> bool {
        Self::probes(key).all(|p| {
            let p = p & self.mask;
            self.bits[(p / 64) as usize] & (1 << (p % 64)) != 0
        })
    }

    /// A filter holding every `_id` term of `searcher` (deleted ones included, which is harmless).
    fn build(
        searcher: &Searcher,
        id_field: tantivy::schema::Field,
        capacity: u64,
    ) -> tantivy::Result<IdFilter> {
        let mut f = IdFilter::with_capacity(capacity.max(searcher.num_docs() * 2));
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(id_field)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                for p in Self::probes(IdKey::of_bytes(stream.key())) {
                    let p = p & f.mask;
                    f.bits[(p / 64) as usize] |= 1 << (p % 64);
                }
                f.count += 1;
            }
        }
        Ok(f)
    }
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
    fn open_or_create(
        dir: &Path,
        name: &str,
        create: bool,
        search_executor: &Executor,
    ) -> anyhow::Result<IndexHandle> {
        let mut index = if create {
            std::fs::create_dir_all(dir)?;
            // The tag goes first: a crash before meta.json leaves a directory that is not an index yet.
            write_atomically(&dir.join(FORMAT_FILE), &format_tag())?;
            Index::create_in_dir(dir, build_schema())?
        } else {
            check_format(dir)?;
            Index::open_in_dir(dir)?
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
                    .map_err(|e| anyhow::anyhow!("commit payload {p:?} is not logpipe's: {e}"))?
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
        };
        if !recovery.generations.is_empty() {
            // The replay is one write; committing through it also deletes the replayed generations.
            let (replayed, seq) = {
                let mut slot = handle.writer.lock();
                let state = handle.writer_state(&mut slot)?;
                let replayed = handle.replay(state, &recovery.generations)?;
                slot.seq += 1;
                (replayed, slot.seq)
            };
            handle
                .commit_through(seq)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if replayed > 0 {
                log::info!(
                    "store: index [{name}]: replayed {replayed} operations from the translog"
                );
            }
        }
        Ok(handle)
    }

    /// The writer state, opening the writer (and building the `_id` filter) on first use.
    fn writer_state<'a>(&self, slot: &'a mut WriterSlot) -> Result<&'a mut WriterState, EsError> {
        if slot.state.is_none() {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 2);
            let writer = self.index.writer_with_num_threads(threads, WRITER_BUDGET)?;
            let ids = IdFilter::build(&self.reader.searcher(), self.fields.id, 1 << 20)?;
            slot.state = Some(WriterState {
                writer,
                pending: HashMap::default(),
                ids,
                log: LogBatch::default(),
                stopped: false,
            });
        }
        slot.state
            .as_mut()
            .ok_or_else(|| EsError::internal("writer missing"))
    }

    /// Brings a writer that stopped or failed to commit back: to the last commit, then forward again
    /// through the translog from generation `replay_from`, which holds every acknowledged write since.
    fn recover(&self, state: &mut WriterState, replay_from: u64) -> Result<(), EsError> {
        state.writer.rollback()?;
        state.pending.clear();
        state.stopped = false;
        // Records of the write in progress were not appended; its request gets an error.
        state.log = LogBatch::default();
        let generations = self
            .translog
            .generations_from(replay_from)
            .map_err(EsError::internal)?;
        self.replay(state, &generations)
            .map_err(EsError::internal)?;
        Ok(())
    }

    /// Applies the operations of translog `generations` to the writer, in order; returns how many.
    fn replay(&self, state: &mut WriterState, generations: &[PathBuf]) -> anyhow::Result<u64> {
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

    /// A searcher over committed documents.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Runs `f` with the writer (opened if needed) and a searcher consistent with `pending`; returns `f`'s
    /// result and the write sequence number to pass to [`IndexHandle::commit_through`].
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut WriterState, &Searcher) -> R,
    ) -> Result<(R, u64), EsError> {
        let mut slot = self.writer.lock();
        if self.deleted.load(Ordering::SeqCst) {
            return Err(
                EsError::new(503, "index_closed_exception", "index was deleted")
                    .with_index(&self.name),
            );
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
            Err(err) => {
                return Err(EsError::internal(format!("translog append failed: {err}")));
            }
        }
        Ok((r, slot.seq))
    }

    /// Makes every write up to `seq` durable (in the translog; searchable after the next refresh).
    pub fn sync_through(&self, seq: u64) -> Result<(), EsError> {
        self.translog
            .sync_through(seq)
            .map_err(|err| EsError::internal(format!("translog sync failed: {err}")))
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
    pub fn prepare_search(&self, idle_after: Duration) -> Result<(), EsError> {
        self.activity.record_search(idle_after, |was_idle| {
            if was_idle && self.uncommitted().is_some() {
                self.refresh()?;
            }
            Ok(())
        })
    }

    /// Commits every write so far (the refresher's call).
    pub fn refresh(&self) -> Result<(), EsError> {
        let seq = self.writer.lock().seq;
        self.commit_through(seq)
    }

    /// Makes every write up to `seq` durable and searchable (sharing a commit with concurrent writers).
    pub fn commit_through(&self, seq: u64) -> Result<(), EsError> {
        let mut committed = self.committed.lock();
        if committed.seq >= seq {
            return Ok(());
        }
        let mut slot = self.writer.lock();
        let target = slot.seq;
        let replay_from = slot.replay_from;
        let mut committed_generation = None;
        if let Some(state) = slot.state.as_mut() {
            let generation = self
                .translog
                .roll()
                .map_err(|err| EsError::internal(format!("translog roll failed: {err}")))?;
            let payload = serde_json::to_string(&CommitPayload {
                translog_generation: generation,
            })
            .map_err(EsError::internal)?;
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
            if state.ids.count > state.ids.capacity {
                // Everything is committed now, so the rebuilt filter is complete.
                state.ids = IdFilter::build(
                    &self.reader.searcher(),
                    self.fields.id,
                    state.ids.capacity * 2,
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
    pub fn committed_exists(&self, searcher: &Searcher, id: &str) -> Result<bool, EsError> {
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
    pub fn close_writer(&self) -> anyhow::Result<()> {
        self.refresh().map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut slot = self.writer.lock();
        if let Some(state) = slot.state.take() {
            state.writer.wait_merging_threads()?;
        }
        Ok(())
    }
}

/// All indices under one data directory.
pub struct IndexSet {
    data_dir: PathBuf,
    map: RwLock<BTreeMap<String, Arc<IndexHandle>>>,
    /// Serialises index creation and deletion.
    admin: Mutex<()>,
    /// Thread pool shared by every index's searches: the segments of one search are collected in
    /// parallel, one thread per core.
    search_executor: Executor,
    /// How long an index goes unsearched before it is search idle (`search_activity.rs`).
    search_idle_after: Duration,
}

/// Checks an index name against ES's rules.
pub fn validate_index_name(name: &str) -> Result<(), EsError> {
    let bad = |why: &str| {
        Err(EsError::new(
            400,
            "invalid_index_name_exception",
            format!("Invalid index name [{name}], {why}"),
        )
        .with_index(name))
    };
    if name.is_empty() {
        return bad("must not be empty");
    }
    if name == "." || name == ".." {
        return bad("must not be '.' or '..'");
    }
    if name.starts_with(['-', '_', '+']) {
        return bad("must not start with '_', '-', or '+'");
    }
    if name.len() > 255 {
        return bad("index name is too long");
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return bad("must be lowercase");
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        ) || c.is_control()
    }) {
        return bad(
            r#"must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :]"#,
        );
    }
    Ok(())
}

impl IndexSet {
    /// Opens every index found under `data_dir` (creating the directory if needed).
    pub fn open(data_dir: &Path) -> anyhow::Result<IndexSet> {
        std::fs::create_dir_all(data_dir)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let search_executor = if threads > 1 {
            Executor::multi_thread(threads, "store-search-")?
        } else {
            Executor::single_thread()
        };
        let mut map = BTreeMap::new();
        for entry in std::fs::read_dir(data_dir)? {
            let entry = entry?;
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if !path.join("meta.json").is_file() || validate_index_name(&name).is_err() {
                continue;
            }
            match IndexHandle::open_or_create(&path, &name, false, &search_executor) {
                Ok(h) => {
                    map.insert(name, Arc::new(h));
                }
                Err(err) => log::error!("store: cannot open index {}: {err:#}", path.display()),
            }
        }
        Ok(IndexSet {
            data_dir: data_dir.to_path_buf(),
            map: RwLock::new(map),
            admin: Mutex::new(()),
            search_executor,
            search_idle_after: SEARCH_IDLE_AFTER,
        })
    }

    /// The same set, its indices going search idle after `after` instead of [`SEARCH_IDLE_AFTER`].
    pub fn with_search_idle_after(mut self, after: Duration) -> IndexSet {
        self.search_idle_after = after;
        self
    }

    /// How long an index goes unsearched before it is search idle.
    pub fn search_idle_after(&self) -> Duration {
        self.search_idle_after
    }

    /// The index called `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<Arc<IndexHandle>> {
        self.map.read().get(name).cloned()
    }

    /// All indices, by name.
    pub fn all(&self) -> Vec<Arc<IndexHandle>> {
        self.map.read().values().cloned().collect()
    }

    /// The index called `name`, created if missing (ES auto-create).
    pub fn get_or_create(&self, name: &str) -> Result<Arc<IndexHandle>, EsError> {
        if let Some(h) = self.get(name) {
            return Ok(h);
        }
        validate_index_name(name)?;
        let _admin = self.admin.lock();
        if let Some(h) = self.get(name) {
            return Ok(h);
        }
        let dir = self.data_dir.join(name);
        if dir.join("meta.json").is_file() {
            // On disk but not opened at startup: say why instead of failing to create over it.
            return Err(match check_format(&dir) {
                Err(err) => EsError::new(
                    500,
                    "illegal_state_exception",
                    format!("index [{name}] cannot be opened: {err:#}"),
                ),
                Ok(()) => {
                    EsError::internal(format!("index [{name}] exists on disk but is not open"))
                }
            }
            .with_index(name));
        }
        let h = Arc::new(
            IndexHandle::open_or_create(&dir, name, true, &self.search_executor)
                .map_err(EsError::internal)?,
        );
        self.map.write().insert(name.to_string(), h.clone());
        log::info!("store: created index [{name}]");
        Ok(h)
    }

    /// Creates `name`; fails with `resource_already_exists_exception` if it exists.
    pub fn create(&self, name: &str) -> Result<Arc<IndexHandle>, EsError> {
        validate_index_name(name)?;
        if self.get(name).is_some() {
            return Err(EsError::new(
                400,
                "resource_already_exists_exception",
                format!("index [{name}/_na_] already exists"),
            )
            .with_index(name));
        }
        self.get_or_create(name)
    }

    /// Resolves `a,b`, `app-*`, `_all`, `*`. A missing concrete name is `index_not_found_exception`;
    /// a wildcard matching nothing contributes nothing.
    pub fn resolve(&self, expr: &str) -> Result<Vec<Arc<IndexHandle>>, EsError> {
        let map = self.map.read();
        let mut out: Vec<Arc<IndexHandle>> = Vec::new();
        let mut push = |h: &Arc<IndexHandle>| {
            if !out.iter().any(|o| o.name == h.name) {
                out.push(h.clone());
            }
        };
        for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "_all" || part == "*" {
                map.values().for_each(&mut push);
            } else if part.contains(['*', '?']) {
                let matcher = globset::GlobBuilder::new(part)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| {
                        EsError::illegal_argument(format!("invalid index pattern [{part}]: {e}"))
                    })?
                    .compile_matcher();
                map.iter()
                    .filter(|(n, _)| matcher.is_match(n.as_str()))
                    .for_each(|(_, h)| push(h));
            } else {
                match map.get(part) {
                    Some(h) => push(h),
                    None => return Err(EsError::index_not_found(part)),
                }
            }
        }
        Ok(out)
    }

    /// Deletes the indices `expr` resolves to; returns their names.
    pub fn delete(&self, expr: &str) -> Result<Vec<String>, EsError> {
        let handles = self.resolve(expr)?;
        let _admin = self.admin.lock();
        let mut names = Vec::new();
        for h in handles {
            self.map.write().remove(&h.name);
            h.deleted.store(true, Ordering::SeqCst);
            {
                let mut slot = h.writer.lock();
                if let Some(state) = slot.state.take() {
                    let _ = state.writer.wait_merging_threads();
                }
            }
            std::fs::remove_dir_all(&h.dir)?;
            log::info!("store: deleted index [{}]", h.name);
            names.push(h.name.clone());
        }
        Ok(names)
    }

    /// Deletes daily indices (`name-YYYY.MM.dd`) dated before `today - days`; keeps today and the `days`
    /// previous days. Returns the deleted names.
    pub fn apply_retention(&self, days: u32, today: NaiveDate) -> Vec<String> {
        let Some(cutoff) = today.checked_sub_days(chrono::Days::new(u64::from(days))) else {
            return Vec::new();
        };
        let doomed: Vec<String> = self
            .map
            .read()
            .keys()
            .filter(|name| daily_index_date(name).is_some_and(|d| d < cutoff))
            .cloned()
            .collect();
        let mut deleted = Vec::new();
        for name in doomed {
            match self.delete(&name) {
                Ok(mut n) => deleted.append(&mut n),
                Err(err) => log::warn!("store: retention could not delete [{name}]: {err}"),
            }
        }
        deleted
    }

    /// Commits and closes every writer.
    pub fn close_all(&self) {
        for h in self.all() {
            if let Err(err) = h.close_writer() {
                log::error!("store: closing index [{}]: {err:#}", h.name);
            }
        }
    }
}

/// The date of a daily index name ending in `YYYY.MM.dd`.
pub fn daily_index_date(name: &str) -> Option<NaiveDate> {
    let tail = name.get(name.len().checked_sub(10)?..)?;
    let date = NaiveDate::parse_from_str(tail, "%Y.%m.%d").ok()?;
    let head = &name[..name.len() - 10];
    (head.is_empty() || !head.ends_with(|c: char| c.is_ascii_digit())).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_names() {
        assert_eq!(
            daily_index_date("app-2026.11.22"),
            NaiveDate::from_ymd_opt(2026, 11, 22)
        );
        assert_eq!(daily_index_date("app"), None);
        assert_eq!(daily_index_date("app-2026.13.22"), None);
    }

    #[test]
    fn names() {
        assert!(validate_index_name("app-2026.11.22").is_ok());
        assert!(validate_index_name("App").is_err());
        assert!(validate_index_name("_x").is_err());
        assert!(validate_index_name("a/b").is_err());
    }

    #[test]
    fn indices_of_another_format_are_not_opened() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let set = IndexSet::open(dir.path())?;
        set.get_or_create("app")?;
        set.close_all();
        drop(set);
        let tag = dir.path().join("app").join(FORMAT_FILE);
        assert!(IndexSet::open(dir.path())?.get("app").is_some());

        // Format 1 had no tag file.
        std::fs::remove_file(&tag)?;
        let set = IndexSet::open(dir.path())?;
        assert!(set.get("app").is_none());
        let err = set
            .get_or_create("app")
            .err()
            .map(|e| e.to_item_error().to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("store format 1")),
            "{err:?}"
        );
        drop(set);

        std::fs::write(&tag, format_tag())?;
        assert!(IndexSet::open(dir.path())?.get("app").is_some());

        // Format 2 is format 3 without a translog: opened, and tagged before the translog appears.
        std::fs::write(&tag, br#"{"format_version":2}"#)?;
        assert!(IndexSet::open(dir.path())?.get("app").is_some());
        assert_eq!(read_format(&dir.path().join("app"))?, FORMAT_VERSION);
        Ok(())
    }

    /// Index `app` under `data_dir`, tagged format 3, with today's schema except field `name`, which `add`
    /// adds as an older format had it.
    fn format_3_index(
        data_dir: &Path,
        name: &str,
        add: impl Fn(&mut tantivy::schema::SchemaBuilder, &str),
    ) -> anyhow::Result<Index> {
        let index_dir = data_dir.join("app");
        std::fs::create_dir_all(&index_dir)?;
        std::fs::write(index_dir.join(FORMAT_FILE), br#"{"format_version":3}"#)?;
        let mut older = tantivy::schema::Schema::builder();
        for (_, entry) in build_schema().fields() {
            if entry.name() == name {
                add(&mut older, name);
            } else {
                older.add_field(entry.clone());
            }
        }
        Ok(Index::create_in_dir(&index_dir, older.build())?)
    }

    #[test]
    fn a_writer_that_stops_is_rolled_back_and_replayed() -> anyhow::Result<()> {
        use super::super::bulk::{bulk, IdGen};
        use super::super::refresher::Refresh;
        use tantivy::schema::{DateOptions, DateTimePrecision};
        let es = |e: EsError| anyhow::anyhow!("{}", e.reason);
        // An index of an older format, whose `@timestamp` also had a term index: tantivy refuses a
        // document with a string there (it skips mistyped values of fields that are not indexed).
        let dir = tempfile::tempdir()?;
        let ts = DateOptions::default()
            .set_fast()
            .set_indexed()
            .set_precision(DateTimePrecision::Milliseconds);
        drop(format_3_index(
            dir.path(),
            super::super::schema::F_TS,
            |b, name| {
                b.add_date_field(name, ts.clone());
            },
        )?);
        let set = IndexSet::open(dir.path())?;
        let ids = IdGen::default();
        let line =
            |id: &str| format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{{\"message\":\"m {id}\"}}\n");
        bulk(&set, &ids, line("a").as_bytes(), Some("app"), Refresh::True).map_err(es)?;
        bulk(
            &set,
            &ids,
            line("b").as_bytes(),
            Some("app"),
            Refresh::False,
        )
        .map_err(es)?;
        let handle = set.get("app").ok_or_else(|| anyhow::anyhow!("no index"))?;
        // The refused document stops the indexing thread, as a failing disk would.
        let refused = LogDocument::refused_by_tantivy(&handle.fields);
        handle
            .write(|state, _| state.writer.add_document(refused))
            .map_err(es)?
            .0?;
        assert!(
            handle.refresh().is_err(),
            "the commit meets the stopped writer"
        );
        // Back to the commit holding `a`, forward again through the translog (`b`), and writable.
        bulk(&set, &ids, line("c").as_bytes(), Some("app"), Refresh::True).map_err(es)?;
        assert_eq!(handle.doc_count(), 3);
        set.close_all();
        Ok(())
    }

    #[test]
    fn an_index_with_a_bytes_source_keeps_working() -> anyhow::Result<()> {
        use crate::store::{Refresh, Store};
        let es = |e: EsError| anyhow::anyhow!("{}", e.reason);
        // A format-3 index: `_source` is a bytes field, and holds one document.
        let dir = tempfile::tempdir()?;
        let index = format_3_index(dir.path(), super::super::schema::F_SOURCE, |b, name| {
            b.add_bytes_field(name, tantivy::schema::STORED);
        })?;
        let fields = Fields::from_schema(&index.schema())?;
        assert!(!fields.source_is_text);
        let mut writer: IndexWriter<LogDocument> = index.writer_with_num_threads(1, 15_000_000)?;
        let old = LogDocument::from_source(&fields, "old", br#"{"message":"written before"}"#)
            .map_err(es)?;
        writer.add_document(old)?;
        writer.commit()?;
        drop(writer);
        drop(index);

        let store = Store::open(dir.path())?;
        let body = b"{\"index\":{\"_id\":\"new\"}}\n{\"message\":\"written after\"}\n";
        let response = store.bulk(body, Some("app"), Refresh::True).map_err(es)?;
        assert!(!response.errors());
        let found = store
            .search(Some("app"), &serde_json::json!({}))
            .map_err(es)?;
        let mut sources: Vec<String> = found["hits"]["hits"]
            .as_array()
            .map(|hits| hits.iter().map(|h| h["_source"].to_string()).collect())
            .unwrap_or_default();
        sources.sort();
        assert_eq!(
            sources,
            [
                r#"{"message":"written after"}"#,
                r#"{"message":"written before"}"#
            ]
        );
        store.close();
        Ok(())
    }
}
