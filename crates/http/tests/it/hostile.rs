//! Clients that stall, idle, hog connections or stop reading: others are still served, and the bad
//! ones are closed after their deadline.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use logpipe_http::Limits;

/// The issue's first finding: four stalled uploads froze the store. Here more stalled uploads than
/// handler threads, plus idle kept-alive connections, silent connections and half-sent heads, and a
/// new client is still served within a second; then each bad connection is closed after its deadline.
#[test]
fn stalled_idle_and_silent_clients_do_not_stop_others_and_are_closed_after_their_deadline() {
    let limits = quick_limits();
    let (server, _gate) = start(limits.clone());
    let addr = server.addr();
    let stats = server.stats();

    // Uploads that announce a body and send none of it. `Expect: 100-continue` makes the server say
    // when it starts reading the body, so the test knows each one is stalled in the body read.
    let mut stalled: Vec<(TcpStream, Instant)> = (0..6)
        .map(|_| {
            let mut s = connect(addr);
            send(
                &mut s,
                b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
            );
            let cont = read_response(&mut s).expect("100 Continue");
            assert_eq!(cont.status, 100);
            (s, Instant::now())
        })
        .collect();
    // Kept-alive connections that made one request and now idle.
    let mut idle: Vec<(TcpStream, Instant)> = (0..6)
        .map(|_| {
            let mut s = connect(addr);
            send(&mut s, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
            assert_eq!(read_response(&mut s).expect("first answer").status, 200);
            (s, Instant::now())
        })
        .collect();
    // Connections that send nothing at all, and ones that send half a head.
    let mut silent: Vec<(TcpStream, Instant)> =
        (0..6).map(|_| (connect(addr), Instant::now())).collect();
    let mut half_head: Vec<(TcpStream, Instant)> = (0..3)
        .map(|_| {
            let mut s = connect(addr);
            send(&mut s, b"GET /echo HTTP/1.1\r\nHost: t\r\nX-Slow: ");
            (s, Instant::now())
        })
        .collect();
    assert!(
        eventually(|| stats.snapshot().connections_open == 21),
        "all 21 connections are being served: {:?}",
        stats.snapshot()
    );

    // Another client is served at once (the read timeout is the assertion).
    let mut other = connect(addr);
    other
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    send(
        &mut other,
        b"GET /echo/now HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let answer = read_response(&mut other).expect("another client is answered within 1 s");
    assert_eq!(answer.status, 200);
    assert!(answer.body_text().contains(r#"segments=["echo", "now"]"#));

    // Stalled uploads get a 408 in the consumer's format, then the connection closes.
    for (s, since) in &mut stalled {
        let r = read_response(s).expect("a 408 for a stalled upload");
        assert_eq!(r.status, 408, "{r:?}");
        assert!(r.body_text().contains("BodyTimeout"), "{}", r.body_text());
        assert!(since.elapsed() >= limits.body_idle - Duration::from_millis(50));
        assert!(
            wait_closed(s, Duration::from_secs(3)).is_some(),
            "closed after the 408"
        );
    }
    for (group, deadline) in [
        (&mut idle, limits.keep_alive_idle),
        (&mut silent, limits.header_read),
        (&mut half_head, limits.header_read),
    ] {
        for (s, since) in group.iter_mut() {
            assert!(wait_closed(s, Duration::from_secs(3)).is_some(), "closed");
            assert!(
                since.elapsed() >= deadline - Duration::from_millis(50),
                "not closed before its deadline ({:?})",
                since.elapsed()
            );
        }
    }
    let after = stats.snapshot();
    assert_eq!(after.body_timeouts, 6, "{after:?}");
    assert_eq!(after.idle_timeouts, 6, "{after:?}");
    assert_eq!(after.header_timeouts, 9, "{after:?}");
    assert!(eventually(|| stats.snapshot().connections_open == 0));
    server.stop();
}

/// A body that trickles in is cut off at `body_total` even though each piece arrives in time.
#[test]
fn a_trickling_body_is_cut_off_at_the_total_deadline() {
    let limits = Limits {
        body_idle: Duration::from_millis(600),
        body_total: Duration::from_millis(900),
        ..quick_limits()
    };
    let (server, _gate) = start(limits);
    let mut s = connect(server.addr());
    let start = Instant::now();
    send(
        &mut s,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
    );
    // A slow client: one byte every 150 ms (pacing, not synchronisation), until the server answers.
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1];
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no answer to a trickling body"
        );
        match std::io::Read::read(&mut s, &mut buf) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        let _ = std::io::Write::write(&mut s, b"x");
        std::thread::sleep(Duration::from_millis(150));
    }
    s.set_nonblocking(false).unwrap();
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    let text = format!("{}{}", buf[0] as char, String::from_utf8_lossy(&rest));
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("did not arrive within"), "{text}");
    assert!(start.elapsed() >= Duration::from_millis(850));
    assert_eq!(server.stats().snapshot().body_timeouts, 1);
}

/// More connections than the cap: the extra ones get a 503 in the consumer's format (or are closed),
/// while a client already connected keeps being served; once one closes, new clients are served again.
#[test]
fn excess_connections_are_refused_while_others_are_served() {
    let limits = Limits {
        max_connections: 4,
        header_read: Duration::from_secs(20),
        keep_alive_idle: Duration::from_secs(20),
        ..quick_limits()
    };
    let (server, _gate) = start(limits);
    let addr = server.addr();
    let stats = server.stats();

    let mut normal = connect(addr);
    send(&mut normal, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut normal).unwrap().status, 200);
    let mut hogs: Vec<TcpStream> = (0..3).map(|_| connect(addr)).collect();
    assert!(eventually(|| stats.snapshot().connections_open == 4));

    for _ in 0..3 {
        let mut extra = connect(addr);
        send(&mut extra, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
        let r = read_response(&mut extra).expect("a 503 for a connection over the cap");
        assert_eq!(r.status, 503);
        assert!(
            r.body_text().contains("TooManyConnections"),
            "{}",
            r.body_text()
        );
        assert_eq!(r.header("connection"), Some("close"));
        assert!(wait_closed(&mut extra, Duration::from_secs(3)).is_some());
    }
    // One over the cap that sends nothing is closed soon (1 s), not kept.
    let mut silent_extra = connect(addr);
    assert!(wait_closed(&mut silent_extra, Duration::from_secs(3)).is_some());

    // The connection already served is still served.
    send(&mut normal, b"GET /echo/again HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut normal).unwrap().status, 200);
    assert_eq!(stats.snapshot().connections_refused, 4);

    drop(hogs.pop());
    assert!(eventually(|| stats.snapshot().connections_open == 3));
    assert_eq!(get(addr, "/echo").unwrap().status, 200);
    drop(hogs);
    server.stop();
}

/// A client that asks for a large answer and never reads it is disconnected after `write_stall`.
#[test]
fn a_client_that_stops_reading_is_disconnected() {
    let (server, _gate) = start(quick_limits());
    let stats = server.stats();
    let mut s = connect(server.addr());
    // Far more than the socket buffers of both ends hold.
    send(
        &mut s,
        b"GET /big?bytes=64000000 HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert!(
        eventually(|| stats.snapshot().write_timeouts == 1),
        "{:?}",
        stats.snapshot()
    );
    assert!(eventually(|| stats.snapshot().connections_open == 0));
    // And the server is fine.
    assert_eq!(get(server.addr(), "/echo").unwrap().status, 200);
}

/// Every handler busy and the queue full: further requests get 503 at once instead of waiting; the
/// held ones are answered when their handlers finish.
#[test]
fn a_full_queue_is_answered_503() {
    let limits = Limits {
        handler_threads: 2,
        queue_length: 1,
        ..quick_limits()
    };
    let (server, gate) = start(limits);
    let addr = server.addr();
    let block = |_: usize| {
        let mut s = connect(addr);
        send(&mut s, b"GET /block HTTP/1.1\r\nHost: t\r\n\r\n");
        s
    };
    let mut held: Vec<TcpStream> = (0..2).map(block).collect();
    for _ in 0..2 {
        gate.started
            .recv_timeout(Duration::from_secs(5))
            .expect("a handler started");
    }
    // One more waits in the queue (it is queued in the same step as it is counted); the others cannot
    // be queued.
    held.push(block(2));
    let stats = server.stats();
    assert!(eventually(|| stats.snapshot().requests == 3));
    let mut overloaded = 0;
    for _ in 0..4 {
        let r = get(addr, "/echo").expect("an answer");
        if r.status == 503 {
            assert!(r.body_text().contains("Overloaded"), "{}", r.body_text());
            overloaded += 1;
        }
    }
    assert_eq!(overloaded, 4);
    gate.release(3);
    for s in &mut held {
        assert_eq!(read_response(s).unwrap().status, 200);
    }
    assert_eq!(stats.snapshot().requests_overloaded, 4);
}

/// A slow reader that keeps making progress gets the whole answer, even when the download takes longer
/// than the idle and stall deadlines (those count only while nothing moves).
#[test]
fn a_slow_reader_that_keeps_reading_gets_the_whole_answer() {
    let (server, _gate) = start(quick_limits());
    let mut s = connect(server.addr());
    let size = 32_000_000;
    send(
        &mut s,
        format!("GET /big?bytes={size} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
    );
    let start = Instant::now();
    let mut got = 0;
    let mut buf = vec![0u8; 256 * 1024];
    let mut head_len = None;
    while head_len.is_none_or(|h| got < h + size) {
        let n = std::io::Read::read(&mut s, &mut buf).expect("the answer keeps coming");
        assert!(n > 0, "closed after {got} bytes");
        if head_len.is_none() {
            head_len = buf[..n]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| p + 4);
        }
        got += n;
        // A slow client (pacing, not synchronisation).
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        start.elapsed() > quick_limits().keep_alive_idle,
        "the download was slow enough to matter"
    );
    // The connection is still usable afterwards.
    send(&mut s, b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut s).unwrap().status, 200);
    let stats = server.stats().snapshot();
    assert_eq!(
        (stats.write_timeouts, stats.idle_timeouts),
        (0, 0),
        "{stats:?}"
    );
}

/// The bodies a server holds at once are bounded: one held by a busy handler uses most of the budget,
/// the next upload is refused 503 as it arrives, and once the first is done uploads are taken again.
#[test]
fn request_bodies_held_at_once_are_bounded() {
    let limits = Limits {
        max_body_bytes: 1000,
        max_buffered_body_bytes: 1500,
        ..quick_limits()
    };
    let (server, gate) = start(limits);
    let addr = server.addr();
    let stats = server.stats();
    let post = |target: &str, n: usize| {
        format!(
            "POST {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n{}",
            "b".repeat(n)
        )
    };
    let mut held = connect(addr);
    send(&mut held, post("/block", 1000).as_bytes());
    gate.started
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler holds the first body");
    assert_eq!(stats.snapshot().body_bytes_buffered, 1000);

    let r = request(addr, &post("/echo", 600)).unwrap();
    assert_eq!(r.status, 503);
    assert!(
        r.body_text().contains("bytes of request bodies"),
        "{}",
        r.body_text()
    );
    assert_eq!(request(addr, &post("/echo", 400)).unwrap().status, 200);

    gate.release(1);
    assert_eq!(read_response(&mut held).unwrap().status, 200);
    assert!(eventually(|| stats.snapshot().body_bytes_buffered == 0));
    assert_eq!(request(addr, &post("/echo", 600)).unwrap().status, 200);
}

/// A client that sends its request and then shuts down its sending side still gets the answer.
#[test]
fn a_half_closed_client_gets_its_answer() {
    let (server, _gate) = start(quick_limits());
    let mut s = connect(server.addr());
    send(&mut s, b"GET /echo/half HTTP/1.1\r\nHost: t\r\n\r\n");
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let r = read_response(&mut s).expect("an answer after the half-close");
    assert!(r.body_text().contains("half"));
}
