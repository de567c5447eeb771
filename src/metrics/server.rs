//! The metrics endpoint: `GET /metrics` answered with a freshly rendered Prometheus page, served by the one
//! HTTP serving layer (`crates/http`) with a small connection cap, so a scraper storm or a stalled client
//! cannot hold the agent's memory or threads.
//!
//! The render function runs on a handler thread for each scrape; it must only read counters.

use logpipe_http::{Handler, Limits, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// Renders the whole metrics page.
pub type Render = Box<dyn Fn() -> String + Send + Sync>;

/// A running metrics endpoint; stops when dropped.
pub struct MetricsServer {
    server: Option<logpipe_http::Server>,
}

struct MetricsHandler {
    render: Render,
}

impl Handler for MetricsHandler {
    fn handle(&self, request: Request) -> Response {
        match request.path() {
            "/metrics" | "/" => Response::new(StatusCode::OK)
                .with_body((self.render)())
                .with_header_text(
                    logpipe_http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
            _ => Response::text(StatusCode::NOT_FOUND, "not found: try /metrics\n"),
        }
    }
}

/// What a metrics endpoint allows: scrapers send no body, a handful of them at a time.
fn limits() -> Limits {
    Limits {
        max_connections: 32,
        max_body_bytes: 0,
        handler_threads: 1,
        queue_length: 16,
        ..Limits::default()
    }
}

/// The metrics endpoint cannot listen where it was asked to.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {listen}: {source}")]
pub struct MetricsServeError {
    pub listen: String,
    pub source: logpipe_http::ServeError,
}

impl MetricsServer {
    /// Listens on `listen` (`127.0.0.1:9600`; port 0 picks a free one) and serves until stopped.
    pub fn start(listen: &str, render: Render) -> Result<MetricsServer, MetricsServeError> {
        let server =
            logpipe_http::serve(listen, limits(), None, Arc::new(MetricsHandler { render }))
                .map_err(|source| MetricsServeError {
                    listen: listen.to_string(),
                    source,
                })?;
        log::info!("metrics on http://{}/metrics", server.addr());
        Ok(MetricsServer {
            server: Some(server),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .map(logpipe_http::Server::addr)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Stops serving.
    pub fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}
