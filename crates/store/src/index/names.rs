//! Index names: Elasticsearch's rules for them, and the date of a daily index (`app-2026.11.22`).

use chrono::NaiveDate;

use crate::index::error::IndexError;

/// Checks an index name against Elasticsearch's rules (`logpipe-index-name`), and refuses control
/// characters too: the name is a directory of the store's.
pub fn validate_index_name(name: &str) -> Result<(), IndexError> {
    let rule = match logpipe_index_name::check(name) {
        Ok(()) if name.chars().any(char::is_control) => "must not contain control characters",
        Ok(()) => return Ok(()),
        Err(rule) => rule.wording(),
    };
    Err(IndexError::InvalidName {
        name: name.to_string(),
        rule,
    })
}

/// The date of a daily index name ending in `YYYY.MM.dd`.
pub fn daily_index_date(name: &str) -> Option<NaiveDate> {
    let tail = name.get(name.len().checked_sub(10)?..)?;
    let date = NaiveDate::parse_from_str(tail, "%Y.%m.%d").ok()?;
    let head = &name[..name.len() - 10];
    (head.is_empty() || !head.ends_with(|c: char| c.is_ascii_digit())).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_names() {
        assert_eq!(
            daily_index_date("app-2026.11.22"),
            NaiveDate::from_ymd_opt(2026, 11, 22)
        );
        assert_eq!(daily_index_date("app"), None);
        assert_eq!(daily_index_date("app-2026.13.22"), None);
    }

    #[test]
    fn names() {
        assert!(validate_index_name("app-2026.11.22").is_ok());
        assert!(validate_index_name("App").is_err());
        assert!(validate_index_name("_x").is_err());
        assert!(validate_index_name("a/b").is_err());
        assert!(validate_index_name("a\u{1}b").is_err());
    }
}
