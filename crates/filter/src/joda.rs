//! Joda-Time date patterns (`dd/MMM/yyyy:HH:mm:ss Z`), the one definition used to read dates (the `date`
//! filter) and to write them (sprintf's `%{+YYYY.MM.dd}` and `%{{…}}`).
//!
//! Letters: `y`/`Y`/`u` year (`yy` two digits, pivot 2000: 50–99 → 19xx), `x` week-year, `w` week of
//! week-year, `M` month (`M`/`MM` number, `MMM` short name, `MMMM` full name), `d` day of month, `D` day of
//! year, `E` day-of-week name, `e` day-of-week number, `a` AM/PM, `H` hour 0–23, `k` 1–24, `h` 1–12, `K`
//! 0–11, `m` minute, `s` second, `S` fraction of second, `Z` offset `+0100`, `ZZ` `+01:00`, `ZZZ` zone id,
//! `z` zone abbreviation (`UTC`, `GMT`, `EST`, `CEST`, …). `'text'` is literal, `''` a quote; other
//! non-letters are literal. Reading a number takes exactly as many digits as letters when the next item is
//! also a number (`yyyyMMdd`), otherwise as many as it finds up to the field's width. Reading must consume
//! the whole text. A pattern without a year takes the current year, the previous one when that puts a
//! December date in January, the next one for a January date read in December (as Logstash does).

use crate::timestamp::{days_from_civil, local_seconds, push_digits, Timestamp, Zone};

/// A date pattern or locale that cannot be used; names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JodaError {
    #[error("locale `{0}` is not supported (month names exist for en, de, fr, es)")]
    UnknownLocale(String),
    #[error("`{0}` has an unclosed quote")]
    UnclosedQuote(String),
    #[error(
        "`{pattern}`: the date letter `{letter}` is not supported (use y M d H m s S Z and the others Joda defines)"
    )]
    UnknownLetter { pattern: String, letter: char },
    #[error("the date pattern is empty")]
    Empty,
}

/// A compiled Joda pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JodaPattern {
    source: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { kind: Kind, count: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Year,
    WeekYear,
    Week,
    Month,
    Day,
    DayOfYear,
    DayName,
    DayNumber,
    HalfDay,
    Hour24,
    Hour1To24,
    Hour1To12,
    Hour0To11,
    Minute,
    Second,
    Fraction,
    Offset,
    ZoneAbbreviation,
}

impl Kind {
    fn from_letter(letter: char) -> Option<Kind> {
        Some(match letter {
            'y' | 'Y' | 'u' => Kind::Year,
            'x' => Kind::WeekYear,
            'w' => Kind::Week,
            'M' => Kind::Month,
            'd' => Kind::Day,
            'D' => Kind::DayOfYear,
            'E' => Kind::DayName,
            'e' => Kind::DayNumber,
            'a' => Kind::HalfDay,
            'H' => Kind::Hour24,
            'k' => Kind::Hour1To24,
            'h' => Kind::Hour1To12,
            'K' => Kind::Hour0To11,
            'm' => Kind::Minute,
            's' => Kind::Second,
            'S' => Kind::Fraction,
            'Z' => Kind::Offset,
            'z' => Kind::ZoneAbbreviation,
            _ => return None,
        })
    }

    /// Whether the item reads as digits.
    fn numeric(self, count: usize) -> bool {
        match self {
            Kind::Month => count <= 2,
            Kind::DayName | Kind::HalfDay | Kind::Offset | Kind::ZoneAbbreviation => false,
            _ => true,
        }
    }

    /// Most digits read when the width is not fixed by a following number.
    fn max_digits(self) -> usize {
        match self {
            Kind::Year | Kind::WeekYear => 9,
            Kind::DayOfYear => 3,
            Kind::DayNumber => 1,
            Kind::Fraction => 9,
            _ => 2,
        }
    }
}

/// Month and day names of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    months: [&'static str; 12],
    months_short: [&'static str; 12],
    days: [&'static str; 7],
    days_short: [&'static str; 7],
}

impl Locale {
    pub const ENGLISH: Locale = Locale {
        months: [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        months_short: [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
        days: [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        days_short: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    };
    pub const GERMAN: Locale = Locale {
        months: [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        months_short: [
            "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
        ],
        days: [
            "Montag",
            "Dienstag",
            "Mittwoch",
            "Donnerstag",
            "Freitag",
            "Samstag",
            "Sonntag",
        ],
        days_short: ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"],
    };
    pub const FRENCH: Locale = Locale {
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        months_short: [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ],
        days: [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
        days_short: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    };
    pub const SPANISH: Locale = Locale {
        months: [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        months_short: [
            "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
        ],
        days: [
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ],
        days_short: ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
    };

    /// A locale by its language tag (`en`, `en-US`, `en_GB`, `de`, `fr`, `es`).
    pub fn parse(tag: &str) -> Result<Locale, JodaError> {
        let language = tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match language.as_str() {
            "en" => Ok(Locale::ENGLISH),
            "de" => Ok(Locale::GERMAN),
            "fr" => Ok(Locale::FRENCH),
            "es" => Ok(Locale::SPANISH),
            _ => Err(JodaError::UnknownLocale(tag.to_string())),
        }
    }
}

impl Default for Locale {
    fn default() -> Locale {
        Locale::ENGLISH
    }
}

/// What reading a text found, before it becomes an instant.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    week_year: Option<i64>,
    week: Option<u32>,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<u32>,
    weekday: Option<u32>,
    hour: u32,
    half_day_pm: Option<bool>,
    twelve_hour: bool,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: Option<i32>,
    zone: Option<Zone>,
}

impl JodaPattern {
    /// Compiles a pattern; the error names the letter that cannot be used.
    pub fn compile(pattern: &str) -> Result<JodaPattern, JodaError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items: Vec<Item> = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let close = chars[i + 1..]
                    .iter()
                    .position(|&q| q == '\'')
                    .ok_or_else(|| JodaError::UnclosedQuote(pattern.to_string()))?;
                literal.extend(&chars[i + 1..i + 1 + close]);
                i += close + 2;
                continue;
            }
            if c.is_ascii_alphabetic() {
                let count = chars[i..].iter().take_while(|&&r| r == c).count();
                let kind = Kind::from_letter(c).ok_or_else(|| JodaError::UnknownLetter {
                    pattern: pattern.to_string(),
                    letter: c,
                })?;
                if !literal.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut literal)));
                }
                items.push(Item::Field { kind, count });
                i += count;
                continue;
            }
            literal.push(c);
            i += 1;
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        if items.is_empty() {
            return Err(JodaError::Empty);
        }
        Ok(JodaPattern {
            source: pattern.to_string(),
            items,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern reads a year (when not, reading needs the current time).
    pub fn has_year(&self) -> bool {
        self.items.iter().any(|item| {
            matches!(
                item,
                Item::Field {
                    kind: Kind::Year | Kind::WeekYear,
                    ..
                }
            )
        })
    }

    /// Writes `time` (in UTC) in this pattern.
    pub fn format(&self, time: Timestamp, out: &mut String) {
        let c = time.civil();
        for item in &self.items {
            let (kind, count) = match item {
                Item::Literal(text) => {
                    out.push_str(text);
                    continue;
                }
                Item::Field { kind, count } => (*kind, *count),
            };
            match kind {
                Kind::Year => push_year(out, c.year, count),
                Kind::WeekYear => push_year(out, iso_week(c.year, c.ordinal, c.weekday).0, count),
                Kind::Week => push_digits(out, iso_week(c.year, c.ordinal, c.weekday).1, count),
                Kind::Month if count >= 4 => {
                    out.push_str(Locale::ENGLISH.months[c.month as usize - 1])
                }
                Kind::Month if count == 3 => {
                    out.push_str(Locale::ENGLISH.months_short[c.month as usize - 1])
                }
                Kind::Month => push_digits(out, c.month, count),
                Kind::Day => push_digits(out, c.day, count),
                Kind::DayOfYear => push_digits(out, c.ordinal, count),
                Kind::DayName if count >= 4 => {
                    out.push_str(Locale::ENGLISH.days[c.weekday as usize - 1])
                }
                Kind::DayName => out.push_str(Locale::ENGLISH.days_short[c.weekday as usize - 1]),
                Kind::DayNumber => push_digits(out, c.weekday, count),
                Kind::HalfDay => out.push_str(if c.hour < 12 { "AM" } else { "PM" }),
                Kind::Hour24 => push_digits(out, c.hour, count),
                Kind::Hour1To24 => push_digits(out, if c.hour == 0 { 24 } else { c.hour }, count),
                Kind::Hour1To12 => push_digits(out, (c.hour + 11) % 12 + 1, count),
                Kind::Hour0To11 => push_digits(out, c.hour % 12, count),
                Kind::Minute => push_digits(out, c.minute, count),
                Kind::Second => push_digits(out, c.second, count),
                Kind::Fraction => {
                    let mut digits = String::with_capacity(9);
                    push_digits(&mut digits, c.nanos, 9);
                    out.push_str(&digits[..count.min(9)]);
                    for _ in 9..count {
                        out.push('0');
                    }
                }
                Kind::Offset => out.push_str(match count {
                    1 => "+0000",
                    2 => "+00:00",
                    _ => "UTC",
                }),
                Kind::ZoneAbbreviation => out.push_str("UTC"),
            }
        }
    }

    /// Reads `text`; `zone` applies when the text carries no offset or zone, `now` supplies a missing year.
    pub fn parse(
        &self,
        text: &str,
        zone: &Zone,
        locale: &Locale,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let mut parsed = Parsed::default();
        let mut rest = text;
        for (index, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(literal) => {
                    rest = rest.strip_prefix(literal.as_str())?;
                }
                Item::Field { kind, count } => {
                    let next_numeric = matches!(
                        self.items.get(index + 1),
                        Some(Item::Field { kind, count }) if kind.numeric(*count)
                    );
                    rest = read_field(*kind, *count, next_numeric, rest, locale, &mut parsed)?;
                }
            }
        }
        if !rest.is_empty() {
            return None;
        }
        resolve(parsed, zone, now)
    }
}

fn push_year(out: &mut String, year: i64, count: usize) {
    if count == 2 {
        push_digits(out, year.rem_euclid(100) as u32, 2);
    } else if year >= 0 {
        push_digits(out, year as u32, count.max(digit_count(year as u64)));
    } else {
        out.push('-');
        push_digits(out, year.unsigned_abs() as u32, count);
    }
}

fn digit_count(mut value: u64) -> usize {
    let mut digits = 1;
    while value >= 10 {
        value /= 10;
        digits += 1;
    }
    digits
}

/// ISO week-year and week of a date.
fn iso_week(year: i64, ordinal: u32, weekday: u32) -> (i64, u32) {
    let week = (ordinal as i64 - weekday as i64 + 10) / 7;
    if week < 1 {
        let previous = year - 1;
        (previous, weeks_in_year(previous))
    } else if week > i64::from(weeks_in_year(year)) {
        (year + 1, 1)
    } else {
        (year, week as u32)
    }
}

fn weeks_in_year(year: i64) -> u32 {
    // A year has 53 ISO weeks when it starts on a Thursday, or on a Wednesday in a leap year.
    let jan1 = (days_from_civil(year, 1, 1) + 3).rem_euclid(7) + 1;
    let leap = crate::timestamp::is_leap(year);
    if jan1 == 4 || (jan1 == 3 && leap) {
        53
    } else {
        52
    }
}

/// Reads one field from the start of `text`; returns the rest.
fn read_field<'a>(
    kind: Kind,
    count: usize,
    next_numeric: bool,
    text: &'a str,
    locale: &Locale,
    parsed: &mut Parsed,
) -> Option<&'a str> {
    if kind.numeric(count) {
        let (min, max) = if next_numeric {
            (count, count)
        } else {
            (1, kind.max_digits().max(count))
        };
        let negative = matches!(kind, Kind::Year | Kind::WeekYear) && text.starts_with('-');
        let body = if negative { &text[1..] } else { text };
        let len = body
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if len < min {
            return None;
        }
        let digits = &body[..len];
        let rest = &body[len..];
        if kind == Kind::Fraction {
            let mut nanos = 0u32;
            let mut scale = 1_000_000_000u32;
            for d in digits.bytes() {
                scale /= 10;
                nanos += u32::from(d - b'0') * scale;
            }
            parsed.nanos = nanos;
            return Some(rest);
        }
        let value: i64 = digits.parse().ok()?;
        let value = if negative { -value } else { value };
        let small = u32::try_from(value).ok();
        match kind {
            Kind::Year if count == 2 && len == 2 => {
                parsed.year = Some(if value >= 50 {
                    1900 + value
                } else {
                    2000 + value
                })
            }
            Kind::Year => parsed.year = Some(value),
            Kind::WeekYear => parsed.week_year = Some(value),
            Kind::Week => parsed.week = small,
            Kind::Month => parsed.month = small,
            Kind::Day => parsed.day = small,
            Kind::DayOfYear => parsed.day_of_year = small,
            Kind::DayNumber => parsed.weekday = small,
            Kind::Hour24 => parsed.hour = small?,
            Kind::Hour1To24 => parsed.hour = small? % 24,
            Kind::Hour1To12 => {
                parsed.hour = small?.checked_sub(1).filter(|h| *h < 12)? + 1;
                parsed.hour %= 12;
                parsed.twelve_hour = true;
            }
            Kind::Hour0To11 => {
                parsed.hour = small?;
                parsed.twelve_hour = true;
            }
            Kind::Minute => parsed.minute = small?,
            Kind::Second => parsed.second = small?,
            _ => return None,
        }
        return Some(rest);
    }
    match kind {
        Kind::Month => {
            let (index, rest) = match_name(text, &locale.months, &locale.months_short)?;
            parsed.month = Some(index as u32 + 1);
            Some(rest)
        }
        Kind::DayName => {
            let (index, rest) = match_name(text, &locale.days, &locale.days_short)?;
            parsed.weekday = Some(index as u32 + 1);
            Some(rest)
        }
        Kind::HalfDay => {
            let head = text.get(..2)?;
            let pm = if head.eq_ignore_ascii_case("pm") {
                true
            } else if head.eq_ignore_ascii_case("am") {
                false
            } else {
                return None;
            };
            parsed.half_day_pm = Some(pm);
            Some(&text[2..])
        }
        Kind::Offset if count >= 3 => {
            let len = text
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-'))
                .count();
            parsed.zone = Some(Zone::parse(&text[..len]).ok()?);
            Some(&text[len..])
        }
        Kind::Offset => {
            if let Some(rest) = text.strip_prefix('Z') {
                parsed.offset = Some(0);
                return Some(rest);
            }
            let sign = match text.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let b = text.as_bytes();
            let two = |at: usize| -> Option<i32> {
                let d = b.get(at..at + 2)?;
                d.iter()
                    .all(u8::is_ascii_digit)
                    .then(|| i32::from(d[0] - b'0') * 10 + i32::from(d[1] - b'0'))
            };
            let hours = two(1)?;
            let (minutes, used) = if b.get(3) == Some(&b':') {
                (two(4)?, 6)
            } else if let Some(m) = two(3) {
                (m, 5)
            } else {
                (0, 3)
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            parsed.offset = Some(sign * (hours * 3600 + minutes * 60));
            Some(&text[used..])
        }
        Kind::ZoneAbbreviation => {
            let len = text.bytes().take_while(u8::is_ascii_alphabetic).count();
            let offset_hours = match &text[..len] {
                "UTC" | "GMT" | "UT" | "Z" => 0,
                "EST" => -5,
                "EDT" => -4,
                "CST" => -6,
                "CDT" => -5,
                "MST" => -7,
                "MDT" => -6,
                "PST" => -8,
                "PDT" => -7,
                "CET" => 1,
                "CEST" => 2,
                "EET" => 2,
                "EEST" => 3,
                "WET" => 0,
                "WEST" => 1,
                _ => return None,
            };
            parsed.offset = Some(offset_hours * 3600);
            Some(&text[len..])
        }
        _ => None,
    }
}

/// The index of the longest name (full or short, any case) `text` starts with.
fn match_name<'a>(text: &'a str, full: &[&str], short: &[&str]) -> Option<(usize, &'a str)> {
    let mut best: Option<(usize, usize)> = None;
    for names in [full, short] {
        for (index, name) in names.iter().enumerate() {
            let Some(head) = text.get(..name.len()) else {
                continue;
            };
            if same_ignoring_case(head, name) && best.is_none_or(|(_, len)| name.len() > len) {
                best = Some((index, name.len()));
            }
        }
    }
    best.map(|(index, len)| (index, &text[len..]))
}

/// Whether `a` and `b` are the same text but for case, without allocating (ASCII names compare byte by
/// byte; others, such as `März` or `février`, character by character in lower case).
fn same_ignoring_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn resolve(parsed: Parsed, zone: &Zone, now: Timestamp) -> Option<Timestamp> {
    let mut hour = parsed.hour;
    if let Some(pm) = parsed.half_day_pm {
        if hour >= 12 && parsed.twelve_hour {
            return None;
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    let (year, month, day) = if let (Some(week_year), Some(week), None) =
        (parsed.week_year, parsed.week, parsed.month)
    {
        // Monday of ISO week 1 is the Monday of the week holding January 4th.
        let jan4 = days_from_civil(week_year, 1, 4);
        let monday1 = jan4 - (jan4 + 3).rem_euclid(7);
        let days = monday1
            + i64::from(week.checked_sub(1)?) * 7
            + i64::from(parsed.weekday.unwrap_or(1).checked_sub(1)?);
        crate::timestamp::civil_from_days(days)
    } else {
        let today = now.civil();
        let year = match parsed.year {
            Some(year) => year,
            None => {
                let month = parsed.month.unwrap_or(1);
                if month == 12 && today.month == 1 {
                    today.year - 1
                } else if month == 1 && today.month == 12 {
                    today.year + 1
                } else {
                    today.year
                }
            }
        };
        match (parsed.day_of_year, parsed.month) {
            (Some(ordinal), None) => {
                let days = days_from_civil(year, 1, 1) + i64::from(ordinal.checked_sub(1)?);
                let (y, m, d) = crate::timestamp::civil_from_days(days);
                if y != year {
                    return None;
                }
                (y, m, d)
            }
            _ => (year, parsed.month.unwrap_or(1), parsed.day.unwrap_or(1)),
        }
    };
    let local = local_seconds(year, month, day, hour, parsed.minute, parsed.second.min(59))?
        + i64::from(parsed.second == 60);
    let offset = match (parsed.offset, parsed.zone) {
        (Some(offset), _) => offset,
        (None, Some(named)) => named.offset_at_local(local)?,
        (None, None) => zone.offset_at_local(local)?,
    };
    Timestamp::new(local - i64::from(offset), parsed.nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_iso8601("2026-06-15T12:00:00Z", &Zone::UTC).expect("now")
    }

    fn read(pattern: &str, text: &str) -> Option<String> {
        JodaPattern::compile(pattern)
            .expect("pattern compiles")
            .parse(text, &Zone::UTC, &Locale::ENGLISH, now())
            .map(|t| t.to_iso8601())
    }

    #[test]
    fn reads_common_log_formats() {
        let cases = [
            (
                "dd/MMM/yyyy:HH:mm:ss Z",
                "10/Oct/2026:13:55:36 +0200",
                "2026-10-10T11:55:36.000Z",
            ),
            (
                "dd/MMM/yyyy:HH:mm:ss Z",
                "10/oct/2026:13:55:36 -0700",
                "2026-10-10T20:55:36.000Z",
            ),
            ("MMM dd HH:mm:ss", "Mar  3 04:05:06", "none"),
            (
                "MMM  d HH:mm:ss",
                "Mar  3 04:05:06",
                "2026-03-03T04:05:06.000Z",
            ),
            (
                "MMM dd HH:mm:ss",
                "Mar 13 04:05:06",
                "2026-03-13T04:05:06.000Z",
            ),
            (
                "yyyy-MM-dd HH:mm:ss,SSS",
                "2026-01-02 03:04:05,678",
                "2026-01-02T03:04:05.678Z",
            ),
            (
                "yyyyMMddHHmmss",
                "20260102030405",
                "2026-01-02T03:04:05.000Z",
            ),
            (
                "EEE MMM dd HH:mm:ss yyyy",
                "Fri Jan 02 03:04:05 2026",
                "2026-01-02T03:04:05.000Z",
            ),
            (
                "MMMM d, yyyy h:mm:ss a",
                "January 2, 2026 3:04:05 PM",
                "2026-01-02T15:04:05.000Z",
            ),
            (
                "MMMM d, yyyy h:mm:ss a",
                "January 2, 2026 12:04:05 AM",
                "2026-01-02T00:04:05.000Z",
            ),
            ("yy-MM-dd", "99-12-31", "1999-12-31T00:00:00.000Z"),
            (
                "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ",
                "2026-01-02T03:04:05.123456+01:00",
                "2026-01-02T02:04:05.123456Z",
            ),
            (
                "yyyy-MM-dd HH:mm:ss ZZZ",
                "2026-07-01 12:00:00 Europe/Berlin",
                "2026-07-01T10:00:00.000Z",
            ),
            (
                "yyyy-MM-dd HH:mm:ss z",
                "2026-07-01 12:00:00 PDT",
                "2026-07-01T19:00:00.000Z",
            ),
            ("xxxx-'W'ww-e", "2026-W01-1", "2025-12-29T00:00:00.000Z"),
            ("yyyy.DDD", "2026.032", "2026-02-01T00:00:00.000Z"),
        ];
        for (pattern, text, expected) in cases {
            let got = read(pattern, text).unwrap_or_else(|| "none".into());
            assert_eq!(got, expected, "{pattern} on {text}");
        }
    }

    #[test]
    fn rejects_what_does_not_fit() {
        assert_eq!(read("dd/MMM/yyyy", "10/Foo/2026"), None);
        assert_eq!(read("yyyy-MM-dd", "2026-02-30"), None);
        assert_eq!(read("yyyy-MM-dd", "2026-01-02 trailing"), None);
        assert_eq!(read("HH:mm", "25:00"), None);
        assert_eq!(
            JodaPattern::compile("yyyy-QQ").err(),
            Some(JodaError::UnknownLetter {
                pattern: "yyyy-QQ".into(),
                letter: 'Q'
            })
        );
        assert_eq!(
            JodaPattern::compile("yyyy-'x").err(),
            Some(JodaError::UnclosedQuote("yyyy-'x".into()))
        );
    }

    #[test]
    fn year_is_guessed_around_new_year() {
        let pattern = JodaPattern::compile("MMM dd HH:mm:ss").expect("compiles");
        let january = Timestamp::parse_iso8601("2027-01-01T00:10:00Z", &Zone::UTC).expect("t");
        let late = pattern
            .parse("Dec 31 23:59:00", &Zone::UTC, &Locale::ENGLISH, january)
            .expect("parses");
        assert_eq!(late.to_iso8601(), "2026-12-31T23:59:00.000Z");
    }

    #[test]
    fn locales_read_their_month_names() {
        let pattern = JodaPattern::compile("dd. MMMM yyyy").expect("compiles");
        let german = Locale::parse("de_DE").expect("locale");
        let t = pattern
            .parse("03. März 2026", &Zone::UTC, &german, now())
            .expect("parses");
        assert_eq!(t.to_iso8601(), "2026-03-03T00:00:00.000Z");
        assert!(Locale::parse("xx").is_err());
    }

    #[test]
    fn formats_like_index_names() {
        let t = Timestamp::parse_iso8601("2026-01-02T21:30:00.123Z", &Zone::UTC).expect("t");
        let cases = [
            ("YYYY.MM.dd", "2026.01.02"),
            ("yyyy.MM.dd'h'HH.mm.ss.SSS", "2026.01.02h21.30.00.123"),
            ("xxxx.ww", "2026.01"),
            ("yy-M-d", "26-1-2"),
            (
                "EEE, dd MMM yyyy hh:mm a Z",
                "Fri, 02 Jan 2026 09:30 PM +0000",
            ),
            ("D", "2"),
        ];
        for (pattern, expected) in cases {
            let mut out = String::new();
            JodaPattern::compile(pattern)
                .expect("compiles")
                .format(t, &mut out);
            assert_eq!(out, expected, "{pattern}");
        }
        let new_year = Timestamp::parse_iso8601("2027-01-01T00:00:00Z", &Zone::UTC).expect("t");
        let mut out = String::new();
        JodaPattern::compile("xxxx.ww")
            .expect("compiles")
            .format(new_year, &mut out);
        assert_eq!(out, "2026.53");
    }
}
