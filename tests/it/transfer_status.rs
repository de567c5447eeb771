//! The transfer's fleet status key in etcd: present while it runs, gone at once after SIGTERM.

use crate::common::etcd::Etcd;
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::time::Duration;

#[test]
fn transfer_publishes_its_status_on_a_lease() {
    let etcd = Etcd::start();
    let tansu = Tansu::start();
    tansu.create_topic("st_log", 1);
    let store = StoreProcess::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::common::transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["st_log"]"#,
        &store.url(),
        "",
        "",
    );
    let mut text = std::fs::read_to_string(&config).expect("read config");
    text.push_str(&format!("[etcd]\nendpoints = [\"{}\"]\n", etcd.endpoint()));
    std::fs::write(&config, text).expect("write config");
    let mut transfer = crate::common::transfer::start(&config, &dir.path().join("transfer.log"));

    let status = wait::until("the transfer's status key", Duration::from_secs(30), || {
        etcd.get_prefix("/logpipe/status/transfer/")
            .into_iter()
            .next()
    });
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["role"], "transfer");
    assert_eq!(status["group"], "logpipe-transfer-test");
    assert_eq!(status["topics"], serde_json::json!(["st_log"]));
    assert_eq!(status["pid"].as_u64(), Some(u64::from(transfer.pid())));
    assert!(status["indexed"].is_u64() && status["dead_lettered"].is_u64());

    // The Fleet page reads the same fields of every role (bug: the transfer wrote `started` / `updated`,
    // so its health showed "unknown" and its Started and Lines/s cells were empty).
    let console = crate::common::console::start(&store.url(), &["--etcd", &etcd.endpoint()]);
    let (code, fleet) = console.call("GET", "/api/fleet", None, None);
    assert_eq!(code, 200, "{fleet}");
    let row = &fleet["processes"][0];
    let age = row["heartbeat_age_s"].as_f64().expect("a heartbeat age");
    assert!((0.0..10.0).contains(&age), "{row}");
    let started = row["status"]["started_at"].as_str().expect("started_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(started).is_ok(),
        "{started}"
    );
    assert!(row["status"]["lines_per_second"].is_number(), "{row}");

    let exit = transfer.terminate(Duration::from_secs(15));
    assert!(exit.success(), "{}", transfer.log());
    assert!(
        etcd.get_prefix("/logpipe/status/transfer/").is_empty(),
        "the lease is revoked on a clean stop"
    );
}
