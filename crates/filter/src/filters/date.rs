//! `date`: reads a time from a field and makes it the event's time (Logstash's date filter).
//!
//! `match = [field, format, …]`: the formats are tried in order; `ISO8601`, `UNIX` (seconds, a fraction
//! allowed), `UNIX_MS`, `TAI64N` (`@4000…`, as daemontools writes) or a Joda pattern. `timezone` applies to
//! times written without a zone: UTC when not given (Logstash takes the host's zone; `timezone = "local"`
//! asks for that, but the same filters may run in the agent and in the transfer, and UTC means the same on
//! both); `locale` gives the language of month and day names. The result goes to `target`
//! (default `@timestamp`, where the time it replaces is kept in `event.ingested`). A list takes its first
//! element. An absent field is left alone; a value no format reads tags `_dateparsefailure`.

use super::{set_event_time, Outcome};
use crate::error::{field, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::joda::{JodaPattern, Locale};
use crate::spec::DateSpec;
use crate::timestamp::{Timestamp, Zone};
use serde_json::Value;

pub(crate) const FAILURE_TAG: &str = "_dateparsefailure";

#[derive(Debug, Clone)]
pub(crate) struct DateFilter {
    source: FieldRef,
    formats: Vec<Format>,
    target: Option<FieldRef>,
    zone: Zone,
    locale: Locale,
}

#[derive(Debug, Clone)]
enum Format {
    Iso8601,
    Unix,
    UnixMs,
    Tai64n,
    Joda(JodaPattern),
}

impl DateFilter {
    pub(crate) fn compile(spec: &DateSpec) -> Result<DateFilter, Invalid> {
        let (source, formats) = match spec.match_.split_first() {
            Some((source, formats)) if !formats.is_empty() => (source, formats),
            _ => {
                return Err(Invalid::new(
                    "match",
                    "give the field and at least one format: [\"ts\", \"ISO8601\"]",
                ))
            }
        };
        let formats = formats
            .iter()
            .map(|format| match format.as_str() {
                "ISO8601" => Ok(Format::Iso8601),
                "UNIX" => Ok(Format::Unix),
                "UNIX_MS" => Ok(Format::UnixMs),
                "TAI64N" => Ok(Format::Tai64n),
                pattern => JodaPattern::compile(pattern)
                    .map(Format::Joda)
                    .map_err(|e| Invalid::new("match", e.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let target = match spec.target.as_deref() {
            None | Some("@timestamp") => None,
            Some(target) => Some(field("target", target)?),
        };
        Ok(DateFilter {
            source: field("match", source)?,
            formats,
            target,
            zone: spec
                .timezone
                .as_deref()
                .map(Zone::parse)
                .transpose()
                .map_err(|e| Invalid::new("timezone", e.to_string()))?
                .unwrap_or_default(),
            locale: spec
                .locale
                .as_deref()
                .map(Locale::parse)
                .transpose()
                .map_err(|e| Invalid::new("locale", e.to_string()))?
                .unwrap_or_default(),
        })
    }

    pub(crate) fn apply(&self, event: &mut Event) -> Outcome {
        let value = match event.get(&self.source) {
            None | Some(Value::Null) => return Outcome::Skipped,
            Some(Value::Array(items)) => match items.first() {
                Some(first) => first,
                None => return Outcome::Skipped,
            },
            Some(value) => value,
        };
        let Some(time) = self.read(value) else {
            return Outcome::Failure;
        };
        match &self.target {
            None => set_event_time(event, time),
            Some(target) => {
                event.set(target, Value::String(time.to_iso8601()));
            }
        }
        Outcome::Success
    }

    fn read(&self, value: &Value) -> Option<Timestamp> {
        let number_text;
        let text = match value {
            Value::String(text) => text.as_str(),
            Value::Number(n) => {
                number_text = n.to_string();
                number_text.as_str()
            }
            _ => return None,
        };
        self.formats.iter().find_map(|format| match format {
            Format::Iso8601 => Timestamp::parse_iso8601(text, &self.zone),
            Format::Unix => unix_seconds(text),
            Format::UnixMs => text.parse::<i64>().ok().map(Timestamp::from_millis),
            Format::Tai64n => tai64n(text),
            Format::Joda(pattern) => {
                let now = if pattern.has_year() {
                    Timestamp::new(0, 0)?
                } else {
                    Timestamp::now()
                };
                pattern.parse(text, &self.zone, &self.locale, now)
            }
        })
    }
}

/// `1326149001` or `1326149001.132` (or negative).
fn unix_seconds(text: &str) -> Option<Timestamp> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let negative = whole.starts_with('-');
    let secs: i64 = whole.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    let mut nanos = 0u32;
    let mut scale = 1_000_000_000u32;
    for digit in fraction.bytes() {
        scale /= 10;
        nanos += u32::from(digit - b'0') * scale;
    }
    if negative && nanos > 0 {
        Timestamp::new(secs - 1, 1_000_000_000 - nanos)
    } else {
        Timestamp::new(secs, nanos)
    }
}

/// TAI64N label: 16 hex digits of seconds (offset 2^62, and TAI runs 10 s ahead of the epoch's UTC) and 8
/// of nanoseconds, optionally after `@`.
fn tai64n(text: &str) -> Option<Timestamp> {
    let hex = text.strip_prefix('@').unwrap_or(text);
    if hex.len() != 24 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let label = u64::from_str_radix(&hex[..16], 16).ok()?;
    let nanos = u32::from_str_radix(&hex[16..], 16).ok()?;
    let secs = i64::try_from(label.checked_sub((1u64 << 62) + 10)?).ok()?;
    Timestamp::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(spec: Value, event: Value) -> (Outcome, Value) {
        let spec: DateSpec = serde_json::from_value(spec).expect("spec");
        let filter = DateFilter::compile(&spec).expect("compiles");
        let mut event = Event::from_map(event.as_object().cloned().expect("object"));
        let outcome = filter.apply(&mut event);
        (outcome, Value::Object(event.into_map()))
    }

    #[test]
    fn formats_in_order_and_the_read_time_is_kept() {
        let spec = json!({"match": ["ts", "ISO8601", "UNIX_MS", "UNIX", "TAI64N", "dd/MMM/yyyy:HH:mm:ss Z"]});
        let cases = [
            (
                json!("2026-01-02T03:04:05.678Z"),
                "2026-01-02T03:04:05.678Z",
            ),
            (json!("1767323045678"), "2026-01-02T03:04:05.678Z"),
            (json!(1767323045678i64), "2026-01-02T03:04:05.678Z"),
            (json!("1767323045.5"), "2026-01-02T03:04:05.500Z"),
            (
                json!("@40000000695735af28697580"),
                "2026-01-02T03:04:05.678Z",
            ),
            (
                json!("02/Jan/2026:04:04:05 +0100"),
                "2026-01-02T03:04:05.000Z",
            ),
            (
                json!(["2026-01-02T03:04:05Z", "ignored"]),
                "2026-01-02T03:04:05.000Z",
            ),
        ];
        for (value, expected) in cases {
            let (outcome, event) = run(
                spec.clone(),
                json!({"@timestamp": "2026-06-01T00:00:00.000Z", "ts": value.clone()}),
            );
            assert_eq!(outcome, Outcome::Success, "{value}");
            assert_eq!(event["@timestamp"], expected, "{value}");
            assert_eq!(event["event"]["ingested"], "2026-06-01T00:00:00.000Z");
        }
    }

    #[test]
    fn zone_target_failure_and_absence() {
        let (_, event) = run(
            json!({"match": ["ts", "yyyy-MM-dd HH:mm:ss"], "timezone": "America/New_York", "target": "when"}),
            json!({"ts": "2026-07-04 12:00:00"}),
        );
        assert_eq!(event["when"], "2026-07-04T16:00:00.000Z");
        assert!(event.get("event").is_none());
        let (outcome, _) = run(json!({"match": ["ts", "ISO8601"]}), json!({"ts": "soon"}));
        assert_eq!(outcome, Outcome::Failure);
        let (outcome, _) = run(json!({"match": ["ts", "ISO8601"]}), json!({"other": 1}));
        assert_eq!(outcome, Outcome::Skipped);
    }

    #[test]
    fn bad_config_names_the_key() {
        let compile = |spec: Value| {
            DateFilter::compile(&serde_json::from_value::<DateSpec>(spec).expect("spec"))
                .map(|_| ())
                .map_err(|e| e.key)
        };
        assert_eq!(compile(json!({"match": ["ts"]})), Err("match".into()));
        assert_eq!(
            compile(json!({"match": ["ts", "yyyy-QQ"]})),
            Err("match".into())
        );
        assert_eq!(
            compile(json!({"match": ["ts", "ISO8601"], "timezone": "Nowhere/Land"})),
            Err("timezone".into())
        );
        assert_eq!(
            compile(json!({"match": ["ts", "ISO8601"], "locale": "tlh"})),
            Err("locale".into())
        );
    }
}
