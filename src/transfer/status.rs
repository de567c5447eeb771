//! The transfer's fleet status: a JSON key at `/logpipe/status/transfer/{host}-{pid}` kept alive on an etcd
//! lease by `status::StatusPublisher` (refreshed every 2 s, gone within 10 s of the process dying, at once
//! on a clean stop). Several transfer processes may run on one host, hence the pid in the key.

use super::Transfer;
use crate::config::transfer::TransferConfig;
use crate::config::EtcdConnection;
use crate::status::{ProcessIdentity, StatusPublisher, StatusThread};
use std::time::{Duration, Instant};

/// How often the key is rewritten.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(2);
/// Lease time to live: how long the key outlives a dead process.
pub const STATUS_TTL: Duration = Duration::from_secs(10);

/// The key of this process.
pub fn status_key(host: &str) -> String {
    format!("/logpipe/status/transfer/{host}-{}", std::process::id())
}

/// Starts publishing the status of `transfer`.
pub fn publish(
    connection: EtcdConnection,
    config: &TransferConfig,
    transfer: &Transfer,
) -> std::io::Result<StatusThread> {
    let host = crate::host::local_host_name();
    let identity = ProcessIdentity::new("transfer", host.clone());
    let group = config.kafka.group.clone();
    let topics = config.kafka.topics.clone();
    let indexer_stats = transfer.indexer_stats.clone();
    let transfer_stats = transfer.transfer_stats.clone();
    let mut last: Option<(Instant, u64)> = None;
    let report = move || {
        let (consumed, undecodable, commits, partitions) = transfer_stats.totals();
        let totals = indexer_stats.totals();
        let now = Instant::now();
        let lines_per_second = match last {
            Some((at, indexed)) => {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    totals.indexed.saturating_sub(indexed) as f64 / secs
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        last = Some((now, totals.indexed));
        identity.report(serde_json::json!({
            "group": group,
            "topics": topics,
            "partitions": partitions,
            "consumed": consumed,
            "undecodable": undecodable,
            "indexed": totals.indexed,
            "dead_lettered": totals.dead_lettered,
            "bulk_requests": totals.requests,
            "retries": totals.retries,
            "abandoned_batches": totals.abandoned_batches,
            "commits": commits,
            "bulk_mean_ms": totals.mean_latency_ms(),
            "bulk_p99_ms": totals.latency_micros_p99 as f64 / 1000.0,
            // Documents indexed per second: each one a log line, named as the agent names its rate.
            "lines_per_second": (lines_per_second * 100.0).round() / 100.0,
        }))
    };
    let publisher = StatusPublisher::new(
        connection,
        status_key(&host),
        STATUS_INTERVAL,
        STATUS_TTL,
        Box::new(report),
    );
    publisher.spawn()
}
