//! CI's seeded chaos pass: `perf/chaos --minutes 3` against this build's `logpipe` (etcd, Tansu, the store,
//! two agents, two transfers; every fault kind and rotation kind at seeded times, see `perf/chaos --help`).
//! Its report must account for every line written — lost, duplicated and extra all 0, every `_id` its
//! `event.id` — with no process dying on its own and every fault recovered from. The long run
//! (`perf/chaos --minutes 30`) is reported in perf/RESULTS.md.

use std::path::Path;
use std::process::Command;

/// Replays the same schedule of faults in every CI run.
const SEED: &str = "20261203";

#[test]
fn three_minutes_of_chaos_lose_and_duplicate_nothing() {
    let out = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("perf/chaos");
    let status = Command::new("python3")
        .arg(&script)
        .args([
            "--minutes",
            "3",
            "--seed",
            SEED,
            "--agents",
            "2",
            "--rate",
            "60",
        ])
        .args(["--fault-gap", "8", "--rotate-every", "15"])
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_logpipe"))
        .arg("--out")
        .arg(out.path())
        .status()
        .expect("run perf/chaos (python3)");
    let text = std::fs::read_to_string(out.path().join("chaos-latest.json"))
        .unwrap_or_else(|e| panic!("perf/chaos wrote no report ({e}); exit {status:?}"));
    let report: serde_json::Value = serde_json::from_str(&text).expect("report JSON");
    let accounting = &report["accounting"];
    let md = std::fs::read_to_string(out.path().join("chaos-latest.md")).unwrap_or_default();
    for key in ["lost", "duplicated", "extra", "id_mismatch"] {
        assert_eq!(accounting[key], 0, "{key}:\n{md}");
    }
    assert!(
        accounting["lines_written"]
            .as_u64()
            .is_some_and(|n| n > 5_000),
        "{md}"
    );
    assert_eq!(report["verdict"]["unexpected_exits"], 0, "{md}");
    assert_eq!(report["verdict"]["not_recovered"], 0, "{md}");
    let injected: u64 = report["faults"]
        .as_object()
        .map(|f| f.values().filter_map(|k| k["injected"].as_u64()).sum())
        .unwrap_or(0);
    assert!(injected >= 4, "faults were injected:\n{md}");
    assert!(status.success(), "perf/chaos failed:\n{md}");
}
