#!/usr/bin/env bash
# Installs the Debian 12 packages the build needs, only those that are missing.
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail

packages=(
  g++ cmake make ccache pkg-config clang libclang-rt-14-dev
  libcaf-dev librocksdb-dev libmsgpack-cxx-dev libboost-dev
  libabsl-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libbenchmark-dev
  libssl-dev openssl
  prometheus-cpp-dev curl chromium
  libraft-dev libuv1-dev
  redis-server redis-tools libhiredis-dev
  "$@"
)
# Node.js and npm for the gateway's WebSocket and browser tests. A machine may have them from
# elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm): only if missing.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
