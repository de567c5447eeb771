//! The Kafka probes of `--check-config`: connect to one broker with the configured security settings and
//! read the cluster's metadata; check that topics exist; check that the consumer group's coordinator answers
//! an offset fetch. Every failure comes back as a `Diagnosis` (via `diagnose`), never as librdkafka's text.
//!
//! Each probe uses a throw-away client whose context collects librdkafka's error events and log lines
//! instead of printing them, so the checking command prints only its own lines.

use super::client::{client_config, KafkaSetupError};
use super::diagnose::{diagnose_all, Cause, Diagnosis};
use crate::config::KafkaConnection;
use parking_lot::Mutex;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::Duration;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The client could not even be built (a bad setting or an unreadable file; names the key).
    #[error(transparent)]
    Setup(#[from] KafkaSetupError),
    /// The broker (or the way to it) said no.
    #[error("{}", .0.message)]
    Broker(Diagnosis),
}

impl From<crate::config::ConfigError> for ProbeError {
    fn from(e: crate::config::ConfigError) -> Self {
        ProbeError::Setup(KafkaSetupError::Config(e))
    }
}

impl From<rdkafka::error::KafkaError> for ProbeError {
    fn from(e: rdkafka::error::KafkaError) -> Self {
        ProbeError::Setup(KafkaSetupError::Client(e))
    }
}

/// Collects what librdkafka reports instead of logging it.
#[derive(Default)]
pub struct ProbeContext {
    reports: Mutex<Vec<String>>,
}

impl ProbeContext {
    fn reports(&self) -> Vec<String> {
        self.reports.lock().clone()
    }
}

impl ClientContext for ProbeContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        // Connection failures come as `FAIL` lines (some only as those, at info level).
        if fac == "FAIL" || !matches!(level, RDKafkaLogLevel::Debug) {
            self.reports.lock().push(message.to_string());
        }
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.reports.lock().push(format!("{reason} ({error})"));
    }
}

impl ConsumerContext for ProbeContext {}

/// What one broker told about the cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    /// Brokers in the cluster's metadata.
    pub brokers: usize,
    /// Topic → partitions.
    pub topics: BTreeMap<String, usize>,
}

/// Connects to `broker` alone with the security settings of `connection` and reads the cluster metadata.
pub fn probe_broker(
    connection: &KafkaConnection,
    broker: &str,
    timeout: Duration,
) -> Result<ClusterView, ProbeError> {
    let mut single = connection.clone();
    single.brokers = broker.to_string();
    let config = client_config(&single, |c| {
        c.set("client.id", "logpipe-check-config")
            .set("group.id", "logpipe-check-config");
    })?;
    // A consumer that never subscribes: it only asks for metadata.
    let client: BaseConsumer<ProbeContext> = config.create_with_context(ProbeContext::default())?;
    match client.fetch_metadata(None, timeout) {
        Ok(metadata) => Ok(ClusterView {
            brokers: metadata.brokers().len(),
            topics: metadata
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .map(|t| (t.name().to_string(), t.partitions().len()))
                .collect(),
        }),
        Err(error) => {
            serve_error_events(&client);
            Err(ProbeError::Broker(explain(
                client.context().reports(),
                &error.to_string(),
                &single,
            )))
        }
    }
}

/// librdkafka queues error events until the client is polled: poll briefly so `ProbeContext` sees them.
fn serve_error_events(client: &BaseConsumer<ProbeContext>) {
    for _ in 0..5 {
        let _ = client.poll(Duration::from_millis(50));
    }
}

/// Asks the coordinator of `group` for the committed offsets of `partitions` (proves the group can be used
/// with these credentials); the number of partitions with a committed offset.
pub fn probe_group(
    connection: &KafkaConnection,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<usize, ProbeError> {
    let config = client_config(connection, |c| {
        c.set("client.id", "logpipe-check-config")
            .set("group.id", group)
            .set("enable.auto.commit", "false");
    })?;
    let consumer: BaseConsumer<ProbeContext> =
        config.create_with_context(ProbeContext::default())?;
    let mut list = TopicPartitionList::new();
    for (topic, partition) in partitions {
        list.add_partition(topic, *partition);
    }
    match consumer.committed_offsets(list, timeout) {
        Ok(committed) => Ok(committed
            .elements()
            .iter()
            .filter(|e| matches!(e.offset(), Offset::Offset(_)))
            .count()),
        Err(error) => {
            serve_error_events(&consumer);
            Err(ProbeError::Broker(explain(
                consumer.context().reports(),
                &error.to_string(),
                connection,
            )))
        }
    }
}

fn explain(reports: Vec<String>, error: &str, connection: &KafkaConnection) -> Diagnosis {
    log::debug!("librdkafka reported {reports:?}; then {error}");
    let mut all = reports;
    all.push(error.to_string());
    let diagnosis = diagnose_all(all.iter().map(String::as_str), connection).unwrap_or(Diagnosis {
        cause: Cause::Other,
        message: error.to_string(),
    });
    if diagnosis.cause == Cause::Other && error.to_lowercase().contains("timed out") {
        return Diagnosis {
            cause: Cause::Unreachable,
            message: format!(
                "no answer from broker {} ({error}): check kafka.brokers, that the broker is up, and \
                 kafka.security_protocol",
                connection.brokers
            ),
        };
    }
    diagnosis
}
