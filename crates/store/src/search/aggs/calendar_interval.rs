//! Calendar intervals of whole months (`month`, `quarter`, `year`) for `date_histogram`.
//!
//! tantivy's histogram only knows fixed-length intervals, so month-based buckets are built as a `range`
//! aggregation over `@timestamp` whose boundaries are the first instants (UTC) of each calendar month,
//! quarter or year covering the data. This module computes those boundaries. Invariants: boundaries are
//! strictly increasing UTC millis aligned to the interval (quarters start in January, April, July and
//! October; years on January 1st), the first is at or before `min_ms`, the last is after `max_ms`, and a
//! request never yields more than [`MAX_BUCKETS`] buckets.

use chrono::{Datelike, Months, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::search::aggs::error::CalendarError;

/// The most buckets one calendar histogram may produce (ES's default `search.max_buckets` is 65,536).
pub const MAX_BUCKETS: usize = 10_000;

/// The length of a month-based calendar interval, in months; `None` for intervals that are not month-based.
pub fn months_per_bucket(interval: &str) -> Option<u32> {
    match interval {
        "month" | "1M" => Some(1),
        "quarter" | "1q" => Some(3),
        "year" | "1y" => Some(12),
        _ => None,
    }
}

/// Bucket boundaries covering `[min_ms, max_ms]`: `n + 1` instants for `n` buckets.
pub fn boundaries(min_ms: i64, max_ms: i64, months: u32) -> Result<Vec<i64>, CalendarError> {
    let out_of_range = || CalendarError::OutOfRange { min_ms, max_ms };
    let first = Utc
        .timestamp_millis_opt(min_ms.min(max_ms))
        .single()
        .ok_or_else(out_of_range)?
        .date_naive();
    let month0 = first.month0() - first.month0() % months;
    let mut edge = NaiveDate::from_ymd_opt(first.year(), month0 + 1, 1)
        .ok_or_else(out_of_range)?
        .and_time(NaiveTime::MIN)
        .and_utc();
    let mut out = vec![edge.timestamp_millis()];
    while edge.timestamp_millis() <= max_ms {
        edge = edge
            .checked_add_months(Months::new(months))
            .ok_or_else(out_of_range)?;
        out.push(edge.timestamp_millis());
        if out.len() > MAX_BUCKETS + 1 {
            return Err(CalendarError::TooManyBuckets { max: MAX_BUCKETS });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::date::parse_date;

    fn ms(s: &str) -> i64 {
        parse_date(s).unwrap_or(i64::MIN)
    }

    #[test]
    fn months_cover_the_span_aligned_to_the_first_of_the_month() {
        let b = boundaries(ms("2026-01-31T23:00:00Z"), ms("2026-03-01T00:00:00Z"), 1);
        assert_eq!(
            b,
            Ok(vec![
                ms("2026-01-01"),
                ms("2026-02-01"),
                ms("2026-03-01"),
                ms("2026-04-01")
            ])
        );
    }

    #[test]
    fn quarters_and_years_align_to_january() {
        let b = boundaries(ms("2026-05-10"), ms("2026-08-10"), 3);
        assert_eq!(
            b,
            Ok(vec![ms("2026-04-01"), ms("2026-07-01"), ms("2026-10-01")])
        );
        let b = boundaries(ms("2025-12-31"), ms("2026-01-01"), 12);
        assert_eq!(
            b,
            Ok(vec![ms("2025-01-01"), ms("2026-01-01"), ms("2027-01-01")])
        );
    }

    #[test]
    fn pre_epoch_dates_and_too_many_buckets() {
        let b = boundaries(ms("1969-12-15"), ms("1969-12-16"), 1);
        assert_eq!(b, Ok(vec![ms("1969-12-01"), ms("1970-01-01")]));
        assert!(boundaries(0, ms("2900-01-01"), 1).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(months_per_bucket("1M"), Some(1));
        assert_eq!(months_per_bucket("quarter"), Some(3));
        assert_eq!(months_per_bucket("1y"), Some(12));
        assert_eq!(months_per_bucket("1d"), None);
    }
}
