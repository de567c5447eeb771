//! `logpipe transfer`: Kafka consumer group → Elasticsearch `_bulk`, no loss and no duplicates.
//!
//! Threads: `kafka.consumers` consumer threads (`consumer`, each a group member with its own `BaseConsumer`,
//! decoding messages into documents with `decode`) feed one bounded channel of batches drained by
//! `pipeline.indexers` indexer threads (`crate::indexer`). Offsets are committed only once every batch holding
//! them is settled (`offsets`): indexed, or refused with a 4xx and written to the dead letter (a file, or a
//! topic via `dead_letter`). Documents carry deterministic `_id`s and use the `index` action, so whatever is
//! read twice (after `kill -9`, a rebalance, a store outage) overwrites itself. SIGTERM/SIGINT: consumers
//! send, wait for (up to `drain_timeout`) and commit everything in flight, then indexers stop; exit 0.

pub mod consumer;
pub mod continuity;
pub mod dead_letter;
pub mod decode;
pub mod filters;
pub mod lazy_document;
pub mod offsets;
pub mod stats;
pub mod status;

use crate::config::transfer::{DeadLetterDestination, TransferCodec, TransferConfig};
use crate::config::ConfigError;
use crate::indexer::http::ProductCheckError;
use crate::indexer::{
    DeadLetterSink, FileDeadLetters, HttpBulkTarget, Indexer, IndexerSettings, IndexerStats,
};
use crate::kafka::client_config;
use crate::shutdown;
use crate::systemd::{Liveness, ServiceManager};
use anyhow::Context;
use consumer::{ConsumerSettings, TransferContext};
use filters::TopicFilters;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use stats::TransferStats;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Command-line arguments of `logpipe transfer`.
#[derive(clap::Args, Debug)]
pub struct TransferArgs {
    /// Path of the transfer's TOML configuration (see `logpipe transfer --help` for every key).
    #[arg(long, short)]
    pub config: std::path::PathBuf,
    /// Check the configuration and every connection it describes (each Kafka broker with the security
    /// settings, the topics, the consumer group, Elasticsearch, etcd), print one line per check, and exit 0
    /// when all pass, 1 otherwise.
    #[arg(long)]
    pub check_config: bool,
    /// With --check-config: check the file and the files it names only, without trying any connection
    /// (the package's systemd unit runs this before a start).
    #[arg(long, requires = "check_config")]
    pub offline: bool,
}

/// The prose of `logpipe transfer --help`; the keys of transfer.toml follow it, generated from
/// `config::reference` (`cli.rs`).
pub const TRANSFER_HELP: &str = r#"Consume Kafka and index into Elasticsearch (or logpipe's store) with _bulk.

At-least-once delivery with deterministic document ids: offsets are committed only after every document
of a batch is indexed or dead-lettered, and a replay overwrites instead of duplicating.

`logpipe transfer --check-config -c FILE` checks the file, each broker, the topics, the group,
Elasticsearch and etcd, one line each, and exits 0 or 1."#;

/// Runs `logpipe transfer` until SIGTERM / SIGINT.
pub fn run(args: TransferArgs) -> anyhow::Result<()> {
    if args.check_config {
        return crate::check::check_transfer(&args.config, args.offline);
    }
    let config = TransferConfig::load(&args.config)?;
    log::info!("{}", crate::kafka::features::summary());
    let stop = shutdown::on_signal()?;
    let mut service = ServiceManager::from_env();
    // Waiting for Elasticsearch is part of the run, not of start-up: a transfer started while the cluster
    // is down tells systemd it is up (and keeps pinging) instead of failing its start timeout in a loop.
    let mut waiting = |why: &str| {
        if !service.is_enabled() {
            return;
        }
        service.ready(&format!(
            "transfer: waiting for Elasticsearch to answer GET / before consuming: {why}"
        ));
        // Each attempt is bounded by request_timeout and the wait does nothing else that could hang.
        if let Err(e) = service.start_watchdog(Liveness::check(|| true)) {
            log::warn!("watchdog: {e}");
        }
    };
    let transfer = Transfer::start(&config, stop.clone(), &mut waiting)?;
    let status = match &config.etcd {
        Some(connection) => Some(status::publish(connection.clone(), &config, &transfer)?),
        None => None,
    };
    let stats = transfer.transfer_stats.clone();
    service.start_watchdog(Liveness::progress(move || stats.polls()))?;
    service.ready(&format!(
        "transfer: consuming {:?} as group {}",
        config.kafka.topics, config.kafka.group
    ));
    let mut last_status = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last_status.elapsed() >= config.pipeline.status_interval {
            last_status = Instant::now();
            transfer.log_status();
        }
        // A consumer also finishes because SIGTERM set `stop` during the sleep: only one that ended while
        // `stop` is still clear ended on its own (a consumer reads `stop` before it returns, so a finished
        // consumer that saw it makes it visible here).
        if transfer.consumers.iter().any(JoinHandle::is_finished) && !stop.load(Ordering::Relaxed) {
            stop.store(true, Ordering::Relaxed);
            transfer.stop()?;
            anyhow::bail!("a consumer thread ended unexpectedly");
        }
    }
    log::info!("shutting down");
    service.stopping();
    let result = transfer.stop();
    if let Some(status) = status {
        status.stop();
    }
    result
}

/// `GET /` until the cluster answers (logging why not, every attempt at first, then every tenth): a
/// product the indexer does not write to is an error; so is a stop asked for meanwhile. `waiting` is
/// told why once, when the first attempt fails.
fn check_product(
    target: &mut HttpBulkTarget,
    stop: &AtomicBool,
    waiting: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let mut backoff =
        crate::indexer::backoff::Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    loop {
        match target.check_product() {
            Ok(product) => {
                log::info!("elasticsearch: writing to {product}");
                return Ok(());
            }
            Err(ProductCheckError::Unsupported { url, reason }) => {
                anyhow::bail!("elasticsearch {url}: {reason}")
            }
            Err(ProductCheckError::Unreachable(why)) => {
                if backoff.attempts() == 0 {
                    waiting(&why);
                }
                if backoff.attempts() < 3 || backoff.attempts() % 10 == 0 {
                    log::error!(
                        "elasticsearch: no usable answer to GET / (attempt {}); nothing is consumed \
                         until it answers: {why}",
                        backoff.attempts() + 1
                    );
                }
                if !backoff.sleep(stop) {
                    anyhow::bail!("stopped before Elasticsearch answered: {why}");
                }
            }
        }
    }
}

/// A running transfer.
pub struct Transfer {
    consumers: Vec<JoinHandle<()>>,
    indexers: Vec<JoinHandle<()>>,
    abandon: Arc<AtomicBool>,
    pub indexer_stats: Arc<IndexerStats>,
    pub transfer_stats: Arc<TransferStats>,
}

impl Transfer {
    /// Starts indexer and consumer threads once Elasticsearch answers `GET /` (`waiting` is told why,
    /// once, if it does not at first); consumers stop when `stop` is set.
    pub fn start(
        config: &TransferConfig,
        stop: Arc<AtomicBool>,
        waiting: &mut dyn FnMut(&str),
    ) -> anyhow::Result<Transfer> {
        let es = &config.elasticsearch;
        let auth = es.auth()?;
        let mut target = HttpBulkTarget::new(&es.all_urls(), &auth, es.request_timeout, &es.tls())?;
        check_product(&mut target, &stop, waiting)?;
        let destination = es.destination()?;
        let dead_letters: Arc<dyn DeadLetterSink> = match config.dead_letter_destination() {
            DeadLetterDestination::Topic(topic) => {
                log::info!("dead letters go to the Kafka topic {topic}");
                Arc::new(
                    dead_letter::KafkaDeadLetters::new(&config.kafka.connection(), &topic)
                        .context("dead_letter.topic")?,
                )
            }
            DeadLetterDestination::File(path) => {
                log::info!("dead letters go to the file {}", path.display());
                Arc::new(
                    FileDeadLetters::open(&path)
                        .with_context(|| format!("dead letter file {}", path.display()))?,
                )
            }
        };
        let p = &config.pipeline;
        let indexer_stats = Arc::new(IndexerStats::default());
        let transfer_stats = Arc::new(TransferStats::default());
        let abandon = Arc::new(AtomicBool::new(false));
        let indexer = Indexer {
            target: Arc::new(target),
            dead_letters,
            stats: indexer_stats.clone(),
            settings: IndexerSettings {
                backoff_initial: p.backoff_initial,
                backoff_max: p.backoff_max,
            },
            abandon: abandon.clone(),
        };
        let (batches, batch_rx) =
            crossbeam_channel::bounded(config.kafka.consumers * p.in_flight_batches);
        let mut indexers = Vec::new();
        for i in 0..p.indexers {
            let indexer = indexer.clone();
            let rx = batch_rx.clone();
            indexers.push(
                std::thread::Builder::new()
                    .name(format!("indexer-{i}"))
                    .spawn(move || indexer.run(rx))?,
            );
        }
        let settings = ConsumerSettings {
            bulk_docs: p.bulk_docs,
            bulk_bytes: p.bulk_bytes,
            flush_interval: p.flush_interval,
            in_flight_batches: p.in_flight_batches,
            drain_timeout: p.drain_timeout,
        };
        let topics: Vec<&str> = config.kafka.topics.iter().map(String::as_str).collect();
        let mut consumers = Vec::new();
        for i in 0..config.kafka.consumers {
            let name = format!("consumer-{i}");
            let context = TransferContext::new(
                name.clone(),
                batches.clone(),
                settings,
                transfer_stats.clone(),
            )
            .explaining_errors_of(config.kafka.connection());
            let consumer: BaseConsumer<TransferContext> = consumer_config(config)?
                .create_with_context(context)
                .context("bad [kafka] settings")?;
            consumer
                .subscribe(&topics)
                .context("cannot subscribe to kafka.topics")?;
            let decoder = decode::Decoder {
                codec: es.codec,
                destination: destination.clone(),
                max_document_bytes: p.max_document_bytes,
                filters: TopicFilters::new(&config.filters)?,
            };
            let raw = es.codec == TransferCodec::Raw;
            let stop = stop.clone();
            consumers.push(
                std::thread::Builder::new()
                    .name(name)
                    .spawn(move || consumer::run_consumer(consumer, &decoder, raw, &stop))?,
            );
        }
        log::info!(
            "transfer started: group {}, topics {:?}, {} consumers, {} indexers → {:?}",
            config.kafka.group,
            config.kafka.topics,
            config.kafka.consumers,
            p.indexers,
            es.all_urls()
        );
        Ok(Transfer {
            consumers,
            indexers,
            abandon,
            indexer_stats,
            transfer_stats,
        })
    }

    /// Logs one status line.
    pub fn log_status(&self) {
        let (consumed, undecodable, commits, assigned) = self.transfer_stats.totals();
        let i = self.indexer_stats.totals();
        log::info!(
            "status: consumed={consumed} indexed={} dead_lettered={} (undecodable={undecodable}) requests={} retries={} \
             abandoned_batches={} commits={commits} partitions={assigned} bulk_mean_ms={:.1} bulk_p99_ms={:.1} bulk_max_ms={:.1}",
            i.indexed,
            i.dead_lettered,
            i.requests,
            i.retries,
            i.abandoned_batches,
            i.mean_latency_ms(),
            i.latency_micros_p99 as f64 / 1000.0,
            i.latency_micros_max as f64 / 1000.0
        );
    }

    /// Waits for the consumers (the `stop` flag given to `start` must be set), then ends the indexers.
    pub fn stop(self) -> anyhow::Result<()> {
        let mut panicked = false;
        for handle in self.consumers {
            panicked |= handle.join().is_err();
        }
        // Consumers drained what they could; whatever is still retrying is abandoned (uncommitted).
        self.abandon.store(true, Ordering::Relaxed);
        for handle in self.indexers {
            panicked |= handle.join().is_err();
        }
        let final_status = Transfer {
            consumers: Vec::new(),
            indexers: Vec::new(),
            abandon: self.abandon,
            indexer_stats: self.indexer_stats,
            transfer_stats: self.transfer_stats,
        };
        final_status.log_status();
        if panicked {
            anyhow::bail!("a transfer thread panicked");
        }
        Ok(())
    }
}

/// librdkafka consumer properties: the connection's (brokers, TLS, SASL), the transfer's defaults, then
/// `[kafka.options]`.
///
/// `fetch.queue.backoff.ms` is 10 ms instead of librdkafka's 1 s. While the indexers are behind, the
/// prefetch queue fills up to `queued.max.messages.kbytes` (16 MiB) and librdkafka postpones the next fetch
/// of a partition by that backoff; the loop then drains the queue in well under a second and waits in
/// `poll` for the rest of it. Kafka → store, one transfer with 4 partitions (perf/RESULTS.md): 82–85 k
/// docs/s with 1 s (the consumer waiting in `poll` 10 of 12 s, the indexers idle 60 % of the time), 118–119 k
/// with 10 ms. The queue stays bounded: the backoff only says how soon librdkafka looks again.
fn consumer_config(config: &TransferConfig) -> Result<ClientConfig, ConfigError> {
    client_config(&config.kafka.connection(), |client| {
        client
            .set("group.id", &config.kafka.group)
            .set("client.id", "logpipe-transfer")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("queued.max.messages.kbytes", "16384")
            .set("fetch.queue.backoff.ms", "10")
            .set("topic.metadata.refresh.interval.ms", "30000");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer_property(toml_text: &str, key: &str) -> Option<String> {
        let config = TransferConfig::parse(toml_text).expect("parses");
        consumer_config(&config)
            .expect("builds")
            .get(key)
            .map(str::to_string)
    }

    const CONFIG: &str = "[kafka]\nbrokers = \"127.0.0.1:9092\"\ntopics = [\"app_log\"]\n\
                          [elasticsearch]\nurl = \"http://127.0.0.1:9200\"\n";

    #[test]
    fn a_consumer_fetches_again_10_ms_after_a_full_queue_unless_told_otherwise() {
        assert_eq!(
            consumer_property(CONFIG, "fetch.queue.backoff.ms").as_deref(),
            Some("10")
        );
        let told = format!("{CONFIG}[kafka.options]\n\"fetch.queue.backoff.ms\" = \"1000\"\n");
        assert_eq!(
            consumer_property(&told, "fetch.queue.backoff.ms").as_deref(),
            Some("1000")
        );
    }
}
