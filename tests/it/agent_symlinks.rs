//! Symbolic links: a local user who can write a tailed directory swaps a log file for a link to a secret,
//! over and over, while the agent tails it. The agent opens first and checks what it opened, and does not
//! follow links unless the entry says so: the secret never reaches Kafka, while the real lines do.

use crate::common::agent::*;
use crate::common::kafka::{Consumed, TopicReader};
use crate::common::tansu::Tansu;
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "TOP-SECRET-0600-CONTENT";

/// Replaces `path` by a link to `target`, then by a regular file with one line, and again, until `stop`.
fn swap_in_a_loop(path: &std::path::Path, target: &std::path::Path, stop: &AtomicBool) -> usize {
    let link_tmp = path.with_extension("link-tmp");
    let file_tmp = path.with_extension("file-tmp");
    let mut swaps = 0;
    while !stop.load(Ordering::Relaxed) {
        let _ = fs::remove_file(&link_tmp);
        std::os::unix::fs::symlink(target, &link_tmp).expect("symlink");
        fs::rename(&link_tmp, path).expect("swap in the link");
        fs::write(&file_tmp, format!("regular content {swaps}\n")).expect("write");
        fs::rename(&file_tmp, path).expect("swap in the file");
        swaps += 1;
    }
    swaps
}

#[test]
fn a_file_swapped_for_a_link_to_a_secret_never_ships_the_secret() {
    let tansu = Tansu::start();
    tansu.create_topic("swap", 1);
    let setup = setup(&tansu, "swap", "", "");
    let secret_dir = setup.dir.path().join("private");
    fs::create_dir_all(&secret_dir).expect("mkdir");
    let secret = secret_dir.join("secret.txt");
    fs::write(&secret, format!("{SECRET}\n")).expect("write secret");
    // A link that is there from the start is not tailed either.
    std::os::unix::fs::symlink(&secret, setup.logs.join("static-link.log")).expect("symlink");
    let _agent = start_agent(&setup);

    let stop = Arc::new(AtomicBool::new(false));
    let swapped = setup.logs.join("swapped.log");
    let swapper = {
        let (stop, secret, swapped) = (stop.clone(), secret.clone(), swapped.clone());
        std::thread::spawn(move || swap_in_a_loop(&swapped, &secret, &stop))
    };
    // Real lines keep arriving meanwhile, in a file nobody swaps.
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut written = 0;
    while Instant::now() < deadline {
        append_lines(&setup.logs.join("real.log"), "real", written..written + 50);
        written += 50;
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().expect("swapper");
    assert!(swaps > 100, "only {swaps} swaps");

    // The swapped file's own lines arrive too: wait for the real ones, not for a count of any.
    let real_lines = |messages: &[Consumed]| {
        messages
            .iter()
            .filter(|m| {
                m.json()["message"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("real line"))
            })
            .count()
    };
    let mut reader = TopicReader::new(&tansu.brokers(), "swap");
    reader.read_until("every real line", PATIENCE, |m| real_lines(m) >= written);
    let messages = reader.drain(Duration::from_secs(2)).to_vec();
    let leaked: Vec<String> = messages
        .iter()
        .map(|m| m.json()["message"].as_str().unwrap_or_default().to_string())
        .filter(|m| m.contains(SECRET))
        .collect();
    assert!(
        leaked.is_empty(),
        "the secret reached Kafka {} times",
        leaked.len()
    );
    assert_eq!(
        real_lines(&messages),
        written,
        "every real line arrives once"
    );
}

#[test]
fn links_are_tailed_when_the_entry_follows_them() {
    let tansu = Tansu::start();
    tansu.create_topic("follow", 1);
    let setup = setup(&tansu, "follow", "follow_symlinks = true", "");
    let target_dir = setup.dir.path().join("elsewhere");
    fs::create_dir_all(&target_dir).expect("mkdir");
    append_lines(&target_dir.join("app.txt"), "linked", 0..10);
    std::os::unix::fs::symlink(target_dir.join("app.txt"), setup.logs.join("app.log"))
        .expect("symlink");
    let _agent = start_agent(&setup);
    let mut reader = TopicReader::new(&tansu.brokers(), "follow");
    reader.read_at_least(10, PATIENCE);
    let messages = reader.drain(Duration::from_millis(700)).to_vec();
    assert_exact(&messages, &expected("linked", 0..10));
}
