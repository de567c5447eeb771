//! When `_bulk` writes become searchable. A `_bulk` answers once its operations are in the translog;
//! tantivy commits them (a "refresh") from the refresher thread, or before answering when the request asks
//! with `?refresh=true` or `?refresh=wait_for`, as in Elasticsearch.
//!
//! The refresher looks at every index each [`TICK`] and commits one whose oldest uncommitted operation is
//! [`REFRESH_INTERVAL`] old, or already [`QUICK_REFRESH`] old if fewer than [`QUICK_REFRESH_MAX_OPS`]
//! operations wait ([`refresh_due`]). Under load that is one commit a second: segments of a second's
//! worth of documents instead of one per request, and far less merging. A trickle of lines (a person
//! watching a live tail) is searchable within a few hundred milliseconds, where small commits cost
//! little.
//!
//! An index nobody has searched lately is *search idle*, as in ES (`search_activity.rs`): the refresher
//! leaves it until its oldest uncommitted operation is [`IDLE_COMMIT_INTERVAL`] old or
//! [`IDLE_COMMIT_MAX_OPS`] operations wait (which bounds the translog to replay after a crash and the
//! writer's table of uncommitted ids), and the next search refreshes it before it runs.
//!
//! While the disk is full ([`crate::index::disk_block`]) it commits nothing; every second it checks whether
//! there is room again and then commits every index, which lifts the block.
//!
//! The thread holds only a weak reference to the index set and stops when the store is dropped.

use std::sync::Weak;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::index::set::IndexSet;

/// The longest an acknowledged operation waits for its commit to start (plus one [`TICK`] at most).
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(900);
/// How long a small amount of uncommitted operations waits.
pub const QUICK_REFRESH: Duration = Duration::from_millis(200);
/// Up to this many uncommitted operations, [`QUICK_REFRESH`] applies.
pub const QUICK_REFRESH_MAX_OPS: u64 = 10_000;
/// How often the refresher looks at the indices.
pub const TICK: Duration = Duration::from_millis(100);
/// The longest an operation on a search-idle index waits for its commit.
pub const IDLE_COMMIT_INTERVAL: Duration = Duration::from_secs(30);
/// A search-idle index is committed once this many operations wait.
pub const IDLE_COMMIT_MAX_OPS: u64 = 500_000;

/// Whether an index whose oldest uncommitted operation is `age` old, with `ops` operations waiting, is due
/// a commit; `search_idle`: nobody has searched it lately.
pub fn refresh_due(age: Duration, ops: u64, search_idle: bool) -> bool {
    if search_idle {
        return age >= IDLE_COMMIT_INTERVAL || ops >= IDLE_COMMIT_MAX_OPS;
    }
    age >= REFRESH_INTERVAL || (age >= QUICK_REFRESH && ops <= QUICK_REFRESH_MAX_OPS)
}

/// The `refresh` parameter of a write request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Refresh {
    /// Durable on return, searchable after the next periodic refresh, or, on a search-idle index, by the
    /// next search, which refreshes first (the default).
    #[default]
    False,
    /// Durable and searchable on return.
    True,
    /// Also durable and searchable on return: ES waits for the next refresh; here the request's own
    /// commit is that refresh.
    WaitFor,
}

impl Refresh {
    /// Whether the write must be searchable before the request returns.
    pub fn before_return(self) -> bool {
        self != Refresh::False
    }
}

/// Starts the refresher: every [`TICK`] it commits each index that is [`refresh_due`], until `stop` is
/// signalled or disconnected, or the index set is gone.
pub(crate) fn spawn(set: Weak<IndexSet>, stop: Receiver<()>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("store-refresh".to_string())
        .spawn(move || {
            let mut ticks: u64 = 0;
            loop {
                if stop.recv_timeout(TICK) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let Some(set) = set.upgrade() else {
                    return;
                };
                ticks += 1;
                tick(&set, ticks);
            }
        })
}

/// Ticks between two attempts to lift the disk block (one second).
const RELEASE_EVERY_TICKS: u64 = 10;

/// One look at every index: commit those due, unless the disk is full (then, every second, try to lift
/// the block; see [`crate::index::disk_block`]); every second, try to open the indices that could not be
/// opened at start.
fn tick(set: &IndexSet, ticks: u64) {
    let block = set.disk_block();
    if !block.is_blocked() && block.under_flood_stage() {
        block.block(&"the free space is under the flood-stage watermark");
    }
    if block.is_blocked() {
        if ticks % RELEASE_EVERY_TICKS == 0 {
            set.try_release_disk_block();
        }
        return;
    }
    if ticks % RELEASE_EVERY_TICKS == 0 && set.has_unopened() {
        set.open_unopened();
    }
    let idle_after = set.search_idle_after();
    for index in set.all() {
        let idle = index.activity.is_idle(idle_after);
        let due = index
            .uncommitted()
            .is_some_and(|(age, ops)| refresh_due(age, ops, idle));
        if due {
            if let Err(err) = index.refresh() {
                if !block.block_if_full(&err) {
                    log::error!("store: refreshing index [{}]: {err}", index.name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_is_refreshed_quickly_and_a_flood_once_a_second() {
        let ms = Duration::from_millis;
        assert!(!refresh_due(ms(50), 1, false));
        assert!(refresh_due(ms(200), 1, false));
        assert!(!refresh_due(ms(500), 50_000, false));
        assert!(refresh_due(ms(900), 50_000, false));
    }

    #[test]
    fn a_search_idle_index_waits_for_a_search_or_its_bounds() {
        let ms = Duration::from_millis;
        assert!(!refresh_due(ms(200), 1, true));
        assert!(!refresh_due(ms(900), 50_000, true));
        assert!(!refresh_due(
            IDLE_COMMIT_INTERVAL - ms(1),
            IDLE_COMMIT_MAX_OPS - 1,
            true
        ));
        assert!(refresh_due(IDLE_COMMIT_INTERVAL, 1, true));
        assert!(refresh_due(ms(100), IDLE_COMMIT_MAX_OPS, true));
    }
}
