//! The console's HTTP server: tiny_http drained by a few worker threads (like the store's), serving the
//! embedded app and the JSON API.
//!
//! Every response carries a strict Content-Security-Policy (scripts, styles and connections from this
//! origin only, no inline script), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and
//! `X-Frame-Options: DENY`; so even a rendering bug could not run script from a log line. When the server
//! listens on a loopback address, requests whose `Host` is not a loopback name are refused (DNS rebinding
//! would otherwise let a web page read logs through the user's browser). API bodies over
//! [`MAX_API_BODY`] are refused with 413. Workers poll the shutdown flag between requests.

use super::api::{ApiState, Reply, MAX_API_BODY};
use super::assets;
use serde_json::json;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Header, Request, Response, Server, StatusCode};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A running console server.
pub struct ConsoleServer {
    addr: SocketAddr,
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
    shutdown: Arc<AtomicBool>,
}

impl ConsoleServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the workers and waits for them.
    pub fn stop(self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.server.unblock();
        for t in self.threads {
            if t.join().is_err() {
                log::error!("console: an HTTP worker panicked");
            }
        }
    }
}

/// Starts serving `api` and the app on `listen`.
pub fn serve(api: Arc<ApiState>, listen: &str) -> anyhow::Result<ConsoleServer> {
    let server = Arc::new(
        Server::http(listen)
            .map_err(|e| anyhow::anyhow!("console: cannot listen on {listen}: {e}"))?,
    );
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow::anyhow!("console: {listen} is not an IP address"))?;
    let loopback_only = addr.ip().is_loopback();
    let shutdown = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for i in 0..4 {
        let (server, api, shutdown) = (server.clone(), api.clone(), shutdown.clone());
        threads.push(
            std::thread::Builder::new()
                .name(format!("console-http-{i}"))
                .spawn(move || {
                    while !shutdown.load(Ordering::SeqCst) {
                        match server.recv_timeout(Duration::from_millis(100)) {
                            Ok(Some(req)) => handle(&api, req, loopback_only),
                            Ok(None) => {}
                            Err(err) => {
                                log::error!("console: accept failed: {err}");
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                })?,
        );
    }
    log::info!(
        "console: http://{addr}/ ({} bytes of embedded assets)",
        assets::total_bytes()
    );
    Ok(ConsoleServer {
        addr,
        server,
        threads,
        shutdown,
    })
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn request_header<'a>(req: &'a Request, name: &'static str) -> Option<&'a str> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// Whether `host` (a Host header) names this machine's loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn send(req: Request, status: u16, content_type: &str, data: Vec<u8>, cache: &str) {
    let mut response = Response::from_data(data).with_status_code(StatusCode(status));
    for h in [
        header("Content-Type", content_type),
        header("Content-Security-Policy", CSP),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header("X-Frame-Options", "DENY"),
        header("Cache-Control", cache),
    ]
    .into_iter()
    .flatten()
    {
        response.add_header(h);
    }
    if let Err(e) = req.respond(response) {
        log::debug!("console: could not send a response: {e}");
    }
}

fn send_json(req: Request, reply: Reply) {
    let data = serde_json::to_vec(&reply.body).unwrap_or_default();
    send(req, reply.status, "application/json", data, "no-store");
}

fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply {
        status,
        body: json!({"error": {"kind": kind, "message": message, "details": []}}),
    }
}

fn handle(api: &ApiState, mut req: Request, loopback_only: bool) {
    let url = req.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or_default().to_string();
    if loopback_only && !request_header(&req, "Host").is_some_and(is_loopback_host) {
        send_json(
            req,
            error(
                421,
                "misdirected",
                "this console only answers to localhost / 127.0.0.1",
            ),
        );
        return;
    }
    let method = req.method().as_str().to_ascii_uppercase();
    if path.starts_with("/api/") {
        if req.body_length().is_some_and(|n| n > MAX_API_BODY) {
            send_json(req, error(413, "too_large", "request body over 1 MiB"));
            return;
        }
        let mut body = Vec::new();
        if let Err(e) = req
            .as_reader()
            .take(MAX_API_BODY as u64 + 1)
            .read_to_end(&mut body)
        {
            send_json(
                req,
                error(400, "bad_request", &format!("cannot read body: {e}")),
            );
            return;
        }
        if body.len() > MAX_API_BODY {
            send_json(req, error(413, "too_large", "request body over 1 MiB"));
            return;
        }
        let authorization = request_header(&req, "Authorization").map(str::to_string);
        let reply = api.handle(&method, &path, authorization.as_deref(), &body);
        send_json(req, reply);
        return;
    }
    if method != "GET" && method != "HEAD" {
        send_json(req, error(405, "method_not_allowed", "GET only"));
        return;
    }
    match assets::lookup(&path) {
        Some(asset) => send(
            req,
            200,
            asset.content_type,
            asset.bytes.to_vec(),
            "no-cache",
        ),
        None => send_json(req, error(404, "not_found", "no such asset")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_host_names() {
        for ok in [
            "localhost",
            "localhost:5601",
            "127.0.0.1:5601",
            "[::1]:5601",
            "app.localhost",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:5601",
            "10.0.0.1:5601",
            "127.0.0.1.evil.com",
            "",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
