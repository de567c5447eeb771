//! Human durations in config files: `"250ms"`, `"5s"`, `"2m"`, `"1h"`, or a bare integer of milliseconds.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// A text that is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration (examples: 250ms, 5s, 2m, 1h)")]
    NotADuration(String),
    #[error("`{text}` has unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit { text: String, unit: String },
}

/// Parses `"250ms"`, `"5s"`, `"2m"`, `"1h"` or `"1500"` (milliseconds).
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let value: u64 = digits
        .parse()
        .map_err(|_| DurationError::NotADuration(text.to_string()))?;
    let millis = match unit.trim() {
        "" | "ms" => value,
        "s" => value.saturating_mul(1000),
        "m" => value.saturating_mul(60_000),
        "h" => value.saturating_mul(3_600_000),
        other => {
            return Err(DurationError::UnknownUnit {
                text: text.to_string(),
                unit: other.to_string(),
            })
        }
    };
    Ok(Duration::from_millis(millis))
}

/// Serde adapter: accepts a string (`"5s"`) or an integer of milliseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Millis(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Millis(ms) => Ok(Duration::from_millis(ms)),
        Raw::Text(text) => parse(&text).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1500"), Ok(Duration::from_millis(1500)));
        assert!(parse("5 parsecs").is_err());
        assert!(parse("").is_err());
    }
}
