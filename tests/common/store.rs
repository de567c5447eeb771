//! `logpipe store` as a child process on a free port with a temp data dir: kill -9 / restart on the same
//! data, `_count`, and reading every document back with `_search`; or served over HTTPS with a users file
//! ([`secured_store`]), as an Elasticsearch 8 is.

use super::es::EsClient;
use super::ports::free_port;
use super::process::Logpipe;
use super::secure_kafka::Pki;
use super::wait;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A running store; killed on drop.
pub struct StoreProcess {
    pub dir: tempfile::TempDir,
    /// The data dir: `dir/data`, or the one given to [`StoreProcess::start_on`].
    data: PathBuf,
    pub port: u16,
    process: Option<Logpipe>,
    agent: ureq::Agent,
}

impl StoreProcess {
    pub fn start() -> StoreProcess {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        StoreProcess::start_with(dir, data)
    }

    /// A store whose data dir is `data` (a small tmpfs, say); its log stays in a temp dir.
    pub fn start_on(data: PathBuf) -> StoreProcess {
        StoreProcess::start_with(tempfile::tempdir().expect("tempdir"), data)
    }

    /// A store listening on `port` (one a client was told of before the store started).
    pub fn start_at(port: u16) -> StoreProcess {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        StoreProcess::start_with_port(dir, data, port)
    }

    fn start_with(dir: tempfile::TempDir, data: PathBuf) -> StoreProcess {
        StoreProcess::start_with_port(dir, data, free_port())
    }

    fn start_with_port(dir: tempfile::TempDir, data: PathBuf, port: u16) -> StoreProcess {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        let mut store = StoreProcess {
            dir,
            data,
            port,
            process: None,
            agent,
        };
        store.spawn();
        store
    }

    fn data_dir(&self) -> PathBuf {
        self.data.clone()
    }

    /// What the store has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("store.log")).unwrap_or_default()
    }

    fn spawn(&mut self) {
        let data = self.data_dir().to_string_lossy().into_owned();
        let listen = format!("127.0.0.1:{}", self.port);
        let log = self.dir.path().join("store.log");
        self.process = Some(Logpipe::start(
            &["store", "--data-dir", &data, "--listen", &listen],
            &log,
        ));
        wait::port_open(&listen, Duration::from_secs(30));
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `kill -9` (the data stays).
    pub fn kill9(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill9();
        }
    }

    /// SIGTERM, then waits up to `timeout` for the exit.
    pub fn terminate(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let mut process = self.process.take().expect("the store is running");
        process.terminate(timeout)
    }

    /// Starts again on the same port and data.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// The store's ES API client (`_count`, `_search`, `wait_count`, `all_documents`).
    pub fn es(&self) -> EsClient {
        EsClient::new(&self.url())
    }

    /// `_count` of `index` (a pattern such as `app_log-*`); `None` while unreachable or the index is absent.
    pub fn count(&self, index: &str) -> Option<u64> {
        self.es().count(index)
    }

    /// Waits until `_count` of `index` is `n`, panicking (with the last count) after `timeout` of no progress.
    pub fn wait_count(&self, index: &str, n: u64, timeout: Duration) {
        self.es().wait_count(index, n, timeout)
    }

    /// Every document of `index` (`_source` plus `_id` under `"_id"`), at most 10 000.
    pub fn all_documents(&self, index: &str) -> Vec<Value> {
        self.es().all_documents(index)
    }

    /// `_bulk` NDJSON as-is, searchable on return (`?refresh=wait_for`); the parsed response.
    pub fn bulk(&self, body: &str) -> Value {
        let mut response = self
            .agent
            .post(&format!("{}/_bulk?refresh=wait_for", self.url()))
            .header("Content-Type", "application/x-ndjson")
            .send(body)
            .expect("_bulk");
        response.body_mut().read_json().expect("_bulk JSON")
    }
}

/// A line of a users file (`user:bcrypt-hash`, at the lowest cost: tests verify, they do not defend).
pub fn users_line(user: &str, password: &str) -> String {
    format!(
        "{user}:{}\n",
        bcrypt::hash(password, 4).expect("bcrypt hash")
    )
}

/// `logpipe store` over HTTPS with the PKI's server certificate and `users`; (process, `https://localhost:PORT`).
pub fn secured_store(dir: &Path, pki: &Pki, users: &Path) -> (Logpipe, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = dir.join("store").to_string_lossy().into_owned();
    let store = Logpipe::start(
        &[
            "store",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--tls-cert",
            &pki.server_cert.to_string_lossy(),
            "--tls-key",
            &pki.server_key.to_string_lossy(),
            "--users-file",
            &users.to_string_lossy(),
        ],
        &dir.join("store.log"),
    );
    wait::port_open(&listen, Duration::from_secs(30));
    (store, format!("https://localhost:{port}"))
}
