//! Secured etcd connections on a real etcd. Authentication (`etcdctl auth enable`): an agent configured with
//! `user` / `password` reads its collect config, watches it and keeps its status key alive; an agent with a
//! wrong password says so in its log, naming etcd, and keeps running. TLS (`https://` with a throw-away CA made
//! by `openssl`): an agent with `ca_file` does the same; one without it refuses the unknown certificate and
//! keeps running.

use crate::common::agent::etcd_blackhole_config;
use crate::common::etcd::{tailed_paths, Etcd, ServerTls};
use crate::common::process::Logpipe;
use crate::common::wait;
use std::fs;
use std::path::Path;
use std::time::Duration;

const HOST: &str = "auth-host";
const KEY: &str = "/logpipe/collect/auth-host";
const STATUS_KEY: &str = "/logpipe/status/agent/auth-host";
const ROOT: &str = "root:root-secret";

fn status_paths(etcd: &Etcd) -> Vec<String> {
    let text = etcd.etcdctl(&["--user", ROOT, "get", STATUS_KEY, "--print-value-only"]);
    tailed_paths(&serde_json::from_str(text.trim()).unwrap_or_default())
}

#[test]
fn user_and_password_reach_an_etcd_with_auth_enabled() {
    let etcd = Etcd::start();
    // A root user (required to enable auth) and an agent user that may read the collect keys and write status.
    etcd.etcdctl(&["user", "add", "root", "--new-user-password", "root-secret"]);
    etcd.etcdctl(&[
        "user",
        "add",
        "agent",
        "--new-user-password",
        "agent-secret",
    ]);
    etcd.etcdctl(&["role", "add", "logpipe-agent"]);
    etcd.etcdctl(&[
        "role",
        "grant-permission",
        "logpipe-agent",
        "--prefix=true",
        "read",
        "/logpipe/collect/",
    ]);
    etcd.etcdctl(&[
        "role",
        "grant-permission",
        "logpipe-agent",
        "--prefix=true",
        "readwrite",
        "/logpipe/status/",
    ]);
    etcd.etcdctl(&["user", "grant-role", "agent", "logpipe-agent"]);
    etcd.etcdctl(&["auth", "enable"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical tempdir");
    let (a, b) = (root.join("a.log"), root.join("b.log"));
    fs::write(&a, "first line of a\n").expect("write a");
    fs::write(&b, "first line of b\n").expect("write b");
    let value = |paths: &[&Path]| {
        let entries: Vec<String> = paths
            .iter()
            .map(|p| format!(r#"{{"path":"{}","topic":"t"}}"#, p.display()))
            .collect();
        format!("[{}]", entries.join(","))
    };
    etcd.etcdctl(&["--user", ROOT, "put", KEY, &value(&[&a])]);

    // Without credentials etcd refuses, so this proves the agent logged in.
    let anonymous = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", &etcd.endpoint(), "get", KEY])
        .output()
        .expect("run etcdctl");
    assert!(!anonymous.status.success(), "auth is not enabled");

    let config = etcd_blackhole_config(
        &root,
        &etcd.endpoint(),
        HOST,
        "right",
        "user = \"agent\"\npassword = \"agent-secret\"",
    );
    let agent = Logpipe::start(
        &["agent", "--config", &config, "--blackhole"],
        &root.join("agent.log"),
    );
    let tails = |name: &str| {
        status_paths(&etcd)
            .iter()
            .any(|p| p.ends_with(name))
            .then_some(())
    };
    wait::until("status key listing a.log", Duration::from_secs(20), || {
        tails("/a.log")
    });
    // The watch works under auth too.
    etcd.etcdctl(&["--user", ROOT, "put", KEY, &value(&[&a, &b])]);
    wait::until("status key listing b.log", Duration::from_secs(20), || {
        tails("/b.log")
    });
    assert!(!agent.log().contains("ERROR"), "{}", agent.log());

    // A wrong password: a clear error naming etcd; the process stays up (running without etcd entries).
    let wrong = etcd_blackhole_config(
        &root,
        &etcd.endpoint(),
        HOST,
        "wrong",
        "user = \"agent\"\npassword = \"wrong-secret\"",
    );
    let mut refused = Logpipe::start(
        &["agent", "--config", &wrong, "--blackhole"],
        &root.join("agent-wrong.log"),
    );
    let log = wait::until("an etcd error in the log", Duration::from_secs(20), || {
        let log = refused.log();
        (log.contains("etcd") && log.to_lowercase().contains("authentication failed"))
            .then_some(log)
    });
    assert!(refused.running(), "the agent exited: {log}");
    refused.kill9();
}

#[test]
fn tls_with_a_private_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(dir.path()).expect("canonical tempdir");
    let tls = ServerTls::generate(&root);
    let etcd = Etcd::start_tls(tls.clone());
    let a = root.join("a.log");
    fs::write(&a, "first line of a\n").expect("write a");
    etcd.put(
        KEY,
        &format!(r#"[{{"path":"{}","topic":"t"}}]"#, a.display()),
    );

    assert!(etcd.endpoint().starts_with("https://"));

    let ca_line = format!("ca_file = \"{}\"", tls.ca_file.display());
    let trusted = etcd_blackhole_config(&root, &etcd.endpoint(), HOST, "trusted", &ca_line);
    let agent = Logpipe::start(
        &["agent", "--config", &trusted, "--blackhole"],
        &root.join("trusted.log"),
    );
    wait::until(
        "status key over TLS listing a.log",
        Duration::from_secs(20),
        || {
            let status = serde_json::from_str(&etcd.get(STATUS_KEY)?).ok()?;
            tailed_paths(&status)
                .iter()
                .any(|p| p.ends_with("/a.log"))
                .then_some(())
        },
    );
    assert!(!agent.log().contains("ERROR"), "{}", agent.log());

    // Without the CA the server's certificate is not trusted: a warning naming the etcd key and the reason,
    // retried (the certificate may be fixed), and the process stays up on its cached config.
    let untrusted = etcd_blackhole_config(&root, &etcd.endpoint(), HOST, "untrusted", "");
    let mut refused = Logpipe::start(
        &["agent", "--config", &untrusted, "--blackhole"],
        &root.join("untrusted.log"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = refused.log();
        if log.contains("etcd config") && log.contains("invalid peer certificate") {
            break log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no certificate error logged in 20 s:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(refused.running(), "the agent exited: {log}");
    eprintln!(
        "untrusted agent says: {}",
        log.lines().find(|l| l.contains("ERROR")).unwrap_or("")
    );
    refused.kill9();
}
