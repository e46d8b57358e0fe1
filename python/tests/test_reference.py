"""Results against scikit-learn and against the command-line tool, on the shipped SpamAssassin set."""

import json
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression

import shine
from conftest import SPAMASSASSIN


def gradient_norm(X, y, w, lam):
    margins = y * (X @ w)
    return np.linalg.norm(-(X.T @ (y * expit(-margins))) + lam * w)


# newton-cg's line search gives up once it stands at the minimizer to rounding, and says so.
@pytest.mark.filterwarnings("ignore:The line search algorithm did not converge")
@pytest.mark.filterwarnings("ignore:Line Search failed")
def test_fit_matches_scikit_learn(spamassassin):
    # shine minimizes sum_i log(1 + exp(-y_i x_i'w)) + lam/2 |w|^2, scikit-learn
    # C sum_i log(...) + 1/2 |w|^2: the same minimizer for C = 1/lam. scikit-learn's newton-cg is
    # used: its default lbfgs stops on a relative decrease of the objective of 64 eps (scipy's
    # ftol), here at |grad| ~ 3e-3, about 1e-4 from the minimizer, whatever `tol` says.
    X, y = spamassassin
    lam = 1.0
    ours = shine.fit(X, y, lam, tol=1e-10, max_iter=10000)
    assert ours["termination"] == "converged"
    theirs = LogisticRegression(
        C=1.0 / lam, fit_intercept=False, tol=1e-10, max_iter=10000, solver="newton-cg"
    ).fit(X, y)
    reference = theirs.coef_[0]
    assert np.linalg.norm(ours["coef"] - reference) <= 1e-6 * np.linalg.norm(reference)
    # shine's own solution is stationary (independently of scikit-learn).
    signs = np.where(y == ours["classes"][1], 1.0, -1.0)
    assert gradient_norm(X, signs, ours["coef"], lam) <= 1e-6


def _part(path, n_features):
    # The command reads validation and test files with the training file's feature count and
    # drops the features beyond it.
    X, y = load_svmlight_file(str(path))
    if X.shape[1] > n_features:
        X = X[:, :n_features]
    elif X.shape[1] < n_features:
        X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], n_features))
    return X, y


def test_tune_equals_the_command_bit_for_bit(shine_cli, tmp_path):
    subprocess.run(
        [shine_cli, "data", "split", str(SPAMASSASSIN), "--out", str(tmp_path),
         "--split", "0.9,0.05,0.05", "--seed", "0"],
        check=True, capture_output=True,
    )
    parts = {role: tmp_path / f"spamassassin.{role}.svm" for role in ("train", "validation", "test")}
    run = tmp_path / "run.json"
    subprocess.run(
        [shine_cli, "tune", str(parts["train"]), "--validation", str(parts["validation"]),
         "--test", str(parts["test"]), "--json", str(run), "--quiet"],
        check=True, capture_output=True,
    )
    expected = json.loads(run.read_text())

    X_train, y_train = load_svmlight_file(str(parts["train"]))
    X_val, y_val = _part(parts["validation"], X_train.shape[1])
    X_test, y_test = _part(parts["test"], X_train.shape[1])
    result = shine.tune(X_train, y_train, X_val, y_val, X_test, y_test)

    assert result["termination"] == "converged"
    assert result["lambda"] == expected["lambda"]
    assert result["validation_loss"] == expected["validation_loss"]
    assert result["test_loss"] == expected["test_loss"]
    assert [r["validation_loss"] for r in result["records"]] == [
        r["validation_loss"] for r in expected["records"]
    ]


def test_estimator_split_equals_the_command(shine_cli, tmp_path, spamassassin):
    # The estimator splits with shine's own stratified, seeded split: without a refit it finds
    # the lambda of `shine tune FILE --split 1-f,f,0 --stratify --seed S` (3 outer iterations
    # here, enough to compare whole trajectories).
    run = tmp_path / "run.json"
    subprocess.run(
        [shine_cli, "tune", str(SPAMASSASSIN), "--split", "0.95,0.05,0", "--stratify",
         "--seed", "7", "--max-iterations", "3", "--json", str(run), "--quiet"],
        check=True, capture_output=True,
    )
    expected = json.loads(run.read_text())
    X, y = spamassassin
    model = shine.LogisticRegressionTuned(
        validation_fraction=0.05, random_state=7, max_iter=3, fit_intercept=False, refit=False
    ).fit(X, y)
    assert model.lambda_ == expected["lambda"]
    np.testing.assert_array_equal(
        model.cv_results_["validation_loss"], [r["validation_loss"] for r in expected["records"]]
    )
    np.testing.assert_array_equal(
        model.cv_results_["returned"], [r["returned"] for r in expected["records"]]
    )
    np.testing.assert_array_equal(
        model.cv_results_["provisional"], [r["provisional"] for r in expected["records"]]
    )
    assert model.cv_results_["lambda"][model.cv_results_["returned"][-1]] == model.lambda_


@pytest.mark.parametrize("cv", [None, 3])
def test_refit_is_as_accurate_as_the_tuners_final_solve(spamassassin, cv):
    # The refit on all rows starts from the tuner's model and stops at the tuner's final-solve
    # rule, |grad h| <= final_tol * lambda * |start|, so that |w - w*| <= final_tol * |start|
    # (h is lambda-strongly convex); w* here is an exact solve from zero.
    X, y = spamassassin
    model = shine.LogisticRegressionTuned(cv=cv, random_state=0, n_jobs=1, max_iter=6).fit(X, y)
    start_model = shine.LogisticRegressionTuned(
        cv=cv, random_state=0, n_jobs=1, max_iter=6, refit=False
    ).fit(X, y)
    assert start_model.lambda_ == model.lambda_
    start = np.append(start_model.coef_.ravel(), start_model.intercept_)
    exact = shine.fit(X, y, model.lambda_, fit_intercept=True, tol=1e-12, max_iter=100000)
    ours = np.append(model.coef_.ravel(), model.intercept_)
    reference = np.append(exact["coef"], exact["intercept"])
    assert np.linalg.norm(ours - reference) <= model.final_tol * np.linalg.norm(start)
