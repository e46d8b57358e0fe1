#!/usr/bin/python3
"""shine's scikit-learn estimator against what a scikit-learn user runs to choose C: time to
the chosen lambda and the 5-fold cross-validated log-loss of that lambda.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/cv_benchmark.py \
        --datasets 20news,imdb-uni [--repeats 3] [--jobs 1] [--out build/bench-python]

Runs, on each dataset's training rows, with the same 5 stratified folds (scikit-learn's
StratifiedKFold(5, shuffle=True, random_state=0)) wherever a method takes folds:

- ``shine hold-out``: ``LogisticRegressionTuned()`` (its defaults: 10 % validation split);
- ``shine 5-fold``: ``LogisticRegressionTuned(cv=5)`` (shine's own stratified folds);
- ``LogisticRegressionCV``: ``Cs=20`` values in [1e-4, 1e4] (its default range, twice as
  dense), the 5 folds, ``scoring='neg_log_loss'``, lbfgs, tol 1e-4 (its defaults), refit;
- ``GridSearchCV``: ``LogisticRegression(warm_start=True)`` over the same 20 values of C, the
  5 folds, ``scoring='neg_log_loss'``, refit. (GridSearchCV clones the estimator for every fit,
  so warm_start carries nothing from one C to the next: this is what its users get.)

Every method fits an intercept (all four leave it unregularized). Timed: ``fit`` alone, the
wall-clock minimum over ``--repeats`` runs, in one process with every method at ``--jobs``
threads (n_jobs for shine and for scikit-learn's parallel folds; BLAS pinned to one thread).

Scored after timing, the same way for every method: the lambda (= 1/C) it chose is refitted on
each of the 5 folds' training rows by ``LogisticRegression(C, tol=1e-10)`` and the mean of the
validation log-losses (per row, as scikit-learn's ``log_loss``) is its CV log-loss. The held-out
log-loss of the returned model on the dataset's test file is reported too.

Writes ``results.json`` and prints a Markdown table. Needs Debian's python3-numpy,
python3-scipy and python3-sklearn, and shine's Python module (``make build``).
"""

import argparse
import json
import os
import sys
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
    os.environ.setdefault(_var, "1" if _var != "OMP_WAIT_POLICY" else "passive")

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

import shine  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")

# name -> (training file, test file or None: then a seeded 80/20 split of the one file)
DATASETS = {
    "20news": ("20news-sklearn/20news.svm.xz", None),
    "imdb-uni": ("imdb/imdb.uni.train.svm.xz", "imdb/imdb.uni.test.svm.xz"),
    "imdb-bi": ("imdb/imdb.bi.train.svm.xz", "imdb/imdb.bi.test.svm.xz"),
    "reuters-acq": ("reuters21578-acq/reuters-acq.uni.train.svm.xz",
                    "reuters21578-acq/reuters-acq.uni.test.svm.xz"),
    "spamassassin": ("spamassassin/spamassassin.uni.svm.xz", None),
    "a9a": ("libsvm-a9a-a8a-w8a/a9a.xz", "libsvm-a9a-a8a-w8a/a9a.t.xz"),
    "w8a": ("libsvm-a9a-a8a-w8a/w8a.xz", None),
}

C_GRID = np.logspace(-4, 4, 20)
FOLDS = 5


def load(name, data_dir):
    train_file, test_file = DATASETS[name]
    X, y = shine.load_svmlight(os.path.join(data_dir, train_file))
    if test_file is None:
        rng = np.random.default_rng(0)
        order = rng.permutation(X.shape[0])
        cut = int(0.8 * X.shape[0])
        return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    Xt, yt = shine.load_svmlight(os.path.join(data_dir, test_file), n_features=X.shape[1])
    return X, y, Xt, yt


def folds_of(y):
    return list(StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


def methods(folds, jobs):
    """name -> (make an unfitted estimator, read its chosen lambda)."""
    return {
        "shine hold-out": (lambda: shine.LogisticRegressionTuned(random_state=0, n_jobs=jobs),
                           lambda m: float(m.lambda_)),
        "shine 5-fold": (lambda: shine.LogisticRegressionTuned(cv=FOLDS, random_state=0,
                                                               n_jobs=jobs),
                         lambda m: float(m.lambda_)),
        "LogisticRegressionCV": (
            lambda: LogisticRegressionCV(Cs=C_GRID, cv=folds, scoring="neg_log_loss",
                                         solver="lbfgs", max_iter=1000, n_jobs=jobs),
            lambda m: 1.0 / float(m.C_[0])),
        "GridSearchCV": (
            lambda: GridSearchCV(LogisticRegression(solver="lbfgs", max_iter=1000,
                                                    warm_start=True),
                                 {"C": C_GRID}, cv=folds, scoring="neg_log_loss", n_jobs=jobs),
            lambda m: 1.0 / float(m.best_params_["C"])),
    }


def cv_log_loss(X, y, folds, lam):
    """Mean validation log-loss over `folds` of LogisticRegression(C = 1/lam) fitted tightly."""
    losses = []
    for train, val in folds:
        model = LogisticRegression(C=1.0 / lam, tol=1e-10, max_iter=10000)
        model.fit(X[train], y[train])
        losses.append(log_loss(y[val], model.predict_proba(X[val])))
    return float(np.mean(losses))


def test_log_loss(model, Xt, yt):
    return float(log_loss(yt, model.predict_proba(Xt), labels=model.classes_))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="20news,imdb-uni")
    parser.add_argument("--data-dir", default=DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--methods", default=None,
                        help="comma-separated subset of the methods (default: all)")
    parser.add_argument("--out", default="build/bench-python")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    results = []
    for name in args.datasets.split(","):
        if name not in DATASETS:
            sys.exit(f"unknown dataset {name!r}: one of {', '.join(DATASETS)}")
        path = os.path.join(args.data_dir, DATASETS[name][0])
        if not os.path.exists(path):
            print(f"{name}: {path} absent, skipped", flush=True)
            continue
        X, y, Xt, yt = load(name, args.data_dir)
        folds = folds_of(y)
        print(f"{name}: {X.shape[0]} training rows, {X.shape[1]} features, {X.nnz} nonzeros; "
              f"{Xt.shape[0]} test rows", flush=True)
        table = methods(folds, args.jobs)
        chosen = args.methods.split(",") if args.methods else list(table)
        for method in chosen:
            make, chosen_lambda = table[method]
            times = []
            for _ in range(args.repeats):
                model = make()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    model.fit(X, y)
                    times.append(time.perf_counter() - start)
            lam = chosen_lambda(model)
            row = {
                "dataset": name,
                "method": method,
                "jobs": args.jobs,
                "seconds": min(times),
                "all_seconds": times,
                "lambda": lam,
                "cv_log_loss": cv_log_loss(X, y, folds, lam),
                "test_log_loss": test_log_loss(model, Xt, yt),
            }
            if method.startswith("shine"):
                row["evaluations"] = int(model.n_iter_)
            results.append(row)
            print(f"  {method:22s} {row['seconds']:8.2f} s  lambda {lam:.4g}  "
                  f"CV log-loss {row['cv_log_loss']:.5f}  test {row['test_log_loss']:.5f}",
                  flush=True)

    with open(os.path.join(args.out, "results.json"), "w") as out:
        json.dump(results, out, indent=1)
    print()
    print("| dataset | method | fit time (s) | λ chosen | CV log-loss | test log-loss | "
          "LogisticRegressionCV's time / this time |")
    print("|---|---|---|---|---|---|---|")
    for row in results:
        base = [r for r in results
                if r["dataset"] == row["dataset"] and r["method"] == "LogisticRegressionCV"]
        ratio = f"{base[0]['seconds'] / row['seconds']:.2g}×" if base else ""
        print(f"| {row['dataset']} | {row['method']} | {row['seconds']:.2f} | "
              f"{row['lambda']:.4g} | {row['cv_log_loss']:.5f} | {row['test_log_loss']:.5f} | "
              f"{ratio} |")


if __name__ == "__main__":
    main()
