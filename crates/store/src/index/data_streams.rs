//! Data streams, as Elasticsearch 8 has them for logs: a name (`logs-web-default`) standing for an
//! ordered list of hidden backing indices (`.ds-logs-web-default-2026.12.04-000001`), the last of which,
//! the write index, takes every write; searches of the name cover them all. A data stream is created by
//! the first `create` into a name whose template (`templates.rs`) has `data_stream`, or by
//! `PUT _data_stream/{name}`; `POST {name}/_rollover` starts a new generation.
//!
//! [`StreamsMeta`] is the metadata: the templates, the data streams and the aliases, each kept in a versioned file
//! under `_state/` (`state_file.rs`), rewritten atomically on every change. [`Streams`] guards it; the
//! operations that also create or delete indices are the index set's (`stream_ops.rs`).
//!
//! Invariants: a data stream's list holds its backing indices oldest first, the last the write index;
//! a backing index is created before the metadata naming it is written (a crash between leaves an unused
//! hidden index, adopted by the next creation of that name), and the metadata forgets a backing index
//! before its directory is deleted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::index::aliases::Aliases;
use crate::index::state_file::{read_state, state_path, write_state};
use crate::index::stream_error::StreamError;
use crate::index::templates::{builtin_logs_template, Templates};

/// Format of `_state/index_templates.json`.
const TEMPLATES_FORMAT: u32 = 1;
/// Format of `_state/data_streams.json`.
const STREAMS_FORMAT: u32 = 1;
/// Format of `_state/aliases.json`.
const ALIASES_FORMAT: u32 = 1;

/// One backing index of a data stream.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BackingIndex {
    pub index_name: String,
    pub index_uuid: String,
    /// When it was created (epoch millis): its generation started.
    pub created_millis: i64,
}

/// One data stream.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DataStream {
    pub name: String,
    /// The template it was created from.
    pub template: String,
    pub generation: u64,
    /// Oldest first; the last is the write index.
    pub indices: Vec<BackingIndex>,
}

impl DataStream {
    /// The write index.
    pub fn write_index(&self) -> Option<&BackingIndex> {
        self.indices.last()
    }

    /// When `index` stopped taking writes (the next generation's start); `None` for the write index.
    pub fn rolled_over_millis(&self, index: &str) -> Option<i64> {
        let at = self.indices.iter().position(|b| b.index_name == index)?;
        self.indices.get(at + 1).map(|next| next.created_millis)
    }
}

/// ES's name of the backing index of generation `generation` of `stream`, created at `at`.
pub fn backing_index_name(stream: &str, generation: u64, at: DateTime<Utc>) -> String {
    format!(".ds-{stream}-{}-{generation:06}", at.format("%Y.%m.%d"))
}

/// A new index uuid (22 characters, as ES's).
pub fn new_uuid(name: &str, at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_nanos_opt().unwrap_or_default() as u64;
    let a = xxhash_rust::xxh3::xxh3_64_with_seed(name.as_bytes(), nanos);
    let b =
        xxhash_rust::xxh3::xxh3_64_with_seed(name.as_bytes(), a ^ u64::from(std::process::id()));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The templates and data streams of a store, and where they are kept.
pub struct StreamsMeta {
    pub templates: Templates,
    pub streams: BTreeMap<String, DataStream>,
    /// Index aliases (`aliases.rs`).
    pub aliases: Aliases,
    templates_path: PathBuf,
    streams_path: PathBuf,
    aliases_path: PathBuf,
}

impl StreamsMeta {
    /// Reads the metadata of `data_dir`. A store without a templates file (new, or from before templates)
    /// gets ES 8's built-in `logs` template, written at once if the disk lets it.
    pub fn open(data_dir: &Path) -> Result<StreamsMeta, StreamError> {
        let templates_path = state_path(data_dir, "index_templates.json");
        let streams_path = state_path(data_dir, "data_streams.json");
        let streams: BTreeMap<String, DataStream> =
            read_state(&streams_path, STREAMS_FORMAT)?.unwrap_or_default();
        let aliases_path = state_path(data_dir, "aliases.json");
        let aliases: Aliases = read_state(&aliases_path, ALIASES_FORMAT)?.unwrap_or_default();
        let meta = match read_state(&templates_path, TEMPLATES_FORMAT)? {
            Some(templates) => StreamsMeta {
                templates,
                streams,
                aliases,
                templates_path,
                streams_path,
                aliases_path,
            },
            None => {
                let mut templates = Templates::new();
                templates.insert("logs".to_string(), builtin_logs_template());
                let meta = StreamsMeta {
                    templates,
                    streams,
                    aliases,
                    templates_path,
                    streams_path,
                    aliases_path,
                };
                // A store that cannot write (a full disk) still opens: the template is in force, and
                // written with the next change of templates.
                if let Err(err) = meta.save_templates() {
                    log::warn!("store: built-in [logs] index template not saved yet: {err}");
                }
                meta
            }
        };
        Ok(meta)
    }

    /// Writes the templates file.
    pub fn save_templates(&self) -> Result<(), StreamError> {
        write_state(&self.templates_path, TEMPLATES_FORMAT, &self.templates)
    }

    /// Writes the data streams file.
    pub fn save_streams(&self) -> Result<(), StreamError> {
        write_state(&self.streams_path, STREAMS_FORMAT, &self.streams)
    }

    /// Writes the aliases file.
    pub fn save_aliases(&self) -> Result<(), StreamError> {
        write_state(&self.aliases_path, ALIASES_FORMAT, &self.aliases)
    }

    /// The data stream `index` is a backing index of.
    pub fn stream_of_backing(&self, index: &str) -> Option<&DataStream> {
        if !index.starts_with(".ds-") {
            return None;
        }
        self.streams
            .values()
            .find(|s| s.indices.iter().any(|b| b.index_name == index))
    }
}

/// The metadata behind its locks.
pub struct Streams {
    /// Serialises creating, rolling over and deleting data streams (taken before the index set's own
    /// admin lock, never after it).
    pub admin: Mutex<()>,
    /// The metadata (held briefly; never while taking another lock of the index set).
    pub meta: Mutex<StreamsMeta>,
}

impl Streams {
    /// Opens the metadata of `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Streams, StreamError> {
        Ok(Streams {
            admin: Mutex::new(()),
            meta: Mutex::new(StreamsMeta::open(data_dir)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backing_names_as_elasticsearch() {
        let at = DateTime::from_timestamp(1_764_806_400, 0).unwrap_or_default(); // 2025-12-04
        assert_eq!(
            backing_index_name("logs-web-default", 1, at),
            ".ds-logs-web-default-2025.12.04-000001"
        );
        assert_eq!(new_uuid("x", at).len(), 22);
    }

    #[test]
    fn new_store_gets_the_logs_template_and_keeps_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = StreamsMeta::open(dir.path()).expect("open");
        assert!(meta.templates.contains_key("logs"));
        let mut meta = meta;
        meta.templates.clear();
        meta.save_templates().expect("save");
        let again = StreamsMeta::open(dir.path()).expect("reopen");
        assert!(
            again.templates.is_empty(),
            "a deleted built-in stays deleted"
        );
    }
}
