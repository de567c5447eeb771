//! Strict HTTP/1.1: framing conflicts and garbage are refused (never a hang), URLs decode strictly,
//! bodies over the limit are refused before they are read.

use std::time::Duration;

use crate::common::*;
use logpipe_http::Limits;

/// Sends `raw` on a new connection and returns the answer, or "closed" (never a hang: reads time out
/// after 5 s, which fails the caller's assertion).
fn exchange(addr: std::net::SocketAddr, raw: &[u8]) -> Result<RawResponse, String> {
    let mut s = connect(addr);
    send(&mut s, raw);
    read_response(&mut s)
}

fn assert_400_or_closed(addr: std::net::SocketAddr, raw: &[u8]) {
    let mut s = connect(addr);
    send(&mut s, raw);
    match read_response(&mut s) {
        Ok(r) => {
            assert_eq!(r.status, 400, "{:?} → {r:?}", String::from_utf8_lossy(raw));
            assert!(
                wait_closed(&mut s, Duration::from_secs(3)).is_some(),
                "the connection is closed after a framing error"
            );
        }
        Err(e) => assert_eq!(e, "closed", "{:?}", String::from_utf8_lossy(raw)),
    }
}

#[test]
fn invalid_or_conflicting_content_length_is_refused() {
    let (server, _gate) = start(quick_limits());
    let addr = server.addr();
    for raw in [
        &b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"[..],
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1 2\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nhello",
        // Transfer-Encoding that is not chunked, and any Transfer-Encoding in HTTP/1.0.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nhello",
        b"POST /echo HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        // Not HTTP at all.
        b"HELLO\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nHost: t\r\nBad Header Name: x\r\n\r\n",
    ] {
        assert_400_or_closed(addr, raw);
    }
    // A repeated identical Content-Length is one length (RFC 9112 §6.3 allows accepting it).
    let r = exchange(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .unwrap();
    assert_eq!((r.status, r.body_text().contains("body=5")), (200, true));
}

#[test]
fn garbage_chunk_sizes_are_refused() {
    let (server, _gate) = start(quick_limits());
    let addr = server.addr();
    for raw in [
        &b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"[..],
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n",
    ] {
        let mut s = connect(addr);
        send(&mut s, raw);
        match read_response(&mut s) {
            Ok(r) => {
                assert_eq!(r.status, 400, "{r:?}");
                assert!(r.body_text().contains("BadRequest"), "{}", r.body_text());
            }
            Err(e) => assert_eq!(e, "closed"),
        }
    }
    // A well-formed chunked body is read in full.
    let r = exchange(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .unwrap();
    assert!(r.body_text().contains("body=11"), "{}", r.body_text());
}

/// `Content-Length` beside `Transfer-Encoding: chunked`: the body is read as chunked (RFC 9112 §6.1)
/// and the connection is closed after the answer, so bytes after the chunked body (a smuggled request
/// behind a proxy that went by Content-Length) are never read as a request.
#[test]
fn content_length_with_chunked_cannot_smuggle_a_request() {
    let (server, _gate) = start(quick_limits());
    let mut s = connect(server.addr());
    send(
        &mut s,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 60\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let first = read_response(&mut s).expect("an answer to the first request");
    match first.status {
        200 => assert!(
            first.body_text().contains("body=5"),
            "{}",
            first.body_text()
        ),
        400 => {}
        other => panic!("unexpected {other}"),
    }
    assert_eq!(read_response(&mut s).err().as_deref(), Some("closed"));
    assert_eq!(server.stats().snapshot().requests, 1);
}

#[test]
fn path_segments_decode_strictly_and_undecodable_paths_are_400() {
    let (server, _gate) = start(quick_limits());
    let addr = server.addr();
    let r = get(addr, "/logs-%2A/_doc/a%2Fb/caf%C3%A9/a+b").unwrap();
    assert_eq!(r.status, 200);
    assert!(
        r.body_text()
            .contains(r#"segments=["logs-*", "_doc", "a/b", "café", "a+b"]"#),
        "{}",
        r.body_text()
    );
    for bad in ["/%zz", "/%+1", "/index%", "/%ff", "/%C3%28"] {
        let r = get(addr, bad).unwrap();
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.body_text().contains("BadRequest"),
            "{bad}: {}",
            r.body_text()
        );
    }
    // Raw (not percent-encoded) bytes: UTF-8 is taken as it is, anything else is a 400.
    let r = exchange(
        addr,
        b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert!(r.body_text().contains(r#"segments=["café"]"#), "{r:?}");
    for raw in [
        &b"GET /\xff HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"GET /caf\xc3( HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let r = exchange(addr, raw);
        assert!(
            matches!(r.as_ref().map(|r| r.status), Ok(400) | Err(_)),
            "{r:?}"
        );
    }
    // The server is still fine.
    assert_eq!(get(addr, "/echo").unwrap().status, 200);
}

#[test]
fn query_strings_decode_as_forms() {
    let (server, _gate) = start(quick_limits());
    let r = get(
        server.addr(),
        "/echo?q=a+b&index=logs-%2A&pct=%+1&empty=&flag",
    )
    .unwrap();
    let text = r.body_text();
    for expected in [
        r#"query "q"="a b""#,
        r#"query "index"="logs-*""#,
        r#"query "pct"="% 1""#,
        r#"query "empty"="""#,
        r#"query "flag"="""#,
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
}

#[test]
fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let limits = Limits {
        max_body_bytes: 1000,
        ..quick_limits()
    };
    let (server, _gate) = start(limits);
    let addr = server.addr();
    // Only the head is sent: the 413 must come from the Content-Length alone.
    let r = exchange(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 413);
    assert!(r.body_text().contains("BodyTooLarge"), "{}", r.body_text());
    assert_eq!(r.header("connection"), Some("close"));
    // With `Expect: 100-continue` no 100 is sent: the 413 comes first.
    let r = exchange(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 413);
    // A chunked body is cut off as soon as it passes the limit (the rest is never sent here).
    let mut s = connect(addr);
    send(
        &mut s,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for _ in 0..2 {
        send(&mut s, format!("258\r\n{}\r\n", "y".repeat(600)).as_bytes());
    }
    let r = read_response(&mut s).unwrap();
    assert_eq!(r.status, 413);
    // A consumer's per-route limit (`Handler::max_body`: 10 bytes under /small).
    let r = exchange(
        addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n01234567890",
    )
    .unwrap();
    assert_eq!(r.status, 413);
    let r = exchange(
        addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    // At the limit exactly is fine.
    let body = "z".repeat(1000);
    let r = exchange(
        addr,
        format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{body}")
            .as_bytes(),
    )
    .unwrap();
    assert!(r.body_text().contains("body=1000"));
    assert_eq!(server.stats().snapshot().requests_refused, 4);
}

/// A client told 413 while it is still sending a large body reads the 413 instead of a reset: the
/// server keeps reading (and discarding) for a moment after answering.
#[test]
fn a_client_still_sending_a_refused_body_reads_the_413() {
    let limits = Limits {
        max_body_bytes: 1000,
        ..quick_limits()
    };
    let (server, _gate) = start(limits);
    let mut s = connect(server.addr());
    let mut raw = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'q', 2_000_000));
    let writer = {
        let mut s = s.try_clone().unwrap();
        std::thread::spawn(move || std::io::Write::write_all(&mut s, &raw))
    };
    let r = read_response(&mut s).expect("the 413, not a reset");
    assert_eq!(r.status, 413);
    let _ = writer.join();
}

#[test]
fn a_head_too_large_is_431() {
    let (server, _gate) = start(quick_limits());
    let big = "a".repeat(70 * 1024);
    let r = exchange(
        server.addr(),
        format!("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    assert!(
        matches!(r.as_ref().map(|r| r.status), Ok(431) | Err(_)),
        "{r:?}"
    );
    assert_eq!(get(server.addr(), "/echo").unwrap().status, 200);
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection_and_head_has_no_body() {
    let (server, _gate) = start(quick_limits());
    let mut s = connect(server.addr());
    for i in 0..5 {
        send(
            &mut s,
            format!("POST /echo/{i} HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
                .as_bytes(),
        );
        let r = read_response(&mut s).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body_text().contains("body=3"));
        assert!(r.body_text().contains("peer=127.0.0.1"));
    }
    // Pipelined: two requests in one write, two answers in order.
    send(
        &mut s,
        b"GET /echo/p1 HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/p2 HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert!(read_response(&mut s).unwrap().body_text().contains("p1"));
    assert!(read_response(&mut s).unwrap().body_text().contains("p2"));
    send(&mut s, b"HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(std::io::Read::read(&mut s, &mut byte).unwrap(), 1);
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // No body follows: the next answer starts right away.
    send(&mut s, b"GET /echo/after HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(read_response(&mut s).unwrap().body_text().contains("after"));
    assert_eq!(server.stats().snapshot().connections_accepted, 1);
}
