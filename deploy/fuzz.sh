#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: clang, ASan + UBSan) into ./build-fuzz, kept between
# runs, and runs each target for SECONDS (default 30) over a scratch copy of its seed corpus in
# tests/fuzz/corpus/ (new inputs are never written into the repository). Fails on any crash,
# sanitizer report, failed invariant, or allocation beyond the limits below.
#   deploy/fuzz.sh [SECONDS]
# A failing input is kept as build-fuzz/artifacts/<target>/crash-*; reproduce it with
#   build-fuzz/<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
build_dir=${OOO_FUZZ_BUILD_DIR:-$root/build-fuzz}
"$root/deploy/install-deps.sh"

export CCACHE_BASEDIR=$root
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S "$root/tests/fuzz" -B "$build_dir" "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in fuzz_key fuzz_record fuzz_messages; do
  cp -r "$root/tests/fuzz/corpus/$target" "$work/$target"
  mkdir -p "$build_dir/artifacts/$target"
  echo "== $target: ${seconds}s" >&2
  # No input needs more than a few KiB, so 64 MiB for one allocation and 1 GiB in all are far
  # above what a correct decoder uses and far below what a missing size check would take.
  # A fixed seed (OOO_FUZZ_SEED, default 1) keeps CI runs comparable; pick others by hand.
  "$build_dir/$target" -seed="${OOO_FUZZ_SEED:-1}" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=1024 -malloc_limit_mb=64 -print_final_stats=1 \
    -artifact_prefix="$build_dir/artifacts/$target/" "$work/$target" 2>"$work/$target.log" || {
    tail -n 60 "$work/$target.log" >&2
    echo "FAIL: $target (input kept in $build_dir/artifacts/$target/)" >&2
    exit 1
  }
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$target.log" >&2 || true
done
echo "fuzzing passed" >&2
