//! Central configuration in etcd: what each agent collects, hot-reloaded, and the etcd client plumbing that
//! the status publisher (`crate::status`) shares.
//!
//! - `connect`: the connection settings (`config::EtcdConnection`) turned into an `etcd_client::Client`.
//! - `key_template`: `{hostname}` and `{ip}` in key templates.
//! - `entries`: an etcd value (JSON array of collect entries) checked entry by entry against the last good one.
//! - `cache`: the last good etcd config in `data_dir`, so an agent starts without etcd.
//! - `state`: what the watcher applied (revision, errors, reloads), read by status and metrics.
//! - `watch`: the task that gets the key, watches it from the next revision and hands snapshots to the file
//!   server; it reconnects and re-reads after any break, so no change is lost.
//! - `runtime`: the one thread of the process that runs async code (a current-thread tokio runtime).
//!
//! Invariants: the file server only ever receives `local entries ++ etcd entries` where every etcd entry passed
//! `CollectEntry::validate(_, true)` and the allowlist; a value that fails to parse as a whole changes nothing.

pub mod cache;
pub mod connect;
pub mod entries;
pub mod key_template;
pub mod runtime;
pub mod state;
pub mod watch;

pub use state::ConfigState;
