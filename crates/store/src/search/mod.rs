//! The search layer: `_search`, `_count` and get by `_id` over one or more indices.
//!
//! - [`request`]: the request read and checked ([`SearchRequest`], [`SearchParams`]);
//! - [`run`]: running it and shaping ES's response; [`get`]: one document by `_id`;
//! - [`top_hits`]: the collector of the best hits by the sort ([`sort`]); [`block_collector`]: one pass
//!   feeding count, top hits and aggregations a block at a time; [`aggs`]: aggregations;
//! - [`source`]: `_source` of hits and its filtering; [`fields`]: `docvalue_fields` / `fields` of hits; [`highlight`]: highlighting of `message`;
//! - [`error`]: what can go wrong ([`SearchError`], [`RequestError`]).
//!
//! Architecture invariant: this layer answers searches as data (JSON values, typed errors); it knows
//! nothing of HTTP, and leaves statuses and ES error bodies to the API layer.

pub mod aggs;
pub mod block_collector;
pub mod error;
pub mod fields;
pub mod get;
pub mod highlight;
pub mod request;
pub mod run;
pub mod sort;
pub mod source;
pub mod top_hits;

pub use error::{RequestError, SearchError};
pub use get::get_source;
pub use request::{count_query, SearchParams, SearchRequest};
pub use run::{count, search, UrlQuery};
