//! One accepted connection on an IO task: the TLS handshake (if any), hyper's HTTP/1.1 state machine,
//! and the watchdog that closes it when its [`Phase`] deadline passes or the server stops.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::io::TrackedStream;
use crate::phase::{Expiry, Phase};
use crate::service::{refuse_request, serve_request};
use crate::shared::{stopped, Shared};
use crate::stats::{OpenConnection, Stats};

/// How long an over-capacity connection gets to send a request head and read its 503.
pub(crate) const REFUSAL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// The hyper settings shared by served and refused connections.
fn http1_builder(shared: &Shared) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        // The layer enforces header, idle and body deadlines itself (see `phase`).
        .header_read_timeout(None)
        .max_header_size(shared.limits.max_head_bytes)
        // A head that never completes is cut off here rather than at hyper's default of ~400 KiB.
        .max_buf_size(shared.limits.max_head_bytes.max(8192))
        // A client may send its request and shut down its sending side (`nc -N`, some scripts): it
        // still gets its answer.
        .half_close(true)
        .keep_alive(true);
    builder
}

/// Serves `stream` until the client closes it, a deadline passes, or the server stops.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    open: OpenConnection,
) {
    let _open = open;
    let phase = Phase::new(Instant::now());
    let stream = TrackedStream::new(
        stream,
        phase.clone(),
        shared.limits.write_stall,
        shared.stats.clone(),
    );
    let mut stopping = shared.stopping.clone();
    match shared.tls.clone() {
        None => drive(shared, TokioIo::new(stream), peer, false, phase).await,
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(shared.limits.header_read, acceptor.accept(stream));
            let tls_stream = tokio::select! {
                result = handshake => result,
                () = stopped(&mut stopping) => return,
            };
            match tls_stream {
                Ok(Ok(tls_stream)) => {
                    drive(shared, TokioIo::new(tls_stream), peer, true, phase).await
                }
                Ok(Err(e)) => {
                    Stats::bump(&shared.stats.tls_handshake_failures);
                    log::debug!(
                        "http {}: TLS handshake with {peer} failed: {e}",
                        shared.addr
                    );
                }
                Err(_) => {
                    Stats::bump(&shared.stats.tls_handshake_failures);
                    Stats::bump(&shared.stats.header_timeouts);
                    log::debug!("http {}: TLS handshake with {peer} timed out", shared.addr);
                }
            }
        }
    }
}

async fn drive<I>(shared: Arc<Shared>, io: I, peer: SocketAddr, tls: bool, phase: Arc<Phase>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = {
        let (shared, phase) = (shared.clone(), phase.clone());
        service_fn(move |request| serve_request(shared.clone(), phase.clone(), peer, tls, request))
    };
    let connection = http1_builder(&shared).serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = shared.stopping.clone();
    let mut asked_to_stop = false;
    loop {
        let deadline = phase.deadline(&shared.limits);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    log::debug!("http {}: connection from {peer}: {e}", shared.addr);
                }
                return;
            }
            () = phase.changed.notified() => {}
            () = sleep_until(deadline.map(|(at, _)| at)) => {
                if let Some((at, expiry)) = phase.deadline(&shared.limits) {
                    if Instant::now() >= at {
                        let counter = match expiry {
                            Expiry::Header => &shared.stats.header_timeouts,
                            Expiry::Idle => &shared.stats.idle_timeouts,
                        };
                        Stats::bump(counter);
                        log::debug!("http {}: closing connection from {peer}: {expiry:?} deadline passed", shared.addr);
                        return;
                    }
                }
            }
            () = stopped(&mut stopping), if !asked_to_stop => {
                asked_to_stop = true;
                if phase.nothing_to_answer() {
                    return;
                }
                // hyper closes an idle kept-alive connection at once (after its last response is
                // written), and any other after the response in progress.
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Answers every request on an over-capacity connection with 503 and closes it, all within
/// [`REFUSAL_DEADLINE`].
pub(crate) async fn refuse(shared: Arc<Shared>, stream: TcpStream) {
    let work = async {
        let service = {
            let shared = shared.clone();
            service_fn(move |request| refuse_request(shared.clone(), request))
        };
        let mut builder = http1_builder(&shared);
        builder.keep_alive(false);
        match shared.tls.clone() {
            None => {
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            }
            Some(acceptor) => {
                if let Ok(tls_stream) = acceptor.accept(stream).await {
                    let _ = builder
                        .serve_connection(TokioIo::new(tls_stream), service)
                        .await;
                }
            }
        }
    };
    let _ = tokio::time::timeout(REFUSAL_DEADLINE, work).await;
}
