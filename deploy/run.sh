#!/usr/bin/env bash
# Installs what is missing (apt), builds (Release, into ./build), and runs one node in the
# foreground with its data in ./data (relative to the current directory; OOO_DATA_DIR overrides),
# with the HTTP gateway on 127.0.0.1:8880 (OOO_HTTP overrides; OOO_HTTP=off turns it off) serving
# the example page of examples/web. Extra arguments go to the node and win over the defaults:
#   deploy/run.sh --port 0 --durability async
#   deploy/run.sh --config deploy/ooo-storaged.ini
# The node prints `listening on HOST:PORT` on stdout; this script's hints go to stderr.
# Stop it with Ctrl-C or SIGTERM: it finishes in-flight writes and closes RocksDB cleanly.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OOO_BUILD_DIR:-$root/build}
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" >&2   # build output to stderr: stdout is the node's

# The gateway, and the example page it serves (ooo-client from npm, into the build tree).
http=${OOO_HTTP:-127.0.0.1:8880}
http_args=()
if [ "$http" != off ]; then
  web_dir=$build_dir/web
  "$root/examples/web/prepare.sh" "$web_dir" >&2
  http_args=(--http "$http" --http-static "$web_dir")
fi

# Only for the hints: where the node will listen if the arguments say so.
host=127.0.0.1 port=7700
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --host) host=${args[i + 1]:-$host} ;;
    --host=*) host=${args[i]#--host=} ;;
    --port) port=${args[i + 1]:-$port} ;;
    --port=*) port=${args[i]#--port=} ;;
    --http) http=${args[i + 1]:-$http} ;;
    --http=*) http=${args[i]#--http=} ;;
  esac
done
[ "$port" = 0 ] && port='PORT'   # picked at start-up: see the `listening on` line
node=$host:$port
[ "$host" = 0.0.0.0 ] && node=127.0.0.1:$port

cli=$build_dir/apps/ooo-storage
cat >&2 <<HINTS

ooo-storaged is starting in the foreground (Ctrl-C stops it cleanly).
Talk to it with the CLI, $cli:
  $cli --node $node set users/1 '{"name":"ada"}'
  $cli --node $node get users/1
  $cli --node $node watch 'users/*' --count 1     # in a second terminal, then set again
  $cli --node $node stats
  (or: export OOO_STORAGE_NODE=$node)
Mutual TLS (needed to listen on anything but loopback; deploy/make-certs.sh DIR makes the files):
  deploy/run.sh --tls-cert DIR/node.pem --tls-key DIR/node.key --tls-ca DIR/ca.pem
  $cli --tls-cert DIR/client.pem --tls-key DIR/client.key --tls-ca DIR/ca.pem stats
From a CAF application (call ooo::storage::register_types(cfg) first, load the middleman):
  auto store = sys.middleman().remote_actor<ooo::storage::store_actor>("${node%:*}", ${node##*:});
  (over TLS: load caf::openssl::manager, set openssl.certificate/key/cafile, and call
  caf::openssl::remote_actor<ooo::storage::store_actor>(sys, host, port))
  complete example: examples/remote_client.cpp, built as $build_dir/examples/remote_client $node
HINTS
if [ "$http" != off ]; then
  url=http://${http/#0.0.0.0:/127.0.0.1:}
  [ "${url##*:}" = 0 ] && url=${url%:*}:PORT   # picked at start-up: see `http listening on`
  cat >&2 <<HINTS
Over HTTP and WebSocket (ooo's protocol; ooo-client and curl work as against ooo's server):
  $url/_static/index.html          the example page: a live list of users/*
  curl -X POST $url/users/1 -d '{"name":"ada"}'
  curl $url/users/*
  curl $url/metrics
HINTS
  echo "gateway: $url/_static/index.html" >&2
fi
echo >&2
exec "$build_dir/apps/ooo-storaged" --data-dir "${OOO_DATA_DIR:-./data}" "${http_args[@]}" "$@"
