//! Reading a Prometheus endpoint (`--metrics-listen`): the page and single values.

use std::io::{Read, Write};
use std::time::Duration;

/// `GET path` over HTTP/1.0: the whole response (status line, headers, body), `None` when unreachable.
pub fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The body of `/metrics`.
pub fn scrape(port: u16) -> Option<String> {
    get(port, "/metrics")?
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// The value of an unlabelled sample `name` on `page`.
pub fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}
