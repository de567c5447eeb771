//! Instants, time zones, and the ISO 8601 reader and writer that `@timestamp` uses.
//!
//! `@timestamp` is written as Logstash writes it: UTC, `Z`, milliseconds (`2026-01-02T03:04:05.123Z`), with
//! six or nine fraction digits only when the instant has them. Reading accepts what Joda's ISO parser and
//! Logstash's `ISO8601` accept: `T` or a space between date and time, optional colons, `.` or `,` before the
//! fraction, a zone `Z`/`±HH`/`±HHMM`/`±HH:MM`, or none (then the configured zone applies).

use chrono::{Offset, TimeZone};
use std::str::FromStr;

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// An instant: seconds and nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// The calendar fields of an instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    /// 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// 1 … 366.
    pub ordinal: u32,
}

impl Timestamp {
    /// `None` when `nanos` is not below one second.
    pub fn new(secs: i64, nanos: u32) -> Option<Timestamp> {
        (nanos < NANOS_PER_SEC).then_some(Timestamp { secs, nanos })
    }

    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp {
            secs: millis.div_euclid(1000),
            nanos: (millis.rem_euclid(1000) as u32) * 1_000_000,
        }
    }

    pub fn now() -> Timestamp {
        let now = chrono::Utc::now();
        Timestamp {
            secs: now.timestamp(),
            nanos: now.timestamp_subsec_nanos(),
        }
    }

    pub fn secs(&self) -> i64 {
        self.secs
    }

    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// The instant of a civil date and time at UTC offset `offset_secs`; `None` for impossible dates.
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        nanos: u32,
        offset_secs: i32,
    ) -> Option<Timestamp> {
        let local = local_seconds(year, month, day, hour, minute, second)?;
        Timestamp::new(local - i64::from(offset_secs), nanos)
    }

    /// The calendar fields in UTC.
    pub fn civil(&self) -> Civil {
        let days = self.secs.div_euclid(86_400);
        let in_day = self.secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: in_day / 3600,
            minute: in_day / 60 % 60,
            second: in_day % 60,
            nanos: self.nanos,
            weekday: (days + 3).rem_euclid(7) as u32 + 1,
            ordinal: (days - days_from_civil(year, 1, 1)) as u32 + 1,
        }
    }

    /// Reads ISO 8601; `zone` applies when the text has no offset.
    pub fn parse_iso8601(text: &str, zone: &Zone) -> Option<Timestamp> {
        let b = text.as_bytes();
        let mut p = Cursor { b, i: 0 };
        let year = i64::from(p.digits_exact(4)?);
        p.expect(b'-')?;
        let month = p.digits_exact(2)?;
        p.expect(b'-')?;
        let day = p.digits_exact(2)?;
        let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0);
        if matches!(p.peek(), Some(b'T' | b't' | b' ')) {
            p.i += 1;
            hour = p.digits_exact(2)?;
            if p.eat(b':') || p.peek().is_some_and(|c| c.is_ascii_digit()) {
                minute = p.digits_exact(2)?;
                if p.eat(b':') || p.peek().is_some_and(|c| c.is_ascii_digit()) {
                    second = p.digits_exact(2)?;
                    if p.eat(b'.') || p.eat(b',') {
                        nanos = p.fraction()?;
                    }
                }
            }
        }
        let offset = match p.peek() {
            None => None,
            Some(b'Z' | b'z') => {
                p.i += 1;
                Some(0)
            }
            Some(b'+' | b'-') => Some(p.offset()?),
            Some(_) => return None,
        };
        if p.i != b.len() || hour > 24 || minute > 59 || second > 60 {
            return None;
        }
        let (day_carry, hour) = if hour == 24 && minute == 0 && second == 0 && nanos == 0 {
            (1, 0)
        } else if hour == 24 {
            return None;
        } else {
            (0, hour)
        };
        let local = local_seconds(year, month, day, hour, minute, second.min(59))?
            + i64::from(second == 60)
            + day_carry * 86_400;
        let offset = match offset {
            Some(offset) => offset,
            None => zone.offset_at_local(local)?,
        };
        Timestamp::new(local - i64::from(offset), nanos)
    }

    /// Appends `2026-01-02T03:04:05.123Z` (6 or 9 fraction digits when needed).
    pub fn write_iso8601(&self, out: &mut String) {
        let days = self.secs.div_euclid(86_400);
        let in_day = self.secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            // Outside four digits: ISO 8601's expanded form.
            out.push_str(&format!("{year:+}"));
            let mut rest = String::with_capacity(32);
            self.write_fields(0, month, day, in_day, &mut rest);
            out.push_str(&rest[4..]);
            return;
        }
        self.write_fields(year, month, day, in_day, out);
    }

    /// The ISO 8601 text of a four-digit year, written into one buffer.
    fn write_fields(&self, year: i64, month: u32, day: u32, in_day: u32, out: &mut String) {
        let mut buf = *b"0000-00-00T00:00:00.000000000Z";
        let mut put = |at: usize, width: usize, value: u32| {
            let mut v = value;
            for slot in buf[at..at + width].iter_mut().rev() {
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, in_day / 3600);
        put(14, 2, in_day / 60 % 60);
        put(17, 2, in_day % 60);
        let digits = if self.nanos % 1_000_000 == 0 {
            put(20, 3, self.nanos / 1_000_000);
            3
        } else if self.nanos % 1000 == 0 {
            put(20, 6, self.nanos / 1000);
            6
        } else {
            put(20, 9, self.nanos);
            9
        };
        buf[20 + digits] = b'Z';
        // Only ASCII digits and separators are in the buffer.
        out.push_str(std::str::from_utf8(&buf[..21 + digits]).unwrap_or_default());
    }

    pub fn to_iso8601(&self) -> String {
        let mut out = String::with_capacity(32);
        self.write_iso8601(&mut out);
        out
    }
}

/// Appends `value` in decimal, zero-padded to `width` digits (at most 10).
pub(crate) fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let width = width.min(10);
    let mut v = value;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &digit in &buf[..width] {
        out.push(char::from(digit));
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }
    fn digits_exact(&mut self, count: usize) -> Option<u32> {
        let end = self.i + count;
        let digits = self.b.get(self.i..end)?;
        let mut value = 0u32;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(d - b'0');
        }
        self.i = end;
        Some(value)
    }
    /// 1 or more digits of a fraction of a second, as nanoseconds (digits past the ninth are dropped).
    fn fraction(&mut self) -> Option<u32> {
        let start = self.i;
        let mut nanos = 0u32;
        let mut scale = NANOS_PER_SEC;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            if scale > 1 {
                scale /= 10;
                nanos += u32::from(d - b'0') * scale;
            }
            self.i += 1;
        }
        (self.i > start).then_some(nanos)
    }
    /// `±HH`, `±HHMM` or `±HH:MM`, in seconds east of UTC.
    fn offset(&mut self) -> Option<i32> {
        let sign = if self.eat(b'-') {
            -1
        } else {
            self.expect(b'+')?;
            1
        };
        let hours = self.digits_exact(2)?;
        let minutes = if self.eat(b':') || self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.digits_exact(2)?
        } else {
            0
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60) as i32)
    }
}

/// Seconds since the epoch of a civil date-time read as UTC; `None` for impossible dates.
pub(crate) fn local_seconds(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
        || !(-999_999..=999_999).contains(&year)
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A time zone: a fixed offset, a zone of the tz database, or the host's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Seconds east of UTC.
    Fixed(i32),
    Named(chrono_tz::Tz),
    /// The zone of the machine the filter runs on (`/etc/localtime`): what Logstash assumes by default.
    Local,
}

/// A text that names no time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("`{0}` is not an offset like +02:00")]
    NotAnOffset(String),
    #[error("`{0}` is not a time zone (use UTC, +02:00 or a name like Europe/Berlin)")]
    Unknown(String),
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::Fixed(0)
    }
}

impl Zone {
    pub const UTC: Zone = Zone::Fixed(0);

    /// `UTC`, `Z`, `+02:00`, `-0530`, a tz database name (`Europe/Berlin`), or `local`.
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if matches!(trimmed, "UTC" | "utc" | "Z" | "GMT" | "UT" | "Etc/UTC") {
            return Ok(Zone::UTC);
        }
        if trimmed.starts_with(['+', '-']) {
            let mut cursor = Cursor {
                b: trimmed.as_bytes(),
                i: 0,
            };
            return match cursor.offset() {
                Some(offset) if cursor.i == trimmed.len() => Ok(Zone::Fixed(offset)),
                _ => Err(ZoneError::NotAnOffset(text.to_string())),
            };
        }
        chrono_tz::Tz::from_str(trimmed)
            .map(Zone::Named)
            .map_err(|_| ZoneError::Unknown(text.to_string()))
    }

    /// The offset in force at a local civil time given as seconds since the epoch read as UTC. In a gap
    /// (clocks jumping forward) the offset after the gap; in an overlap the earlier one.
    pub fn offset_at_local(&self, local: i64) -> Option<i32> {
        match self {
            Zone::Fixed(offset) => Some(*offset),
            Zone::Named(tz) => {
                let naive = chrono::DateTime::from_timestamp(local, 0)?.naive_utc();
                let resolved = tz.from_local_datetime(&naive).earliest().or_else(|| {
                    tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                        .earliest()
                })?;
                Some(resolved.offset().fix().local_minus_utc())
            }
            Zone::Local => {
                let naive = chrono::DateTime::from_timestamp(local, 0)?.naive_utc();
                let resolved = chrono::Local
                    .from_local_datetime(&naive)
                    .earliest()
                    .or_else(|| {
                        chrono::Local
                            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                            .earliest()
                    })?;
                Some(resolved.offset().fix().local_minus_utc())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> Option<String> {
        Timestamp::parse_iso8601(text, &Zone::UTC).map(|t| t.to_iso8601())
    }

    #[test]
    fn iso8601_forms() {
        let cases = [
            ("2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05.123Z"),
            ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
            ("2026-01-02 03:04:05,5", "2026-01-02T03:04:05.500Z"),
            (
                "2026-01-02T03:04:05.123456+02:00",
                "2026-01-02T01:04:05.123456Z",
            ),
            (
                "2026-01-02T03:04:05.123456789-0130",
                "2026-01-02T04:34:05.123456789Z",
            ),
            ("2026-01-02T0304", "2026-01-02T03:04:00.000Z"),
            ("2026-01-02", "2026-01-02T00:00:00.000Z"),
            ("2024-02-29T23:59:59+01", "2024-02-29T22:59:59.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(iso(input).as_deref(), Some(expected), "{input}");
        }
        for bad in [
            "2026-13-01T00:00:00Z",
            "2025-02-29",
            "2026-01-02T25:00",
            "2026-01-02T03:04:05Zjunk",
            "26-01-02",
            "",
            "2026-01-02T03:04:05.Z",
        ] {
            assert_eq!(iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn zones_apply_without_offset() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let summer = Timestamp::parse_iso8601("2026-07-01T12:00:00", &berlin).expect("parses");
        assert_eq!(summer.to_iso8601(), "2026-07-01T10:00:00.000Z");
        let winter = Timestamp::parse_iso8601("2026-01-01T12:00:00", &berlin).expect("parses");
        assert_eq!(winter.to_iso8601(), "2026-01-01T11:00:00.000Z");
        assert_eq!(Zone::parse("+05:30"), Ok(Zone::Fixed(19_800)));
        assert_eq!(Zone::parse("Local"), Ok(Zone::Local));
        assert!(Timestamp::parse_iso8601("2026-07-01T12:00:00", &Zone::Local).is_some());
        assert_eq!(
            Zone::parse("Mars/Olympus"),
            Err(ZoneError::Unknown("Mars/Olympus".into()))
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 19_000, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let far = Timestamp::new(days_from_civil(10_000, 3, 4) * 86_400 + 5, 6_000).expect("t");
        assert_eq!(far.to_iso8601(), "+10000-03-04T00:00:05.000006Z");
        let c = Timestamp::from_millis(1_767_323_045_123).civil();
        assert_eq!(
            (c.year, c.month, c.day, c.weekday, c.ordinal),
            (2026, 1, 2, 5, 2)
        );
    }
}
