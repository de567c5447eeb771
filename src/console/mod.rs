//! `logpipe console`: a web console over the log index and the fleet — Discover (search, histogram, field
//! values, live tail), Collect config (etcd entries per host, validated, compare-and-swap writes, applied
//! revision per agent), Fleet (status keys) and Host metrics (charts from `event.dataset:system.metrics`).
//!
//! Module map: `assets` (the app from `console/dist/`, embedded), `http` (tiny_http workers, security
//! headers, Host check), `api` (routes, write guard, error bodies), `queries` (inputs → ES bodies → page
//! JSON, pure), `collect` (entry validation, hosts view), `backend` (ES over HTTP or the in-process store),
//! `etcd_gateway` (one async thread owning the etcd client, called synchronously).
//!
//! Invariants: the HTTP threads are plain threads (the only async code is the etcd gateway's thread); the
//! browser never sends Elasticsearch DSL, only validated fields the server turns into bodies; writes need
//! the bearer token and never happen with `--read-only`; the page renders log data with `textContent` only.

pub mod api;
pub mod assets;
pub mod backend;
pub mod collect;
pub mod etcd_gateway;
pub mod http;
pub mod queries;

use crate::etcd::EtcdConnection;
use crate::shutdown;
use api::ApiState;
use backend::{HttpBackend, SearchBackend};
use etcd_gateway::{EtcdGateway, GatewayThread};
use std::sync::Arc;
use std::time::Duration;

/// Command-line arguments of `logpipe console`.
#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {
    /// Address of the web console (loopback by default).
    #[arg(long, default_value = "127.0.0.1:5601")]
    pub listen: String,
    /// Search backend: logpipe's store or Elasticsearch.
    #[arg(long, default_value = "http://127.0.0.1:9200")]
    pub search: String,
    /// etcd endpoints (comma-separated) for the Collect config and Fleet pages.
    #[arg(long, value_delimiter = ',')]
    pub etcd: Vec<String>,
    /// Bearer token required for changes (collect entries). Without it the console makes no changes.
    #[arg(long, env = "LOGPIPE_CONSOLE_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// No changes at all, even with a token.
    #[arg(long)]
    pub read_only: bool,
    /// Index pattern Discover opens with.
    #[arg(long, default_value = "logpipe-*")]
    pub index: String,
    /// etcd prefix of the collect keys (`{prefix}{hostname}`).
    #[arg(long, default_value = "/logpipe/collect/")]
    pub collect_prefix: String,
    /// etcd prefix of the status keys.
    #[arg(long, default_value = "/logpipe/status/")]
    pub status_prefix: String,
    /// Timeout of each request to the search backend (`30s`, `500ms`; a bare number is milliseconds).
    #[arg(long, default_value = "30s", value_parser = crate::config::duration::parse)]
    pub search_timeout: Duration,
}

/// A running console (server plus, with etcd, the gateway thread).
pub struct Console {
    server: http::ConsoleServer,
    _etcd: Option<GatewayThread>,
}

/// What a console serves from, however it was started.
pub struct ConsoleSettings {
    pub listen: String,
    pub backend: Arc<dyn SearchBackend>,
    pub etcd: Option<EtcdConnection>,
    pub auth_token: Option<String>,
    pub read_only: bool,
    pub default_index: String,
    pub collect_prefix: String,
    pub status_prefix: String,
}

impl Console {
    /// Starts the etcd gateway (if any) and the HTTP server.
    pub fn start(settings: ConsoleSettings) -> anyhow::Result<Console> {
        if let Some(token) = &settings.auth_token {
            if token.len() < 16 {
                anyhow::bail!("--auth-token / LOGPIPE_CONSOLE_TOKEN: use at least 16 characters");
            }
        }
        for (flag, prefix) in [
            ("--collect-prefix", &settings.collect_prefix),
            ("--status-prefix", &settings.status_prefix),
        ] {
            if !prefix.starts_with('/') || !prefix.ends_with('/') {
                anyhow::bail!("{flag} `{prefix}` must start and end with /");
            }
        }
        queries::validate_index(&settings.default_index)
            .map_err(|e| anyhow::anyhow!("--index: {e}"))?;
        let (gateway, thread) = match settings.etcd {
            Some(connection) => {
                connection
                    .validate()
                    .map_err(|e| anyhow::anyhow!("--etcd: {e}"))?;
                let (gateway, thread) = EtcdGateway::start(connection)?;
                (Some(gateway), Some(thread))
            }
            None => (None, None),
        };
        let api = Arc::new(ApiState {
            backend: settings.backend,
            etcd: gateway,
            auth_token: settings.auth_token,
            read_only: settings.read_only,
            default_index: settings.default_index,
            collect_prefix: settings.collect_prefix,
            status_prefix: settings.status_prefix,
        });
        if !api.writes_enabled() {
            log::info!("console: read-only (no token, --read-only, or no etcd)");
        }
        let server = http::serve(api, &settings.listen)?;
        if !server.addr().ip().is_loopback() {
            log::warn!(
                "console: listening on {} (not loopback): anyone who can reach it can read the logs",
                server.addr()
            );
        }
        Ok(Console {
            server,
            _etcd: thread,
        })
    }

    /// Where the console listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.stop();
    }
}

/// Runs `logpipe console` until SIGTERM / SIGINT.
pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let backend =
        HttpBackend::new(&args.search, args.search_timeout).map_err(|e| anyhow::anyhow!(e))?;
    let etcd = (!args.etcd.is_empty()).then(|| EtcdConnection::plain(args.etcd.clone()));
    let signals = shutdown::StopSignals::catch()?;
    let console = Console::start(ConsoleSettings {
        listen: args.listen,
        backend: Arc::new(backend),
        etcd,
        auth_token: args.auth_token.filter(|t| !t.is_empty()),
        read_only: args.read_only,
        default_index: args.index,
        collect_prefix: args.collect_prefix,
        status_prefix: args.status_prefix,
    })?;
    signals.wait();
    log::info!("console: shutting down");
    console.stop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        console: ConsoleArgs,
    }

    #[test]
    fn search_timeout_takes_the_durations_of_the_config_files() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("console").chain(args.iter().copied()))
                .map(|cli| cli.console.search_timeout)
        };
        assert_eq!(parse(&[]).ok(), Some(Duration::from_secs(30)));
        assert_eq!(
            parse(&["--search-timeout", "2m"]).ok(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse(&["--search-timeout", "750"]).ok(),
            Some(Duration::from_millis(750))
        );
        let err = parse(&["--search-timeout", "5 parsecs"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("5 parsecs"), "{err}");
    }
}
