#!/usr/bin/env bash
# ooo-storaged's HTTP gateway against etcd 3.4's HTTP gateway on the same machine, same load,
# same run, both durable (ooo: --durability sync, group commit; etcd: its default, an fsynced
# WAL per commit batch):
#   1. POST throughput: wrk, 2 threads, 50 connections, DURATION seconds, random keys of a
#      10000-key space, 64-byte JSON values: ooo `POST /bench/N`, etcd `POST /v3/kv/put`.
#   2. GET throughput: the same for ooo `GET /bench/N` and etcd `POST /v3/kv/range`, after both
#      hold every key (fan_out.mjs fill).
#   3. Fan-out: fan_out.mjs, 1 writer writing one key WRITES times in a row, 100 subscribers
#      of that key (ooo: WebSockets, patches applied as ooo-client does; etcd: watch streams of
#      its HTTP gateway).
# ROUNDS rounds (default 2), interleaved (ooo, etcd, ooo, etcd); the best round of each counts,
# since the machine is shared. Prints a Markdown table with ratios ooo / etcd.
#
#   bench/http/vs-etcd.sh              DURATION=10 WRITES=1000 ROUNDS=2 by default
#
# Installs etcd-server and wrk with apt when missing, builds ooo-storaged (./build unless
# OOO_BUILD_DIR), installs the fan-out client's npm packages into the build tree, runs both
# servers on free loopback ports with their data in a temporary directory (removed at the end)
# and stops them by PID (SIGTERM, then SIGKILL), also on errors and Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/http
build_dir=${OOO_BUILD_DIR:-$root/build}
duration=${DURATION:-10}
writes=${WRITES:-1000}
rounds=${ROUNDS:-2}
keys=10000

command -v etcd >/dev/null && command -v wrk >/dev/null || "$root/deploy/install-deps.sh" etcd-server wrk
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target ooo-storaged >&2
npm_dir=$build_dir/bench-npm
mkdir -p "$npm_dir"
if ! cmp -s "$here/package-lock.json" "$npm_dir/.installed-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$here/package-lock.json" "$npm_dir/.installed-lock.json"
fi
export OOO_BENCH_NPM=$npm_dir

work=$(mktemp -d "${TMPDIR:-/tmp}/ooo-vs-etcd.XXXXXX")
pids=()
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# -- servers ------------------------------------------------------------------------------------
"$build_dir/apps/ooo-storaged" --port 0 --data-dir "$work/ooo" --durability sync \
  --http 127.0.0.1:0 >"$work/ooo.out" 2>"$work/ooo.err" &
pids+=($!)
for ((i = 0; i < 100; i++)); do
  grep -q '^http listening on' "$work/ooo.out" 2>/dev/null && break
  sleep 0.1
done
ooo_url=http://$(sed -n 's/^http listening on //p' "$work/ooo.out")
[ "$ooo_url" != http:// ] || { cat "$work/ooo.err" >&2; exit 1; }

etcd_port=$(free_port) peer_port=$(free_port)
etcd --data-dir "$work/etcd" --name bench \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "bench=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
pids+=($!)
etcd_url=http://127.0.0.1:$etcd_port
for ((i = 0; i < 100; i++)); do
  curl -sf -X POST "$etcd_url/v3/kv/range" -d '{"key":"AA=="}' >/dev/null 2>&1 && break
  sleep 0.1
done
echo "ooo-storaged gateway: $ooo_url   etcd: $etcd_url   data: $work" >&2

# -- runs ---------------------------------------------------------------------------------------
# wrk_run TARGET URL OP -> "requests/s p50_ms p99_ms errors"
wrk_run() {
  local out
  out=$(OP=$3 KEYS=$keys wrk -t2 -c50 -d"${duration}s" --latency -s "$here/wrk_$1.lua" "$2")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {print "socket-errors"}' <<<"$out" | tr '\n' ' ')
  echo "$rps $p50 $p99 ${errors:-0}"
}

declare -A best best_note
keep_best() { # keep_best KEY VALUE NOTE: the higher VALUE wins
  if [ -z "${best[$1]:-}" ] || awk -v a="$2" -v b="${best[$1]}" 'BEGIN { exit !(a > b) }'; then
    best[$1]=$2
    best_note[$1]=$3
  fi
}

echo "filling $keys keys in each" >&2
node "$here/fan_out.mjs" fill ooo "$ooo_url" "$keys"
node "$here/fan_out.mjs" fill etcd "$etcd_url" "$keys"
for ((r = 1; r <= rounds; r++)); do
  for op in post get; do
    for target in ooo etcd; do
      url=$ooo_url
      [ "$target" = etcd ] && url=$etcd_url
      echo "round $r: $target $op (${duration}s)" >&2
      read -r rps p50 p99 errors <<<"$(wrk_run "$target" "$url" "$op")"
      [ "$errors" = 0 ] || { echo "$target $op: failed requests: $errors" >&2; exit 1; }
      keep_best "$op-$target" "$rps" "p50 $p50, p99 $p99"
    done
  done
  for target in ooo etcd; do
    url=$ooo_url
    [ "$target" = etcd ] && url=$etcd_url
    echo "round $r: $target fan-out, 100 subscribers x $writes writes" >&2
    line=$(node "$here/fan_out.mjs" fanout "$target" "$url" 100 "$writes")
    echo "  $line" >&2
    dps=$(sed -E 's/.*"deliveries_per_s":([0-9]+).*/\1/' <<<"$line")
    note=$(sed -E 's/.*"writes_per_s":([0-9]+).*"p50_ms":([0-9.]+),"p99_ms":([0-9.]+).*/\1 writes\/s; delivery p50 \2 ms, p99 \3 ms/' <<<"$line")
    keep_best "fan-$target" "$dps" "$note"
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "| test | ooo-storaged gateway | etcd 3.4 HTTP gateway | ratio | notes (ooo; etcd) |"
echo "|---|---|---|---|---|"
echo "| POST / put, 50 connections | ${best[post-ooo]} req/s | ${best[post-etcd]} req/s | $(ratio "${best[post-ooo]}" "${best[post-etcd]}") | ${best_note[post-ooo]}; ${best_note[post-etcd]} |"
echo "| GET / range, 50 connections | ${best[get-ooo]} req/s | ${best[get-etcd]} req/s | $(ratio "${best[get-ooo]}" "${best[get-etcd]}") | ${best_note[get-ooo]}; ${best_note[get-etcd]} |"
echo "| fan-out, 1 writer, 100 subscribers | ${best[fan-ooo]} deliveries/s | ${best[fan-etcd]} deliveries/s | $(ratio "${best[fan-ooo]}" "${best[fan-etcd]}") | ${best_note[fan-ooo]}; ${best_note[fan-etcd]} |"
