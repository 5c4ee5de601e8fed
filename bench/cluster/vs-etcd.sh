#!/usr/bin/env bash
# Replicated durable writes: a 3-node ooo-storaged group against the same load on one node in
# sync mode and against a 3-member etcd 3.4 cluster, all on loopback, in one run.
#
#   bench/cluster/vs-etcd.sh           WRITES=20000 REQUESTERS=64 SIZE=64 ROUNDS=2 by default
#
# The load (ooo-write-load, bench/cluster/write_load.cpp): REQUESTERS requesters, one write in
# flight each, every write a new key with a SIZE-byte value, acknowledged durably: the group's
# leader answers once a majority stored the entry in its fsynced Raft log and the leader
# applied it; the single node answers after its fsynced group commit; etcd answers once a
# majority fsynced its WAL. Our client speaks CAF to the leader's port; etcd's speaks HTTP/1.1
# (Boost.Beast, keep-alive) to etcd's JSON gateway `/v3/kv/put`, one connection per requester.
# ROUNDS rounds, interleaved (group, single, etcd, ...); the best round of each counts, since
# the machine is shared. Prints a Markdown table.
#
# Installs etcd-server with apt when missing, builds the programs (./build unless OOO_BUILD_DIR),
# keeps every server's data in a temporary directory (removed at the end) and stops them by PID
# (SIGTERM, then SIGKILL), also on errors and Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${OOO_BUILD_DIR:-$root/build}
writes=${WRITES:-20000}
requesters=${REQUESTERS:-64}
size=${SIZE:-64}
rounds=${ROUNDS:-2}

command -v etcd >/dev/null || "$root/deploy/install-deps.sh" etcd-server
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target ooo-storaged ooo-storage ooo-write-load >&2
node_bin=$build_dir/apps/ooo-storaged
cli=$build_dir/apps/ooo-storage
load=$build_dir/bench/ooo-write-load

work=$(mktemp -d "${TMPDIR:-/tmp}/ooo-group-vs-etcd.XXXXXX")
pids=()
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
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
trap 'echo "vs-etcd.sh: line $LINENO failed (exit $?)" >&2' ERR
trap 'exit 130' INT TERM

free_ports() {
  python3 -c 'import socket,sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# start_node NAME ARGS... -> sets $addr to its client address
start_node() {
  local name=$1 i
  shift
  "$node_bin" --host 127.0.0.1 --port 0 --data-dir "$work/$name" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  pids+=($!)
  for ((i = 0; i < 300; i++)); do
    addr=$(sed -n 's/^listening on //p' "$work/$name.out" 2>/dev/null || true)
    [ -n "$addr" ] && return 0
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  exit 1
}

# -- servers ------------------------------------------------------------------------------------
read -r r1 r2 r3 e1 e2 e3 p1 p2 p3 <<<"$(free_ports 9)"
peers="1=127.0.0.1:$r1,2=127.0.0.1:$r2,3=127.0.0.1:$r3"
group=()
for i in 1 2 3; do
  raft_port_var=r$i
  start_node "group-$i" --raft "127.0.0.1:${!raft_port_var}" --node-id "$i" --peers "$peers"
  group+=("$addr")
done
start_node single --durability sync
single=$addr

cluster="e1=http://127.0.0.1:$p1,e2=http://127.0.0.1:$p2,e3=http://127.0.0.1:$p3"
for i in 1 2 3; do
  client_var=e$i peer_var=p$i
  etcd --name "e$i" --data-dir "$work/etcd-$i" \
    --listen-client-urls "http://127.0.0.1:${!client_var}" \
    --advertise-client-urls "http://127.0.0.1:${!client_var}" \
    --listen-peer-urls "http://127.0.0.1:${!peer_var}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${!peer_var}" \
    --initial-cluster "$cluster" --initial-cluster-state new \
    --initial-cluster-token ooo-bench >"$work/etcd-$i.log" 2>&1 &
  pids+=($!)
done

# The group's leader, once one serves; etcd's leader, once one is elected (puts go there
# directly, as etcd's own clients send them to any member that forwards them).
leader=""
for ((i = 0; i < 300; i++)); do
  leader=$("$cli" --node "${group[0]}" --timeout 2 stats 2>/dev/null |
    sed -n 's/.*"leader":"\([^"]*\)".*/\1/p') || true
  [ -n "$leader" ] && "$cli" --node "$leader" --timeout 2 set bench/probe x >/dev/null 2>&1 && break
  leader=""
  sleep 0.1
done
[ -n "$leader" ] || { echo "no ooo group leader" >&2; exit 1; }
etcd_leader=""
for ((i = 0; i < 300; i++)); do
  for port in "$e1" "$e2" "$e3"; do
    if curl -sf -X POST "http://127.0.0.1:$port/v3/maintenance/status" -d '{}' 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d.get("leader") == d["header"]["member_id"] else 1)'; then
      etcd_leader=127.0.0.1:$port
    fi
  done
  [ -n "$etcd_leader" ] && break
  sleep 0.1
done
[ -n "$etcd_leader" ] || { echo "no etcd leader" >&2; cat "$work"/etcd-1.log >&2; exit 1; }
echo "ooo group leader $leader, single node $single, etcd leader $etcd_leader, data $work" >&2

# -- runs ---------------------------------------------------------------------------------------
declare -A best best_line
for ((r = 1; r <= rounds; r++)); do
  for target in group single etcd; do
    case $target in
      group) args=(ooo "$leader") ;;
      single) args=(ooo "$single") ;;
      etcd) args=(etcd "$etcd_leader") ;;
    esac
    echo "round $r: $target, $writes writes" >&2
    line=$("$load" "${args[@]}" --requesters "$requesters" --writes "$writes" --size "$size")
    echo "  $line" >&2
    ops=$(sed -E 's/.*"ops_per_s":([0-9.]+).*/\1/' <<<"$line")
    if [ -z "${best[$target]:-}" ] || awk -v a="$ops" -v b="${best[$target]}" 'BEGIN { exit !(a > b) }'; then
      best[$target]=$ops
      best_line[$target]=$line
    fi
  done
done

# How many writes the group's log entries carried on average (its group commit).
leader_stats=$("$cli" --node "$leader" --timeout 10 stats)
entries=$(sed -n 's/.*"commit_batches":\([0-9]*\).*/\1/p' <<<"$leader_stats")
changes=$(sed -n 's/.*"commit_changes":\([0-9]*\).*/\1/p' <<<"$leader_stats")

field() { sed -E "s/.*\"$2\":([0-9.]+).*/\1/" <<<"${best_line[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "| load ($requesters requesters, $size-byte values, new keys) | writes/s | p50 | p99 | vs one node | vs etcd | client CPU/write |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for target in group single etcd; do
  case $target in
    group) name="ooo-storaged, 3-node group (leader)" ;;
    single) name="ooo-storaged, one node, sync" ;;
    etcd) name="etcd 3.4, 3 members, HTTP gateway" ;;
  esac
  printf '| %s | %.0f | %s us | %s us | %s | %s | %.1f us |\n' "$name" "${best[$target]}" \
    "$(field "$target" p50_us)" "$(field "$target" p99_us)" \
    "$(ratio "${best[$target]}" "${best[single]}")" "$(ratio "${best[$target]}" "${best[etcd]}")" \
    "$(field "$target" cpu_us_per_write)"
done
echo
awk -v e="$entries" -v c="$changes" 'BEGIN { printf "group: %d writes in %d log entries, %.1f per entry\n", c, e, c / e }'
