//! `logpipe agent`: tail files into Kafka.
//!
//! Threads: one file server (`tail::FileServer`) → N lanes of the ring → N producer threads (`producer`), plus
//! a checkpoint thread writing acknowledged offsets every `checkpoint_interval`. Shutdown (SIGTERM/SIGINT)
//! runs in order: the file server stops reading and exits, producers drain their lanes and wait up to
//! `producer::FLUSH_TIMEOUT` for delivery reports, then the checkpoint thread writes one last time.
//!
//! Optional threads: with `[etcd]`, one async thread (`etcd::runtime`) runs the config watcher (collect
//! entries from etcd, applied to the file server as `Command::SetEntries(local ++ etcd)`) and the status
//! publisher (`status`); with `metrics_listen`, a metrics HTTP thread (`metrics`); with `[host_metrics]`, a
//! host metrics thread (`host_metrics`). They stop first at shutdown (the status key is revoked at once).
//! With `[etcd]`, the file server refuses to open anything outside `etcd.allow_paths` + the local globs.

use crate::config::{AgentConfig, CollectEntry};
use crate::etcd::cache::ConfigCache;
use crate::etcd::config::expand_key;
use crate::etcd::runtime::AsyncThread;
use crate::etcd::watch::ConfigWatcher;
use crate::etcd::{ConfigState, PathAllowlist};
use crate::host_metrics::HostMetrics;
use crate::metrics::agent::AgentMetrics;
use crate::metrics::MetricsServer;
use crate::producer::{self, ProducerStats};
use crate::ring;
use crate::shutdown;
use crate::status::{AgentReport, StatusPublisher};
use crate::tail::checkpoint::Checkpointer;
use crate::tail::stats::TailStats;
use crate::tail::{Command, FileServer, FileServerConfig};
use anyhow::Context;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Command-line arguments of `logpipe agent`.
#[derive(clap::Args, Debug)]
#[command(long_about = AGENT_HELP)]
pub struct AgentArgs {
    /// Path of the agent's TOML configuration (see `logpipe agent --help` for every key).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Serve Prometheus metrics on this address, e.g. 127.0.0.1:9600 (overrides `metrics_listen`).
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// Benchmark mode: encode every event, then discard it instead of sending it to Kafka (the pipeline's
    /// ceiling). Checkpoints still advance, so do not point it at files you want shipped.
    #[arg(long)]
    pub blackhole: bool,
}

pub const AGENT_HELP: &str = r#"Tail log files and ship every line to Kafka.

Configuration keys (TOML; unknown keys are an error naming the key):

  data_dir = "/var/lib/logpipe"      directory of checkpoints.json (required)
  host_name = "web-1"                host.name of events (default: this machine's host name)

  [kafka]
  brokers = "127.0.0.1:9092"         bootstrap servers (required)
  acks = "all"                       all | 1 | 0 (idempotence is on with "all")
  compression = "lz4"                none | gzip | snappy | lz4 | zstd
  linger_ms = 5                      librdkafka linger.ms
  batch_size = 1000000               librdkafka batch.size, bytes
  [kafka.options]                    any librdkafka property, e.g. "security.protocol" = "ssl"

  [tail]
  poll_interval = "1s"               stat open files and rescan globs this often (inotify fallback)
  rotate_wait = "5s"                 keep a rotated or deleted file open this long after its last write
  mmap_threshold = 16777216          backlogs this large (bytes) are read through mmap
  checkpoint_interval = "1s"         how often acknowledged offsets are written

  [pipeline]
  batch_lines = 2048                 events per batch
  batch_bytes = 1048576              bytes per batch
  channel_batches = 8                batches in flight between tailer and producers (memory bound)
  producers = 2                      producer threads

  [[collect]]                        one per glob; several allowed
  path = "/var/log/app/*.log"        glob (* ? [..] **), absolute
  topic = "app_log"                  Kafka topic (required)
  exclude = ["/var/log/app/debug*"]  globs to skip
  codec = "json"                     json (ECS event) | raw (line bytes, metadata in headers)
  fields = { env = "prod" }          static fields added to every event
  max_line_bytes = 1048576           longer lines are truncated, marked log.flags=["truncated"]
  start_at = "beginning"             beginning | end, for files present at first sight
  [collect.multiline]                join lines, e.g. Java stack traces
  pattern = '^\s+at '
  negate = false
  match = "after"                    after | before
  max_lines = 500
  timeout = "5s"

  status_interval = "2s"             refresh of the status key in etcd (top-level key)
  status_ttl = "10s"                 lease of the status key: gone this long after the process died
  metrics_listen = "127.0.0.1:9600"  Prometheus endpoint GET /metrics (or --metrics-listen)

  [etcd]                             central config: collect entries from etcd, hot-reloaded
  endpoints = ["http://127.0.0.1:2379"]
  key = "/logpipe/collect/{hostname}"  value: JSON array of collect entries, e.g.
                                     [{"path":"/var/log/s4.log","topic":"s4_log"}] (every [[collect]] key
                                     accepted; topic required); added to the local [[collect]] entries
  allow_paths = ["/var/log/**"]      required: files etcd may ask for. A glob is accepted when its literal
                                     directory lies under an allowed D/** (or it is a literal path an allow
                                     glob matches); no `..`, no {a,b}. Symlinks must resolve inside too.
  status_key = "/logpipe/status/agent/{hostname}"   JSON status on a lease ({hostname}, {ip} expand)
  user = "..."  password = "..."     etcd authentication
  ca_file = "ca.pem"                 TLS (https:// endpoints); cert_file + key_file for client certs;
  tls_domain = "etcd.internal"       name expected in the server certificate
  connect_timeout = "3s"
  The last good etcd config is cached in data_dir/etcd_config.json: with etcd down at start the agent
  runs on it and keeps retrying. A bad value keeps the previous config; a bad entry keeps its previous
  version (by path); errors go to the log and the status key.

  [host_metrics]                     CPU, load, memory, disk, network as ECS events (system.*)
  interval = "10s"
  topic = "metrics"
  mount_points = ["/"]               default: every real file system
"#;

/// Runs `logpipe agent` until SIGTERM / SIGINT.
pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let mut config = AgentConfig::load(&args.config)?;
    if let Some(listen) = args.metrics_listen {
        config.metrics_listen = Some(listen);
    }
    config.blackhole = args.blackhole;
    let signals = shutdown::StopSignals::catch()?;
    let agent = Agent::start(config)?;
    signals.wait();
    log::info!("shutting down");
    agent.stop()
}

/// The machine's host name, for `host.name`.
pub fn local_host_name() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".to_string())
}

/// A running agent.
pub struct Agent {
    pub commands: Sender<Command>,
    pub tail_stats: Arc<TailStats>,
    pub producer_stats: Arc<ProducerStats>,
    /// What the etcd config watcher applied (with `[etcd]`).
    pub config_state: Option<Arc<ConfigState>>,
    tail: Tailing,
    producers: Vec<JoinHandle<anyhow::Result<()>>>,
    stop_producers: Arc<AtomicBool>,
    etcd: Option<AsyncThread>,
    metrics: Option<MetricsServer>,
    host_metrics: Option<HostMetrics>,
}

/// The etcd side of a starting agent.
struct EtcdStart {
    thread: AsyncThread,
    state: Arc<ConfigState>,
    /// Local entries plus etcd's (or the cache's).
    initial_entries: Vec<CollectEntry>,
    /// What the file server may open: allow_paths plus the local globs.
    file_allowlist: Arc<PathAllowlist>,
}

impl Agent {
    /// Starts every thread of the agent.
    pub fn start(config: AgentConfig) -> anyhow::Result<Agent> {
        let host = config.host_name.clone().unwrap_or_else(local_host_name);
        let checkpointer = Arc::new(Checkpointer::open(&config.data_dir)?);
        let (sender, lanes) =
            ring::channel(config.pipeline.producers, config.pipeline.channel_batches);
        let producer_stats = Arc::new(ProducerStats::default());
        let stop_producers = Arc::new(AtomicBool::new(false));
        // Fail fast on a bad librdkafka property instead of inside a thread.
        producer::client::config(&config.kafka)
            .create::<rdkafka::producer::BaseProducer>()
            .context("bad [kafka] settings")?;
        let lane_probes = lanes.clone();
        let mut producers = Vec::new();
        for (i, lane) in lanes.into_iter().enumerate() {
            let kafka = config.kafka.clone();
            let stop = stop_producers.clone();
            let stats = producer_stats.clone();
            let blackhole = config.blackhole;
            producers.push(
                std::thread::Builder::new()
                    .name(format!("producer-{i}"))
                    .spawn(move || {
                        if blackhole {
                            producer::run_blackhole(lane, stop, stats)
                        } else {
                            producer::run_producer(&kafka, lane, stop, stats)
                        }
                    })?,
            );
        }
        let server_config =
            FileServerConfig::new(host.clone(), &config.tail, &config.pipeline, "logs");
        let tail_stats = Arc::new(TailStats::default());
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let etcd = match &config.etcd {
            Some(_) => Some(start_etcd(
                &config,
                &host,
                commands.clone(),
                &command_rx,
                tail_stats.clone(),
                producer_stats.clone(),
            )?),
            None => None,
        };
        let tail = Tailing::start_with(
            server_config,
            etcd.as_ref()
                .map(|e| e.initial_entries.clone())
                .unwrap_or_else(|| config.collect.clone()),
            checkpointer,
            sender,
            tail_stats.clone(),
            config.tail.checkpoint_interval,
            command_rx,
            etcd.as_ref().map(|e| e.file_allowlist.clone()),
        )?;
        let host_metrics = match &config.host_metrics {
            Some(hm) => Some(HostMetrics::start(hm.clone(), &config.kafka, host)?),
            None => None,
        };
        let config_state = etcd.as_ref().map(|e| e.state.clone());
        let metrics = match &config.metrics_listen {
            Some(listen) => {
                let page = AgentMetrics {
                    tail: tail_stats.clone(),
                    producer: producer_stats.clone(),
                    config: config_state.clone(),
                    lanes: lane_probes,
                    channel_capacity: config.pipeline.channel_batches,
                    host_metrics_sent: host_metrics.as_ref().map(|h| h.sent.clone()),
                };
                Some(MetricsServer::start(
                    listen,
                    Box::new(move || page.render()),
                )?)
            }
            None => None,
        };
        Ok(Agent {
            commands,
            tail_stats,
            producer_stats,
            config_state,
            tail,
            producers,
            stop_producers,
            etcd: etcd.map(|e| e.thread),
            metrics,
            host_metrics,
        })
    }

    /// Where the metrics endpoint listens, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::addr)
    }

    /// Orderly shutdown: stop reading, drain and flush producers, write checkpoints.
    pub fn stop(self) -> anyhow::Result<()> {
        let Agent {
            tail,
            producers,
            stop_producers,
            etcd,
            metrics,
            host_metrics,
            ..
        } = self;
        if let Some(metrics) = metrics {
            metrics.stop();
        }
        if let Some(host_metrics) = host_metrics {
            host_metrics.stop();
        }
        if let Some(etcd) = etcd {
            etcd.stop();
        }
        let finish = tail.stop_reading();
        stop_producers.store(true, Ordering::Relaxed);
        for handle in producers {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => anyhow::bail!("a producer thread panicked"),
            }
        }
        finish.finish()
    }
}

/// The file server and checkpoint threads, shared by the agent and standalone mode.
pub struct Tailing {
    stop_reading: Arc<AtomicBool>,
    stop_checkpoints: Sender<()>,
    server: JoinHandle<()>,
    checkpoints: JoinHandle<anyhow::Result<()>>,
}

/// What is left of `Tailing` once reading stopped: the checkpoint thread, for its final write.
pub struct CheckpointFinish {
    stop_checkpoints: Sender<()>,
    checkpoints: JoinHandle<anyhow::Result<()>>,
}

impl Tailing {
    /// Starts the file server and the checkpoint thread.
    pub fn start(
        config: FileServerConfig,
        entries: Vec<crate::config::CollectEntry>,
        checkpointer: Arc<Checkpointer>,
        sender: ring::BatchSender,
        stats: Arc<TailStats>,
        checkpoint_interval: Duration,
    ) -> anyhow::Result<(Sender<Command>, Tailing)> {
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let tailing = Tailing::start_with(
            config,
            entries,
            checkpointer,
            sender,
            stats,
            checkpoint_interval,
            command_rx,
            None,
        )?;
        Ok((commands, tailing))
    }

    /// `start` with the command channel made by the caller, and optionally an allowlist that every file
    /// must pass before the file server opens it.
    #[allow(clippy::too_many_arguments)]
    pub fn start_with(
        config: FileServerConfig,
        entries: Vec<crate::config::CollectEntry>,
        checkpointer: Arc<Checkpointer>,
        sender: ring::BatchSender,
        stats: Arc<TailStats>,
        checkpoint_interval: Duration,
        commands: Receiver<Command>,
        allow: Option<Arc<PathAllowlist>>,
    ) -> anyhow::Result<Tailing> {
        let stop_reading = Arc::new(AtomicBool::new(false));
        let mut server = FileServer::new(
            config,
            entries,
            checkpointer.clone(),
            sender,
            commands,
            stop_reading.clone(),
            stats,
        );
        if let Some(allow) = allow {
            server = server.restrict_to(allow);
        }
        let server = std::thread::Builder::new()
            .name("file-server".into())
            .spawn(move || server.run())?;
        let (stop_checkpoints, stop) = crossbeam_channel::bounded(1);
        let checkpoints = std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || checkpoint_loop(&checkpointer, checkpoint_interval, &stop))?;
        Ok(Tailing {
            stop_reading,
            stop_checkpoints,
            server,
            checkpoints,
        })
    }

    /// Stops the file server and waits for it (its batch sender is dropped, so consumers see the end).
    pub fn stop_reading(self) -> CheckpointFinish {
        self.stop_reading.store(true, Ordering::Relaxed);
        if self.server.join().is_err() {
            log::error!("the file server thread panicked");
        }
        CheckpointFinish {
            stop_checkpoints: self.stop_checkpoints,
            checkpoints: self.checkpoints,
        }
    }
}

impl CheckpointFinish {
    /// Writes the checkpoints one last time and ends the thread.
    pub fn finish(self) -> anyhow::Result<()> {
        // A closed channel is a stop too, so the send result does not matter.
        let _ = self.stop_checkpoints.send(());
        match self.checkpoints.join() {
            Ok(result) => result,
            Err(_) => anyhow::bail!("the checkpoint thread panicked"),
        }
    }
}

/// Starts the etcd thread (config watcher + status publisher) and waits for the first config: from etcd
/// within `connect_timeout` + 1 s, else the cache in `data_dir` (and the watcher keeps retrying).
fn start_etcd(
    config: &AgentConfig,
    host: &str,
    commands: Sender<Command>,
    first: &Receiver<Command>,
    tail_stats: Arc<TailStats>,
    producer_stats: Arc<ProducerStats>,
) -> anyhow::Result<EtcdStart> {
    let Some(etcd) = &config.etcd else {
        anyhow::bail!("no [etcd] section");
    };
    let connection = etcd.connection();
    let key = expand_key(&etcd.key, host, &etcd.endpoints);
    let status_key = expand_key(&etcd.status_key, host, &etcd.endpoints);
    let allow = Arc::new(
        PathAllowlist::new(&etcd.allow_paths)
            .map_err(|e| anyhow::anyhow!("etcd.allow_paths: {e}"))?,
    );
    let local_globs: Vec<String> = config.collect.iter().map(|e| e.path.clone()).collect();
    let file_allowlist = Arc::new(
        allow
            .with_extra(&local_globs)
            .map_err(|e| anyhow::anyhow!("collect paths: {e}"))?,
    );
    let state = Arc::new(ConfigState::new(&key));
    let cache = ConfigCache::new(&config.data_dir);
    let (cached_revision, cached) = match cache.load(&key) {
        Some(c) => {
            let usable: Vec<CollectEntry> = c
                .entries
                .into_iter()
                .filter(|e| e.validate(&key, true).is_ok() && allow.permits_entry(&e.path).is_ok())
                .collect();
            (c.revision, usable)
        }
        None => (0, Vec::new()),
    };
    let watcher = ConfigWatcher::new(
        connection.clone(),
        key.clone(),
        allow,
        config.collect.clone(),
        cached.clone(),
        cache,
        commands,
        state.clone(),
    );
    let mut report = AgentReport::new(
        host.to_string(),
        tail_stats,
        producer_stats,
        Some(state.clone()),
    );
    let publisher = StatusPublisher::new(
        connection,
        status_key,
        config.status_interval,
        config.status_ttl,
        Box::new(move || report.json()),
    );
    let thread = AsyncThread::spawn("etcd", move |stop| async move {
        tokio::join!(watcher.run(stop.clone()), publisher.run(stop));
    })?;
    let initial_entries = match first.recv_timeout(etcd.connect_timeout + Duration::from_secs(1)) {
        Ok(Command::SetEntries(entries)) => entries,
        Err(_) => {
            log::warn!(
                "etcd unreachable at start: running on the cached config of {key} ({} entries, revision \
                 {cached_revision}) and retrying",
                cached.len()
            );
            state.started_from_cache(cached_revision, cached.len());
            let mut all = config.collect.clone();
            all.extend(cached);
            all
        }
    };
    Ok(EtcdStart {
        thread,
        state,
        initial_entries,
        file_allowlist,
    })
}

/// Writes checkpoints every `interval` (sleeping in between, so an idle agent costs nothing) until `stop`
/// receives or closes, then once more.
fn checkpoint_loop(
    checkpointer: &Checkpointer,
    interval: Duration,
    stop: &Receiver<()>,
) -> anyhow::Result<()> {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(interval) {
        if let Err(e) = checkpointer.write() {
            log::error!("{e:#}");
        }
    }
    checkpointer.write().map(|_| ())
}
