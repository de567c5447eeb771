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
#[command(after_help = TRANSFER_HELP)]
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

const TRANSFER_HELP: &str = r#"Consume Kafka and index into Elasticsearch (or logpipe's store) with _bulk.

At-least-once delivery with deterministic document ids: offsets are committed only after every document
of a batch is indexed or dead-lettered, and a replay overwrites instead of duplicating.

Configuration keys (TOML; unknown keys are an error naming the key):

  [kafka]
  brokers = "127.0.0.1:9092"         bootstrap servers (required)
  security_protocol = "plaintext"    plaintext | ssl | sasl_plaintext | sasl_ssl
  group = "logpipe-transfer"         consumer group; processes of one group share the partitions
  topics = ["app_log", "^web_.*"]    topics; a leading ^ makes a regex (required)
  consumers = 1                      consumer threads in this process (group members)
  [kafka.tls]                        as the agent's: ca_file, cert_file, key_file, key_password_file,
                                     verify_hostname (the same keys as [etcd.tls])
  [kafka.sasl]                       as the agent's: mechanism (PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 |
                                     OAUTHBEARER | GSSAPI), username, password_file | password_env | password
  [kafka.options]                    any other librdkafka consumer property, e.g. "session.timeout.ms" =
                                     "10000"; repeating a property a typed key sets is an error naming both

  [elasticsearch]
  url = "http://127.0.0.1:9200"      base URL; or urls = ["http://a:9200", "https://b:9200"] (round robin)
  user = "elastic"                   basic auth, with password_file = "/etc/logpipe/es.pass" (first line),
                                     password_env = "ES_PASSWORD" or password = "..." (one of them)
  api_key = "base64(id:key)"         or an API key
  ssl_certificate_authorities = ["/etc/logpipe/es-ca.pem"]   PEM CAs to trust instead of the public roots
  ssl_certificate = "client.pem"     client certificate, with ssl_key = "client.key"
  ssl_verification_mode = "full"     full | certificate (chain only, no host name) | none (warned about)
  action = "index"                   index (a replay overwrites) | create (a replay's 409 counts as done)
  pipeline = "%{[fields][pipeline]}" ingest pipeline per document (sprintf); routing = "..." likewise
  data_stream = false                true: create actions to {type}-{dataset}-{namespace}, with
                                     data_stream_type = "logs" (logs | metrics | synthetics | traces),
                                     data_stream_dataset = "generic", data_stream_namespace = "default"
                                     (sprintf; sanitised as Elasticsearch's reroute processor does), the
                                     event's own data_stream.* fields first (data_stream_auto_routing = true)
                                     and written into it (data_stream_sync_fields = true); not with index
                                     Before consuming, GET / must answer Elasticsearch >= 7.10, OpenSearch 1-2
                                     or logpipe's store; anything else stops the transfer with what it found.
  index = "%{[topic]}-%{+YYYY.MM.dd}" (the default) Logstash sprintf: %{+date} from @timestamp (UTC; yyyy YYYY xxxx ww
                                     MM dd HH mm ss SSS), %{[a][b]} / %{a} from the document, %{[topic]} the
                                     Kafka topic; a document the pattern cannot fill goes to the dead letter
  codec = "json"                     json: the message is the document (non-JSON → {"message": ...} tagged
                                     _jsonparsefailure); raw: {"message": ...} plus the agent's raw headers
  request_timeout = "60s"            one _bulk request

  [pipeline]
  bulk_docs = 5000                   documents per _bulk request at most
  bulk_bytes = 5242880               bytes per _bulk request at most
  flush_interval = "1s"              a partial batch is sent after this long
  indexers = 2                       indexer threads
  in_flight_batches = 4              batches in flight per consumer before its partitions are paused
  max_document_bytes = 10485760      larger messages go to the dead letter
  backoff_initial = "100ms"          retry delay of 429 / 5xx / connection errors, doubling up to
  backoff_max = "30s"
  drain_timeout = "10s"              SIGTERM and partition revocation wait this long for batches in flight
  status_interval = "10s"            status line period

  data_dir = "/var/lib/logpipe"      directory of the default dead-letter file (top-level key)

  [dead_letter]                      optional: where refused documents go, with the reason (one of;
                                     default: data_dir/dead_letters.ndjson):
  path = "/var/lib/logpipe/dead.ndjson"   an NDJSON file (fsynced)
  topic = "logpipe_dead_letters"     a Kafka topic on the same brokers

  [filters]                          optional: Logstash filters per topic, run on each decoded document
  app_log = [ { json = { source = "message" } } ]      a topic name, or "^regex" (the first matching
  "^web_.*" = [ { grok = { match = { message = "%{COMBINEDAPACHELOG}" } } } ]   in file order); a drop
                                     filter leaves the message unindexed (its offset is committed)

  [etcd]                             optional: fleet status at /logpipe/status/transfer/{host}-{pid}
  endpoints = ["http://127.0.0.1:2379"]   on a lease, refreshed every 2 s, gone when the process dies
  user = "..."                       with password = "..."; tls_domain = "etcd.internal"
  connect_timeout = "3s"
  [etcd.tls]                         ca_file, cert_file, key_file as in [kafka.tls] (the older flat
                                     [etcd] ca_file / cert_file / key_file keys are accepted as aliases)

The dead-letter topic's producer uses the [kafka] connection settings (TLS, SASL) too.
`logpipe transfer --check-config -c FILE` checks the file, each broker, the topics, the group,
Elasticsearch and etcd, one line each, and exits 0 or 1.
"#;

/// Runs `logpipe transfer` until SIGTERM / SIGINT.
pub fn run(args: TransferArgs) -> anyhow::Result<()> {
    if args.check_config {
        return crate::check::check_transfer(&args.config, args.offline);
    }
    let config = TransferConfig::load(&args.config)?;
    log::info!("{}", crate::kafka::features::summary());
    let stop = shutdown::on_signal()?;
    let mut service = ServiceManager::from_env();
    let transfer = Transfer::start(&config, stop.clone())?;
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
/// product the indexer does not write to is an error; so is a stop asked for meanwhile.
fn check_product(target: &mut HttpBulkTarget, stop: &AtomicBool) -> anyhow::Result<()> {
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
    /// Starts indexer and consumer threads; consumers stop when `stop` is set.
    pub fn start(config: &TransferConfig, stop: Arc<AtomicBool>) -> anyhow::Result<Transfer> {
        let es = &config.elasticsearch;
        let auth = es.auth()?;
        let mut target = HttpBulkTarget::new(&es.all_urls(), &auth, es.request_timeout, &es.tls())?;
        check_product(&mut target, &stop)?;
        let destination = es.destination().map_err(anyhow::Error::msg)?;
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
                        .map_err(anyhow::Error::msg)
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
                filters: TopicFilters::new(&config.filters).map_err(anyhow::Error::msg)?,
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
             abandoned_batches={} commits={commits} partitions={assigned} bulk_mean_ms={:.1} bulk_max_ms={:.1}",
            i.indexed,
            i.dead_lettered,
            i.requests,
            i.retries,
            i.abandoned_batches,
            i.mean_latency_ms(),
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
            .set("topic.metadata.refresh.interval.ms", "30000");
    })
}
