#!/usr/bin/env bash
# The tests of shine-mpi across processes of mpirun (run by CTest in a build with
# SHINE_USE_MPI=ON; tests/CMakeLists.txt). Usage:
#
#   mpi_test.sh SHINE SHINE_MPI WORKDIR agree DATA.xz GRID_ARGS...  one process against 1, 2, 3
#                                        ranks: the same lambda, w within 1e-10; the same bits
#                                        twice with 2 ranks (agree-once: not twice; weighted:
#                                        with a weight file and balanced class weights)
#   mpi_test.sh SHINE SHINE_MPI WORKDIR repeat DATA.xz ARGS...     the hypergradient run with 3
#                                        ranks twice: the same bits; lambda within 5e-2 of one
#                                        process (rounding moves where loose solves stop)
#   mpi_test.sh SHINE SHINE_MPI WORKDIR bad-line DATA.xz            a malformed line in the last
#                                        rank's rows: exit code 3, its line in the message
#   mpi_test.sh SHINE SHINE_MPI WORKDIR killed-rank DATA.xz         a rank killed mid-run ends
#                                        the job within seconds, with a non-zero code
#   mpi_test.sh SHINE SHINE_MPI WORKDIR resume DATA.xz ARGS...      2 ranks: a run stopped after
#                                        3 evaluations with --checkpoint, resumed to 6, gives the
#                                        bits of a 6-evaluation run; resuming with 3 ranks is
#                                        refused (exit 2, the fingerprint names the 2 processes)
#   mpi_test.sh SHINE SHINE_MPI WORKDIR compressed DATA.xz          a compressed file with 2 ranks
#                                        (it cannot be cut into byte ranges): exit code 2, no hang
#
# DATA.xz may read shared:PATH: PATH under the shared data folder ($SHINE_DATA_DIR, else
# $SHINE_DEFAULT_DATA_DIR). A missing DATA.xz (a shared dataset not present) skips the test
# (exit 77).
set -uo pipefail
shine=$1 shine_mpi=$2 work=$3 case=$4 data=$5
shift 5
if [[ $data == shared:* ]]; then
  data="${SHINE_DATA_DIR:-${SHINE_DEFAULT_DATA_DIR:-}}/${data#shared:}"
fi
if [ ! -f "$data" ]; then
  echo "SKIP: $data is not here"
  exit 77
fi
mkdir -p "$work"
cd "$work" || exit 1
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
mpi=(mpirun --oversubscribe --mca btl_vader_single_copy_mechanism none)
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
fail() { echo "FAIL: $*"; exit 1; }

plain=$(basename "$data" .xz).svm
[ -s "$plain" ] || xz -dc "$data" > "$plain" || fail "cannot decompress $data"

# Relative difference of lambda and of w between two model files.
compare() {
  python3 - "$1" "$2" <<'PY'
import json, math, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
wa, wb = a["weights"] + [a["intercept"]], b["weights"] + [b["intercept"]]
dl = abs(a["lambda"] - b["lambda"]) / abs(a["lambda"])
dw = math.sqrt(sum((x - y) ** 2 for x, y in zip(wa, wb))) / max(math.sqrt(sum(x * x for x in wa)), 1e-300)
print(f"{dl:.3e} {dw:.3e}")
PY
}

case $case in
  agree | agree-once | weighted)
    if [ "$case" = weighted ]; then
      awk '!/^[[:space:]]*(#|$)/ { print (NR % 4) * 0.5 }' "$plain" > weights.txt
      set -- "$@" --weights weights.txt --class-weight balanced
    fi
    "$shine" tune "$plain" --quiet "$@" --model one.json > one.txt || fail "one process: $(cat one.txt)"
    for ranks in 1 2 3; do
      "${mpi[@]}" -np $ranks "$shine_mpi" tune "$plain" --quiet "$@" --model "p$ranks.json" \
        --json "p$ranks-run.json" > "p$ranks.txt" || fail "$ranks ranks: $(cat "p$ranks.txt")"
      read -r dl dw < <(compare one.json "p$ranks.json")
      echo "$ranks ranks: lambda differs by $dl, w by $dw (relative)"
      python3 -c "import sys; sys.exit(0 if float('$dl') <= 1e-10 and float('$dw') <= 1e-10 else 1)" ||
        fail "$ranks ranks: lambda or w differs from one process by more than 1e-10"
    done
    [ "$case" = agree-once ] && exit 0
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$plain" --quiet "$@" --model p2-again.json > p2-again.txt ||
      fail "2 ranks, again: $(cat p2-again.txt)"
    # The description names the output file: compare everything else.
    python3 - p2.json p2-again.json <<'PY' || fail "two runs with 2 ranks differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("description"); b.pop("description")
sys.exit(0 if a == b else 1)
PY
    echo "2 ranks twice: identical"
    ;;
  repeat)
    "$shine" tune "$plain" --quiet "$@" --model one.json > one.txt || fail "one process"
    for run in 1 2; do
      "${mpi[@]}" -np 3 "$shine_mpi" tune "$plain" --quiet "$@" --model "r$run.json" > "r$run.txt" ||
        fail "3 ranks: $(cat "r$run.txt")"
    done
    python3 - r1.json r2.json <<'PY' || fail "two runs with 3 ranks differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("description"); b.pop("description")
sys.exit(0 if a == b else 1)
PY
    read -r dl dw < <(compare one.json r1.json)
    echo "3 ranks twice: identical; against one process lambda differs by $dl, w by $dw"
    python3 -c "import sys; sys.exit(0 if float('$dl') <= 5e-2 else 1)" ||
      fail "3 ranks: lambda differs from one process by more than 5e-2"
    ;;
  bad-line)
    lines=$(wc -l < "$plain")
    at=$((lines * 5 / 6))
    awk -v at="$at" 'NR == at { print "+1 3:1 0:2" } { print }' "$plain" > bad.svm
    start=$(date +%s)
    "${mpi[@]}" -np 3 "$shine_mpi" tune bad.svm --quiet > bad.out 2> bad.err
    code=$?
    elapsed=$(($(date +%s) - start))
    cat bad.err
    [ "$code" -eq 3 ] || fail "exit code $code, expected 3"
    grep -q "bad.svm:$at:" bad.err || fail "the message does not name bad.svm:$at"
    [ "$elapsed" -le 30 ] || fail "took $elapsed s"
    echo "bad line $at on the last rank: exit 3 in $elapsed s"
    ;;
  killed-rank)
    # A long run: many tightly solved grid points.
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$plain" --quiet --method grid --candidates 400 \
      --grid-tolerance 1e-14 > killed.out 2> killed.err &
    launcher=$!
    ranks=""
    for _ in $(seq 1 100); do
      ranks=$(pgrep -P "$launcher" -f shine-mpi | tr '\n' ' ')
      [ "$(echo "$ranks" | wc -w)" -ge 2 ] && break
      sleep 0.1
    done
    [ "$(echo "$ranks" | wc -w)" -ge 2 ] || { kill "$launcher"; fail "the ranks did not start"; }
    sleep 2
    victim=$(echo "$ranks" | awk '{ print $2 }')
    start=$(date +%s)
    kill -9 "$victim"
    code=0
    for _ in $(seq 1 300); do
      kill -0 "$launcher" 2> /dev/null || break
      sleep 0.1
    done
    if kill -0 "$launcher" 2> /dev/null; then
      kill -9 "$launcher"
      fail "the job still runs 30 s after a rank was killed"
    fi
    wait "$launcher"
    code=$?
    elapsed=$(($(date +%s) - start))
    tail -n 5 killed.err
    [ "$code" -ne 0 ] || fail "exit code 0 after a rank was killed"
    [ "$elapsed" -le 15 ] || fail "the job ended $elapsed s after the kill"
    echo "killed rank: the job ended in $elapsed s with exit code $code"
    ;;
  resume)
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$plain" --quiet "$@" --max-iterations 6 \
      --json whole.json --model whole-model.json > whole.txt 2>&1 || fail "whole run: $(cat whole.txt)"
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$plain" --quiet "$@" --max-iterations 3 \
      --checkpoint run.ckpt > stopped.txt 2>&1 || fail "stopped run: $(cat stopped.txt)"
    [ -s run.ckpt ] || fail "no checkpoint written"
    [ ! -e run.ckpt.tmp ] || fail "a temporary checkpoint was left behind"
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$plain" --quiet "$@" --max-iterations 6 \
      --resume run.ckpt --json resumed.json --model resumed-model.json > resumed.txt 2>&1 ||
      fail "resumed run: $(cat resumed.txt)"
    python3 - whole.json resumed.json whole-model.json resumed-model.json <<'PY' ||
import json, sys
whole, resumed, a, b = (json.load(open(p)) for p in sys.argv[1:5])
thetas = lambda run: [r["theta"] for r in run["records"]]
assert len(whole["records"]) == 6, f"{len(whole['records'])} evaluations, expected 6"
assert thetas(whole) == thetas(resumed), f"{thetas(whole)} != {thetas(resumed)}"
assert resumed["run"]["resumed_evaluations"] == 3, resumed["run"]
a.pop("description"); b.pop("description")
assert a == b, "the models differ"
PY
      fail "the resumed run differs from the whole run"
    echo "2 ranks: stopped after 3 evaluations and resumed, the bits of the whole run"
    "${mpi[@]}" -np 3 "$shine_mpi" tune "$plain" --quiet "$@" --max-iterations 6 \
      --resume run.ckpt > other.out 2> other.err
    code=$?
    cat other.err
    [ "$code" -eq 2 ] || fail "resuming with 3 ranks: exit code $code, expected 2"
    grep -q "over 2 processes" other.err || fail "the message does not name the 2 processes"
    echo "resuming with 3 ranks: refused"
    ;;
  compressed)
    start=$(date +%s)
    "${mpi[@]}" -np 2 "$shine_mpi" tune "$data" --quiet > compressed.out 2> compressed.err
    code=$?
    elapsed=$(($(date +%s) - start))
    cat compressed.err
    [ "$code" -eq 2 ] || fail "exit code $code, expected 2"
    grep -q "is compressed" compressed.err || fail "no message about the compression"
    [ "$elapsed" -le 30 ] || fail "took $elapsed s"
    ;;
  *)
    fail "unknown case $case"
    ;;
esac
