//! Indexer: batches of documents → Elasticsearch `_bulk`, each batch settled exactly once.
//!
//! A `Batch` carries ready documents (index, `_id`, JSON source) plus documents already known to be
//! unindexable (`DeadLetter`s, e.g. an index name the pattern cannot fill). An indexer thread (`worker`) sends
//! the documents through a `BulkTarget` (`http` for Elasticsearch or logpipe's store), retries what is
//! retryable (connection errors, 429, 5xx — whole requests or single items) with capped exponential backoff
//! (`backoff`), sends items refused with a 4xx to a `DeadLetterSink` with the reason, and only then calls the
//! batch's `on_done` with `BatchOutcome::Settled`. Nothing is dropped: a batch ends either settled (every
//! document indexed or durably dead-lettered) or `Abandoned` (shutdown gave up on it; its source must be read
//! again). Documents are sent with a deterministic `_id`, so a replay overwrites (`index`) or is answered
//! "already there" (`create`, a 409 counted as indexed).
//!
//! The same protocol serves `logpipe transfer` (Kafka offsets committed on `Settled`) and `logpipe
//! standalone` (ring acknowledgements on `Settled`).

pub mod backoff;
pub mod bulk_body;
pub mod dead_letter;
pub mod destination;
pub mod http;
pub mod index_name;
pub mod latency_histogram;
pub mod product;
pub mod response;
pub mod stats;
pub mod tls;
pub mod worker;

pub use dead_letter::{DeadLetter, DeadLetterError, DeadLetterSink, FileDeadLetters};
pub use http::HttpBulkTarget;
pub use index_name::{IndexContext, IndexNameError, IndexPattern};
pub use response::BulkResponse;
pub use stats::IndexerStats;
pub use worker::{Indexer, IndexerSettings};

use std::fmt;
use std::sync::Arc;

/// Where a document came from, for dead letters and logs: a Kafka topic/partition/offset, or a file and
/// byte offset (`partition` -1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: Arc<str>,
    pub partition: i32,
    pub offset: i64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.partition >= 0 {
            write!(f, "{}/{}@{}", self.source, self.partition, self.offset)
        } else {
            write!(f, "{}@{}", self.source, self.offset)
        }
    }
}

/// One document to index.
#[derive(Debug, Clone)]
pub struct Doc {
    pub index: String,
    /// `_id`; a replay of the same event carries the same one.
    pub id: String,
    /// The JSON object on one line (no raw newline).
    pub source: Vec<u8>,
    /// Action, pipeline and routing (`index` and nothing else by default).
    pub meta: destination::BulkMeta,
    pub origin: Origin,
}

/// How a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Every document is indexed or dead-lettered: its source may be acknowledged.
    Settled {
        indexed: usize,
        dead_lettered: usize,
    },
    /// Shutdown gave up on it: nothing may be acknowledged, the source must be read again.
    Abandoned,
}

/// Work for an indexer thread.
pub struct Batch {
    pub docs: Vec<Doc>,
    /// Documents refused before sending (with their reasons); written to the dead letter with the batch.
    pub dead_letters: Vec<DeadLetter>,
    /// Called exactly once, from the indexer thread, when the batch ends.
    pub on_done: Box<dyn FnOnce(BatchOutcome) + Send>,
}

/// Why a `_bulk` request failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulkError {
    /// Connection error, timeout, 429, 5xx, or an unreadable answer: send it again later.
    #[error("retryable: {0}")]
    Retryable(String),
    /// The request itself was refused (400, 413, ...): sending it again will not help.
    #[error("refused with HTTP {status}: {reason}")]
    Fatal { status: u16, reason: String },
}

/// Something that accepts an Elasticsearch `_bulk` body and answers with the `_bulk` response.
pub trait BulkTarget: Send + Sync {
    fn bulk(&self, body: &[u8]) -> Result<BulkResponse, BulkError>;
}
