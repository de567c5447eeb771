//! Documents: what the store indexes of a `_source`.
//!
//! - [`schema`]: the fields every index has and how ES field names map onto them;
//! - [`log_document`]: a `_source` parsed once into the document tantivy indexes ([`DocumentError`] when
//!   it cannot be);
//! - [`date`]: the dates documents and queries hold (epoch millis, ES's formats).
//!
//! Architecture invariant: this layer knows nothing of indices on disk, queries or HTTP.

pub mod date;
pub mod log_document;
pub mod schema;

pub use log_document::DocumentError;
