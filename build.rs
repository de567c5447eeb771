//! Records the git revision the binary was built from (`LOGPIPE_GIT_REVISION`, shown by `logpipe
//! --version`); "unknown" outside a git checkout (a crates.io or source-tarball build).

use std::process::Command;

fn main() {
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.is_empty());
    let suffix = if dirty { "-modified" } else { "" };
    println!("cargo:rustc-env=LOGPIPE_GIT_REVISION={revision}{suffix}");
    for path in [".git/HEAD", ".git/index"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Ok(head) = std::fs::read_to_string(".git/HEAD") {
        if let Some(reference) = head.strip_prefix("ref: ") {
            let reference = format!(".git/{}", reference.trim());
            if std::path::Path::new(&reference).exists() {
                println!("cargo:rerun-if-changed={reference}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
