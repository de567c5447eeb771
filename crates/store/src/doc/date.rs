//! Dates as the store reads and writes them: `i64` milliseconds since the Unix epoch, UTC.
//!
//! [`parse_date`] accepts what ES's default `strict_date_optional_time||epoch_millis` accepts in practice
//! (RFC 3339 with or without offset or fraction, date-only, space instead of `T`, epoch millis);
//! [`format_millis`] writes ES's `2026-11-22T04:00:00.000Z`. Nothing here panics on input.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// Parses a date string (or epoch millis in a string) into epoch millis.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit())
        || (s.starts_with('-') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return s.parse::<i64>().ok();
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(naive, "%Y-%m-%d") {
        return Some(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{naive}-01"), "%Y-%m-%d") {
        return Some(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    if naive.len() == 4 && naive.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = naive.parse().ok()?;
        return Some(
            NaiveDate::from_ymd_opt(y, 1, 1)?
                .and_time(NaiveTime::MIN)
                .and_utc()
                .timestamp_millis(),
        );
    }
    None
}

/// Formats epoch millis as ES does: `2026-11-22T04:00:00.000Z`.
pub fn format_millis(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates() {
        assert_eq!(parse_date("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(parse_date("1970-01-01T00:00:01"), Some(1000));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("12345"), Some(12345));
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn formats_as_es() {
        assert_eq!(format_millis(1500), "1970-01-01T00:00:01.500Z");
    }
}
