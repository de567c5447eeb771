//! Index names: Elasticsearch's rules for them, and the date of a daily index (`app-2026.11.22`).

use chrono::NaiveDate;

use crate::index::error::IndexError;

/// Checks an index name against Elasticsearch's rules.
pub fn validate_index_name(name: &str) -> Result<(), IndexError> {
    let rule = if name.is_empty() {
        "must not be empty"
    } else if name == "." || name == ".." {
        "must not be '.' or '..'"
    } else if name.starts_with(['-', '_', '+']) {
        "must not start with '_', '-', or '+'"
    } else if name.len() > 255 {
        "index name is too long"
    } else if name.chars().any(|c| c.is_uppercase()) {
        "must be lowercase"
    } else if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        ) || c.is_control()
    }) {
        r#"must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :]"#
    } else {
        return Ok(());
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
    }
}
