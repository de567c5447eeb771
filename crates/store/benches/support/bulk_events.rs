//! The `_bulk` workload shared by `benches/store_index.rs` and `examples/bulk_cpu.rs`: ~260-byte ECS access-log
//! events with the agent's ids (`_id` = `event.id` = `<file uid: 32 hex>-<offset: 16 hex>`, eight files; with
//! `STORE_BENCH_IDS=hashed`, 32 random hex digits as agents before 2026-12-05 wrote them), and the size of a
//! data directory.

/// `_bulk` NDJSON of events `start..start + batch`.
pub fn bulk_body(batch: usize, start: usize) -> Vec<u8> {
    let mut body = String::with_capacity(batch * 420);
    let hashed = std::env::var("STORE_BENCH_IDS").is_ok_and(|v| v == "hashed");
    for i in start..start + batch {
        let id = if hashed {
            format!("{:016x}{:016x}", xxhash(i as u64), i)
        } else {
            let file = (i % 8) as u64;
            format!(
                "{:016x}{:016x}-{:016x}",
                xxhash(file),
                xxhash(file + 100),
                (i / 8) * 300
            )
        };
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

/// Bytes of every file under `p`.
pub fn dir_bytes(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        dir_bytes(&path)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
