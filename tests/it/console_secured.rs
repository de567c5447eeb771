//! Issue 27 in a secured fleet, on real processes and in the browser (chromium + playwright-core):
//! - Discover as a named user, against logpipe's store served over HTTPS with a private CA and a users file
//!   (as an Elasticsearch 8 is), the console reading both from its `--config console.toml`; with a wrong
//!   password or CA the console serves and names what failed (not a "bad query");
//! - the same, with the console itself served over HTTPS: the session cookie is `Secure` and named
//!   `__Host-logpipe_session`;
//! - Collect config edited on the page reaching an etcd that serves TLS only, requires client certificates
//!   and has authentication on (the console and the agent each log in as their own etcd user); the change
//!   carries its audit record and the agent applies it; a wrong etcd password is named by the API.

use crate::common::agent::etcd_blackhole_config;
use crate::common::browser::{require_browser, run_script};
use crate::common::console::{self, users_files};
use crate::common::es::EsClient;
use crate::common::etcd::{tailed_paths, Etcd, ServerTls};
use crate::common::process::Logpipe;
use crate::common::secure_kafka::Pki;
use crate::common::store::{secured_store, users_line};
use crate::common::wait;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// A store over HTTPS (users `admin` and `reader`) holding a document indexed a minute ago in
/// `secure_app-YYYY.MM.dd`, and a console.toml searching it as `reader` with the private CA, with the
/// named user `vic` (a viewer). Keeps the store running.
struct SecuredSearch {
    _store: Logpipe,
    pki: Pki,
    config: PathBuf,
}

const MESSAGE: &str = "payment accepted over tls";

impl SecuredSearch {
    fn start(dir: &Path) -> SecuredSearch {
        let pki = Pki::generate(dir);
        let users = dir.join("store-users");
        let mut lines = users_line("admin", "admin-secret");
        lines.push_str(&users_line("reader", "reader-secret"));
        std::fs::write(&users, lines).expect("users file");
        let (store, url) = secured_store(dir, &pki, &users);
        let admin = EsClient::secured(&url, &pki.ca, "admin", "admin-secret");
        let at = chrono::Utc::now() - chrono::Duration::minutes(1);
        let doc = serde_json::json!({
            "@timestamp": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "message": MESSAGE,
        });
        let body = format!(
            "{{\"index\":{{\"_index\":\"secure_app-{}\"}}}}\n{doc}\n",
            at.format("%Y.%m.%d")
        );
        let (status, answer) = admin.request("POST", "/_bulk?refresh=wait_for", Some(&body));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["errors"], false, "{answer}");
        let (console_users, console_roles) = users_files(dir, &[("vic", "viewer")]);
        let config = dir.join("console.toml");
        std::fs::write(
            &config,
            format!(
                r#"users_file = "{console_users}"
users_roles_file = "{console_roles}"
[elasticsearch]
url = "{url}"
user = "reader"
password = "reader-secret"
ssl_certificate_authorities = ["{ca}"]
"#,
                ca = pki.ca.display(),
            ),
        )
        .expect("console.toml");
        SecuredSearch {
            _store: store,
            pki,
            config,
        }
    }

    fn config_arg(&self) -> String {
        self.config.to_string_lossy().into_owned()
    }

    /// Runs `secured.mjs` against the console at `url` as `vic`: Discover shows the document, or with
    /// `refused`, an error with those words.
    fn browse(&self, url: &str, refused: Option<&str>) {
        let shown = match refused {
            Some(words) => ("REFUSED", words.to_string()),
            None => ("MESSAGE", MESSAGE.to_string()),
        };
        run_script(
            "secured.mjs",
            &[
                ("CONSOLE_URL", url.to_string()),
                ("LOGIN_USER", "vic".to_string()),
                ("LOGIN_PASSWORD", "vic-password".to_string()),
                ("ROLE", "viewer".to_string()),
                ("INDEX", "secure_app-*".to_string()),
                shown,
                (
                    "SERVER_CERT",
                    self.pki.server_cert.to_string_lossy().into_owned(),
                ),
            ],
        );
    }
}

#[test]
fn discover_in_the_browser_over_a_store_served_https_with_a_user() {
    require_browser();
    let dir = tempfile::tempdir().expect("tempdir");
    let search = SecuredSearch::start(dir.path());
    let console = console::start_with(&["--config", &search.config_arg()]);
    search.browse(&console.url, None);

    // A wrong password, or a CA that did not sign the store's certificate: the console serves, and its
    // answers say what failed (not a "bad query": the user's input is not at fault).
    let text = std::fs::read_to_string(&search.config).expect("console.toml");
    for (name, wrong, expected) in [
        (
            "wrong-password.toml",
            text.replace("reader-secret", "not-the-secret"),
            (
                "backend_auth",
                "refused the console's credentials (401: unable to authenticate user [reader]",
            ),
        ),
        (
            "wrong-ca.toml",
            text.replace(
                &*search.pki.ca.to_string_lossy(),
                &search.pki.other_ca.to_string_lossy(),
            ),
            ("backend_unreachable", "certificate"),
        ),
    ] {
        let config = dir.path().join(name);
        std::fs::write(&config, wrong).expect("console.toml");
        let refused = console::start_with(&["--config", &config.to_string_lossy()]);
        let (cookie, _) = refused.login("vic");
        let answer = refused.send("GET", "/api/indices", &[("Cookie", &cookie)], None);
        let (kind, words) = expected;
        assert_eq!(
            (answer.status, answer.body["error"]["kind"].as_str()),
            (502, Some(kind)),
            "{name}: {}",
            answer.body
        );
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{name}: {message}");
        if kind == "backend_auth" {
            search.browse(
                &refused.url,
                Some("The search backend refused the console's credentials"),
            );
        }
    }
}

#[test]
fn login_over_https_sets_a_secure_host_prefixed_session_cookie() {
    require_browser();
    let dir = tempfile::tempdir().expect("tempdir");
    let search = SecuredSearch::start(dir.path());
    let console = console::start_https(
        &search.pki.server_cert,
        &search.pki.server_key,
        &["--config", &search.config_arg()],
    );
    assert!(console.url.starts_with("https://"), "{}", console.url);
    search.browse(&console.url, None);
}

const ROOT: &str = "root:root-secret";
const HOST: &str = "tls-host";

/// The `[etcd]` lines of a client logging in as `user` (password `{user}-secret`) over mutual TLS with the
/// PKI's client certificate: `user`, `password` and an `[etcd.tls]` table, so they end the section.
fn etcd_login(pki: &Pki, user: &str) -> String {
    format!(
        "user = \"{user}\"\npassword = \"{user}-secret\"\n[etcd.tls]\nca_file = \"{ca}\"\ncert_file = \"{cert}\"\nkey_file = \"{key}\"\n",
        ca = pki.ca.display(),
        cert = pki.client_cert.display(),
        key = pki.client_key.display(),
    )
}

/// etcd users `root`, `console` (reads and writes the collect and audit keys, reads the status keys) and
/// `agent` (reads the collect keys, writes its status), then `auth enable`.
fn enable_auth(etcd: &Etcd) {
    for user in ["root", "console", "agent"] {
        etcd.etcdctl(&[
            "user",
            "add",
            user,
            "--new-user-password",
            &format!("{user}-secret"),
        ]);
    }
    let grants: [(&str, &str, &str); 5] = [
        ("console", "readwrite", "/logpipe/collect/"),
        ("console", "readwrite", "/logpipe/audit/"),
        ("console", "read", "/logpipe/status/"),
        ("agent", "read", "/logpipe/collect/"),
        ("agent", "readwrite", "/logpipe/status/"),
    ];
    for user in ["console", "agent"] {
        etcd.etcdctl(&["role", "add", user]);
        etcd.etcdctl(&["user", "grant-role", user, user]);
    }
    for (role, permission, prefix) in grants {
        etcd.etcdctl(&[
            "role",
            "grant-permission",
            role,
            "--prefix=true",
            permission,
            prefix,
        ]);
    }
    etcd.etcdctl(&["auth", "enable"]);
}

#[test]
fn collect_edited_in_the_browser_reaches_an_etcd_with_tls_client_certificates_and_users() {
    require_browser();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
    let pki = Pki::generate(&root);
    let server = ServerTls {
        ca_file: pki.ca.clone(),
        cert_file: pki.server_cert.clone(),
        key_file: pki.server_key.clone(),
    };
    let etcd = Etcd::start_mutual_tls(server, &pki.client_cert, &pki.client_key);
    enable_auth(&etcd);
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let (first, added) = (logs.join("first.log"), logs.join("added.log"));
    std::fs::write(&first, "first line\n").expect("write");
    std::fs::write(&added, "added line\n").expect("write");
    let key = format!("/logpipe/collect/{HOST}");
    etcd.etcdctl(&[
        "--user",
        ROOT,
        "put",
        &key,
        &format!(r#"[{{"path":"{}","topic":"first_log"}}]"#, first.display()),
    ]);
    // The client certificate alone is no etcd user (its CN is none): authentication is on.
    let anonymous = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", &etcd.endpoint(), "get", &key])
        .arg("--cacert")
        .arg(&pki.ca)
        .arg("--cert")
        .arg(&pki.client_cert)
        .arg("--key")
        .arg(&pki.client_key)
        .output()
        .expect("run etcdctl");
    assert!(
        !anonymous.status.success(),
        "etcd answered without a user: {}",
        String::from_utf8_lossy(&anonymous.stdout)
    );

    // An agent (no Kafka: --blackhole) configured from that etcd as the user `agent`.
    let agent_config = etcd_blackhole_config(
        &root,
        &etcd.endpoint(),
        HOST,
        "tls",
        &etcd_login(&pki, "agent"),
    );
    let agent = Logpipe::start(
        &["agent", "--config", &agent_config, "--blackhole"],
        &root.join("agent.log"),
    );

    // The console logs in to etcd as `console`; the page's user is `ann`, an editor.
    let (users, roles) = users_files(&root, &[("ann", "editor")]);
    let console_config = root.join("console.toml");
    std::fs::write(
        &console_config,
        format!(
            "users_file = \"{users}\"\nusers_roles_file = \"{roles}\"\n[etcd]\nendpoints = [\"{}\"]\n{}",
            etcd.endpoint(),
            etcd_login(&pki, "console")
        ),
    )
    .expect("console.toml");
    let console = console::start(
        "http://127.0.0.1:9",
        &["--config", &console_config.to_string_lossy()],
    );
    run_script(
        "collect.mjs",
        &[
            ("CONSOLE_URL", console.url.clone()),
            ("LOGIN_USER", "ann".to_string()),
            ("LOGIN_PASSWORD", "ann-password".to_string()),
            ("HOST", HOST.to_string()),
            ("NEW_PATH", added.to_string_lossy().into_owned()),
            ("TOPIC", "added_log".to_string()),
            ("SHOTS", "collect-etcd-tls".to_string()),
        ],
    );

    // In etcd: both entries, and the change's audit record naming ann.
    let value = etcd.etcdctl(&["--user", ROOT, "get", &key, "--print-value-only"]);
    let entries: serde_json::Value = serde_json::from_str(value.trim()).expect("JSON array");
    let paths: Vec<&str> = entries
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        vec![first.to_string_lossy(), added.to_string_lossy()],
        "{value}"
    );
    let audit = etcd.etcdctl(&[
        "--user",
        ROOT,
        "get",
        &format!("/logpipe/audit/{HOST}/"),
        "--prefix",
        "--print-value-only",
    ]);
    let records: Vec<serde_json::Value> = audit
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("audit record JSON"))
        .collect();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["user"], "ann", "{audit}");
    assert!(
        records[0].to_string().contains(&*added.to_string_lossy()),
        "{audit}"
    );

    // A console whose etcd password is wrong serves, and says etcd refused it.
    let wrong = root.join("console-wrong.toml");
    let text = std::fs::read_to_string(&console_config).expect("console.toml");
    std::fs::write(&wrong, text.replace("console-secret", "not-the-secret")).expect("write");
    let refused = console::start(
        "http://127.0.0.1:9",
        &["--config", &wrong.to_string_lossy()],
    );
    let (cookie, _) = refused.login("ann");
    let answer = refused.send("GET", "/api/collect", &[("Cookie", &cookie)], None);
    assert_eq!(
        (answer.status, answer.body["error"]["kind"].as_str()),
        (503, Some("etcd_unavailable")),
        "{}",
        answer.body
    );
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("authentication failed"), "{message}");

    // The agent applied it: its status (read as root) lists the added file.
    let status_key = format!("/logpipe/status/agent/{HOST}");
    wait::until("the agent tails the added file", PATIENCE, || {
        let text = etcd.etcdctl(&["--user", ROOT, "get", &status_key, "--print-value-only"]);
        let status: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
        tailed_paths(&status)
            .iter()
            .any(|p| Path::new(p) == added)
            .then_some(())
    });
    assert!(!agent.log().contains("ERROR"), "{}", agent.log());
}
