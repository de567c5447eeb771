//! `logpipe standalone` end to end: lines appended to files are searchable through the store's ES API,
//! document `_id`s are the events' ids, and `kill -9` mid-stream followed by a restart leaves exactly one
//! document per line.

use crate::common::agent::{append_lines, expected};
use crate::common::es::EsClient;
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::wait;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

fn start(dir: &Path, port: u16) -> Logpipe {
    let data = dir.join("data").to_string_lossy().into_owned();
    let glob = dir.join("logs/*.log").to_string_lossy().into_owned();
    let listen = format!("127.0.0.1:{port}");
    let process = Logpipe::start(
        &[
            "standalone",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--host-name",
            "solo",
            &glob,
        ],
        &dir.join("standalone.log"),
    );
    wait::port_open(&listen, PATIENCE);
    process
}

#[test]
fn appended_lines_are_searchable_with_their_event_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("logs")).expect("mkdir");
    let port = free_port();
    let _standalone = start(dir.path(), port);
    let es = EsClient::new(&format!("http://127.0.0.1:{port}"));
    append_lines(&dir.path().join("logs/app.log"), "solo", 0..500);
    std::fs::write(
        dir.path().join("logs/other.log"),
        "zebra crossing at noon\n",
    )
    .expect("write");
    es.wait_count("logpipe-*", 501, PATIENCE);

    let (status, body) = es.search(
        "logpipe-*",
        &serde_json::json!({"query": {"query_string": {"query": "zebra"}}}),
    );
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"]["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 1);
    let source = &hits[0]["_source"];
    assert_eq!(source["message"], "zebra crossing at noon");
    assert_eq!(source["host"]["name"], "solo");
    assert_eq!(hits[0]["_id"], source["event"]["id"], "_id is the event id");
    let index = hits[0]["_index"].as_str().expect("_index");
    let today = chrono::Utc::now().format("logpipe-%Y.%m.%d").to_string();
    assert_eq!(index, today, "daily index from @timestamp");
}

#[test]
fn kill_9_and_restart_leave_exactly_one_document_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("logs")).expect("mkdir");
    let port = free_port();
    let mut standalone = start(dir.path(), port);
    let es = EsClient::new(&format!("http://127.0.0.1:{port}"));
    let path = dir.path().join("logs/app.log");
    const TOTAL: usize = 8000;
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            for chunk in 0..(TOTAL / 200) {
                append_lines(&path, "k", chunk * 200..(chunk + 1) * 200);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    wait::until("some documents indexed", PATIENCE, || {
        es.count("logpipe-*").filter(|n| *n >= 1000).map(|_| ())
    });
    standalone.kill9();
    let _standalone = start(dir.path(), port);
    writer.join().expect("writer");
    es.wait_count("logpipe-*", TOTAL as u64, PATIENCE);
    let docs = es.all_documents("logpipe-*");
    let messages: HashSet<String> = docs
        .iter()
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    for line in expected("k", 0..TOTAL) {
        assert!(messages.contains(&line), "lost: {line}");
    }
    assert_eq!(docs.len(), TOTAL, "no duplicates");
}

#[test]
fn no_paths_is_a_clear_error() {
    let (status, stderr) =
        crate::common::process::run_to_end(&["standalone", "--data-dir", "/tmp/logpipe-none"]);
    assert!(!status.success());
    assert!(stderr.contains("nothing to tail"), "{stderr}");
}

/// `--config FILE` alone sets the data dir, the listen address, the index pattern (with the collect entry's
/// topic in it, as Logstash's `%{[topic]}`) and the host name; a flag given too overrides the file.
#[test]
fn a_config_file_runs_it_and_flags_override_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let config = dir.path().join("standalone.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {data:?}\nlisten = {listen:?}\nindex = \"%{{[topic]}}-%{{+YYYY.MM.dd}}\"\n\
             host_name = \"from-file\"\n[[collect]]\npath = {glob:?}\ntopic = \"web\"\n",
            data = dir.path().join("data").to_string_lossy(),
            glob = logs.join("*.log").to_string_lossy(),
        ),
    )
    .expect("write config");
    let config_arg = config.to_string_lossy().into_owned();
    let _standalone = Logpipe::start(
        &[
            "standalone",
            "--config",
            &config_arg,
            "--host-name",
            "from-flag",
        ],
        &dir.path().join("standalone.log"),
    );
    wait::port_open(&listen, PATIENCE);
    let es = EsClient::new(&format!("http://{listen}"));
    std::fs::write(logs.join("app.log"), "configured by a file\n").expect("write");
    es.wait_count("web-*", 1, PATIENCE);
    let (status, body) = es.search("web-*", &serde_json::json!({}));
    assert_eq!(status, 200, "{body}");
    let hit = &body["hits"]["hits"][0];
    let today = chrono::Utc::now().format("web-%Y.%m.%d").to_string();
    assert_eq!(hit["_index"], serde_json::json!(today), "{body}");
    assert_eq!(hit["_source"]["message"], "configured by a file");
    assert_eq!(hit["_source"]["host"]["name"], "from-flag", "the flag wins");
}

#[test]
fn a_bad_config_file_is_a_clear_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "data_dir = \"/tmp/x\"\nlisen = \"127.0.0.1:9200\"\n",
    )
    .expect("write");
    let config_arg = config.to_string_lossy().into_owned();
    let (status, stderr) =
        crate::common::process::run_to_end(&["standalone", "--config", &config_arg]);
    assert!(!status.success());
    assert!(stderr.contains(&config_arg), "{stderr}");
    assert!(stderr.contains("lisen"), "{stderr}");
}
