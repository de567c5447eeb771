//! Starting a server, stopping it gracefully, and blocking until it is stopped.

use std::net::{SocketAddr, TcpListener as StdTcpListener, ToSocketAddrs};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::accept::accept_loop;
use crate::budget::BodyBudget;
use crate::error::ServeError;
use crate::handler::Handler;
use crate::limits::Limits;
use crate::pool::{self, PoolThreads};
use crate::shared::Shared;
use crate::stats::Stats;
use crate::tls::TlsSettings;

/// Pending connections the kernel queues before `accept` (std's default is 128).
const BACKLOG: i32 = 1024;

/// Starts serving `handler` on `listen` (`127.0.0.1:9200`; port 0 picks a free port), over TLS when
/// `tls` is given. Returns once the socket is listening; requests are served on the server's own threads
/// until [`Server::stop`] (or a [`StopHandle`]) stops it.
pub fn serve(
    listen: &str,
    limits: Limits,
    tls: Option<TlsSettings>,
    handler: Arc<dyn Handler>,
) -> Result<Server, ServeError> {
    check(&limits)?;
    let tls = match tls {
        Some(settings) => Some(TlsAcceptor::from(settings.server_config()?)),
        None => None,
    };
    let listener = bind(listen)?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        listen: listen.to_string(),
        source,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(limits.io_threads)
        .max_blocking_threads(1)
        .thread_name("http-io")
        .enable_io()
        .enable_time()
        .build()
        .map_err(ServeError::Threads)?;
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(|source| ServeError::Listen {
            listen: listen.to_string(),
            source,
        })?
    };
    let stats = Arc::new(Stats::default());
    let (pool, threads) = pool::start(
        handler.clone(),
        limits.handler_threads,
        limits.queue_length,
        stats.clone(),
    )
    .map_err(ServeError::Threads)?;
    let (stop_tx, stopping) = watch::channel(false);
    let stop = StopHandle {
        signal: Arc::new(StopSignal {
            requested: Mutex::new(false),
            cond: Condvar::new(),
            tx: stop_tx,
        }),
    };
    let shared = Arc::new(Shared {
        budget: BodyBudget::new(stats.clone(), limits.max_buffered_body_bytes),
        handler,
        limits,
        stats: stats.clone(),
        pool,
        tls,
        stopping,
        refusing: AtomicUsize::new(0),
        addr,
    });
    let accepting = Arc::new(Latch::default());
    {
        let (shared, accepting) = (shared.clone(), accepting.clone());
        runtime.spawn(async move {
            accept_loop(listener, shared).await;
            accepting.release();
        });
    }
    log::debug!(
        "http: listening on {}://{addr}",
        if shared.tls.is_some() {
            "https"
        } else {
            "http"
        }
    );
    Ok(Server {
        addr,
        stats,
        stop,
        running: Some(Running {
            runtime,
            shared,
            threads,
            accepting,
        }),
    })
}

fn check(limits: &Limits) -> Result<(), ServeError> {
    let problems = [
        (limits.io_threads == 0, "io_threads must be at least 1"),
        (
            limits.handler_threads == 0,
            "handler_threads must be at least 1",
        ),
        (
            limits.max_connections == 0,
            "max_connections must be at least 1",
        ),
        (
            limits.header_read.is_zero(),
            "header_read must be longer than 0",
        ),
        (
            limits.keep_alive_idle.is_zero(),
            "keep_alive_idle must be longer than 0",
        ),
        (
            limits.body_idle.is_zero(),
            "body_idle must be longer than 0",
        ),
        (
            limits.body_total.is_zero(),
            "body_total must be longer than 0",
        ),
        (
            limits.write_stall.is_zero(),
            "write_stall must be longer than 0",
        ),
    ];
    match problems.iter().find(|(bad, _)| *bad) {
        Some((_, what)) => Err(ServeError::InvalidLimit(what)),
        None => Ok(()),
    }
}

/// Binds with the address reuse and backlog a server wants (std's `TcpListener::bind` has a backlog of
/// 128), trying each resolved address in turn.
fn bind(listen: &str) -> Result<StdTcpListener, ServeError> {
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|source| ServeError::Resolve {
            listen: listen.to_string(),
            source,
        })?
        .collect();
    let mut last_error = std::io::Error::new(
        std::io::ErrorKind::AddrNotAvailable,
        "the address resolved to nothing",
    );
    for addr in addrs {
        let attempt = (|| {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(BACKLOG)?;
            socket.set_nonblocking(true)?;
            Ok::<_, std::io::Error>(StdTcpListener::from(socket))
        })();
        match attempt {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = e,
        }
    }
    Err(ServeError::Listen {
        listen: listen.to_string(),
        source: last_error,
    })
}

/// A running server. Dropping it stops it (as [`Server::stop`]).
pub struct Server {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: StopHandle,
    running: Option<Running>,
}

struct Running {
    runtime: Runtime,
    shared: Arc<Shared>,
    threads: PoolThreads,
    accepting: Arc<Latch>,
}

impl Server {
    /// The bound address (the actual port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's counters (kept valid after the server stops).
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// A probe another thread (a service watchdog, say) asks whether the server still serves: its accept
    /// loop has not ended and its IO runtime runs a task in time.
    pub fn liveness_probe(&self) -> LivenessProbe {
        LivenessProbe {
            runtime: self
                .running
                .as_ref()
                .map(|r| (r.runtime.handle().clone(), r.accepting.clone())),
        }
    }

    /// A handle another thread (a signal handler, say) uses to ask the server to stop.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops: the listener closes at once, idle connections are closed, requests in progress get up to
    /// [`Limits::shutdown_grace`] to finish; then the threads are joined. It blocks, so call it from a
    /// plain thread rather than from inside an async runtime.
    pub fn stop(mut self) {
        self.stop.stop();
        self.shut_down();
    }

    /// Blocks until a [`StopHandle`] asks the server to stop, then stops as [`Server::stop`] does.
    pub fn wait(mut self) {
        self.stop.wait();
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        let deadline = Instant::now() + running.shared.limits.shutdown_grace;
        running.accepting.wait_until(deadline);
        if !self.stats.wait_all_closed(deadline) {
            log::warn!(
                "http {}: {} connection(s) still busy after the grace period; closing them",
                self.addr,
                self.stats.open_now()
            );
        }
        let Running {
            runtime,
            shared,
            threads,
            ..
        } = running;
        // Drops every task (and so every connection still open) with it. Inside another runtime a
        // blocking shutdown would panic; there the tasks are dropped in the background.
        if tokio::runtime::Handle::try_current().is_ok() {
            runtime.shutdown_background();
        } else {
            runtime.shutdown_timeout(Duration::from_millis(100));
        }
        // The last sender of the handler queue: handler threads end once it is drained.
        drop(shared);
        threads.join_until(deadline.max(Instant::now() + Duration::from_millis(100)));
        log::debug!("http {}: stopped", self.addr);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running.is_some() {
            self.stop.stop();
            self.shut_down();
        }
    }
}

/// Whether a [`Server`] still serves; cheap to clone and to send to another thread.
#[derive(Clone)]
pub struct LivenessProbe {
    runtime: Option<(tokio::runtime::Handle, Arc<Latch>)>,
}

impl LivenessProbe {
    /// True when the accept loop is still running and the IO runtime ran a probe task within `timeout`
    /// (false once the server stopped: the runtime then drops the task unrun).
    pub fn responds_within(&self, timeout: Duration) -> bool {
        let Some((runtime, accepting)) = &self.runtime else {
            return false;
        };
        if *accepting.released.lock() {
            return false;
        }
        let (ran, answer) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = ran.send(());
        });
        answer.recv_timeout(timeout).is_ok()
    }
}

/// Asks a [`Server`] to stop; cheap to clone and to send to another thread.
#[derive(Clone)]
pub struct StopHandle {
    signal: Arc<StopSignal>,
}

struct StopSignal {
    requested: Mutex<bool>,
    cond: Condvar,
    tx: watch::Sender<bool>,
}

impl StopHandle {
    /// Asks the server to stop and returns at once; [`Server::wait`] (or [`Server::stop`]) does the
    /// stopping.
    pub fn stop(&self) {
        let mut requested = self.signal.requested.lock();
        *requested = true;
        self.signal.tx.send_replace(true);
        self.signal.cond.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopping(&self) -> bool {
        *self.signal.requested.lock()
    }

    fn wait(&self) {
        let mut requested = self.signal.requested.lock();
        while !*requested {
            self.signal.cond.wait(&mut requested);
        }
    }
}

impl std::fmt::Debug for StopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopHandle")
            .field("stopping", &self.is_stopping())
            .finish()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("stats", &self.stats.snapshot())
            .finish()
    }
}

/// A one-way gate: closed until released.
#[derive(Default)]
struct Latch {
    released: Mutex<bool>,
    cond: Condvar,
}

impl Latch {
    fn release(&self) {
        *self.released.lock() = true;
        self.cond.notify_all();
    }

    fn wait_until(&self, deadline: Instant) -> bool {
        let mut released = self.released.lock();
        while !*released {
            if self.cond.wait_until(&mut released, deadline).timed_out() {
                return *released;
            }
        }
        true
    }
}
