//! The store's HTTP front: the ES API ([`crate::api::handle`]) as a handler of logpipe's one HTTP serving
//! layer (`logpipe-http`: deadlines, connection cap, a bounded handler pool, strict framing and path
//! decoding, optional TLS). This file only moves fields between the layer's request and response and the
//! API's; the layer's own refusals (bad URL, body too large, timeout, overload) are rendered by
//! [`crate::api::refuse`] as ES error bodies.

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::Method;
use serde_json::json;

use crate::api::auth::{Credentials, Refused};
use crate::api::request::EsRequest;
use crate::api::response::EsResponse;
use crate::api::{handle, refuse};
use crate::Store;

/// Largest accepted request body (Elasticsearch's `http.max_content_length` is 100 MB too).
pub const MAX_BODY: usize = 100 * 1024 * 1024;

/// Why the HTTP front cannot start (the address, TLS files, limits), as the serving layer says it.
pub type ServeError = logpipe_http::ServeError;

/// Running HTTP server; stopped when dropped.
pub struct ServerHandle {
    server: logpipe_http::Server,
}

impl ServerHandle {
    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A probe a service watchdog asks whether the server still serves.
    pub fn liveness_probe(&self) -> logpipe_http::LivenessProbe {
        self.server.liveness_probe()
    }

    /// A handle another thread (a signal waiter) stops the server with.
    pub fn stop_handle(&self) -> logpipe_http::StopHandle {
        self.server.stop_handle()
    }

    /// Stops accepting, lets requests in progress finish, and waits.
    pub fn stop(self) {
        self.server.stop();
    }

    /// Waits until a [`ServerHandle::stop_handle`] stops the server.
    pub fn wait(self) {
        self.server.wait();
    }
}

struct StoreHandler {
    store: Store,
    credentials: Option<Arc<Credentials>>,
}

/// Elasticsearch's answer to a request it cannot authenticate: 401 `security_exception` with the schemes
/// it accepts in `WWW-Authenticate`.
fn unauthenticated(refused: &Refused, path: &str, request: &http::HeaderMap) -> EsResponse {
    let reason = match refused {
        Refused::Missing => format!("missing authentication credentials for REST request [{path}]"),
        Refused::User(user) => format!("unable to authenticate user [{user}] for REST request [{path}]"),
        Refused::ApiKey => format!(
            "unable to authenticate with provided credentials and anonymous access is not allowed for \
             this request [{path}]"
        ),
    };
    let schemes = ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"];
    let cause = json!({"type": "security_exception", "reason": reason,
                       "header": {"WWW-Authenticate": schemes}});
    let mut error = cause.clone();
    error["root_cause"] = json!([cause]);
    let mut response = EsResponse::json(401, &json!({"error": error, "status": 401}), request);
    for scheme in schemes {
        response
            .headers
            .append(WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
    }
    response
}

impl logpipe_http::Handler for StoreHandler {
    fn handle(&self, request: logpipe_http::Request) -> logpipe_http::Response {
        if let Some(credentials) = &self.credentials {
            let authorization = request.header("authorization");
            if let Err(refused) = credentials.check(authorization) {
                let mut answer = unauthenticated(&refused, request.path(), &request.headers);
                if request.method == Method::HEAD {
                    answer.body = Default::default();
                }
                return logpipe_http::Response {
                    status: answer.status,
                    headers: answer.headers,
                    body: answer.body,
                };
            }
        }
        let query = request
            .query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let answer = handle(
            &self.store,
            EsRequest {
                method: request.method,
                segments: request.segments,
                query,
                headers: request.headers,
                body: request.body,
            },
        );
        logpipe_http::Response {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        }
    }

    fn refuse(&self, refusal: &logpipe_http::Refusal) -> logpipe_http::Response {
        let answer = refuse(refusal.status(), &refusal.message, &refusal.headers);
        logpipe_http::Response {
            status: answer.status,
            headers: answer.headers,
            body: if refusal.method == Some(Method::HEAD) {
                Default::default()
            } else {
                answer.body
            },
        }
    }
}

/// Starts the HTTP API of `store` on `listen` (e.g. `127.0.0.1:9200` or `127.0.0.1:0`), over TLS when
/// `tls` is given, open to every caller.
pub fn serve(
    store: Store,
    listen: &str,
    tls: Option<logpipe_http::TlsSettings>,
) -> Result<ServerHandle, ServeError> {
    serve_secured(store, listen, tls, None)
}

/// [`serve`], letting in only callers `credentials` authenticate when given.
pub fn serve_secured(
    store: Store,
    listen: &str,
    tls: Option<logpipe_http::TlsSettings>,
    credentials: Option<Arc<Credentials>>,
) -> Result<ServerHandle, ServeError> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let limits = logpipe_http::Limits {
        max_body_bytes: MAX_BODY,
        ..logpipe_http::Limits::default()
    };
    let secured = credentials.is_some();
    let handler = StoreHandler { store, credentials };
    let server = logpipe_http::serve(listen, limits, tls, Arc::new(handler))?;
    log::info!(
        "store: listening on {scheme}://{}{}",
        server.addr(),
        if secured {
            " (users / API keys required)"
        } else {
            ""
        }
    );
    Ok(ServerHandle { server })
}

#[cfg(test)]
mod tests {
    /// The store's expectations of the serving layer's path decoding: (raw path, segments, or None for a
    /// 400).
    #[test]
    fn paths_decode_strictly() {
        let cases: [(&str, Option<&[&str]>); 9] = [
            ("/app-%2A/_search", Some(&["app-*", "_search"])),
            ("//a//", Some(&["a"])),
            ("/", Some(&[])),
            ("/caf%C3%A9/_doc/a%2Fb", Some(&["café", "_doc", "a/b"])),
            ("/a+b", Some(&["a+b"])),
            ("/%+1", None),
            ("/x/a%2", None),
            ("/%zz", None),
            ("/%ff", None),
        ];
        for (path, expected) in cases {
            let decoded = logpipe_http::decode_segments(path).ok();
            let expected =
                expected.map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<String>>());
            assert_eq!(decoded, expected, "{path}");
        }
    }
}
