//! `[migrate]` of the agent: where the read positions of the agent logpipe replaces are, so that the first
//! start continues where it stopped.
//!
//! The keys, their types, defaults and help are in `MigrateConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).

use super::error::ConfigError;
use super::path_glob::PathGlob;
use super::reference::{Key, Type};
use serde::Deserialize;
use std::path::PathBuf;

/// `[migrate]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrateConfig {
    /// Logstash file-input sincedb files (absolute globs).
    #[serde(default)]
    pub logstash_sincedb: Vec<String>,
    /// Filebeat's registry directory (the one holding `log.json` and `active.dat`).
    #[serde(default)]
    pub filebeat_registry: Option<PathBuf>,
}

impl MigrateConfig {
    /// The keys of `[migrate]`.
    pub const KEYS: &'static [Key] = &[
        Key::optional(
            "logstash_sincedb",
            Type::List(&Type::Glob),
            "[\"/var/lib/logstash/plugins/inputs/file/.sincedb_*\"]",
            "Logstash file-input sincedb files (absolute globs)",
        ),
        Key::optional(
            "filebeat_registry",
            Type::Path,
            "\"/var/lib/filebeat/registry/filebeat\"",
            "Filebeat's registry directory (holding log.json)",
        ),
    ];
}

impl MigrateConfig {
    /// Checks the globs and the registry path.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for pattern in &self.logstash_sincedb {
            PathGlob::absolute(pattern)
                .map_err(|e| ConfigError::Invalid(format!("migrate.logstash_sincedb: {e}")))?;
        }
        if let Some(dir) = &self.filebeat_registry {
            if !dir.is_absolute() {
                return Err(ConfigError::Invalid(format!(
                    "migrate.filebeat_registry: `{}` must be an absolute path",
                    dir.display()
                )));
            }
        }
        Ok(())
    }

    /// Whether any old agent's positions are named.
    pub fn is_set(&self) -> bool {
        !self.logstash_sincedb.is_empty() || self.filebeat_registry.is_some()
    }

    /// The sincedb files the globs match now.
    pub fn sincedb_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .logstash_sincedb
            .iter()
            .filter_map(|p| PathGlob::absolute(p).ok())
            .flat_map(|g| g.list_files(false))
            .collect();
        files.sort();
        files.dedup();
        files
    }
}
