//! `_bulk` body building and message decoding: the transfer's per-document CPU outside HTTP and the store.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logpipe::config::transfer::TransferCodec;
use logpipe::indexer::bulk_body::build_body;
use logpipe::indexer::{Doc, IndexPattern, Origin};
use logpipe::transfer::decode::{Decoded, Decoder, MessageView};
use logpipe::transfer::filters::TopicFilters;
use std::sync::Arc;

fn agent_event(i: usize) -> Vec<u8> {
    format!(
        r#"{{"@timestamp":"2026-11-22T04:51:21.123Z","message":"GET /api/v1/items/{i} 200 1532 \"Mozilla/5.0\" rt=0.012","host":{{"name":"web-1"}},"log":{{"file":{{"path":"/var/log/app/access.log"}},"offset":{}}},"event":{{"id":"{:032x}"}}}}"#,
        i * 120,
        i as u128 * 0x9e37_79b9_7f4a_7c15
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let topic: Arc<str> = "app_log".into();
    let payloads: Vec<Vec<u8>> = (0..5000).map(agent_event).collect();
    let decoder = Decoder {
        codec: TransferCodec::Json,
        destination: logpipe::indexer::destination::Destination::index(
            IndexPattern::parse("%{[topic]}-%{+YYYY.MM.dd}").expect("pattern"),
        ),
        max_document_bytes: 10 << 20,
        filters: TopicFilters::default(),
    };
    let docs: Vec<Doc> = payloads
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let view = MessageView {
                topic: &topic,
                partition: 0,
                offset: i as i64,
                timestamp_millis: None,
                payload: p,
                headers: Vec::new(),
            };
            match decoder.decode(&view) {
                Decoded::Doc(doc) => Some(doc),
                Decoded::Dead(_) | Decoded::Dropped => None,
            }
        })
        .collect();
    let which: Vec<usize> = (0..docs.len()).collect();
    let bytes: usize = docs.iter().map(|d| d.source.len()).sum();

    let mut group = c.benchmark_group("transfer");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("bulk_body_5000_docs", |b| {
        let mut body = Vec::with_capacity(bytes * 2);
        b.iter(|| {
            build_body(&docs, &which, &mut body);
            body.len()
        })
    });
    group.bench_function("decode_5000_agent_events", |b| {
        b.iter(|| {
            payloads
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let view = MessageView {
                        topic: &topic,
                        partition: 0,
                        offset: i as i64,
                        timestamp_millis: None,
                        payload: p,
                        headers: Vec::new(),
                    };
                    matches!(decoder.decode(&view), Decoded::Doc(_)) as usize
                })
                .sum::<usize>()
        })
    });
    group.finish();
    let _ = Origin {
        source: topic,
        partition: 0,
        offset: 0,
    };
}

criterion_group!(benches, bench);
criterion_main!(benches);
