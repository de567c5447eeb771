//! When an index was last searched: Elasticsearch's "search idle" shards.
//!
//! ES refreshes a shard every second only while someone searches it. A shard nobody has searched for
//! `index.search.idle.after` (30 s by default) is *search idle*: its background refreshes stop, and the
//! next search that reaches it refreshes it first and waits for that refresh, so the search still sees
//! every acknowledged write. Under pure ingest (an indexer filling today's index, nobody looking) that
//! saves a commit a second: bigger segments, fewer merges, more documents per second.
//!
//! Here each index keeps a [`SearchActivity`]; reads (`_search`, `_count`) record themselves in it
//! through `IndexHandle::prepare_search`, which refreshes an idle index while holding the activity, so
//! concurrent searches wait for that refresh; the refresher asks it whether the index is idle
//! (`refresher::refresh_due`). An index counts as searched when it is opened or created, as a new
//! shard does in ES, so nothing changes for the first [`SEARCH_IDLE_AFTER`] of its life.
//!
//! Invariant: a search never returns without the writes acknowledged before it began if its index was
//! idle; an index that is not idle is refreshed by the refresher as before.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// ES's default `index.search.idle.after`.
pub const SEARCH_IDLE_AFTER: Duration = Duration::from_secs(30);

/// The last time an index was searched (or opened).
#[derive(Debug)]
pub struct SearchActivity {
    last: Mutex<Instant>,
}

impl Default for SearchActivity {
    fn default() -> Self {
        SearchActivity::new()
    }
}

impl SearchActivity {
    /// Activity of an index opened or created now: it counts as just searched.
    pub fn new() -> SearchActivity {
        SearchActivity {
            last: Mutex::new(Instant::now()),
        }
    }

    /// Whether nobody has searched the index for `after`.
    pub fn is_idle(&self, after: Duration) -> bool {
        self.last.lock().elapsed() >= after
    }

    /// Runs `prepare(was_idle)` for a search about to start (`was_idle`: nobody searched for `after`),
    /// then records the search, if `prepare` succeeded. Concurrent searches wait for it: a search arriving
    /// while another one refreshes an idle index must not read the index before that refresh ends.
    pub fn record_search<E>(
        &self,
        after: Duration,
        prepare: impl FnOnce(bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut last = self.last.lock();
        prepare(last.elapsed() >= after)?;
        *last = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn was_idle(activity: &SearchActivity, after: Duration) -> bool {
        let mut seen = None;
        let recorded: Result<(), ()> = activity.record_search(after, |idle| {
            seen = Some(idle);
            Ok(())
        });
        assert!(recorded.is_ok());
        seen.unwrap_or_default()
    }

    #[test]
    fn a_new_index_is_active_and_a_search_reports_the_idleness_it_ends() {
        let activity = SearchActivity::new();
        assert!(!activity.is_idle(SEARCH_IDLE_AFTER));
        assert!(!was_idle(&activity, SEARCH_IDLE_AFTER));
        // With a zero threshold every index is idle, before and after a search.
        assert!(activity.is_idle(Duration::ZERO));
        assert!(was_idle(&activity, Duration::ZERO));
        assert!(activity.is_idle(Duration::ZERO));
    }

    #[test]
    fn a_search_whose_preparation_fails_is_not_recorded() {
        let activity = SearchActivity::new();
        let long_ago = Duration::from_nanos(1);
        assert!(activity
            .record_search(long_ago, |_| Err("refresh failed"))
            .is_err());
        // Still idle: the next search prepares (refreshes) again.
        assert!(was_idle(&activity, long_ago));
    }
}
