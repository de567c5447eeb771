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
//!   a slow metrics topic can never hold back log lines, and vice versa).
//!
//! Metrics are best effort: an event the local producer queue refuses is dropped and counted in the log;
//! CPU percentages need two samples, so the first events come one interval after start.

pub mod sample;

use crate::config::duration;
use crate::config::KafkaConfig;
use anyhow::Context;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `[host_metrics]` of the agent configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostMetricsConfig {
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize"
    )]
    pub interval: Duration,
    /// Kafka topic of the metric events.
    pub topic: String,
    /// Mount points to report; every real file system when empty.
    #[serde(default)]
    pub mount_points: Vec<String>,
}

fn default_interval() -> Duration {
    Duration::from_secs(10)
}

impl HostMetricsConfig {
    /// Errors name the key.
    pub fn validate(&self) -> Result<(), String> {
        crate::config::collect::validate_topic(&self.topic)
            .map_err(|e| format!("host_metrics.topic: {e}"))?;
        if self.interval < Duration::from_millis(100) {
            return Err("host_metrics.interval: must be at least 100ms".into());
        }
        Ok(())
    }
}

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
        kafka: &KafkaConfig,
        host: String,
    ) -> anyhow::Result<HostMetrics> {
        let mut client = crate::producer::client::config(kafka);
        client.set("client.id", "logpipe-host-metrics");
        let producer: BaseProducer = client
            .create()
            .context("host metrics: bad [kafka] settings")?;
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let (flag, counter) = (stop.clone(), sent.clone());
        let handle = std::thread::Builder::new()
            .name("host-metrics".into())
            .spawn(move || run(&config, &producer, &host, &flag, &counter))?;
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

fn run(
    config: &HostMetricsConfig,
    producer: &BaseProducer,
    host: &str,
    stop: &AtomicBool,
    sent: &AtomicU64,
) {
    let mut sampler = sample::Sampler::new(config.mount_points.clone());
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
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
    if let Err(e) = producer.flush(Duration::from_secs(5)) {
        log::warn!("host metrics: flush at shutdown: {e}");
    }
}
