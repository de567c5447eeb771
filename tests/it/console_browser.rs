//! Browser tests of the web console: headless Debian chromium driven by npm `playwright-core`
//! (`tests/browser/*.mjs`), against real services started here. Each test starts its services, runs one
//! script with `node` and asserts it exits 0; screenshots go to `tests/artifacts/`.
//!
//! - Discover on `logpipe standalone` (search finds an appended line, highlight, `<script>` as text, bad query
//!   and empty messages, live tail, field filter) and Host metrics from `system.metrics` events.
//! - Collect config on `logpipe console` + real etcd + Tansu + an agent with `[etcd]`: an entry added on the
//!   page reaches etcd and the agent starts tailing that file; Fleet shows the agent.
//! - Named users (`users.mjs`): login rate limit, a viewer cannot save, History with a diff, a conflicting
//!   restore, a restore that brings a deleted entry back on the agent, a cross-site form post refused.
//!
//! Missing chromium or `console/node_modules` fails the test with a message naming `.ci/setup`.

use crate::common::agent::append_lines;
use crate::common::browser::{require_browser, run_script};
use crate::common::es::EsClient;
use crate::common::etcd::Etcd;
use crate::common::kafka::TopicReader;
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// Host metrics events every 30 s over the last 30 minutes for `host`, into `index`.
fn metrics_bulk(index: &str, host: &str) -> String {
    let now = chrono::Utc::now();
    let mut body = String::new();
    for i in 0..60i64 {
        let t = (now - chrono::Duration::seconds(30 * (60 - i)))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let wave = (i as f64 / 6.0).sin();
        let docs = [
            serde_json::json!({"@timestamp": t, "host": {"name": host}, "event": {"dataset": "system.metrics"},
                "metricset": {"name": "host"}, "system": {
                    "cpu": {"total": {"norm": {"pct": 0.35 + 0.25 * wave}}},
                    "memory": {"actual": {"used": {"pct": 0.55 + 0.05 * wave}}},
                    "load": {"1": 1.2 + wave}}}),
            serde_json::json!({"@timestamp": t, "host": {"name": host}, "event": {"dataset": "system.metrics"},
                "metricset": {"name": "filesystem"}, "system": {"filesystem": {"mount_point": "/",
                    "used": {"pct": 0.40 + 0.002 * i as f64}}}}),
            serde_json::json!({"@timestamp": t, "host": {"name": host}, "event": {"dataset": "system.metrics"},
                "metricset": {"name": "network"}, "system": {"network": {"name": "eth0",
                    "in": {"bytes": i * i * 40_000}, "out": {"bytes": i * 900_000}}}}),
        ];
        for doc in docs {
            body.push_str(&format!(
                "{{\"index\":{{\"_index\":\"{index}\"}}}}\n{doc}\n"
            ));
        }
    }
    body
}

fn post_bulk(url: &str, body: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut response = agent
        .post(&format!("{url}/_bulk?refresh=wait_for"))
        .header("Content-Type", "application/x-ndjson")
        .send(body)
        .expect("_bulk");
    let body: serde_json::Value = response.body_mut().read_json().expect("_bulk JSON");
    assert_eq!(body["errors"], false, "bulk errors: {body}");
}

#[test]
fn discover_search_live_tail_xss_and_metrics_in_the_browser() {
    require_browser();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("logs")).expect("mkdir");
    let (api_port, console_port) = (free_port(), free_port());
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let glob = dir.path().join("logs/*.log").to_string_lossy().into_owned();
    let listen = format!("127.0.0.1:{api_port}");
    let console = format!("127.0.0.1:{console_port}");
    let _standalone = Logpipe::start(
        &[
            "standalone",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--console-listen",
            &console,
            "--host-name",
            "solo",
            &glob,
        ],
        &dir.path().join("standalone.log"),
    );
    wait::port_open(&listen, PATIENCE);
    wait::port_open(&console, PATIENCE);
    let log_file = dir.path().join("logs/app.log");
    append_lines(&log_file, "boot", 0..300);
    let es = EsClient::new(&format!("http://{listen}"));
    es.wait_count("logpipe-*", 300, PATIENCE);
    post_bulk(
        &format!("http://{listen}"),
        &metrics_bulk("metrics-test", "web-1"),
    );
    run_script(
        "discover.mjs",
        &[
            ("CONSOLE_URL", format!("http://{console}")),
            ("LOG_FILE", log_file.to_string_lossy().into_owned()),
        ],
    );
}

/// Tansu, etcd and an agent of one host configured from etcd: its collect key lists `logs/first.log` (10
/// lines, topic `first_log`); `logs/added.log` (25 lines, topic `added_log`) exists for a page to add.
struct AgentOnEtcd {
    _agent: Logpipe,
    tansu: Tansu,
    etcd: Etcd,
    _dir: tempfile::TempDir,
    root: PathBuf,
    first: PathBuf,
    added: PathBuf,
}

impl AgentOnEtcd {
    fn start(host: &str) -> AgentOnEtcd {
        let tansu = Tansu::start();
        let etcd = Etcd::start();
        for topic in ["first_log", "added_log"] {
            tansu.create_topic(topic, 1);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let (agent, first, added) = agent_on_etcd(&tansu, &etcd, &root, host);
        AgentOnEtcd {
            _agent: agent,
            tansu,
            etcd,
            _dir: dir,
            root,
            first,
            added,
        }
    }

    /// The paths of the host's collect entries in etcd.
    fn collect_paths(&self, host: &str) -> Vec<String> {
        let value = self
            .etcd
            .get(&format!("/logpipe/collect/{host}"))
            .expect("collect key");
        let entries: serde_json::Value = serde_json::from_str(&value).expect("JSON array");
        entries
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|e| e["path"].as_str().map(str::to_string))
            .collect()
    }
}

/// Writes the agent's config and files, puts its collect key and starts it: the agent and both paths.
fn agent_on_etcd(
    tansu: &Tansu,
    etcd: &Etcd,
    root: &Path,
    host: &str,
) -> (Logpipe, PathBuf, PathBuf) {
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let config = root.join("agent.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
host_name = "{host}"
status_interval = "300ms"
status_ttl = "3s"
[kafka]
brokers = "{brokers}"
linger_ms = 1
[tail]
poll_interval = "250ms"
checkpoint_interval = "200ms"
[etcd]
endpoints = ["{endpoint}"]
allow_paths = ["{root}/**"]
connect_timeout = "1s"
"#,
            data = root.join("data").display(),
            brokers = tansu.brokers(),
            endpoint = etcd.endpoint(),
            root = root.display(),
        ),
    )
    .expect("write config");
    let first = logs.join("first.log");
    let added = logs.join("added.log");
    append_lines(&first, "first", 0..10);
    append_lines(&added, "added", 0..25);
    etcd.put(
        &format!("/logpipe/collect/{host}"),
        &format!(r#"[{{"path":"{}","topic":"first_log"}}]"#, first.display()),
    );
    let config_arg = config.to_string_lossy().into_owned();
    let agent = Logpipe::start(&["agent", "--config", &config_arg], &root.join("agent.log"));
    (agent, first, added)
}

const TOKEN: &str = "console-test-token-0123456789";

#[test]
fn collect_entry_added_in_the_browser_reaches_etcd_and_the_agent_tails_it() {
    require_browser();
    let fleet = AgentOnEtcd::start("web-7");
    let (tansu, etcd, root) = (&fleet.tansu, &fleet.etcd, &fleet.root);
    let (first, added) = (&fleet.first, &fleet.added);
    let console_port = free_port();
    let listen = format!("127.0.0.1:{console_port}");
    let _console = Logpipe::start(
        &[
            "console",
            "--listen",
            &listen,
            "--search",
            "http://127.0.0.1:9",
            "--etcd",
            &etcd.endpoint(),
            "--auth-token",
            TOKEN,
        ],
        &root.join("console.log"),
    );
    wait::port_open(&listen, PATIENCE);
    run_script(
        "collect.mjs",
        &[
            ("CONSOLE_URL", format!("http://{listen}")),
            ("TOKEN", TOKEN.to_string()),
            ("HOST", "web-7".to_string()),
            ("NEW_PATH", added.to_string_lossy().into_owned()),
            ("TOPIC", "added_log".to_string()),
        ],
    );
    assert_eq!(
        fleet.collect_paths("web-7"),
        vec![
            first.to_string_lossy().into_owned(),
            added.to_string_lossy().into_owned()
        ]
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "added_log");
    let messages = reader.read_at_least(25, PATIENCE).to_vec();
    crate::common::agent::assert_exact(&messages, &crate::common::agent::expected("added", 0..25));
}

#[test]
fn discover_opens_on_the_newest_index_family_and_remembers_the_choice() {
    require_browser();
    let store = StoreProcess::start();
    let now = chrono::Utc::now();
    let mut body = String::new();
    for (index, minutes_ago, message) in [
        ("old_log", 10, "older line"),
        ("app_log", 1, "newest app line"),
    ] {
        let at = now - chrono::Duration::minutes(minutes_ago);
        let doc = serde_json::json!({
            "@timestamp": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "message": message,
        });
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"{index}-{}\"}}}}\n{doc}\n",
            at.format("%Y.%m.%d")
        ));
    }
    post_bulk(&store.url(), &body);
    let console = crate::common::console::start(&store.url(), &[]);
    run_script(
        "discover_index.mjs",
        &[("CONSOLE_URL", console.url.clone())],
    );
}

/// Named users in the browser: the login rate limit, a viewer cannot save, an editor's changes reach the
/// agent and appear in History with a diff, a stale restore is a conflict on the page, restoring the first
/// change brings the deleted entry back on the agent, and a cross-site form post is refused.
#[test]
fn users_history_restore_and_cross_site_posts_in_the_browser() {
    require_browser();
    let fleet = AgentOnEtcd::start("web-8");
    let (etcd, first, added) = (&fleet.etcd, &fleet.first, &fleet.added);
    let (users, roles) =
        crate::common::console::users_files(&fleet.root, &[("ann", "editor"), ("vic", "viewer")]);
    let console = crate::common::console::start(
        "http://127.0.0.1:9",
        &[
            "--etcd",
            &etcd.endpoint(),
            "--users-file",
            &users,
            "--users-roles-file",
            &roles,
        ],
    );
    let out = run_script(
        "users.mjs",
        &[
            ("CONSOLE_URL", console.url.clone()),
            ("HOST", "web-8".to_string()),
            ("FIRST_PATH", first.to_string_lossy().into_owned()),
            ("NEW_PATH", added.to_string_lossy().into_owned()),
            ("TOPIC", "added_log".to_string()),
        ],
    );
    let restored: i64 = out
        .lines()
        .find_map(|l| l.strip_prefix("RESTORED_REVISION="))
        .and_then(|r| r.trim().parse().ok())
        .expect("the script prints the restored revision");
    // The restored entries are the ones of the first change: both files.
    let first_path = first.to_string_lossy().into_owned();
    assert_eq!(
        fleet.collect_paths("web-8"),
        vec![first_path.clone(), added.to_string_lossy().into_owned()]
    );
    // The agent applied the restore and tails the deleted-then-restored file again: its new lines arrive.
    wait::until("the agent applies the restored revision", PATIENCE, || {
        let status = etcd.get("/logpipe/status/agent/web-8")?;
        let status: serde_json::Value = serde_json::from_str(&status).ok()?;
        let applied = status["config"]["revision"].as_i64()?;
        (applied >= restored && crate::common::etcd::tailed_paths(&status).contains(&first_path))
            .then_some(())
    });
    append_lines(first, "again", 0..5);
    let mut reader = TopicReader::new(&fleet.tansu.brokers(), "first_log");
    wait::until(
        "lines appended after the restore reach Kafka",
        PATIENCE,
        || {
            let messages = reader.drain(Duration::from_millis(500)).to_vec();
            let again = messages
                .iter()
                .filter(|m| {
                    m.json()["message"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("again"))
                })
                .count();
            (again == 5).then_some(())
        },
    );
}
