//! Issue 24: `logpipe import logstash` on pipelines written in Logstash's documented syntax — a file → Kafka
//! shipper with a multiline codec (imported, then run: it ships), a Kafka → grok/date → Elasticsearch
//! indexer with data streams and conditionals, and a pipeline with what logpipe does not have (listed in
//! IMPORT.md with file:line; non-zero exit unless --allow-partial).

use crate::common::agent::PATIENCE;
use crate::common::kafka::TopicReader;
use crate::common::process::{run_to_end, Logpipe};
use crate::common::tansu::Tansu;
use std::fs;
use std::path::Path;
use std::time::Duration;

fn import(files: &[&Path], out: &Path, partial: bool) -> (bool, String) {
    let mut args = vec!["import".to_string(), "logstash".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.push("--out".into());
    args.push(out.display().to_string());
    if partial {
        args.push("--allow-partial".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, output) = run_to_end(&args);
    (status.success(), output)
}

#[test]
fn a_file_to_kafka_shipper_with_multiline_is_imported_and_ships() {
    let tansu = Tansu::start();
    tansu.create_topic("java_app", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let conf = dir.path().join("shipper.conf");
    fs::write(
        &conf,
        format!(
            r#"# Ship the Java app's logs to Kafka.
input {{
  file {{
    path => ["{logs}/*.log"]
    exclude => "*.gz"
    start_position => "beginning"
    sincedb_path => "{dir}/sincedb"
    type => "java"
    codec => multiline {{
      pattern => "^\s"
      what => "previous"
    }}
  }}
}}
output {{
  kafka {{
    bootstrap_servers => "{brokers}"
    topic_id => "java_app"
    codec => json
    compression_type => "lz4"
    acks => "all"
  }}
}}
"#,
            logs = logs.display(),
            dir = dir.path().display(),
            brokers = tansu.brokers()
        ),
    )
    .expect("conf");
    let out = dir.path().join("out");
    let (ok, output) = import(&[&conf], &out, false);
    assert!(
        ok,
        "{output}\n{}",
        fs::read_to_string(out.join("IMPORT.md")).unwrap_or_default()
    );
    let report = fs::read_to_string(out.join("IMPORT.md")).expect("IMPORT.md");
    assert!(report.contains("Everything was carried over"), "{report}");
    let agent_toml = fs::read_to_string(out.join("agent.toml")).expect("agent.toml");
    assert!(agent_toml.contains("compression = \"lz4\""), "{agent_toml}");
    // Run it as imported, but with a data directory of the test's own.
    let data = dir.path().join("data");
    let agent_toml = agent_toml.replace("/var/lib/logpipe", &data.display().to_string());
    fs::write(out.join("agent.toml"), agent_toml).expect("agent.toml");
    fs::write(
        logs.join("app.log"),
        "first event\n  at com.example.Main\n  at java.lang.Thread\nsecond event\nthird event\n",
    )
    .expect("log");
    fs::write(logs.join("old.log.gz"), "excluded\n").expect("gz");
    let config = out.join("agent.toml").display().to_string();
    let agent = Logpipe::start(
        &["agent", "--config", &config],
        &dir.path().join("agent.log"),
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "java_app");
    // The last event is complete once the multiline timeout passes (5 s).
    reader.read_at_least(3, PATIENCE);
    let messages = reader.drain(Duration::from_secs(2));
    let docs: Vec<serde_json::Value> = messages.iter().map(|m| m.json()).collect();
    assert_eq!(docs.len(), 3, "{docs:?}");
    assert_eq!(
        docs[0]["message"],
        "first event\n  at com.example.Main\n  at java.lang.Thread"
    );
    assert!(docs.iter().all(|d| d["type"] == "java"), "{docs:?}");
    drop(agent);
}

#[test]
fn a_kafka_to_elasticsearch_indexer_with_conditionals_and_data_streams_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("indexer.conf");
    fs::write(
        &conf,
        r#"input {
  kafka {
    bootstrap_servers => "kafka-1:9092,kafka-2:9092"
    topics => ["web_access", "app_json"]
    group_id => "logstash-indexers"
    consumer_threads => 2
    codec => json
    security_protocol => "SASL_SSL"
    sasl_mechanism => "SCRAM-SHA-512"
    sasl_jaas_config => "org.apache.kafka.common.security.scram.ScramLoginModule required username='indexer' password='s3cret';"
  }
}
filter {
  if [fields][kind] == "access" {
    grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }
    date { match => ["timestamp", "dd/MMM/yyyy:HH:mm:ss Z"] }
  } else if [fields][kind] == "json" {
    json { source => "message" }
  } else {
    drop { }
  }
  mutate { remove_field => ["[fields][kind]"] }
}
output {
  elasticsearch {
    hosts => ["https://es-1:9200", "https://es-2:9200"]
    user => "logstash_writer"
    password => "changeme"
    ssl_certificate_authorities => ["/etc/logstash/es-ca.pem"]
    data_stream => "true"
    data_stream_dataset => "web"
    document_id => "%{[event][id]}"
  }
}
"#,
    )
    .expect("conf");
    let out = dir.path().join("out");
    let (ok, output) = import(&[&conf], &out, false);
    let report = fs::read_to_string(out.join("IMPORT.md")).unwrap_or_default();
    assert!(ok, "{output}\n{report}");
    let text = fs::read_to_string(out.join("transfer.toml")).expect("transfer.toml");
    let config: toml::Table = toml::from_str(&text).expect("TOML");
    assert_eq!(config["kafka"]["group"].as_str(), Some("logstash-indexers"));
    assert_eq!(
        config["kafka"]["security_protocol"].as_str(),
        Some("sasl_ssl")
    );
    assert_eq!(
        config["kafka"]["sasl"]["username"].as_str(),
        Some("indexer")
    );
    assert_eq!(config["elasticsearch"]["data_stream"].as_bool(), Some(true));
    assert!(config["elasticsearch"].get("index").is_none());
    let filters = config["filters"]["^.*"].as_array().expect("filters");
    assert_eq!(filters.len(), 5, "{text}");
    assert_eq!(
        filters[0]["grok"]["if"].as_str(),
        Some(r#"[fields][kind] == "access""#)
    );
    assert_eq!(
        filters[2]["json"]["if"].as_str(),
        Some(r#"(not ([fields][kind] == "access")) and ([fields][kind] == "json")"#)
    );
    assert_eq!(
        filters[3]["drop"]["if"].as_str(),
        Some(r#"(not ([fields][kind] == "access")) and (not ([fields][kind] == "json"))"#)
    );
    assert!(filters[4]["mutate"].get("if").is_none());
    assert!(report.contains("document_id"), "{report}");
}

#[test]
fn what_logpipe_does_not_have_is_listed_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("partial.conf");
    fs::write(
        &conf,
        r#"input {
  file { path => "/var/log/app.log" close_older => 3600 }
}
filter {
  ruby { code => "event.set('x', 1)" }
  kv { source => "message" }
}
output {
  kafka { topic_id => "app" }
  stdout { codec => rubydebug }
}
"#,
    )
    .expect("conf");
    let out = dir.path().join("out");
    let (ok, output) = import(&[&conf], &out, false);
    assert!(!ok, "{output}");
    assert!(
        output.contains("IMPORT.md") && output.contains("--allow-partial"),
        "{output}"
    );
    let report = fs::read_to_string(out.join("IMPORT.md")).expect("IMPORT.md");
    let name = conf.display().to_string();
    for expected in [
        format!("`{name}:2` file.close_older"),
        format!("`{name}:5` filter ruby"),
        format!("`{name}:6` filter kv"),
        format!("`{name}:10` output stdout"),
    ] {
        assert!(report.contains(&expected), "{expected} in\n{report}");
    }
    let (ok, output) = import(&[&conf], &out, true);
    assert!(ok, "{output}");
    assert!(out.join("agent.toml").exists());
}

fn import_filebeat(file: &Path, out: &Path) -> (bool, String) {
    let (file, out) = (file.display().to_string(), out.display().to_string());
    let (status, output) = run_to_end(&["import", "filebeat", &file, "--out", &out]);
    (status.success(), output)
}

#[test]
fn an_unreadable_file_is_named_with_its_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("filebeat.yml");
    let (ok, output) = import_filebeat(&missing, &dir.path().join("out"));
    assert!(!ok, "{output}");
    let line = output
        .lines()
        .find(|l| l.starts_with("logpipe: error:"))
        .unwrap_or_else(|| panic!("no error line: {output}"));
    assert!(line.contains(&missing.display().to_string()), "{line}");
    assert_eq!(
        line.matches("No such file or directory").count(),
        1,
        "{line}"
    );
}

#[test]
fn a_filebeat_filestream_with_ndjson_to_kafka_with_sasl_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yml = dir.path().join("filebeat.yml");
    fs::write(
        &yml,
        r#"filebeat.inputs:
  - type: filestream
    id: app-json
    paths:
      - /var/log/app/*.json
    exclude_files: ['\.gz$']
    parsers:
      - ndjson:
          target: ""
          add_error_key: true
    fields:
      team: payments
    processors:
      - drop_event:
          when:
            equals:
              log.level: debug
      - rename:
          fields:
            - from: "msg"
              to: "message"
  - type: log
    enabled: false
    paths: ["/var/log/old/*.log"]
processors:
  - drop_fields:
      fields: ["agent.ephemeral_id"]
output.kafka:
  hosts: ["kafka-1:9093", "kafka-2:9093"]
  topic: "app_json"
  compression: zstd
  required_acks: -1
  ssl.certificate_authorities: ["/etc/filebeat/kafka-ca.pem"]
  username: "filebeat"
  password: "${KAFKA_PASSWORD}"
  sasl.mechanism: SCRAM-SHA-512
"#,
    )
    .expect("yml");
    let out = dir.path().join("out");
    let (ok, output) = import_filebeat(&yml, &out);
    let report = fs::read_to_string(out.join("IMPORT.md")).unwrap_or_default();
    assert!(ok, "{output}\n{report}");
    let text = fs::read_to_string(out.join("agent.toml")).expect("agent.toml");
    let config: toml::Table = toml::from_str(&text).expect("TOML");
    let kafka = &config["kafka"];
    assert_eq!(kafka["brokers"].as_str(), Some("kafka-1:9093,kafka-2:9093"));
    assert_eq!(kafka["security_protocol"].as_str(), Some("sasl_ssl"));
    assert_eq!(kafka["acks"].as_str(), Some("all"));
    assert_eq!(
        kafka["sasl"]["password_env"].as_str(),
        Some("KAFKA_PASSWORD")
    );
    assert_eq!(
        kafka["tls"]["ca_file"].as_str(),
        Some("/etc/filebeat/kafka-ca.pem")
    );
    let collect = config["collect"].as_array().expect("collect");
    assert_eq!(collect.len(), 1, "the disabled input is left out: {text}");
    assert_eq!(collect[0]["exclude"][0].as_str(), Some("/var/log/app/*.gz"));
    assert_eq!(collect[0]["fields"]["team"].as_str(), Some("payments"));
    let filters = collect[0]["filters"].as_array().expect("filters");
    assert_eq!(filters[0]["json"]["source"].as_str(), Some("message"));
    assert_eq!(
        filters[1]["drop"]["if"].as_str(),
        Some(r#"[log][level] == "debug""#)
    );
    assert_eq!(
        config["migrate"]["filebeat_registry"].as_str(),
        Some("/var/lib/filebeat/registry/filebeat")
    );
}
