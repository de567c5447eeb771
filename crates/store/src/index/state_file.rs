//! The store's metadata files (index templates, data streams): JSON under `data_dir/_state/`, each tagged
//! with the format it was written in and replaced atomically (`logpipe_fs::write_atomically`), so a crash
//! leaves the old file or the new one, never a torn one. A file of a format this build does not read is
//! an error at open (the store refuses to start rather than forget what the file holds).
//!
//! `_state` cannot be an index: index names may not start with `_`.

use std::path::{Path, PathBuf};

use logpipe_fs::write_atomically;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::index::stream_error::StreamError;

/// The directory of the metadata files inside a data directory.
pub const STATE_DIR: &str = "_state";

/// A metadata file: `{"format_version": N, "<what>": ...}`.
#[derive(Serialize, Deserialize)]
struct Tagged<T> {
    format_version: u32,
    contents: T,
}

/// Where the metadata file `name` of `data_dir` lives.
pub fn state_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join(STATE_DIR).join(name)
}

/// Reads the metadata file at `path` written in format `version` (`None`: no such file).
pub fn read_state<T: DeserializeOwned>(
    path: &Path,
    version: u32,
) -> Result<Option<T>, StreamError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StreamError::StateIo {
                action: "read",
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let probe: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| StreamError::StateNotJson {
            path: path.to_path_buf(),
            source,
        })?;
    let found = probe
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(version) {
        return Err(StreamError::StateFormat {
            path: path.to_path_buf(),
            found,
            readable: version,
        });
    }
    let tagged: Tagged<T> =
        serde_json::from_value(probe).map_err(|source| StreamError::StateNotJson {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(Some(tagged.contents))
}

/// Replaces the metadata file at `path` with `contents`, tagged with format `version`.
pub fn write_state<T: Serialize>(
    path: &Path,
    version: u32,
    contents: &T,
) -> Result<(), StreamError> {
    let io = |action, source| StreamError::StateIo {
        action,
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    }
    let bytes = serde_json::to_vec_pretty(&Tagged {
        format_version: version,
        contents,
    })
    .map_err(|e| io("serialize", std::io::Error::other(e)))?;
    write_atomically(path, &bytes).map_err(|e| io("write", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_formats() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = state_path(dir.path(), "x.json");
        assert!(matches!(read_state::<Vec<u32>>(&path, 1), Ok(None)));
        assert!(write_state(&path, 1, &vec![1u32, 2]).is_ok());
        assert_eq!(
            read_state::<Vec<u32>>(&path, 1).ok().flatten(),
            Some(vec![1, 2])
        );
        assert!(matches!(
            read_state::<Vec<u32>>(&path, 2),
            Err(StreamError::StateFormat { found: 1, .. })
        ));
        assert!(std::fs::write(&path, b"{").is_ok());
        assert!(matches!(
            read_state::<Vec<u32>>(&path, 1),
            Err(StreamError::StateNotJson { .. })
        ));
    }
}
