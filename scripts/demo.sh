#!/usr/bin/env bash
# The main job on the dataset the repository ships. Called by `make demo` with the path of the
# shine binary and of the dataset.
set -euo pipefail
shine=${1:-build/bin/shine}
data=${2:-datasets/spamassassin/spamassassin.uni.svm.xz}
out_dir=$(dirname "$shine")/../demo

echo "== shine demo on $data"
echo "   (the tuner is not part of this build yet: the demo shows the data layer — load,"
echo "    describe and split the shipped dataset as tuning will use it)"
echo
"$shine" data info "$data"
echo
echo "== train / validation / test split (90 / 5 / 5, seed 0, as in the SHINE paper)"
"$shine" data split "$data" --out "$out_dir" --seed 0
