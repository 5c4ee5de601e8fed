#!/usr/bin/env bash
# deploy/local-cluster.sh end to end: start 3 nodes as one replicated group, status, a write
# through any node reaches every node, a follower names the leader, kill -9 of the leader and
# `restart` of it, stop, every PID is gone. Whatever happens, the nodes this test started are
# stopped (trap), and every wait is bounded.
# Then `--independent` (N unrelated stores), and a group of 2 with --tls-cert/--tls-key/--tls-ca
# (certificates from MAKE_CERTS_SH): clients with a certificate of the CA are served, clients
# without are refused (exit 3).
#   local_cluster_test.sh LOCAL_CLUSTER_SH OOO_STORAGED OOO_STORAGE MAKE_CERTS_SH
set -euo pipefail
script=$1 node_bin=$2 cli=$3 make_certs=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/ooo-cluster-test.XXXXXX")
export OOO_CLUSTER_DIR=$work/cluster OOO_STORAGED=$node_bin OOO_CLUSTER_STOP_TIMEOUT=20

pids=()
cleanup() {
  local code=$?
  timeout 30 "$script" stop >/dev/null 2>&1 || true
  # Belt and braces: whatever is still alive of what we started goes now.
  for pid in "${pids[@]+"${pids[@]}"}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ $code -ne 0 ]; then
    for log in "$OOO_CLUSTER_DIR"/node-*/stderr.log; do
      [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$work"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# True if PID runs (a zombie, whose parent has not reaped it yet, does not count).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

cli() {
  timeout 20 "$cli" --timeout 5 "$@"
}

# Waits up to 20 s until `cli ARGS...` prints EXPECTED.
wait_for() {
  local expected=$1 got="" i
  shift
  for ((i = 0; i < 100; i++)); do
    got=$(cli "$@" 2>/dev/null) && [ "$got" = "$expected" ] && return 0
    sleep 0.2
  done
  fail "cli $* printed '$got', expected '$expected'"
}

echo "== start 3 (a group)"
out=$(timeout 60 "$script" start 3 -- --shards 2 --stale-reads) || fail "start exited $?: $out"
echo "$out"
mapfile -t addrs < <(sed -n 's/^node-[0-9]* pid [0-9]* listening on //p' <<<"$out")
mapfile -t pids < <(sed -n 's/^node-[0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
[ ${#addrs[@]} -eq 3 ] || fail "expected 3 addresses, got: $out"
[ ${#pids[@]} -eq 3 ] || fail "expected 3 PIDs, got: $out"
[ "$(printf '%s\n' "${addrs[@]}" | sort -u | wc -l)" -eq 3 ] || fail "addresses not distinct"
for i in 1 2 3; do
  [ "$(cat "$OOO_CLUSTER_DIR/node-$i/pid")" = "${pids[i - 1]}" ] || fail "pid file of node-$i"
  [ -d "$OOO_CLUSTER_DIR/node-$i/data" ] || fail "no data dir for node-$i"
done

echo "== start again refuses while running"
if timeout 30 "$script" start 1 >/dev/null 2>&1; then fail "second start succeeded"; fi

echo "== status"
out=$(timeout 30 "$script" status) || fail "status exited $? while all run: $out"
echo "$out"
[ "$(grep -c ' running listening on 127.0.0.1:' <<<"$out")" -eq 3 ] || fail "status: $out"

echo "== one group: a write through the node list reaches every node"
all=$(IFS=,; echo "${addrs[*]}")
for i in 0 1 2; do
  stats=$(cli --node "${addrs[i]}" stats) || fail "stats on ${addrs[i]} exited $?"
  echo "${addrs[i]} $stats"
  grep -q '"shards":2' <<<"$stats" || fail "stats of ${addrs[i]}: $stats"
  grep -qE '"role":"(leader|follower|candidate)"' <<<"$stats" || fail "no role: $stats"
done
[ "$(cli --node "$all" set cluster/node '{"n":1}')" = node ] || fail "set through $all"
for i in 0 1 2; do
  wait_for '{"n":1}' --node "${addrs[i]}" get --raw cluster/node
done
leader=$(cli --node "$all" stats | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')
[ -n "$leader" ] || fail "no leader in stats"
# A follower refuses the write with the leader's address; the CLI follows it there by itself.
for i in 0 1 2; do
  [ "${addrs[i]}" = "$leader" ] && continue
  [ "$(cli --node "${addrs[i]}" set "cluster/via$i" 1)" = "via$i" ] ||
    fail "a write through follower ${addrs[i]} did not reach the leader"
  wait_for 1 --node "$leader" get --raw "cluster/via$i"
done

echo "== kill -9 of the leader; restart it"
for i in 1 2 3; do
  [ "$(cat "$OOO_CLUSTER_DIR/node-$i/address")" = "$leader" ] && leader_node=$i
done
kill -KILL "$(cat "$OOO_CLUSTER_DIR/node-$leader_node/pid")"
[ "$(timeout 30 "$cli" --timeout 15 --node "$all" set cluster/node '{"n":2}')" = node ] ||
  fail "no write after the leader died"
out=$(timeout 60 "$script" restart "$leader_node") || fail "restart exited $?: $out"
echo "$out"
pids[leader_node - 1]=$(sed -n 's/^node-[0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
back=$(sed -n 's/^node-[0-9]* pid [0-9]* listening on //p' <<<"$out")
wait_for '{"n":2}' --node "$back" get --raw cluster/node

echo "== stop"
out=$(timeout 60 "$script" stop) || fail "stop exited $?: $out"
echo "$out"
[ "$(grep -c ' stopped (pid ' <<<"$out")" -eq 3 ] || fail "stop: $out"
for pid in "${pids[@]}"; do
  alive "$pid" && fail "pid $pid still runs after stop"
done
for i in 1 2 3; do
  [ -e "$OOO_CLUSTER_DIR/node-$i/pid" ] && fail "pid file of node-$i left behind"
  grep -qE 'store closed|stopped' "$OOO_CLUSTER_DIR/node-$i/stderr.log" || fail "node-$i did not close cleanly"
done
if out=$(timeout 30 "$script" status); then fail "status exited 0 after stop: $out"; fi
[ "$(grep -c ' stopped$' <<<"$out")" -eq 3 ] || fail "status after stop: $out"
echo "== unreachable after stop"
set +e
cli --node "${addrs[0]}" stats >/dev/null 2>&1
code=$?
set -e
[ $code -eq 3 ] || fail "CLI against a stopped node exited $code, expected 3"

echo "== start 2 --independent: each node keeps its own data"
export OOO_CLUSTER_DIR=$work/independent
out=$(timeout 60 "$script" start 2 --independent -- --shards 2) || fail "start exited $?: $out"
mapfile -t addrs < <(sed -n 's/^node-[0-9]* pid [0-9]* listening on //p' <<<"$out")
mapfile -t pids < <(sed -n 's/^node-[0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
for i in 0 1; do
  [ "$(cli --node "${addrs[i]}" set cluster/node "$i")" = node ] || fail "set on ${addrs[i]}"
done
for i in 0 1; do
  [ "$(cli --node "${addrs[i]}" get --raw cluster/node)" = "$i" ] || fail "independent ${addrs[i]}"
  grep -q '"role"' <<<"$(cli --node "${addrs[i]}" stats)" && fail "an independent node has a role"
done
out=$(timeout 60 "$script" stop) || fail "stop exited $?: $out"

echo "== start 2 with TLS (a group)"
certs=$work/certs
bash "$make_certs" "$certs" >/dev/null || fail "make-certs.sh failed"
export OOO_CLUSTER_DIR=$work/tls-cluster
out=$(timeout 60 "$script" start 2 --tls-cert "$certs/node.pem" --tls-key "$certs/node.key" \
  --tls-ca "$certs/ca.pem" -- --shards 2) || fail "TLS start exited $?: $out"
echo "$out"
mapfile -t addrs < <(sed -n 's/^node-[0-9]* pid [0-9]* listening on //p' <<<"$out")
mapfile -t pids < <(sed -n 's/^node-[0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
[ ${#addrs[@]} -eq 2 ] || fail "expected 2 addresses, got: $out"
grep -q 'mutual TLS' "$OOO_CLUSTER_DIR/node-1/stderr.log" || fail "node-1 does not use TLS"
tls=(--tls-cert "$certs/client.pem" --tls-key "$certs/client.key" --tls-ca "$certs/ca.pem")
all=$(IFS=,; echo "${addrs[*]}")
for i in 0 1; do
  got=$(cli --node "$all" "${tls[@]}" set "cluster/tls" "$i") || fail "TLS set through $all"
  [ "$got" = tls ] || fail "TLS set through $all printed $got"
  got=$(cli --node "$all" "${tls[@]}" get --raw cluster/tls) || fail "TLS get through $all"
  [ "$got" = "$i" ] || fail "the group holds $got over TLS, expected $i"
  set +e
  cli --node "${addrs[i]}" stats >/dev/null 2>&1
  code=$?
  set -e
  [ $code -eq 3 ] || fail "CLI without a certificate against ${addrs[i]} exited $code, expected 3"
done
out=$(timeout 60 "$script" stop) || fail "TLS stop exited $?: $out"
[ "$(grep -c ' stopped (pid ' <<<"$out")" -eq 2 ] || fail "TLS stop: $out"
if timeout 30 "$script" start 1 --tls-cert "$certs/node.pem" >/dev/null 2>&1; then
  fail "start with only --tls-cert succeeded"
fi
echo "PASS"
