//! Logstash filters in every role, on real services: agent → Tansu with several entries (nginx combined
//! through dissect + date, a JSON application log through json + date + drop, syslog through grok, a Java
//! stack trace joined by multiline then grokked) and the failure tags; a bad filter list stopping the agent
//! with the entry, filter and key; an etcd change of an entry's filters applied to the next lines of its
//! file without moving it; dropped lines passing the checkpoint (a restart resends nothing); standalone
//! placing a JSON line at its own time; the transfer's per-topic filters, whose drops are committed.

use crate::common::agent::{setup, start_agent, wait_checkpointed, PATIENCE};
use crate::common::es::EsClient;
use crate::common::etcd::Etcd;
use crate::common::kafka::{Consumed, TopicReader};
use crate::common::ports::free_port;
use crate::common::process::{run_to_end, Logpipe};
use crate::common::store::StoreProcess;
use crate::common::tansu::Tansu;
use crate::common::{transfer, wait};
use serde_json::{json, Value};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

fn append(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).expect("mkdir");
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("append");
}

/// The events of `topic`, read until `count` arrived and nothing more for a moment.
fn events(brokers: &str, topic: &str, count: usize) -> Vec<Value> {
    let mut reader = TopicReader::new(brokers, topic);
    reader.read_at_least(count, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    assert_eq!(messages.len(), count, "{topic}: exactly {count} events");
    messages.iter().map(Consumed::json).collect()
}

/// The event whose field `key` (top-level or `a.b`) holds `value`.
fn find<'a>(events: &'a [Value], pointer: &str, value: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e.pointer(pointer).and_then(Value::as_str) == Some(value))
        .unwrap_or_else(|| panic!("no event with {pointer} = {value:?} in {events:#?}"))
}

fn tags(event: &Value) -> Vec<&str> {
    event["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

const NGINX_DISSECT: &str = r#"%{[source][address]} - %{[user][name]} [%{ts}] \"%{[http][request][method]} %{[url][original]} HTTP/%{[http][version]}\" %{[http][response][status_code]} %{[http][response][body][bytes]} \"%{[http][request][referrer]}\" \"%{[user_agent][original]}\""#;

#[test]
fn every_filter_on_real_lines_through_the_agent_into_kafka() {
    let tansu = Tansu::start();
    for topic in ["nginx", "app", "syslog", "java"] {
        tansu.create_topic(topic, 1);
    }
    // The first entry tails logs/*.log (nginx); the others sit in subdirectories.
    let entries = format!(
        r#"filters = [
  {{ dissect = {{ mapping = {{ message = "{NGINX_DISSECT}" }}, convert_datatype = {{ "http.response.status_code" = "int", "http.response.body.bytes" = "int" }} }} }},
  {{ date = {{ match = ["ts", "dd/MMM/yyyy:HH:mm:ss Z"], remove_field = ["ts"] }} }},
]
[[collect]]
path = "{{LOGS}}/app/*.log"
topic = "app"
filters = [
  {{ json = {{ source = "message" }} }},
  {{ date = {{ match = ["ts", "ISO8601", "UNIX_MS"] }} }},
  {{ mutate = {{ rename = {{ lvl = "[log][level]" }}, add_field = {{ env = "prod" }}, convert = {{ user_id = "integer" }} }} }},
  {{ drop = {{ if = '[log][level] == "DEBUG"' }} }},
]
[[collect]]
path = "{{LOGS}}/syslog/*.log"
topic = "syslog"
filters = [
  {{ grok = {{ match = {{ message = "%{{SYSLOGLINE}}" }}, overwrite = ["message"] }} }},
  {{ date = {{ match = ["timestamp", "MMM dd HH:mm:ss", "MMM  d HH:mm:ss"], timezone = "UTC" }} }},
]
[[collect]]
path = "{{LOGS}}/java/*.log"
topic = "java"
filters = [
  {{ grok = {{ match = {{ message = '%{{TIMESTAMP_ISO8601:ts}} %{{LOGLEVEL:[log][level]}} \[%{{DATA:[process][thread][name]}}\] %{{JAVACLASS:[log][logger]}} - %{{GREEDYDATA:[error][message]}}' }} }} }},
  {{ date = {{ match = ["ts", "yyyy-MM-dd HH:mm:ss,SSS"] }} }},
]
[collect.multiline]
pattern = '^\d{{4}}-'
negate = true
match = "after"
timeout = "300ms"
"#
    );
    let agent_setup = setup(&tansu, "nginx", &entries, "");
    let config = fs::read_to_string(&agent_setup.config).expect("config");
    fs::write(
        &agent_setup.config,
        config.replace("{LOGS}", &agent_setup.logs.to_string_lossy()),
    )
    .expect("config");
    let logs = &agent_setup.logs;
    append(
        &logs.join("access.log"),
        concat!(
            r#"93.184.216.34 - frank [10/Oct/2026:13:55:36 +0200] "GET /apache_pb.gif?user=42 HTTP/1.1" 200 2326 "http://www.example.com/start.html" "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0""#,
            "\n",
            r#"10.1.2.3 - - [10/Oct/2026:13:55:37 +0200] "POST /api/orders HTTP/2.0" 503 91 "-" "curl/8.5.0""#,
            "\n",
            "this is not an access log line\n",
        ),
    );
    append(
        &logs.join("app/app.log"),
        concat!(
            r#"{"ts":"2026-03-04T05:06:07.890Z","lvl":"ERROR","msg":"payment declined","user_id":"4242","event":{"id":"forged"}}"#,
            "\n",
            r#"{"ts":1767323045678,"lvl":"INFO","msg":"order placed"}"#,
            "\n",
            r#"{"ts":"2026-03-04T05:06:08Z","lvl":"DEBUG","msg":"cache miss"}"#,
            "\n",
            "plain text, not JSON\n",
            r#"{"ts":"yesterday at noon","lvl":"WARN","msg":"clock"}"#,
            "\n",
        ),
    );
    append(
        &logs.join("syslog/messages.log"),
        "Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]\n\
         Mar  6 09:12:01 evita CRON[2201]: (root) CMD (run-parts /etc/cron.hourly)\n\
         <<< not syslog >>>\n",
    );
    append(
        &logs.join("java/app.log"),
        "2026-11-22 04:51:21,123 ERROR [http-nio-8080-exec-1] com.example.OrderService - request failed\n\
         java.lang.IllegalStateException: connection closed\n\
         \tat com.example.Db.query(Db.java:42)\n\
         \tat com.example.OrderService.place(OrderService.java:17)\n\
         2026-11-22 04:51:22,001 INFO [main] com.example.App - still serving\n",
    );
    let agent = start_agent(&agent_setup);
    let brokers = tansu.brokers();
    let shown = std::panic::catch_unwind(|| events(&brokers, "nginx", 3));
    let nginx = shown.unwrap_or_else(|panic| {
        eprintln!("agent log:\n{}", agent.log());
        std::panic::resume_unwind(panic)
    });
    let frank = find(&nginx, "/user/name", "frank");
    assert_eq!(frank["source"]["address"], "93.184.216.34");
    assert_eq!(frank["http"]["request"]["method"], "GET");
    assert_eq!(frank["url"]["original"], "/apache_pb.gif?user=42");
    assert_eq!(frank["http"]["response"]["status_code"], 200);
    assert_eq!(frank["http"]["response"]["body"]["bytes"], 2326);
    assert_eq!(
        frank["@timestamp"], "2026-10-10T11:55:36.000Z",
        "the line's own time"
    );
    let ingested = frank["event"]["ingested"].as_str().expect("event.ingested");
    assert!(
        ingested.ends_with('Z') && ingested.len() == 24,
        "{ingested}"
    );
    assert!(frank.get("ts").is_none(), "remove_field after date");
    assert_eq!(
        frank["log"]["file"]["path"],
        logs.join("access.log").to_string_lossy().as_ref()
    );
    assert!(frank["log"]["offset"].is_u64() && frank["event"]["id"].is_string());
    assert!(tags(frank).is_empty(), "{frank}");
    let failed = find(&nginx, "/message", "this is not an access log line");
    assert_eq!(tags(failed), ["_dissectfailure"]);
    assert!(
        failed["event"].get("ingested").is_none(),
        "nothing dissected, no date read: the read time stays @timestamp"
    );

    // DEBUG dropped: 4 of 5 lines.
    let app = events(&brokers, "app", 4);
    let error = find(&app, "/msg", "payment declined");
    assert_eq!(error["log"]["level"], "ERROR");
    assert_eq!(error["@timestamp"], "2026-03-04T05:06:07.890Z");
    assert_eq!(error["env"], "prod");
    assert_eq!(error["user_id"], 4242);
    assert_ne!(
        error["event"]["id"], "forged",
        "a line cannot replace event.id"
    );
    // The agent's id: <uid>-<the line's offset in 16 hex digits>.
    let offset = error["log"]["offset"].as_u64().expect("log.offset");
    let id = error["event"]["id"].as_str().expect("event.id");
    assert!(
        id.len() == 49 && id.ends_with(&format!("-{offset:016x}")),
        "{id} for offset {offset}"
    );
    assert!(error.get("lvl").is_none());
    let info = find(&app, "/msg", "order placed");
    assert_eq!(info["@timestamp"], "2026-01-02T03:04:05.678Z", "UNIX_MS");
    let plain = find(&app, "/message", "plain text, not JSON");
    assert_eq!(tags(plain), ["_jsonparsefailure"]);
    let clock = find(&app, "/msg", "clock");
    assert_eq!(tags(clock), ["_dateparsefailure"]);
    assert!(
        app.iter().all(|e| e["msg"] != "cache miss"),
        "DEBUG dropped"
    );

    let syslog = events(&brokers, "syslog", 3);
    let postfix = find(&syslog, "/process/name", "postfix/smtpd");
    assert_eq!(postfix["host"]["hostname"], "evita");
    assert_eq!(postfix["process"]["pid"], 1713);
    assert_eq!(
        postfix["message"],
        "connect from camomile.cloud9.net[168.100.1.3]"
    );
    let year = postfix["@timestamp"].as_str().expect("@timestamp")[..4].to_string();
    assert!(
        postfix["@timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with("-03-16T00:01:25.000Z")),
        "{postfix}"
    );
    let cron = find(&syslog, "/process/name", "CRON");
    assert_eq!(
        cron["@timestamp"],
        format!("{year}-03-06T09:12:01.000Z"),
        "MMM  d"
    );
    let garbage = find(&syslog, "/message", "<<< not syslog >>>");
    assert_eq!(tags(garbage), ["_grokparsefailure"]);

    // Two events: the stack trace joined into the first, then grokked whole.
    let java = events(&brokers, "java", 2);
    let failure = find(&java, "/log/level", "ERROR");
    assert_eq!(failure["log"]["logger"], "com.example.OrderService");
    assert_eq!(failure["process"]["thread"]["name"], "http-nio-8080-exec-1");
    assert_eq!(
        failure["error"]["message"],
        "request failed\njava.lang.IllegalStateException: connection closed\n\tat com.example.Db.query(Db.java:42)\n\tat com.example.OrderService.place(OrderService.java:17)"
    );
    assert_eq!(failure["log"]["flags"], json!(["multiline"]));
    assert_eq!(failure["@timestamp"], "2026-11-22T04:51:21.123Z");
    let serving = find(&java, "/log/level", "INFO");
    assert_eq!(serving["error"]["message"], "still serving");
}

#[test]
fn a_bad_filter_list_stops_the_agent_naming_entry_filter_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("agent.toml");
    fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
[kafka]
brokers = "127.0.0.1:9"
[[collect]]
path = "/var/log/ok.log"
topic = "ok"
[[collect]]
path = "/var/log/app/*.log"
topic = "app"
filters = [
  {{ json = {{ source = "message" }} }},
  {{ grok = {{ match = {{ message = "%{{COMBINEDAPACHELOGG}}" }} }} }},
]
"#,
            data = dir.path().join("data").display()
        ),
    )
    .expect("write");
    let config = config.to_string_lossy().into_owned();
    let (status, stderr) = run_to_end(&["agent", "--config", &config]);
    assert!(!status.success());
    assert!(
        stderr.contains("collect[1].filters[1].grok.match: ")
            && stderr.contains("COMBINEDAPACHELOGG"),
        "{stderr}"
    );
}

/// Lines dropped by a filter are acknowledged: the checkpoint reaches the end of the file even when the
/// file ends with dropped lines, and a restart resends nothing.
#[test]
fn dropped_lines_pass_the_checkpoint_and_are_not_resent() {
    let tansu = Tansu::start();
    tansu.create_topic("kept", 1);
    let agent_setup = setup(
        &tansu,
        "kept",
        r#"filters = [ { drop = { if = '[message] =~ /^noise/' } } ]"#,
        "",
    );
    let file = agent_setup.logs.join("mixed.log");
    let mut text = String::new();
    for i in 0..300 {
        if i % 3 == 0 {
            text.push_str(&format!("signal {i:04}\n"));
        } else {
            text.push_str(&format!("noise {i:04}\n"));
        }
    }
    text.push_str("noise at the very end\n");
    append(&file, &text);
    let mut agent = start_agent(&agent_setup);
    let data = agent_setup.dir.path().join("data");
    wait_checkpointed(&data, &file);
    let mut reader = TopicReader::new(&tansu.brokers(), "kept");
    reader.read_at_least(100, PATIENCE);
    assert_eq!(reader.drain(Duration::from_millis(500)).len(), 100);
    assert!(agent.terminate(Duration::from_secs(10)).success());

    let _agent = start_agent(&agent_setup);
    append(&file, "signal after restart\nnoise after restart\n");
    wait_checkpointed(&data, &file);
    reader.read_at_least(101, PATIENCE);
    let messages = reader.drain(Duration::from_secs(1)).to_vec();
    let texts: Vec<String> = messages
        .iter()
        .map(|m| m.json()["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts.len(), 101, "nothing resent after the restart");
    assert_eq!(
        texts.last().map(String::as_str),
        Some("signal after restart")
    );
    assert!(texts.iter().all(|t| t.starts_with("signal")));
}

#[test]
fn etcd_change_of_filters_applies_to_next_lines_and_keeps_the_position() {
    let tansu = Tansu::start();
    let etcd = Etcd::start();
    tansu.create_topic("web", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical");
    let file = root.join("logs/web.log");
    let config = root.join("agent.toml");
    fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
host_name = "test-host"
status_interval = "300ms"
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
    .expect("config");
    let key = "/logpipe/collect/test-host";
    let entry = |filters: &str| {
        format!(
            r#"[{{"path":"{}","topic":"web","filters":{filters}}}]"#,
            file.display()
        )
    };
    let lines = |from: usize, to: usize| {
        (from..to)
            .map(|i| format!("GET /item/{i} 200\n"))
            .collect::<String>()
    };
    append(&file, &lines(0, 50));
    etcd.put(key, &entry(r#"[{"mutate":{"add_tag":["v1"]}}]"#));
    let config_arg = config.to_string_lossy().into_owned();
    let agent = Logpipe::start(&["agent", "--config", &config_arg], &root.join("agent.log"));
    let mut reader = TopicReader::new(&tansu.brokers(), "web");
    reader.read_at_least(50, PATIENCE);
    wait_checkpointed(&root.join("data"), &file);

    etcd.put(
        key,
        &entry(
            r#"[{"dissect":{"mapping":{"message":"%{[http][request][method]} %{[url][path]} %{[http][response][status_code]}"}}},
                {"mutate":{"add_tag":["v2"]}}]"#,
        ),
    );
    wait::until("the new filters applied", PATIENCE, || {
        agent.log().contains("new filters").then_some(())
    });
    append(&file, &lines(50, 100));
    reader.read_at_least(100, PATIENCE);
    let messages = reader.drain(Duration::from_secs(1)).to_vec();
    assert_eq!(
        messages.len(),
        100,
        "the file kept its position: nothing resent"
    );
    for m in &messages {
        let event = m.json();
        let n: usize = event["message"]
            .as_str()
            .and_then(|t| t.split('/').nth(2))
            .and_then(|t| t.split(' ').next())
            .and_then(|t| t.parse().ok())
            .expect("line number");
        if n < 50 {
            assert_eq!(tags(&event), ["v1"], "{event}");
            assert!(event.get("url").is_none());
        } else {
            assert_eq!(tags(&event), ["v2"], "{event}");
            assert_eq!(event["url"]["path"], format!("/item/{n}"));
        }
    }

    // A filter list that does not compile: refused, named in the status key, the last good one kept.
    etcd.put(
        key,
        &entry(r#"[{"grok":{"match":{"message":"%{NOPE:x}"}}}]"#),
    );
    wait::until("the refused filters in the status key", PATIENCE, || {
        let status: Value =
            serde_json::from_str(&etcd.get("/logpipe/status/agent/test-host")?).ok()?;
        let errors = status["config"]["errors"].to_string();
        errors.contains("[0].filters[0].grok.match: ").then_some(())
    });
    append(&file, &lines(100, 110));
    reader.read_at_least(110, PATIENCE);
    let messages = reader.drain(Duration::from_millis(500)).to_vec();
    assert_eq!(messages.len(), 110);
    for m in &messages[100..] {
        assert_eq!(tags(&m.json()), ["v2"], "the previous filters still run");
    }
}

/// A JSON line with its own time and level, through standalone: found by `level:error`, indexed in the
/// daily index of its own day, and counted at its own time by the store's date histogram.
#[test]
fn standalone_places_a_json_line_at_its_own_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let config = dir.path().join("standalone.toml");
    fs::write(
        &config,
        format!(
            r#"data_dir = {data:?}
listen = {listen:?}
host_name = "solo"
[[collect]]
path = {glob:?}
filters = [
  {{ json = {{ source = "message" }} }},
  {{ date = {{ match = ["ts", "ISO8601"], remove_field = ["ts"] }} }},
]
"#,
            data = dir.path().join("data").to_string_lossy(),
            glob = logs.join("*.log").to_string_lossy(),
        ),
    )
    .expect("config");
    let config_arg = config.to_string_lossy().into_owned();
    let _standalone = Logpipe::start(
        &["standalone", "--config", &config_arg],
        &dir.path().join("standalone.log"),
    );
    wait::port_open(&listen, PATIENCE);
    append(
        &logs.join("app.log"),
        concat!(
            r#"{"ts":"2026-03-04T05:06:07.890+01:00","level":"error","msg":"disk full on /var"}"#,
            "\n",
            r#"{"ts":"2026-03-04T05:30:00Z","level":"info","msg":"all good"}"#,
            "\n",
        ),
    );
    let es = EsClient::new(&format!("http://{listen}"));
    es.wait_count("logpipe-*", 2, PATIENCE);
    let (status, body) = es.search(
        "logpipe-*",
        &json!({
            "query": {"query_string": {"query": "level:error"}},
            "aggs": {"over_time": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}}}
        }),
    );
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"]["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{body}");
    assert_eq!(hits[0]["_source"]["msg"], "disk full on /var");
    assert_eq!(hits[0]["_source"]["@timestamp"], "2026-03-04T04:06:07.890Z");
    assert_eq!(
        hits[0]["_index"], "logpipe-2026.03.04",
        "the daily index of its own day"
    );
    assert_eq!(hits[0]["_id"], hits[0]["_source"]["event"]["id"]);
    let buckets: Vec<(String, u64)> = body["aggregations"]["over_time"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .filter(|b| b["doc_count"].as_u64() > Some(0))
        .map(|b| {
            (
                b["key_as_string"].as_str().unwrap_or_default().to_string(),
                b["doc_count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(buckets.len(), 1, "{body}");
    assert!(
        buckets[0].0.starts_with("2026-03-04T04:00:00"),
        "{buckets:?}"
    );
    assert_eq!(buckets[0].1, 1);
}

/// The transfer's `[filters]`: a topic by name and topics by regex get their lists, another topic none; a
/// dropped message is not indexed and its offset is committed.
#[test]
fn transfer_filters_per_topic_and_drops_are_committed() {
    let tansu = Tansu::start();
    for topic in ["app_log", "web_a", "plain"] {
        tansu.create_topic(topic, 1);
    }
    let store = StoreProcess::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["app_log", "^web_.*", "plain"]"#,
        &store.url(),
        "",
        "",
    );
    append(
        &config,
        r#"
[filters]
app_log = [
  { json = { source = "message" } },
  { drop = { if = '[level] == "DEBUG" or [@metadata][kafka][topic] != "app_log"' } },
]
"^web_.*" = [ { grok = { match = { message = "%{COMBINEDAPACHELOG}" } } } ]
"#,
    );
    let agent_event = |i: usize, message: &str| {
        let event = json!({
            "@timestamp": "2026-11-22T04:51:21.123Z",
            "message": message,
            "host": {"name": "web-1"},
            "event": {"id": format!("{i:032x}")},
        });
        (format!("k{i}"), event.to_string().into_bytes())
    };
    let brokers = tansu.brokers();
    let mut app = Vec::new();
    for i in 0..30 {
        let level = if i % 3 == 0 { "DEBUG" } else { "error" };
        app.push(agent_event(i, &format!(r#"{{"level":"{level}","n":{i}}}"#)));
    }
    transfer::produce(&brokers, "app_log", &app);
    transfer::produce(
        &brokers,
        "web_a",
        &[agent_event(
            100,
            r#"93.184.216.34 - frank [10/Oct/2026:13:55:36 +0200] "GET /a.gif HTTP/1.1" 200 2326 "-" "curl/8.5""#,
        )],
    );
    transfer::produce(
        &brokers,
        "plain",
        &[agent_event(200, r#"{"level":"DEBUG"}"#)],
    );
    let log = dir.path().join("transfer.log");
    let _transfer = transfer::start(&config, &log);
    store.wait_count("app_log-*", 20, Duration::from_secs(90));
    store.wait_count("web_a-*", 1, PATIENCE);
    store.wait_count("plain-*", 1, PATIENCE);

    let app_docs = store.all_documents("app_log-*");
    assert_eq!(app_docs.len(), 20, "the 10 DEBUG lines dropped");
    assert!(app_docs
        .iter()
        .all(|d| d["level"] == "error" && d.get("@metadata").is_none()));
    let web = store.all_documents("web_a-*");
    assert_eq!(web[0]["source"]["address"], "93.184.216.34");
    assert_eq!(web[0]["http"]["response"]["status_code"], 200);
    let plain = store.all_documents("plain-*");
    assert_eq!(
        plain[0]["message"], r#"{"level":"DEBUG"}"#,
        "no filters for this topic"
    );

    // One more DEBUG line, the last of its partition: dropped, and committed all the same.
    transfer::produce(
        &brokers,
        "app_log",
        &[agent_event(30, r#"{"level":"DEBUG"}"#)],
    );
    wait::until(
        "app_log committed up to its 31 messages",
        Duration::from_secs(60),
        || {
            (committed_offset(&brokers, "logpipe-transfer-test", "app_log") == Some(31))
                .then_some(())
        },
    );
    assert_eq!(store.all_documents("app_log-*").len(), 20);
}

/// The offset `group` committed for partition 0 of `topic` (no group join: an offset fetch).
fn committed_offset(brokers: &str, group: &str, topic: &str) -> Option<i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .ok()?;
    let mut list = rdkafka::TopicPartitionList::new();
    list.add_partition(topic, 0);
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(5))
        .ok()?;
    match committed.find_partition(topic, 0)?.offset() {
        rdkafka::Offset::Offset(n) => Some(n),
        _ => None,
    }
}
