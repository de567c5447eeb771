//! `logpipe console`: a web console over the log index and the fleet — Discover (search, histogram, field
//! values, live tail), Collect config (etcd entries per host, validated, compare-and-swap writes, applied
//! revision per agent), Fleet (status keys) and Host metrics (charts from `event.dataset:system.metrics`).
//!
//! Module map: `assets` (the app from `console/dist/`, embedded), `http` (the console as a handler of the
//! one HTTP serving layer, security headers, Host check), `guard` (caller from session cookie or bearer
//! token, cross-site and CSRF checks), `api` (routes, roles, error bodies), `users` (users and roles
//! files, the token user), `sessions` (session cookie, CSRF token), `login_limit` (login attempts per user
//! and address), `audit` (the record of every collect change, history, diff), `queries` (inputs → ES
//! bodies → page JSON, pure), `collect` (entry validation, hosts view), `backend` (ES over HTTP or the
//! in-process store), `etcd_gateway` (one async thread owning the etcd client, called synchronously).
//!
//! Invariants: the HTTP threads are plain threads (the only async code is the etcd gateway's thread); the
//! browser never sends Elasticsearch DSL, only validated fields the server turns into bodies; writes need
//! an editor (a session with its CSRF token, or the bearer token), never come from another site, never
//! happen with `--read-only`, and are written with their audit record in one etcd transaction; the page
//! renders log data with `textContent` only.

pub mod api;
pub mod assets;
pub mod audit;
pub mod backend;
pub mod collect;
pub mod etcd_gateway;
pub mod guard;
pub mod http;
pub mod login_limit;
pub mod queries;
pub mod sessions;
pub mod users;

use crate::config::EtcdConnection;
use crate::shutdown;
use crate::systemd::{Liveness, ServiceManager};
use api::ApiState;
use backend::{HttpBackend, SearchBackend};
use etcd_gateway::{EtcdGateway, GatewayThread};
use std::sync::Arc;
use std::time::Duration;

/// Command-line arguments of `logpipe console`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConsoleArgs {
    #[command(subcommand)]
    pub command: Option<ConsoleCommand>,
    /// Address of the web console [default: 127.0.0.1:5601].
    #[arg(long)]
    pub listen: Option<String>,
    /// A console.toml with `[elasticsearch]` (as the transfer's: urls, user / password_file, api_key, ssl_*)
    /// and `[etcd]` (as the agent's: endpoints, user / password, [etcd.tls]) for secured backends; the flags
    /// below override it.
    #[arg(long, short = 'c')]
    pub config: Option<std::path::PathBuf>,
    /// Search backend: logpipe's store or Elasticsearch [default: http://127.0.0.1:9200].
    #[arg(long)]
    pub search: Option<String>,
    /// etcd endpoints (comma-separated) for the Collect config and Fleet pages.
    #[arg(long, value_delimiter = ',')]
    pub etcd: Vec<String>,
    /// Named users: a file of `name:bcrypt-hash` lines (Elasticsearch's file-realm `users`; make a line
    /// with `logpipe console hash-password NAME` or `htpasswd -nB NAME`). Every page then needs a login.
    #[arg(long, requires = "users_roles_file")]
    pub users_file: Option<std::path::PathBuf>,
    /// The users' roles: `viewer:name1,name2` and `editor:name3` lines (Elasticsearch's `users_roles`).
    #[arg(long, requires = "users_file")]
    pub users_roles_file: Option<std::path::PathBuf>,
    /// Bearer token of the user `token` (an editor), for automation; it also logs in on the login page.
    /// Without users or a token the console makes no changes.
    /// Prefer `--auth-token-file` or the environment variable: a value given here is visible in `ps`.
    #[arg(long, env = "LOGPIPE_CONSOLE_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// File holding the bearer token (its first line), readable by this user only.
    #[arg(long, conflicts_with = "auth_token")]
    pub auth_token_file: Option<std::path::PathBuf>,
    /// No changes at all, even with a token.
    #[arg(long)]
    pub read_only: bool,
    /// Index pattern Discover opens with (until the user picks another one, which the browser remembers).
    /// Without it, Discover opens on the index family holding the newest document.
    #[arg(long)]
    pub index: Option<String>,
    /// etcd prefix of the collect keys (`{prefix}{hostname}`).
    #[arg(long, default_value = "/logpipe/collect/")]
    pub collect_prefix: String,
    /// etcd prefix of the status keys.
    #[arg(long, default_value = "/logpipe/status/")]
    pub status_prefix: String,
    /// etcd prefix of the audit trail of collect changes (`{prefix}{hostname}/...`).
    #[arg(long, default_value = "/logpipe/audit/")]
    pub audit_prefix: String,
    /// Timeout of each request to the search backend (`30s`, `500ms`; a bare number is milliseconds).
    #[arg(long, default_value = "30s", value_parser = crate::config::duration::parse)]
    pub search_timeout: Duration,
    #[command(flatten)]
    pub tls: crate::listen_tls::ListenTlsArgs,
}

/// `logpipe console` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ConsoleCommand {
    /// Prints a bcrypt hash of the password read from standard input, as a line of the users file
    /// (`NAME:hash`) when a name is given.
    HashPassword {
        /// The user's name.
        name: Option<String>,
    },
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
    /// The users file and the roles file.
    pub users_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    pub read_only: bool,
    pub default_index: Option<String>,
    pub collect_prefix: String,
    pub status_prefix: String,
    pub audit_prefix: String,
    /// HTTPS (`--tls-cert`, `--tls-key`, `--tls-client-ca`); `None` serves plain HTTP.
    pub tls: Option<logpipe_http::TlsSettings>,
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
            ("--audit-prefix", &settings.audit_prefix),
        ] {
            if !prefix.starts_with('/') || !prefix.ends_with('/') {
                anyhow::bail!("{flag} `{prefix}` must start and end with /");
            }
        }
        if let Some(index) = &settings.default_index {
            queries::validate_index(index).map_err(|e| anyhow::anyhow!("--index: {e}"))?;
        }
        if settings.audit_prefix.starts_with(&settings.collect_prefix)
            || settings.collect_prefix.starts_with(&settings.audit_prefix)
        {
            anyhow::bail!("--audit-prefix and --collect-prefix must not contain one another");
        }
        let users = users::Users::load(
            settings.users_files.as_ref().map(|(u, _)| u.as_path()),
            settings.users_files.as_ref().map(|(_, r)| r.as_path()),
            settings.auth_token,
        )?;
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
            users,
            sessions: Default::default(),
            login_limit: Default::default(),
            read_only: settings.read_only,
            default_index: settings.default_index,
            collect_prefix: settings.collect_prefix,
            status_prefix: settings.status_prefix,
            audit_prefix: settings.audit_prefix,
        });
        if !api.writes_enabled() {
            log::info!("console: read-only (no users or token, --read-only, or no etcd)");
        }
        let server = http::serve(api, &settings.listen, settings.tls)?;
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

    /// A probe a service watchdog asks whether the console still serves.
    pub fn liveness_probe(&self) -> logpipe_http::LivenessProbe {
        self.server.liveness_probe()
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.stop();
    }
}

/// The write token from `--auth-token-file`, `LOGPIPE_CONSOLE_TOKEN` or `--auth-token` (warned about: any
/// local user sees a command line).
fn auth_token(args: &ConsoleArgs) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.auth_token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("--auth-token-file {}: {e}", path.display()))?;
        let token = text.lines().next().unwrap_or_default().trim().to_string();
        if token.is_empty() {
            anyhow::bail!("--auth-token-file {}: the file is empty", path.display());
        }
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            log::warn!(
                "console: {} is readable by other users: chmod 600 it",
                path.display()
            );
        }
        return Ok(Some(token));
    }
    if std::env::args().any(|a| a == "--auth-token" || a.starts_with("--auth-token=")) {
        log::warn!(
            "console: --auth-token is visible to every local user in ps; use --auth-token-file or \
             LOGPIPE_CONSOLE_TOKEN"
        );
    }
    Ok(args.auth_token.clone().filter(|t| !t.is_empty()))
}

/// Runs `logpipe console` until SIGTERM / SIGINT.
pub fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    if let Some(ConsoleCommand::HashPassword { name }) = &args.command {
        println!("{}", users::hash_password(name.as_deref())?);
        return Ok(());
    }
    let file = match &args.config {
        Some(path) => crate::config::console::ConsoleConfig::load(path)?,
        None => Default::default(),
    };
    let backend = match (&args.search, &file.elasticsearch) {
        (Some(url), _) => HttpBackend::new(url, args.search_timeout),
        (None, Some(es)) => {
            let urls = es.all_urls();
            if urls.len() > 1 {
                log::info!(
                    "console: searching {} (the first of elasticsearch.urls)",
                    urls[0]
                );
            }
            HttpBackend::secured(&urls[0], args.search_timeout, &es.auth()?, &es.tls())
        }
        (None, None) => HttpBackend::new("http://127.0.0.1:9200", args.search_timeout),
    }?;
    let etcd = match (args.etcd.is_empty(), file.etcd) {
        (false, Some(mut connection)) => {
            connection.endpoints = args.etcd.clone();
            Some(connection)
        }
        (false, None) => Some(EtcdConnection::plain(args.etcd.clone())),
        (true, connection) => connection,
    };
    let auth_token = auth_token(&args)?;
    let users_files = match (args.users_file, args.users_roles_file) {
        (Some(users), Some(roles)) => Some((users, roles)),
        _ => file.users_file.zip(file.users_roles_file),
    };
    let signals = shutdown::StopSignals::catch()?;
    let mut service = ServiceManager::from_env();
    let scheme = args.tls.scheme();
    let console = Console::start(ConsoleSettings {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:5601".into()),
        backend: Arc::new(backend),
        etcd,
        auth_token,
        users_files,
        read_only: args.read_only,
        default_index: args.index.or(file.index),
        collect_prefix: args.collect_prefix,
        status_prefix: args.status_prefix,
        audit_prefix: args.audit_prefix,
        tls: args.tls.settings(),
    })?;
    service.start_watchdog(Liveness::server(console.liveness_probe()))?;
    service.ready(&format!(
        "console: serving on {scheme}://{}/",
        console.addr()
    ));
    signals.wait();
    log::info!("console: shutting down");
    service.stopping();
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
