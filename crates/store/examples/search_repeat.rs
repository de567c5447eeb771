//! Experiment: run the 24 h Discover-style search of `benches/store_search_latency.rs` (`query_string` +
//! `@timestamp` range + 1 m `date_histogram` + top 100 by time) N times over an existing store directory and
//! print p50 / p99, for profiling one search shape (`perf record` around it) without reloading the index.
//!
//! `cargo run --release --example search_repeat -- DIR [N] [QUERY] [FROM]` (FROM defaults to `now-24h`)

use logpipe_store::Store;
use std::time::Instant;

#[path = "../benches/support/discover_search.rs"]
mod discover_search;

use discover_search::discover_search;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: search_repeat DIR [N] [QUERY] [FROM]"))?;
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let query = args
        .next()
        .unwrap_or_else(|| "timeout OR retry".to_string());
    let from = args.next().unwrap_or_else(|| "now-24h".to_string());
    let store = Store::open(std::path::Path::new(&dir))?;
    let body = discover_search(&query, &from);
    let mut times = Vec::with_capacity(n);
    let mut hits = 0;
    let search = || {
        store
            .search(Some("lat-*"), &body)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    search()?;
    for _ in 0..n {
        let started = Instant::now();
        let response = search()?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        hits = response["hits"]["total"]["value"].as_u64().unwrap_or(0);
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{query:?} over {dir}: p50 {:.1} ms  p99 {:.1} ms  hits {hits}",
        at(0.5),
        at(0.99)
    );
    store.close();
    Ok(())
}
