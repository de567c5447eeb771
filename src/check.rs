//! `logpipe agent --check-config` and `logpipe transfer --check-config`: read the config file, then try
//! every connection it describes — each Kafka broker with the configured security settings, the topics,
//! the transfer's consumer group, etcd, Elasticsearch — and print one line per check:
//!
//! ```text
//! ok    config /etc/logpipe/agent.toml: valid (2 collect entries)
//! info  librdkafka 2.12.1 (builtin.features: gzip,snappy,ssl,sasl,...)
//! ok    kafka broker k1:9093: connected (sasl_ssl, SCRAM-SHA-512 as logpipe, CA /etc/ca.pem); 3 brokers, 12 topics
//! FAIL  kafka broker k2:9093: TLS: the certificate of broker k2:9093 is not signed by a CA in kafka.tls.ca_file ...
//! ok    kafka topic app_log: 6 partitions
//! ```
//!
//! The exit status is 0 when every check passed, 1 otherwise. Failures are sentences naming the key to fix
//! (see `kafka::diagnose`), never librdkafka's text alone; secrets are never printed.

use crate::config::transfer::TransferConfig;
use crate::config::{AgentConfig, EtcdConnection, KafkaConnection};
use crate::etcd::connect::EtcdError;
use crate::kafka::probe::{probe_broker, probe_group, ClusterView};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// How long one broker or etcd probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(8);

/// Why a probe of etcd or Elasticsearch failed, in words that name what to check.
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("cannot start an async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    #[error("cannot reach it ({0}): check elasticsearch.url(s)")]
    Unreachable(ureq::Error),
    #[error(
        "HTTP {0}: the credentials were refused: check elasticsearch.user / password or api_key"
    )]
    Refused(u16),
    #[error("HTTP {0} from GET /")]
    Status(u16),
}

/// The check lines printed so far and whether any failed.
struct Report {
    checks: usize,
    failed: usize,
}

impl Report {
    fn new() -> Report {
        Report {
            checks: 0,
            failed: 0,
        }
    }

    fn line(&self, tag: &str, what: &str, detail: &str) {
        let detail = one_line(detail);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{tag:<5} {what}: {detail}");
        let _ = out.flush();
    }

    fn ok(&mut self, what: &str, detail: &str) {
        self.checks += 1;
        self.line("ok", what, detail);
    }

    fn fail(&mut self, what: &str, why: &str) {
        self.checks += 1;
        self.failed += 1;
        self.line("FAIL", what, why);
    }

    fn info(&self, what: &str, detail: &str) {
        self.line("info", what, detail);
    }

    fn finish(self) -> anyhow::Result<()> {
        if self.failed > 0 {
            anyhow::bail!("{} of {} checks failed", self.failed, self.checks);
        }
        println!("all {} checks passed", self.checks);
        Ok(())
    }
}

/// `logpipe agent --check-config [--offline]`: with `offline`, the file and the Kafka client settings it
/// makes (CA, certificate, key and password files read) only.
pub fn check_agent(path: &Path, offline: bool) -> anyhow::Result<()> {
    let mut report = Report::new();
    let what = format!("config {}", path.display());
    let config = match AgentConfig::load(path) {
        Ok(config) => {
            report.ok(
                &what,
                &format!("valid ({} collect entries)", config.collect.len()),
            );
            config
        }
        Err(e) => {
            report.fail(&what, &format!("{e:#}"));
            return report.finish();
        }
    };
    if offline {
        match crate::producer::client::config(&config.kafka) {
            Ok(_) => report.ok("kafka settings", "usable (no connection tried: --offline)"),
            Err(e) => report.fail("kafka settings", &e.to_string()),
        }
        return report.finish();
    }
    report.info("librdkafka", &crate::kafka::features::summary());
    let mut topics: BTreeSet<String> = config
        .collect
        .iter()
        .filter_map(|e| e.topic.clone())
        .collect();
    if let Some(hm) = &config.host_metrics {
        topics.insert(hm.topic.clone());
    }
    if let Some(etcd) = &config.etcd {
        let host = config
            .host_name
            .clone()
            .unwrap_or_else(crate::host::local_host_name);
        let key = crate::etcd::key_template::expand_key(&etcd.key, &host, &etcd.endpoints);
        match etcd_get(&etcd.connection(), &key) {
            Ok(value) => {
                let entries: Vec<serde_json::Value> = value
                    .as_deref()
                    .and_then(|v| serde_json::from_slice(v).ok())
                    .unwrap_or_default();
                topics.extend(
                    entries
                        .iter()
                        .filter_map(|e| e["topic"].as_str().map(str::to_string)),
                );
                report.ok(
                    &format!("etcd {}", etcd.endpoints.join(",")),
                    &format!("connected; {key} holds {} collect entries", entries.len()),
                );
            }
            Err(e) => report.fail(
                &format!("etcd {}", etcd.endpoints.join(",")),
                &e.to_string(),
            ),
        }
    }
    let connection = config.kafka.connection();
    if let Some(view) = check_brokers(&mut report, &connection) {
        for topic in &topics {
            check_topic(&mut report, &view, topic);
        }
    }
    report.finish()
}

/// `logpipe transfer --check-config [--offline]`: with `offline`, the file and the Kafka client settings
/// it makes only.
pub fn check_transfer(path: &Path, offline: bool) -> anyhow::Result<()> {
    let mut report = Report::new();
    let what = format!("config {}", path.display());
    let config = match TransferConfig::load(path) {
        Ok(config) => {
            report.ok(&what, "valid");
            config
        }
        Err(e) => {
            report.fail(&what, &format!("{e:#}"));
            return report.finish();
        }
    };
    if offline {
        match crate::kafka::client_config(&config.kafka.connection(), |_| {}) {
            Ok(_) => report.ok("kafka settings", "usable (no connection tried: --offline)"),
            Err(e) => report.fail("kafka settings", &e.to_string()),
        }
        return report.finish();
    }
    report.info("librdkafka", &crate::kafka::features::summary());
    let connection = config.kafka.connection();
    if let Some(view) = check_brokers(&mut report, &connection) {
        let mut partitions = Vec::new();
        for pattern in &config.kafka.topics {
            partitions.extend(check_topic(&mut report, &view, pattern));
        }
        if let Some(topic) = &config.dead_letter.topic {
            check_topic(&mut report, &view, topic);
        }
        let what = format!("kafka group {}", config.kafka.group);
        if partitions.is_empty() {
            report.fail(
                &what,
                "no partition to check it on (no topic of kafka.topics exists)",
            );
        } else {
            match probe_group(&connection, &config.kafka.group, &partitions, PROBE_TIMEOUT) {
                Ok(committed) => report.ok(
                    &what,
                    &format!(
                        "its coordinator answered; committed offsets for {committed} of {} partitions",
                        partitions.len()
                    ),
                ),
                Err(e) => report.fail(&what, &e.to_string()),
            }
        }
    }
    let auth = match config.elasticsearch.auth() {
        Ok(auth) => auth,
        Err(e) => {
            report.fail("elasticsearch password", &e.to_string());
            crate::indexer::http::Auth::None
        }
    };
    for url in config.elasticsearch.all_urls() {
        let what = format!("elasticsearch {url}");
        match elasticsearch_get(&url, &auth) {
            Ok(detail) => report.ok(&what, &detail),
            Err(e) => report.fail(&what, &e.to_string()),
        }
    }
    if let Some(etcd) = &config.etcd {
        let what = format!("etcd {}", etcd.endpoints.join(","));
        match etcd_get(etcd, "/logpipe/status/") {
            Ok(_) => report.ok(&what, "connected"),
            Err(e) => report.fail(&what, &e.to_string()),
        }
    }
    report.finish()
}

/// A multi-line message (a TOML error with its source excerpt) as one line: the excerpt's source line is
/// kept, the caret lines are dropped.
fn one_line(text: &str) -> String {
    let parts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.trim_start_matches('|').trim().chars().all(|c| c == '^'))
        .map(|l| match l.split_once(" | ") {
            Some((n, source)) if n.trim().chars().all(|c| c.is_ascii_digit()) => {
                format!("`{}`", source.trim())
            }
            _ => l.to_string(),
        })
        .collect();
    parts.join(" ")
}

/// One line per bootstrap broker; the cluster view of the first that answered.
fn check_brokers(report: &mut Report, connection: &KafkaConnection) -> Option<ClusterView> {
    let mut view = None;
    for broker in connection.brokers.split(',').map(str::trim) {
        let what = format!("kafka broker {broker}");
        match probe_broker(connection, broker, PROBE_TIMEOUT) {
            Ok(cluster) => {
                report.ok(
                    &what,
                    &format!(
                        "connected ({}); {} brokers, {} topics",
                        connection.describe(),
                        cluster.brokers,
                        cluster.topics.len()
                    ),
                );
                view.get_or_insert(cluster);
            }
            Err(e) => report.fail(&what, &e.to_string()),
        }
    }
    view
}

/// Checks a topic name (or a `^regex`); returns its (topic, partition) pairs.
fn check_topic(report: &mut Report, view: &ClusterView, pattern: &str) -> Vec<(String, i32)> {
    let what = format!("kafka topic {pattern}");
    let matching: Vec<(&String, &usize)> = match pattern.strip_prefix('^') {
        Some(_) => match regex::Regex::new(pattern) {
            Ok(re) => view.topics.iter().filter(|(t, _)| re.is_match(t)).collect(),
            Err(e) => {
                report.fail(&what, &format!("not a regex: {e}"));
                return Vec::new();
            }
        },
        None => view.topics.get_key_value(pattern).into_iter().collect(),
    };
    if matching.is_empty() {
        report.fail(
            &what,
            "the cluster has no such topic: create it, or check the name (brokers that create topics on \
             first use would create it, but logpipe does not rely on that)",
        );
        return Vec::new();
    }
    let partitions: usize = matching.iter().map(|(_, n)| **n).sum();
    if pattern.starts_with('^') {
        let names: Vec<&str> = matching.iter().map(|(t, _)| t.as_str()).collect();
        report.ok(
            &what,
            &format!("matches {} ({partitions} partitions)", names.join(", ")),
        );
    } else {
        report.ok(&what, &format!("{partitions} partitions"));
    }
    matching
        .iter()
        .flat_map(|(t, n)| (0..**n as i32).map(move |p| ((*t).clone(), p)))
        .collect()
}

/// Connects to etcd and reads `key` (`None` when absent).
fn etcd_get(connection: &EtcdConnection, key: &str) -> Result<Option<Vec<u8>>, ProbeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ProbeError::Runtime)?;
    runtime
        .block_on(async {
            let mut client = connection.connect().await?;
            let response = crate::etcd::connect::bounded(
                "get",
                connection.connect_timeout,
                client.get(key, Some(etcd_client::GetOptions::new().with_limit(1))),
            )
            .await?;
            Ok::<_, EtcdError>(response.kvs().first().map(|kv| kv.value().to_vec()))
        })
        .map_err(ProbeError::from)
}

/// `GET url/` with the credentials; a short description of the answer.
fn elasticsearch_get(url: &str, auth: &crate::indexer::http::Auth) -> Result<String, ProbeError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PROBE_TIMEOUT))
        .build()
        .into();
    let mut request = agent.get(&format!("{url}/"));
    if let Some(header) = auth.header() {
        request = request.header("Authorization", header);
    }
    let mut response = request.call().map_err(ProbeError::Unreachable)?;
    let status = response.status().as_u16();
    match status {
        200..=299 => {
            let body: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
            let version = body["version"]["number"].as_str().unwrap_or("?");
            Ok(format!("HTTP {status}, version {version}"))
        }
        401 | 403 => Err(ProbeError::Refused(status)),
        _ => Err(ProbeError::Status(status)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_toml_error_becomes_one_line_keeping_the_source_line() {
        let text = "bad config /a.toml: TOML parse error at line 17, column 13\n   |\n17 | mechanism = \"X\"\n   |             ^^^\nkafka.sasl.mechanism: `X` is not one of PLAIN\n";
        assert_eq!(
            super::one_line(text),
            "bad config /a.toml: TOML parse error at line 17, column 13 `mechanism = \"X\"` kafka.sasl.mechanism: `X` is not one of PLAIN"
        );
    }
}
