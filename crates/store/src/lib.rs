//! Embedded log store on tantivy speaking the subset of the Elasticsearch REST API that log pipelines and
//! search pages use, so the indexer, the web console and any ES client work against it or a real cluster
//! alike.
//!
//! [`Store`] is the in-process API (cheap to clone, `Send + Sync`): `_bulk` via [`Store::bulk`], searches
//! via [`Store::search`] / [`Store::count`], each failing with a typed error. [`api::handle`] answers an
//! ES REST request ([`api::EsRequest`] → [`api::EsResponse`]) whatever HTTP server received it; [`serve`]
//! puts a HTTP front (logpipe-http) before it. The `logpipe store` subcommand (root package, `src/store.rs`)
//! opens, serves, applies retention and closes it on SIGTERM.
//!
//! Module map (each module's documentation says more):
//! - `api/`: the ES REST edge: routing, one handler per API area, request models, the ES error body and
//!   the mapping of every typed error to a status and ES type, media types, the HTTP front (logpipe-http);
//! - `index/`: indices on disk: the index set (auto-create, `a,b` / `app-*` / `_all`, delete, close and
//!   open), documents' `_seq_no` and `_version`, one
//!   index's writer and commits, the translog, the refresher, search-idle indices, the on-disk format tag,
//!   retention, index names; composable index templates, data streams and aliases (their metadata in
//!   versioned files under `_state/`, rollover, retention of backing indices); each index's identity
//!   (`index.uuid`) and the mapping `_mapping` / `_field_caps` report;
//! - `bulk/`: `_bulk`: the NDJSON body read, actions run against their indices, the typed outcome;
//! - `doc/`: the schema, a `_source` parsed into the document tantivy indexes, dates (formats, time zones);
//! - `query/`: the query DSL and Lucene syntax → tantivy queries, date math, `@timestamp` filters, words of
//!   string fields found at query time;
//! - `search/`: `_search` / `_count` / get: the request, the top-hits collector and sort, `_source`
//!   filtering, highlighting, aggregations (with the fast `@timestamp` histogram);
//! - `wildcard`: ES wildcard expressions (`app-*`, `host.*`), the one matcher;
//! - `breaker`: ES's request circuit breaker, what one search or `_msearch` may gather into its answer;
//! - `fuzzing` (feature `fuzzing`, and in tests): what the fuzz targets in `fuzz/` call; its tests replay
//!   their seed corpus and every input a fuzzer found a fault with (`fuzz/regressions/`).
//!
//! Dependencies go one way: `api` → `bulk`, `search` → `index`, `query` → `doc`. Architecture
//! invariant: only `api` knows HTTP statuses and ES error bodies; the other layers return typed errors
//! (thiserror), which `api/error_map.rs` maps.
//!
//! Invariant: a successful `bulk` has made its documents durable (translog), and they are searchable
//! within [`REFRESH_INTERVAL`] (a search of an index idle for [`SEARCH_IDLE_AFTER`] refreshes it first),
//! or on return with [`Refresh::True`] / [`Refresh::WaitFor`]; nothing from the outside can panic the
//! store.

pub mod api;
mod breaker;
mod bulk;
mod doc;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod query;
mod search;
mod wildcard;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use api::{
    serve, serve_secured, Credentials, CredentialsError, EsError, ServeError, ServerHandle,
    MAX_BODY,
};
pub use bulk::response::{BulkItem, ItemOutcome, ItemResult};
pub use bulk::{BulkError, BulkResponse, ItemError};
pub use doc::DocumentError;
pub use index::error::{FormatError, TranslogError};
pub use index::refresher::{Refresh, REFRESH_INTERVAL};
pub use index::search_activity::SEARCH_IDLE_AFTER;
pub use index::{daily_index_date, IndexError, StoreSettings};
pub use query::date_math::DateMathError;
pub use query::QueryError;
pub use search::aggs::error::CalendarError;
pub use search::aggs::AggError;
pub use search::{RequestError, SearchError, SearchParams};

use bulk::IdGen;
use index::IndexSet;
use search::{count_query, SearchRequest};

// Tests, benchmarks and examples of the store allocate as the `logpipe` binary does.
use logpipe_alloc as _;

struct Inner {
    set: Arc<IndexSet>,
    ids: IdGen,
    data_dir: PathBuf,
    /// Dropped with the store, which stops the refresher.
    _stop_refresher: crossbeam_channel::Sender<()>,
}

/// The store: every index under one data directory.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Opens (or creates) the store in `data_dir`, opening every index found there, with ES's default
    /// settings.
    pub fn open(data_dir: &Path) -> Result<Store, IndexError> {
        Store::open_with(data_dir, &StoreSettings::default())
    }

    /// [`Store::open`], its indices going search idle after `search_idle_after` without a search.
    pub fn open_with_search_idle_after(
        data_dir: &Path,
        search_idle_after: Duration,
    ) -> Result<Store, IndexError> {
        let settings = StoreSettings {
            search_idle_after,
            ..StoreSettings::default()
        };
        Store::open_with(data_dir, &settings)
    }

    /// [`Store::open`] with `settings`.
    pub fn open_with(data_dir: &Path, settings: &StoreSettings) -> Result<Store, IndexError> {
        let (stop, stopped) = crossbeam_channel::bounded(0);
        let set = Arc::new(IndexSet::open(data_dir, settings)?);
        index::refresher::spawn(Arc::downgrade(&set), stopped)?;
        Ok(Store {
            inner: Arc::new(Inner {
                set,
                ids: IdGen::default(),
                data_dir: data_dir.to_path_buf(),
                _stop_refresher: stop,
            }),
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub(crate) fn index_set(&self) -> &IndexSet {
        &self.inner.set
    }

    /// `POST /_bulk` (or `/{default_index}/_bulk`): `Ok` is the answer (per-item failures are inside it,
    /// [`BulkResponse::errors`]); `Err` is a body refused whole. On `Ok`, successful items are durable,
    /// and searchable at once if `refresh` asks for it, else within a second (a commit starts within
    /// [`REFRESH_INTERVAL`] plus one refresher tick; on a search-idle index the next search commits them
    /// before it runs).
    pub fn bulk(
        &self,
        body: &[u8],
        default_index: Option<&str>,
        refresh: Refresh,
    ) -> Result<BulkResponse, BulkError> {
        bulk::bulk(
            &self.inner.set,
            &self.inner.ids,
            body,
            default_index,
            refresh,
        )
    }

    /// [`Store::bulk`] with the request's `?pipeline=`: the store runs no ingest pipeline, so every
    /// `index` / `create` naming one (here or in its action line; `_none` names none) fails as ES fails
    /// one naming a pipeline it does not know.
    pub fn bulk_with_pipeline(
        &self,
        body: &[u8],
        default_index: Option<&str>,
        pipeline: Option<&str>,
        refresh: Refresh,
    ) -> Result<BulkResponse, BulkError> {
        bulk::bulk_with_pipeline(
            &self.inner.set,
            &self.inner.ids,
            body,
            default_index,
            pipeline,
            refresh,
        )
    }

    /// `POST /{index}/_refresh`: makes every write so far to `index` (`None`: all indices) searchable;
    /// returns how many indices it refreshed.
    pub fn refresh(&self, index: Option<&str>) -> Result<usize, IndexError> {
        let handles = match index {
            Some(expr) => self.inner.set.resolve(expr)?,
            None => self.inner.set.all(),
        };
        handles.iter().try_for_each(|h| h.refresh())?;
        Ok(handles.len())
    }

    /// `_search` over `index` (a name, `a,b`, `app-*`; `None` = all indices) with an ES request body;
    /// returns ES's response.
    pub fn search(&self, index: Option<&str>, body: &Value) -> Result<Value, SearchError> {
        let request = SearchRequest::parse(body, &SearchParams::default())?;
        search::search(&self.inner.set, index, &request)
    }

    /// `_count` over `index` with an ES request body (`{"query":..}` or `null`); returns ES's response.
    pub fn count(&self, index: Option<&str>, body: &Value) -> Result<Value, SearchError> {
        let query = count_query(body)?;
        search::count(&self.inner.set, index, query, search::UrlQuery::default())
    }

    /// How many indices have their tantivy writer open (at most `max_open_writers`).
    pub fn open_writers(&self) -> usize {
        self.inner.set.open_writers()
    }

    /// Names of the existing indices.
    pub fn index_names(&self) -> Vec<String> {
        self.inner.set.names()
    }

    /// Names of the data streams, in name order.
    pub fn data_stream_names(&self) -> Vec<String> {
        let streams = self.inner.set.data_streams(None).unwrap_or_default();
        streams.into_iter().map(|stream| stream.name).collect()
    }

    /// Names of the aliases, each once, in name order.
    pub fn alias_names(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<String> = match self.inner.set.aliases_of(None, None)
        {
            Ok((by_index, _)) => by_index.into_values().flat_map(|a| a.into_keys()).collect(),
            Err(_) => Default::default(),
        };
        names.into_iter().collect()
    }

    /// Deletes the indices `expr` resolves to.
    pub fn delete_index(&self, expr: &str) -> Result<Vec<String>, IndexError> {
        self.inner.set.delete(expr)
    }

    /// Deletes daily indices dated before `today - days` (UTC), and the backing indices of data streams
    /// that stopped taking writes before then (rolling a write index over once it is old enough; never
    /// deleting one); returns their names.
    pub fn apply_retention(&self, days: u32) -> Vec<String> {
        self.inner
            .set
            .apply_retention(days, chrono::Utc::now().date_naive())
    }

    /// Commits and closes every writer (call before exiting).
    pub fn close(&self) {
        self.inner.set.close_all();
    }
}
