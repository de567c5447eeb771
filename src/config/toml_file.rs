//! Reading a TOML config into its type, with errors a person can act on: toml's own message (line, column,
//! the offending key), except for a missing top-level section, which toml reports as "missing field" at
//! line 1, column 1 of the file. [`LoadError`] is why a role's config file cannot be used, naming the file.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::error::ConfigError;

/// Why a config text was refused.
#[derive(Debug, thiserror::Error)]
pub enum TomlError {
    #[error("the [{0}] section is missing")]
    MissingSection(String),
    #[error("{0}")]
    Invalid(String),
}

/// Why a config text cannot be used: it is not the TOML of the type, or a value is refused.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error(transparent)]
    Toml(#[from] TomlError),
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// Why a role's config file cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad config {}: {source}", path.display())]
    Bad {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
}

/// The text of the config file `path`.
pub fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

impl ParseError {
    /// This error as the file `path`'s.
    pub fn in_file(self, path: &Path) -> LoadError {
        LoadError::Bad {
            path: path.to_path_buf(),
            source: self,
        }
    }
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
