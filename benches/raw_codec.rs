//! Producer-side encoding of one batch (`logpipe::producer::encode::Encoder`): the raw codec (line bytes as
//! the value, metadata in 5 Kafka headers) next to the JSON codec (ECS event), on 2048 lines of 200 bytes
//! (one default batch). Throughput is reported in events per second.
//!
//! `codec_filtered` is the json codec of an entry with filters, on nginx combined lines: the event built,
//! dissected (ECS names, status and bytes converted), its time read by `date`, and written — what a producer
//! thread does per line of such an entry.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use logpipe::config::{Codec, FilterList};
use logpipe::event::filtered::FileFilters;
use logpipe::event::id::FileUid;
use logpipe::event::json::JsonTemplate;
use logpipe::event::timestamp::Stamp;
use logpipe::producer::encode::Encoder;
use logpipe::ring::{Batch, FileAck, FileSource, LineRef};
use rdkafka::message::Headers;
use std::collections::BTreeMap;
use std::sync::Arc;

const LINES: usize = 2048;

fn app_line(i: u64) -> Vec<u8> {
    let mut line = format!(
        "2026-11-22T04:51:21.123Z INFO  [worker-{:02}] request id={:016x} method=GET path=/api/v1/items/{i} status=200 bytes=5123 took_ms=12",
        i % 16,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
    .into_bytes();
    line.resize(199, b'.');
    line
}

fn nginx_line(i: u64) -> Vec<u8> {
    format!(
        r#"10.{}.{}.{} - - [22/Nov/2026:04:51:{:02} +0000] "GET /api/v1/items/{i}?page=2 HTTP/1.1" 200 {} "https://example.com/start" "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0""#,
        i % 200,
        i % 100,
        i % 250,
        i % 60,
        5000 + i % 1000
    )
    .into_bytes()
}

fn batch(codec: Codec) -> Batch {
    batch_of(codec, app_line, None)
}

fn batch_of(codec: Codec, make_line: fn(u64) -> Vec<u8>, filters: Option<&str>) -> Batch {
    let host = "web-1.example.com";
    let path = "/var/log/app/access.log";
    let mut data = Vec::with_capacity(LINES * 200);
    let mut lines = Vec::with_capacity(LINES);
    for i in 0..LINES as u64 {
        let line = make_line(i);
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
        uid: FileUid::new("bench", 1, 2, 3, 0x1234_5678_9abc_def0),
        key: format!("{host}:2049:1234567"),
        fields_json: None,
        template: JsonTemplate::new(host, path, &BTreeMap::new()),
        filters: filters.map(|list| {
            let list: FilterList = serde_json::from_str(list).expect("a filter list");
            let chain = list.chain().expect("compiles").expect("not empty");
            FileFilters::new(chain, host, path, &BTreeMap::new())
        }),
    };
    Batch {
        source: Arc::new(source),
        timestamp: Stamp {
            text: "2026-11-22T04:51:21.123Z".to_string(),
            millis: 1_763_787_081_123,
        },
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
        let mut encoder = Encoder::new(logpipe::config::kafka::DEFAULT_MAX_MESSAGE_BYTES);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for line in &batch.lines {
                    if let Some(record) = encoder.encode(&batch, line) {
                        bytes += record.payload.len() + record.headers.map_or(0, |h| h.count());
                    }
                }
                black_box(bytes)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("codec_filtered");
    group.throughput(Throughput::Elements(LINES as u64));
    let dissect_date = r#"[
        {"dissect": {"mapping": {"message": "%{[source][address]} - %{[user][name]} [%{ts}] \"%{[http][request][method]} %{[url][original]} HTTP/%{[http][version]}\" %{[http][response][status_code]} %{[http][response][body][bytes]} \"%{[http][request][referrer]}\" \"%{[user_agent][original]}\""},
                     "convert_datatype": {"http.response.status_code": "int", "http.response.body.bytes": "int"}}},
        {"date": {"match": ["ts", "dd/MMM/yyyy:HH:mm:ss Z"], "remove_field": ["ts"]}}
    ]"#;
    for (name, filters) in [
        ("json_nginx_unfiltered", None),
        ("json_nginx_dissect_date", Some(dissect_date)),
    ] {
        let batch = batch_of(Codec::Json, nginx_line, filters);
        let mut encoder = Encoder::new(logpipe::config::kafka::DEFAULT_MAX_MESSAGE_BYTES);
        {
            let first = batch.lines[0];
            let record = encoder.encode(&batch, &first).expect("kept");
            let event: serde_json::Value = serde_json::from_slice(record.payload).expect("JSON");
            assert!(event.get("tags").is_none(), "{name}: {event}");
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for line in &batch.lines {
                    if let Some(record) = encoder.encode(&batch, line) {
                        bytes += record.payload.len();
                    }
                }
                black_box(bytes)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
