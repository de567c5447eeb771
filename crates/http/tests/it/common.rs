//! Shared by the integration tests: a handler that tells what it received, and a raw HTTP/1.1 client
//! on plain sockets (so tests can send exactly the bytes a hostile client would).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use logpipe_http::{serve, Handler, Limits, Refusal, Request, Response, Server, StatusCode};

/// Answers `GET /echo...` with what it received, panics on `/panic`, and on `/block` waits until the
/// test sends on [`Gate`] (a handler busy for as long as the test wants).
pub struct EchoHandler {
    pub gate: Gate,
}

/// Lets a test hold `/block` requests in their handler and learn when one has started.
#[derive(Clone)]
pub struct Gate {
    started_tx: Sender<()>,
    pub started: Receiver<()>,
    release_tx: Sender<()>,
    release_rx: Receiver<()>,
}

impl Gate {
    pub fn new() -> Gate {
        let (started_tx, started) = crossbeam_channel::unbounded();
        let (release_tx, release_rx) = crossbeam_channel::unbounded();
        Gate {
            started_tx,
            started,
            release_tx,
            release_rx,
        }
    }

    /// Lets `n` blocked handlers go on.
    pub fn release(&self, n: usize) {
        for _ in 0..n {
            let _ = self.release_tx.send(());
        }
    }
}

impl Handler for EchoHandler {
    fn handle(&self, req: Request) -> Response {
        match req.segments.first().map(String::as_str) {
            Some("panic") => panic!("test handler asked to panic"),
            Some("big") => {
                let bytes = req
                    .query
                    .get("bytes")
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(0);
                Response::bytes(
                    StatusCode::OK,
                    logpipe_http::HeaderValue::from_static("application/octet-stream"),
                    vec![b'x'; bytes],
                )
            }
            Some("block") => {
                let _ = self.gate.started_tx.send(());
                let _ = self.gate.release_rx.recv_timeout(Duration::from_secs(30));
                Response::text(StatusCode::OK, "released\n")
            }
            _ => {
                let mut out = format!(
                    "method={}\nsegments={:?}\ntls={}\nbody={}\npeer={}\n",
                    req.method,
                    req.segments,
                    req.tls,
                    req.body.len(),
                    req.peer.ip()
                );
                for (k, v) in req.query.iter() {
                    out.push_str(&format!("query {k:?}={v:?}\n"));
                }
                Response::text(StatusCode::OK, out)
            }
        }
    }

    fn max_body(&self, _method: &logpipe_http::Method, path: &str) -> Option<usize> {
        path.starts_with("/small").then_some(10)
    }

    fn refuse(&self, refusal: &Refusal) -> Response {
        // A consumer's own error format, so tests can tell it was used.
        Response::json(
            refusal.status(),
            format!(
                "{{\"error\":{{\"kind\":\"{:?}\",\"message\":{:?}}}}}",
                refusal.kind, refusal.message
            ),
        )
    }
}

/// Small limits so that the deadline tests run in about a second.
pub fn quick_limits() -> Limits {
    Limits {
        header_read: Duration::from_millis(600),
        keep_alive_idle: Duration::from_millis(600),
        body_idle: Duration::from_millis(600),
        body_total: Duration::from_secs(3),
        write_stall: Duration::from_millis(600),
        handler_threads: 2,
        queue_length: 4,
        shutdown_grace: Duration::from_secs(3),
        ..Limits::default()
    }
}

pub fn start(limits: Limits) -> (Server, Gate) {
    let gate = Gate::new();
    let handler = Arc::new(EchoHandler { gate: gate.clone() });
    let server = match serve("127.0.0.1:0", limits, None, handler) {
        Ok(server) => server,
        Err(e) => panic!("cannot start the test server: {e}"),
    };
    (server, gate)
}

/// A connected socket with a read timeout (so that a test can never hang on a read).
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the test server");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("set a read timeout");
    stream
}

pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("send to the test server");
}

/// A response as read from the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (head and `Content-Length` body). `Err` says what happened instead: the
/// connection closed (`"closed"`), or an IO error such as a timeout.
pub fn read_response(stream: &mut impl Read) -> Result<RawResponse, String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) if buf.is_empty() => return Err("closed".into()),
            Ok(0) => {
                return Err(format!(
                    "closed mid-head: {:?}",
                    String::from_utf8_lossy(&buf)
                ))
            }
            Ok(_) => buf.push(byte[0]),
            Err(e) => return Err(format!("{:?}: {e}", e.kind())),
        }
        if buf.len() > 64 * 1024 {
            return Err("head too long".into());
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let mut response = RawResponse {
        status,
        head,
        body: Vec::new(),
    };
    let length: usize = response
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if status != 100 {
        response.body = vec![0; length];
        stream
            .read_exact(&mut response.body)
            .map_err(|e| format!("body: {e}"))?;
    }
    Ok(response)
}

/// Sends `request` on a new connection and reads the response.
pub fn request(addr: SocketAddr, request: &str) -> Result<RawResponse, String> {
    let mut stream = connect(addr);
    send(&mut stream, request.as_bytes());
    read_response(&mut stream)
}

/// `GET target` with `Connection: close`.
pub fn get(addr: SocketAddr, target: &str) -> Result<RawResponse, String> {
    request(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"),
    )
}

/// Waits until the server closes `stream` (reading and discarding), up to `limit`. Returns how long
/// that took, or `None` if it was still open at the limit.
pub fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream
        .set_read_timeout(Some(limit))
        .expect("set a read timeout");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(start.elapsed())
            }
            Err(_) => return None,
        }
        if start.elapsed() > limit {
            return None;
        }
    }
}

/// Polls `condition` (every 2 ms) until it holds or 5 s pass; whether it held. For server state that
/// has no event a test could wait on (a counter).
pub fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    condition()
}
