//! `@timestamp` values: RFC 3339, UTC, millisecond precision (`2026-11-22T04:51:21.123Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use std::time::SystemTime;

/// Formats `time` as `@timestamp` expects.
pub fn rfc3339_millis(time: SystemTime) -> String {
    let time: DateTime<Utc> = time.into();
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The current time as `@timestamp`.
pub fn now() -> String {
    rfc3339_millis(SystemTime::now())
}
