//! Host metrics as log events: CPU, load, memory, file systems and network counters of this machine, sent
//! to a Kafka topic every `interval` so they are indexed and charted like logs.
//!
//! ```toml
//! [host_metrics]
//! interval = "10s"
//! topic = "metrics"
//! mount_points = ["/", "/var"]     # optional; default: every real file system
//! ```
//!
//! - `sample`: reading `/proc/stat`, `/proc/loadavg`, `/proc/meminfo`, `/proc/self/mounts` + `statvfs(3)`
//!   and `/proc/net/dev`, and shaping Metricbeat-style ECS documents (`system.cpu.total.norm.pct`,
//!   `system.memory.used.pct`, `system.load.1`, `system.filesystem.used.pct`, `system.network.in.bytes`, …)
//!   with `@timestamp`, `host.name`, `event.dataset = "system.metrics"` and `metricset.name`.
//! - this module: the thread, with a `BaseProducer` of its own (the log producers' lanes are not shared, so
//!   a slow metrics topic can never hold back log lines, and vice versa), built from the same `[kafka]`
//!   settings (TLS, SASL) and rebuilt when a `SIGHUP` reload replaces them.
//!
//! Metrics are best effort: an event the local producer queue refuses is dropped and counted in the log;
//! CPU percentages need two samples, so the first events come one interval after start.

pub mod sample;

use crate::config::{HostMetricsConfig, KafkaConfig};
use crate::kafka::KafkaSetupError;
use crate::producer::SharedKafkaConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The running host metrics thread.
pub struct HostMetrics {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    /// Events handed to the producer since start.
    pub sent: Arc<AtomicU64>,
}

impl HostMetrics {
    /// Starts sampling and sending.
    pub fn start(
        config: HostMetricsConfig,
        kafka: Arc<SharedKafkaConfig>,
        host: String,
    ) -> Result<HostMetrics, HostMetricsError> {
        let (generation, settings) = kafka.current();
        let producer = create_producer(&settings)?;
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let (flag, counter) = (stop.clone(), sent.clone());
        let handle = std::thread::Builder::new()
            .name("host-metrics".into())
            .spawn(move || {
                let mut client = Client {
                    producer,
                    generation,
                    kafka,
                };
                run(&config, &mut client, &host, &flag, &counter)
            })
            .map_err(HostMetricsError::Thread)?;
        Ok(HostMetrics {
            stop,
            handle: Some(handle),
            sent,
        })
    }

    /// Stops and flushes (up to 5 s).
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            if handle.join().is_err() {
                log::error!("the host metrics thread panicked");
            }
        }
    }
}

impl Drop for HostMetrics {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Why the host metrics thread could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostMetricsError {
    #[error("host metrics: {0}")]
    Kafka(#[from] KafkaSetupError),
    #[error("host metrics: cannot start its thread: {0}")]
    Thread(std::io::Error),
}

fn create_producer(kafka: &KafkaConfig) -> Result<BaseProducer, KafkaSetupError> {
    let mut client = crate::producer::client::config(kafka)?;
    client.set("client.id", "logpipe-host-metrics");
    Ok(client.create()?)
}

/// The thread's client and the generation of the settings it was built from.
struct Client {
    producer: BaseProducer,
    generation: u64,
    kafka: Arc<SharedKafkaConfig>,
}

impl Client {
    /// Rebuilds the client after a reload (metrics are best effort: the old one gets a second to deliver).
    fn follow(&mut self) {
        if self.kafka.generation() == self.generation {
            return;
        }
        let (generation, settings) = self.kafka.current();
        self.generation = generation;
        match create_producer(&settings) {
            Ok(producer) => {
                let old = std::mem::replace(&mut self.producer, producer);
                let _ = old.flush(Duration::from_secs(1));
            }
            Err(e) => log::error!(
                "host metrics: reloaded [kafka] settings refused ({e}); keeping the previous ones"
            ),
        }
    }
}

fn run(
    config: &HostMetricsConfig,
    client: &mut Client,
    host: &str,
    stop: &AtomicBool,
    sent: &AtomicU64,
) {
    let mut sampler = sample::Sampler::new(config.mount_points.clone());
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        client.follow();
        let producer = &client.producer;
        producer.poll(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(50).min(config.interval));
        if last.elapsed() < config.interval {
            continue;
        }
        last = Instant::now();
        for event in sampler.sample(host) {
            let payload = event.to_string();
            let record = BaseRecord::<str, str>::to(&config.topic)
                .key(host)
                .payload(&payload);
            match producer.send(record) {
                Ok(()) => {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Err((e, _)) => log::warn!("host metrics to {}: {e}; event dropped", config.topic),
            }
        }
    }
    if let Err(e) = client.producer.flush(Duration::from_secs(5)) {
        log::warn!("host metrics: flush at shutdown: {e}");
    }
}
