//! `logpipe store` as a process: an acknowledged `_bulk` survives `kill -9` (translog replay), and SIGTERM
//! exits cleanly.

use crate::common::store::StoreProcess;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

/// Every file and directory under `dir` with its permission bits.
fn modes(dir: &Path, out: &mut Vec<(String, u32, bool)>) {
    for entry in std::fs::read_dir(dir).expect("list") {
        let entry = entry.expect("entry");
        let meta = entry.metadata().expect("metadata");
        out.push((
            entry.path().display().to_string(),
            meta.permissions().mode() & 0o777,
            meta.is_dir(),
        ));
        if meta.is_dir() {
            modes(&entry.path(), out);
        }
    }
}

#[test]
fn the_data_directory_is_private_to_the_service_user() {
    let store = StoreProcess::start();
    let (status, _) = store.es().request(
        "POST",
        "/x/_bulk?refresh=true",
        Some("{\"index\":{}}\n{\"message\":\"m\"}\n"),
    );
    assert_eq!(status, 200);
    let mut found = Vec::new();
    modes(&store.dir.path().join("data"), &mut found);
    assert!(found.len() > 3, "{found:?}");
    for (path, mode, is_dir) in found {
        let private = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode & !private, 0, "{path} is {mode:o}");
    }
}

#[test]
fn bulk_is_durable_across_kill_9() {
    let mut store = StoreProcess::start();
    let es = store.es();
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-{i}\"}}}}\n"
        ));
        body.push_str(&format!("{{\"@timestamp\":\"2026-11-22T04:51:21.123Z\",\"message\":\"line {i}\",\"event\":{{\"id\":\"ev-{i}\"}}}}\n"));
    }
    // No refresh asked: what makes these survive is the translog, not a commit.
    let (status, r) = es.request("POST", "/_bulk", Some(&body));
    assert_eq!(status, 200);
    assert_eq!(r["errors"], false);
    // Deletes and replacements, answered from the translog like the adds (a periodic refresh may or may
    // not have committed some of them by the time of the kill; the result must be the same).
    let mut body = String::new();
    for i in 0..10 {
        body.push_str(&format!(
            "{{\"delete\":{{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-{i}\"}}}}\n"
        ));
    }
    body.push_str("{\"index\":{\"_index\":\"logs-2026.11.22\",\"_id\":\"ev-10\"}}\n");
    body.push_str("{\"@timestamp\":\"2026-11-22T04:51:22.000Z\",\"message\":\"replaced\",\"event\":{\"id\":\"ev-10\"}}\n");
    let (status, r) = es.request("POST", "/_bulk", Some(&body));
    assert_eq!(status, 200);
    assert_eq!(r["errors"], false, "{r}");

    store.kill9();
    store.restart();
    let es = store.es();
    es.wait_count("logs-2026.11.22", 1990, Duration::from_secs(20));
    let (_, r) = es.request(
        "POST",
        "/logs-*/_search",
        Some(r#"{"query":{"term":{"event.id":"ev-1999"}}}"#),
    );
    assert_eq!(r["hits"]["hits"][0]["_id"], "ev-1999");
    let (_, replaced) = es.request("GET", "/logs-2026.11.22/_doc/ev-10", None);
    assert_eq!(replaced["_source"]["message"], "replaced");
    let (status, _) = es.request("GET", "/logs-2026.11.22/_doc/ev-3", None);
    assert_eq!(status, 404);
}

#[test]
fn sigterm_exits_cleanly() {
    let mut store = StoreProcess::start();
    let (status, _) = store.es().request(
        "POST",
        "/x/_bulk",
        Some("{\"index\":{}}\n{\"message\":\"m\"}\n"),
    );
    assert_eq!(status, 200);
    let exit = store.terminate(Duration::from_secs(20));
    assert!(
        exit.success(),
        "store did not exit cleanly on SIGTERM: {exit:?}"
    );
}

/// Issue 18: stalled uploads, hundreds of idle connections and a path that is not UTF-8 leave the store
/// answering everyone else.
#[test]
fn stalled_uploads_and_idle_connections_do_not_freeze_the_store() {
    use std::io::{Read, Write};
    let store = StoreProcess::start();
    let addr = format!("127.0.0.1:{}", store.port);
    let mut held = Vec::new();
    for i in 0..300 {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        if i < 8 {
            let head = format!(
                "POST /_bulk HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-ndjson\r\n\
                 Content-Length: 100000\r\n\r\n{{\"index\":{{}}}}\n"
            );
            stream.write_all(head.as_bytes()).expect("stalled head");
        }
        held.push(stream);
    }
    let (status, health) = store.es().request("GET", "/_cluster/health", None);
    assert_eq!(status, 200, "{health}");

    let mut raw = std::net::TcpStream::connect(&addr).expect("connect");
    raw.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    raw.write_all(b"GET /logs\xff/_search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    raw.read_to_end(&mut answer).expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    drop(held);
    let (status, _) = store.es().request("GET", "/", None);
    assert_eq!(status, 200);
}

/// Issue 20: without users or API keys the store answers anyone, so it refuses to listen beyond loopback.
#[test]
fn without_users_the_store_listens_on_loopback_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_string_lossy().into_owned();
    let (status, output) = crate::common::process::run_to_end(&[
        "store",
        "--data-dir",
        &data,
        "--listen",
        "0.0.0.0:0",
    ]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("--listen 0.0.0.0:0 is not a loopback address")
            && output.contains("--users-file"),
        "{output}"
    );
}
