//! The console's HTTP front: the embedded app and the JSON API as a `logpipe_http::Handler`, served by the
//! one HTTP serving layer (deadlines, connection cap, bounded handler pool: see `crates/http`).
//!
//! Every response carries a strict Content-Security-Policy (scripts, styles and connections from this
//! origin only, no inline script), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and
//! `X-Frame-Options: DENY`; so even a rendering bug could not run script from a log line. When the server
//! listens on a loopback address, requests whose `Host` is not a loopback name are refused (DNS rebinding
//! would otherwise let a web page read logs through the user's browser). API bodies over
//! [`MAX_API_BODY`] are refused with 413 before they are read; the layer's own refusals (timeouts,
//! overload) are answered in the API's error format.

use super::api::{ApiState, Call, Reply, MAX_API_BODY};
use super::assets;
use super::guard;
use logpipe_http::{Handler, Limits, Method, Refusal, Request, Response, StatusCode};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Largest body of a request outside `/api/` (the app's assets are only read).
const MAX_ASSET_BODY: usize = 0;

/// A running console server.
pub struct ConsoleServer {
    server: logpipe_http::Server,
}

impl ConsoleServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A probe a service watchdog asks whether the console still serves.
    pub fn liveness_probe(&self) -> logpipe_http::LivenessProbe {
        self.server.liveness_probe()
    }

    /// Stops serving (requests in progress are answered) and waits for it.
    pub fn stop(self) {
        self.server.stop();
    }
}

struct ConsoleHandler {
    api: Arc<ApiState>,
    loopback_only: bool,
}

/// Starts serving `api` and the app on `listen`.
pub fn serve(
    api: Arc<ApiState>,
    listen: &str,
    tls: Option<logpipe_http::TlsSettings>,
) -> anyhow::Result<ConsoleServer> {
    let loopback_only = crate::listen_tls::is_loopback(listen).unwrap_or(false);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let limits = Limits {
        max_body_bytes: MAX_API_BODY,
        ..Limits::default()
    };
    let handler = Arc::new(ConsoleHandler { api, loopback_only });
    let server = logpipe_http::serve(listen, limits, tls, handler)
        .map_err(|e| anyhow::anyhow!("console: {e}"))?;
    log::info!(
        "console: {scheme}://{}/ ({} bytes of embedded assets)",
        server.addr(),
        assets::total_bytes()
    );
    Ok(ConsoleServer { server })
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

fn send(
    status: u16,
    content_type: &str,
    data: impl Into<logpipe_http::Bytes>,
    cache: &str,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::new(status)
        .with_body(data)
        .with_header_text(logpipe_http::header::CONTENT_TYPE, content_type)
        .with_header_text(logpipe_http::header::CONTENT_SECURITY_POLICY, CSP)
        .with_header_text(logpipe_http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .with_header_text(logpipe_http::header::REFERRER_POLICY, "no-referrer")
        .with_header_text(logpipe_http::header::X_FRAME_OPTIONS, "DENY")
        .with_header_text(logpipe_http::header::CACHE_CONTROL, cache)
}

fn send_json(reply: Reply) -> Response {
    let data = serde_json::to_vec(&reply.body).unwrap_or_default();
    let mut response = send(reply.status, "application/json", data, "no-store");
    for (name, value) in &reply.headers {
        response =
            response.with_header_text(logpipe_http::header::HeaderName::from_static(name), value);
    }
    response
}

fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::new(
        status,
        json!({"error": {"kind": kind, "message": message, "details": []}}),
    )
}

impl Handler for ConsoleHandler {
    fn handle(&self, request: Request) -> Response {
        if self.loopback_only && !request.header("host").is_some_and(is_loopback_host) {
            return send_json(error(
                421,
                "misdirected",
                "this console only answers to localhost / 127.0.0.1",
            ));
        }
        let path = request.path().to_string();
        let method = request.method.as_str().to_ascii_uppercase();
        if path.starts_with("/api/") {
            let caller = match guard::caller(&request, &self.api.users, &self.api.sessions) {
                Ok(caller) => caller,
                Err(refusal) => {
                    log::warn!(
                        "console: {} {path} from {} refused: {}",
                        method,
                        request.peer,
                        refusal.message
                    );
                    return send_json(error(refusal.status, refusal.kind, &refusal.message));
                }
            };
            return send_json(self.api.handle(&Call {
                method: &method,
                path: &path,
                caller: &caller,
                peer: request.peer.ip(),
                tls: request.tls,
                body: &request.body,
            }));
        }
        if request.method != Method::GET && request.method != Method::HEAD {
            return send_json(error(405, "method_not_allowed", "GET only"));
        }
        match assets::lookup(&path) {
            Some(asset) => send(200, asset.content_type, asset.bytes, "no-cache"),
            None => send_json(error(404, "not_found", "no such asset")),
        }
    }

    fn refuse(&self, refusal: &Refusal) -> Response {
        let status = refusal.status().as_u16();
        let kind = match status {
            400 => "bad_request",
            408 => "timeout",
            413 => "too_large",
            503 => "unavailable",
            _ => "internal",
        };
        send_json(error(status, kind, &refusal.message))
    }

    fn max_body(&self, _method: &Method, path: &str) -> Option<usize> {
        (!path.starts_with("/api/")).then_some(MAX_ASSET_BODY)
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
