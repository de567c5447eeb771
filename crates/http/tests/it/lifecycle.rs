//! Panicking handlers, stopping with connections open, waiting for a stop, refusals in the default
//! format, and invalid settings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use logpipe_http::{serve, Handler, Limits, Request, Response, ServeError, StatusCode};

#[test]
fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let (server, _gate) = start(quick_limits());
    let addr = server.addr();
    let mut s = connect(addr);
    send(&mut s, b"GET /panic HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = read_response(&mut s).unwrap();
    assert_eq!(r.status, 500);
    assert!(
        r.body_text().contains("HandlerPanicked"),
        "{}",
        r.body_text()
    );
    // The same connection, and others, are still served; so is a second panic.
    send(&mut s, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut s).unwrap().status, 200);
    assert_eq!(get(addr, "/panic").unwrap().status, 500);
    for _ in 0..4 {
        assert_eq!(get(addr, "/echo").unwrap().status, 200);
    }
    assert_eq!(server.stats().snapshot().handler_panics, 2);
}

/// Idle kept-alive connections and silent ones do not hold up a stop: it returns long before the grace
/// period, and they are closed.
#[test]
fn stop_returns_promptly_with_idle_and_silent_connections_open() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(30),
        ..Limits::default()
    };
    let (server, _gate) = start(limits);
    let addr = server.addr();
    let stats = server.stats();
    let mut idle: Vec<_> = (0..5)
        .map(|_| {
            let mut s = connect(addr);
            send(&mut s, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
            assert_eq!(read_response(&mut s).unwrap().status, 200);
            s
        })
        .collect();
    let mut silent: Vec<_> = (0..3).map(|_| connect(addr)).collect();
    assert!(eventually(|| stats.snapshot().connections_open == 8));
    let start = Instant::now();
    server.stop();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    for s in idle.iter_mut().chain(silent.iter_mut()) {
        assert!(wait_closed(s, Duration::from_secs(1)).is_some());
    }
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the listener is closed"
    );
}

/// A request being handled when the stop comes is answered; the stop waits for it.
#[test]
fn stop_lets_a_request_in_progress_finish() {
    let (server, gate) = start(quick_limits());
    let addr = server.addr();
    let mut s = connect(addr);
    send(&mut s, b"GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
    gate.started
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler started");
    let stopper = std::thread::spawn(move || server.stop());
    // The listener closes first...
    assert!(eventually(|| std::net::TcpStream::connect(addr).is_err()));
    assert!(
        !stopper.is_finished(),
        "stop waits for the request in progress"
    );
    // ...then the request finishes and is answered, with the connection closed after it.
    gate.release(1);
    let r = read_response(&mut s).expect("the answer to the request in progress");
    assert_eq!(r.status, 200);
    assert!(wait_closed(&mut s, Duration::from_secs(3)).is_some());
    stopper.join().expect("stop returns");
}

/// `Server::wait` blocks until a `StopHandle` (e.g. from a signal thread) asks for the stop.
#[test]
fn wait_blocks_until_a_stop_handle_is_used() {
    let (server, _gate) = start(quick_limits());
    let addr = server.addr();
    let handle = server.stop_handle();
    assert!(!handle.is_stopping());
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let waiter = std::thread::spawn(move || {
        server.wait();
        let _ = done_tx.send(());
    });
    assert_eq!(get(addr, "/echo").unwrap().status, 200);
    assert!(
        done_rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "still serving"
    );
    handle.stop();
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("wait returns after the stop");
    waiter.join().unwrap();
    assert!(handle.is_stopping());
    assert!(std::net::TcpStream::connect(addr).is_err());
}

struct Plain;

impl Handler for Plain {
    fn handle(&self, _: Request) -> Response {
        Response::text(StatusCode::OK, "ok")
    }
}

#[test]
fn the_default_refusal_is_plain_text() {
    let server = serve("127.0.0.1:0", quick_limits(), None, Arc::new(Plain)).unwrap();
    let r = get(server.addr(), "/%zz").unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(
        r.body_text().starts_with(
            "400 path segment [%zz] holds a `%` not followed by two hexadecimal digits"
        ),
        "{}",
        r.body_text()
    );
}

#[test]
fn unusable_settings_are_typed_errors() {
    let zero_threads = Limits {
        handler_threads: 0,
        ..Limits::default()
    };
    assert!(matches!(
        serve("127.0.0.1:0", zero_threads, None, Arc::new(Plain)),
        Err(ServeError::InvalidLimit(_))
    ));
    let taken = serve("127.0.0.1:0", quick_limits(), None, Arc::new(Plain)).unwrap();
    let again = serve(
        &taken.addr().to_string(),
        quick_limits(),
        None,
        Arc::new(Plain),
    );
    match again {
        Err(e @ ServeError::Listen { .. }) => {
            assert!(e.to_string().contains(&taken.addr().to_string()), "{e}")
        }
        other => panic!("expected a listen error, got {other:?}"),
    }
    assert!(matches!(
        serve(
            "no-such-host.invalid:80",
            quick_limits(),
            None,
            Arc::new(Plain)
        ),
        Err(ServeError::Resolve { .. })
    ));
}

/// The liveness probe a service watchdog asks: true while the server serves, false once it stopped (the
/// accept loop ended and the runtime is gone), whoever holds the probe.
#[test]
fn the_liveness_probe_answers_while_serving_and_not_after_a_stop() {
    let (server, _gate) = start(quick_limits());
    let probe = server.liveness_probe();
    assert!(probe.responds_within(Duration::from_secs(5)));
    let from_another_thread = probe.clone();
    assert!(
        std::thread::spawn(move || from_another_thread.responds_within(Duration::from_secs(5)))
            .join()
            .unwrap()
    );
    server.stop();
    assert!(!probe.responds_within(Duration::from_millis(500)));
}
