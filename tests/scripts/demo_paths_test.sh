#!/usr/bin/env bash
# `make demo` (scripts/demo.sh) prints the paths of the files it writes: they must be plain paths,
# without "/../". The script is run as `make demo` runs it (from the source folder's place, with
# the binary's relative path), and with a binary path through "..", but with a stand-in for the
# shine binary that prints its arguments and writes --output's file, so that nothing is tuned.
#
#   demo_paths_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir=$1
work=$2
rm -rf "$work"
mkdir -p "$work/build/bin" "$work/datasets"
cat >"$work/build/bin/shine" <<'STUB'
#!/usr/bin/env bash
echo "shine $*"
while [ $# -gt 0 ]; do
  if [ "$1" = --output ]; then printf 'label\n' >"$2"; fi
  shift
done
STUB
chmod +x "$work/build/bin/shine"
: >"$work/datasets/data.svm"
cd "$work"
status=0
for binary in build/bin/shine build/bin/../bin/shine "$work/build/bin/../bin/shine"; do
  output=$("$source_dir/scripts/demo.sh" "$binary" datasets/data.svm)
  if printf '%s\n' "$output" | grep -F -q '/../'; then
    echo "scripts/demo.sh $binary printed a path with /../:" >&2
    printf '%s\n' "$output" | grep -F '/../' >&2
    status=1
  fi
  if ! printf '%s\n' "$output" | grep -F -q "Files in $work/build/demo:"; then
    echo "scripts/demo.sh $binary: expected 'Files in $work/build/demo:' in:" >&2
    printf '%s\n' "$output" >&2
    status=1
  fi
done
exit $status
