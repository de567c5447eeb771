//! Experiment: index N `_bulk` bodies of 10k events into a fresh store, close it (waiting for merges), and
//! print wall time, CPU time (user+sys) per document and disk bytes per document.
use logpipe::store::{Refresh, Store};

fn xxhash(v: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&v.to_le_bytes())
}

fn bulk_body(batch: usize, start: usize) -> Vec<u8> {
    let mut body = String::with_capacity(batch * 420);
    for i in start..start + batch {
        let id = format!("{:016x}{:016x}", xxhash(i as u64), i);
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n"));
        body.push_str(&format!(
            "{{\"@timestamp\":\"2026-11-22T04:{:02}:{:02}.{:03}Z\",\"message\":\"GET /api/v1/items/{} HTTP/1.1 200 {} \\\"Mozilla/5.0\\\" upstream=10.0.{}.{}\",\"host\":{{\"name\":\"web-{}\"}},\"log\":{{\"file\":{{\"path\":\"/var/log/nginx/access.log\"}},\"offset\":{}}},\"event\":{{\"id\":\"{id}\"}}}}\n",
            (i / 60_000) % 60, (i / 1000) % 60, i % 1000, i % 9973, (i * 37) % 5000, i % 256, (i * 7) % 256, i % 8, i * 300,
        ));
    }
    body.into_bytes()
}

fn cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("tempdir");
    let batch: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let bodies: Vec<Vec<u8>> = (0..n).map(|k| bulk_body(batch, k * batch)).collect();
    let store = Store::open(dir.path()).expect("open");
    let c0 = cpu();
    let t0 = std::time::Instant::now();
    for b in &bodies {
        let r = store
            .bulk(b, Some("bench-2026.11.22"), Refresh::False)
            .expect("bulk");
        assert!(!r.errors());
    }
    let bulk_wall = t0.elapsed().as_secs_f64();
    let c1 = cpu();
    store.close();
    let wall = t0.elapsed().as_secs_f64();
    let c2 = cpu();
    let docs = (n * batch) as f64;
    let bytes: u64 = walkdir(dir.path());
    println!(
        "docs {docs} bulk {:.0} docs/s  cpu/doc during bulks {:.1} us  incl. final merges {:.1} us  total wall {wall:.1}s  {:.1} B/doc",
        docs / bulk_wall,
        (c1 - c0) / docs * 1e6,
        (c2 - c0) / docs * 1e6,
        bytes as f64 / docs
    );
}

fn walkdir(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walkdir(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
