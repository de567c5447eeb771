//! Waiting for conditions with a deadline.

use std::time::{Duration, Instant};

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub fn until<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `until`, and on timeout the panic also carries `explain()` (what was last seen, a log).
pub fn until_explained<T>(
    what: &str,
    timeout: Duration,
    check: impl FnMut() -> Option<T>,
    explain: impl FnOnce() -> String,
) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| until(what, timeout, check))) {
        Ok(value) => value,
        Err(_) => panic!(
            "timed out after {timeout:?} waiting for {what}\n{}",
            explain()
        ),
    }
}

/// Waits until a TCP connection to `addr` succeeds.
pub fn port_open(addr: &str, timeout: Duration) {
    until(&format!("{addr} to accept connections"), timeout, || {
        std::net::TcpStream::connect(addr).ok().map(|_| ())
    });
}
