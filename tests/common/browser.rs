//! The browser tests' runner: headless Debian chromium driven by npm `playwright-core` through the scripts in
//! `tests/browser/*.mjs`, run with `node`; screenshots go to `tests/artifacts/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails (naming `.ci/setup`) when chromium or playwright-core is missing.
pub fn require_browser() {
    let chromium = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no chromium at {chromium}: run .ci/setup (it installs Debian chromium when console/ exists)"
    );
    assert!(
        repo().join("console/node_modules/playwright-core").is_dir(),
        "console/node_modules/playwright-core is missing: run .ci/setup (it runs npm ci in console/)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: run .ci/setup"
    );
}

/// Runs `node tests/browser/{script}` with `env`; panics with its output unless it exits 0.
pub fn run_script(script: &str, env: &[(&str, String)]) -> String {
    let mut command = Command::new("node");
    command
        .arg(repo().join("tests/browser").join(script))
        .env("ARTIFACTS", repo().join("tests/artifacts"));
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    println!("{stdout}");
    stdout
}
