//! The broker's ceiling in `perf/run kafka`: plain librdkafka producers, one process per file, each sending
//! its file's lines as they are (no JSON, no key, librdkafka's default partitioner), as `kcat -P -l FILE`
//! would, with the producer settings logpipe's agent uses by default: `acks=all`, idempotence on, lz4,
//! `linger.ms=5`, `batch.size=1000000`; everything else is librdkafka's default.
//!
//! `perf_produce BROKERS TOPIC FILE [FILE ...]`: starts one child process per file (each its own client, so
//! its own connection to the broker), says so when every child has had every line acknowledged and then
//! waits to be stopped (its children's CPU time stays readable in its /proc entry); exits 1 if a child failed.
//! `perf_produce --one BROKERS TOPIC FILE` is one such child.
//!
//! For finding where logpipe's time goes, two variants (environment, inherited by the children):
//! `PERF_PRODUCE_JSON=1` sends each line as the ECS JSON event logpipe's agent would (`event::json::encode`,
//! the same bytes), `PERF_PRODUCE_KEYED=1` keys each message by its file, so a file's lines go to one
//! partition as logpipe's do, `PERF_PRODUCE_LINGER_MS=N` sets `linger.ms` (the ceiling is no faster with the
//! agent's 50 than with librdkafka's 5: 4.2 against 4.0 s, perf/RESULTS.md, issue 28).

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode};
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") && args.len() == 4 {
        return match produce_file(&args[1], &args[2], &args[3]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("perf_produce {}: {e}", args[3]);
                ExitCode::FAILURE
            }
        };
    }
    if args.len() < 3 {
        eprintln!("usage: perf_produce BROKERS TOPIC FILE [FILE ...]");
        return ExitCode::from(2);
    }
    let Ok(me) = std::env::current_exe() else {
        eprintln!("perf_produce: cannot find its own executable");
        return ExitCode::FAILURE;
    };
    let mut children = Vec::new();
    for file in &args[2..] {
        match Command::new(&me)
            .args(["--one", &args[0], &args[1], file])
            .spawn()
        {
            Ok(child) => children.push(child),
            Err(e) => {
                eprintln!("perf_produce: cannot start a producer for {file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut ok = true;
    for mut child in children {
        ok &= child.wait().map(|s| s.success()).unwrap_or(false);
    }
    if !ok {
        return ExitCode::FAILURE;
    }
    // Stay (until perf/run stops it) so that the children's CPU time can be read from this process.
    println!("every line acknowledged");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn produce_file(brokers: &str, topic: &str, path: &str) -> Result<(), String> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("compression.type", "lz4")
        .set(
            "linger.ms",
            std::env::var("PERF_PRODUCE_LINGER_MS").unwrap_or_else(|_| "5".into()),
        )
        .set("batch.size", "1000000")
        .create()
        .map_err(|e| format!("producer: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("open: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(4096);
    let mut sent = 0u64;
    let keyed = std::env::var_os("PERF_PRODUCE_KEYED").is_some();
    let json = std::env::var_os("PERF_PRODUCE_JSON").is_some();
    let template = logpipe::event::json::JsonTemplate::new("perf-host", path, &Default::default());
    let uid = logpipe::event::id::FileUid::new("perf-host", 1, 2, 3, 4);
    let stamp = logpipe::event::timestamp::now();
    let mut event = Vec::with_capacity(4096);
    let mut offset = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        let mut body = line.strip_suffix(b"\n").unwrap_or(&line);
        if json {
            event.clear();
            logpipe::event::json::encode(&template, &stamp, uid, offset, body, 0, &mut event);
            body = &event;
        }
        offset += n as u64;
        let mut record = BaseRecord::<str, [u8]>::to(topic).payload(body);
        if keyed {
            record = record.key(path);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => return Err(format!("send: {e}")),
            }
        }
        sent += 1;
        if sent % 1024 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer
        .flush(Duration::from_secs(600))
        .map_err(|e| format!("flush: {e}"))?;
    Ok(())
}
