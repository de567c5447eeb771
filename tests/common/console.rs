//! `logpipe console` as a child process on a free port, and a client of its JSON API.

use super::ports::free_port;
use super::process::Logpipe;
use super::wait;
use serde_json::Value;
use std::time::Duration;

/// A running console; killed on drop.
pub struct Console {
    _process: Logpipe,
    _dir: tempfile::TempDir,
    pub url: String,
    pub agent: ureq::Agent,
}

pub fn start(search: &str, extra: &[&str]) -> Console {
    let mut args = vec!["--search", search];
    args.extend_from_slice(extra);
    start_with(&args)
}

/// `logpipe console --listen FREE_PORT ARGS...` (no `--search`: from a `--config` file, or the default).
pub fn start_with(extra: &[&str]) -> Console {
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut args = vec!["console", "--listen", &listen];
    args.extend_from_slice(extra);
    let process = Logpipe::start(&args, &dir.path().join("console.log"));
    wait::port_open(&listen, Duration::from_secs(30));
    Console {
        _process: process,
        _dir: dir,
        url: format!("http://{listen}"),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into(),
    }
}

impl Console {
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = request
            .header("Content-Type", "application/json")
            .body(text)
            .expect("request");
        let mut response = self.agent.run(request).expect("console answers");
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().expect("JSON body");
        (status, body)
    }
}
