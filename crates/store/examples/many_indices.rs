//! What one small `_bulk` naming many new indices costs the store: threads, open files and memory of this
//! process before and after it (issue 18: 1000 indices made 7,000 threads, 2,000 files and 9 GiB).
//!
//! `cargo run --release -p logpipe-store --example many_indices -- [INDICES] [DATA_DIR]` (1000 indices and a
//! temp dir by default). Prints one line per measurement; perf/RESULTS.md has the numbers.

use std::path::Path;
use std::time::Instant;

use logpipe_store::{ItemOutcome, Refresh, Store};

/// `Threads`, `VmRSS` and `VmHWM` of this process (kB), and its open file descriptors.
fn footprint() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    format!(
        "threads {} fds {fds} rss {} peak_rss {}",
        field("Threads:"),
        field("VmRSS:"),
        field("VmHWM:")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let indices: usize = args.next().map_or(Ok(1000), |n| n.parse())?;
    let tmp = tempfile::tempdir()?;
    let dir = args
        .next()
        .map_or_else(|| tmp.path().to_path_buf(), Into::into);
    let store = Store::open(Path::new(&dir))?;
    println!("opened: {}", footprint());
    let body: String = (0..indices)
        .map(|i| {
            format!("{{\"index\":{{\"_index\":\"many-{i}\"}}}}\n{{\"message\":\"line {i}\"}}\n")
        })
        .collect();
    let start = Instant::now();
    let answer = store.bulk(body.as_bytes(), None, Refresh::False)?;
    let failed = answer
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ItemOutcome::Err { .. }))
        .count();
    println!(
        "bulk of {indices} indices: {:?}, {failed} items failed, {} indices: {}",
        start.elapsed(),
        store.index_names().len(),
        footprint()
    );
    store.close();
    println!("closed: {}", footprint());
    Ok(())
}
