//! Rotation cases against a real Tansu broker, each with the exact count of lines expected: rename + create,
//! copytruncate, plain truncation, and deletion while unread bytes remain (with the broker frozen, which also
//! shows backpressure: the agent stops reading and loses nothing).

use crate::common::agent::*;
use crate::common::kafka::TopicReader;
use crate::common::tansu::Tansu;
use crate::common::wait;
use std::fs::{self, OpenOptions};
use std::time::Duration;

#[test]
fn rename_and_create_reads_the_old_file_to_its_end_and_follows_the_new_one() {
    let tansu = Tansu::start();
    tansu.create_topic("rot", 2);
    let setup = setup(&tansu, "rot", "", "");
    let _agent = start_agent(&setup);
    let live = setup.logs.join("app.log");
    append_lines(&live, "first", 0..500);
    let mut reader = TopicReader::new(&tansu.brokers(), "rot");
    reader.read_at_least(500, PATIENCE);

    let rotated = setup.logs.join("app.log.1");
    fs::rename(&live, &rotated).expect("rotate");
    // The writer still holds the old file for a moment after rotation.
    append_lines(&rotated, "first", 500..600);
    append_lines(&live, "second", 0..300);
    reader.read_at_least(900, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    let mut all = expected("first", 0..600);
    all.extend(expected("second", 0..300));
    assert_exact(&messages, &all);
}

#[test]
fn copytruncate_starts_a_new_generation_with_new_ids() {
    let tansu = Tansu::start();
    tansu.create_topic("ct", 1);
    let setup = setup(&tansu, "ct", "", "");
    let _agent = start_agent(&setup);
    let live = setup.logs.join("app.log");
    append_lines(&live, "before", 0..400);
    let mut reader = TopicReader::new(&tansu.brokers(), "ct");
    reader.read_at_least(400, PATIENCE);

    fs::copy(&live, setup.logs.join("app.log.1")).expect("copy");
    OpenOptions::new()
        .write(true)
        .open(&live)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    // More new bytes than the old offset: only the fingerprint can tell it is new content.
    append_lines(&live, "after", 0..600);
    reader.read_at_least(1000, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    let mut all = expected("before", 0..400);
    all.extend(expected("after", 0..600));
    assert_exact(&messages, &all);
}

#[test]
fn truncation_restarts_at_zero() {
    let tansu = Tansu::start();
    tansu.create_topic("tr", 1);
    let setup = setup(&tansu, "tr", "", "");
    let _agent = start_agent(&setup);
    let live = setup.logs.join("app.log");
    append_lines(&live, "old", 0..300);
    let mut reader = TopicReader::new(&tansu.brokers(), "tr");
    reader.read_at_least(300, PATIENCE);
    OpenOptions::new()
        .write(true)
        .open(&live)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    // The agent notices the file is empty (size below its offset) before anything new is written.
    wait::until("the agent to notice the truncation", PATIENCE, || {
        fs::read_to_string(setup.dir.path().join("agent.log"))
            .ok()?
            .contains("truncated")
            .then_some(())
    });
    append_lines(&live, "new", 0..100);
    reader.read_at_least(400, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    let mut all = expected("old", 0..300);
    all.extend(expected("new", 0..100));
    assert_exact(&messages, &all);
}

#[test]
fn deleted_file_with_unread_bytes_is_drained_after_a_broker_outage() {
    let tansu = Tansu::start();
    tansu.create_topic("del", 1);
    let small_buffers = "[pipeline]\nbatch_bytes = 65536\nchannel_batches = 2\n";
    let setup = setup(&tansu, "del", "", small_buffers);
    // librdkafka's own queue small too, so backpressure reaches the file quickly.
    let config = fs::read_to_string(&setup.config)
        .expect("read config")
        .replace(
            "linger_ms = 1",
            "linger_ms = 1\n[kafka.options]\n\"queue.buffering.max.kbytes\" = \"256\"",
        );
    fs::write(&setup.config, config).expect("write config");
    let mut reader = TopicReader::new(&tansu.brokers(), "del");
    let agent = start_agent(&setup);

    tansu.pause();
    let big = setup.logs.join("big.log");
    append_lines(&big, "big", 0..60_000); // ~3.5 MB, far more than the agent may hold in memory
    wait::until("the agent to open big.log", PATIENCE, || {
        agent.log().contains("big.log from offset").then_some(())
    });
    fs::remove_file(&big).expect("delete");
    tansu.resume();

    reader.read_at_least(60_000, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    assert_exact(&messages, &expected("big", 0..60_000));
    wait::until("the deleted file to be closed", PATIENCE, || {
        agent.log().contains("(deleted)").then_some(())
    });
}
