#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# The exit code says pass (0) or fail. Idempotent; fast when nothing changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh"
cd "${OOO_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 600 "$@"
