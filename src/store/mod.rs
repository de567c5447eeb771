//! Embedded log store on tantivy speaking the subset of the Elasticsearch REST API that log pipelines and
//! search pages use, so the indexer, the web console and any ES client work against it or a real cluster
//! alike.
//!
//! [`Store`] is the in-process API (cheap to clone, `Send + Sync`): `_bulk` via [`Store::bulk`], searches
//! via [`Store::search`] / [`Store::count`]. [`serve`] puts the HTTP API in front of it; [`run`] is
//! `logpipe store`: open, serve, apply retention, wait for SIGTERM/SIGINT, commit and exit.
//!
//! Module map: `schema` (mapping), `log_document` (`_source` → the document tantivy indexes), `index_set` (indices on disk, writers, group commit,
//! wildcards, retention), `translog` (write-ahead log per index), `refresher` (`?refresh=`, the periodic
//! commit), `search_activity` (search-idle indices), `bulk` (+ `bulk_response`), `query` (DSL → tantivy), `lucene_query` (`query_string` / `q=` syntax), `search` (hits, sort, paging, highlight,
//! `_source`), `msearch` (`_msearch`), `aggs`, `date_math`, `http` (routing, headers, error bodies), `error`.
//!
//! Invariant: a successful `bulk` has made its documents durable (translog), and they are searchable
//! within [`REFRESH_INTERVAL`] (a search of an index idle for [`SEARCH_IDLE_AFTER`] refreshes it first),
//! or on return with [`Refresh::True`] / [`Refresh::WaitFor`]; nothing from the outside can panic the
//! store.

mod aggs;
mod block_collector;
mod bulk;
mod bulk_response;
mod calendar_interval;
mod date_math;
mod error;
mod http;
mod index_set;
mod log_document;
mod lucene_query;
mod msearch;
mod query;
mod refresher;
mod schema;
mod search;
mod search_activity;
mod time_histogram;
mod timestamp_filter;
mod translog;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use bulk_response::BulkResponse;
pub use error::EsError;
pub use http::{serve, ServerHandle, MAX_BODY};
pub use index_set::daily_index_date;
pub use refresher::{Refresh, REFRESH_INTERVAL};
pub use search_activity::SEARCH_IDLE_AFTER;

use bulk::IdGen;
use index_set::IndexSet;

/// Command-line arguments of `logpipe store`.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Directory holding the indices.
    #[arg(long)]
    pub data_dir: std::path::PathBuf,
    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:9200")]
    pub listen: String,
    /// Delete daily indices (`name-YYYY.MM.dd`) dated more than N days before today (checked at start and
    /// hourly). Today and the N previous days are kept.
    #[arg(long)]
    pub retention_days: Option<u32>,
    /// An index nobody has searched for this long is "search idle", as in Elasticsearch
    /// (`index.search.idle.after`): it is no longer refreshed every second, which leaves more of the
    /// machine to indexing, and the next search refreshes it before it runs.
    #[arg(long, default_value = "30s", value_parser = crate::config::duration::parse)]
    pub search_idle_after: Duration,
}

struct Inner {
    set: IndexSet,
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
    /// Opens (or creates) the store in `data_dir`, opening every index found there.
    pub fn open(data_dir: &Path) -> anyhow::Result<Store> {
        Store::open_with_search_idle_after(data_dir, SEARCH_IDLE_AFTER)
    }

    /// [`Store::open`], its indices going search idle after `search_idle_after` without a search.
    pub fn open_with_search_idle_after(
        data_dir: &Path,
        search_idle_after: Duration,
    ) -> anyhow::Result<Store> {
        let (stop, stopped) = crossbeam_channel::bounded(0);
        let inner = Arc::new(Inner {
            set: IndexSet::open(data_dir)?.with_search_idle_after(search_idle_after),
            ids: IdGen::default(),
            data_dir: data_dir.to_path_buf(),
            _stop_refresher: stop,
        });
        refresher::spawn(Arc::downgrade(&inner), stopped)?;
        Ok(Store { inner })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub(crate) fn index_set(&self) -> &IndexSet {
        &self.inner.set
    }

    /// `POST /_bulk` (or `/{default_index}/_bulk`): `Ok` is the 200 response body (per-item failures are
    /// inside it, `errors: true`); `Err` is a whole-request failure with its HTTP status and ES body
    /// ([`EsError::to_body`]). On `Ok`, successful items are durable, and searchable at once if `refresh`
    /// asks for it, else within a second (a commit starts within [`REFRESH_INTERVAL`] plus one refresher tick;
    /// on a search-idle index the next search commits them before it runs).
    pub fn bulk(
        &self,
        body: &[u8],
        default_index: Option<&str>,
        refresh: Refresh,
    ) -> Result<BulkResponse, EsError> {
        bulk::bulk(
            &self.inner.set,
            &self.inner.ids,
            body,
            default_index,
            refresh,
        )
    }

    /// `POST /{index}/_refresh`: makes every write so far to `index` (`None`: all indices) searchable.
    pub fn refresh(&self, index: Option<&str>) -> Result<(), EsError> {
        let handles = match index {
            Some(expr) => self.inner.set.resolve(expr)?,
            None => self.inner.set.all(),
        };
        handles.iter().try_for_each(|h| h.refresh())
    }

    /// `_search` over `index` (a name, `a,b`, `app-*`; `None` = all indices) with an ES request body.
    pub fn search(&self, index: Option<&str>, body: &Value) -> Result<Value, EsError> {
        search::search(&self.inner.set, index, body, &Default::default())
    }

    /// `_count` over `index` with an ES request body (`{"query":..}` or `null`).
    pub fn count(&self, index: Option<&str>, body: &Value) -> Result<Value, EsError> {
        search::count(&self.inner.set, index, body, &Default::default())
    }

    /// Names of the existing indices.
    pub fn index_names(&self) -> Vec<String> {
        self.inner
            .set
            .all()
            .iter()
            .map(|h| h.name.clone())
            .collect()
    }

    /// Deletes the indices `expr` resolves to.
    pub fn delete_index(&self, expr: &str) -> Result<Vec<String>, EsError> {
        self.inner.set.delete(expr)
    }

    /// Deletes daily indices dated before `today - days` (UTC); returns their names.
    pub fn apply_retention(&self, days: u32) -> Vec<String> {
        self.inner
            .set
            .apply_retention(days, chrono::Utc::now().date_naive())
    }

    /// Commits and closes every index writer (call before exiting).
    pub fn close(&self) {
        self.inner.set.close_all();
    }
}

/// Runs retention now and then hourly until `shutdown` is set.
fn retention_loop(store: Store, days: u32, shutdown: Arc<AtomicBool>) {
    while !shutdown.load(Ordering::SeqCst) {
        let deleted = store.apply_retention(days);
        if !deleted.is_empty() {
            log::info!("store: retention deleted {deleted:?}");
        }
        let next = Instant::now() + Duration::from_secs(3600);
        while Instant::now() < next && !shutdown.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Runs `logpipe store`: serves until SIGTERM/SIGINT, then commits and exits.
pub fn run(args: StoreArgs) -> anyhow::Result<()> {
    let shutdown = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, shutdown.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, shutdown.clone())?;
    let store = Store::open_with_search_idle_after(&args.data_dir, args.search_idle_after)?;
    let retention = args.retention_days.map(|days| {
        let (store, shutdown) = (store.clone(), shutdown.clone());
        std::thread::spawn(move || retention_loop(store, days, shutdown))
    });
    let handle = serve(store.clone(), &args.listen, shutdown.clone())?;
    handle.join();
    if let Some(t) = retention {
        let _ = t.join();
    }
    log::info!("store: shutting down");
    store.close();
    Ok(())
}
