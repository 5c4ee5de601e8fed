#!/usr/bin/env bash
# Every table of bench/README.md from one run on one commit: ooo-bench (all seven sections),
# vs-redis.sh (remote SET/GET against Redis, plain and TLS) and profile.sh (perf profiles of
# the pipelined-set and the remote -P 16 SET loads), with the date, the commit and the load
# average before and after each part.
#
#   bench/run-all.sh [OUT_DIR]          (default: ./build/bench-results; ~15 min on 2 cores)
#
# Environment: OOO_BUILD_DIR (default ./build), OOO_BENCH_ARGS (extra ooo-bench options, e.g.
# "--section 1,7"), VS_REDIS_N (requests per vs-redis test, default 100000), ROUNDS (vs-redis
# rounds, default 3), SKIP_VS_REDIS=1, SKIP_PROFILES=1.
# Writes OUT_DIR/{ooo-bench,vs-redis,profiles}.md (tables), *.log (progress) and
# OUT_DIR/summary.md (all of it), and prints summary.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OOO_BUILD_DIR:-$root/build}
out=${1:-$build_dir/bench-results}
read -r -a bench_args <<<"${OOO_BENCH_ARGS:-}"
mkdir -p "$out"
export OOO_BUILD_DIR=$build_dir

"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${OOO_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" \
  --target ooo-bench ooo-memory-probe ooo-storaged ooo-redis-compare >&2

load() { cut -d' ' -f1-3 /proc/loadavg; }
stamp() { date -u '+%Y-%m-%d %H:%M UTC'; }
summary=$out/summary.md
{
  echo "# ooo-storage bench: $(stamp), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "$(nproc) cores; $(uname -sr)"
  echo
} >"$summary"

part() { # title command...
  local title=$1 file=$2
  shift 2
  echo "running $title (progress in $out/$file.log)" >&2
  local before started
  before=$(load)
  started=$(stamp)
  "$@" >"$out/$file.md" 2>"$out/$file.log"
  {
    echo "## $title"
    echo
    echo "Started $started, load average $before at the start, $(load) at the end."
    echo
    cat "$out/$file.md"
    echo
  } >>"$summary"
}

part "ooo-bench ${bench_args[*]:-(all sections)}" ooo-bench \
  "$build_dir/bench/ooo-bench" "${bench_args[@]+"${bench_args[@]}"}"
[ "${SKIP_VS_REDIS:-0}" = 1 ] ||
  part "vs-redis.sh ${VS_REDIS_N:-100000}, ${ROUNDS:-3} rounds" vs-redis \
    env ROUNDS="${ROUNDS:-3}" "$root/bench/vs-redis.sh" "${VS_REDIS_N:-100000}"
[ "${SKIP_PROFILES:-0}" = 1 ] ||
  part "profile.sh" profiles "$root/bench/profile.sh" "$out/profiles"

cat "$summary"
