#!/usr/bin/env bash
# Time from `etcdctl put` of a 1,000-entry collect config to every entry applied (1,000 files open in the
# agent), on a real etcd and Tansu. Target: <= 1 s. Prints one line with the numbers.
#   perf/etcd_reload.sh            # debug build (the test profile)
#   PROFILE=--release perf/etcd_reload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test ${PROFILE:-} --test it etcd_reload_bench -- --ignored --nocapture 2>&1 \
  | grep -E "etcd reload of|test result|panicked|target:"
