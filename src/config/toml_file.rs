//! Reading a TOML config into its type, with errors a person can act on: toml's own message (line, column,
//! the offending key), except for a missing top-level section, which toml reports as "missing field" at
//! line 1, column 1 of the file.

use serde::de::DeserializeOwned;

/// Why a config text was refused.
#[derive(Debug, thiserror::Error)]
pub enum TomlError {
    #[error("the [{0}] section is missing")]
    MissingSection(String),
    #[error("{0}")]
    Invalid(String),
}

/// Parses `text`; `sections` are the top-level tables of the type, named in plain words when absent.
pub fn parse<T: DeserializeOwned>(text: &str, sections: &[&str]) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|e| {
        let missing = e
            .message()
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        match missing {
            Some(name) if sections.contains(&name) && e.span().is_none_or(|s| s.start == 0) => {
                TomlError::MissingSection(name.to_string())
            }
            _ => TomlError::Invalid(e.to_string()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Two {
        a: std::collections::BTreeMap<String, u32>,
        b: u32,
    }

    #[test]
    fn a_missing_section_is_named_and_other_errors_keep_their_position() {
        let err = parse::<Two>("b = 1\n", &["a"]).unwrap_err();
        assert_eq!(err.to_string(), "the [a] section is missing");
        let err = parse::<Two>("[a]\nx = 1\n", &["a"]).unwrap_err();
        assert!(err.to_string().contains("missing field `b`"), "{err}");
        let err = parse::<Two>("b = \"one\"\n[a]\n", &["a"]).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
