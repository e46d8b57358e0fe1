#!/usr/bin/python3
"""k-fold tuning configurations of shine side by side on every shared dataset: how long each
takes and the cross-validated log-loss of the lambda it returns.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/cv_configs.py \
        [--datasets 20news,imdb-uni,...] [--configs default,warm-memory,hoag] [--seeds 0,1] \
        [--jobs 1] [--out build/bench-cv-configs]

A configuration is ``NAME`` = a set of ``LogisticRegressionTuned(cv=5, ...)`` options (see
CONFIGS). Each run is timed (``fit``), then scored the same way for all: the lambda it chose is
refitted by ``shine.fit`` (relative gradient tolerance 1e-10) on each training part of
scikit-learn's StratifiedKFold(5, shuffle=True, random_state=seed) and the mean of the five
validation log-losses is its CV log-loss. A run is "within 1 %" when that loss is at most 1 %
above the best any configuration reached on the dataset and seed. Writes ``results.json`` and
prints a Markdown table (median time, worst excess over the best, runs within 1 %).
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

import shine  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cv_benchmark import DATA, DATASETS, load  # noqa: E402

CONFIGS = {
    "default": {},
    "warm-memory": {"options": {"warm_memory": "on"}},
    "cold-memory": {"options": {"warm_memory": "off"}},
    "hoag": {"method": "hoag"},
    "shine-opa": {"method": "shine-opa"},
}


def cv_loss(X, y, folds, lam, jobs):
    losses = []
    for train, val in folds:
        fitted = shine.fit(X[train], y[train], lam, fit_intercept=True, tol=1e-10,
                           max_iter=100000, n_jobs=jobs)
        classes = fitted["classes"]
        z = X[val] @ fitted["coef"] + fitted["intercept"]
        p = 1.0 / (1.0 + np.exp(-z))
        losses.append(log_loss(y[val], np.column_stack([1 - p, p]), labels=classes))
    return float(np.mean(losses))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--data-dir", default=DATA)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default="build/bench-cv-configs")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rows = []
    for name in args.datasets.split(","):
        if not os.path.exists(os.path.join(args.data_dir, DATASETS[name][0])):
            print(f"{name}: absent, skipped", flush=True)
            continue
        X, y, _, _ = load(name, args.data_dir)
        for seed in [int(s) for s in args.seeds.split(",")]:
            folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=seed)
                         .split(np.zeros(len(y)), y))
            for config in args.configs.split(","):
                settings = dict(CONFIGS[config])
                model = shine.LogisticRegressionTuned(cv=args.folds, random_state=seed,
                                                      n_jobs=args.jobs, **settings)
                start = time.perf_counter()
                model.fit(X, y)
                seconds = time.perf_counter() - start
                lam = float(model.lambda_)
                row = {"dataset": name, "seed": seed, "config": config, "seconds": seconds,
                       "lambda": lam, "evaluations": int(model.n_iter_),
                       "cv_log_loss": cv_loss(X, y, folds, lam, args.jobs)}
                rows.append(row)
                print(f"{name} seed {seed} {config:12s} {seconds:7.2f} s  lambda {lam:.4g}  "
                      f"evaluations {row['evaluations']:3d}  CV log-loss {row['cv_log_loss']:.5f}",
                      flush=True)
    with open(os.path.join(args.out, "results.json"), "w") as out:
        json.dump(rows, out, indent=1)

    best = {}
    for row in rows:
        key = (row["dataset"], row["seed"])
        best[key] = min(best.get(key, np.inf), row["cv_log_loss"])
    print()
    print("| dataset | configuration | seeds | median fit s | median evaluations | "
          "worst CV log-loss over the best | within 1 % |")
    print("|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["dataset"] for r in rows):
        for config in args.configs.split(","):
            mine = [r for r in rows if r["dataset"] == name and r["config"] == config]
            if not mine:
                continue
            excess = [r["cv_log_loss"] / best[(name, r["seed"])] - 1 for r in mine]
            print(f"| {name} | {config} | {len(mine)} | "
                  f"{statistics.median(r['seconds'] for r in mine):.2f} | "
                  f"{statistics.median(r['evaluations'] for r in mine):g} | "
                  f"{100 * max(excess):.2f} % | "
                  f"{sum(e <= 0.01 for e in excess)}/{len(mine)} |")


if __name__ == "__main__":
    main()
