//! Bulk indexing throughput of the embedded store: `_bulk` bodies of 10k ~300-byte ECS events, each call
//! durable (translog fsynced) before returning and searchable within a second (the refresher commits), as
//! over HTTP with ES's default `refresh=false`; from one client, the same asking `refresh=wait_for` (a commit
//! per request), then from two clients at once. Reports elements (documents) per second, and prints
//! the on-disk bytes per event after the run.
//!
//! Each case runs on an index that is searched all the time (refreshed every second, as while someone
//! watches it: `searched`) and on one nobody searches (ES's search-idle index, committed every 500 k
//! documents: `search_idle`), which is what steady ingest becomes 30 s after the last search. Last, the
//! same 10k `_id`s sent again and again (`store_bulk_overwrite`): every document replaces one.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use logpipe_store::{Refresh, Store};

#[path = "support/bulk_events.rs"]
mod bulk_events;

use bulk_events::{bulk_body, dir_bytes};

const BATCH: usize = 10_000;

fn bench_index(c: &mut Criterion) {
    let sample = bulk_body(1, 0);
    let doc_len = sample.split(|&b| b == b'\n').nth(1).map_or(0, <[u8]>::len);
    eprintln!("event size: {doc_len} bytes");
    // Never idle (always searched) and always idle (never searched).
    bench_store(c, "searched", Duration::MAX);
    bench_store(c, "search_idle", Duration::ZERO);
    bench_overwrite(c);
}

/// The same 10k `_id`s sent again and again (a transfer replaying after a restart): every document
/// replaces one, whose `_id` is looked up in the writes since the last commit or in the committed
/// segments.
fn bench_overwrite(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_with_search_idle_after(dir.path(), Duration::MAX).expect("open");
    let body = bulk_body(BATCH, 0);
    let r = store
        .bulk(&body, Some("bench-2026.11.22"), Refresh::True)
        .expect("bulk");
    assert!(!r.errors());
    let mut group = c.benchmark_group("store_bulk_overwrite");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.bench_function("bulk_10k_events_same_ids", |b| {
        b.iter(|| {
            let r = store
                .bulk(&body, Some("bench-2026.11.22"), Refresh::False)
                .expect("bulk");
            assert!(!r.errors());
            black_box(r)
        })
    });
    group.finish();
    store.close();
}

fn bench_store(c: &mut Criterion, mode: &str, search_idle_after: Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_with_search_idle_after(dir.path(), search_idle_after).expect("open");
    let mut group = c.benchmark_group(format!("store_bulk_{mode}"));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    let mut next = 0usize;
    // One client: durable on return (ES's default `refresh=false`), then searchable on return
    // (`refresh=wait_for`: one tantivy commit per request, what every `_bulk` did before the translog;
    // the same whether the index is searched or not, so run once).
    let mut cases = vec![("bulk_10k_events_with_id", Refresh::False)];
    if search_idle_after == Duration::MAX {
        cases.push(("bulk_10k_events_with_id_refresh_wait_for", Refresh::WaitFor));
    }
    for (name, refresh) in cases {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let body = bulk_body(BATCH, next);
                    next += BATCH;
                    body
                },
                |body| {
                    let r = store
                        .bulk(&body, Some("bench-2026.11.22"), refresh)
                        .expect("bulk");
                    assert!(!r.errors());
                    black_box(r)
                },
                BatchSize::PerIteration,
            )
        });
    }
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
    group.finish();
    store.close();
    let bytes: u64 = dir_bytes(dir.path());
    eprintln!(
        "{mode}: indexed {next} events, {bytes} bytes on disk, {:.1} bytes/event",
        bytes as f64 / next.max(1) as f64
    );
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
