//! `logpipe standalone`: tail → ring → indexer → store in one process, no Kafka, etcd or Elasticsearch.
//!
//! Threads: the agent's file server and checkpoint thread (`tail::Tailing`), one indexing thread per ring lane
//! (`indexing`), and the store's HTTP workers. An indexing thread turns a ring batch into `_bulk` documents
//! (`_id` = the event id, index from the Logstash-style pattern) and hands them to the shared indexer, whose
//! target is the in-process store (`store_target`): the same `_bulk` protocol as against Elasticsearch. A
//! batch is acknowledged to the ring only when the store answered every item (indexed or dead-lettered), and
//! the store answers only after a durable commit — so the checkpoint protocol is the agent's, with "Kafka
//! acknowledged" replaced by "the store committed".
//!
//! The web console (`crate::console`) is served too, on `--console-listen` (default `127.0.0.1:5601`), reading
//! the in-process store directly (no etcd, so read-only). If the default address is taken, standalone runs
//! without a console and says so; an address given explicitly must be free (`off` disables the console).

mod console_backend;
pub mod indexing;
pub mod store_target;

use crate::config::standalone::{StandaloneConfig, DEFAULT_INDEX};
use crate::config::CollectEntry;
use crate::console::{Console, ConsoleSettings};
use crate::host::local_host_name;
use crate::indexer::{FileDeadLetters, IndexPattern, Indexer, IndexerSettings, IndexerStats};
use crate::ring;
use crate::shutdown;
use crate::systemd::{Liveness, ServiceManager};
use crate::tail::checkpoint::Checkpointer;
use crate::tail::stats::TailStats;
use crate::tail::FileServerConfig;
use crate::tail::Tailing;
use anyhow::Context;
use console_backend::StoreBackend;
use logpipe_store::{self as store, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Command-line arguments of `logpipe standalone`.
#[derive(clap::Args, Debug)]
pub struct StandaloneArgs {
    /// Directory holding checkpoints, dead letters and the store's indices.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Address of the store's Elasticsearch-compatible API.
    #[arg(long)]
    pub listen: Option<String>,
    /// Optional TOML file (`data_dir`, `listen`, `index`, `retention_days`, `[tail]`, `[pipeline]`, `[[collect]]`).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Index name pattern, Logstash style (default `logpipe-%{+YYYY.MM.dd}`).
    #[arg(long)]
    pub index: Option<String>,
    /// Delete daily indices older than this many days.
    #[arg(long)]
    pub retention_days: Option<u32>,
    /// Address of the web console, or `off` (default 127.0.0.1:5601).
    #[arg(long)]
    pub console_listen: Option<String>,
    /// `host.name` of events (default: this machine's host name).
    #[arg(long)]
    pub host_name: Option<String>,
    /// Globs of files to tail (added to the config file's `[[collect]]` entries).
    pub paths: Vec<String>,
}

/// Default address of the web console.
pub const DEFAULT_CONSOLE_LISTEN: &str = "127.0.0.1:5601";

/// Everything standalone needs, resolved from flags and the optional file.
pub struct StandaloneSettings {
    pub data_dir: PathBuf,
    pub listen: String,
    pub index: IndexPattern,
    pub retention_days: Option<u32>,
    pub host: String,
    pub config: StandaloneConfig,
    /// Where the console listens (`None`: no console) and whether the address was given explicitly.
    pub console_listen: Option<(String, bool)>,
}

impl StandaloneSettings {
    /// Merges flags over the file; every error names its flag or key.
    pub fn resolve(args: StandaloneArgs) -> anyhow::Result<StandaloneSettings> {
        let mut config = match &args.config {
            Some(path) => StandaloneConfig::load(path)?,
            None => StandaloneConfig::default(),
        };
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        for (i, path) in args.paths.iter().enumerate() {
            let absolute = if path.starts_with('/') {
                path.clone()
            } else {
                cwd.join(path).to_string_lossy().into_owned()
            };
            let entry = CollectEntry::for_path(&absolute);
            entry
                .validate(&format!("path argument {}", i + 1), false)
                .map_err(|e| anyhow::anyhow!(e))?;
            config.collect.push(entry);
        }
        if config.collect.is_empty() {
            anyhow::bail!("nothing to tail: give file globs as arguments (e.g. '/var/log/*.log') or [[collect]] entries in --config");
        }
        let data_dir = args
            .data_dir
            .or_else(|| config.data_dir.clone())
            .ok_or_else(|| {
                anyhow::anyhow!("--data-dir (or data_dir in the config file) is required")
            })?;
        let listen = args
            .listen
            .or_else(|| config.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:9200".to_string());
        let index_text = args
            .index
            .or_else(|| config.index.clone())
            .unwrap_or_else(|| DEFAULT_INDEX.to_string());
        let index = IndexPattern::parse(&index_text)
            .with_context(|| format!("--index / index `{index_text}`"))?;
        let retention_days = args.retention_days.or(config.retention_days);
        let host = args
            .host_name
            .or_else(|| config.host_name.clone())
            .unwrap_or_else(local_host_name);
        let console_listen = match args.console_listen.as_deref() {
            Some("off") => None,
            Some(addr) => Some((addr.to_string(), true)),
            None => Some((DEFAULT_CONSOLE_LISTEN.to_string(), false)),
        };
        Ok(StandaloneSettings {
            data_dir,
            listen,
            index,
            retention_days,
            host,
            config,
            console_listen,
        })
    }
}

/// Runs `logpipe standalone` until SIGTERM / SIGINT.
pub fn run(args: StandaloneArgs) -> anyhow::Result<()> {
    let settings = StandaloneSettings::resolve(args)?;
    let signals = shutdown::StopSignals::catch()?;
    let mut service = ServiceManager::from_env();
    let running = Standalone::start(settings)?;
    let tail_stats = running.tail_stats.clone();
    service.start_watchdog(
        Liveness::progress(move || tail_stats.passes())
            .and(Liveness::server(running.http.liveness_probe())),
    )?;
    log::info!(
        "standalone: Elasticsearch API on http://{}",
        running.api_addr()
    );
    if let Some(addr) = running.console_addr() {
        log::info!("standalone: web console on http://{addr}/");
    }
    service.ready(&format!(
        "standalone: tailing, Elasticsearch API on http://{}",
        running.api_addr()
    ));
    signals.wait();
    log::info!("shutting down");
    service.stopping();
    running.stop()
}

/// A running standalone pipeline.
pub struct Standalone {
    store: Store,
    http: store::ServerHandle,
    tail: Tailing,
    console: Option<Console>,
    indexing: Vec<std::thread::JoinHandle<()>>,
    abandon: Arc<AtomicBool>,
    pub tail_stats: Arc<TailStats>,
    pub indexer_stats: Arc<IndexerStats>,
}

impl Standalone {
    /// Opens the store, serves its API, starts tailing and indexing.
    pub fn start(settings: StandaloneSettings) -> anyhow::Result<Standalone> {
        let StandaloneSettings {
            data_dir,
            listen,
            index,
            retention_days,
            host,
            config,
            console_listen,
        } = settings;
        let store = Store::open(&data_dir.join("store"))?;
        if let Some(days) = retention_days {
            let deleted = store.apply_retention(days);
            if !deleted.is_empty() {
                log::info!("retention deleted {deleted:?}");
            }
        }
        let http = store::serve(store.clone(), &listen, None)?;
        let console = match console_listen {
            Some((addr, explicit)) => start_console(&store, &addr, explicit)?,
            None => None,
        };
        let checkpointer = Arc::new(Checkpointer::open(&data_dir)?);
        let dead_letters = FileDeadLetters::open(&data_dir.join("dead_letters.ndjson"))?;
        let indexer_stats = Arc::new(IndexerStats::default());
        let abandon = Arc::new(AtomicBool::new(false));
        let indexer = Indexer {
            target: Arc::new(store_target::StoreBulkTarget::new(store.clone())),
            dead_letters: Arc::new(dead_letters),
            stats: indexer_stats.clone(),
            settings: IndexerSettings {
                backoff_initial: Duration::from_millis(100),
                backoff_max: Duration::from_secs(5),
            },
            abandon: abandon.clone(),
        };
        let (sender, lanes) =
            ring::channel(config.pipeline.producers, config.pipeline.channel_batches);
        let index = Arc::new(index);
        let mut indexing = Vec::new();
        for (i, lane) in lanes.into_iter().enumerate() {
            let indexer = indexer.clone();
            let index = index.clone();
            indexing.push(
                std::thread::Builder::new()
                    .name(format!("indexing-{i}"))
                    .spawn(move || indexing::run(lane, &indexer, &index))?,
            );
        }
        let server_config = FileServerConfig::new(host, &config.tail, &config.pipeline, "logpipe");
        let tail_stats = Arc::new(TailStats::default());
        let (_commands, tail) = Tailing::start(
            server_config,
            config.collect,
            checkpointer,
            sender,
            tail_stats.clone(),
            config.tail.checkpoint_interval,
        )?;
        Ok(Standalone {
            store,
            http,
            tail,
            console,
            indexing,
            abandon,
            tail_stats,
            indexer_stats,
        })
    }

    /// Where the Elasticsearch-compatible API listens.
    pub fn api_addr(&self) -> std::net::SocketAddr {
        self.http.addr()
    }

    /// Where the web console listens, if it runs.
    pub fn console_addr(&self) -> Option<std::net::SocketAddr> {
        self.console.as_ref().map(Console::addr)
    }

    /// Stops reading, indexes what is in flight, writes checkpoints, closes the store.
    pub fn stop(self) -> anyhow::Result<()> {
        if let Some(console) = self.console {
            console.stop();
        }
        let finish = self.tail.stop_reading();
        for handle in self.indexing {
            if handle.join().is_err() {
                log::error!("an indexing thread panicked");
            }
        }
        self.abandon.store(true, Ordering::Relaxed);
        let result = finish.finish();
        self.http.stop();
        self.store.close();
        Ok(result?)
    }
}

/// The console over the in-process store; a taken default address only disables it (with a warning).
fn start_console(store: &Store, addr: &str, explicit: bool) -> anyhow::Result<Option<Console>> {
    let started = Console::start(ConsoleSettings {
        listen: addr.to_string(),
        backend: Arc::new(StoreBackend::new(store.clone())),
        etcd: None,
        auth_token: None,
        users_files: None,
        read_only: true,
        // Every index of this process's own store: they are all its logs.
        default_index: Some("*".to_string()),
        collect_prefix: "/logpipe/collect/".to_string(),
        status_prefix: "/logpipe/status/".to_string(),
        audit_prefix: "/logpipe/audit/".to_string(),
        tls: None,
    });
    match started {
        Ok(console) => Ok(Some(console)),
        Err(e) if !explicit => {
            log::warn!("{e:#}; running without the web console (set --console-listen)");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
