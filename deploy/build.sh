#!/usr/bin/env bash
# Configures and builds (Release by default) into ./build, keeping it between runs so that a
# rebuild with nothing changed takes seconds. Extra arguments go to cmake's configure step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OOO_BUILD_DIR:-$root/build}
# ccache then sees paths relative to the checkout, so another clone (CI's) hits the same cache.
export CCACHE_BASEDIR=$root
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
