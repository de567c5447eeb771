//! One handler per API area: each reads its request model, calls the library layers and shapes the
//! answer; a failure is returned as an [`crate::api::EsError`], rendered by [`crate::api::handle`].

pub mod aliases;
pub mod bulk;
pub mod cat;
pub mod cluster;
pub mod data_streams;
pub mod documents;
pub mod indices;
pub mod mapping;
pub mod msearch;
pub mod search;
pub mod templates;

/// What a handler answers.
pub type Handled = Result<crate::api::EsResponse, crate::api::EsError>;
