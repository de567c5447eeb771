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
//!
//! `SIGHUP` re-reads the config file (`Agent::reload`): a changed `[kafka]` section (or a changed file it
//! names: CA, certificate, key, password) rebuilds the producers (`producer::SharedKafkaConfig`), changed
//! `[[collect]]` entries are applied like an etcd change (unchanged files keep their position), other changed
//! keys are reported as needing a restart; a file that does not parse or validate changes nothing and says
//! why in the log and the status key.

use crate::config::reload::ReloadState;
use crate::config::PathAllowlist;
use crate::config::{AgentConfig, CollectEntry, KafkaConfig};
use crate::etcd::cache::ConfigCache;
use crate::etcd::entries::EntryLimits;
use crate::etcd::key_template::expand_key;
use crate::etcd::runtime::AsyncThread;
use crate::etcd::watch::ConfigWatcher;
use crate::etcd::ConfigState;
use crate::host::local_host_name;
use crate::host_metrics::HostMetrics;
use crate::kafka::{KafkaHealth, KafkaSetupError};
use crate::metrics::agent::AgentMetrics;
use crate::metrics::MetricsServer;
use crate::producer::{self, ProducerShared, ProducerStats, SharedKafkaConfig};
use crate::ring;
use crate::shutdown::{self, Signal};
use crate::status::{AgentReport, StatusPublisher};
use crate::systemd::{Liveness, ServiceManager};
use crate::tail::checkpoint::Checkpointer;
use crate::tail::entry_sets::FileServerGone;
use crate::tail::stats::TailStats;
use crate::tail::{Command, EntrySets, FileServerConfig, Tailing};
use anyhow::Context;
use crossbeam_channel::{Receiver, Sender};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a reload waits for the file server to run the new collect entries before reporting them.
const APPLY_PATIENCE: Duration = Duration::from_secs(5);

/// Command-line arguments of `logpipe agent`.
#[derive(clap::Args, Debug)]
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
    /// Check the configuration and every connection it describes (each Kafka broker with the security
    /// settings, the topics, etcd), print one line per check, and exit 0 when all pass, 1 otherwise.
    #[arg(long)]
    pub check_config: bool,
    /// With --check-config: check the file and the files it names only, without trying any connection
    /// (the package's systemd unit runs this before a start or a reload: a broker that is down must not
    /// stop the agent from starting).
    #[arg(long, requires = "check_config")]
    pub offline: bool,
}

/// The prose of `logpipe agent --help`; the keys of agent.toml follow it, generated from
/// `config::reference` (`cli.rs`).
pub const AGENT_HELP: &str = r#"Tail log files and ship every line to Kafka.

The last good etcd config is cached in data_dir/etcd_config.json: with etcd down at start the agent runs on
it and keeps retrying. A bad etcd value keeps the previous config; a bad entry keeps its previous version (by
path); errors go to the log and the status key.

Signals: SIGTERM / SIGINT stop (acknowledged offsets are saved); SIGHUP re-reads the file: a changed [kafka]
section (or a changed CA, certificate, key or password file) rebuilds the producers without losing a line,
changed [[collect]] entries apply at once (unchanged files keep their position), other keys need a restart;
a bad file keeps the running config and says why in the log and the status key.

`logpipe agent --check-config -c FILE` checks the file, each broker (TLS, SASL), the topics and etcd; with
--offline, the file and the files it names only (what the systemd unit runs before start and reload)."#;

/// Runs `logpipe agent` until SIGTERM / SIGINT; SIGHUP reloads the config file.
pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    if args.check_config {
        return crate::check::check_agent(&args.config, args.offline);
    }
    // First, so that a SIGHUP sent while starting is a reload, not the default action (exit).
    let mut signals = shutdown::Signals::catch()?;
    let mut config = AgentConfig::load(&args.config)?;
    if let Some(listen) = &args.metrics_listen {
        config.metrics_listen = Some(listen.clone());
    }
    config.blackhole = args.blackhole;
    log::info!("{}", crate::kafka::features::summary());
    let mut service = ServiceManager::from_env();
    let mut agent = Agent::start(config, &args.config)?;
    // Serving means the file server ran its first pass (the first scan of the collect entries is done).
    if !agent.entry_sets.wait_applied(APPLY_PATIENCE)? {
        log::warn!("the file server's first pass takes longer than {APPLY_PATIENCE:?}");
    }
    let tail_stats = agent.tail_stats.clone();
    service.start_watchdog(Liveness::progress(move || tail_stats.passes()))?;
    service.ready(&agent.serving_status());
    while signals.wait_next() == Signal::Reload {
        service.reloading();
        let outcome = agent.reload(&args.config, |next| {
            if let Some(listen) = &args.metrics_listen {
                next.metrics_listen = Some(listen.clone());
            }
            next.blackhole = args.blackhole;
        });
        service.reloaded(&format!("{}; {outcome}", agent.serving_status()));
    }
    log::info!("shutting down");
    service.stopping();
    agent.stop()
}

/// Why a reloaded config was not applied (the running one stays).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0:#}")]
    File(anyhow::Error),
    #[error("[kafka]: {0}")]
    Kafka(#[from] KafkaSetupError),
    #[error("collect paths: {0}")]
    Allowlist(crate::config::allow::AllowError),
    #[error(transparent)]
    Stopped(#[from] FileServerGone),
}

/// A running agent.
pub struct Agent {
    pub commands: Sender<Command>,
    pub tail_stats: Arc<TailStats>,
    pub producer_stats: Arc<ProducerStats>,
    /// What the etcd config watcher applied (with `[etcd]`).
    pub config_state: Option<Arc<ConfigState>>,
    /// The last problem librdkafka reported, until a delivery.
    pub kafka_health: Arc<KafkaHealth>,
    /// What the last SIGHUP did.
    pub reload_state: Arc<ReloadState>,
    /// The config in force (the last good one).
    config: AgentConfig,
    /// Fingerprint of the files `[kafka]` names (a changed CA or password file is a change).
    kafka_files: u64,
    kafka: Arc<SharedKafkaConfig>,
    entry_sets: Arc<EntrySets>,
    /// `etcd.allow_paths` (with `[etcd]`): with the local globs, what the file server may open.
    etcd_allow: Option<Arc<PathAllowlist>>,
    tail: Tailing,
    producers: Vec<JoinHandle<Result<(), KafkaSetupError>>>,
    stop_producers: Arc<AtomicBool>,
    etcd: Option<AsyncThread>,
    metrics: Option<MetricsServer>,
    host_metrics: Option<HostMetrics>,
    /// With old read positions in use: the data dir, where a clean stop records the move as done.
    migrating: Option<PathBuf>,
}

/// The etcd side of a starting agent.
struct EtcdStart {
    thread: AsyncThread,
    state: Arc<ConfigState>,
    /// Local entries plus etcd's (or the cache's).
    initial_entries: Vec<CollectEntry>,
    /// `etcd.allow_paths`.
    allow: Arc<PathAllowlist>,
    /// What the file server may open: allow_paths plus the local globs.
    file_allowlist: Arc<PathAllowlist>,
}

impl Agent {
    /// Starts every thread of the agent; `config` was read from `config_file` (reloaded by `reload`).
    pub fn start(config: AgentConfig, config_file: &Path) -> anyhow::Result<Agent> {
        let host = config.host_name.clone().unwrap_or_else(local_host_name);
        let checkpointer = Arc::new(Checkpointer::open(&config.data_dir)?);
        let (sender, lanes) =
            ring::channel(config.pipeline.producers, config.pipeline.channel_batches);
        let producer_stats = Arc::new(ProducerStats::default());
        let kafka_health = Arc::new(KafkaHealth::default());
        let stop_producers = Arc::new(AtomicBool::new(false));
        // Fail fast on a bad setting, an unreadable file or a bad librdkafka property instead of inside a
        // thread.
        producer::client::config(&config.kafka)
            .map_err(KafkaSetupError::from)
            .and_then(|c| Ok(c.create::<rdkafka::producer::BaseProducer>()?))
            .context("bad [kafka] settings")?;
        log::info!(
            "kafka: {} via {}",
            config.kafka.brokers,
            config.kafka.connection().describe()
        );
        let kafka_files = kafka_files_fingerprint(&config.kafka);
        let kafka = SharedKafkaConfig::new(config.kafka.clone());
        let shared = ProducerShared {
            kafka: kafka.clone(),
            stats: producer_stats.clone(),
            health: kafka_health.clone(),
        };
        let lane_probes = lanes.clone();
        let mut producers = Vec::new();
        for (i, lane) in lanes.into_iter().enumerate() {
            let stop = stop_producers.clone();
            let shared = shared.clone();
            let blackhole = config.blackhole;
            producers.push(
                std::thread::Builder::new()
                    .name(format!("producer-{i}"))
                    .spawn(move || {
                        if blackhole {
                            producer::run_blackhole(lane, stop, shared.stats);
                            Ok(())
                        } else {
                            producer::run_producer(shared, lane, stop)
                        }
                    })?,
            );
        }
        let mut server_config =
            FileServerConfig::new(host.clone(), &config.tail, &config.pipeline, "logs");
        let mut migrating = None;
        if crate::migrate::is_done(&config.data_dir) {
            if config.migrate.is_set() {
                log::info!(
                    "migrate: the move from Logstash / Filebeat is done ({}): [migrate] is not read again",
                    crate::migrate::marker(&config.data_dir).display()
                );
            }
        } else {
            let old_positions = crate::migrate::load(&config.migrate)?;
            if !old_positions.is_empty() {
                server_config.old_positions = Some(Arc::new(old_positions));
                migrating = Some(config.data_dir.clone());
            }
        }
        let tail_stats = Arc::new(TailStats::default());
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let entry_sets = Arc::new(EntrySets::new(config.collect.clone(), commands.clone()));
        let reload_state = Arc::new(ReloadState::new(config_file));
        let etcd = match &config.etcd {
            Some(_) => Some(start_etcd(
                &config,
                &host,
                entry_sets.clone(),
                &command_rx,
                AgentReport::new(
                    host.clone(),
                    tail_stats.clone(),
                    producer_stats.clone(),
                    None,
                    kafka_health.clone(),
                    reload_state.clone(),
                ),
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
            Some(hm) => Some(HostMetrics::start(hm.clone(), kafka.clone(), host)?),
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
                    kafka_health: kafka_health.clone(),
                    reload: reload_state.clone(),
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
            kafka_health,
            reload_state,
            config,
            kafka_files,
            kafka,
            entry_sets,
            etcd_allow: etcd.as_ref().map(|e| e.allow.clone()),
            tail,
            producers,
            stop_producers,
            etcd: etcd.map(|e| e.thread),
            metrics,
            host_metrics,
            migrating,
        })
    }

    /// Where the metrics endpoint listens, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::addr)
    }

    /// One line for `systemctl status`: what the agent ships.
    pub fn serving_status(&self) -> String {
        format!(
            "agent: tailing {} files into {}",
            self.tail_stats.files(),
            self.config.kafka.brokers
        )
    }

    /// Re-reads `path` (SIGHUP); `overrides` re-applies the command-line flags. A file that cannot be used
    /// changes nothing; the outcome goes to the log and to `reload_state`, and is returned as one line.
    pub fn reload(&mut self, path: &Path, overrides: impl FnOnce(&mut AgentConfig)) -> String {
        log::info!("SIGHUP: reloading {}", path.display());
        let outcome = AgentConfig::load(path)
            .map_err(ReloadError::File)
            .and_then(|mut next| {
                overrides(&mut next);
                self.apply(next)
            });
        match outcome {
            Ok((applied, restart_needed)) => {
                if applied.is_empty() {
                    log::info!("reload: nothing to apply");
                } else {
                    log::info!("reload: applied the new {}", applied.join(" and "));
                }
                if !restart_needed.is_empty() {
                    log::warn!(
                        "reload: {} changed; that takes effect after a restart",
                        restart_needed.join(", ")
                    );
                }
                let line = if applied.is_empty() {
                    "reloaded: nothing to apply".to_string()
                } else {
                    format!("reloaded: applied {}", applied.join(", "))
                };
                self.reload_state.succeeded(applied, restart_needed);
                line
            }
            Err(e) => {
                log::error!(
                    "reload of {} refused, the running config stays: {e}",
                    path.display()
                );
                self.reload_state.failed(e.to_string());
                "reload refused, the running config stays (see the log)".to_string()
            }
        }
    }

    /// Applies what can change at run time; returns (what was applied, changed keys needing a restart).
    fn apply(&mut self, next: AgentConfig) -> Result<(Vec<String>, Vec<String>), ReloadError> {
        let restart_needed = restart_only_changes(&self.config, &next);
        let kafka_files = kafka_files_fingerprint(&next.kafka);
        let kafka_changed = next.kafka != self.config.kafka || kafka_files != self.kafka_files;
        if kafka_changed {
            // The new settings must build a client before anything changes.
            producer::client::config(&next.kafka)
                .map_err(KafkaSetupError::from)
                .and_then(|c| Ok(c.create::<rdkafka::producer::BaseProducer>()?))?;
        }
        let collect_changed = next.collect != self.config.collect;
        let file_allowlist = match (&self.etcd_allow, collect_changed) {
            (Some(allow), true) => {
                let globs: Vec<String> = next.collect.iter().map(|e| e.path.clone()).collect();
                Some(Arc::new(
                    allow.with_extra(&globs).map_err(ReloadError::Allowlist)?,
                ))
            }
            _ => None,
        };
        let mut applied = Vec::new();
        if kafka_changed {
            log::info!(
                "reload: [kafka] changed: rebuilding the producers ({} via {})",
                next.kafka.brokers,
                next.kafka.connection().describe()
            );
            self.kafka.replace(next.kafka.clone());
            self.kafka_health.clear();
            self.kafka_files = kafka_files;
            self.config.kafka = next.kafka;
            applied.push("kafka".to_string());
        }
        if collect_changed {
            if let Some(allowlist) = file_allowlist {
                self.entry_sets.send(Command::Restrict(allowlist))?;
            }
            self.entry_sets.set_local(next.collect.clone())?;
            // Reported as applied only once the file server runs the new entries: a line appended to a
            // removed entry's file after the report is never shipped.
            if !self.entry_sets.wait_applied(APPLY_PATIENCE)? {
                log::warn!(
                    "reload: the file server is busy (a lane waits for the broker); the new collect \
                     entries apply when it resumes"
                );
            }
            self.config.collect = next.collect;
            applied.push("collect".to_string());
        }
        Ok((applied, restart_needed))
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
            migrating,
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
        finish.finish()?;
        // Every file that started at an old position has its own checkpoint now.
        if let Some(data_dir) = migrating {
            if let Err(e) = crate::migrate::mark_done(&data_dir) {
                log::warn!("migrate: cannot record the move as done: {e}; [migrate] is read again at start");
            }
        }
        Ok(())
    }
}

/// Top-level keys whose change only a restart applies.
fn restart_only_changes(running: &AgentConfig, next: &AgentConfig) -> Vec<String> {
    // Compared through `Debug` (secrets print as a placeholder, so a changed etcd password is not seen).
    let pairs = [
        (
            "data_dir",
            format!("{:?}", running.data_dir),
            format!("{:?}", next.data_dir),
        ),
        (
            "host_name",
            format!("{:?}", running.host_name),
            format!("{:?}", next.host_name),
        ),
        (
            "[tail]",
            format!("{:?}", running.tail),
            format!("{:?}", next.tail),
        ),
        (
            "[pipeline]",
            format!("{:?}", running.pipeline),
            format!("{:?}", next.pipeline),
        ),
        (
            "[etcd]",
            format!("{:?}", running.etcd),
            format!("{:?}", next.etcd),
        ),
        (
            "[host_metrics]",
            format!("{:?}", running.host_metrics),
            format!("{:?}", next.host_metrics),
        ),
        (
            "[migrate]",
            format!("{:?}", running.migrate),
            format!("{:?}", next.migrate),
        ),
        (
            "status_interval / status_ttl",
            format!("{:?}", (running.status_interval, running.status_ttl)),
            format!("{:?}", (next.status_interval, next.status_ttl)),
        ),
        (
            "metrics_listen",
            format!("{:?}", running.metrics_listen),
            format!("{:?}", next.metrics_listen),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(key, _, _)| key.to_string())
        .collect()
}

/// A hash of the contents of every file `[kafka]` names (and of the password's environment variable), so a
/// reload notices a replaced CA or password file even when the config text is unchanged.
fn kafka_files_fingerprint(kafka: &KafkaConfig) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut files: Vec<&Path> = Vec::new();
    if let Some(tls) = &kafka.tls {
        files.extend(tls.files().into_iter().map(|(_, p)| p));
    }
    if let Some(sasl) = &kafka.sasl {
        files.extend(sasl.password_file.as_deref());
        if let Some(var) = &sasl.password_env {
            hasher.update(std::env::var(var).unwrap_or_default().as_bytes());
        }
    }
    for file in files {
        hasher.update(file.as_os_str().as_encoded_bytes());
        match std::fs::read(file) {
            Ok(bytes) => hasher.update(&bytes),
            Err(_) => hasher.update(b"\0unreadable"),
        }
    }
    hasher.digest()
}

/// Starts the etcd thread (config watcher + status publisher) and waits for the first config: from etcd
/// within `connect_timeout` + 1 s, else the cache in `data_dir` (and the watcher keeps retrying).
fn start_etcd(
    config: &AgentConfig,
    host: &str,
    entry_sets: Arc<EntrySets>,
    first: &Receiver<Command>,
    mut report: AgentReport,
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
    let limits = EntryLimits {
        allow: allow.clone(),
        max_line_bytes: etcd.max_line_bytes,
    };
    let state = Arc::new(ConfigState::new(&key));
    let cache = ConfigCache::new(&config.data_dir);
    let (cached_revision, cached) = match cache.load(&key) {
        Some(c) => {
            let usable: Vec<CollectEntry> = c
                .entries
                .into_iter()
                .filter(|e| limits.check(&key, e).is_ok())
                .collect();
            (c.revision, usable)
        }
        None => (0, Vec::new()),
    };
    let watcher = ConfigWatcher::new(
        connection.clone(),
        key.clone(),
        limits,
        entry_sets,
        cached.clone(),
        cache,
        state.clone(),
    );
    report.config = Some(state.clone());
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
        Ok(Command::Restrict(_) | Command::Barrier(_)) | Err(_) => {
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
        allow,
        file_allowlist,
    })
}
