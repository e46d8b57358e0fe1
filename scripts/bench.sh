#!/usr/bin/env bash
# Runs every benchmark built in BUILD_DIR/bench, one after the other. Each benchmark skips with a
# message when the shared datasets it needs are absent (SHINE_DATA_DIR overrides ../shared/data).
set -euo pipefail
build_dir=${1:-build}
status=0
found=0
for bench in "$build_dir"/bench/shine_bench_*; do
  [ -x "$bench" ] || continue
  found=1
  echo "== $(basename "$bench")"
  "$bench" || status=$?
  echo
done
if [ "$found" -eq 0 ]; then
  echo "bench: no benchmark in $build_dir/bench: configure with Google Benchmark installed" \
    "(make deps) and -DSHINE_BUILD_BENCH=ON (make bench does)" >&2
  exit 1
fi
exit $status
