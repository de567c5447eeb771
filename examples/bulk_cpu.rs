//! Experiment: index N `_bulk` bodies (default 100) of B events (default 10k) into a fresh store, close it
//! (waiting for merges), and print docs/s, CPU time (user + sys, from `getrusage`) per document and disk bytes
//! per document. CPU per document varies less than wall-clock throughput on a noisy machine.
//!
//! `cargo run --release --example bulk_cpu -- [N] [B]`

use logpipe::store::{Refresh, Store};

#[path = "../benches/support/bulk_events.rs"]
mod bulk_events;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn main() {
    let arg = |n: usize, default: usize| {
        std::env::args()
            .nth(n)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (bulks, batch) = (arg(1, 100), arg(2, 10_000));
    let dir = tempfile::tempdir().expect("tempdir");
    let bodies: Vec<Vec<u8>> = (0..bulks)
        .map(|k| bulk_events::bulk_body(batch, k * batch))
        .collect();
    let store = Store::open(dir.path()).expect("open");
    let cpu_start = cpu_seconds();
    let started = std::time::Instant::now();
    for body in &bodies {
        let r = store
            .bulk(body, Some("bench-2026.11.22"), Refresh::False)
            .expect("bulk");
        assert!(!r.errors());
    }
    let bulk_wall = started.elapsed().as_secs_f64();
    let cpu_bulks = cpu_seconds();
    store.close();
    let wall = started.elapsed().as_secs_f64();
    let cpu_all = cpu_seconds();
    let docs = (bulks * batch) as f64;
    println!(
        "docs {docs} bulk {:.0} docs/s  cpu/doc during bulks {:.1} us  incl. final merges {:.1} us  total wall {wall:.1}s  {:.1} B/doc",
        docs / bulk_wall,
        (cpu_bulks - cpu_start) / docs * 1e6,
        (cpu_all - cpu_start) / docs * 1e6,
        bulk_events::dir_bytes(dir.path()) as f64 / docs
    );
}
