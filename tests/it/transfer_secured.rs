//! Issue 20 on real processes: the transfer writes to a secured target — logpipe's store over HTTPS with a
//! private CA and a users file — as it would to Elasticsearch 8; a wrong CA or password is named in the log,
//! nothing is consumed, and fixing it delivers everything; a server that is not Elasticsearch is refused;
//! data streams (`create` actions) survive a `kill -9` of the transfer with no duplicate and no dead letter.

use crate::common::es::EsClient;
use crate::common::ports::free_port;
use crate::common::process::Logpipe;
use crate::common::secure_kafka::Pki;
use crate::common::store::{secured_store, users_line, StoreProcess};
use crate::common::tansu::Tansu;
use crate::common::transfer::{self, produce};
use crate::common::wait;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(120);

fn events(topic: &str, n: usize, app: &str) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let id = format!("{topic}-{i:05}");
            let doc = serde_json::json!({
                "@timestamp": "2026-12-03T10:00:00.000Z",
                "message": format!("line {i}"),
                "event": {"id": id},
                "fields": {"app": app},
            });
            (id, doc.to_string().into_bytes())
        })
        .collect()
}

#[test]
fn https_with_a_private_ca_and_a_password_wrong_then_fixed_delivers_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let users = dir.path().join("users");
    std::fs::write(&users, users_line("admin", "admin-secret")).expect("users file");
    let (_store, url) = secured_store(dir.path(), &pki, &users);
    let admin = EsClient::secured(&url, &pki.ca, "admin", "admin-secret");
    let (status, root) = admin.request("GET", "/", None);
    assert_eq!(status, 200, "{root}");
    let anonymous = EsClient::secured(&url, &pki.ca, "nobody", "x");
    let (status, refused) = anonymous.request("GET", "/_cat/indices", None);
    assert_eq!(status, 401, "{refused}");
    assert_eq!(refused["error"]["type"], "security_exception", "{refused}");

    let tansu = Tansu::start();
    tansu.create_topic("secure_log", 2);
    produce(
        &tansu.brokers(),
        "secure_log",
        &events("secure_log", 300, "shop"),
    );
    let password_file = dir.path().join("es.pass");
    std::fs::write(&password_file, "transfer-secret\n").expect("password file");

    // The wrong CA: named in the log, nothing consumed (the product check comes first), SIGTERM works.
    let wrong_ca = dir.path().join("wrong-ca");
    std::fs::create_dir_all(&wrong_ca).expect("mkdir");
    let extra = |ca: &Path| {
        format!(
            "user = \"logpipe\"\npassword_file = \"{}\"\nssl_certificate_authorities = [\"{}\"]\nindex = \"secure-%{{+YYYY.MM.dd}}\"\n",
            password_file.display(),
            ca.display()
        )
    };
    let config = transfer::write_config(
        &wrong_ca,
        &tansu.brokers(),
        r#"["secure_log"]"#,
        &url,
        &extra(&pki.other_ca),
        "",
    );
    let mut untrusting = transfer::start(&config, &wrong_ca.join("transfer.log"));
    wait::until("the untrusted certificate in the log", PATIENCE, || {
        untrusting
            .log()
            .contains("elasticsearch.ssl_certificate_authorities")
            .then_some(())
    });
    assert!(
        !untrusting.log().contains("transfer started"),
        "no consumer before the check passes"
    );
    untrusting.terminate(Duration::from_secs(20));

    // The right CA, a password the store does not know yet: 401 named, nothing indexed.
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["secure_log"]"#,
        &url,
        &extra(&pki.ca),
        "",
    );
    let log = dir.path().join("transfer.log");
    let running = transfer::start(&config, &log);
    wait::until("the refused password in the log", PATIENCE, || {
        running
            .log()
            .contains("HTTP 401: the credentials were refused: check elasticsearch.user")
            .then_some(())
    });
    assert_eq!(
        admin.count("secure-2026.12.03"),
        None,
        "nothing indexed yet"
    );

    // The store learns the password (its users file is re-read without a restart): everything arrives.
    let mut both = users_line("admin", "admin-secret");
    both.push_str(&users_line("logpipe", "transfer-secret"));
    std::fs::write(&users, both).expect("users file");
    admin.wait_count("secure-2026.12.03", 300, PATIENCE);
    let log_text = running.log();
    assert!(
        log_text.contains("writing to logpipe store (Elasticsearch 8.15.0 compatible)"),
        "{log_text}"
    );
    assert!(transfer::dead_letters(dir.path()).is_empty());
}

/// Answers `GET /` as a product that is not Elasticsearch (an ES-shaped body without the product header).
struct NotElasticsearch;

impl logpipe_http::Handler for NotElasticsearch {
    fn handle(&self, _request: logpipe_http::Request) -> logpipe_http::Response {
        logpipe_http::Response::text(
            logpipe_http::StatusCode::OK,
            r#"{"name":"x","version":{"number":"8.11.0"},"tagline":"You Know, for Search"}"#,
        )
    }
}

#[test]
fn a_server_that_is_not_elasticsearch_is_refused_before_anything_is_consumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = logpipe_http::serve(
        "127.0.0.1:0",
        logpipe_http::Limits::default(),
        None,
        Arc::new(NotElasticsearch),
    )
    .expect("serve");
    let config = transfer::write_config(
        dir.path(),
        "127.0.0.1:9",
        r#"["t"]"#,
        &format!("http://{}", fake.addr()),
        "",
        "",
    );
    let config = config.to_string_lossy().into_owned();
    let (status, output) = crate::common::process::run_to_end(&["transfer", "--config", &config]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("is not Elasticsearch") && output.contains("refusing to write"),
        "{output}"
    );
}

#[test]
fn data_streams_survive_a_kill_9_of_the_transfer_with_no_duplicate_and_no_dead_letter() {
    let store = StoreProcess::start();
    let tansu = Tansu::start();
    tansu.create_topic("ds_log", 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = transfer::write_config(
        dir.path(),
        &tansu.brokers(),
        r#"["ds_log"]"#,
        &store.url(),
        "data_stream = true\ndata_stream_dataset = \"%{[fields][app]}\"\n",
        "bulk_docs = 100",
    );
    produce(
        &tansu.brokers(),
        "ds_log",
        &events("ds_log", 3000, "Web-Shop"),
    );
    let es = store.es();
    let stream = "logs-web_shop-default";
    let mut first = transfer::start(&config, &dir.path().join("first.log"));
    wait::until("the first documents", PATIENCE, || {
        es.count(stream).filter(|n| *n > 0).map(|_| ())
    });
    first.kill9();
    let second = transfer::start(&config, &dir.path().join("second.log"));
    es.wait_count(stream, 3000, PATIENCE);
    let (_, sample) = es.request("GET", &format!("/{stream}/_doc/ds_log-00007"), None);
    assert_eq!(
        sample["_source"]["data_stream"],
        serde_json::json!({"type": "logs", "dataset": "web_shop", "namespace": "default"}),
        "{sample}"
    );
    assert!(
        transfer::dead_letters(dir.path()).is_empty(),
        "a replayed create must count as done: {:?}",
        transfer::dead_letters(dir.path()).first()
    );
    drop(second);
}

/// Answers `GET /` as Elasticsearch 8 does (body and product header).
struct Elasticsearch8;

impl logpipe_http::Handler for Elasticsearch8 {
    fn handle(&self, _request: logpipe_http::Request) -> logpipe_http::Response {
        let mut response = logpipe_http::Response::text(
            logpipe_http::StatusCode::OK,
            r#"{"name":"es-1","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}"#,
        );
        response.headers.insert(
            "x-elastic-product",
            logpipe_http::HeaderValue::from_static("Elasticsearch"),
        );
        response
    }
}

#[test]
fn verification_modes_and_client_certificates() {
    use logpipe::indexer::http::{Auth, HttpBulkTarget};
    use logpipe::indexer::tls::{ClientTls, VerificationMode};
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    // 127.0.0.2 reaches this machine, but the certificate names only 127.0.0.1 and localhost.
    let server = logpipe_http::serve(
        "127.0.0.2:0",
        logpipe_http::Limits::default(),
        Some(logpipe_http::TlsSettings {
            cert_file: pki.server_cert.clone(),
            key_file: pki.server_key.clone(),
            client_auth: Some(logpipe_http::ClientAuth {
                ca_file: pki.ca.clone(),
                required: true,
            }),
        }),
        Arc::new(Elasticsearch8),
    )
    .expect("serve");
    let url = format!("https://{}", server.addr());
    let check = |ca: &Path, verification: VerificationMode, client_cert: bool| {
        let tls = ClientTls {
            certificate_authorities: vec![ca.to_path_buf()],
            certificate: client_cert.then(|| pki.client_cert.clone()),
            key: client_cert.then(|| pki.client_key.clone()),
            verification,
        };
        HttpBulkTarget::new(
            std::slice::from_ref(&url),
            &Auth::None,
            Duration::from_secs(5),
            &tls,
        )
        .expect("target")
        .check_product()
        .map(|product| product.to_string())
        .map_err(|e| e.to_string())
    };
    let full = check(&pki.ca, VerificationMode::Full, true).unwrap_err();
    assert!(
        full.contains("ssl_verification_mode = \"certificate\""),
        "{full}"
    );
    assert_eq!(
        check(&pki.ca, VerificationMode::Certificate, true).as_deref(),
        Ok("Elasticsearch 8.15.0")
    );
    let untrusted = check(&pki.other_ca, VerificationMode::Certificate, true).unwrap_err();
    assert!(
        untrusted.contains("ssl_certificate_authorities"),
        "{untrusted}"
    );
    assert!(
        check(&pki.ca, VerificationMode::Certificate, false).is_err(),
        "the server requires a client certificate"
    );
    assert_eq!(
        check(&pki.other_ca, VerificationMode::None, true).as_deref(),
        Ok("Elasticsearch 8.15.0")
    );
}

/// Issue 27 (first part): the console reads a secured backend from `--config console.toml`, with the
/// transfer's `[elasticsearch]` keys.
#[test]
fn the_console_searches_a_store_over_https_with_a_user_from_its_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let users = dir.path().join("users");
    std::fs::write(&users, users_line("reader", "reader-secret")).expect("users file");
    let (_store, url) = secured_store(dir.path(), &pki, &users);
    let es = EsClient::secured(&url, &pki.ca, "reader", "reader-secret");
    let (status, _) = es.request(
        "POST",
        "/app-2026.12.03/_bulk?refresh=true",
        Some("{\"index\":{\"_id\":\"1\"}}\n{\"@timestamp\":\"2026-12-03T10:00:00Z\",\"message\":\"over tls\"}\n"),
    );
    assert_eq!(status, 200);
    let password = dir.path().join("reader.pass");
    std::fs::write(&password, "reader-secret\n").expect("password file");
    let config = dir.path().join("console.toml");
    std::fs::write(
        &config,
        format!(
            "[elasticsearch]\nurl = \"{url}\"\nuser = \"reader\"\npassword_file = \"{}\"\nssl_certificate_authorities = [\"{}\"]\n",
            password.display(),
            pki.ca.display()
        ),
    )
    .expect("console.toml");
    let console = crate::common::console::start_with(&["--config", &config.to_string_lossy()]);
    let (status, body) = console.call("GET", "/api/indices", None, None);
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("app-2026.12.03"), "{body}");
    let (status, body) = console.call(
        "POST",
        "/api/search",
        None,
        Some(serde_json::json!({"index": "app-*", "query": "tls", "from_ms": 1_796_000_000_000i64, "to_ms": 1_797_000_000_000i64})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1, "{body}");
}

/// The console serves HTTPS with the same `--tls-cert` / `--tls-key` flags as the store.
#[test]
fn the_console_serves_https() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::generate(dir.path());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _console = Logpipe::start(
        &[
            "console",
            "--listen",
            &listen,
            "--search",
            "http://127.0.0.1:9",
            "--tls-cert",
            &pki.server_cert.to_string_lossy(),
            "--tls-key",
            &pki.server_key.to_string_lossy(),
        ],
        &dir.path().join("console.log"),
    );
    wait::port_open(&listen, Duration::from_secs(30));
    let client = EsClient::secured(&format!("https://localhost:{port}"), &pki.ca, "-", "-");
    let (status, info) = client.request("GET", "/api/info", None);
    assert_eq!(status, 200, "{info}");
    let plain = ureq::get(&format!("http://localhost:{port}/api/info")).call();
    assert!(
        plain.is_err(),
        "plain HTTP must not be answered by a TLS listener"
    );
}
