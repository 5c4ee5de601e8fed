#!/usr/bin/env bash
# Where the CPU goes, with perf (Debian's linux-perf), for two loads:
#   1. pipelined set, 64 requesters (8 clients x 8 in flight), memory mode, 2 shards: section 1's
#      load alone (`ooo-bench --section 1 --pipelined-set-only`), the whole process recorded;
#   2. remote SET, 50 clients x 16 in flight (vs-redis.sh's -P 16 load): a memory-mode
#      ooo-storaged recorded while ooo-redis-compare sends it N sets.
# Each is a flat profile (self time per symbol, no call graphs: they would need frame
# pointers), grouped by bench/profile_groups.py into CAF message passing, scheduler,
# allocation, the store's own work, kernel, ...
#
#   bench/profile.sh [OUT_DIR]     (default: ./build/profiles)
#
# Environment: OOO_BUILD_DIR (default ./build), OPS (sets of load 1, default 1000000),
# REQUESTS (sets of load 2, default 400000), FREQ (samples per second, default 2000).
# Writes OUT_DIR/{pipelined-set,remote-set-p16}.data and .txt (perf report), prints the
# Markdown summaries. Servers are stopped by PID, also on errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OOO_BUILD_DIR:-$root/build}
out=${1:-$build_dir/profiles}
ops=${OPS:-1000000}
requests=${REQUESTS:-400000}
freq=${FREQ:-2000}
mkdir -p "$out"

if ! perf record -q -e cpu-clock -o "$out/check.data" -- true >/dev/null 2>&1; then
  echo "perf does not work here (perf_event_paranoid, a container without perf events?)." >&2
  echo "Fall back to valgrind: see bench/README.md, 'Profiles'." >&2
  exit 1
fi
rm -f "$out/check.data"

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target ooo-bench ooo-storaged ooo-redis-compare >&2

summarize() { # data title
  perf report -i "$1.data" --no-children --sort dso,sym --stdio -t ';' 2>/dev/null >"$1.txt"
  python3 "$root/bench/profile_groups.py" "$2" <"$1.txt"
  echo
}

# -- 1: pipelined set, in-process -----------------------------------------------------------------
echo "profile 1: pipelined set, $ops sets, 64 requesters, memory mode" >&2
perf record -q -F "$freq" -e cpu-clock -o "$out/pipelined-set.data" -- \
  "$build_dir/bench/ooo-bench" --section 1 --shard-counts 2 --pipelined-set-only --ops "$ops" \
  >"$out/pipelined-set.out" 2>&1
cat "$out/pipelined-set.out" >&2

# -- 2: remote SET -P 16 against a node ---------------------------------------------------------
node_pid="" perf_pid=""
cleanup() {
  local code=$? pid
  for pid in $perf_pid $node_pid; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: >"$out/node.out"
"$build_dir/apps/ooo-storaged" --host 127.0.0.1 --port 0 --durability memory \
  >"$out/node.out" 2>"$out/node.err" </dev/null &
node_pid=$!
address=""
for _ in $(seq 300); do
  address=$(sed -n 's/^listening on //p' "$out/node.out")
  [ -n "$address" ] && break
  kill -0 "$node_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$address" ] || { cat "$out/node.err" >&2; exit 1; }
echo "profile 2: remote SET, $requests sets, 50 clients x 16 in flight, node $address" >&2
perf record -q -F "$freq" -e cpu-clock -p "$node_pid" -o "$out/remote-set-p16.data" \
  2>"$out/perf-node.err" &
perf_pid=$!
sleep 0.5 # perf attaches
"$build_dir/bench/ooo-redis-compare" "$address" --clients 50 --window 16 --requests "$requests" \
  --value-size 64 --keyspace 100000 --tests set >"$out/remote-set-p16.out"
cat "$out/remote-set-p16.out" >&2
kill -INT "$perf_pid"
wait "$perf_pid" || true
perf_pid=""

echo "## Profiles ($(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
summarize "$out/pipelined-set" "pipelined set, 64 requesters, memory mode, 2 shards (ooo-bench, whole process)"
summarize "$out/remote-set-p16" "remote SET, 50 clients x 16 in flight (ooo-storaged only)"
