//! The second finding: under a low `RLIMIT_NOFILE`, enough connections made accept fail with
//! EMFILE and the old server stopped accepting for good. Here a server runs in a child process (this
//! test binary, re-run with an environment variable) with a limit of 64 descriptors; the test exhausts
//! them with connections, checks the server still answers on a connection it already had, closes the
//! others, and shows the server accepts and answers new connections again.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use crate::common::*;
use logpipe_http::{serve, Handler, Limits, Request, Response, Stats, StatusCode};

const CHILD: &str = "LOGPIPE_HTTP_TEST_EMFILE_CHILD";
const FD_LIMIT: libc::rlim_t = 64;

/// Answers `/stats` with the server's counters, as `name=value` lines.
struct StatsHandler {
    stats: OnceLock<Arc<Stats>>,
}

impl Handler for StatsHandler {
    fn handle(&self, _: Request) -> Response {
        let s = self.stats.get().map(|s| s.snapshot()).unwrap_or_default();
        Response::text(
            StatusCode::OK,
            format!(
                "accept_errors={}\nconnections_accepted={}\nconnections_open={}\n",
                s.accept_errors, s.connections_accepted, s.connections_open
            ),
        )
    }
}

/// The server side, run only as the child of `accept_survives_running_out_of_file_descriptors`.
#[test]
#[ignore = "the child process of accept_survives_running_out_of_file_descriptors"]
fn emfile_child_server() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let handler = Arc::new(StatsHandler {
        stats: OnceLock::new(),
    });
    let limits = Limits {
        max_connections: 10_000,
        handler_threads: 2,
        ..Limits::default()
    };
    let server = serve("127.0.0.1:0", limits, None, handler.clone()).expect("child server starts");
    let _ = handler.stats.set(server.stats());
    println!("LISTENING {}", server.addr());
    // Serve until the parent closes our stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    server.stop();
}

/// Kills the child if the test fails half-way.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stats_line(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text:?}"))
}

fn ask_stats(conn: &mut TcpStream) -> String {
    send(conn, b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = read_response(conn).expect("stats on a connection the server already has");
    assert_eq!(r.status, 200);
    r.body_text()
}

#[test]
fn accept_survives_running_out_of_file_descriptors() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            "emfile::emfile_child_server",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FD_LIMIT,
                rlim_max: FD_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = ChildGuard(command.spawn().expect("start the child server"));
    let mut stdout = BufReader::new(child.0.stdout.take().expect("the child's stdout"));
    let mut line = String::new();
    let addr: SocketAddr = loop {
        line.clear();
        let n = stdout
            .read_line(&mut line)
            .expect("read the child's output");
        assert!(n > 0, "the child ended without saying where it listens");
        // libtest prints "test ... " before it on the same line.
        if let Some((_, addr)) = line.split_once("LISTENING ") {
            break addr.trim().parse().expect("an address");
        }
    };

    // A kept-alive connection made before the exhaustion.
    let mut kept = connect(addr);
    assert_eq!(stats_line(&ask_stats(&mut kept), "accept_errors"), 0);

    // More connections than descriptors: the server accepts what it can, then accept fails (EMFILE)
    // while the rest wait in the kernel's backlog.
    let hogs: Vec<TcpStream> = (0..2 * FD_LIMIT).map(|_| connect(addr)).collect();
    assert!(
        eventually(|| stats_line(&ask_stats(&mut kept), "accept_errors") > 0),
        "accept never failed: the test did not exhaust the descriptors"
    );
    let during = ask_stats(&mut kept);
    assert!(stats_line(&during, "connections_open") < FD_LIMIT);

    // Free them: the server must take up accepting again, on the same listener.
    drop(hogs);
    let r = get(addr, "/stats").expect("a new connection is served after the exhaustion");
    assert_eq!(r.status, 200);
    let after = r.body_text();
    assert!(
        stats_line(&after, "connections_accepted") > stats_line(&during, "connections_accepted")
    );
    // And the connection kept through it all still works.
    ask_stats(&mut kept);

    drop(child.0.stdin.take());
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let status = child.0.wait().expect("the child exits");
    assert!(status.success(), "child: {status}: {rest}");
}
