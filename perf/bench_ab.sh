#!/usr/bin/env bash
# A/B of criterion benchmarks between two commits, on this machine, in one sitting.
#
# Builds the benches of commit A (a git worktree under perf/out/ab/) and of the work tree (B), then runs each
# bench twice with criterion's baselines shared (CRITERION_HOME): A saves a baseline and B is compared with it,
# then B saves one and A is compared with it. Criterion prints, per benchmark, the change and whether it is
# within its noise threshold; both directions agreeing is the verdict. A benchmark only one side has is
# measured without a comparison (--baseline-lenient). Output: perf/out/ab/<time>.log.
#
# Usage: perf/bench_ab.sh COMMIT_A "BENCH[@DIR] ..." [criterion args...]
#   BENCH@DIR runs `cargo bench --bench BENCH` in DIR of each tree (e.g. store_index@crates/store; DIR may
#   differ between the trees: A_DIR:B_DIR, as in store_index@.:crates/store for a bench that moved).
#   Default criterion args: --warm-up-time 1 --measurement-time 4 --noplot
# Example: perf/bench_ab.sh 8edc669 "framing_encoding raw_codec bulk_body store_index@.:crates/store"
set -euo pipefail

A=${1:?commit A}
BENCHES=${2:?benches}
shift 2
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(--warm-up-time 1 --measurement-time 4 --noplot)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/perf/out/ab
mkdir -p "$OUT"
A_TREE=$OUT/tree-$(git -C "$ROOT" rev-parse --short "$A")
if [[ ! -d $A_TREE ]]; then
  git -C "$ROOT" worktree add --detach "$A_TREE" "$A" >/dev/null
fi
export CRITERION_HOME=$OUT/criterion-$(date -u +%Y%m%dT%H%M%S)
LOG=$OUT/$(date -u +%Y%m%dT%H%M%SZ).log
A_TARGET=${A_TARGET:-$OUT/target-a}
B_TARGET=${B_TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}}
echo "A = $A ($(git -C "$A_TREE" log --oneline -1 | cut -c1-60)), B = work tree $(git -C "$ROOT" rev-parse --short HEAD)" | tee "$LOG"

dir_of() { # $1 = spec, $2 = 0 for A, 1 for B
  local spec=$1 dirs
  [[ $spec == *@* ]] || { echo .; return; }
  dirs=${spec#*@}
  if [[ $dirs == *:* ]]; then
    if [[ $2 == 0 ]]; then echo "${dirs%%:*}"; else echo "${dirs#*:}"; fi
  else
    echo "$dirs"
  fi
}

bench() { # $1 = tree, $2 = target dir, $3 = spec, $4 = side, then criterion args
  local tree=$1 target=$2 spec=$3 side=$4 name dir
  shift 4
  name=${spec%%@*}
  dir=$(dir_of "$spec" "$side")
  (cd "$tree/$dir" && CARGO_TARGET_DIR=$target cargo bench --quiet --bench "$name" -- "$@") 2>&1 | tee -a "$LOG"
}

for spec in $BENCHES; do
  echo "=== build $spec" | tee -a "$LOG"
  (cd "$A_TREE/$(dir_of "$spec" 0)" && CARGO_TARGET_DIR=$A_TARGET cargo bench --quiet --no-run --bench "${spec%%@*}")
  (cd "$ROOT/$(dir_of "$spec" 1)" && CARGO_TARGET_DIR=$B_TARGET cargo bench --quiet --no-run --bench "${spec%%@*}")
done
for spec in $BENCHES; do
  echo "=== $spec: A saves, B compared (change = B against A)" | tee -a "$LOG"
  bench "$A_TREE" "$A_TARGET" "$spec" 0 "${ARGS[@]}" --save-baseline a >/dev/null
  bench "$ROOT" "$B_TARGET" "$spec" 1 "${ARGS[@]}" --baseline-lenient a
  echo "=== $spec: B saves, A compared (change = A against B)" | tee -a "$LOG"
  bench "$ROOT" "$B_TARGET" "$spec" 1 "${ARGS[@]}" --save-baseline b >/dev/null
  bench "$A_TREE" "$A_TARGET" "$spec" 0 "${ARGS[@]}" --baseline-lenient b
done
echo "log: $LOG"
