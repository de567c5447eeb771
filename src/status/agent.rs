//! The agent's status report: what `/logpipe/status/agent/{hostname}` holds.
//!
//! ```json
//! {"role":"agent","version":"0.1.0","host":"web-1","pid":4242,"started_at":"2026-11-22T10:00:00.000Z",
//!  "updated_at":"...","config":{"key":"/logpipe/collect/web-1","revision":17,"source":"etcd",
//!  "connected":true,"entries":3,"errors":[],"connection_error":null,"reloads":2,"errors_total":0},
//!  "files":[{"path":"/var/log/s4.log","offset":1200,"acked_offset":1200,"size":1200,"lag_bytes":0}],
//!  "lines_total":10,"bytes_total":1200,"lines_per_second":0.5,"bytes_per_second":60.0,
//!  "kafka":{"sent":10,"acked":10,"failed":0,"client_errors":0}}
//! ```
//!
//! Rates are computed between two consecutive reports (the first one reports the average since start).

use crate::etcd::ConfigState;
use crate::event::timestamp;
use crate::producer::ProducerStats;
use crate::tail::stats::TailStats;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// Builds the agent's status JSON.
pub struct AgentReport {
    pub host: String,
    pub started_at: String,
    pub tail: Arc<TailStats>,
    pub producer: Arc<ProducerStats>,
    pub config: Option<Arc<ConfigState>>,
    previous: (Instant, u64, u64),
}

impl AgentReport {
    pub fn new(
        host: String,
        tail: Arc<TailStats>,
        producer: Arc<ProducerStats>,
        config: Option<Arc<ConfigState>>,
    ) -> AgentReport {
        AgentReport {
            host,
            started_at: timestamp::now(),
            tail,
            producer,
            config,
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
        json!({
            "role": "agent",
            "version": env!("CARGO_PKG_VERSION"),
            "host": self.host,
            "pid": std::process::id(),
            "started_at": self.started_at,
            "updated_at": timestamp::now(),
            "config": config,
            "files": self.tail.file_list(),
            "files_open": self.tail.files(),
            "lines_total": lines,
            "bytes_total": bytes,
            "lines_per_second": round2(lines.saturating_sub(last_lines) as f64 / seconds),
            "bytes_per_second": round2(bytes.saturating_sub(last_bytes) as f64 / seconds),
            "kafka": {"sent": sent, "acked": acked, "failed": failed, "client_errors": client_errors},
        })
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
