#!/usr/bin/env bash
# ooo-storage against Redis on the same machine, same load, same run:
#   SET and GET, 64-byte values, 50 concurrent clients, 1 and 16 requests in flight per client;
# and ooo-storage over mutual TLS against ooo-storage over plain TCP (the price of TLS).
#
#   bench/vs-redis.sh [N]          N requests per test (default 200000)
#
# Installs redis-server and redis-tools with apt when missing, builds ooo-storaged and
# ooo-redis-compare (Release, ./build unless OOO_BUILD_DIR), starts a redis-server
# (--save '' --appendonly no: memory only) and two ooo-storaged (--durability memory), one plain
# and one with certificates from deploy/make-certs.sh, on loopback ports, and runs for each
# window P in 1 and 16:
#   redis-benchmark -t set,get -d 64 -c 50 -n N -P P -r 100000
#   ooo-redis-compare --clients 50 --window P --requests N --value-size 64 --keyspace 100000
#   the same with --tls-cert/--tls-key/--tls-ca against the TLS node
# ROUNDS times (default 2, interleaved: Redis, ours, ours TLS, Redis, ...); the best round of each
# counts, since the machine is shared. All servers are stopped by PID at the end (SIGTERM, then
# SIGKILL), also on errors and Ctrl-C. Prints two Markdown tables with the ratios (ours / Redis,
# TLS / plain).
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

# Starts a memory-mode node (extra options as arguments); its address goes to $address. Not in
# a subshell, so that its PID lands in pids (and the cleanup stops it).
start_node() { # name [options...]
  local name=$1 i
  shift
  : >"$work/$name.out" # exists before the background job opens it, for the sed below
  "$daemon" --host 127.0.0.1 --port 0 --durability memory "$@" \
    "${node_args[@]+"${node_args[@]}"}" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  pids+=($!)
  address=""
  for ((i = 0; i < 300; i++)); do
    address=$(sed -n 's/^listening on //p' "$work/$name.out")
    [ -n "$address" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$address" ] || { cat "$work/$name.err" >&2; exit 1; }
}
start_node node
node=$address
certs=$work/certs
"$root/deploy/make-certs.sh" "$certs" >/dev/null
start_node tls-node --tls-cert "$certs/node.pem" --tls-key "$certs/node.key" \
  --tls-ca "$certs/ca.pem"
tls_node=$address
tls_client=(--tls-cert "$certs/client.pem" --tls-key "$certs/client.key" --tls-ca "$certs/ca.pem")
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$redis_port, ooo-storaged on $node (plain) and $tls_node (TLS); N=$n, rounds=$rounds" >&2

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
    # ours: the plain node (pids[1]); tls: the TLS node (pids[2]) with the client's certificate.
    for kind in ours tls; do
      if [ $kind = ours ]; then
        target=$node pid=${pids[1]} extra=()
      else
        target=$tls_node pid=${pids[2]} extra=("${tls_client[@]}")
      fi
      echo "round $r/$rounds, -P $p: ooo-redis-compare ($kind)" >&2
      c0=$(cpu_of "$pid")
      "$client" "$target" --clients "$clients" --window "$p" --requests "$n" \
        --value-size "$value_size" --keyspace "$keyspace" "${extra[@]+"${extra[@]}"}" \
        "${client_args[@]+"${client_args[@]}"}" >"$work/$kind.txt"
      cpu=$(us_per_op "$c0" "$(cpu_of "$pid")")
      echo "  ooo-storaged ($kind) CPU -P $p: $cpu us/request" >&2
      keep_min "${kind}_cpu_$p" "$cpu"
      while read -r _ test _ _ _ errors _ rps _; do
        test=${test#test=} rps=${rps#rps=}
        [ "$errors" = errors=0 ] || { echo "ooo-redis-compare reported $errors" >&2; exit 1; }
        echo "  $kind $test -P $p: $rps ops/s" >&2
        keep_best "${kind}_${test}_$p" "$rps"
      done < <(grep '^result ' "$work/$kind.txt")
    done
  done
done

# -- table ------------------------------------------------------------------------------------
# Throughput: best round of each. Server CPU per request (set + get averaged): the least of the
# rounds; it is what pipelining should shrink.
echo
# The aims of the performance work: at least Redis's throughput with one request in flight per
# client, at least half of it with 16.
echo "| load (64 B values, 50 clients) | Redis ops/s | ooo-storage ops/s | ratio | aim | met | server CPU/request: Redis | ooo-storaged |"
echo "|---|---:|---:|---:|---|---|---:|---:|"
for p in 1 16; do
  aim=1
  [ "$p" = 16 ] && aim=0.5
  for test in set get; do
    awk -v name="${test^^} -P $p" -v a="${best[redis_${test}_$p]}" -v b="${best[ours_${test}_$p]}" \
      -v ca="${best[redis_cpu_$p]}" -v cb="${best[ours_cpu_$p]}" -v aim="$aim" \
      'BEGIN { r = (a > 0 ? b / a : 0);
               printf "| %s | %.0f | %.0f | %.2fx | >= %sx | %s | %.1f us | %.1f us |\n", name, a, b,
               r, aim, (r >= aim ? "yes" : "**no**"), ca, cb }'
  done
done

echo
echo "| load (64 B values, 50 clients) | ooo-storage plain ops/s | over mutual TLS ops/s | TLS / plain | node CPU/request: plain | TLS |"
echo "|---|---:|---:|---:|---:|---:|"
for p in 1 16; do
  for test in set get; do
    awk -v name="${test^^} -P $p" -v a="${best[ours_${test}_$p]}" -v b="${best[tls_${test}_$p]}" \
      -v ca="${best[ours_cpu_$p]}" -v cb="${best[tls_cpu_$p]}" \
      'BEGIN { printf "| %s | %.0f | %.0f | %.2fx | %.1f us | %.1f us |\n", name, a, b,
               (a > 0 ? b / a : 0), ca, cb }'
  done
done
