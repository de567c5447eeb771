//! What the last `SIGHUP` reload of a config file did, for the log, the status key and the metrics.

use crate::event::timestamp;
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcome of the last reload as the status key shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadSnapshot {
    /// The config file.
    pub file: String,
    /// When the last reload was asked for (UTC); `None` before the first `SIGHUP`.
    pub last_at: Option<String>,
    /// Whether it was applied.
    pub ok: Option<bool>,
    /// Why it was refused (the last good config stays in force).
    pub error: Option<String>,
    /// What it changed (`kafka`, `collect`), empty when the file was unchanged.
    pub applied: Vec<String>,
    /// Changed keys that only a restart applies.
    pub restart_needed: Vec<String>,
}

/// Shared reload state.
#[derive(Debug, Default)]
pub struct ReloadState {
    snapshot: Mutex<ReloadSnapshot>,
    ok_total: AtomicU64,
    failed_total: AtomicU64,
}

impl ReloadState {
    pub fn new(file: &std::path::Path) -> ReloadState {
        ReloadState {
            snapshot: Mutex::new(ReloadSnapshot {
                file: file.display().to_string(),
                ..ReloadSnapshot::default()
            }),
            ..ReloadState::default()
        }
    }

    pub fn succeeded(&self, applied: Vec<String>, restart_needed: Vec<String>) {
        self.ok_total.fetch_add(1, Ordering::Relaxed);
        let mut s = self.snapshot.lock();
        s.last_at = Some(timestamp::now());
        s.ok = Some(true);
        s.error = None;
        s.applied = applied;
        s.restart_needed = restart_needed;
    }

    pub fn failed(&self, error: String) {
        self.failed_total.fetch_add(1, Ordering::Relaxed);
        let mut s = self.snapshot.lock();
        s.last_at = Some(timestamp::now());
        s.ok = Some(false);
        s.error = Some(error);
        s.applied = Vec::new();
        s.restart_needed = Vec::new();
    }

    pub fn snapshot(&self) -> ReloadSnapshot {
        self.snapshot.lock().clone()
    }

    /// (applied, refused) reloads since start.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.ok_total.load(Ordering::Relaxed),
            self.failed_total.load(Ordering::Relaxed),
        )
    }
}
