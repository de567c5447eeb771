//! Dead letters: documents the index refused (or that could not be addressed), kept with the reason.
//!
//! A `DeadLetterSink` must make letters durable before `write` returns `Ok` — only then does the batch count
//! as settled and its source get acknowledged. An error is retried by the indexer with backoff. A letter is
//! one JSON object: `{"@timestamp","reason","origin":{"source","partition","offset"},"index","id",
//! "document"}`, where `document` is the JSON source when it parses and its text otherwise, cut at
//! `MAX_LETTER_DOCUMENT_BYTES` (`document_truncated: true`) so that a huge document cannot block the sink.
//! `FileDeadLetters` appends NDJSON to a file and fsyncs, and cuts back a write that failed part way (a full
//! disk), so the file holds whole letters only; the transfer adds a Kafka-topic sink.

use super::Origin;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest document kept in a letter.
pub const MAX_LETTER_DOCUMENT_BYTES: usize = 256 * 1024;

/// One refused document.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub origin: Origin,
    pub index: Option<String>,
    pub id: Option<String>,
    pub reason: String,
    pub document: Vec<u8>,
}

impl DeadLetter {
    /// The letter as one line of JSON.
    pub fn to_json_line(&self) -> Vec<u8> {
        let truncated = self.document.len() > MAX_LETTER_DOCUMENT_BYTES;
        let document = if truncated {
            Value::String(
                String::from_utf8_lossy(&self.document[..MAX_LETTER_DOCUMENT_BYTES]).into_owned(),
            )
        } else {
            serde_json::from_slice::<Value>(&self.document).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&self.document).into_owned())
            })
        };
        let mut letter = json!({
            "@timestamp": crate::event::timestamp::now(),
            "reason": self.reason,
            "origin": {"source": &*self.origin.source, "partition": self.origin.partition, "offset": self.origin.offset},
            "index": self.index,
            "id": self.id,
            "document": document,
        });
        if truncated {
            letter["document_truncated"] = Value::Bool(true);
            letter["document_bytes"] = Value::from(self.document.len());
        }
        // A `Value` always serializes.
        serde_json::to_vec(&letter).unwrap_or_default()
    }
}

/// Why letters were not stored; each names the file (or, for another sink, says its own reason).
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    #[error("cannot create {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write dead letters to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A sink outside this module (the transfer's Kafka topic) failed; its error says how.
    #[error(transparent)]
    Sink(Box<dyn std::error::Error + Send + Sync>),
}

/// Durable storage for dead letters.
pub trait DeadLetterSink: Send + Sync {
    /// Stores every letter durably, or fails (and the caller retries).
    fn write(&self, letters: &[DeadLetter]) -> Result<(), DeadLetterError>;
}

/// Appends letters as NDJSON to a file, fsynced before `write` returns.
pub struct FileDeadLetters {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl FileDeadLetters {
    /// Opens (creating) `path` for appending; its directory is created too.
    pub fn open(path: &Path) -> Result<FileDeadLetters, DeadLetterError> {
        let sink = FileDeadLetters {
            path: path.to_path_buf(),
            file: Mutex::new(None),
        };
        let file = sink.open_file()?;
        *sink.file.lock() = Some(file);
        Ok(sink)
    }

    fn open_file(&self) -> Result<File, DeadLetterError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DeadLetterError::CreateDir {
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|source| DeadLetterError::Open {
                path: self.path.clone(),
                source,
            })
    }
}

impl DeadLetterSink for FileDeadLetters {
    fn write(&self, letters: &[DeadLetter]) -> Result<(), DeadLetterError> {
        if letters.is_empty() {
            return Ok(());
        }
        let mut text = Vec::new();
        for letter in letters {
            text.extend_from_slice(&letter.to_json_line());
            text.push(b'\n');
        }
        let mut guard = self.file.lock();
        let mut file = match guard.take() {
            Some(file) => file,
            None => self.open_file()?,
        };
        // On failure the file is dropped: reopened next time (it may have been removed or the disk remounted).
        append_whole(&mut file, &text).map_err(|source| DeadLetterError::Write {
            path: self.path.clone(),
            source,
        })?;
        *guard = Some(file);
        Ok(())
    }
}

/// Appends `text` and syncs it, or leaves the file as it was: on a full disk a write may land in part, and a
/// torn line followed by the retried letters would make the file unreadable as NDJSON, so the file is cut
/// back to its length before the write.
fn append_whole(file: &mut File, text: &[u8]) -> std::io::Result<()> {
    let before = file.metadata()?.len();
    let result = file.write_all(text).and_then(|()| file.sync_data());
    if result.is_err() {
        // Best effort: if even this fails, the next attempt reopens the file and appends after the piece.
        let _ = file.set_len(before);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_json_lines_with_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/dead.ndjson");
        let sink = FileDeadLetters::open(&path).expect("open");
        let origin = Origin {
            source: "app_log".into(),
            partition: 2,
            offset: 9,
        };
        let letters = vec![
            DeadLetter {
                origin: origin.clone(),
                index: Some("i".into()),
                id: Some("x".into()),
                reason: "mapper_parsing_exception".into(),
                document: br#"{"a":1}"#.to_vec(),
            },
            DeadLetter {
                origin,
                index: None,
                id: None,
                reason: "huge".into(),
                document: vec![b'z'; MAX_LETTER_DOCUMENT_BYTES + 1],
            },
        ];
        sink.write(&letters).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["document"]["a"], 1);
        assert_eq!(lines[0]["origin"]["partition"], 2);
        assert_eq!(lines[0]["reason"], "mapper_parsing_exception");
        assert_eq!(lines[1]["document_truncated"], true);
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").expect("write");
        let err = FileDeadLetters::open(&file.join("sub/dead.ndjson"))
            .err()
            .expect("a file is no directory");
        assert!(
            matches!(&err, DeadLetterError::CreateDir { dir, .. } if *dir == file.join("sub")),
            "{err:?}"
        );
        assert!(err.to_string().contains("plain/sub"), "{err}");
    }
}
