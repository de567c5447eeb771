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
    let port = free_port();
    start_serving(port, extra, format!("http://127.0.0.1:{port}"))
}

/// As [`start_with`], served over HTTPS with `--tls-cert cert --tls-key key`; `url` is
/// `https://localhost:PORT` (the name the tests' certificates carry). `agent` knows no private CA: use a
/// browser that trusts the certificate, or `EsClient::secured`.
pub fn start_https(cert: &std::path::Path, key: &std::path::Path, extra: &[&str]) -> Console {
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let mut args = vec!["--tls-cert", &cert, "--tls-key", &key];
    args.extend_from_slice(extra);
    let port = free_port();
    start_serving(port, &args, format!("https://localhost:{port}"))
}

fn start_serving(port: u16, extra: &[&str], url: String) -> Console {
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["console", "--listen", &listen];
    args.extend_from_slice(extra);
    let process = Logpipe::start(&args, &dir.path().join("console.log"));
    wait::port_open(&listen, Duration::from_secs(30));
    Console {
        _process: process,
        _dir: dir,
        url,
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into(),
    }
}

/// An answer of the console: status, JSON body, and the headers asked for by name.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: ureq::http::HeaderMap,
}

/// A users file and a roles file for `--users-file` / `--users-roles-file`, each user's password being
/// `{name}-password` (bcrypt at the lowest cost: tests verify, they do not defend).
pub fn users_files(dir: &std::path::Path, roles: &[(&str, &str)]) -> (String, String) {
    let users = dir.join("users");
    let roles_file = dir.join("users_roles");
    let mut users_text = String::new();
    let mut roles_text = String::new();
    for (name, role) in roles {
        users_text.push_str(&super::store::users_line(name, &format!("{name}-password")));
        roles_text.push_str(&format!("{role}:{name}\n"));
    }
    std::fs::write(&users, users_text).expect("users file");
    std::fs::write(&roles_file, roles_text).expect("roles file");
    (
        users.to_string_lossy().into_owned(),
        roles_file.to_string_lossy().into_owned(),
    )
}

impl Console {
    /// `method path` with `headers` and an optional JSON body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let url = format!("{}{path}", self.url);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = request
            .header("Content-Type", "application/json")
            .body(text)
            .expect("request");
        let mut response = self.agent.run(request).expect("console answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body: Value = response.body_mut().read_json().expect("JSON body");
        Answer {
            status,
            body,
            headers,
        }
    }

    /// Logs `user` in (password `{user}-password`); the session cookie (`name=value`) and CSRF token.
    pub fn login(&self, user: &str) -> (String, String) {
        let answer = self.send(
            "POST",
            "/api/login",
            &[],
            Some(serde_json::json!({"user": user, "password": format!("{user}-password")})),
        );
        assert_eq!(answer.status, 200, "login {user}: {}", answer.body);
        let cookie = answer
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_string();
        let csrf = answer.body["csrf"].as_str().expect("csrf").to_string();
        (cookie, csrf)
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|b| ("Authorization", b.as_str()))
            .collect();
        let answer = self.send(method, path, &headers, body);
        (answer.status, answer.body)
    }
}
