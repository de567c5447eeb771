//! Queries: the Elasticsearch query DSL and Lucene syntax turned into tantivy queries for one index.
//!
//! - [`dsl`]: the DSL's compound queries and dispatch ([`QueryBuilder`]); [`field`]: its field-level
//!   queries (`term`, `match`, `range`, `exists`...);
//! - [`query_string`]: Lucene syntax (`query_string`, the URI `q=`);
//! - [`date_math`]: `now-15m/d`; [`timestamp_filter`]: `@timestamp` ranges decided segment by segment,
//!   reading the column with [`stamp_reader`];
//! - [`limits`]: the bounds of a query (nesting, clauses) checked before work is spent on it;
//! - [`error`]: what can be wrong with a query ([`QueryError`]).
//!
//! Architecture invariant: this layer builds queries; it never runs them, knows nothing of indices on
//! disk beyond the tantivy `Index` it is given, and nothing of HTTP.

pub mod date_attr;
pub mod date_math;
pub mod dsl;
pub mod error;
pub mod field;
pub mod limits;
pub mod query_string;
pub mod stamp_reader;
pub mod text_attr;
pub mod timestamp_filter;

pub use dsl::QueryBuilder;
pub use error::QueryError;
