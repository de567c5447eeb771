//! `logpipe store`: the embedded store ([`logpipe_store`]) served over HTTP until SIGTERM/SIGINT, with
//! optional retention of daily indices and data stream generations.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use logpipe_store::{serve_secured, Credentials, Store, StoreSettings};

use crate::listen_tls::{is_loopback, ListenTlsArgs};

use crate::systemd::{Liveness, ServiceManager};

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
    /// hourly). Today and the N previous days are kept. Data streams too: a write index holding documents
    /// is rolled over at Elasticsearch's automatic rollover age (1 day for N up to 14, 7 up to 90, else
    /// 30), and backing indices that stopped taking writes more than N days ago are deleted (never a write
    /// index).
    #[arg(long)]
    pub retention_days: Option<u32>,
    /// An index nobody has searched for this long is "search idle", as in Elasticsearch
    /// (`index.search.idle.after`): it is no longer refreshed every second, which leaves more of the
    /// machine to indexing, and the next search refreshes it before it runs.
    #[arg(long, default_value = "30s", value_parser = crate::config::duration::parse)]
    pub search_idle_after: Duration,
    #[command(flatten)]
    pub tls: ListenTlsArgs,
    /// Users allowed in, one `name:bcrypt-hash` per line as Elasticsearch's file realm and `htpasswd -nbB
    /// name password` write them (re-read when it changes). Without it (or --api-keys-file) the store
    /// answers anyone and so listens on loopback addresses only.
    #[arg(long)]
    pub users_file: Option<std::path::PathBuf>,
    /// API keys allowed in, one `id:bcrypt-hash-of-key` per line; clients send `Authorization: ApiKey
    /// base64(id:key)`.
    #[arg(long)]
    pub api_keys_file: Option<std::path::PathBuf>,
    /// Elasticsearch's `action.destructive_requires_name`: with `true` (the default, as in ES 8) deleting
    /// indices by wildcard (`DELETE /app-*`, `DELETE /*`) or `_all` is refused; `false` allows it.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub destructive_requires_name: Option<bool>,
    /// Elasticsearch's `cluster.max_shards_per_node` (default 1000): creating an index (each is one
    /// shard) beyond this many is refused with ES's `validation_exception`.
    #[arg(long, value_name = "N")]
    pub max_shards_per_node: Option<usize>,
    /// Indexing memory shared by every index writer, in MiB (default 1024; Elasticsearch's
    /// `indices.memory.index_buffer_size`). Each open writer gets an equal share, at most 128 MiB.
    #[arg(long, value_name = "MIB")]
    pub indexing_buffer_mib: Option<usize>,
    /// How many indices may have a writer (indexing and merge threads, memory) open at once (default
    /// 8); writing to another one first commits and closes the least recently written writer.
    #[arg(long, value_name = "N")]
    pub max_open_writers: Option<usize>,
    /// How many indices or data streams one `_bulk` may create (default 100); its items for further new
    /// ones are answered 429 `es_rejected_execution_exception`, which clients (and `logpipe transfer`)
    /// retry in a later request.
    #[arg(long, value_name = "N")]
    pub max_new_indices_per_request: Option<usize>,
    /// Elasticsearch's `indices.breaker.request.limit`, in MiB (default 100): the `_source` one search
    /// may gather for its hits, and the answers of one `_msearch`; past it the request fails with 429
    /// `circuit_breaking_exception`.
    #[arg(long, value_name = "MIB")]
    pub request_breaker_mib: Option<usize>,
}

/// Why the store will not serve as asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreSetupError {
    #[error(
        "--listen {0} is not a loopback address: without --users-file or --api-keys-file anyone who reaches \
         it could read and delete every index; give --users-file (and --tls-cert / --tls-key), or listen \
         on 127.0.0.1"
    )]
    OpenToTheNetwork(String),
    #[error("--listen {listen}: {source}")]
    Listen {
        listen: String,
        source: std::io::Error,
    },
}

impl StoreArgs {
    /// The store's settings: the flags given, Elasticsearch's defaults for the others.
    pub fn settings(&self) -> StoreSettings {
        let defaults = StoreSettings::default();
        StoreSettings {
            search_idle_after: self.search_idle_after,
            destructive_requires_name: self
                .destructive_requires_name
                .unwrap_or(defaults.destructive_requires_name),
            max_shards_per_node: self
                .max_shards_per_node
                .unwrap_or(defaults.max_shards_per_node),
            indexing_buffer_bytes: self
                .indexing_buffer_mib
                .map_or(defaults.indexing_buffer_bytes, |mib| {
                    mib.saturating_mul(1024 * 1024)
                }),
            max_open_writers: self.max_open_writers.unwrap_or(defaults.max_open_writers),
            max_new_indices_per_request: self
                .max_new_indices_per_request
                .unwrap_or(defaults.max_new_indices_per_request),
            request_breaker_bytes: self
                .request_breaker_mib
                .map_or(defaults.request_breaker_bytes, |mib| {
                    mib.saturating_mul(1024 * 1024)
                }),
        }
    }
}

/// Runs retention now and then hourly until `stop` is closed (or sends).
fn retention_loop(store: Store, days: u32, stop: Receiver<()>) {
    loop {
        let deleted = store.apply_retention(days);
        if !deleted.is_empty() {
            log::info!("store: retention deleted {deleted:?}");
        }
        if stop.recv_timeout(Duration::from_secs(3600)) != Err(RecvTimeoutError::Timeout) {
            return;
        }
    }
}

/// Runs `logpipe store`: serves until SIGTERM/SIGINT, then finishes the requests in progress, commits and
/// exits.
pub fn run(args: StoreArgs) -> anyhow::Result<()> {
    let credentials = if args.users_file.is_some() || args.api_keys_file.is_some() {
        Some(std::sync::Arc::new(Credentials::load(
            args.users_file.as_deref(),
            args.api_keys_file.as_deref(),
        )?))
    } else {
        let loopback = is_loopback(&args.listen).map_err(|source| StoreSetupError::Listen {
            listen: args.listen.clone(),
            source,
        })?;
        if !loopback {
            return Err(StoreSetupError::OpenToTheNetwork(args.listen.clone()).into());
        }
        None
    };
    let signals = crate::shutdown::StopSignals::catch()?;
    let store = Store::open_with(&args.data_dir, &args.settings())?;
    let (stop_retention, stopped) = crossbeam_channel::bounded(0);
    let retention = args.retention_days.map(|days| {
        let store = store.clone();
        std::thread::spawn(move || retention_loop(store, days, stopped))
    });
    let scheme = args.tls.scheme();
    let server = serve_secured(
        store.clone(),
        &args.listen,
        args.tls.settings(),
        credentials,
    )?;
    let mut service = ServiceManager::from_env();
    service.start_watchdog(Liveness::server(server.liveness_probe()))?;
    service.ready(&format!("store: serving on {scheme}://{}", server.addr()));
    signals.wait();
    log::info!("store: shutting down");
    service.stopping();
    server.stop();
    drop(stop_retention);
    if let Some(t) = retention {
        let _ = t.join();
    }
    store.close();
    Ok(())
}
