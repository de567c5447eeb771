//! The config watcher task: get the key, then watch it from the next revision; apply every value.
//!
//! Session loop: connect → `Get key` (revision R, value V) → apply V → `Watch key from R+1` → apply each
//! put / delete as it comes. Any break (connection lost, etcd restarted, watch canceled by compaction) ends
//! the session; after a backoff a new session starts with a fresh `Get`, so a change made while the watch
//! was down is read then — nothing is lost, and a compacted start revision is never reused.
//!
//! Applying a value: `entries::resolve` against the etcd entries applied before; when the result differs,
//! it becomes the remote set of `tail::EntrySets`, which sends `Command::SetEntries(local ++ etcd)` to the
//! file server (which keeps unchanged entries tailing where they are), and the cache is rewritten. The first successful read is always sent, even if equal to the
//! cache the agent started with, so `Agent::start` can wait for it.

use super::cache::ConfigCache;
use super::connect::bounded;
use super::entries::{self, EntryLimits};
use super::runtime::{sleep_unless_stopped, stopped, Backoff, StopSignal};
use super::state::{ConfigSource, ConfigState};
use crate::config::CollectEntry;
use crate::config::EtcdConnection;
use crate::tail::EntrySets;
use etcd_client::{EventType, WatchOptions};
use std::sync::Arc;

/// Watches one key and feeds the file server.
pub struct ConfigWatcher {
    pub connection: EtcdConnection,
    pub key: String,
    pub limits: EntryLimits,
    /// Local `[[collect]]` entries (applied first) and etcd's: this watcher replaces the latter.
    pub sets: Arc<EntrySets>,
    /// etcd entries applied now (from the cache at start, if any).
    pub current: Vec<CollectEntry>,
    pub cache: ConfigCache,
    pub state: Arc<ConfigState>,
    sent_once: bool,
}

enum SessionEnd {
    Stopped,
    Broken(String),
}

impl ConfigWatcher {
    pub fn new(
        connection: EtcdConnection,
        key: String,
        limits: EntryLimits,
        sets: Arc<EntrySets>,
        current: Vec<CollectEntry>,
        cache: ConfigCache,
        state: Arc<ConfigState>,
    ) -> ConfigWatcher {
        ConfigWatcher {
            connection,
            key,
            limits,
            sets,
            current,
            cache,
            state,
            sent_once: false,
        }
    }

    /// Runs sessions until the stop signal.
    pub async fn run(mut self, mut stop: StopSignal) {
        let mut backoff = Backoff::default();
        loop {
            if *stop.borrow() {
                return;
            }
            match self.session(&mut stop, &mut backoff).await {
                SessionEnd::Stopped => return,
                SessionEnd::Broken(error) => {
                    let delay = backoff.next_delay();
                    log::warn!("etcd config {}: {error}; retrying in {delay:?}", self.key);
                    self.state.connection(Some(error));
                    if !sleep_unless_stopped(delay, &mut stop).await {
                        return;
                    }
                }
            }
        }
    }

    async fn session(&mut self, stop: &mut StopSignal, backoff: &mut Backoff) -> SessionEnd {
        let limit = self.connection.connect_timeout;
        let setup = async {
            let mut client = self.connection.connect().await?;
            let response = bounded("get", limit, client.get(self.key.as_str(), None)).await?;
            let header_revision = response.header().map(|h| h.revision()).unwrap_or(0);
            let value = response
                .kvs()
                .first()
                .map(|kv| (kv.value().to_vec(), kv.mod_revision()));
            let stream = bounded(
                "watch",
                limit,
                client.watch(
                    self.key.as_str(),
                    Some(WatchOptions::new().with_start_revision(header_revision + 1)),
                ),
            )
            .await?;
            Ok::<_, String>((client, header_revision, value, stream))
        };
        let (_client, header_revision, value, mut stream) = tokio::select! {
            result = setup => match result {
                Ok(ok) => ok,
                Err(e) => return SessionEnd::Broken(e),
            },
            _ = stopped(stop) => return SessionEnd::Stopped,
        };
        match value {
            Some((bytes, revision)) => self.apply(Some(&bytes), revision),
            None => self.apply(None, header_revision),
        }
        self.state.connection(None);
        backoff.reset();
        log::info!(
            "etcd config {}: watching from revision {}",
            self.key,
            header_revision + 1
        );
        loop {
            let message = tokio::select! {
                message = stream.message() => message,
                _ = stopped(stop) => return SessionEnd::Stopped,
            };
            let response = match message {
                Ok(Some(response)) => response,
                Ok(None) => return SessionEnd::Broken("the watch stream ended".into()),
                Err(e) => return SessionEnd::Broken(format!("watch: {e}")),
            };
            if response.canceled() {
                return SessionEnd::Broken(format!(
                    "watch canceled (compact revision {}): {}",
                    response.compact_revision(),
                    response.cancel_reason()
                ));
            }
            for event in response.events() {
                let Some(kv) = event.kv() else { continue };
                match event.event_type() {
                    EventType::Put => self.apply(Some(kv.value()), kv.mod_revision()),
                    EventType::Delete => self.apply(None, kv.mod_revision()),
                }
            }
        }
    }

    /// Applies one value of the key (`None`: deleted) read at `revision`.
    fn apply(&mut self, value: Option<&[u8]>, revision: i64) {
        let resolved = match entries::resolve(&self.key, value, &self.current, &self.limits) {
            Ok(resolved) => resolved,
            Err(error) => {
                log::error!("etcd config revision {revision}: {error}");
                self.state.rejected(revision, error.to_string());
                return;
            }
        };
        for error in &resolved.errors {
            log::error!("etcd config revision {revision}: {error}");
        }
        if value.is_none() {
            log::warn!(
                "etcd config {} deleted at revision {revision}: no etcd entries",
                self.key
            );
        }
        let changed = resolved.entries != self.current;
        if changed || !self.sent_once {
            if self.sets.set_remote(resolved.entries.clone()).is_err() {
                log::debug!("file server gone; config revision {revision} not applied");
                return;
            }
            self.sent_once = true;
            log::info!(
                "etcd config {} revision {revision}: {} entries applied",
                self.key,
                resolved.entries.len()
            );
        }
        if let Err(e) = self.cache.store(&self.key, revision, &resolved.entries) {
            log::warn!("{e}");
        }
        self.state.applied(
            ConfigSource::Etcd,
            revision,
            resolved.entries.len(),
            resolved.errors,
            changed,
        );
        self.current = resolved.entries;
    }
}
