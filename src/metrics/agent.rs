//! The agent's metrics page: `logpipe_agent_*` families plus `process_*`.
//!
//! Counters come straight from the atomics the threads already keep (`TailStats`, `ProducerStats`,
//! `ConfigState`); per-file lag is the file server's list as of its last poll (`[tail] poll_interval`).

use super::text::MetricsText;
use crate::config::reload::ReloadState;
use crate::etcd::ConfigState;
use crate::kafka::KafkaHealth;
use crate::producer::ProducerStats;
use crate::ring::BatchReceiver;
use crate::tail::stats::TailStats;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the agent's metrics are read from.
pub struct AgentMetrics {
    pub tail: Arc<TailStats>,
    pub producer: Arc<ProducerStats>,
    pub config: Option<Arc<ConfigState>>,
    /// Clones of the producers' lanes, for the channel depth.
    pub lanes: Vec<BatchReceiver>,
    pub channel_capacity: usize,
    /// Host metrics events sent, when `[host_metrics]` is on.
    pub host_metrics_sent: Option<Arc<AtomicU64>>,
    /// The producers' connection problems.
    pub kafka_health: Arc<KafkaHealth>,
    /// SIGHUP reloads of the config file.
    pub reload: Arc<ReloadState>,
}

impl AgentMetrics {
    /// The whole page.
    pub fn render(&self) -> String {
        let mut m = MetricsText::new();
        m.counter(
            "logpipe_agent_lines_read_total",
            "Events (lines, or joined multiline events) read from files.",
            self.tail.lines() as f64,
        );
        m.counter(
            "logpipe_agent_bytes_read_total",
            "Bytes read from files.",
            self.tail.bytes() as f64,
        );
        let (adopted, refused) = self.tail.positions();
        m.counter(
            "logpipe_agent_positions_adopted_total",
            "Files started at the read position of the Logstash / Filebeat logpipe replaces ([migrate]).",
            adopted as f64,
        );
        m.counter(
            "logpipe_agent_positions_refused_total",
            "Old read positions that did not fit their file (shorter, or a reused inode).",
            refused as f64,
        );
        let (sent, acked, failed, client_errors) = self.producer.totals();
        m.counter(
            "logpipe_agent_events_sent_total",
            "Events handed to the Kafka producer.",
            sent as f64,
        );
        m.counter(
            "logpipe_agent_events_acked_total",
            "Events acknowledged by Kafka.",
            acked as f64,
        );
        m.counter(
            "logpipe_agent_events_dropped_total",
            "Events a drop filter dropped (not sent; the checkpoint moves past them).",
            self.producer.filtered_out_total() as f64,
        );
        m.counter(
            "logpipe_agent_events_failed_total",
            "Delivery failures reported by Kafka (each failed event is retried).",
            failed as f64,
        );
        m.counter(
            "logpipe_agent_kafka_client_errors_total",
            "Errors reported by the Kafka client (connection, broker).",
            client_errors as f64,
        );
        let problem = self.kafka_health.problem();
        m.gauge(
            "logpipe_agent_kafka_up",
            "0 while the last problem the Kafka client reported (TLS, authentication, unreachable broker) \
             has not been followed by a delivery, else 1.",
            if problem.is_some() { 0.0 } else { 1.0 },
        );
        let by_cause: Vec<_> = self
            .kafka_health
            .errors_by_cause()
            .into_iter()
            .map(|(cause, n)| (vec![("cause", cause.as_str().to_string())], n as f64))
            .collect();
        m.family(
            "logpipe_agent_kafka_errors_total",
            "Errors reported by the Kafka client, by cause (tls_untrusted, authentication, unreachable, ...).",
            "counter",
            &by_cause,
        );
        let (reloads_ok, reloads_failed) = self.reload.totals();
        m.family(
            "logpipe_agent_config_file_reloads_total",
            "SIGHUP reloads of the config file, applied (ok) or refused (error).",
            "counter",
            &[
                (vec![("result", "ok".to_string())], reloads_ok as f64),
                (vec![("result", "error".to_string())], reloads_failed as f64),
            ],
        );
        m.counter(
            "logpipe_agent_checkpoint_write_failures_total",
            "Checkpoint writes that failed (a full or read-only disk); offsets wait in memory meanwhile.",
            self.tail.checkpoint_failures() as f64,
        );
        m.gauge(
            "logpipe_agent_checkpoint_failing",
            "1 while checkpoints cannot be written: files opened meanwhile wait until their identity is on disk.",
            if self.tail.checkpoint_failing().is_some() {
                1.0
            } else {
                0.0
            },
        );
        m.gauge(
            "logpipe_agent_files_open",
            "Files being tailed now.",
            self.tail.files() as f64,
        );
        let files = self.tail.file_list();
        let lag: Vec<_> = files
            .iter()
            .map(|f| (vec![("path", f.path.clone())], f.lag_bytes as f64))
            .collect();
        m.family(
            "logpipe_agent_file_lag_bytes",
            "Bytes of a file not yet acknowledged by Kafka (size - acknowledged offset).",
            "gauge",
            &lag,
        );
        let offsets: Vec<_> = files
            .iter()
            .map(|f| (vec![("path", f.path.clone())], f.offset as f64))
            .collect();
        m.family(
            "logpipe_agent_file_read_offset_bytes",
            "Bytes of a file read so far.",
            "gauge",
            &offsets,
        );
        m.gauge(
            "logpipe_agent_channel_batches",
            "Batches waiting between the file server and the producers.",
            self.lanes.iter().map(BatchReceiver::depth).sum::<usize>() as f64,
        );
        m.gauge(
            "logpipe_agent_channel_capacity_batches",
            "Capacity of the channel between the file server and the producers.",
            self.channel_capacity as f64,
        );
        if let Some(config) = &self.config {
            let snapshot = config.snapshot();
            m.counter(
                "logpipe_agent_config_reloads_total",
                "Config changes from etcd applied to the file server.",
                config.reloads() as f64,
            );
            m.counter(
                "logpipe_agent_config_errors_total",
                "Problems found in etcd config values (malformed values, refused entries).",
                config.errors_total() as f64,
            );
            m.gauge(
                "logpipe_agent_config_revision",
                "etcd revision of the applied config value.",
                snapshot.revision as f64,
            );
            m.gauge(
                "logpipe_agent_config_entries",
                "Collect entries applied from etcd.",
                snapshot.entries as f64,
            );
            m.gauge(
                "logpipe_agent_etcd_connected",
                "1 while the config watch on etcd is established.",
                if snapshot.connected { 1.0 } else { 0.0 },
            );
        }
        if let Some(sent) = &self.host_metrics_sent {
            m.counter(
                "logpipe_agent_host_metrics_events_total",
                "Host metrics events handed to Kafka.",
                sent.load(Ordering::Relaxed) as f64,
            );
        }
        super::process::write(&mut m);
        m.finish()
    }
}
