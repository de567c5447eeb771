//! The agent's status report: what `/logpipe/status/agent/{hostname}` holds.
//!
//! ```json
//! {"role":"agent","version":"0.1.0","host":"web-1","pid":4242,"started_at":"2026-11-22T10:00:00.000Z",
//!  "updated_at":"...","config":{"key":"/logpipe/collect/web-1","revision":17,"source":"etcd",
//!  "connected":true,"entries":3,"errors":[],"connection_error":null,"reloads":2,"errors_total":0},
//!  "files":[{"path":"/var/log/s4.log","offset":1200,"acked_offset":1200,"size":1200,"lag_bytes":0}],
//!  "lines_total":10,"bytes_total":1200,"lines_per_second":0.5,"bytes_per_second":60.0,
//!  "checkpoints":{"failing":null,"failures_total":0},
//!  "kafka":{"sent":10,"acked":10,"failed":0,"client_errors":0,"problem":null},
//!  "reload":{"file":"/etc/logpipe/agent.toml","last_at":null,"ok":null,"error":null,"applied":[],
//!  "restart_needed":[]},"dropped_by_filters":0}
//! ```
//!
//! `kafka.problem` is the last connection problem librdkafka reported, until a message is delivered again:
//! `{"cause":"authentication","message":"SASL: broker k:9093 refused the SCRAM-SHA-512 login of user
//! `logpipe`: fix kafka.sasl.username or the password in kafka.sasl.password_file (...)","since":"...",
//! "count":12}` — a sentence naming the key to fix, never a secret.
//!
//! While checkpoints cannot be written (a full disk), `checkpoints.failing` is
//! `{"error":"cannot write checkpoint file ...: No space left on device (os error 28)","since":"...","attempts":12}`.
//!
//! Rates are computed between two consecutive reports (the first one reports the average since start).

use super::ProcessIdentity;
use crate::config::reload::ReloadState;
use crate::etcd::ConfigState;
use crate::kafka::KafkaHealth;
use crate::producer::ProducerStats;
use crate::tail::stats::TailStats;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// Builds the agent's status JSON.
pub struct AgentReport {
    pub identity: ProcessIdentity,
    pub tail: Arc<TailStats>,
    pub producer: Arc<ProducerStats>,
    pub config: Option<Arc<ConfigState>>,
    pub kafka_health: Arc<KafkaHealth>,
    pub reload: Arc<ReloadState>,
    previous: (Instant, u64, u64),
}

impl AgentReport {
    pub fn new(
        host: String,
        tail: Arc<TailStats>,
        producer: Arc<ProducerStats>,
        config: Option<Arc<ConfigState>>,
        kafka_health: Arc<KafkaHealth>,
        reload: Arc<ReloadState>,
    ) -> AgentReport {
        AgentReport {
            identity: ProcessIdentity::new("agent", host),
            tail,
            producer,
            config,
            kafka_health,
            reload,
            previous: (Instant::now(), 0, 0),
        }
    }

    /// The report now.
    pub fn json(&mut self) -> serde_json::Value {
        let (lines, bytes) = (self.tail.lines(), self.tail.bytes());
        let (at, last_lines, last_bytes) = self.previous;
        let seconds = at.elapsed().as_secs_f64().max(0.001);
        self.previous = (Instant::now(), lines, bytes);
        let (sent, acked, failed, client_errors) = self.producer.totals();
        let config = self.config.as_ref().map(|state| {
            let mut value = serde_json::to_value(state.snapshot()).unwrap_or_default();
            value["reloads"] = json!(state.reloads());
            value["errors_total"] = json!(state.errors_total());
            value
        });
        self.identity.report(json!({
            "config": config,
            "files": self.tail.file_list(),
            "checkpoints": {
                "failing": self.tail.checkpoint_failing(),
                "failures_total": self.tail.checkpoint_failures(),
            },
            "files_open": self.tail.files(),
            "lines_total": lines,
            "bytes_total": bytes,
            "lines_per_second": round2(lines.saturating_sub(last_lines) as f64 / seconds),
            "bytes_per_second": round2(bytes.saturating_sub(last_bytes) as f64 / seconds),
            "kafka": {"sent": sent, "acked": acked, "failed": failed, "client_errors": client_errors,
                      "problem": self.kafka_health.problem()},
            "reload": self.reload.snapshot(),
            "dropped_by_filters": self.producer.filtered_out_total(),
        }))
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
