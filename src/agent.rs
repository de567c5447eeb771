//! `logpipe agent`: tail files into Kafka.
//!
//! Threads: one file server (`tail::FileServer`) → N lanes of the ring → N producer threads (`producer`), plus
//! a checkpoint thread writing acknowledged offsets every `checkpoint_interval`. Shutdown (SIGTERM/SIGINT)
//! runs in order: the file server stops reading and exits, producers drain their lanes and wait up to
//! `producer::FLUSH_TIMEOUT` for delivery reports, then the checkpoint thread writes one last time.

use crate::config::AgentConfig;
use crate::producer::{self, ProducerStats};
use crate::ring;
use crate::shutdown;
use crate::tail::checkpoint::Checkpointer;
use crate::tail::stats::TailStats;
use crate::tail::{Command, FileServer, FileServerConfig};
use anyhow::Context;
use crossbeam_channel::Sender;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Command-line arguments of `logpipe agent`.
#[derive(clap::Args, Debug)]
#[command(long_about = AGENT_HELP)]
pub struct AgentArgs {
    /// Path of the agent's TOML configuration (see `logpipe agent --help` for every key).
    #[arg(long, short)]
    pub config: PathBuf,
}

const AGENT_HELP: &str = r#"Tail log files and ship every line to Kafka.

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
  channel_batches = 64               batches in flight between tailer and producers (memory bound)
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
"#;

/// Runs `logpipe agent` until SIGTERM / SIGINT.
pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let config = AgentConfig::load(&args.config)?;
    let stop = shutdown::on_signal()?;
    let agent = Agent::start(config)?;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
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
    tail: Tailing,
    producers: Vec<JoinHandle<anyhow::Result<()>>>,
    stop_producers: Arc<AtomicBool>,
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
        let mut producers = Vec::new();
        for (i, lane) in lanes.into_iter().enumerate() {
            let kafka = config.kafka.clone();
            let stop = stop_producers.clone();
            let stats = producer_stats.clone();
            producers.push(
                std::thread::Builder::new()
                    .name(format!("producer-{i}"))
                    .spawn(move || producer::run_producer(&kafka, lane, stop, stats))?,
            );
        }
        let server_config = FileServerConfig {
            host,
            poll_interval: config.tail.poll_interval,
            rotate_wait: config.tail.rotate_wait,
            mmap_threshold: config.tail.mmap_threshold,
            batch_lines: config.pipeline.batch_lines,
            batch_bytes: config.pipeline.batch_bytes,
            default_topic: "logs".to_string(),
        };
        let tail_stats = Arc::new(TailStats::default());
        let (commands, tail) = Tailing::start(
            server_config,
            config.collect.clone(),
            checkpointer,
            sender,
            tail_stats.clone(),
            config.tail.checkpoint_interval,
        )?;
        Ok(Agent {
            commands,
            tail_stats,
            producer_stats,
            tail,
            producers,
            stop_producers,
        })
    }

    /// Orderly shutdown: stop reading, drain and flush producers, write checkpoints.
    pub fn stop(self) -> anyhow::Result<()> {
        let Agent {
            tail,
            producers,
            stop_producers,
            ..
        } = self;
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
    stop_checkpoints: Arc<AtomicBool>,
    server: JoinHandle<()>,
    checkpoints: JoinHandle<anyhow::Result<()>>,
}

/// What is left of `Tailing` once reading stopped: the checkpoint thread, for its final write.
pub struct CheckpointFinish {
    stop_checkpoints: Arc<AtomicBool>,
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
        let stop_reading = Arc::new(AtomicBool::new(false));
        let server = FileServer::new(
            config,
            entries,
            checkpointer.clone(),
            sender,
            command_rx,
            stop_reading.clone(),
            stats,
        );
        let server = std::thread::Builder::new()
            .name("file-server".into())
            .spawn(move || server.run())?;
        let stop_checkpoints = Arc::new(AtomicBool::new(false));
        let stop = stop_checkpoints.clone();
        let checkpoints = std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || checkpoint_loop(&checkpointer, checkpoint_interval, &stop))?;
        Ok((
            commands,
            Tailing {
                stop_reading,
                stop_checkpoints,
                server,
                checkpoints,
            },
        ))
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
        self.stop_checkpoints.store(true, Ordering::Relaxed);
        match self.checkpoints.join() {
            Ok(result) => result,
            Err(_) => anyhow::bail!("the checkpoint thread panicked"),
        }
    }
}

fn checkpoint_loop(
    checkpointer: &Checkpointer,
    interval: Duration,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(interval));
        if last.elapsed() >= interval {
            last = Instant::now();
            if let Err(e) = checkpointer.write() {
                log::error!("{e:#}");
            }
        }
    }
    checkpointer.write().map(|_| ())
}
