#!/usr/bin/env bash
# ooo-storage against Redis on the same machine, same load, same run:
#   SET and GET, 64-byte values, 50 concurrent clients, 1 and 16 requests in flight per client.
#
#   bench/vs-redis.sh [N]          N requests per test (default 200000)
#
# Installs redis-server and redis-tools with apt when missing, builds ooo-storaged and
# ooo-redis-compare (Release, ./build unless OOO_BUILD_DIR), starts a redis-server
# (--save '' --appendonly no: memory only) and an ooo-storaged (--durability memory) on loopback
# ports, and runs for each window P in 1 and 16:
#   redis-benchmark -t set,get -d 64 -c 50 -n N -P P -r 100000
#   ooo-redis-compare --clients 50 --window P --requests N --value-size 64 --keyspace 100000
# ROUNDS times (default 2, interleaved: Redis, ours, Redis, ours, ...); the best round of each
# counts, since the machine is shared. Both servers are stopped by PID at the end (SIGTERM, then
# SIGKILL), also on errors and Ctrl-C. Prints a Markdown table with the ratios (ours / Redis).
#
# Environment: OOO_BUILD_DIR, ROUNDS, OOO_NODE_ARGS (extra node options, e.g.
# "--scheduler.max-threads=1"), OOO_CLIENT_ARGS (extra CAF options for the client).
#
# Note on "50 clients": redis-benchmark opens 50 TCP connections. Our client runs 50 client
# actors, but CAF multiplexes every actor of one node pair over a single connection (BASP), so
# the node sees one connection carrying 50 (x window) concurrent requests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200000}
rounds=${ROUNDS:-2}
build_dir=${OOO_BUILD_DIR:-$root/build}
clients=50
value_size=64
keyspace=100000
read -r -a node_args <<<"${OOO_NODE_ARGS:-}"
read -r -a client_args <<<"${OOO_CLIENT_ARGS:-}"

# -- dependencies and build ----------------------------------------------------------------------
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  "$root/deploy/install-deps.sh" redis-server redis-tools
fi
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target ooo-storaged ooo-redis-compare >&2
daemon=$build_dir/apps/ooo-storaged
client=$build_dir/bench/ooo-redis-compare

# -- servers ----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ooo-vs-redis.XXXXXX")
pids=()
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "pid $pid did not stop within 10s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local code=$? pid
  for pid in "${pids[@]+"${pids[@]}"}"; do
    stop_pid "$pid"
  done
  rm -rf "$work"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
  [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping)" = PONG ] || { cat "$work/redis.log" >&2; exit 1; }

"$daemon" --host 127.0.0.1 --port 0 --durability memory "${node_args[@]+"${node_args[@]}"}" \
  >"$work/node.out" 2>"$work/node.err" </dev/null &
pids+=($!)
node=""
for ((i = 0; i < 300; i++)); do
  node=$(sed -n 's/^listening on //p' "$work/node.out")
  [ -n "$node" ] && break
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 0.1
done
[ -n "$node" ] || { cat "$work/node.err" >&2; exit 1; }
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$redis_port, ooo-storaged on $node; N=$n, rounds=$rounds" >&2

# -- runs -------------------------------------------------------------------------------------
declare -A best
# CPU seconds (user + system) a server process has used so far.
clk_tck=$(getconf CLK_TCK)
cpu_of() {
  awk -v t="$clk_tck" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"
}
keep_min() { # name value
  local old=${best[$1]:-1e18}
  best[$1]=$(awk -v a="$old" -v b="$2" 'BEGIN { print (b < a ? b : a) }')
}
# Microseconds of CPU per request of a server: used CPU between two cpu_of readings / (2 N).
us_per_op() {
  awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / (2 * n) }'
}
keep_best() { # name value
  local old=${best[$1]:-0}
  best[$1]=$(awk -v a="$old" -v b="$2" 'BEGIN { print (b > a ? b : a) }')
}

for ((r = 1; r <= rounds; r++)); do
  for p in 1 16; do
    echo "round $r/$rounds, -P $p: redis-benchmark" >&2
    c0=$(cpu_of "${pids[0]}")
    redis-benchmark -h 127.0.0.1 -p "$redis_port" -t set,get -d "$value_size" -c "$clients" \
      -n "$n" -P "$p" -r "$keyspace" --csv >"$work/redis.csv"
    cpu=$(us_per_op "$c0" "$(cpu_of "${pids[0]}")")
    echo "  redis-server CPU -P $p: $cpu us/request" >&2
    keep_min "redis_cpu_$p" "$cpu"
    while IFS=, read -r test rps _; do
      test=${test//\"/} rps=${rps//\"/}
      case "$test" in
        SET | GET)
          echo "  redis ${test,,} -P $p: $rps ops/s" >&2
          keep_best "redis_${test,,}_$p" "$rps"
          ;;
      esac
    done <"$work/redis.csv"
    echo "round $r/$rounds, -P $p: ooo-redis-compare" >&2
    c0=$(cpu_of "${pids[1]}")
    "$client" "$node" --clients "$clients" --window "$p" --requests "$n" \
      --value-size "$value_size" --keyspace "$keyspace" "${client_args[@]+"${client_args[@]}"}" \
      >"$work/ours.txt"
    cpu=$(us_per_op "$c0" "$(cpu_of "${pids[1]}")")
    echo "  ooo-storaged CPU -P $p: $cpu us/request" >&2
    keep_min "ours_cpu_$p" "$cpu"
    while read -r _ test _ _ _ errors _ rps _; do
      test=${test#test=} rps=${rps#rps=}
      [ "$errors" = errors=0 ] || { echo "ooo-redis-compare reported $errors" >&2; exit 1; }
      echo "  ours  $test -P $p: $rps ops/s" >&2
      keep_best "ours_${test}_$p" "$rps"
    done < <(grep '^result ' "$work/ours.txt")
  done
done

# -- table ------------------------------------------------------------------------------------
# Throughput: best round of each. Server CPU per request (set + get averaged): the least of the
# rounds; it is what pipelining should shrink.
echo
echo "| load (64 B values, 50 clients) | Redis ops/s | ooo-storage ops/s | ratio | server CPU/request: Redis | ooo-storaged |"
echo "|---|---:|---:|---:|---:|---:|"
for p in 1 16; do
  for test in set get; do
    awk -v name="${test^^} -P $p" -v a="${best[redis_${test}_$p]}" -v b="${best[ours_${test}_$p]}" \
      -v ca="${best[redis_cpu_$p]}" -v cb="${best[ours_cpu_$p]}" \
      'BEGIN { printf "| %s | %.0f | %.0f | %.2fx | %.1f us | %.1f us |\n", name, a, b,
               (a > 0 ? b / a : 0), ca, cb }'
  done
done
