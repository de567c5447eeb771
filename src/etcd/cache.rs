//! The last good etcd config, cached in `data_dir/etcd_config.json` so an agent starts (and keeps running)
//! when etcd is unreachable.
//!
//! The file is versioned JSON written atomically (temp file, fsync, rename, fsync of the directory):
//! `{"version":1,"key":"/logpipe/collect/web-1","revision":42,"entries":[...]}`. A cache of another key or
//! another version is ignored with a warning; its entries are checked again on load (the allowlist may have
//! changed since they were written).

use crate::config::CollectEntry;
use logpipe_fs::write_atomically;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Format version of the cache file.
pub const CACHE_VERSION: u32 = 1;

/// The cache file's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedConfig {
    pub version: u32,
    pub key: String,
    pub revision: i64,
    pub entries: Vec<CollectEntry>,
}

/// Why the cache was not written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot encode the cached config: {0}")]
    Encode(serde_json::Error),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The cache file of one data directory.
#[derive(Debug, Clone)]
pub struct ConfigCache {
    path: PathBuf,
}

impl ConfigCache {
    pub fn new(data_dir: &Path) -> ConfigCache {
        ConfigCache {
            path: data_dir.join("etcd_config.json"),
        }
    }

    /// The cached config of `key`, if there is a readable one.
    pub fn load(&self, key: &str) -> Option<CachedConfig> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                log::warn!("cannot read {}: {e}", self.path.display());
                return None;
            }
        };
        let cached: CachedConfig = match serde_json::from_slice(&text) {
            Ok(c) => c,
            Err(e) => {
                log::warn!("ignoring {}: {e}", self.path.display());
                return None;
            }
        };
        if cached.version != CACHE_VERSION || cached.key != key {
            log::warn!(
                "ignoring {}: version {} of key {} (want version {CACHE_VERSION} of {key})",
                self.path.display(),
                cached.version,
                cached.key
            );
            return None;
        }
        Some(cached)
    }

    /// Replaces the cache.
    pub fn store(
        &self,
        key: &str,
        revision: i64,
        entries: &[CollectEntry],
    ) -> Result<(), CacheError> {
        let cached = CachedConfig {
            version: CACHE_VERSION,
            key: key.to_string(),
            revision,
            entries: entries.to_vec(),
        };
        let body = serde_json::to_vec_pretty(&cached).map_err(CacheError::Encode)?;
        write_atomically(&self.path, &body).map_err(|source| CacheError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_key_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ConfigCache::new(dir.path());
        assert_eq!(cache.load("/k"), None);
        let entries: Vec<CollectEntry> =
            serde_json::from_str(r#"[{"path":"/var/log/a.log","topic":"a"}]"#).expect("json");
        cache.store("/k", 7, &entries).expect("store");
        let loaded = cache.load("/k").expect("cached");
        assert_eq!(loaded.revision, 7);
        assert_eq!(loaded.entries, entries);
        assert_eq!(cache.load("/other"), None);
    }

    #[test]
    fn a_write_that_fails_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_a_dir = dir.path().join("plain");
        std::fs::write(&not_a_dir, b"x").expect("write");
        let err = ConfigCache::new(&not_a_dir)
            .store("/k", 1, &[])
            .expect_err("a file is no directory");
        assert!(
            matches!(&err, CacheError::Write { path, .. } if *path == not_a_dir.join("etcd_config.json")),
            "{err:?}"
        );
        assert!(err.to_string().contains("etcd_config.json"), "{err}");
    }
}
