//! Integration tests of the embedded store's Elasticsearch-compatible HTTP API, one module per API area.
//!
//! Each test opens its own store in a temp dir, serves it on `127.0.0.1:0` and talks HTTP with ureq
//! (`common`), or sends tables of requests with their expected answers (`check`). Tests of the `logpipe store` process itself (kill -9, SIGTERM) are the root package's.

mod aggs;
mod aliases;
mod api;
mod bulk;
mod cat;
mod check;
mod common;
mod data_streams;
mod documents;
mod grafana;
mod indices;
mod layers;
mod limits;
mod mapping;
mod msearch;
mod open_close;
mod query;
mod search;
mod search_idle;
mod versions;
