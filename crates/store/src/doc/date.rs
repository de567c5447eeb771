//! Dates as the store reads and writes them: `i64` milliseconds since the Unix epoch, UTC.
//!
//! [`parse_date`] accepts what ES's default `strict_date_optional_time||epoch_millis` accepts in practice
//! (RFC 3339 with or without offset or fraction, date-only, space instead of `T`, epoch millis);
//! [`format_millis`] writes ES's `2026-11-22T04:00:00.000Z`; [`format_date`] writes a date in a `format`
//! (`epoch_millis`, ES's named ISO formats, or a Java pattern such as `yyyy-MM-dd HH:mm`) and a
//! [`DateZone`] (an offset or a tz database name, ES's `time_zone`). Nothing here panics on input.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};

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

/// A `time_zone` of ES: a fixed offset or a zone of the tz database (with its daylight saving time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateZone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl Default for DateZone {
    /// UTC, where ES reads dates without a `time_zone`.
    fn default() -> DateZone {
        DateZone::UTC
    }
}

impl DateZone {
    pub const UTC: DateZone = DateZone::Fixed(match FixedOffset::east_opt(0) {
        Some(z) => z,
        None => unreachable!(),
    });

    /// `UTC`, `Z`, `+01:00`, `-0530`, `+01`, or a tz database name (`Europe/Berlin`), as ES's `ZoneId`.
    pub fn parse(text: &str) -> Option<DateZone> {
        let t = text.trim();
        if matches!(t, "UTC" | "Z" | "GMT" | "UT" | "Etc/UTC" | "utc") {
            return Some(DateZone::UTC);
        }
        if let Some(sign) = t
            .strip_prefix(['+', '-'])
            .map(|_| if t.starts_with('-') { -1 } else { 1 })
        {
            let digits: String = t[1..].chars().filter(|c| *c != ':').collect();
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let (h, m) = digits.split_at(digits.len().min(2));
            let h: i32 = h.parse().ok()?;
            let m: i32 = if m.is_empty() { 0 } else { m.parse().ok()? };
            if h > 18 || m > 59 {
                return None;
            }
            return FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(DateZone::Fixed);
        }
        t.parse::<chrono_tz::Tz>().ok().map(DateZone::Named)
    }

    /// Whether this is UTC (no offset ever).
    pub fn is_utc(&self) -> bool {
        *self == DateZone::UTC
    }

    /// The zone's offset from UTC at the instant `ms`, in millis.
    pub fn offset_ms(&self, ms: i64) -> i64 {
        match self {
            DateZone::Fixed(o) => i64::from(o.local_minus_utc()) * 1000,
            DateZone::Named(tz) => match Utc.timestamp_millis_opt(ms).single() {
                Some(utc) => {
                    i64::from(
                        tz.offset_from_utc_datetime(&utc.naive_utc())
                            .fix()
                            .local_minus_utc(),
                    ) * 1000
                }
                None => 0,
            },
        }
    }

    /// The instant of the local time `local_ms` (millis since the epoch read as UTC): in an overlap the
    /// earlier, in a gap the instant the gap ends (as Java's `ZonedDateTime.ofLocal`).
    pub fn local_to_utc(&self, local_ms: i64) -> i64 {
        match self {
            DateZone::Fixed(o) => local_ms.saturating_sub(i64::from(o.local_minus_utc()) * 1000),
            DateZone::Named(tz) => {
                let Some(naive) = DateTime::from_timestamp_millis(local_ms).map(|d| d.naive_utc())
                else {
                    return local_ms;
                };
                match tz.from_local_datetime(&naive).earliest() {
                    Some(dt) => dt.timestamp_millis(),
                    None => {
                        // In a gap: the offset before it applies, which lands after the gap.
                        let before = self.offset_ms(local_ms.saturating_sub(86_400_000));
                        local_ms.saturating_sub(before)
                    }
                }
            }
        }
    }

    fn fixed_at(&self, ms: i64) -> FixedOffset {
        FixedOffset::east_opt((self.offset_ms(ms) / 1000) as i32).unwrap_or(Utc.fix())
    }
}

/// `ms` written in `format` (ES's `format` of dates; `None`: `strict_date_optional_time`) in `zone`. A
/// format of several (`a||b`) prints with the first; a Java pattern's letters this does not know are
/// written as they are.
pub fn format_date(ms: i64, format: Option<&str>, zone: DateZone) -> String {
    let format = format.map(|f| f.split("||").next().unwrap_or(f).trim());
    match format {
        Some("epoch_millis") => return ms.to_string(),
        Some("epoch_second") => return ms.div_euclid(1000).to_string(),
        _ => {}
    }
    let Some(utc) = Utc.timestamp_millis_opt(ms).single() else {
        // Beyond chrono's years (±262,143): ES's `Long.MAX_VALUE` / `MIN_VALUE` sort values of a missing
        // date. The ISO formats still print them, as java.time does; other patterns give the millis.
        return match format.map(pattern_of) {
            None | Some(Pattern::Iso) => iso_beyond_chrono(ms, zone.offset_ms(ms)),
            Some(Pattern::Java(_)) => ms.to_string(),
        };
    };
    let local = utc.with_timezone(&zone.fixed_at(ms));
    let iso = || {
        let mut s = local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        if zone.offset_ms(ms) == 0 {
            s.push('Z');
        } else {
            s.push_str(&local.format("%:z").to_string());
        }
        s
    };
    let pattern = match format.map(pattern_of) {
        None | Some(Pattern::Iso) => return iso(),
        Some(Pattern::Java(p)) => p,
    };
    java_pattern(&local, pattern)
}

/// `ms` (shifted by `offset_ms`) as ISO 8601 with milliseconds, for instants whose year chrono cannot hold:
/// the civil date from the day count (H. Hinnant's `civil_from_days`), the year signed and at least four
/// digits as java.time prints it (`+292278994-08-17T07:12:55.807Z` for `Long.MAX_VALUE`).
fn iso_beyond_chrono(ms: i64, offset_ms: i64) -> String {
    const DAY_MS: i128 = 86_400_000;
    let local = i128::from(ms) + i128::from(offset_ms);
    let (days, in_day) = (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    let year = if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    };
    let (h, m, sec, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let zone = if offset_ms == 0 {
        "Z".to_string()
    } else {
        let minutes = offset_ms.abs() / 60_000;
        let sign = if offset_ms < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}.{milli:03}{zone}")
}

/// What one of ES's date formats is: ISO 8601 as [`parse_date`] reads it, or a Java pattern.
enum Pattern<'a> {
    Iso,
    Java(&'a str),
}

/// The pattern of a named ES format (`strict_` or not), or the format itself as a Java pattern.
fn pattern_of(format: &str) -> Pattern<'_> {
    Pattern::Java(match format.strip_prefix("strict_").unwrap_or(format) {
        "date_optional_time" | "date_time" | "date_optional_time_nanos" => return Pattern::Iso,
        "date" | "year_month_day" => "yyyy-MM-dd",
        "date_hour_minute_second" => "yyyy-MM-dd'T'HH:mm:ss",
        "date_hour_minute" => "yyyy-MM-dd'T'HH:mm",
        "date_hour" => "yyyy-MM-dd'T'HH",
        "hour_minute" => "HH:mm",
        "hour_minute_second" => "HH:mm:ss",
        "year_month" => "yyyy-MM",
        "year" => "yyyy",
        "basic_date" => "yyyyMMdd",
        _ => format,
    })
}

/// The last millisecond that date `text` covers, given `start`, what [`parse_date`] read from it: the end
/// of the day for `2026-11-22`, of the month for `2026-11`, of the minute for `…T10:15`, of the second for
/// `…T10:15:30`; `start` itself for epoch millis and for times with a fraction. ES reads the bound of a
/// `lte` or `gt` range this way (its parser "rounds up" the fields a date leaves out).
pub fn last_millisecond_of(text: &str, start: i64) -> i64 {
    const SECOND: i64 = 1_000;
    let text = text.trim();
    let span = match text.find(['T', ' ']) {
        None => match text.bytes().filter(|&b| b == b'-').count() {
            // YYYY-MM-DD
            2 => 86_400 * SECOND,
            // YYYY-MM: to the first of the next month.
            1 => {
                let Some(date) = DateTime::from_timestamp_millis(start).map(|d| d.date_naive())
                else {
                    return start;
                };
                let Some(next) = date.checked_add_months(chrono::Months::new(1)) else {
                    return start;
                };
                next.and_time(NaiveTime::MIN).and_utc().timestamp_millis() - start
            }
            _ => return start,
        },
        Some(t) => {
            let time = &text[t + 1..];
            let clock = time.split(['Z', '+', '-']).next().unwrap_or(time);
            if clock.contains('.') {
                return start;
            }
            match clock.bytes().filter(|&b| b == b':').count() {
                1 => 60 * SECOND,
                2 => SECOND,
                _ => return start,
            }
        }
    };
    start.saturating_add(span - 1)
}

/// Whether a date string states its offset (`Z`, `+01:00`, `-0500` after the time).
pub fn states_offset(date: &str) -> bool {
    let Some(t) = date.find(['T', ' ']) else {
        return false;
    };
    let time = &date[t..];
    time.ends_with('Z') || time.contains('+') || time.contains('-')
}

/// A date read in a `format`: epoch millis, and whether the text named its instant (an offset, or epoch
/// millis or seconds); without, it is a local time read as UTC, for the caller's `time_zone` to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormattedDate {
    pub ms: i64,
    pub instant: bool,
}

/// Reads `s` in ES's date `format` (as a range query's `format` is read): `epoch_millis`, `epoch_second`,
/// the named formats, or a Java pattern (`dd/MM/yyyy`, `yyyy-MM-dd HH:mm`); `a||b` tries each in turn.
/// Components a pattern lacks are the start of their unit (month and day 1, time 00:00). `None`: `s` is
/// in none of them.
pub fn parse_date_in_format(s: &str, format: &str) -> Option<FormattedDate> {
    let s = s.trim();
    format.split("||").map(str::trim).find_map(|f| match f {
        "epoch_millis" => s
            .parse::<i64>()
            .ok()
            .map(|ms| FormattedDate { ms, instant: true }),
        "epoch_second" => {
            let secs: f64 = s.parse().ok().filter(|v: &f64| v.is_finite())?;
            let ms = secs * 1000.0;
            (ms.abs() < 9.0e18).then_some(FormattedDate {
                ms: ms as i64,
                instant: true,
            })
        }
        f => match pattern_of(f) {
            Pattern::Iso => parse_date(s).map(|ms| FormattedDate {
                ms,
                instant: states_offset(s) || s.bytes().all(|b| b.is_ascii_digit()),
            }),
            Pattern::Java(p) => parse_java_pattern(s, p),
        },
    })
}

/// `s` read in a Java `DateTimeFormatter` pattern (the letters [`java_pattern`] writes).
fn parse_java_pattern(s: &str, pattern: &str) -> Option<FormattedDate> {
    use chrono::format::{parse, Parsed, StrftimeItems};
    let spec = strftime_of(pattern)?;
    let mut parsed = Parsed::new();
    parse(&mut parsed, s, StrftimeItems::new(&spec)).ok()?;
    let date = NaiveDate::from_ymd_opt(
        parsed.year()?,
        parsed.month().unwrap_or(1),
        parsed.day().unwrap_or(1),
    )?;
    let hour = match (parsed.hour_div_12(), parsed.hour_mod_12()) {
        (Some(div), Some(rem)) => div * 12 + rem,
        (None, Some(rem)) => rem,
        _ => 0,
    };
    let time = NaiveTime::from_hms_nano_opt(
        hour,
        parsed.minute().unwrap_or(0),
        parsed.second().unwrap_or(0),
        parsed.nanosecond().unwrap_or(0),
    )?;
    let local = date.and_time(time).and_utc().timestamp_millis();
    Some(match parsed.offset() {
        Some(offset) => FormattedDate {
            ms: local.checked_sub(i64::from(offset) * 1000)?,
            instant: true,
        },
        None => FormattedDate {
            ms: local,
            instant: false,
        },
    })
}

/// The chrono `strftime` spec reading a Java pattern; `None` for letters it has no reading of.
fn strftime_of(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        i += run;
        let spec = match (c, run) {
            ('\'', 2) => "'",
            ('\'', _) => {
                let start = i - run + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&d| d == '\'')
                    .map_or(chars.len(), |p| start + p);
                for &d in &chars[start..end] {
                    match d {
                        '%' => out.push_str("%%"),
                        d => out.push(d),
                    }
                }
                i = end + 1;
                continue;
            }
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M', 1 | 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', _) => "%d",
            ('H', _) => "%H",
            ('h', _) => "%I",
            ('m', _) => "%M",
            ('s', _) => "%S",
            ('S', 1..=3) => "%3f",
            ('S', 4..=6) => "%6f",
            ('S', _) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('D', _) => "%j",
            ('X' | 'x' | 'Z', _) => "%#z",
            ('%', n) => {
                out.extend(std::iter::repeat_n("%%", n));
                continue;
            }
            (c, _) if c.is_ascii_alphabetic() => return None,
            (c, n) => {
                out.extend(std::iter::repeat_n(c, n));
                continue;
            }
        };
        out.push_str(spec);
    }
    Some(out)
}

/// `dt` written in a Java `DateTimeFormatter` pattern (the letters ES users write; `'..'` quotes).
fn java_pattern(dt: &DateTime<FixedOffset>, pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        i += run;
        let spec = match (c, run) {
            ('\'', _) => {
                // A quoted literal: up to the closing quote ('' is a quote).
                let start = i - run + 1;
                if run >= 2 {
                    out.push('\'');
                    i = start + 1;
                    continue;
                }
                let end = chars[start..]
                    .iter()
                    .position(|&d| d == '\'')
                    .map_or(chars.len(), |p| start + p);
                out.extend(&chars[start..end]);
                i = end + 1;
                continue;
            }
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', n) => {
                let nanos = dt.timestamp_subsec_nanos();
                let digits = format!("{nanos:09}");
                out.push_str(&digits[..n.min(9)]);
                continue;
            }
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('D', _) => "%j",
            ('Z', 1..=3) => "%z",
            ('X' | 'x', _) if dt.offset().local_minus_utc() == 0 && c == 'X' => "Z",
            ('X' | 'x', 1) => "%z",
            ('X' | 'x' | 'Z', _) => "%:z",
            (c, n) => {
                out.extend(std::iter::repeat_n(c, n));
                continue;
            }
        };
        let _ = write!(out, "{}", dt.format(spec));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extreme_sort_values_print_as_java_time_prints_them() {
        let iso = |ms: i64, format: Option<&str>| format_date(ms, format, DateZone::UTC);
        assert_eq!(iso(i64::MAX, None), "+292278994-08-17T07:12:55.807Z");
        assert_eq!(
            iso(i64::MAX, Some("strict_date_optional_time")),
            "+292278994-08-17T07:12:55.807Z"
        );
        assert_eq!(iso(i64::MIN, None), "-292275055-05-16T16:47:04.192Z");
        assert_eq!(iso(i64::MAX, Some("epoch_millis")), "9223372036854775807");
        assert_eq!(iso(i64::MAX, Some("yyyy-MM-dd")), "9223372036854775807");
        // The same arithmetic agrees with chrono where both work.
        for ms in [
            0,
            -1,
            1_795_314_000_123,
            -62_135_596_800_000,
            253_402_300_799_999,
        ] {
            assert_eq!(iso_beyond_chrono(ms, 0), iso(ms, None), "{ms}");
        }
        assert_eq!(
            iso_beyond_chrono(1_795_314_000_123, 3_600_000),
            "2026-11-22T03:20:00.123+01:00"
        );
    }

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

    /// ES's `format` and `time_zone` of dates (`key_as_string`, `docvalue_fields`).
    #[test]
    fn formats_in_zones_and_patterns() {
        let berlin = DateZone::parse("Europe/Berlin").unwrap_or(DateZone::UTC);
        // 2026-07-01T10:00:00Z: summer time (+02:00); 2026-01-01T10:00:00Z: winter (+01:00).
        let summer = 1_782_900_000_000;
        let winter = 1_767_261_600_000;
        let cases: &[(i64, Option<&str>, DateZone, &str)] = &[
            (summer, None, DateZone::UTC, "2026-07-01T10:00:00.000Z"),
            (summer, None, berlin, "2026-07-01T12:00:00.000+02:00"),
            (winter, None, berlin, "2026-01-01T11:00:00.000+01:00"),
            (summer, Some("epoch_millis"), berlin, "1782900000000"),
            (summer, Some("epoch_second"), berlin, "1782900000"),
            (summer, Some("yyyy-MM-dd"), berlin, "2026-07-01"),
            (
                summer,
                Some("yyyy-MM-dd HH:mm:ss.SSS||epoch_millis"),
                DateZone::UTC,
                "2026-07-01 10:00:00.000",
            ),
            (
                summer,
                Some("strict_date_optional_time"),
                DateZone::UTC,
                "2026-07-01T10:00:00.000Z",
            ),
            (summer, Some("dd/MMM/yyyy'T'HH"), berlin, "01/Jul/2026T12"),
            (
                summer,
                None,
                DateZone::parse("+05:30").unwrap_or(DateZone::UTC),
                "2026-07-01T15:30:00.000+05:30",
            ),
        ];
        for (ms, format, zone, expected) in cases {
            assert_eq!(
                &format_date(*ms, *format, *zone),
                expected,
                "{format:?} {zone:?}"
            );
        }
    }

    /// A range query's `format`: ES's named formats, epoch units and Java patterns, with `||`.
    #[test]
    fn parses_in_formats() {
        let at = |s: &str, f: &str| parse_date_in_format(s, f).map(|d| (d.ms, d.instant));
        // 2026-11-22T00:00:00Z
        let day = 1_795_305_600_000;
        assert_eq!(at("22/11/2026", "dd/MM/yyyy"), Some((day, false)));
        assert_eq!(
            at("2026", "dd/MM/yyyy||yyyy"),
            Some((1_767_225_600_000, false))
        );
        assert_eq!(at("2026-11", "yyyy-MM"), Some((1_793_491_200_000, false)));
        assert_eq!(
            at("22.11.2026 01:30", "dd.MM.yyyy HH:mm"),
            Some((day + 5_400_000, false))
        );
        assert_eq!(
            at("2026-11-22T01:00:00+01:00", "yyyy-MM-dd'T'HH:mm:ssXXX"),
            Some((day, true))
        );
        assert_eq!(at("1795305600", "epoch_second"), Some((day, true)));
        assert_eq!(at("1795305600000", "epoch_millis"), Some((day, true)));
        assert_eq!(
            at("2026-11-22", "strict_date_optional_time"),
            Some((day, false))
        );
        assert_eq!(
            at("2026-11-22T00:00:00Z", "date_optional_time"),
            Some((day, true))
        );
        assert_eq!(at("2026-11-22", "yyyy-MM-dd"), Some((day, false)));
        assert_eq!(at("2026-11-22", "dd/MM/yyyy"), None);
        assert_eq!(at("22/11/2026", "qq/MM/yyyy"), None);
        assert_eq!(at("x", "epoch_second"), None);
    }

    #[test]
    fn zones() {
        assert_eq!(DateZone::parse("Z"), Some(DateZone::UTC));
        assert!(DateZone::parse("+00:00").is_some_and(|z| z.is_utc()));
        assert_eq!(DateZone::parse("Mars/Olympus"), None);
        assert_eq!(DateZone::parse("+25:00"), None);
        let berlin = DateZone::parse("Europe/Berlin").unwrap_or(DateZone::UTC);
        // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00): 03:30 CEST = 01:30Z.
        let gap_local = 1_774_751_400_000; // 2026-03-29T02:30:00 read as UTC
        assert_eq!(berlin.local_to_utc(gap_local), 1_774_747_800_000);
        // 2026-10-25 02:30 happens twice: the earlier is CEST (00:30Z).
        let overlap_local = 1_792_895_400_000; // 2026-10-25T02:30:00 read as UTC
        assert_eq!(berlin.local_to_utc(overlap_local), 1_792_888_200_000);
    }
}
