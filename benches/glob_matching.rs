//! File discovery: `globset` matching of candidate paths against a collect entry's path and exclude globs
//! (what the agent asks of every path it sees), and `logpipe::tail::discovery::FileMatcher::scan` of a
//! directory of 1,000 files (what every rescan costs). Throughput is reported in paths per second.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use globset::{Glob, GlobSetBuilder};
use logpipe::config::CollectEntry;
use logpipe::tail::discovery::FileMatcher;

fn candidates(n: usize) -> Vec<String> {
    let apps = ["nginx", "app", "payments", "search", "auth"];
    let kinds = [
        "access.log",
        "error.log",
        "debug.log",
        "audit.json",
        "access.log.1.gz",
    ];
    (0..n)
        .map(|i| {
            format!(
                "/var/log/{}/{:03}/{}-{}",
                apps[i % apps.len()],
                i % 97,
                i,
                kinds[(i / 5) % kinds.len()]
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let paths = candidates(10_000);
    let mut include = GlobSetBuilder::new();
    for glob in ["/var/log/**/*.log", "/var/log/app/*/*.json"] {
        include.add(Glob::new(glob).expect("glob"));
    }
    let include = include.build().expect("globset");
    let mut exclude = GlobSetBuilder::new();
    for glob in [
        "/var/log/**/debug*.log",
        "/var/log/**/*.gz",
        "/var/log/auth/**",
    ] {
        exclude.add(Glob::new(glob).expect("glob"));
    }
    let exclude = exclude.build().expect("globset");

    let mut group = c.benchmark_group("glob");
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function("globset_include_exclude", |b| {
        b.iter(|| {
            paths
                .iter()
                .filter(|p| include.is_match(p.as_str()) && !exclude.is_match(p.as_str()))
                .count()
        })
    });
    group.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..1000 {
        let name = if i % 10 == 0 {
            format!("debug-{i}.log")
        } else {
            format!("app-{i}.log")
        };
        std::fs::write(dir.path().join(name), b"x\n").expect("write");
    }
    let mut entry = CollectEntry::for_path(&format!("{}/*.log", dir.path().display()));
    entry.exclude = vec![format!("{}/debug*.log", dir.path().display())];
    let matcher = FileMatcher::new(&entry).expect("matcher");
    assert_eq!(matcher.scan().len(), 900, "files after excludes");
    let mut group = c.benchmark_group("glob");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("file_matcher_scan_1000_files", |b| {
        b.iter(|| black_box(matcher.scan().len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
