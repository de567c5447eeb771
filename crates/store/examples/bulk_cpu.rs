//! Experiment: index N `_bulk` bodies (default 100) of B events (default 10k) into a fresh store, close it
//! (waiting for merges), and print docs/s, CPU time (user + sys, from `getrusage`) per document and disk bytes
//! per document (and the part spent on the thread calling `bulk`: parsing, converting, logging, answering).
//! CPU per document varies less than wall-clock throughput on a noisy machine.
//!
//! `cargo run --release --example bulk_cpu -- [N] [B] [searched|idle]`: `searched` (the default) keeps the
//! index refreshed every second, as while someone searches it; `idle` makes it search idle from the start
//! (what steady ingest with nobody searching becomes after 30 s), so it is committed only every 500 k
//! documents. Also prints the peak resident memory.

use logpipe_store::{Refresh, Store};

#[path = "../benches/support/bulk_events.rs"]
mod bulk_events;

/// CPU seconds (user + sys) of the process (`libc::RUSAGE_SELF`) or of the calling thread (`RUSAGE_THREAD`).
fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Peak resident set size of the process in KiB (`ru_maxrss`).
fn peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss
}

/// CPU seconds per thread name (its first word), read from `/proc/self/task`: where the time went.
fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let ticks = 100.0; // USER_HZ
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.filter_map(Result::ok) {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = |i: usize| {
            f.get(i - 3)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let name = comm
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        *out.entry(name).or_insert(0.0) += (t(14) + t(15)) / ticks;
    }
    out
}

fn main() {
    let arg = |n: usize, default: usize| {
        std::env::args()
            .nth(n)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (bulks, batch) = (arg(1, 100), arg(2, 10_000));
    let idle = match std::env::args().nth(3).as_deref() {
        None | Some("searched") => false,
        Some("idle") => true,
        Some(other) => panic!("third argument `{other}`: expected searched or idle"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bodies: Vec<Vec<u8>> = (0..bulks)
        .map(|k| bulk_events::bulk_body(batch, k * batch))
        .collect();
    // Always idle, or never (always searched), however long the run.
    let search_idle_after = if idle {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::MAX
    };
    let store = Store::open_with_search_idle_after(dir.path(), search_idle_after).expect("open");
    let cpu_start = cpu_seconds(libc::RUSAGE_SELF);
    let request_start = cpu_seconds(libc::RUSAGE_THREAD);
    let started = std::time::Instant::now();
    for body in &bodies {
        let r = store
            .bulk(body, Some("bench-2026.11.22"), Refresh::False)
            .expect("bulk");
        assert!(!r.errors());
    }
    let bulk_wall = started.elapsed().as_secs_f64();
    let cpu_bulks = cpu_seconds(libc::RUSAGE_SELF);
    let request = cpu_seconds(libc::RUSAGE_THREAD) - request_start;
    let by_thread = cpu_by_thread();
    // The first search after the bulks: on a search-idle index it commits what the bulks left first.
    let search_started = std::time::Instant::now();
    let counted = store
        .count(Some("bench-2026.11.22"), &serde_json::Value::Null)
        .expect("count");
    let first_search = search_started.elapsed().as_secs_f64();
    store.close();
    let wall = started.elapsed().as_secs_f64();
    let cpu_all = cpu_seconds(libc::RUSAGE_SELF);
    let docs = (bulks * batch) as f64;
    println!(
        "docs {docs} bulk {:.0} docs/s  cpu/doc during bulks {:.1} us (request thread {:.1})  incl. final merges {:.1} us  total wall {wall:.1}s  {:.1} B/doc",
        docs / bulk_wall,
        (cpu_bulks - cpu_start) / docs * 1e6,
        request / docs * 1e6,
        (cpu_all - cpu_start) / docs * 1e6,
        bulk_events::dir_bytes(dir.path()) as f64 / docs
    );
    let per_doc: Vec<String> = by_thread
        .iter()
        .map(|(name, secs)| format!("{name} {:.1}", secs / docs * 1e6))
        .collect();
    println!(
        "  CPU-us/doc by thread (whole run up to close): {}",
        per_doc.join(", ")
    );
    println!(
        "  {} index, peak RSS {:.0} MiB, first _count after the bulks {:.0} ms ({} docs)",
        if idle { "search-idle" } else { "searched" },
        peak_rss_kib() as f64 / 1024.0,
        first_search * 1e3,
        counted["count"]
    );
}
