//! `_bulk`: the store's write path.
//!
//! - [`request`]: the NDJSON body read into actions ([`BulkError`] when it cannot be);
//! - [`execute`]: the actions run against their indices, durable on return; [`target`]: which index a
//!   name's actions go to (plain index, data stream, backing index) and what a data stream refuses;
//! - [`response`]: what happened to each action ([`BulkResponse`], [`ItemError`] for a failed one);
//! - [`ids`]: `_id`s for documents sent without one.
//!
//! Architecture invariant: this layer reports outcomes and typed errors; the ES JSON of the response and
//! the status and type of each error are the API layer's.

pub mod error;
pub mod execute;
pub mod ids;
pub mod request;
pub mod response;
pub mod target;
#[cfg(test)]
mod tests;

pub use error::{BulkError, ItemError};
pub use execute::{bulk, bulk_with_pipeline};
pub use ids::IdGen;
pub use response::BulkResponse;
