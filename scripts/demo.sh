#!/usr/bin/env bash
# The main job on the dataset the repository ships: tune lambda by SHINE on a 90/5/5 split
# and save the run and the model. Called by `make demo` with the path of the shine binary and of
# the dataset.
set -euo pipefail
shine=${1:-build/bin/shine}
data=${2:-datasets/spamassassin/spamassassin.uni.svm.xz}
out_dir=$(cd "$(dirname "$shine")/.." && pwd)/demo
mkdir -p "$out_dir"

echo "== shine tune on $data"
echo "   (defaults: SHINE with the secant step from lambda = 1, stopping when log(lambda) has"
echo "    converged; split 90 / 5 / 5 with seed 0; progress on stderr, one line per outer"
echo "    iteration, then the summary)"
echo
"$shine" tune "$data" --json "$out_dir/run.json" --model "$out_dir/model.json"
echo
echo "== the saved model on the held-out rows of the same split (shine predict; first 5 shown)"
"$shine" data split "$data" --out "$out_dir" --seed 0 >/dev/null
"$shine" predict "$out_dir/model.json" "$out_dir/spamassassin.test.svm" --probabilities \
  --output "$out_dir/predictions.txt"
head -n 6 "$out_dir/predictions.txt"
echo
echo "Files in $out_dir: run.json (the whole trajectory), model.json, predictions.txt"
