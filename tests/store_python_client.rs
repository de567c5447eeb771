//! Runs the official Elasticsearch Python client (`tests/py/test_store_client.py`) against the real
//! `logpipe store` binary. Skips, loudly, only when python3 or the `elasticsearch` module is missing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn official_python_client_works_against_the_store() {
    let has_client = Command::new("python3")
        .args(["-c", "import elasticsearch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_client {
        eprintln!("SKIPPED: python3 with the `elasticsearch` module is not available (pip install elasticsearch)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .args(["store", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn logpipe store");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(pos) = line.find("listening on http://") {
                    let _ = tx.send(line[pos + "listening on ".len()..].trim().to_string());
                    sent = true;
                }
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("store did not report its address");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/test_store_client.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&url)
        .output()
        .expect("run python");
    child.kill().ok();
    child.wait().ok();
    assert!(
        out.status.success(),
        "python client script failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
