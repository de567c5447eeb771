//! Elasticsearch's rules for an index name (`MetadataCreateIndexService.validateIndexOrAliasName` and
//! `Strings.INVALID_FILENAME_CHARS`): not empty, not `.` or `..`, at most 255 bytes, not starting with `_`,
//! `-` or `+`, lowercase, and none of `\ / * ? " < > | , # :` or a space.
//!
//! One definition for the transfer (an index name it filled from an event must be one Elasticsearch
//! accepts, or the event is dead-lettered) and the store (which refuses what Elasticsearch refuses, and
//! more where its directories need it).

/// The characters an index name must not contain.
pub const FORBIDDEN_CHARACTERS: &[char] =
    &['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'];

/// The longest index name, in bytes.
pub const MAX_BYTES: usize = 255;

/// The rule an index name breaks, worded as Elasticsearch words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IndexNameRule {
    #[error("must not be empty")]
    Empty,
    #[error("must not be '.' or '..'")]
    Dots,
    #[error("must not start with '_', '-', or '+'")]
    BadStart,
    #[error("index name is too long")]
    TooLong,
    #[error("must be lowercase")]
    Uppercase(char),
    #[error(r#"must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :]"#)]
    Forbidden(char),
}

impl IndexNameRule {
    /// The rule's wording, as [`std::fmt::Display`] gives it.
    pub fn wording(self) -> &'static str {
        match self {
            IndexNameRule::Empty => "must not be empty",
            IndexNameRule::Dots => "must not be '.' or '..'",
            IndexNameRule::BadStart => "must not start with '_', '-', or '+'",
            IndexNameRule::TooLong => "index name is too long",
            IndexNameRule::Uppercase(_) => "must be lowercase",
            IndexNameRule::Forbidden(_) => {
                r#"must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :]"#
            }
        }
    }
}

/// Checks `name` against Elasticsearch's rules; the first rule it breaks otherwise.
pub fn check(name: &str) -> Result<(), IndexNameRule> {
    if name.is_empty() {
        return Err(IndexNameRule::Empty);
    }
    if name == "." || name == ".." {
        return Err(IndexNameRule::Dots);
    }
    if name.starts_with(['_', '-', '+']) {
        return Err(IndexNameRule::BadStart);
    }
    if name.len() > MAX_BYTES {
        return Err(IndexNameRule::TooLong);
    }
    if let Some(c) = name.chars().find(|c| c.is_uppercase()) {
        return Err(IndexNameRule::Uppercase(c));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN_CHARACTERS.contains(c)) {
        return Err(IndexNameRule::Forbidden(c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elasticsearchs_rules() {
        for (name, expected) in [
            ("logs-2026.12.04", Ok(())),
            (".ds-logs-app-default-2026.12.04-000001", Ok(())),
            ("", Err(IndexNameRule::Empty)),
            ("..", Err(IndexNameRule::Dots)),
            ("_x", Err(IndexNameRule::BadStart)),
            ("-x", Err(IndexNameRule::BadStart)),
            ("Logs", Err(IndexNameRule::Uppercase('L'))),
            ("a b", Err(IndexNameRule::Forbidden(' '))),
            ("a#b", Err(IndexNameRule::Forbidden('#'))),
            ("a:b", Err(IndexNameRule::Forbidden(':'))),
            ("é-ok", Ok(())),
        ] {
            assert_eq!(check(name), expected, "{name:?}");
        }
        assert_eq!(check(&"a".repeat(MAX_BYTES)), Ok(()));
        assert_eq!(
            check(&"a".repeat(MAX_BYTES + 1)),
            Err(IndexNameRule::TooLong)
        );
        // 128 two-byte characters: 256 bytes.
        assert_eq!(check(&"é".repeat(128)), Err(IndexNameRule::TooLong));
    }

    #[test]
    fn wording_is_display() {
        for rule in [
            IndexNameRule::Empty,
            IndexNameRule::Dots,
            IndexNameRule::BadStart,
            IndexNameRule::TooLong,
            IndexNameRule::Uppercase('A'),
            IndexNameRule::Forbidden('#'),
        ] {
            assert_eq!(rule.to_string(), rule.wording());
        }
    }
}
