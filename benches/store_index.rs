//! Bulk indexing throughput of the embedded store: `_bulk` bodies of 10k ~300-byte ECS events, each call
//! durable (translog fsynced) before returning and searchable within a second (the refresher commits), as
//! over HTTP with ES's default `refresh=false`; from one client, then from two at once; then one client
//! asking `refresh=wait_for`, which commits per request. Reports elements (documents) per second, and prints
//! the on-disk bytes per event after the run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use logpipe::store::{Refresh, Store};

const BATCH: usize = 10_000;

fn bulk_body(batch: usize, start: usize) -> Vec<u8> {
    let mut body = String::with_capacity(batch * 420);
    for i in start..start + batch {
        let id = format!("{:016x}{:016x}", xxhash(i as u64), i);
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n"));
        body.push_str(&format!(
            "{{\"@timestamp\":\"2026-11-22T04:{:02}:{:02}.{:03}Z\",\"message\":\"GET /api/v1/items/{} HTTP/1.1 200 {} \\\"Mozilla/5.0\\\" upstream=10.0.{}.{}\",\"host\":{{\"name\":\"web-{}\"}},\"log\":{{\"file\":{{\"path\":\"/var/log/nginx/access.log\"}},\"offset\":{}}},\"event\":{{\"id\":\"{id}\"}}}}\n",
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1000,
            i % 9973,
            (i * 37) % 5000,
            i % 256,
            (i * 7) % 256,
            i % 8,
            i * 300,
        ));
    }
    body.into_bytes()
}

fn xxhash(v: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&v.to_le_bytes())
}

fn bench_index(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let sample = bulk_body(1, 0);
    let doc_len = sample.split(|&b| b == b'\n').nth(1).map_or(0, <[u8]>::len);
    eprintln!("event size: {doc_len} bytes");
    let mut group = c.benchmark_group("store_bulk");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    let mut next = 0usize;
    group.bench_function("bulk_10k_events_with_id", |b| {
        b.iter_batched(
            || {
                let body = bulk_body(BATCH, next);
                next += BATCH;
                body
            },
            |body| {
                let r = store
                    .bulk(&body, Some("bench-2026.11.22"), Refresh::False)
                    .expect("bulk");
                assert!(!r.errors());
                black_box(r)
            },
            BatchSize::PerIteration,
        )
    });
    // Two clients at once, as two indexer threads or two transfer processes send: their bulks overlap
    // (one parses while the other's commit runs) and share commits.
    group.throughput(Throughput::Elements(2 * BATCH as u64));
    group.bench_function("bulk_10k_events_with_id_2_clients", |b| {
        b.iter_batched(
            || {
                let bodies = [bulk_body(BATCH, next), bulk_body(BATCH, next + BATCH)];
                next += 2 * BATCH;
                bodies
            },
            |bodies| {
                std::thread::scope(|s| {
                    for body in &bodies {
                        let store = &store;
                        s.spawn(move || {
                            let r = store
                                .bulk(body, Some("bench-2026.11.22"), Refresh::False)
                                .expect("bulk");
                            assert!(!r.errors());
                        });
                    }
                });
            },
            BatchSize::PerIteration,
        )
    });
    // Searchable on return: one tantivy commit per request (what every `_bulk` did before the translog).
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("bulk_10k_events_with_id_refresh_wait_for", |b| {
        b.iter_batched(
            || {
                let body = bulk_body(BATCH, next);
                next += BATCH;
                body
            },
            |body| {
                let r = store
                    .bulk(&body, Some("bench-2026.11.22"), Refresh::WaitFor)
                    .expect("bulk");
                assert!(!r.errors());
                black_box(r)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    store.close();
    let bytes: u64 = walk(dir.path());
    eprintln!(
        "indexed {next} events, {bytes} bytes on disk, {:.1} bytes/event",
        bytes as f64 / next.max(1) as f64
    );
}

fn walk(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
