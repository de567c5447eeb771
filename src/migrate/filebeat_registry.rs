//! Filebeat's registry (`data/registry/filebeat/`): `active.dat` names the last checkpoint (`N.json`, an
//! array of entries), and `log.json` holds the operations since (a `{"op":"set"|"remove","id":N}` line,
//! then `{"k":KEY,"v":VALUE}`). Entries of the `log` input carry `offset` and `FileStateOS.{inode,device}`;
//! entries of `filestream` carry `cursor.offset` and name inode and device in their key
//! (`filestream::ID::native::INODE-DEVICE`). The last update time (`timestamp` / `updated`, whose second
//! element is seconds since the epoch) tells a reused inode apart.

use crate::tail::adopt::{OldPosition, OldPositions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// Why a registry cannot be read; each names the directory or file.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a registry checkpoint: {source}", path.display())]
    NotACheckpoint {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{} holds neither active.dat nor log.json (give the registry's filebeat directory, e.g. \
         /var/lib/filebeat/registry/filebeat)",
        .0.display()
    )]
    Empty(PathBuf),
}

/// Adds the registry's positions in `dir` to `positions`.
pub fn read(dir: &Path, positions: &mut OldPositions) -> Result<(), RegistryError> {
    if !dir.is_dir() {
        return Err(RegistryError::NotADirectory(dir.to_path_buf()));
    }
    let mut found = false;
    if let Ok(active) = std::fs::read_to_string(dir.join("active.dat")) {
        let checkpoint = Path::new(active.trim());
        let checkpoint = if checkpoint.is_absolute() {
            checkpoint.to_path_buf()
        } else {
            dir.join(checkpoint)
        };
        let text =
            std::fs::read_to_string(&checkpoint).map_err(|source| RegistryError::Unreadable {
                path: checkpoint.clone(),
                source,
            })?;
        let entries: Vec<Value> =
            serde_json::from_str(&text).map_err(|source| RegistryError::NotACheckpoint {
                path: checkpoint.clone(),
                source,
            })?;
        for entry in &entries {
            if let Some(key) = entry["_key"].as_str() {
                apply_set(key, entry, &checkpoint.display().to_string(), positions);
            }
        }
        found = true;
    }
    let log_path = dir.join("log.json");
    if let Ok(text) = std::fs::read_to_string(&log_path) {
        let origin = log_path.display().to_string();
        let mut op: Option<String> = None;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // A torn last line (Filebeat killed mid-write) ends the log.
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                break;
            };
            if let Some(name) = value["op"].as_str() {
                op = Some(name.to_string());
                continue;
            }
            let Some(key) = value["k"].as_str() else {
                continue;
            };
            match op.take().as_deref() {
                Some("set") => apply_set(key, &value["v"], &origin, positions),
                Some("remove") => {
                    if let Some((dev, ino)) = identity(key, &value["v"]) {
                        positions.remove(dev, ino);
                    }
                }
                _ => {}
            }
        }
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(RegistryError::Empty(dir.to_path_buf()))
    }
}

/// (device, inode) of a registry entry.
fn identity(key: &str, value: &Value) -> Option<(u64, u64)> {
    let os = &value["FileStateOS"];
    if let (Some(ino), Some(dev)) = (os["inode"].as_u64(), os["device"].as_u64()) {
        return Some((dev, ino));
    }
    let native = key.rsplit("::").next()?;
    let (ino, dev) = native.split_once('-')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

fn apply_set(key: &str, value: &Value, origin: &str, positions: &mut OldPositions) {
    let Some((dev, ino)) = identity(key, value) else {
        return;
    };
    let offset = value["offset"]
        .as_u64()
        .or_else(|| value["cursor"]["offset"].as_u64());
    let Some(offset) = offset else {
        return;
    };
    let seconds = value["timestamp"][1]
        .as_u64()
        .or_else(|| value["updated"][1].as_u64());
    positions.insert(
        dev,
        ino,
        OldPosition {
            offset,
            last_active: seconds.map(|s| UNIX_EPOCH + Duration::from_secs(s)),
            origin: format!("filebeat registry {origin} ({key})"),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tail::adopt::Adoption;

    #[test]
    fn checkpoint_then_log_operations() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("active.dat"), "3.json\n").expect("active");
        std::fs::write(
            dir.path().join("3.json"),
            r#"[{"_key":"filebeat::logs::native::11-2049","offset":100,"FileStateOS":{"inode":11,"device":2049},"timestamp":[1,1733200000]}]"#,
        )
        .expect("checkpoint");
        let log = [
            r#"{"op":"set","id":4}"#,
            r#"{"k":"filestream::app::native::12-2049","v":{"cursor":{"offset":250},"updated":[1,1733200001]}}"#,
            r#"{"op":"set","id":5}"#,
            r#"{"k":"filebeat::logs::native::11-2049","v":{"offset":150,"FileStateOS":{"inode":11,"device":2049}}}"#,
            r#"{"op":"remove","id":6}"#,
            r#"{"k":"filebeat::logs::native::13-2049","v":{}}"#,
            r#"{"op":"set","#,
        ];
        std::fs::write(dir.path().join("log.json"), log.join("\n")).expect("log");
        let mut p = OldPositions::default();
        read(dir.path(), &mut p).expect("read");
        assert!(matches!(
            p.decide(2049, 11, 1000, None),
            Some(Adoption::Adopt { offset: 150, .. })
        ));
        assert!(matches!(
            p.decide(2049, 12, 1000, None),
            Some(Adoption::Adopt { offset: 250, .. })
        ));
        assert_eq!(p.len(), 2);
        assert!(matches!(
            read(&dir.path().join("nope"), &mut p),
            Err(RegistryError::NotADirectory(path)) if path == dir.path().join("nope")
        ));
    }
}
