//! The metrics HTTP server: one tiny_http thread answering `GET /metrics` with a freshly rendered page.
//!
//! The render function runs on the server thread for each scrape; it must only read counters. The thread
//! checks its stop flag every 200 ms, so `stop` returns within that.

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Renders the whole metrics page.
pub type Render = Box<dyn Fn() -> String + Send>;

/// A running metrics endpoint.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `listen` (`127.0.0.1:9600`; port 0 picks a free one) and serves until `stop`.
    pub fn start(listen: &str, render: Render) -> anyhow::Result<MetricsServer> {
        let server = tiny_http::Server::http(listen)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot listen on {listen} for metrics"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .context("metrics listener has no IP address")?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || serve(&server, &render, &flag))?;
        log::info!("metrics on http://{addr}/metrics");
        Ok(MetricsServer {
            addr,
            stop,
            handle: Some(handle),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and joins the thread.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            if handle.join().is_err() {
                log::error!("the metrics thread panicked");
            }
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.finish();
    }
}

fn serve(server: &tiny_http::Server, render: &Render, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let request = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(e) => {
                log::warn!("metrics server: {e}");
                continue;
            }
        };
        let path = request.url().split('?').next().unwrap_or("");
        let response = if path == "/metrics" || path == "/" {
            let content_type = tiny_http::Header::from_bytes(
                &b"Content-Type"[..],
                &b"text/plain; version=0.0.4; charset=utf-8"[..],
            );
            let mut response = tiny_http::Response::from_string(render());
            if let Ok(header) = content_type {
                response = response.with_header(header);
            }
            response
        } else {
            tiny_http::Response::from_string("not found: try /metrics\n").with_status_code(404)
        };
        if let Err(e) = request.respond(response) {
            log::debug!("metrics client went away: {e}");
        }
    }
}
