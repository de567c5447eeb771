#!/usr/bin/env bash
# Small-request throughput of perf_server (this layer vs a tiny_http pool of 16 workers) with wrk.
# usage: perf/throughput.sh PERF_SERVER_BINARY [seconds] [connections]
# Runs each configuration 3 times, alternating, and prints wrk's Requests/sec and latency lines.
set -euo pipefail
bin=$1; secs=${2:-5}; conns=${3:-32}
run() { # name kind port [threads [io_threads]]
  local name=$1 kind=$2 port=$3; shift 3
  coproc SERVER { exec "$bin" "$kind" "127.0.0.1:$port" "$@" 2>/dev/null; }
  local pid=$SERVER_PID
  read -r _ <&"${SERVER[0]}"   # "listening on ..."
  local out
  out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/")
  echo "$name: $(grep 'Requests/sec' <<<"$out" | awk '{print $2}') req/s, latency p50 $(grep ' 50%' <<<"$out" | awk '{print $2}') p99 $(grep ' 99%' <<<"$out" | awk '{print $2}')"
  exec {SERVER[1]}>&-
  wait "$pid" 2>/dev/null || true
}
for round in 1 2 3; do
  run "layer (1 io thread, 4 handlers)" layer 18090 4 1
  run "layer (2 io threads, 4 handlers)" layer 18091 4 2
  run "tiny_http (16 workers)" tiny 18092 16
done
