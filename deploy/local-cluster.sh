#!/usr/bin/env bash
# Runs N ooo-storaged nodes on loopback as one replicated group (Raft), each with its own data
# dir, and stops them by PID.
#
#   deploy/local-cluster.sh start N [TLS] [--independent] [-- NODE-OPTIONS...]
#   deploy/local-cluster.sh restart I     start node I again as before (after a kill, say)
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop
#
# The nodes form one group: node I has Raft id I, Raft address 127.0.0.1:RAFT-PORT and the
# same initial member list (--peers). With --independent they are N unrelated stores instead.
# TLS: --tls-cert FILE --tls-key FILE --tls-ca FILE (all three; from deploy/make-certs.sh DIR:
# DIR/node.pem, DIR/node.key, DIR/ca.pem): every node's client port uses mutual TLS with these
# files, and clients need a certificate of the same CA (ooo-storage --tls-cert DIR/client.pem
# ...). The Raft ports are plain TCP on 127.0.0.1 either way.
#
# Environment (all optional):
#   OOO_CLUSTER_DIR        run dir (default ./cluster): node-I/{data/,pid,address,raft,args,stdout,stderr.log}
#   OOO_STORAGED           the node binary (default build/apps/ooo-storaged of this checkout)
#   OOO_CLUSTER_BASE_PORT  node I listens on BASE+I-1 and its Raft port is BASE+100+I-1;
#                          unset or 0: free ports
#   OOO_CLUSTER_START_TIMEOUT  seconds a node may take to print `listening on` (default 30)
#   OOO_CLUSTER_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL (default 20)
#
# `start` prints one line per node: `node-I pid PID listening on 127.0.0.1:PORT`. If one node
# fails to start, the nodes this call started are stopped again and the exit code is 1.
# `restart I` prints the same line for node I (its client port may change when it was free).
# `status` prints every node's state; exit 0 if all recorded nodes run, 1 otherwise.
# `stop` sends SIGTERM to every recorded node, SIGKILL to those still alive after the timeout;
# data and logs stay in the run dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Absolute, so that the PID check below matches the --data-dir on the node's command line.
run_dir=$(realpath -m "${OOO_CLUSTER_DIR:-./cluster}")
bin=${OOO_STORAGED:-$root/build/apps/ooo-storaged}
base_port=${OOO_CLUSTER_BASE_PORT:-0}
start_timeout=${OOO_CLUSTER_START_TIMEOUT:-30}
stop_timeout=${OOO_CLUSTER_STOP_TIMEOUT:-20}

usage() {
  sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Prints N distinct TCP ports on 127.0.0.1 that nothing listens on now, from a random range.
free_ports() {
  local n=$1 port picked=() taken
  taken=$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  while [ ${#picked[@]} -lt "$n" ]; do
    port=$((20000 + RANDOM % 30000))
    grep -qx "$port" <<<"$taken" && continue
    [[ " ${picked[*]} " == *" $port "* ]] && continue
    picked+=("$port")
  done
  echo "${picked[@]}"
}

node_dirs() {
  [ -d "$run_dir" ] || return 0
  find "$run_dir" -mindepth 1 -maxdepth 1 -type d -name 'node-*' | sort -V
}

# True if PID runs and is one of our nodes (guards against a PID reused by another program).
is_node() {
  local pid=$1 dir=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *ooo-storaged* && $cmdline == *"$dir/data"* ]]
}

# True if PID runs (exists and is not a zombie); unlike is_node also right after the fork,
# before the exec.
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

pid_of() {
  cat "$1/pid" 2>/dev/null || true
}

address_of() {
  sed -n 's/^listening on //p' "$1/stdout" 2>/dev/null | head -n 1
}

# Stops the nodes in the given dirs: SIGTERM, wait, then SIGKILL.
stop_dirs() {
  local dir pid alive=() name
  for dir in "$@"; do
    pid=$(pid_of "$dir")
    if is_node "$pid" "$dir"; then
      kill -TERM "$pid"
      alive+=("$dir")
    else
      rm -f "$dir/pid"
    fi
  done
  local deadline=$((SECONDS + stop_timeout))
  while [ ${#alive[@]} -gt 0 ]; do
    local still=()
    for dir in "${alive[@]}"; do
      pid=$(pid_of "$dir")
      name=$(basename "$dir")
      if is_node "$pid" "$dir"; then
        still+=("$dir")
      else
        echo "$name stopped (pid $pid)"
        rm -f "$dir/pid"
      fi
    done
    alive=("${still[@]+"${still[@]}"}")
    [ ${#alive[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for dir in "${alive[@]}"; do
        pid=$(pid_of "$dir")
        echo "$(basename "$dir") did not stop within ${stop_timeout}s: SIGKILL (pid $pid)" >&2
        kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 1
      for dir in "${alive[@]}"; do
        is_node "$(pid_of "$dir")" "$dir" || rm -f "$dir/pid"
      done
      break
    fi
    sleep 0.1
  done
}

# Starts node I from its recorded arguments and waits for its `listening on` line; prints
# `node-I pid PID listening on ADDRESS`. Returns 1 (after showing its log) if it does not start.
launch() {
  local i=$1 dir=$run_dir/node-$1 pid addr deadline args=()
  mapfile -d '' -t args <"$dir/args"
  : >"$dir/stdout"
  "$bin" "${args[@]}" >"$dir/stdout" 2>>"$dir/stderr.log" </dev/null &
  pid=$!
  echo "$pid" >"$dir/pid"
  deadline=$((SECONDS + start_timeout))
  addr=""
  while [ -z "$addr" ]; do
    addr=$(address_of "$dir")
    [ -n "$addr" ] && break
    if ! running "$pid" || [ $SECONDS -ge $deadline ]; then
      echo "error: node-$i (pid $pid) did not start; last lines of $dir/stderr.log:" >&2
      tail -n 20 "$dir/stderr.log" >&2 || true
      return 1
    fi
    sleep 0.05
  done
  echo "$addr" >"$dir/address"
  echo "node-$i pid $pid listening on $addr"
}

cmd_restart() {
  local i=${1:-}
  [[ $i =~ ^[1-9][0-9]*$ ]] || usage
  local dir=$run_dir/node-$i
  [ -f "$dir/args" ] || { echo "error: no node-$i in $run_dir (start first)" >&2; exit 1; }
  if is_node "$(pid_of "$dir")" "$dir"; then
    echo "error: node-$i is still running (pid $(pid_of "$dir"))" >&2
    exit 1
  fi
  launch "$i" || { stop_dirs "$dir" >&2; exit 1; }
}

cmd_start() {
  local n=${1:-}
  [[ $n =~ ^[1-9][0-9]*$ ]] || usage
  shift
  local tls=() option file independent=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    option=$1
    case "$option" in
      --tls-cert | --tls-key | --tls-ca) ;;
      --independent) independent=1; shift; continue ;;
      *) usage ;;
    esac
    [ $# -ge 2 ] || usage
    [ -r "$2" ] || { echo "error: $option $2: no readable file" >&2; exit 1; }
    file=$(realpath "$2")
    tls+=("$option" "$file")
    shift 2
  done
  if [ ${#tls[@]} -ne 0 ] && [ ${#tls[@]} -ne 6 ]; then
    echo "error: --tls-cert, --tls-key and --tls-ca go together" >&2
    exit 1
  fi
  if [ $# -gt 0 ]; then
    shift
  fi
  [ -x "$bin" ] || { echo "error: no node binary at $bin (build first, or set OOO_STORAGED)" >&2; exit 1; }
  local dir
  for dir in $(node_dirs); do
    if is_node "$(pid_of "$dir")" "$dir"; then
      echo "error: $(basename "$dir") is still running in $run_dir; run '$0 stop' first" >&2
      exit 1
    fi
  done
  mkdir -p "$run_dir"
  local started=() i port raft_ports=() peers=""
  if [ $independent -eq 0 ]; then
    if [ "$base_port" -gt 0 ]; then
      for ((i = 1; i <= n; i++)); do raft_ports+=($((base_port + 100 + i - 1))); done
    else
      read -r -a raft_ports <<<"$(free_ports "$n")"
    fi
    for ((i = 1; i <= n; i++)); do
      peers+="${peers:+,}$i=127.0.0.1:${raft_ports[i - 1]}"
    done
  fi
  for ((i = 1; i <= n; i++)); do
    dir=$run_dir/node-$i
    mkdir -p "$dir/data"
    : >"$dir/stderr.log"
    port=0
    [ "$base_port" -gt 0 ] && port=$((base_port + i - 1))
    local group=()
    if [ $independent -eq 0 ]; then
      group=(--raft "127.0.0.1:${raft_ports[i - 1]}" --node-id "$i" --peers "$peers")
      echo "127.0.0.1:${raft_ports[i - 1]}" >"$dir/raft"
    fi
    printf '%s\0' --host 127.0.0.1 --port "$port" --data-dir "$dir/data" \
      "${group[@]+"${group[@]}"}" "${tls[@]+"${tls[@]}"}" "$@" >"$dir/args"
    started+=("$dir")
    launch "$i" || { stop_dirs "${started[@]}" >&2; exit 1; }
  done
}

cmd_status() {
  local dir pid addr name all=0 total=0
  for dir in $(node_dirs); do
    total=$((total + 1))
    name=$(basename "$dir")
    pid=$(pid_of "$dir")
    if is_node "$pid" "$dir"; then
      addr=$(address_of "$dir")
      echo "$name pid $pid running listening on ${addr:-?}"
    else
      echo "$name stopped"
      all=1
    fi
  done
  if [ $total -eq 0 ]; then
    echo "no nodes in $run_dir"
    return 1
  fi
  return $all
}

cmd_stop() {
  local dirs
  mapfile -t dirs < <(node_dirs)
  if [ ${#dirs[@]} -eq 0 ]; then
    echo "no nodes in $run_dir"
    return 0
  fi
  stop_dirs "${dirs[@]}"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  restart) shift; cmd_restart "$@" ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  *) usage ;;
esac
