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

/// A moment as `@timestamp` text and as milliseconds since the epoch (a Kafka message's timestamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub text: String,
    pub millis: i64,
}

impl Stamp {
    /// The current time.
    pub fn now() -> Stamp {
        Stamp::of(SystemTime::now())
    }

    pub fn of(time: SystemTime) -> Stamp {
        let millis = time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Stamp {
            text: rfc3339_millis(time),
            millis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn text_and_millis_name_the_same_moment() {
        let stamp = Stamp::of(SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_912_681_123));
        assert_eq!(stamp.text, "2025-12-05T05:31:21.123Z");
        assert_eq!(stamp.millis, 1_764_912_681_123);
    }
}
