//! Store search latency at scale: p50 / p99 of a Discover-style search — `query_string` + `@timestamp` range
//! + `date_histogram` + top 100 sorted by time — over N documents (issue 3 target: ≤ 200 ms over 10 M).
//!
//! `cargo bench --bench store_search_latency` (N from `STORE_DOCS`, default 1 000 000; `STORE_DIR` keeps the
//! index between runs). Loads through `Store::bulk` in 10k-document requests, then runs 50 searches of each
//! kind after untimed warm-up runs (the cold first run is printed on stderr). Not a criterion bench:
//! criterion reports means, this reports tail latency. Under `cargo test` it does nothing.

use logpipe_store::{Refresh, Store};
use serde_json::json;
use std::time::{Duration, Instant};

#[path = "support/discover_search.rs"]
mod discover_search;

use discover_search::discover_search;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let docs: usize = std::env::var("STORE_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let keep = std::env::var("STORE_DIR").ok();
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = keep
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let store = Store::open(&dir).expect("open store");
    let existing = store
        .count(Some("lat-*"), &json!({}))
        .ok()
        .and_then(|v| v["count"].as_u64())
        .unwrap_or(0);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let span_ms: i64 = 24 * 3600 * 1000;
    let words = [
        "GET", "POST", "timeout", "error", "ok", "upstream", "cache", "miss", "hit", "retry",
    ];
    let load_started = Instant::now();
    let mut i = existing as usize;
    while i < docs {
        let mut body = String::with_capacity(10_000 * 330);
        for _ in 0..10_000.min(docs - i) {
            let ts = now_ms - span_ms + (i as i64 * 7919) % span_ms;
            let when = chrono::DateTime::from_timestamp_millis(ts)
                .expect("timestamp")
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            body.push_str(&format!(
                "{{\"index\":{{\"_index\":\"lat-1\",\"_id\":\"{i:016x}\"}}}}\n"
            ));
            body.push_str(&format!(
                "{{\"@timestamp\":\"{when}\",\"message\":\"{} /api/v1/items/{} {} {} status={}\",\"host\":{{\"name\":\"web-{}\"}},\"log\":{{\"file\":{{\"path\":\"/var/log/app/{}.log\"}},\"offset\":{}}}}}\n",
                words[i % 10], i % 5000, words[(i / 10) % 10], words[(i / 100) % 10], 200 + (i % 7) * 50, i % 16, i % 4, i * 200
            ));
            i += 1;
        }
        store
            .bulk(body.as_bytes(), None, Refresh::False)
            .expect("bulk");
        if i % 200_000 == 0 {
            eprintln!(
                "loaded {i}/{docs} ({:.0} docs/s)",
                (i - existing as usize) as f64 / load_started.elapsed().as_secs_f64()
            );
        }
    }
    store.refresh(Some("lat-*")).expect("refresh");
    let searches = [
        (
            "query_string + 15m range + histogram",
            "error AND timeout",
            "now-15m",
        ),
        ("query_string + 1h range + histogram", "error", "now-1h"),
        (
            "query_string + 24h range + histogram",
            "timeout OR retry",
            "now-24h",
        ),
        ("match_all + 24h range + histogram", "*", "now-24h"),
    ];
    println!("| search over {docs} docs | p50 | p99 | hits |");
    println!("|---|---|---|---|");
    for (name, query, from) in searches {
        let body = discover_search(query, from);
        let mut times = Vec::new();
        let mut hits = 0;
        // Two untimed warm-up runs per kind (as Rally's warm-up iterations): the first run of a query shape
        // pages in its part of the index; the cold number is printed separately.
        let cold = Instant::now();
        store.search(Some("lat-*"), &body).expect("search");
        let cold = cold.elapsed();
        store.search(Some("lat-*"), &body).expect("search");
        eprintln!("{name}: cold first run {:.1} ms", cold.as_secs_f64() * 1e3);
        for _ in 0..50 {
            let started = Instant::now();
            let response = store.search(Some("lat-*"), &body).expect("search");
            times.push(started.elapsed());
            hits = response["hits"]["total"]["value"].as_u64().unwrap_or(0);
        }
        times.sort();
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {hits} |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    // Sorting 24 h of matches by a keyword against sorting them by time (the top 100 of each).
    for (name, sort) in [
        (
            "match_all 24h, sort @timestamp desc",
            json!([{"@timestamp": "desc"}]),
        ),
        (
            "match_all 24h, sort host.name asc",
            json!([{"host.name": "asc"}, {"@timestamp": "desc"}]),
        ),
        // `log.offset` grows with the document order, as time does in real logs: every hit beats the
        // current top 100 (the worst case of the top-k collector).
        (
            "match_all 24h, sort log.offset desc (index order)",
            json!([{"log.offset": "desc"}]),
        ),
    ] {
        let body = json!({
            "size": 100,
            "sort": sort,
            "query": {"range": {"@timestamp": {"gte": "now-24h", "lte": "now"}}}
        });
        let mut times = Vec::new();
        store.search(Some("lat-*"), &body).expect("search");
        for _ in 0..20 {
            let started = Instant::now();
            store.search(Some("lat-*"), &body).expect("search");
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {:.1} ms | {:.1} ms | top 100 |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    let bytes: u64 = walk_size(&dir);
    println!(
        "disk: {bytes} bytes, {:.1} bytes/doc",
        bytes as f64 / docs as f64
    );
    store.close();
}

fn walk_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
