//! When an index was last searched: Elasticsearch's "search idle" shards.
//!
//! ES refreshes a shard every second only while someone searches it. A shard nobody has searched for
//! `index.search.idle.after` (30 s by default) is *search idle*: its background refreshes stop, and the
//! next search that reaches it refreshes it first and waits for that refresh, so the search still sees
//! every acknowledged write. Under pure ingest (an indexer filling today's index, nobody looking) that
//! saves a commit a second: bigger segments, fewer merges, more documents per second.
//!
//! Here each index keeps a [`SearchActivity`]; reads (`_search`, `_count`) record themselves in it
//! through `IndexHandle::prepare_search`, and the refresher asks it whether the index is idle
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

    /// Records a search now; returns whether the index was idle (for `after`) until then.
    pub fn record(&self, after: Duration) -> bool {
        let mut last = self.last.lock();
        let was_idle = last.elapsed() >= after;
        *last = Instant::now();
        was_idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_index_is_active_and_a_search_reports_the_idleness_it_ends() {
        let activity = SearchActivity::new();
        assert!(!activity.is_idle(SEARCH_IDLE_AFTER));
        assert!(!activity.record(SEARCH_IDLE_AFTER));
        // With a zero threshold every index is idle, before and after a search.
        assert!(activity.is_idle(Duration::ZERO));
        assert!(activity.record(Duration::ZERO));
        assert!(activity.is_idle(Duration::ZERO));
    }
}
