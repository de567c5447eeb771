//! Runs the official Elasticsearch Python client (`tests/py/test_store_client.py`) against the real
//! `logpipe store` binary. Python 3 and the `elasticsearch` module are required (`.ci/setup` installs them):
//! without them the test fails, so a machine that cannot run it never reports it as passed.

use crate::common::store::StoreProcess;
use std::process::{Command, Stdio};

#[test]
fn official_python_client_works_against_the_store() {
    let has_client = Command::new("python3")
        .args(["-c", "import elasticsearch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_client,
        "python3 with the `elasticsearch` module is missing: run `bash .ci/setup` (pip install elasticsearch)"
    );
    let store = StoreProcess::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/test_store_client.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(store.url())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python client script failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
