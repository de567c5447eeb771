//! Bad and unusual input against a real Tansu broker: multiline stack traces, invalid UTF-8, NUL bytes, a
//! 100 MB line without a newline (bounded memory), the raw codec's headers, `start_at = "end"`, and bad
//! configs refused at start with the key named.

use crate::common::agent::*;
use crate::common::kafka::TopicReader;
use crate::common::process::run_to_end;
use crate::common::tansu::Tansu;
use base64::Engine;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::time::Duration;

fn append_bytes(path: &std::path::Path, bytes: &[u8]) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open")
        .write_all(bytes)
        .expect("append");
}

/// Peak resident memory of a process, from /proc.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn java_stack_trace_becomes_one_event() {
    let tansu = Tansu::start();
    tansu.create_topic("ml", 1);
    let multiline = "[collect.multiline]\npattern = '^\\s+at '\ntimeout = \"300ms\"";
    let setup = setup(&tansu, "ml", multiline, "");
    let _agent = start_agent(&setup);
    let trace = "2026-11-22 ERROR request failed java.lang.IllegalStateException: boom\n\
                 \tat com.example.Service.handle(Service.java:42)\n\
                 \tat com.example.Server.run(Server.java:7)\n";
    append_bytes(
        &setup.logs.join("app.log"),
        format!("2026-11-22 INFO start\n{trace}2026-11-22 INFO after\n").as_bytes(),
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "ml");
    reader.read_at_least(3, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    assert_eq!(messages.len(), 3, "start, the trace, after");
    let events: Vec<serde_json::Value> = messages.iter().map(|m| m.json()).collect();
    let joined = events
        .iter()
        .find(|e| e["message"].as_str().is_some_and(|m| m.contains("boom")))
        .expect("trace event");
    assert_eq!(joined["message"].as_str(), Some(trace.trim_end()));
    assert_eq!(joined["log"]["flags"], serde_json::json!(["multiline"]));
    assert_eq!(joined["log"]["offset"], 22);
}

#[test]
fn invalid_utf8_nul_bytes_and_a_100_mb_line_are_shipped_bounded() {
    let tansu = Tansu::start();
    tansu.create_topic("bad", 1);
    let setup = setup(&tansu, "bad", "max_line_bytes = 65536", "");
    let agent = start_agent(&setup);
    let path = setup.logs.join("app.log");
    append_bytes(&path, b"plain line\nbad \xff\xfe utf8\nnul\0in\0line\n");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        append_bytes(&path, &chunk);
    }
    append_bytes(&path, b"\nafter the giant\n");
    let mut reader = TopicReader::new(&tansu.brokers(), "bad");
    reader.read_at_least(5, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    let events: Vec<serde_json::Value> = messages.iter().map(|m| m.json()).collect();
    assert_eq!(events.len(), 5, "{events:?}");

    assert_eq!(events[1]["tags"], serde_json::json!(["invalid_utf8"]));
    let original = base64::engine::general_purpose::STANDARD
        .decode(
            events[1]["log"]["original_base64"]
                .as_str()
                .expect("original bytes"),
        )
        .expect("base64");
    assert_eq!(original, b"bad \xff\xfe utf8");

    assert_eq!(events[2]["message"], "nulinline");
    assert_eq!(
        events[2]["log"]["flags"],
        serde_json::json!(["nul_removed"])
    );

    let giant = &events[3];
    assert_eq!(giant["message"].as_str().map(str::len), Some(65536));
    assert_eq!(giant["log"]["flags"], serde_json::json!(["truncated"]));
    assert_eq!(events[4]["message"], "after the giant");

    let rss = peak_rss_kib(agent.pid());
    assert!(
        rss < 100 * 1024,
        "peak RSS {rss} KiB: the 100 MB line must not be buffered"
    );
}

#[test]
fn raw_codec_puts_metadata_in_headers() {
    let tansu = Tansu::start();
    tansu.create_topic("raw", 1);
    let setup = setup(
        &tansu,
        "raw",
        "codec = \"raw\"\nfields = { team = \"core\" }",
        "",
    );
    let _agent = start_agent(&setup);
    append_bytes(
        &setup.logs.join("app.log"),
        b"first raw line\nsecond raw line\n",
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "raw");
    let messages = reader.read_at_least(2, PATIENCE).to_vec();
    assert_eq!(messages[0].payload, b"first raw line");
    assert_eq!(messages[1].headers["log.offset"], "15");
    assert_eq!(messages[1].headers["host.name"], "test-host");
    assert!(messages[1].headers["log.file.path"].ends_with("app.log"));
    // <the file's uid: 32 hex digits>-<the offset: 16 hex digits>
    let (first_uid, first_offset) = messages[0].headers["event.id"]
        .split_once('-')
        .expect("uid-offset");
    let (uid, offset) = messages[1].headers["event.id"]
        .split_once('-')
        .expect("uid-offset");
    assert!(
        uid.len() == 32 && uid.bytes().all(|b| b.is_ascii_hexdigit()),
        "{uid}"
    );
    assert_eq!(uid, first_uid, "one file, one uid");
    assert_eq!(
        (first_offset, offset),
        ("0000000000000000", "000000000000000f")
    );
    assert_eq!(messages[1].headers["fields"], r#"{"team":"core"}"#);
}

#[test]
fn start_at_end_skips_what_existed_but_reads_new_files_whole() {
    let tansu = Tansu::start();
    tansu.create_topic("end", 1);
    let setup = setup(&tansu, "end", "start_at = \"end\"", "");
    append_lines(&setup.logs.join("old.log"), "old", 0..100);
    let agent = start_agent(&setup);
    crate::common::wait::until("the agent to open old.log", PATIENCE, || {
        agent.log().contains("old.log from offset").then_some(())
    });
    append_lines(&setup.logs.join("old.log"), "old", 100..110);
    append_lines(&setup.logs.join("new.log"), "new", 0..20);
    let mut reader = TopicReader::new(&tansu.brokers(), "end");
    reader.read_at_least(30, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    let mut all = expected("old", 100..110);
    all.extend(expected("new", 0..20));
    assert_exact(&messages, &all);
}

#[test]
fn bad_configs_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("data_dir = \"/tmp/x\"\n[kafka]\nbrokers = \"b:1\"\nlinger = 5\n", "linger"),
        ("data_dir = \"/tmp/x\"\n[kafka]\nbrokers = \"b:1\"\n[[collect]]\npath = \"/var/log/*.log\"\n", "collect[0].topic"),
        ("data_dir = \"/tmp/x\"\n[kafka]\nbrokers = \"b:1\"\n[[collect]]\npath = \"/var/log/[.log\"\ntopic = \"t\"\n", "collect[0].path"),
        ("data_dir = \"/tmp/x\"\n[kafka]\nbrokers = \"b:1\"\ncompression = \"rar\"\n", "kafka.compression"),
        ("data_dir = \"/tmp/x\"\n[kafka]\nbrokers = \"b:1\"\n[tail]\nrotate_wait = \"5 parsecs\"\n", "rotate_wait"),
        ("not toml at all [", "TOML"),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        fs::write(&path, text).expect("write");
        let (status, stderr) = run_to_end(&["agent", "--config", &path.to_string_lossy()]);
        assert!(!status.success(), "case {i} accepted");
        assert!(
            stderr.contains(key) || stderr.to_lowercase().contains(&key.to_lowercase()),
            "case {i}: `{key}` not named in: {stderr}"
        );
        assert!(
            stderr.contains(&format!("bad{i}.toml")),
            "case {i}: file not named in: {stderr}"
        );
    }
    let (status, stderr) = run_to_end(&["agent", "--config", "/nonexistent/agent.toml"]);
    assert!(!status.success());
    assert!(stderr.contains("/nonexistent/agent.toml"), "{stderr}");
}

/// `--help` of each role with a config file prints the reference its keys are checked against (the unit
/// tests of `config::reference` hold the reference to the serde types, key by key, both ways).
#[test]
fn help_of_each_role_prints_the_config_reference() {
    for file in logpipe::config::reference::FILES {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_logpipe"))
            .args([file.command, "--help"])
            .output()
            .expect("run logpipe --help");
        assert!(out.status.success(), "{} --help", file.command);
        let help = String::from_utf8_lossy(&out.stdout);
        let reference = logpipe::config::reference::render::help(file);
        assert!(
            help.contains(&reference),
            "`logpipe {} --help` does not print the reference of {}:\n{help}",
            file.command,
            file.name
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .arg("config-reference")
        .output()
        .expect("run logpipe config-reference");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        logpipe::config::reference::render::markdown()
    );
}

#[test]
fn blackhole_mode_acknowledges_every_line_without_kafka() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let config = dir.path().join("agent.toml");
    fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[kafka]\nbrokers = \"127.0.0.1:1\"\n[tail]\ncheckpoint_interval = \"100ms\"\n[[collect]]\npath = \"{}/*.log\"\ntopic = \"t\"\n",
            dir.path().join("data").display(),
            logs.display()
        ),
    )
    .expect("write config");
    let path = logs.join("a.log");
    append_lines(&path, "bh", 0..10_000);
    let size = fs::metadata(&path).expect("stat").len();
    let config = config.to_string_lossy().into_owned();
    let _agent = crate::common::process::Logpipe::start(
        &["agent", "--blackhole", "--config", &config],
        &dir.path().join("agent.log"),
    );
    crate::common::wait::until(
        "the checkpoint to reach the end of the file",
        PATIENCE,
        || {
            let text = fs::read(dir.path().join("data/checkpoints.json")).ok()?;
            let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
            (value["checkpoints"][0]["offset"].as_u64() == Some(size)).then_some(())
        },
    );
}

#[test]
fn a_line_at_the_default_line_limit_is_cut_to_the_message_limit_and_delivered() {
    // The default max_line_bytes is 1 MiB; the event of such a line is larger than the default
    // kafka.max_message_bytes (1,000,000), which librdkafka enforces: the file used to stop there for good.
    let tansu = Tansu::start();
    tansu.create_topic("long", 1);
    let setup = setup(&tansu, "long", "", "");
    let _agent = start_agent(&setup);
    let path = setup.logs.join("app.log");
    append_bytes(&path, b"before\n");
    append_bytes(&path, &vec![b'y'; 3 << 20]);
    append_bytes(&path, b"\nafter the long line\n");
    let mut reader = TopicReader::new(&tansu.brokers(), "long");
    let events: Vec<serde_json::Value> = reader
        .read_at_least(3, PATIENCE)
        .iter()
        .map(|m| m.json())
        .collect();
    assert_eq!(events[0]["message"], "before");
    let long = events[1]["message"].as_str().map_or(0, str::len);
    assert!(
        (990_000..1_000_000).contains(&long),
        "the message is cut just below the limit: {long} bytes"
    );
    assert_eq!(events[1]["log"]["flags"], serde_json::json!(["truncated"]));
    assert_eq!(events[2]["message"], "after the long line");
    assert_eq!(events[2]["log"]["offset"], 7 + (3 << 20) + 1);
}

#[test]
fn the_raw_codec_cuts_a_line_to_max_message_bytes_with_its_headers() {
    let tansu = Tansu::start();
    tansu.create_topic("rawcut", 1);
    let setup = setup(&tansu, "rawcut", "codec = \"raw\"", "");
    let config = fs::read_to_string(&setup.config).expect("config");
    let config = config.replace("linger_ms = 1", "linger_ms = 1\nmax_message_bytes = 4096");
    fs::write(&setup.config, config).expect("config");
    let _agent = start_agent(&setup);
    let long = "z".repeat(10_000);
    append_bytes(
        &setup.logs.join("app.log"),
        format!("{long}\nshort\n").as_bytes(),
    );
    let mut reader = TopicReader::new(&tansu.brokers(), "rawcut");
    let messages = reader.read_at_least(2, PATIENCE).to_vec();
    let headers_bytes: usize = messages[0]
        .headers
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    assert!(
        messages[0].payload.len() + headers_bytes <= 4096 && messages[0].payload.len() > 3000,
        "payload {} + headers {headers_bytes}",
        messages[0].payload.len()
    );
    assert!(long.as_bytes().starts_with(&messages[0].payload));
    assert_eq!(messages[0].headers["log.flags"], "truncated");
    assert_eq!(messages[1].payload, b"short");
    assert!(!messages[1].headers.contains_key("log.flags"));
}
