//! Producer-side encoding of one batch (`logpipe::producer::encode::Encoder`): the raw codec (line bytes as
//! the value, metadata in 5 Kafka headers) next to the JSON codec (ECS event), on 2048 lines of 200 bytes
//! (one default batch). Throughput is reported in events per second.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use logpipe::config::Codec;
use logpipe::event::id::FileUid;
use logpipe::event::json::JsonTemplate;
use logpipe::producer::encode::Encoder;
use logpipe::ring::{Batch, FileAck, FileSource, LineRef};
use rdkafka::message::Headers;
use std::collections::BTreeMap;
use std::sync::Arc;

const LINES: usize = 2048;

fn batch(codec: Codec) -> Batch {
    let host = "web-1.example.com";
    let path = "/var/log/app/access.log";
    let mut data = Vec::with_capacity(LINES * 200);
    let mut lines = Vec::with_capacity(LINES);
    for i in 0..LINES as u64 {
        let mut line = format!(
            "2026-11-22T04:51:21.123Z INFO  [worker-{:02}] request id={:016x} method=GET path=/api/v1/items/{i} status=200 bytes=5123 took_ms=12",
            i % 16,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )
        .into_bytes();
        line.resize(199, b'.');
        lines.push(LineRef {
            offset: i * 200,
            start: data.len() as u32,
            len: line.len() as u32,
            flags: 0,
        });
        data.extend_from_slice(&line);
    }
    let source = FileSource {
        path: path.to_string(),
        host: host.to_string(),
        topic: "app_log".to_string(),
        codec,
        uid: FileUid(0x1234_5678_9abc_def0),
        key: format!("{host}:2049:1234567"),
        fields_json: None,
        template: JsonTemplate::new(host, path, &BTreeMap::new()),
    };
    Batch {
        source: Arc::new(source),
        timestamp: "2026-11-22T04:51:21.123Z".to_string(),
        data,
        lines,
        ack: FileAck::new(0).register(LINES as u64 * 200, LINES),
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Elements(LINES as u64));
    for (name, codec) in [("raw", Codec::Raw), ("json", Codec::Json)] {
        let batch = batch(codec);
        let mut encoder = Encoder::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for line in &batch.lines {
                    let record = encoder.encode(&batch, line);
                    bytes += record.payload.len() + record.headers.map_or(0, |h| h.count());
                }
                black_box(bytes)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
