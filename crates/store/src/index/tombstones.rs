//! Deletes remembered after the commit that made them durable, for `index.gc_deletes` (ES's default: 60 s).
//! Within that time a write to a deleted `_id` goes on from the delete's `_version`, as in ES; after it the
//! `_id` starts at 1 again. Before the commit the writer's `pending` map holds the delete; the commit hands
//! it here.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::id_filter::IdKey;
use super::versions::{Current, DocVersion};

/// How long a delete's version is remembered (ES's `index.gc_deletes` default).
pub const GC_DELETES: Duration = Duration::from_secs(60);

/// Deleted `_id`s of one index and when their delete was committed.
#[derive(Default)]
pub struct Tombstones {
    by_key: HashMap<IdKey, (DocVersion, Instant), rustc_hash::FxBuildHasher>,
}

impl Tombstones {
    /// Takes the writes of a commit: each delete becomes a tombstone, any other write ends its `_id`'s; and
    /// forgets the tombstones older than [`GC_DELETES`].
    pub fn commit<'a>(
        &mut self,
        writes: impl Iterator<Item = (&'a IdKey, &'a Current)>,
        now: Instant,
    ) {
        for (key, current) in writes {
            match current {
                Current::Deleted(version) => {
                    self.by_key.insert(*key, (*version, now));
                }
                Current::Live(_) | Current::Missing => {
                    self.by_key.remove(key);
                }
            }
        }
        self.by_key
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < GC_DELETES);
    }

    /// The version of `key`'s delete, while it is remembered.
    pub fn get(&self, key: IdKey, now: Instant) -> Option<DocVersion> {
        self.by_key
            .get(&key)
            .filter(|(_, at)| now.saturating_duration_since(*at) < GC_DELETES)
            .map(|(version, _)| *version)
    }

    /// Every remembered `_id`, for a rebuilt `_id` filter (which is built from live documents only).
    pub fn keys(&self) -> impl Iterator<Item = IdKey> + '_ {
        self.by_key.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_is_remembered_for_gc_deletes_after_its_commit() {
        let v = |version| DocVersion { seq_no: 0, version };
        let (a, b) = (IdKey::of("a"), IdKey::of("b"));
        let t0 = Instant::now();
        let mut tombstones = Tombstones::default();
        tombstones.commit(
            [(&a, &Current::Deleted(v(3))), (&b, &Current::Live(v(1)))].into_iter(),
            t0,
        );
        assert_eq!(tombstones.get(a, t0 + Duration::from_secs(59)), Some(v(3)));
        assert_eq!(tombstones.get(a, t0 + GC_DELETES), None, "expired");
        assert_eq!(tombstones.get(b, t0), None, "a live write is no tombstone");
        // A later commit that writes `a` again ends its tombstone.
        tombstones.commit([(&a, &Current::Live(v(4)))].into_iter(), t0);
        assert_eq!(tombstones.get(a, t0), None);
        // Expired tombstones are dropped at a commit.
        tombstones.commit([(&b, &Current::Deleted(v(2)))].into_iter(), t0);
        tombstones.commit(std::iter::empty(), t0 + GC_DELETES);
        assert_eq!(tombstones.keys().count(), 0);
    }
}
