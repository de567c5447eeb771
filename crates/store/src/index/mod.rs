//! The index layer: one tantivy index per Elasticsearch index, each in `data_dir/<name>/`, with its
//! writer, translog and commits.
//!
//! - [`set`]: the indices of a data directory, auto-creation, expression resolution (`a,b`, `app-*`,
//!   `_all`), deletion; [`retention`]: deleting old daily indices; [`names`]: ES's rules for names;
//! - [`handle`]: one open index and the write → durable (translog) → committed (searchable) protocol;
//!   [`id_filter`]: the `_id` Bloom filter its writer keeps; [`versions`]: documents' `_seq_no` and
//!   `_version`;
//! - [`templates`]: composable index templates; [`aliases`]: index aliases; [`data_streams`]: data streams and their metadata,
//!   kept in versioned files ([`state_file`]); [`stream_ops`]: what a write to a name goes to, the data
//!   stream and template operations, retention of backing indices; [`stream_error`]: their errors;
//! - [`translog`]: the write-ahead log of one index; [`format`]: the on-disk format tag;
//! - [`refresher`]: when writes become searchable (`?refresh=`, the periodic commit); [`search_activity`]:
//!   search-idle indices;
//! - [`open_close`]: closed indices (`_close`, `_open`), kept closed across restarts;
//! - [`disk_block`]: the flood-stage block of a full disk (writes refused with 429 until space returns);
//! - [`settings`]: the limits clients cannot push the store past (index count, writers, their memory);
//!   [`writers`]: the indices whose writer is open, at most `max_open_writers`;
//! - [`error`]: [`IndexError`], what can go wrong here.
//!
//! Architecture invariant: this layer knows nothing of HTTP or of Elasticsearch's error bodies; it
//! reports typed errors, which the API layer turns into statuses and ES error types.

pub mod aliases;
pub mod data_streams;
pub mod disk_block;
pub mod error;
pub mod format;
pub mod handle;
pub mod id_filter;
pub mod mapping;
pub mod names;
pub mod open_close;
pub mod refresher;
pub mod retention;
pub mod search_activity;
pub mod set;
pub mod settings;
pub mod state_file;
pub mod stream_error;
pub mod stream_ops;
pub mod templates;
pub mod tombstones;
pub mod translog;
pub mod versions;
pub mod writers;

#[cfg(test)]
mod tests;

pub use error::IndexError;
pub use handle::IndexHandle;
pub use names::daily_index_date;
pub use set::IndexSet;
pub use settings::StoreSettings;
pub use stream_error::StreamError;
