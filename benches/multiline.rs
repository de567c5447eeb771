//! Multiline joining (`logpipe::tail::multiline::Multiline`): Java stack traces joined into one event.
//!
//! 16 MiB of log text where every 8th event is an 11-line stack trace. Two configurations people use:
//! `pattern = '^\s+at '` with `match = "after"` (Filebeat's example) and `pattern = '^\d{4}-'` with
//! `negate = true` (every line that does not start with a date continues the event before it). Throughput
//! is reported in input bytes per second; the number of joined events is checked once before measuring.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use logpipe::config::{MultilineConfig, MultilineMatch};
use logpipe::tail::multiline::Multiline;
use std::time::Duration;

/// (lines, total bytes, events expected after joining).
fn java_log(total: usize) -> (Vec<Vec<u8>>, usize, usize) {
    let mut lines = Vec::new();
    let mut bytes = 0;
    let mut events = 0;
    let mut i = 0u64;
    while bytes < total {
        let head = format!(
            "2026-11-22T04:51:21.{:03}Z INFO  [worker-{:02}] request id={:016x} path=/api/v1/items/{} status=200 took_ms=12",
            i % 1000,
            i % 16,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            i
        );
        bytes += head.len() + 1;
        lines.push(head.into_bytes());
        events += 1;
        if i % 8 == 7 {
            for depth in 0..10 {
                let frame = format!(
                    "\tat com.example.service.Handler{depth}.handle(Handler{depth}.java:{})",
                    100 + depth * 7
                );
                bytes += frame.len() + 1;
                lines.push(frame.into_bytes());
            }
        }
        i += 1;
    }
    (lines, bytes, events)
}

fn config(pattern: &str, negate: bool) -> MultilineConfig {
    MultilineConfig {
        pattern: pattern.to_string(),
        negate,
        match_: MultilineMatch::After,
        max_lines: 500,
        timeout: Duration::from_secs(5),
    }
}

/// Pushes every line through a fresh joiner; returns (events, joined bytes).
fn join(config: &MultilineConfig, lines: &[Vec<u8>]) -> (usize, usize) {
    let mut multiline = Multiline::new(config, 1 << 20).expect("regex");
    let mut events = 0usize;
    let mut bytes = 0usize;
    let mut sink = |_offset: u64, line: &[u8], _flags: u8| {
        events += 1;
        bytes += line.len();
    };
    let mut offset = 0u64;
    for line in lines {
        multiline.push(offset, line, 0, &mut sink);
        offset += line.len() as u64 + 1;
    }
    multiline.flush(&mut sink);
    (events, bytes)
}

fn bench(c: &mut Criterion) {
    let (lines, bytes, expected_events) = java_log(16 << 20);
    let configs = [
        ("stack_trace_after", config(r"^\s+at ", false)),
        ("date_negate", config(r"^\d{4}-", true)),
    ];
    for (_, config) in &configs {
        assert_eq!(join(config, &lines).0, expected_events, "joined events");
    }
    let mut group = c.benchmark_group("multiline");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    for (name, config) in &configs {
        group.bench_function(*name, |b| b.iter(|| black_box(join(config, &lines))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
