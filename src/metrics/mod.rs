//! Prometheus metrics over HTTP (`--metrics-listen 127.0.0.1:9600`, `GET /metrics`).
//!
//! - `text`: the text exposition format (HELP / TYPE lines, label escaping).
//! - `process`: `process_*` metrics of this process from `/proc/self`.
//! - `agent`: the agent's metrics (`logpipe_agent_*`), rendered from its counters at each scrape.
//! - `server`: `GET /metrics` on the one HTTP serving layer (`crates/http`), calling a render function per scrape.
//!
//! Nothing is sampled in the background: each scrape reads the atomic counters and `/proc`, so the endpoint
//! costs nothing between scrapes.

pub mod agent;
pub mod process;
pub mod server;
pub mod text;

pub use server::MetricsServer;
pub use text::MetricsText;
