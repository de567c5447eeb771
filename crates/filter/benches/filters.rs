//! Filter throughput on one core: the numbers the filters issue asks for, and the measurements behind the
//! choices (regex engine). Run: `cargo bench --bench filters` in crates/filter.
//!
//! `*/filter` times the filter alone on a prepared event (the event's copy is made outside the timing);
//! `*/line` times what the agent does per line with that filter: build the event, filter it, write the
//! JSON document.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the machine is shared
//! with other builds, and time spent waiting for a core is not the filters' cost. On an idle core the two
//! agree.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use logpipe_filter::{compile, Condition, Event, Fields, FilterChain, FilterSpec, Object};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Duration;

// The binary runs on mimalloc; so do the benchmarks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NGINX: &str = r#"93.184.216.34 - frank [10/Oct/2026:13:55:36 +0200] "GET /apache_pb.gif?user=42 HTTP/1.1" 200 2326 "http://www.example.com/start.html" "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0""#;
const NGINX_DISSECT: &str = r#"%{[source][address]} - %{[user][name]} [%{ts}] "%{[http][request][method]} %{[url][original]} HTTP/%{[http][version]}" %{[http][response][status_code]} %{[http][response][body][bytes]} "%{[http][request][referrer]}" "%{[user_agent][original]}""#;

/// The issue's mapping: top-level names.
const NGINX_DISSECT_FLAT: &str = r#"%{client} - %{user} [%{ts}] "%{verb} %{path} %{proto}" %{status} %{bytes} "%{referrer}" "%{agent}""#;

/// A 300-byte JSON line with 8 fields.
fn json_line() -> String {
    let line = json!({
        "ts": "2026-11-21T23:59:58.512+01:00",
        "level": "error",
        "logger": "billing.invoice.InvoiceService",
        "msg": "payment declined by issuer; retry in 30 secs",
        "user_id": 4242,
        "order_id": "ord-7f3c9a1e-2b4d-4c8e-9f01-aa55cc77ee99",
        "duration_ms": 12.5,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    })
    .to_string();
    assert_eq!(line.len(), 300, "the benchmark line should be 300 bytes");
    line
}

/// The event the agent builds for a line (the fields of its `json` codec).
fn agent_event(line: &str) -> Event {
    let mut map = Fields::with_capacity(16);
    map.insert("@timestamp".into(), Value::from("2026-11-22T04:51:21.123Z"));
    map.insert("message".into(), Value::from(line));
    map.insert("host".into(), json!({"name": "web-1"}));
    map.insert(
        "log".into(),
        json!({"file": {"path": "/var/log/app/app.log"}, "offset": 123_456_789}),
    );
    map.insert(
        "event".into(),
        json!({"id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}),
    );
    Event::from_fields(map)
}

fn chain(filters: Value) -> FilterChain {
    let specs: Vec<FilterSpec> = serde_json::from_value(filters).expect("specs");
    compile(&specs).expect("compiles")
}

fn bench_filter(c: &mut Criterion<ThreadCpuTime>, group: &str, filters: Value, line: &str) {
    let chain = chain(filters);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    let prepared = agent_event(line);
    {
        let mut probe = prepared.clone();
        chain.apply(&mut probe);
        assert!(
            probe.tags().next().is_none(),
            "{group}: the filter must succeed: {probe:?}"
        );
    }
    g.bench_function("filter", |b| {
        b.iter_batched_ref(
            || prepared.clone(),
            |event| black_box(chain.apply(event)),
            // Small batches: the copies reuse the same memory batch after batch, as events do in the
            // agent (large batches measured page faults of fresh memory, not the filter).
            BatchSize::NumIterations(64),
        )
    });
    let mut out = Vec::with_capacity(4096);
    g.bench_function("line", |b| {
        b.iter(|| {
            let mut event = agent_event(black_box(line));
            chain.apply(&mut event);
            out.clear();
            event.write_json(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn filters(c: &mut Criterion<ThreadCpuTime>) {
    bench_filter(
        c,
        "json_300B_8_fields",
        json!([{"json": {"source": "message"}}]),
        &json_line(),
    );
    bench_filter(
        c,
        "dissect_nginx_combined_flat_names",
        json!([{"dissect": {"mapping": {"message": NGINX_DISSECT_FLAT}}}]),
        NGINX,
    );
    bench_filter(
        c,
        "dissect_nginx_combined",
        json!([{"dissect": {"mapping": {"message": NGINX_DISSECT}}}]),
        NGINX,
    );
    bench_filter(
        c,
        "grok_combinedapachelog",
        json!([{"grok": {"match": {"message": "%{COMBINEDAPACHELOG}"}}}]),
        NGINX,
    );
    bench_filter(
        c,
        "date_iso8601",
        json!([{"date": {"match": ["message", "ISO8601"]}}]),
        "2026-11-21T23:59:58.512+01:00",
    );
    bench_filter(
        c,
        "nginx_dissect_date_convert",
        json!([
            {"dissect": {"mapping": {"message": NGINX_DISSECT},
                         "convert_datatype": {"http.response.status_code": "int", "http.response.body.bytes": "int"}}},
            {"date": {"match": ["ts", "dd/MMM/yyyy:HH:mm:ss Z"], "remove_field": ["ts"]}},
        ]),
        NGINX,
    );
}

fn baselines(c: &mut Criterion<ThreadCpuTime>) {
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    let empty = FilterChain::empty();
    let mut event = agent_event(NGINX);
    g.bench_function("empty_chain_apply", |b| {
        b.iter(|| black_box(empty.apply(black_box(&mut event))))
    });
    let mut out = Vec::with_capacity(4096);
    g.bench_function("event_build_and_write_no_filter", |b| {
        b.iter(|| {
            let event = agent_event(black_box(NGINX));
            out.clear();
            event.write_json(&mut out);
            black_box(out.len())
        })
    });
    // The floor under dissect with top-level names: ten string values set into the event's map (the
    // keys and values allocated, the map's tree searched and grown), nothing else.
    let keys = [
        "client", "user", "ts", "verb", "path", "proto", "status", "bytes", "referrer", "agent",
    ];
    let prepared = agent_event(NGINX);
    g.bench_function("set_10_string_fields", |b| {
        b.iter_batched_ref(
            || prepared.clone(),
            |event| {
                let map = event.fields_mut();
                for key in keys {
                    map.insert(key.to_string(), Value::String(black_box(key).to_string()));
                }
            },
            BatchSize::NumIterations(64),
        )
    });
    let condition = Condition::parse(
        r#"[log][level] == "DEBUG" or "health" in [tags] or [message] =~ /^GET \/health/"#,
    )
    .expect("parses");
    let event = agent_event(NGINX);
    g.bench_function("condition_eval", |b| {
        b.iter(|| black_box(condition.eval(black_box(&event))))
    });
    g.finish();
}

/// The measurement behind the regex engine: COMBINEDAPACHELOG expanded, captures of one nginx line.
fn regex_engines(c: &mut Criterion<ThreadCpuTime>) {
    let source =
        logpipe_filter::expand_grok_pattern("%{COMBINEDAPACHELOG}", false).expect("expands");
    let mut g = c.benchmark_group("grok_engine_combinedapachelog");
    g.throughput(Throughput::Elements(1));
    let onig = onig_regex(&source);
    let mut region = onig::Region::new();
    g.bench_function("oniguruma_match", |b| {
        b.iter(|| {
            onig.search_with_options(
                black_box(NGINX),
                0,
                NGINX.len(),
                onig::SearchOptions::SEARCH_OPTION_NONE,
                Some(&mut region),
            )
        })
    });
    let miss = "this line is not an access log at all, it is some text that goes on for a while";
    g.bench_function("oniguruma_miss", |b| {
        b.iter(|| {
            onig.search_with_options(
                black_box(miss),
                0,
                miss.len(),
                onig::SearchOptions::SEARCH_OPTION_NONE,
                Some(&mut region),
            )
        })
    });
    let fancy = fancy_regex::Regex::new(&source).expect("fancy-regex compiles the pattern");
    g.bench_function("fancy_regex_match", |b| {
        b.iter(|| {
            black_box(
                fancy
                    .captures(black_box(NGINX))
                    .ok()
                    .flatten()
                    .map(|c| c.len()),
            )
        })
    });
    g.bench_function("fancy_regex_miss", |b| {
        b.iter(|| {
            black_box(
                fancy
                    .captures(black_box(miss))
                    .ok()
                    .flatten()
                    .map(|c| c.len()),
            )
        })
    });
    g.finish();
}

fn onig_regex(source: &str) -> onig::Regex {
    onig::Regex::with_options(
        source,
        onig::RegexOptions::REGEX_OPTION_NONE,
        onig::Syntax::ruby(),
    )
    .expect("compiles")
}

/// CPU time of the calling thread.
struct ThreadCpuTime;

fn thread_cpu_now() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

static WALL_TIME: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = filters, baselines, regex_engines
}
criterion_main!(benches);
