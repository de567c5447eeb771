//! The agent's Prometheus endpoint (`--metrics-listen`) and host metrics events, against a real Tansu.
//!
//! Counters match what happened (events acked = lines written), every family has HELP and TYPE lines,
//! per-file lag carries a `path` label, process metrics come from /proc; host metrics arrive on their
//! topic as ECS `system.*` documents.

use crate::common::agent::{append_lines, setup, PATIENCE};
use crate::common::kafka::TopicReader;
use crate::common::metrics::{get, metric, scrape};
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::tansu::Tansu;
use crate::common::wait;

#[test]
fn metrics_endpoint_counts_and_host_metrics_events() {
    let tansu = Tansu::start();
    tansu.create_topic("app_log", 2);
    tansu.create_topic("metrics", 1);
    let setup = setup(
        &tansu,
        "app_log",
        "",
        "[host_metrics]\ninterval = \"500ms\"\ntopic = \"metrics\"\n",
    );
    let port = free_port();
    append_lines(&setup.logs.join("a.log"), "a", 0..700);
    append_lines(&setup.logs.join("b.log"), "b", 0..300);
    let config = setup.config.to_string_lossy().into_owned();
    let listen = format!("127.0.0.1:{port}");
    let _agent = Logpipe::start(
        &["agent", "--config", &config, "--metrics-listen", &listen],
        &setup.dir.path().join("agent.log"),
    );
    let page = wait::until("1000 events acked in metrics", PATIENCE, || {
        let page = scrape(port)?;
        (metric(&page, "logpipe_agent_events_acked_total") == Some(1000.0)).then_some(page)
    });
    assert_eq!(
        metric(&page, "logpipe_agent_lines_read_total"),
        Some(1000.0)
    );
    assert_eq!(
        metric(&page, "logpipe_agent_events_failed_total"),
        Some(0.0)
    );
    assert!(metric(&page, "logpipe_agent_bytes_read_total").is_some_and(|b| b >= 38_000.0));
    assert!(metric(&page, "process_resident_memory_bytes").is_some_and(|b| b > 1e6));
    assert!(metric(&page, "process_cpu_seconds_total").is_some());
    assert!(metric(&page, "logpipe_agent_channel_batches").is_some());
    for line in page
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        assert!(
            page.contains(&format!("# HELP {name} ")) && page.contains(&format!("# TYPE {name} ")),
            "{name} has HELP and TYPE"
        );
    }
    // Lag per file, labelled by path; it drains to 0 once everything is acknowledged.
    let a_path = setup.logs.join("a.log");
    let lag_line = format!(
        "logpipe_agent_file_lag_bytes{{path=\"{}\"}} 0",
        a_path.display()
    );
    wait::until("a.log's lag to reach 0", PATIENCE, || {
        scrape(port)?.contains(&lag_line).then_some(())
    });

    // Host metrics: ECS documents on their own topic.
    let mut reader = TopicReader::new(&tansu.brokers(), "metrics");
    let messages = reader.read_at_least(3, PATIENCE).to_vec();
    let docs: Vec<serde_json::Value> = messages.iter().map(|m| m.json()).collect();
    let host = docs
        .iter()
        .find(|d| d["metricset"]["name"] == "host")
        .expect("a host document");
    assert_eq!(host["host"]["name"], "test-host");
    assert_eq!(host["event"]["dataset"], "system.metrics");
    assert!(host["@timestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    let pct = host["system"]["cpu"]["total"]["norm"]["pct"]
        .as_f64()
        .expect("cpu pct");
    assert!((0.0..=1.0).contains(&pct), "{host}");
    let mem = host["system"]["memory"]["used"]["pct"]
        .as_f64()
        .expect("memory pct");
    assert!(mem > 0.0 && mem <= 1.0, "{host}");
    assert!(host["system"]["load"]["1"].is_number(), "{host}");
    assert!(
        docs.iter()
            .any(|d| d["system"]["network"]["in"]["bytes"].is_number()),
        "a network document"
    );
    let page = scrape(port).expect("scrape");
    assert!(metric(&page, "logpipe_agent_host_metrics_events_total").is_some_and(|n| n >= 3.0));
    // Unknown paths are 404.
    assert!(get(port, "/nope")
        .is_some_and(|r| r.starts_with("HTTP/1.1 404") || r.starts_with("HTTP/1.0 404")));
}
