//! The accept loop: hands each connection to its own task, refuses connections over the cap, and
//! survives every accept error (EMFILE and ENFILE included) by backing off and keeping the listener.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::connection;
use crate::shared::{stopped, Shared};
use crate::stats::Stats;

/// First and longest pause after an accept error caused by exhausted resources.
const BACKOFF_MIN: Duration = Duration::from_millis(5);
const BACKOFF_MAX: Duration = Duration::from_millis(500);
/// At most one log line about accept errors per this period (the others are counted in it).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Accepts until the server stops. Never returns early on an error.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stopping = shared.stopping.clone();
    let mut backoff = BACKOFF_MIN;
    let mut log = RateLimitedLog::default();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stopping) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = BACKOFF_MIN;
                // Only an optimisation; a socket that refuses it is still served.
                let _ = stream.set_nodelay(true);
                if shared.stats.open_now() >= shared.limits.max_connections as u64 {
                    refuse(&shared, stream);
                } else {
                    let open = shared.stats.open_connection();
                    tokio::spawn(connection::serve(shared.clone(), stream, peer, open));
                }
            }
            Err(e) => {
                Stats::bump(&shared.stats.accept_errors);
                if is_connection_error(&e) {
                    // That one connection failed between the handshake and accept: take the next.
                    log::debug!("http {}: accept: {e}", shared.addr);
                    continue;
                }
                log.error(&shared, &e, backoff);
                // EMFILE/ENFILE/ENOBUFS/ENOMEM (or anything unexpected): connections that close free
                // descriptors, so wait a little and try again; the listener stays open and the kernel
                // keeps queueing new connections meanwhile.
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = stopped(&mut stopping) => break,
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// Answers an over-capacity connection with 503 (at most `max_refusing` at once), or closes it.
fn refuse(shared: &Arc<Shared>, stream: tokio::net::TcpStream) {
    Stats::bump(&shared.stats.connections_refused);
    let refusing = shared.refusing.fetch_add(1, Ordering::SeqCst);
    if refusing >= shared.limits.max_refusing {
        shared.refusing.fetch_sub(1, Ordering::SeqCst);
        drop(stream);
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        connection::refuse(shared.clone(), stream).await;
        shared.refusing.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Errors that concern only the connection being accepted, not the listener or the process.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::EPERM
                | libc::ENETDOWN
                | libc::ENETUNREACH
                | libc::EHOSTUNREACH
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::ENOPROTOOPT
                | libc::EOPNOTSUPP
        )
    )
}

#[derive(Default)]
struct RateLimitedLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimitedLog {
    fn error(&mut self, shared: &Shared, e: &io::Error, backoff: Duration) {
        let now = Instant::now();
        if self.last.is_some_and(|last| now < last + LOG_EVERY) {
            self.suppressed += 1;
            return;
        }
        let hint = match e.raw_os_error() {
            Some(libc::EMFILE) => " (out of file descriptors: raise LimitNOFILE / ulimit -n, or lower max_connections)",
            Some(libc::ENFILE) => " (the system is out of file descriptors)",
            _ => "",
        };
        log::error!(
            "http {}: accept failed: {e}{hint}; retrying in {backoff:?}, listener kept ({} similar errors in the last {LOG_EVERY:?} not logged)",
            shared.addr,
            self.suppressed
        );
        self.last = Some(now);
        self.suppressed = 0;
    }
}
