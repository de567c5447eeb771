//! What can go wrong in the index layer, as typed errors. They say what happened and to which index; the
//! HTTP status and Elasticsearch error type of each are chosen by the API layer (`api/error_map.rs`).

use std::path::PathBuf;

/// An error opening, creating, resolving, writing, committing or deleting indices.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A concrete name of an index expression names no index.
    #[error("no such index [{name}]")]
    NotFound { name: String },
    /// Creating an index that exists.
    #[error("index [{name}/_na_] already exists")]
    AlreadyExists { name: String },
    /// A name breaking Elasticsearch's rules for index names.
    #[error("Invalid index name [{name}], {rule}")]
    InvalidName { name: String, rule: &'static str },
    /// The index is on disk but was not opened at start because of its format tag.
    #[error("index [{name}] cannot be opened: {source}")]
    Unopenable {
        name: String,
        #[source]
        source: FormatError,
    },
    /// The index is on disk but was not opened at start (its format is fine: opening failed otherwise).
    #[error("index [{name}] exists on disk but is not open")]
    NotOpen { name: String },
    /// Writes are refused while the disk is full: Elasticsearch's flood-stage `read_only_allow_delete`
    /// block ([`crate::index::disk_block`]), lifted by itself once space returns.
    #[error(
        "index [{name}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, \
         index has read-only-allow-delete block];"
    )]
    DiskBlocked { name: String },
    /// Creating an index beyond `cluster.max_shards_per_node` (one shard per index).
    #[error(
        "Validation Failed: 1: this action would add [1] shards, but this cluster currently has \
         [{open}]/[{max}] maximum normal shards open;"
    )]
    TooManyShards { open: usize, max: usize },
    /// One request naming more new indices than `max_new_indices_per_request` (see `settings.rs`).
    #[error(
        "rejected execution: this request would create more than [{max}] new indices \
         (max_new_indices_per_request); retry the rest in a later request"
    )]
    TooManyNewIndices { max: usize },
    /// Deleting by wildcard or `_all` while `action.destructive_requires_name` is on.
    #[error("Wildcard expressions or all indices are not allowed")]
    DestructiveWildcard,
    /// The index was deleted while a write waited for it.
    #[error("index was deleted")]
    Deleted { name: String },
    /// The index is closed (`POST /{index}/_close`): it takes no reads or writes until opened.
    #[error("closed")]
    Closed { name: String },
    /// Appending a write to the translog failed: it is in the writer but not durable.
    #[error("translog append failed: {0}")]
    TranslogAppend(#[source] std::io::Error),
    /// Making appended writes durable failed.
    #[error("translog sync failed: {0}")]
    TranslogSync(#[source] std::io::Error),
    /// Starting a new translog generation before a commit failed.
    #[error("translog roll failed: {0}")]
    TranslogRoll(#[source] std::io::Error),
    /// A translog could not be opened or read.
    #[error(transparent)]
    Translog(#[from] TranslogError),
    /// The format tag of an index could not be read or written.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The payload of the index's last commit is not one this store writes.
    #[error("commit payload {payload:?} is not logpipe's: {source}")]
    CommitPayload {
        payload: String,
        #[source]
        source: serde_json::Error,
    },
    /// tantivy failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// The file system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An index template or data stream operation failed (`stream_error.rs`).
    #[error(transparent)]
    Stream(#[from] crate::index::stream_error::StreamError),
}

impl IndexError {
    /// The index the error is about, when it names one.
    pub fn index(&self) -> Option<&str> {
        match self {
            IndexError::NotFound { name }
            | IndexError::AlreadyExists { name }
            | IndexError::InvalidName { name, .. }
            | IndexError::Unopenable { name, .. }
            | IndexError::NotOpen { name }
            | IndexError::Deleted { name }
            | IndexError::Closed { name } => Some(name),
            IndexError::Stream(e) => e.index(),
            _ => None,
        }
    }
}

/// Why the format tag of an index directory does not let this build open it.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The tag names a format this build does not read (1: no tag at all).
    #[error(
        "written in store format {found}, this logpipe reads formats {readable:?}; reindex it from its \
         source or delete the directory"
    )]
    Unsupported {
        found: u32,
        readable: &'static [u32],
    },
    /// The tag file is not JSON of the expected shape.
    #[error("{} is not a format tag: {source}", path.display())]
    NotATag {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The tag file cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a translog generation could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum TranslogError {
    /// The file does not start with the translog header.
    #[error("{} is not a logpipe translog file", path.display())]
    NotATranslog { path: PathBuf },
    /// The file is of another translog format version.
    #[error("{} is translog format {found}; this logpipe reads format {readable}", path.display())]
    Version {
        path: PathBuf,
        found: u32,
        readable: u32,
    },
    /// Reading, listing or creating translog files failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
