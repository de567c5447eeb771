//! Closed indices: `POST /{index}/_close` and `/_open`.
//!
//! A closed index keeps its directory and takes no reads or writes: naming it (a search, a write, a
//! count) is [`IndexError::Closed`] (ES's 400 `index_closed_exception`), a pattern or `_all` passes over
//! it, a write never auto-creates over it, and `_cat/indices` lists it as `close`. Closing commits what
//! the index holds and closes its writer; the file [`CLOSED_MARKER`] in its directory keeps it closed
//! across restarts (the store does not open it at start). Opening removes the marker and opens it as at
//! start. Deleting a closed index deletes its directory.
//!
//! Invariant: an index name is in at most one of the set's open map and its closed map; closing inserts
//! into the closed map before removing from the open map (a resolve in between finds it open), opening the
//! other way round; both run under the set's admin lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::index::error::IndexError;
use crate::index::format::{check_format, Identity};
use crate::index::handle::IndexHandle;
use crate::index::set::{names_by_pattern, IndexSet};
use crate::index::stream_error::StreamError;
use crate::wildcard;

/// The file whose presence in an index directory keeps the index closed.
pub const CLOSED_MARKER: &str = "logpipe-closed";

/// A closed index: where it is and its identity (for `_cat/indices`).
#[derive(Debug, Clone)]
pub struct ClosedIndex {
    /// Its directory.
    pub dir: PathBuf,
    /// Its `index.uuid` and `index.creation_date`.
    pub identity: Identity,
}

/// Whether the index in `dir` is closed; then its identity.
pub(super) fn closed_at(dir: &Path) -> Option<Result<ClosedIndex, IndexError>> {
    if !dir.join(CLOSED_MARKER).is_file() {
        return None;
    }
    Some(
        check_format(dir)
            .map(|identity| ClosedIndex {
                dir: dir.to_path_buf(),
                identity,
            })
            .map_err(IndexError::from),
    )
}

/// The closed indices of a set, by name.
pub(super) type ClosedMap = BTreeMap<String, ClosedIndex>;

impl IndexSet {
    /// Whether `name` is a closed index.
    pub fn is_closed(&self, name: &str) -> bool {
        self.closed.lock().contains_key(name)
    }

    /// The closed indices, by name.
    pub fn closed_indices(&self) -> Vec<(String, ClosedIndex)> {
        self.closed
            .lock()
            .iter()
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect()
    }

    /// The closed indices `expr` names: concrete names of closed indices, and those its patterns (`*`,
    /// `_all`) match.
    pub fn closed_named(&self, expr: &str) -> Vec<String> {
        let closed = self.closed.lock();
        let mut out: Vec<String> = Vec::new();
        for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let part = if part == "_all" { "*" } else { part };
            for name in closed.keys() {
                let named = if wildcard::is_pattern(part) {
                    wildcard::matches(part, name)
                } else {
                    part == name
                };
                if named && !out.contains(name) {
                    out.push(name.clone());
                }
            }
        }
        out
    }

    /// The parts of `expr` that are not concrete names of closed indices (patterns stay).
    pub fn without_closed_names(&self, expr: &str) -> String {
        let closed = self.closed.lock();
        expr.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && !closed.contains_key(*p))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `POST /{expr}/_close`: closes the open indices `expr` resolves to (an alias: its indices; a data
    /// stream: its backing indices) and returns every index named, those already closed included. Wildcards
    /// and `_all` need `destructive_requires_name` off, and a data stream's write index is not closed, as
    /// in ES 8.
    pub fn close_indices(&self, expr: &str) -> Result<Vec<String>, IndexError> {
        if self.settings().destructive_requires_name && names_by_pattern(expr) {
            return Err(IndexError::DestructiveWildcard);
        }
        let mut names = self.closed_named(expr);
        let open_part = self.without_closed_names(expr);
        let handles = if open_part.is_empty() {
            Vec::new()
        } else {
            self.resolve(&open_part)?
        };
        let names_open: Vec<&str> = handles.iter().map(|h| h.name.as_str()).collect();
        let writing = self.stream_write_indices(&names_open);
        if !writing.is_empty() {
            return Err(StreamError::WriteIndexClose { indices: writing }.into());
        }
        let _admin = self.admin.lock();
        for h in handles {
            self.close_one(&h)?;
            if !names.contains(&h.name) {
                names.push(h.name.clone());
            }
        }
        Ok(names)
    }

    /// Closes one open index (under the admin lock): later writes to its handle fail and retry to find it
    /// closed, what it holds is committed, the marker is written, and it moves to the closed map.
    fn close_one(&self, h: &Arc<IndexHandle>) -> Result<(), IndexError> {
        h.shut()?;
        logpipe_fs::write_atomically(&h.dir.join(CLOSED_MARKER), b"closed\n")?;
        let closed = ClosedIndex {
            dir: h.dir.clone(),
            identity: Identity {
                uuid: h.uuid().to_string(),
                creation_date: h.creation_date(),
            },
        };
        self.closed.lock().insert(h.name.clone(), closed);
        self.map.write().remove(&h.name);
        log::info!("store: closed index [{}]", h.name);
        Ok(())
    }

    /// `POST /{expr}/_open`: opens the closed indices `expr` names; open ones it names are left as they
    /// are. A concrete name of no index is [`IndexError::NotFound`]. Returns the names opened.
    pub fn open_indices(&self, expr: &str) -> Result<Vec<String>, IndexError> {
        if self.settings().destructive_requires_name && names_by_pattern(expr) {
            return Err(IndexError::DestructiveWildcard);
        }
        let names = self.closed_named(expr);
        let open_part = self.without_closed_names(expr);
        if !open_part.is_empty() {
            // Names an open index (or an alias, a data stream) or fails as ES does for a missing one.
            self.resolve(&open_part)?;
        }
        let _admin = self.admin.lock();
        let mut opened = Vec::new();
        for name in names {
            let Some(closed) = self.closed.lock().get(&name).cloned() else {
                continue;
            };
            std::fs::remove_file(closed.dir.join(CLOSED_MARKER))?;
            let h = IndexHandle::open_or_create(
                &closed.dir,
                &name,
                false,
                &self.search_executor,
                self.writer_config,
            );
            let h = match h {
                Ok(h) => Arc::new(h),
                Err(err) => {
                    // Stays closed: the marker goes back.
                    logpipe_fs::write_atomically(&closed.dir.join(CLOSED_MARKER), b"closed\n")?;
                    return Err(err);
                }
            };
            self.map.write().insert(name.clone(), h);
            self.closed.lock().remove(&name);
            log::info!("store: opened index [{name}]");
            opened.push(name);
        }
        Ok(opened)
    }

    /// Deletes the closed indices `names` (under the admin lock, after the caller's checks).
    pub(super) fn delete_closed(&self, names: &[String]) -> Result<(), IndexError> {
        for name in names {
            let Some(closed) = self.closed.lock().remove(name) else {
                continue;
            };
            std::fs::remove_dir_all(&closed.dir)?;
            log::info!("store: deleted closed index [{name}]");
        }
        Ok(())
    }
}
