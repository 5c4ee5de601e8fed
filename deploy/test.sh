#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite with ctest, then runs each fuzz
# target for 30 s (deploy/fuzz.sh; OOO_SKIP_FUZZ=1 skips it).
#   deploy/test.sh [ctest args]             Release build in ./build
#   deploy/test.sh --sanitize [ctest args]  ASan + UBSan build in ./build-asan (no fuzzing:
#                                           the fuzz targets are sanitized builds already)
# The exit code says pass (0) or fail. Idempotent; fast when nothing changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake_args=()
if [ "${1:-}" = --sanitize ]; then
  shift
  export OOO_BUILD_DIR=${OOO_ASAN_BUILD_DIR:-$root/build-asan} OOO_BUILD_TYPE=RelWithDebInfo OOO_SKIP_FUZZ=1
  # CAF 0.17's own findings are left out at compile time (see OOO_SANITIZE in CMakeLists.txt).
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  cmake_args=(-DOOO_SANITIZE=ON)
fi
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" "${cmake_args[@]}"
(cd "${OOO_BUILD_DIR:-$root/build}" && ctest --output-on-failure --timeout 600 "$@")
[ "${OOO_SKIP_FUZZ:-0}" = 1 ] || "$root/deploy/fuzz.sh" 30
