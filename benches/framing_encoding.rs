//! P1: line framing + event encoding throughput on 200-byte lines (target ≥ 1 GiB/s per core).
//!
//! `framing` cuts a 64 MiB buffer into lines; `framing+json` also encodes every line as the agent's ECS JSON
//! event (what a producer thread does per line); `framing+raw` builds the raw codec's event ids. Throughput
//! is reported in input bytes per second.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use logpipe::event::id::{EventId, FileUid};
use logpipe::event::json::{encode, JsonTemplate};
use logpipe::tail::framer::LineFramer;
use std::collections::BTreeMap;

fn log_lines(total: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(total + 256);
    let mut i = 0u64;
    while data.len() < total {
        let line = format!(
            "2026-11-22T04:51:21.123Z INFO  [worker-{:02}] request id={:016x} method=GET path=/api/v1/items/{} status=200 bytes=5123 took_ms=12 user_agent=\"curl/8.5\"",
            i % 16,
            i.wrapping_mul(0x9e3779b97f4a7c15),
            i
        );
        let mut line = line.into_bytes();
        line.resize(199, b'.');
        line.push(b'\n');
        data.extend_from_slice(&line);
        i += 1;
    }
    data
}

fn bench(c: &mut Criterion) {
    let data = log_lines(64 << 20);
    let template = JsonTemplate::new(
        "web-1.example.com",
        "/var/log/app/access.log",
        &BTreeMap::new(),
    );
    let stamp = "2026-11-22T04:51:21.123Z";
    let uid = FileUid::new("bench", 1, 2, 3, 0x1234_5678_9abc_def0);
    let mut group = c.benchmark_group("P1");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);

    group.bench_function("framing", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(0, 1 << 20);
            let mut lines = 0usize;
            framer.feed(&data, &mut |_o: u64, l: &[u8], _f: u8| lines += l.len());
            black_box(lines)
        })
    });

    group.bench_function("framing+json", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            let mut framer = LineFramer::new(0, 1 << 20);
            let mut bytes = 0usize;
            framer.feed(&data, &mut |o: u64, l: &[u8], f: u8| {
                out.clear();
                encode(&template, stamp, uid, o, l, f, &mut out);
                bytes += out.len();
            });
            black_box(bytes)
        })
    });

    group.bench_function("framing+raw_ids", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(0, 1 << 20);
            let mut n = 0usize;
            framer.feed(&data, &mut |o: u64, l: &[u8], _f: u8| {
                n += l.len() + EventId::new(uid, o).as_bytes()[0] as usize;
            });
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
