//! The set of indices under one data directory ([`IndexSet`]): opening them at start, creating one on
//! first write (ES auto-create), resolving index expressions (`a,b`, `app-*`, `_all`) and deleting.
//!
//! An index that could not be opened at start (a full disk cannot commit its translog replay, say) is
//! remembered and opened again once it can be: by the refresher every second while the disk takes writes,
//! and by the first write to it.
//!
//! Closed indices (`open_close.rs`) are kept apart: a concrete name of one resolves to
//! [`IndexError::Closed`], patterns pass over them, and nothing is created over them.
//!
//! Invariants: the map holds exactly the opened indices whose directories exist and are not being deleted;
//! creation and deletion are serialised; deleting an index removes it from the map first, then closes its
//! writer, then removes the directory, so a write racing the delete retries on a fresh index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tantivy::Executor;

use crate::index::data_streams::Streams;
use crate::index::disk_block::{DiskBlock, Watermarks};
use crate::index::error::IndexError;
use crate::index::format::check_format;
use crate::index::handle::IndexHandle;
use crate::index::names::validate_index_name;
use crate::index::open_close::{closed_at, ClosedMap};
use crate::index::settings::{StoreSettings, WriterConfig};
use crate::index::stream_error::StreamError;
use crate::index::writers::OpenWriters;
use crate::wildcard;

/// All indices under one data directory.
pub struct IndexSet {
    data_dir: PathBuf,
    pub(super) map: RwLock<BTreeMap<String, Arc<IndexHandle>>>,
    /// Closed indices (`open_close.rs`), never in `map` at the same time.
    pub(super) closed: Mutex<ClosedMap>,
    /// Serialises index creation, deletion, closing and opening.
    pub(super) admin: Mutex<()>,
    /// Thread pool shared by every index's searches: the segments of one search are collected in
    /// parallel, one thread per core.
    pub(super) search_executor: Executor,
    /// The limits (`settings.rs`).
    settings: StoreSettings,
    /// What each writer is opened with.
    pub(super) writer_config: WriterConfig,
    /// The indices whose writer is open (`writers.rs`).
    writers: OpenWriters,
    /// Index templates and data streams (`data_streams.rs`, `stream_ops.rs`).
    pub(super) streams: Streams,
    /// Whether writes are refused because the disk is full.
    disk_block: DiskBlock,
    /// Indices on disk that could not be opened at start, by name: tried again by [`IndexSet::open_unopened`].
    unopened: Mutex<BTreeMap<String, PathBuf>>,
}

impl IndexSet {
    /// Opens every index found under `data_dir` (creating the directory if needed). An index that cannot
    /// be opened is logged with the reason and left out. (Indices already on disk are opened even beyond
    /// `max_shards_per_node`: the limit refuses creating more.)
    pub fn open(data_dir: &Path, settings: &StoreSettings) -> Result<IndexSet, IndexError> {
        let writer_config = settings.writer_config();
        std::fs::create_dir_all(data_dir)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let search_executor = if threads > 1 {
            Executor::multi_thread(threads, "store-search-")?
        } else {
            Executor::single_thread()
        };
        let mut map = BTreeMap::new();
        let mut closed = BTreeMap::new();
        let mut unopened = BTreeMap::new();
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
            match closed_at(&path) {
                Some(Ok(c)) => {
                    closed.insert(name, c);
                    continue;
                }
                Some(Err(err)) => {
                    log::error!("store: cannot read closed index {}: {err}", path.display());
                    continue;
                }
                None => {}
            }
            match IndexHandle::open_or_create(&path, &name, false, &search_executor, writer_config)
            {
                Ok(h) => {
                    map.insert(name, Arc::new(h));
                }
                Err(err) => {
                    log::error!(
                        "store: cannot open index {}: {err} (tried again once the disk takes writes)",
                        path.display()
                    );
                    unopened.insert(name, path);
                }
            }
        }
        Ok(IndexSet {
            data_dir: data_dir.to_path_buf(),
            map: RwLock::new(map),
            closed: Mutex::new(closed),
            admin: Mutex::new(()),
            search_executor,
            settings: settings.clone(),
            writer_config,
            writers: OpenWriters::new(settings.max_open_writers),
            streams: Streams::open(data_dir)?,
            disk_block: DiskBlock::new(data_dir, Watermarks::default()),
            unopened: Mutex::new(unopened),
        })
    }

    /// Sets the disk block when `err` is a full disk, or (as an error from tantivy may not say so) the
    /// free space is under the flood stage; returns whether it did.
    fn block_if_full(&self, err: &IndexError) -> bool {
        if self.disk_block.block_if_full(err) {
            return true;
        }
        let low = self.disk_block.under_flood_stage();
        if low {
            self.disk_block.block(&format_args!("{err}"));
        }
        low
    }

    /// Whether some index on disk could not be opened at start and is still not open.
    pub fn has_unopened(&self) -> bool {
        !self.unopened.lock().is_empty()
    }

    /// Tries again to open each index that could not be opened at start; those that open join the set.
    pub fn open_unopened(&self) {
        let names: Vec<String> = self.unopened.lock().keys().cloned().collect();
        for name in names {
            if let Err(err) = self.open_later(&name) {
                log::debug!("store: index [{name}] still cannot be opened: {err}");
            }
        }
    }

    /// Opens `name`, which could not be opened at start; `None` if it is not such an index.
    fn open_later(&self, name: &str) -> Result<Option<Arc<IndexHandle>>, IndexError> {
        let _admin = self.admin.lock();
        let Some(dir) = self.unopened.lock().get(name).cloned() else {
            return Ok(None);
        };
        let h = Arc::new(IndexHandle::open_or_create(
            &dir,
            name,
            false,
            &self.search_executor,
            self.writer_config,
        )?);
        self.unopened.lock().remove(name);
        self.map.write().insert(name.to_string(), h.clone());
        log::info!("store: opened index [{name}], which could not be opened at start");
        Ok(Some(h))
    }

    /// Whether writes are refused because the disk is full.
    pub fn disk_block(&self) -> &DiskBlock {
        &self.disk_block
    }

    /// Lifts the disk block if there is room again: every index commits what it holds, which must
    /// succeed (the disk takes writes again). Returns whether writes are accepted now.
    pub fn try_release_disk_block(&self) -> bool {
        if !self.disk_block.is_blocked() {
            return true;
        }
        if !self.disk_block.may_release() {
            return false;
        }
        for index in self.all() {
            if index.uncommitted().is_none() {
                continue;
            }
            if let Err(err) = index.refresh() {
                log::debug!("store: index [{}]: still cannot commit: {err}", index.name);
                return false;
            }
        }
        self.disk_block.release();
        true
    }

    /// The limits the set was opened with.
    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Whether writing to `name` would create an index: neither an index nor a data stream exists by
    /// that name.
    pub fn would_create(&self, name: &str) -> bool {
        self.get(name).is_none()
            && !self.is_closed(name)
            && !self.streams.meta.lock().streams.contains_key(name)
    }

    /// How long an index goes unsearched before it is search idle.
    pub fn search_idle_after(&self) -> Duration {
        self.settings.search_idle_after
    }

    /// Records a write to `handle` about to happen; if its writer is not among the open ones, makes room
    /// for it by closing the least recently written (`writers.rs`). Call it before
    /// [`IndexHandle::write`], holding no index lock.
    pub fn admit_writer(&self, handle: &Arc<IndexHandle>) {
        self.writers.admit(handle);
    }

    /// How many indices have a writer open (as recorded by [`IndexSet::admit_writer`]).
    pub fn open_writers(&self) -> usize {
        self.writers.count()
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
    pub fn get_or_create(&self, name: &str) -> Result<Arc<IndexHandle>, IndexError> {
        if let Some(h) = self.get(name) {
            return Ok(h);
        }
        validate_index_name(name)?;
        let closed = || IndexError::Closed {
            name: name.to_string(),
        };
        if self.is_closed(name) {
            return Err(closed());
        }
        // An index that could not be opened at start is opened now if it can be (while the disk is
        // full, the write is refused as every write is then).
        match self.open_later(name) {
            Ok(Some(h)) => return Ok(h),
            Ok(None) => {}
            Err(err) if self.disk_block.is_blocked() || self.block_if_full(&err) => {
                return Err(IndexError::DiskBlocked {
                    name: name.to_string(),
                })
            }
            // Answered below as before: why the index on disk is not open.
            Err(err) => log::debug!("store: index [{name}] still cannot be opened: {err}"),
        }
        let _admin = self.admin.lock();
        if let Some(h) = self.get(name) {
            return Ok(h);
        }
        if self.is_closed(name) {
            return Err(closed());
        }
        let dir = self.data_dir.join(name);
        if dir.join("meta.json").is_file() {
            // On disk but not opened at startup: say why instead of failing to create over it.
            let name = name.to_string();
            return Err(match check_format(&dir) {
                Err(source) => IndexError::Unopenable { name, source },
                Ok(_) => IndexError::NotOpen { name },
            });
        }
        let open = self.map.read().len();
        let max = self.settings.max_shards_per_node;
        if open >= max {
            return Err(IndexError::TooManyShards { open, max });
        }
        let h = Arc::new(IndexHandle::open_or_create(
            &dir,
            name,
            true,
            &self.search_executor,
            self.writer_config,
        )?);
        self.map.write().insert(name.to_string(), h.clone());
        log::info!("store: created index [{name}]");
        Ok(h)
    }

    /// Creates `name`; fails with [`IndexError::AlreadyExists`] if it exists.
    pub fn create(&self, name: &str) -> Result<Arc<IndexHandle>, IndexError> {
        validate_index_name(name)?;
        if self.is_alias(name) {
            return Err(StreamError::IndexNameIsAlias {
                name: name.to_string(),
            }
            .into());
        }
        if self.get(name).is_some() || self.is_closed(name) {
            return Err(IndexError::AlreadyExists {
                name: name.to_string(),
            });
        }
        self.get_or_create(name)
    }

    /// Resolves `a,b`, `app-*`, `_all`, `*` (only `*` is a wildcard, see [`wildcard`]); a data stream's
    /// name (or a pattern matching it) stands for its backing indices, an alias's for its indices, which a pattern not starting with
    /// `.` does not match by their own names. A missing concrete name is
    /// [`IndexError::NotFound`]; a pattern matching nothing contributes nothing.
    pub fn resolve(&self, expr: &str) -> Result<Vec<Arc<IndexHandle>>, IndexError> {
        let mut groups = self.stream_members();
        groups.extend(self.alias_members());
        self.resolve_with(expr, &groups)
    }

    /// The parts of the comma list `expr` that name something open (`ignore_unavailable`: a concrete name
    /// of no index, data stream or alias, or of a closed index, is left out; patterns stay).
    pub fn available_parts(&self, expr: &str) -> String {
        expr.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .filter(|p| {
                !matches!(
                    self.resolve(p),
                    Err(IndexError::NotFound { .. } | IndexError::Closed { .. })
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// [`IndexSet::resolve`] with the data streams `streams` (name, backing indices) to expand.
    fn resolve_with(
        &self,
        expr: &str,
        streams: &[(String, Vec<String>)],
    ) -> Result<Vec<Arc<IndexHandle>>, IndexError> {
        let map = self.map.read();
        let closed = self.closed.lock();
        let mut out: Vec<Arc<IndexHandle>> = Vec::new();
        let mut push = |h: &Arc<IndexHandle>| {
            if !out.iter().any(|o| o.name == h.name) {
                out.push(h.clone());
            }
        };
        for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let part = if part == "_all" { "*" } else { part };
            if wildcard::is_pattern(part) {
                // As in ES, a pattern reaches the hidden backing indices of data streams through their
                // data streams only, unless it starts with a dot itself.
                map.iter()
                    .filter(|(n, _)| !n.starts_with(".ds-") || part.starts_with('.'))
                    .filter(|(n, _)| wildcard::matches(part, n))
                    .for_each(|(_, h)| push(h));
                streams
                    .iter()
                    .filter(|(s, _)| wildcard::matches(part, s))
                    .flat_map(|(_, indices)| indices.iter())
                    .filter_map(|i| map.get(i))
                    .for_each(&mut push);
            } else if let Some(h) = map.get(part) {
                push(h);
            } else if closed.contains_key(part) {
                return Err(IndexError::Closed {
                    name: part.to_string(),
                });
            } else if let Some((_, indices)) = streams.iter().find(|(s, _)| s == part) {
                indices
                    .iter()
                    .filter_map(|i| map.get(i))
                    .for_each(&mut push);
            } else {
                return Err(IndexError::NotFound {
                    name: part.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// Deletes the indices `expr` resolves to; returns their names. With `destructive_requires_name`
    /// (the default, as in ES 8), an expression with a wildcard or `_all` is refused. Data streams are not
    /// expanded (they are deleted with `DELETE _data_stream/{name}`), and a data stream's write index is
    /// not deleted. Closed indices are deleted too.
    pub fn delete(&self, expr: &str) -> Result<Vec<String>, IndexError> {
        if self.settings.destructive_requires_name && names_by_pattern(expr) {
            return Err(IndexError::DestructiveWildcard);
        }
        let closed = self.closed_named(expr);
        let open_part = self.without_closed_names(expr);
        let handles = if open_part.is_empty() {
            Vec::new()
        } else {
            self.resolve_with(&open_part, &[])?
        };
        let mut names: Vec<String> = handles.iter().map(|h| h.name.clone()).collect();
        names.extend(closed.iter().cloned());
        self.release_backing_indices(&names)?;
        self.forget_in_aliases(&names)?;
        let _admin = self.admin.lock();
        self.delete_closed(&closed)?;
        let mut names = closed;
        for h in handles {
            self.map.write().remove(&h.name);
            h.mark_deleted();
            std::fs::remove_dir_all(&h.dir)?;
            log::info!("store: deleted index [{}]", h.name);
            names.push(h.name.clone());
        }
        Ok(names)
    }

    /// Names of the indices.
    pub fn names(&self) -> Vec<String> {
        self.map.read().keys().cloned().collect()
    }

    /// Commits and closes every writer.
    pub fn close_all(&self) {
        for h in self.all() {
            if let Err(err) = h.close_writer() {
                log::error!("store: closing index [{}]: {err}", h.name);
            }
        }
    }
}

/// Whether an index expression names indices other than by their full names: `_all`, `*`, a pattern, or
/// nothing at all (which ES reads as every index).
pub(super) fn names_by_pattern(expr: &str) -> bool {
    let mut parts = expr.split(',').map(str::trim).filter(|p| !p.is_empty());
    let mut any = false;
    let by_pattern = parts.any(|part| {
        any = true;
        part == "_all" || wildcard::is_pattern(part)
    });
    by_pattern || !any
}
