#!/usr/bin/env bash
# Runs every benchmark built in BUILD_DIR/bench, one after the other. Each benchmark skips with a
# message when the shared datasets it needs are absent (SHINE_DATA_DIR overrides ../shared/data).
set -euo pipefail
build_dir=${1:-build}
status=0
for bench in "$build_dir"/bench/shine_bench_*; do
  [ -x "$bench" ] || continue
  echo "== $(basename "$bench")"
  "$bench" || status=$?
  echo
done
exit $status
