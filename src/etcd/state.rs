//! What the config watcher has applied, shared with the status publisher and the metrics endpoint.
//!
//! Written only by the watcher task; readers take a cloned snapshot under a short lock. Counters are totals
//! since start.

use parking_lot::Mutex;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the applied etcd entries came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    /// Nothing applied yet.
    None,
    /// The cache in `data_dir` (etcd was unreachable at start).
    Cache,
    /// A value read from etcd.
    Etcd,
}

/// The applied config as the status key shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSnapshot {
    pub key: String,
    /// etcd revision of the applied value (its `mod_revision`); 0 before the first read.
    pub revision: i64,
    pub source: ConfigSource,
    /// Whether the watch is established now.
    pub connected: bool,
    /// etcd entries applied (local `[[collect]]` entries not counted).
    pub entries: usize,
    /// Problems of the last value read, naming the key and entry.
    pub errors: Vec<String>,
    /// Last connection problem, cleared on reconnect.
    pub connection_error: Option<String>,
}

/// Shared config state.
#[derive(Debug)]
pub struct ConfigState {
    snapshot: Mutex<ConfigSnapshot>,
    reloads: AtomicU64,
    errors_total: AtomicU64,
}

impl ConfigState {
    pub fn new(key: &str) -> ConfigState {
        ConfigState {
            snapshot: Mutex::new(ConfigSnapshot {
                key: key.to_string(),
                revision: 0,
                source: ConfigSource::None,
                connected: false,
                entries: 0,
                errors: Vec::new(),
                connection_error: None,
            }),
            reloads: AtomicU64::new(0),
            errors_total: AtomicU64::new(0),
        }
    }

    pub fn snapshot(&self) -> ConfigSnapshot {
        self.snapshot.lock().clone()
    }

    /// Config changes handed to the file server since start.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Config problems found since start (bad values, bad entries).
    pub fn errors_total(&self) -> u64 {
        self.errors_total.load(Ordering::Relaxed)
    }

    pub(crate) fn applied(
        &self,
        source: ConfigSource,
        revision: i64,
        entries: usize,
        errors: Vec<String>,
        changed: bool,
    ) {
        self.errors_total
            .fetch_add(errors.len() as u64, Ordering::Relaxed);
        if changed {
            self.reloads.fetch_add(1, Ordering::Relaxed);
        }
        let mut s = self.snapshot.lock();
        s.source = source;
        s.revision = revision;
        s.entries = entries;
        s.errors = errors;
    }

    /// The agent started on the cache (etcd unreachable); ignored if a value from etcd was applied already.
    pub(crate) fn started_from_cache(&self, revision: i64, entries: usize) {
        let mut s = self.snapshot.lock();
        if s.source == ConfigSource::None {
            s.source = ConfigSource::Cache;
            s.revision = revision;
            s.entries = entries;
        }
    }

    /// A value that could not be used at all: the applied config stays, the error is shown.
    pub(crate) fn rejected(&self, revision: i64, error: String) {
        self.errors_total.fetch_add(1, Ordering::Relaxed);
        let mut s = self.snapshot.lock();
        s.errors = vec![format!("revision {revision}: {error}")];
    }

    pub(crate) fn connection(&self, error: Option<String>) {
        let mut s = self.snapshot.lock();
        s.connected = error.is_none();
        s.connection_error = error;
    }
}
