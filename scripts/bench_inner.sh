#!/usr/bin/env bash
# Builds and runs the inner-solver benchmark (Release), keeping its Markdown output in a log.
#
#   scripts/bench_inner.sh [BUILD_DIR] [benchmark flags...]
#
# BUILD_DIR defaults to build-bench. Flags go to shine_bench_inner_solver (see its --help), e.g.
#   scripts/bench_inner.sh build-bench --quick
# The output is printed and also written to BUILD_DIR/bench-inner-<date>.md. Run it on an
# otherwise idle machine: the figures are wall times and memory bandwidths.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-bench}
shift || true
# The benchmarks are off by default (SHINE_BUILD_BENCH): turned on in this build folder.
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSHINE_BUILD_BENCH=ON
else
  cmake -S . -B "$build_dir" -DSHINE_BUILD_BENCH=ON
fi
cmake --build "$build_dir" --parallel "$(nproc 2>/dev/null || echo 2)" --target shine_bench_inner_solver
log="$build_dir/bench-inner-$(date -u +%Y%m%d-%H%M).md"
"$build_dir/bench/shine_bench_inner_solver" "$@" | tee "$log"
echo "(written to $log)"
