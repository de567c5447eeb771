//! Kafka over TLS and SASL on a real broker: Tansu 0.6 behind Debian's stunnel4 (Tansu does not terminate TLS
//! itself; see `common::secure_kafka`), with Tansu's own SCRAM authentication, and throw-away CAs made by
//! `openssl`.
//!
//! - TLS with a trusted CA delivers every line; with an untrusted CA the agent keeps running, says which key
//!   to fix (log, metrics), loses nothing, refuses a broken file on SIGHUP, and delivers everything once the
//!   CA is fixed and SIGHUP sent. `--check-config` names the key for each failure kind.
//! - Mutual TLS: a client certificate is required and used.
//! - SASL over TLS: a SCRAM-SHA-512 / SCRAM-SHA-256 login the broker refuses names `kafka.sasl.password_file`
//!   (check, log, status key in etcd — never the password); a broker without SASL names
//!   `kafka.sasl.mechanism`; the agent refused by the broker keeps every line, a changed password file alone
//!   is applied by SIGHUP, and a fixed file + SIGHUP delivers everything exactly once. Tansu 0.6 cannot hold a
//!   SCRAM user a client can log in as (see `common::secure_kafka`), so no login here succeeds.
//! - Every codec (none, gzip, snappy, lz4, zstd) round-trips agent → Kafka → transfer → store over TLS, with
//!   the transfer's dead-letter topic on the same secured connection.

use crate::common::agent::{append_lines, expected, message_counts, wait_checkpointed, PATIENCE};
use crate::common::etcd::Etcd;
use crate::common::kafka::TopicReader;
use crate::common::ports::free_port;
use crate::common::process::{run_output, Logpipe};
use crate::common::secure_kafka::{Pki, SecureKafka};
use crate::common::store::StoreProcess;
use crate::common::transfer::FAST_GROUP_OPTIONS;
use crate::common::wait;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A Tansu group join (20–30 s) plus a rebalance.
const JOIN_PATIENCE: Duration = Duration::from_secs(90);

/// An agent config tailing `dir/logs/*.log` into `topic`, with `kafka` lines after `[kafka] brokers`
/// (security keys and tables) and `top` lines at the top.
fn write_agent_config(dir: &Path, brokers: &str, topic: &str, kafka: &str, top: &str) -> PathBuf {
    let path = dir.join("agent.toml");
    let text = format!(
        r#"data_dir = "{data}"
host_name = "secure-host"
{top}
[tail]
poll_interval = "250ms"
checkpoint_interval = "200ms"
[[collect]]
path = "{logs}/*.log"
topic = "{topic}"
[kafka]
brokers = "{brokers}"
linger_ms = 1
{kafka}
"#,
        data = dir.join("data").display(),
        logs = dir.join("logs").display(),
    );
    fs::create_dir_all(dir.join("logs")).expect("mkdir logs");
    fs::write(&path, text).expect("write agent config");
    path
}

fn tls_lines(ca: &Path) -> String {
    format!(
        "security_protocol = \"ssl\"\n[kafka.tls]\nca_file = \"{}\"\n",
        ca.display()
    )
}

/// `--check-config` of `role` on `config`: (exit success, stdout).
fn check_config(role: &str, config: &Path) -> (bool, String) {
    let config = config.to_string_lossy().into_owned();
    let (status, stdout, stderr) = run_output(&[role, "--check-config", "--config", &config]);
    eprintln!("--- {role} --check-config {config}:\n{stdout}{stderr}");
    (status.success(), stdout)
}

/// The line of `output` about `what` (`kafka broker 127.0.0.1:1`).
fn line_about<'a>(output: &'a str, what: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.contains(&format!("{what}:")))
        .unwrap_or_else(|| panic!("no line about {what} in:\n{output}"))
}

fn scrape(port: u16) -> Option<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    agent
        .get(&format!("http://127.0.0.1:{port}/metrics"))
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()
}

/// The value of the sample line starting with `sample ` (name plus labels).
fn sample(page: &str, sample: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

fn wait_sample(port: u16, name: &str, check: impl Fn(f64) -> bool) -> String {
    wait::until(&format!("metric {name}"), PATIENCE, || {
        let page = scrape(port)?;
        sample(&page, name).filter(|v| check(*v)).map(|_| page)
    })
}

/// Reads `topic` through TLS (with `extra` librdkafka properties) until `lines` arrived, then checks that
/// they arrived exactly once.
fn assert_topic_holds_exactly(
    brokers: &str,
    topic: &str,
    properties: &[(&str, &str)],
    lines: &[String],
) {
    let mut reader = TopicReader::with_properties(brokers, topic, properties);
    reader.read_at_least(lines.len(), PATIENCE);
    let messages = reader.drain(Duration::from_secs(1));
    let counts = message_counts(messages);
    let missing = lines.iter().filter(|l| !counts.contains_key(*l)).count();
    assert_eq!(missing, 0, "{missing} lines missing");
    assert_eq!(messages.len(), lines.len(), "every line exactly once");
}

#[test]
fn tls_untrusted_ca_is_named_nothing_is_lost_and_sighup_with_the_right_ca_delivers_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let kafka = SecureKafka::start(&pki, false, None);
    kafka.tansu.create_topic("tls_log", 2);
    let brokers = kafka.brokers();
    let ca = pki.ca.to_string_lossy().into_owned();
    let reader_tls = [
        ("security.protocol", "ssl"),
        ("ssl.ca.location", ca.as_str()),
    ];

    // --check-config: the right CA passes; each failure kind names the key to fix.
    let checks = dir.path().join("checks");
    fs::create_dir_all(&checks).expect("mkdir");
    let good = write_agent_config(&checks, &brokers, "tls_log", &tls_lines(&pki.ca), "");
    let (ok, out) = check_config("agent", &good);
    assert!(ok, "{out}");
    assert!(line_about(&out, &format!("kafka broker {brokers}")).starts_with("ok"));
    assert!(line_about(&out, "kafka topic tls_log").contains("2 partitions"));
    assert!(
        out.contains("builtin.features") && out.contains("ssl"),
        "{out}"
    );
    let untrusted = write_agent_config(&checks, &brokers, "tls_log", &tls_lines(&pki.other_ca), "");
    let (ok, out) = check_config("agent", &untrusted);
    let line = line_about(&out, &format!("kafka broker {brokers}"));
    assert!(!ok && line.starts_with("FAIL"), "{out}");
    assert!(
        line.contains("not signed by a CA in kafka.tls.ca_file") && line.contains("other-ca.pem"),
        "{line}"
    );
    let plaintext = write_agent_config(&checks, &brokers, "tls_log", "", "");
    let (ok, out) = check_config("agent", &plaintext);
    let line = line_about(&out, &format!("kafka broker {brokers}"));
    assert!(!ok && line.contains("kafka.security_protocol"), "{line}");
    let unreachable = write_agent_config(&checks, "127.0.0.1:1", "tls_log", "", "");
    let (ok, out) = check_config("agent", &unreachable);
    let line = line_about(&out, "kafka broker 127.0.0.1:1");
    assert!(
        !ok && line.contains("cannot reach broker 127.0.0.1:1") && line.contains("kafka.brokers"),
        "{line}"
    );
    let no_ca_file = write_agent_config(
        &checks,
        &brokers,
        "tls_log",
        "security_protocol = \"ssl\"\n[kafka.tls]\nca_file = \"/nonexistent/ca.pem\"\n",
        "",
    );
    let (ok, out) = check_config("agent", &no_ca_file);
    assert!(
        !ok && line_about(&out, &format!("kafka broker {brokers}"))
            .contains("kafka.tls.ca_file: cannot read /nonexistent/ca.pem"),
        "{out}"
    );
    let conflict = write_agent_config(
        &checks,
        &brokers,
        "tls_log",
        "security_protocol = \"ssl\"\n[kafka.options]\n\"security.protocol\" = \"ssl\"\n",
        "",
    );
    let (ok, out) = check_config("agent", &conflict);
    assert!(
        !ok && out.contains("kafka.security_protocol and kafka.options.\"security.protocol\""),
        "{out}"
    );

    // The agent with the wrong CA: running, saying so, holding every line in the file.
    let agent_dir = dir.path().join("agent");
    let config = write_agent_config(
        &agent_dir,
        &brokers,
        "tls_log",
        &tls_lines(&pki.other_ca),
        "",
    );
    let file = agent_dir.join("logs/a.log");
    append_lines(&file, "tls", 0..300);
    let port = free_port();
    let config_arg = config.to_string_lossy().into_owned();
    let listen = format!("127.0.0.1:{port}");
    let mut agent = Logpipe::start(
        &[
            "agent",
            "--config",
            &config_arg,
            "--metrics-listen",
            &listen,
        ],
        &agent_dir.join("agent.log"),
    );
    let page = wait_sample(
        port,
        "logpipe_agent_kafka_errors_total{cause=\"tls_untrusted\"}",
        |v| v > 0.0,
    );
    assert_eq!(sample(&page, "logpipe_agent_kafka_up"), Some(0.0), "{page}");
    assert_eq!(sample(&page, "logpipe_agent_events_acked_total"), Some(0.0));
    wait::until("the log naming kafka.tls.ca_file", PATIENCE, || {
        agent
            .log()
            .contains("not signed by a CA in kafka.tls.ca_file")
            .then_some(())
    });
    assert!(agent.running(), "the agent keeps running:\n{}", agent.log());

    // A broken file on SIGHUP changes nothing and says why.
    fs::write(
        &config,
        fs::read_to_string(&config).expect("read") + "\nbogus_key = 1\n",
    )
    .expect("write");
    agent.reload();
    wait_sample(
        port,
        "logpipe_agent_config_file_reloads_total{result=\"error\"}",
        |v| v == 1.0,
    );
    assert!(agent.log().contains("bogus_key"), "{}", agent.log());
    append_lines(&file, "tls", 300..400);

    // The right CA + SIGHUP: everything arrives, exactly once.
    write_agent_config(&agent_dir, &brokers, "tls_log", &tls_lines(&pki.ca), "");
    agent.reload();
    wait_checkpointed(&agent_dir.join("data"), &file);
    let page = wait_sample(port, "logpipe_agent_kafka_up", |v| v == 1.0);
    assert_eq!(
        sample(
            &page,
            "logpipe_agent_config_file_reloads_total{result=\"ok\"}"
        ),
        Some(1.0)
    );
    append_lines(&file, "tls", 400..500);
    assert_topic_holds_exactly(&brokers, "tls_log", &reader_tls, &expected("tls", 0..500));
    assert!(agent.log().contains("producer rebuilt"), "{}", agent.log());
    assert!(agent.terminate(Duration::from_secs(20)).success());
}

#[test]
fn mutual_tls_requires_and_uses_the_client_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let kafka = SecureKafka::start(&pki, false, Some(&pki.ca));
    kafka.tansu.create_topic("mtls_log", 1);
    let brokers = kafka.brokers();

    let without = dir.path().join("without");
    let config = write_agent_config(&without, &brokers, "mtls_log", &tls_lines(&pki.ca), "");
    let (ok, out) = check_config("agent", &config);
    let line = line_about(&out, &format!("kafka broker {brokers}"));
    assert!(!ok, "{out}");
    assert!(
        line.contains("requires a client certificate") && line.contains("kafka.tls.cert_file"),
        "{line}"
    );

    let with = dir.path().join("with");
    let mtls = format!(
        "{}cert_file = \"{}\"\nkey_file = \"{}\"\n",
        tls_lines(&pki.ca),
        pki.client_cert.display(),
        pki.client_key.display()
    );
    let config = write_agent_config(&with, &brokers, "mtls_log", &mtls, "");
    let (ok, out) = check_config("agent", &config);
    assert!(ok, "{out}");
    assert!(line_about(&out, &format!("kafka broker {brokers}")).contains("client certificate"));
    append_lines(&with.join("logs/a.log"), "mtls", 0..200);
    let config_arg = config.to_string_lossy().into_owned();
    let mut agent = Logpipe::start(&["agent", "--config", &config_arg], &with.join("agent.log"));
    let ca = pki.ca.to_string_lossy().into_owned();
    let (cert, key) = (
        pki.client_cert.to_string_lossy().into_owned(),
        pki.client_key.to_string_lossy().into_owned(),
    );
    assert_topic_holds_exactly(
        &brokers,
        "mtls_log",
        &[
            ("security.protocol", "ssl"),
            ("ssl.ca.location", &ca),
            ("ssl.certificate.location", &cert),
            ("ssl.key.location", &key),
        ],
        &expected("mtls", 0..200),
    );
    assert!(agent.terminate(Duration::from_secs(20)).success());
}

/// `[kafka]` lines for SASL_SSL with a password file.
fn sasl_lines(ca: &Path, mechanism: &str, user: &str, password_file: &Path) -> String {
    format!(
        "security_protocol = \"sasl_ssl\"\n[kafka.tls]\nca_file = \"{}\"\n[kafka.sasl]\nmechanism = \"{mechanism}\"\nusername = \"{user}\"\npassword_file = \"{}\"\n",
        ca.display(),
        password_file.display()
    )
}

#[test]
fn sasl_logins_refused_by_the_broker_are_named_and_a_fixed_file_with_sighup_recovers_without_loss()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    // `secured` requires SCRAM logins (and, as Tansu 0.6 holds no user a client can log in as, refuses every
    // one); `open` speaks TLS without SASL.
    let secured = SecureKafka::start(&pki, true, None);
    let open = SecureKafka::start(&pki, false, None);
    open.tansu.create_topic("sasl_log", 2);
    let pass = |name: &str, password: &str| {
        let path = dir.path().join(name);
        fs::write(&path, format!("{password}\n")).expect("write password file");
        path
    };
    let wrong = pass("wrong.pass", "not-the-password");

    let checks = dir.path().join("checks");
    for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256"] {
        let config = write_agent_config(
            &checks,
            &secured.brokers(),
            "sasl_log",
            &sasl_lines(&pki.ca, mechanism, "agent", &wrong),
            "",
        );
        let (ok, out) = check_config("agent", &config);
        let line = line_about(&out, &format!("kafka broker {}", secured.brokers()));
        assert!(!ok, "{out}");
        assert!(
            line.contains(&format!("refused the {mechanism} login of user `agent`"))
                && line.contains("kafka.sasl.password_file"),
            "{line}"
        );
        assert!(!out.contains("not-the-password"), "no secret printed");
    }
    let config = write_agent_config(
        &checks,
        &open.brokers(),
        "sasl_log",
        &sasl_lines(&pki.ca, "PLAIN", "agent", &wrong),
        "",
    );
    let (ok, out) = check_config("agent", &config);
    let line = line_about(&out, &format!("kafka broker {}", open.brokers()));
    assert!(
        !ok && line.contains("does not offer mechanism PLAIN")
            && line.contains("kafka.sasl.mechanism"),
        "{line}"
    );
    let config = write_agent_config(
        &checks,
        &secured.brokers(),
        "sasl_log",
        &sasl_lines(&pki.ca, "SCRAM-SHA-1", "agent", &wrong),
        "",
    );
    let (ok, out) = check_config("agent", &config);
    let line = line_about(&out, &format!("config {}", config.display()));
    assert!(
        !ok && line.contains("kafka.sasl.mechanism: `SCRAM-SHA-1` is not one of"),
        "{out}"
    );

    // The agent refused by the broker: running, the status key says why (never the password), nothing is
    // acknowledged; a changed password file alone is a [kafka] change on SIGHUP; a fixed file delivers all.
    let etcd = Etcd::start();
    let agent_dir = dir.path().join("agent");
    let password_file = pass("agent.pass", "not-the-password");
    let etcd_lines = format!(
        "status_interval = \"300ms\"\nstatus_ttl = \"3s\"\n[etcd]\nendpoints = [\"{}\"]\nallow_paths = [\"{}/**\"]\nconnect_timeout = \"1s\"\n",
        etcd.endpoint(),
        agent_dir.display()
    );
    let config = write_agent_config(
        &agent_dir,
        &secured.brokers(),
        "sasl_log",
        &sasl_lines(&pki.ca, "SCRAM-SHA-512", "agent", &password_file),
        &etcd_lines,
    );
    let file = agent_dir.join("logs/a.log");
    append_lines(&file, "sasl", 0..300);
    let config_arg = config.to_string_lossy().into_owned();
    let agent = Logpipe::start(
        &["agent", "--config", &config_arg],
        &agent_dir.join("agent.log"),
    );
    let status = || -> Option<serde_json::Value> {
        serde_json::from_str(etcd.get("/logpipe/status/agent/secure-host")?.trim()).ok()
    };
    let problem = wait::until_explained(
        "the status key naming the refused login",
        PATIENCE,
        || {
            let s = status()?;
            (s["kafka"]["problem"]["cause"] == "authentication").then_some(s)
        },
        || format!("status key: {:?}\nagent log:\n{}", status(), agent.log()),
    );
    let message = problem["kafka"]["problem"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("kafka.sasl.password_file"), "{problem}");
    assert!(
        !problem.to_string().contains("not-the-password"),
        "no secret in the status key"
    );
    assert_eq!(problem["kafka"]["acked"], 0);
    fs::write(&password_file, "another-wrong-password\n").expect("rewrite the password file");
    agent.reload();
    wait::until(
        "the status key after a password-file-only reload",
        PATIENCE,
        || {
            let s = status()?;
            (s["reload"]["ok"] == true && s["reload"]["applied"] == serde_json::json!(["kafka"]))
                .then_some(s)
        },
    );
    append_lines(&file, "sasl", 300..350);
    write_agent_config(
        &agent_dir,
        &open.brokers(),
        "sasl_log",
        &tls_lines(&pki.ca),
        &etcd_lines,
    );
    agent.reload();
    wait_checkpointed(&agent_dir.join("data"), &file);
    wait::until("the status key once delivering", PATIENCE, || {
        let s = status()?;
        (s["kafka"]["problem"].is_null() && s["kafka"]["acked"] == 350).then_some(s)
    });
    let ca = pki.ca.to_string_lossy().into_owned();
    assert_topic_holds_exactly(
        &open.brokers(),
        "sasl_log",
        &[("security.protocol", "ssl"), ("ssl.ca.location", &ca)],
        &expected("sasl", 0..350),
    );
    let log = agent.log();
    assert!(
        !log.contains("not-the-password") && !log.contains("another-wrong-password"),
        "{log}"
    );
}

#[test]
fn every_codec_round_trips_agent_kafka_transfer_store_over_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let kafka = SecureKafka::start(&pki, false, None);
    kafka.tansu.create_topic("codec_log", 2);
    kafka.tansu.create_topic("codec_dead", 1);
    let brokers = kafka.brokers();
    let tls = tls_lines(&pki.ca);
    let store = StoreProcess::start();

    // The transfer first: its group join takes Tansu 20-30 s, while the agent ships.
    let transfer_config = dir.path().join("transfer.toml");
    fs::write(
        &transfer_config,
        format!(
            r#"[kafka]
brokers = "{brokers}"
group = "codec-transfer"
topics = ["codec_log"]
{tls}{FAST_GROUP_OPTIONS}
[elasticsearch]
url = "{url}"
[pipeline]
flush_interval = "200ms"
backoff_max = "1s"
status_interval = "1s"
max_document_bytes = 20000
[dead_letter]
topic = "codec_dead"
"#,
            url = store.url(),
        ),
    )
    .expect("write transfer config");
    let (ok, out) = check_config("transfer", &transfer_config);
    assert!(ok, "{out}");
    assert!(
        line_about(&out, "kafka group codec-transfer").starts_with("ok"),
        "{out}"
    );
    assert!(
        line_about(&out, "kafka topic codec_dead").starts_with("ok"),
        "{out}"
    );
    assert!(
        line_about(&out, &format!("elasticsearch {}", store.url())).starts_with("ok"),
        "{out}"
    );
    let transfer_arg = transfer_config.to_string_lossy().into_owned();
    let _transfer = Logpipe::start(
        &["transfer", "--config", &transfer_arg],
        &dir.path().join("transfer.log"),
    );

    let agent_dir = dir.path().join("agent");
    let file = agent_dir.join("logs/a.log");
    let config = write_agent_config(&agent_dir, &brokers, "codec_log", &tls, "");
    let config_arg = config.to_string_lossy().into_owned();
    let mut agent = Logpipe::start(
        &["agent", "--config", &config_arg],
        &agent_dir.join("agent.log"),
    );
    wait::until("the agent started", PATIENCE, || {
        agent.log().contains("kafka: 127.0.0.1").then_some(())
    });
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    let mut lines = Vec::new();
    for (i, codec) in codecs.iter().enumerate() {
        // Each codec's lines are acknowledged before the next SIGHUP switches compression.
        write_agent_config(
            &agent_dir,
            &brokers,
            "codec_log",
            &format!("compression = \"{codec}\"\n{tls}"),
            "",
        );
        agent.reload();
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait::until(&format!("reload {i} applied"), PATIENCE, || {
                (agent.log().matches("reload: applied the new kafka").count() > i).then_some(())
            })
        }));
        assert!(
            applied.is_ok(),
            "agent running: {}; log {}:\n{}",
            agent.running(),
            agent.log_path.display(),
            agent.log()
        );
        append_lines(&file, codec, 0..200);
        lines.extend(expected(codec, 0..200));
        wait_checkpointed(&agent_dir.join("data"), &file);
    }
    // One line too large for the index goes to the dead-letter topic, through the same TLS settings.
    fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, format!("{}\n", "x".repeat(30_000)).as_bytes())
        })
        .expect("append a large line");
    store.wait_count("codec_log-*", lines.len() as u64, JOIN_PATIENCE);
    let documents = store.all_documents("codec_log-*");
    for codec in codecs {
        let n = documents
            .iter()
            .filter(|d| {
                d["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&format!("{codec} line")))
            })
            .count();
        assert_eq!(n, 200, "lines shipped with compression {codec}");
    }
    assert_eq!(documents.len(), lines.len(), "exactly once");
    let ca = pki.ca.to_string_lossy().into_owned();
    let mut dead = TopicReader::with_properties(
        &brokers,
        "codec_dead",
        &[("security.protocol", "ssl"), ("ssl.ca.location", &ca)],
    );
    dead.read_at_least(1, JOIN_PATIENCE);
}
