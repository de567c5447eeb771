//! Issue 24: moving a host over from Logstash or Filebeat. The agent starts each file where the old agent's
//! sincedb or registry says it stopped — exactly lines 601–1000 of a file whose old position is at line 600 —
//! and refuses a position whose inode another file now reuses (that file starts per `start_at`).

use crate::common::agent::{
    append_lines, assert_exact, expected, setup, start_agent, wait_checkpointed, PATIENCE,
};
use crate::common::kafka::TopicReader;
use crate::common::tansu::Tansu;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bytes of one line `append_lines` writes.
fn line_len(prefix: &str) -> u64 {
    format!("{prefix} line {:06} padding-padding-padding\n", 0).len() as u64
}

fn seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A sincedb record (`inode major minor offset last_active path`) for `file`.
fn sincedb_line(file: &Path, offset: u64, last_active: SystemTime) -> String {
    let meta = fs::metadata(file).expect("stat");
    format!(
        "{} {} {} {offset} {:.3} {}\n",
        meta.ino(),
        libc::major(meta.dev()),
        libc::minor(meta.dev()),
        seconds(last_active),
        file.display()
    )
}

#[test]
fn logstash_and_filebeat_positions_are_adopted_and_a_reused_inode_is_not() {
    let tansu = Tansu::start();
    tansu.create_topic("migrate_log", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let sincedb_dir = dir.path().join("logstash");
    let registry = dir.path().join("registry");
    fs::create_dir_all(&sincedb_dir).expect("mkdir");
    fs::create_dir_all(&registry).expect("mkdir");
    let extra_top = format!(
        "[migrate]\nlogstash_sincedb = [\"{}/.sincedb_*\"]\nfilebeat_registry = \"{}\"\n",
        sincedb_dir.display(),
        registry.display()
    );
    let s = setup(&tansu, "migrate_log", "", &extra_top);
    let (a, b, c) = (
        s.logs.join("a.log"),
        s.logs.join("b.log"),
        s.logs.join("c.log"),
    );
    append_lines(&a, "a", 0..1000);
    append_lines(&b, "b", 0..1000);
    append_lines(&c, "c", 0..200);
    let now = SystemTime::now() + Duration::from_secs(1);
    // Logstash shipped a.log up to line 600; its record for c.log's inode is from before c.log existed.
    let mut sincedb = sincedb_line(&a, 600 * line_len("a"), now);
    sincedb.push_str(&sincedb_line(
        &c,
        100 * line_len("c"),
        now - Duration::from_secs(3600),
    ));
    fs::write(sincedb_dir.join(".sincedb_4f2a"), sincedb).expect("sincedb");
    // Filebeat's registry (filestream, native identity) has b.log at line 600.
    let meta = fs::metadata(&b).expect("stat");
    let log = format!(
        "{{\"op\":\"set\",\"id\":1}}\n{{\"k\":\"filestream::app::native::{}-{}\",\"v\":{{\"cursor\":{{\"offset\":{}}},\"updated\":[0,{}]}}}}\n",
        meta.ino(),
        meta.dev(),
        600 * line_len("b"),
        seconds(now) as u64
    );
    fs::write(registry.join("log.json"), log).expect("registry");

    let agent = start_agent(&s);
    let data = s.dir.path().join("data");
    for file in [&a, &b, &c] {
        wait_checkpointed(&data, file);
    }
    let mut lines = expected("a", 600..1000);
    lines.extend(expected("b", 600..1000));
    lines.extend(expected("c", 0..200));
    let mut reader = TopicReader::new(&tansu.brokers(), "migrate_log");
    reader.read_at_least(lines.len(), PATIENCE);
    assert_exact(reader.drain(Duration::from_secs(2)), &lines);
    let log = agent.log();
    assert!(log.contains("adopting the read position"), "{log}");
    assert!(log.contains("another file reuses it"), "{log}");

    // A kill -9 leaves the move unrecorded: the restart reads [migrate] again, but every file has logpipe's
    // own checkpoint by now, so nothing is read twice.
    let mut agent = agent;
    agent.kill9();
    append_lines(&a, "a", 1000..1010);
    let mut agent = start_agent(&s);
    wait_checkpointed(&data, &a);
    lines.extend(expected("a", 1000..1010));
    reader.read_at_least(lines.len(), PATIENCE);
    assert_exact(reader.drain(Duration::from_secs(2)), &lines);
    assert!(!data.join("migrated").exists());

    // A clean stop records the move as done; from then on the old agent's files are ignored for good.
    assert!(agent.terminate(PATIENCE).success(), "{}", agent.log());
    assert!(data.join("migrated").exists());
    let agent = start_agent(&s);
    crate::common::wait::until("the agent saying [migrate] is done", PATIENCE, || {
        agent
            .log()
            .contains("[migrate] is not read again")
            .then_some(())
    });
    append_lines(&a, "a", 1010..1020);
    wait_checkpointed(&data, &a);
    lines.extend(expected("a", 1010..1020));
    reader.read_at_least(lines.len(), PATIENCE);
    assert_exact(reader.drain(Duration::from_secs(2)), &lines);
}
