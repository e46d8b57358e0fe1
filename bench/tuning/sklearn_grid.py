#!/usr/bin/python3
"""What a scikit-learn user runs instead of shine: a warm-started grid of 20 values of C with
LogisticRegression, each model scored on the validation set.

    /usr/bin/python3 bench/tuning/sklearn_grid.py --train T.svm --val V.svm --test E.svm --out R.json
        [--values 20] [--lo -4] [--hi 4] [--solver lbfgs] [--tol 1e-4]

C runs over numpy.logspace(lo, hi, values) (LogisticRegressionCV's default range, twice as dense),
from strong to weak regularization, with warm_start=True and fit_intercept=False: the objective
C·Σ log-loss + ½‖w‖² has shine's minimizer at λ = 1/C. Timed: the fits and the validation scores
(not the reading, not the test scores). Writes, like shine's JSON, one record per C with
elapsed_seconds, lambda, mean validation and test log-loss, and the solver's iteration count.
Needs Debian's python3-numpy, python3-scipy and python3-sklearn.
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.datasets import load_svmlight_files
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def mean_log_loss(X, y, w):
    margin = y * (X @ w)
    return float(np.mean(np.logaddexp(0.0, -margin)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--values", type=int, default=20)
    parser.add_argument("--lo", type=float, default=-4.0)
    parser.add_argument("--hi", type=float, default=4.0)
    parser.add_argument("--solver", default="lbfgs")
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()

    X, y, Xv, yv, Xt, yt = load_svmlight_files([args.train, args.val, args.test])
    X, Xv, Xt = X.tocsr(), Xv.tocsr(), Xt.tocsr()
    # Labels as ±1 (LIBSVM files may use 0/1).
    classes = np.unique(np.concatenate([y, yv, yt]))
    to_pm1 = lambda v: np.where(v == classes[-1], 1.0, -1.0)
    y, yv, yt = to_pm1(y), to_pm1(yv), to_pm1(yt)

    model = LogisticRegression(fit_intercept=False, warm_start=True, solver=args.solver,
                               tol=args.tol, max_iter=1000)
    records = []
    elapsed = 0.0
    for i, C in enumerate(np.logspace(args.lo, args.hi, args.values)):
        model.set_params(C=float(C))
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        w = model.coef_.ravel()
        validation = mean_log_loss(Xv, yv, w)
        elapsed += time.perf_counter() - start
        records.append({"iteration": i, "elapsed_seconds": elapsed, "lambda": 1.0 / C,
                        "theta": float(np.log(1.0 / C)), "validation_loss": validation,
                        "test_loss": mean_log_loss(Xt, yt, w),
                        "solver_iterations": int(np.max(model.n_iter_))})
    with open(args.out, "w") as out:
        json.dump({"format": "sklearn-grid", "solver": args.solver, "tol": args.tol,
                   "values": args.values, "total_seconds": elapsed, "records": records}, out,
                  indent=1)


if __name__ == "__main__":
    main()
