//! Daily-index retention: deleting the indices named `name-YYYY.MM.dd` older than a number of days, and
//! the backing indices of data streams that stopped taking writes as long ago (`stream_ops.rs`).

use chrono::NaiveDate;

use crate::index::names::daily_index_date;
use crate::index::set::IndexSet;

impl IndexSet {
    /// Deletes daily indices (`name-YYYY.MM.dd`) dated before `today - days`; keeps today and the `days`
    /// previous days; then applies the same age to data streams ([`IndexSet::apply_stream_retention`]).
    /// Returns the deleted names.
    pub fn apply_retention(&self, days: u32, today: NaiveDate) -> Vec<String> {
        let Some(cutoff) = today.checked_sub_days(chrono::Days::new(u64::from(days))) else {
            return Vec::new();
        };
        let doomed: Vec<String> = self
            .names()
            .into_iter()
            .filter(|name| daily_index_date(name).is_some_and(|d| d < cutoff))
            .collect();
        let mut deleted = Vec::new();
        for name in doomed {
            match self.delete(&name) {
                Ok(mut n) => deleted.append(&mut n),
                Err(err) => log::warn!("store: retention could not delete [{name}]: {err}"),
            }
        }
        deleted.append(&mut self.apply_stream_retention(days, today));
        deleted
    }
}
