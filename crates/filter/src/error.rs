//! Errors of `compile`: which filter of the list, which of its keys, and why.

/// A filter list that cannot be compiled: `filters[2].grok.match: unknown pattern COMBINEDAPACHELOGG`.
/// The caller puts the entry in front (`collect[0].`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filters[{index}].{kind}.{key}: {reason}")]
pub struct FilterError {
    /// Position of the filter in the list, from 0.
    pub index: usize,
    /// `json`, `date`, `dissect`, `grok`, `mutate` or `drop`.
    pub kind: &'static str,
    /// The option at fault (`match`, `if`, `add_field`, …).
    pub key: String,
    pub reason: String,
}

/// A key and a reason, before the filter's position and kind are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub key: String,
    pub reason: String,
}

impl Invalid {
    pub(crate) fn new(key: impl Into<String>, reason: impl Into<String>) -> Invalid {
        Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Parses a field reference or names the key it came from.
pub(crate) fn field(key: &str, text: &str) -> Result<crate::FieldRef, Invalid> {
    crate::FieldRef::parse(text).map_err(|e| Invalid::new(key, e.to_string()))
}
