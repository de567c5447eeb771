//! Elasticsearch date math: `now`, `anchor||`, `+1h`/`-15m` arithmetic and `/d` rounding over the dates
//! of [`crate::doc::date`], where rounding goes down, or up to the last millisecond of the unit when
//! `round_up` (ES does this for `gt` and `lte`). Nothing here panics on input.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::doc::date::{
    last_millisecond_of, parse_date, parse_date_in_format, states_offset, DateZone,
};

/// Why a date-math expression has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateMathError {
    /// The expression (or its anchor) is not a date.
    #[error("failed to parse date field [{expr}]")]
    Date { expr: String },
    /// The anchor is outside the dates this store represents.
    #[error("date out of range [{expr}]")]
    OutOfRange { expr: String },
    /// The expression's date is not in the `format` it is to be read in.
    #[error("failed to parse date field [{expr}] with format [{format}]")]
    Format { expr: String, format: String },
    /// The arithmetic or rounding after the anchor is malformed or overflows.
    #[error("failed to parse date math [{expr}]")]
    Math { expr: String },
}

/// [`parse_date_math_in`] with the anchor read in `format` (a range query's `format`, see
/// [`parse_date_in_format`]); `now` and the arithmetic after `||` are as without one. An anchor the
/// format does not read is an error, as in ES.
pub fn parse_date_math_as(
    expr: &str,
    now_ms: i64,
    round_up: bool,
    zone: DateZone,
    format: Option<&str>,
) -> Result<i64, DateMathError> {
    let Some(format) = format else {
        return parse_date_math_in(expr, now_ms, round_up, zone);
    };
    let expr = expr.trim();
    if expr.starts_with("now") {
        return parse_date_math_in(expr, now_ms, round_up, zone);
    }
    let (anchor, ops) = match expr.find("||") {
        Some(pos) => (&expr[..pos], Some(&expr[pos + 2..])),
        None => (expr, None),
    };
    let date = parse_date_in_format(anchor, format).ok_or_else(|| DateMathError::Format {
        expr: expr.to_string(),
        format: format.to_string(),
    })?;
    let instant = if date.instant {
        date.ms
    } else {
        zone.local_to_utc(date.ms)
    };
    // Epoch millis name an instant: the zone applies to the arithmetic only.
    let rewritten = match ops {
        Some(ops) => format!("{instant}||{ops}"),
        None => instant.to_string(),
    };
    parse_date_math_in(&rewritten, now_ms, round_up, zone).map_err(|e| match e {
        DateMathError::Math { .. } => DateMathError::Math {
            expr: expr.to_string(),
        },
        other => other,
    })
}

/// Evaluates an ES date-math expression (`now-15m`, `now/d`, `2026-11-22||+1d/d`, a plain date, millis).
pub fn parse_date_math(expr: &str, now_ms: i64, round_up: bool) -> Result<i64, DateMathError> {
    let expr = expr.trim();
    let (anchor, ops) = if let Some(rest) = expr.strip_prefix("now") {
        (now_ms, rest)
    } else if let Some(pos) = expr.find("||") {
        let anchor = parse_date(&expr[..pos]).ok_or_else(|| DateMathError::Date {
            expr: expr.to_string(),
        })?;
        (anchor, &expr[pos + 2..])
    } else {
        let start = parse_date(expr).ok_or_else(|| DateMathError::Date {
            expr: expr.to_string(),
        })?;
        // A date without `||` is read to its last millisecond when rounding up; an anchor before `||`
        // is not (as ES's JavaDateMathParser does).
        return Ok(if round_up {
            last_millisecond_of(expr, start)
        } else {
            start
        });
    };
    let mut dt =
        Utc.timestamp_millis_opt(anchor)
            .single()
            .ok_or_else(|| DateMathError::OutOfRange {
                expr: expr.to_string(),
            })?;
    let bytes = ops.as_bytes();
    let mut i = 0;
    let bad = || DateMathError::Math {
        expr: expr.to_string(),
    };
    while i < bytes.len() {
        let op = bytes[i];
        i += 1;
        match op {
            b'+' | b'-' => {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if start == i {
                    1
                } else {
                    ops[start..i].parse().map_err(|_| bad())?
                };
                let unit = *bytes.get(i).ok_or_else(bad)?;
                i += 1;
                let n = if op == b'-' { -n } else { n };
                dt = add_unit(dt, n, unit).ok_or_else(bad)?;
            }
            b'/' => {
                let unit = *bytes.get(i).ok_or_else(bad)?;
                i += 1;
                let start = truncate(dt, unit).ok_or_else(bad)?;
                dt = if round_up {
                    add_unit(start, 1, unit).ok_or_else(bad)? - Duration::milliseconds(1)
                } else {
                    start
                };
            }
            _ => return Err(bad()),
        }
    }
    Ok(dt.timestamp_millis())
}

/// [`parse_date_math`] in a `time_zone` (as ES's range query and `date_range` aggregation take it): a date
/// without an offset is a local time of `zone`, and arithmetic and rounding happen on local time; a date
/// with an offset, and epoch millis, keep their instant.
pub fn parse_date_math_in(
    expr: &str,
    now_ms: i64,
    round_up: bool,
    zone: DateZone,
) -> Result<i64, DateMathError> {
    if zone.is_utc() {
        return parse_date_math(expr, now_ms, round_up);
    }
    let expr = expr.trim();
    let (anchor, ops) = match expr.strip_prefix("now") {
        Some(rest) => ("now", rest),
        None => match expr.find("||") {
            Some(pos) => (&expr[..pos], &expr[pos + 2..]),
            None => (expr, ""),
        },
    };
    let date_err = || DateMathError::Date {
        expr: expr.to_string(),
    };
    let read = |anchor: &str| {
        let start = parse_date(anchor).ok_or_else(date_err)?;
        Ok::<i64, DateMathError>(if round_up && ops.is_empty() {
            last_millisecond_of(anchor, start)
        } else {
            start
        })
    };
    let instant = if anchor == "now" {
        now_ms
    } else if parse_date(anchor).is_some() && states_offset(anchor) {
        read(anchor)?
    } else if anchor
        .strip_prefix('-')
        .unwrap_or(anchor)
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        // Epoch millis name an instant.
        parse_date(anchor).ok_or_else(date_err)?
    } else {
        zone.local_to_utc(read(anchor)?)
    };
    if ops.is_empty() {
        return Ok(instant);
    }
    let local = instant.saturating_add(zone.offset_ms(instant));
    let local =
        parse_date_math(&format!("{local}||{ops}"), now_ms, round_up).map_err(|e| match e {
            DateMathError::Math { .. } => DateMathError::Math {
                expr: expr.to_string(),
            },
            other => other,
        })?;
    Ok(zone.local_to_utc(local))
}

fn add_unit(dt: DateTime<Utc>, n: i64, unit: u8) -> Option<DateTime<Utc>> {
    let months = |m: i64| -> Option<DateTime<Utc>> {
        let abs = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m >= 0 {
            dt.checked_add_months(abs)
        } else {
            dt.checked_sub_months(abs)
        }
    };
    match unit {
        b'y' => months(n.checked_mul(12)?),
        b'M' => months(n),
        b'w' => dt.checked_add_signed(Duration::try_weeks(n)?),
        b'd' => dt.checked_add_signed(Duration::try_days(n)?),
        b'h' | b'H' => dt.checked_add_signed(Duration::try_hours(n)?),
        b'm' => dt.checked_add_signed(Duration::try_minutes(n)?),
        b's' => dt.checked_add_signed(Duration::try_seconds(n)?),
        _ => None,
    }
}

fn truncate(dt: DateTime<Utc>, unit: u8) -> Option<DateTime<Utc>> {
    let d = dt.date_naive();
    let day = |date: NaiveDate| Some(date.and_time(NaiveTime::MIN).and_utc());
    match unit {
        b'y' => day(NaiveDate::from_ymd_opt(d.year(), 1, 1)?),
        b'M' => day(NaiveDate::from_ymd_opt(d.year(), d.month(), 1)?),
        b'w' => day(d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))?),
        b'd' => day(d),
        b'h' | b'H' => Utc
            .timestamp_opt(dt.timestamp() - dt.timestamp().rem_euclid(3600), 0)
            .single(),
        b'm' => Utc
            .timestamp_opt(dt.timestamp() - dt.timestamp().rem_euclid(60), 0)
            .single(),
        b's' => Utc.timestamp_opt(dt.timestamp(), 0).single(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_math() {
        let now = parse_date("2026-11-22T04:51:21.123Z").unwrap_or_default();
        assert_eq!(
            parse_date_math("now-15m", now, false),
            Ok(now - 15 * 60_000)
        );
        assert_eq!(
            parse_date_math("now/d", now, false),
            Ok(parse_date("2026-11-22").unwrap_or_default())
        );
        assert_eq!(
            parse_date_math("now/d", now, true),
            Ok(parse_date("2026-11-23").unwrap_or_default() - 1)
        );
        assert_eq!(
            parse_date_math("2026-11-22||+1M/M", now, false),
            Ok(parse_date("2026-12-01").unwrap_or_default())
        );
        assert!(parse_date_math("now-x", now, false).is_err());
    }

    /// ES's `date_range` reference: in `CET`, `2016/02/01` is local midnight and `now/d` rounds to the local
    /// day; dates with an offset and epoch millis keep their instant.
    #[test]
    fn date_math_in_a_zone() {
        let cet = DateZone::parse("Europe/Berlin").unwrap_or(DateZone::UTC);
        let now = parse_date("2026-11-22T23:30:00Z").unwrap_or_default();
        let at = |s: &str| parse_date(s).unwrap_or_default();
        assert_eq!(
            parse_date_math_in("2016-02-01", now, false, cet),
            Ok(at("2016-02-01T00:00:00+01:00"))
        );
        assert_eq!(
            parse_date_math_in("now/d", now, false, cet),
            Ok(at("2026-11-23T00:00:00+01:00"))
        );
        assert_eq!(
            parse_date_math_in("2026-07-01||+1d/d", now, false, cet),
            Ok(at("2026-07-02T00:00:00+02:00"))
        );
        assert_eq!(
            parse_date_math_in("2026-07-01T00:00:00Z", now, false, cet),
            Ok(at("2026-07-01T00:00:00Z"))
        );
        assert_eq!(parse_date_math_in("1000", now, false, cet), Ok(1000));
        assert!(parse_date_math_in("now-x", now, false, cet).is_err());
    }

    /// Found while fuzzing (`date_math` target): rounding to the week a date in the first days chrono
    /// represents (year -262143, not a Monday) stepped before its first day and panicked.
    #[test]
    fn rounding_up_reads_a_date_to_its_last_millisecond() {
        let ms = |s: &str| parse_date(s).unwrap_or_default();
        for (expr, expected) in [
            ("2026-11-22", "2026-11-22T23:59:59.999Z"),
            ("2026-11", "2026-11-30T23:59:59.999Z"),
            ("2026-02", "2026-02-28T23:59:59.999Z"),
            ("2026-11-22T10:15", "2026-11-22T10:15:59.999Z"),
            ("2026-11-22T10:15:30", "2026-11-22T10:15:30.999Z"),
            ("2026-11-22T10:15:30Z", "2026-11-22T10:15:30.999Z"),
            ("2026-11-22T10:15:30+01:00", "2026-11-22T09:15:30.999Z"),
            ("2026-11-22T10:15:30.5Z", "2026-11-22T10:15:30.500Z"),
            // The anchor before `||` is read as it is; only the rounding after it goes up.
            ("2026-11-22||+1d", "2026-11-23T00:00:00.000Z"),
            ("2026-11-22||/M", "2026-11-30T23:59:59.999Z"),
        ] {
            assert_eq!(parse_date_math(expr, 0, true), Ok(ms(expected)), "{expr}");
            assert_eq!(
                parse_date_math_in(expr, 0, true, DateZone::UTC),
                Ok(ms(expected)),
                "{expr} in UTC"
            );
        }
        // Epoch millis name one millisecond.
        assert_eq!(
            parse_date_math("1700000000000", 0, true),
            Ok(1_700_000_000_000)
        );
        // Rounding down reads the start.
        assert_eq!(
            parse_date_math("2026-11-22", 0, false),
            Ok(ms("2026-11-22T00:00:00Z"))
        );
        // In a zone: the local day's end.
        let berlin = DateZone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(
            parse_date_math_in("2026-11-22", 0, true, berlin),
            Ok(ms("2026-11-22T22:59:59.999Z"))
        );
    }

    #[test]
    fn rounding_before_the_first_date_is_an_error() {
        let expr = "-8334601228800000||/w";
        assert!(matches!(
            parse_date_math(expr, 0, false),
            Err(DateMathError::Math { .. })
        ));
        assert!(parse_date_math(expr, 0, true).is_err());
    }
}
