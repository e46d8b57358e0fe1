"""Sample and class weights, and k-fold cross-validation, from Python."""

import json
import subprocess

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import shine
from shine import LogisticRegressionTuned


@pytest.fixture(scope="module")
def small():
    X, y = make_classification(
        n_samples=300, n_features=30, n_informative=6, random_state=1, flip_y=0.1
    )
    return X, y


# newton-cg's line search gives up once it stands at the minimizer to rounding, and says so.
@pytest.mark.filterwarnings("ignore:The line search algorithm did not converge")
@pytest.mark.filterwarnings("ignore:Line Search failed")
def test_weighted_fit_matches_scikit_learn(spamassassin):
    X, y = spamassassin
    X, y = X[:800].tocsc(), y[:800]
    X = X[:, np.flatnonzero(X.getnnz(axis=0))].tocsr()  # the words these e-mails use
    weights = np.random.default_rng(3).uniform(0.0, 3.0, size=X.shape[0])
    lam = 2.0
    ours = shine.fit(X, y, lam, sample_weight=weights, tol=1e-10, max_iter=10000)
    assert ours["termination"] == "converged"
    theirs = LogisticRegression(
        C=1.0 / lam, fit_intercept=False, tol=1e-10, max_iter=10000, solver="newton-cg"
    ).fit(X, y, sample_weight=weights)
    reference = theirs.coef_[0]
    assert np.linalg.norm(ours["coef"] - reference) <= 1e-6 * np.linalg.norm(reference)
    unweighted = shine.fit(X, y, lam, tol=1e-10, max_iter=10000)
    assert np.linalg.norm(unweighted["coef"] - reference) > 1e-3 * np.linalg.norm(reference)


def test_balanced_class_weight_is_scikit_learns(small):
    X, y = small
    y = y.copy()
    y[:60] = 0  # unbalance the classes
    counts = np.bincount(y)
    balanced = len(y) / (2.0 * counts[y])
    by_weight = LogisticRegressionTuned(random_state=0, n_jobs=1).fit(X, y, sample_weight=balanced)
    by_class = LogisticRegressionTuned(random_state=0, n_jobs=1, class_weight="balanced").fit(X, y)
    np.testing.assert_array_equal(by_class.coef_, by_weight.coef_)
    assert by_class.lambda_ == by_weight.lambda_
    as_dict = LogisticRegressionTuned(
        random_state=0, n_jobs=1, class_weight={0: len(y) / (2.0 * counts[0]),
                                                1: len(y) / (2.0 * counts[1])}
    ).fit(X, y)
    np.testing.assert_allclose(as_dict.coef_, by_class.coef_, rtol=1e-12)
    plain = LogisticRegressionTuned(random_state=0, n_jobs=1).fit(X, y)
    assert not np.array_equal(plain.coef_, by_class.coef_)


def test_unit_weights_give_the_unweighted_fit_bit_for_bit(small):
    X, y = small
    plain = LogisticRegressionTuned(random_state=2, n_jobs=1).fit(X, y)
    ones = LogisticRegressionTuned(random_state=2, n_jobs=1).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(ones.coef_, plain.coef_)
    assert ones.lambda_ == plain.lambda_
    for model in (ones, plain):
        assert model.termination_ == "converged"


def test_bad_weights_are_clear_errors(small):
    X, y = small
    model = LogisticRegressionTuned(n_jobs=1)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="every sample weight is 0"):
        model.fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError):
        model.fit(X, y, sample_weight=np.ones(len(y) - 1))
    with pytest.raises(ValueError, match="class_weight"):
        LogisticRegressionTuned(class_weight="heavy").fit(X, y)


def test_cross_validation_tunes_on_every_fold(small):
    X, y = small
    model = LogisticRegressionTuned(cv=5, random_state=0, n_jobs=1, fit_intercept=False)
    model.fit(X, y)
    assert model.termination_ == "converged"
    assert model.best_score_ < 0
    assert len(model.cv_results_["lambda"]) == model.n_iter_
    # The CV objective is not the hold-out one: another lambda than a 10 % hold-out finds.
    holdout = LogisticRegressionTuned(random_state=0, n_jobs=1, fit_intercept=False).fit(X, y)
    assert model.lambda_ != holdout.lambda_
    # refit=False keeps the mean of the folds' models, at the same lambda.
    mean = LogisticRegressionTuned(
        cv=5, random_state=0, n_jobs=1, fit_intercept=False, refit=False
    ).fit(X, y)
    assert mean.lambda_ == model.lambda_
    assert not np.array_equal(mean.coef_, model.coef_)
    with pytest.raises(ValueError, match="cv must be an integer >= 2"):
        LogisticRegressionTuned(cv=1).fit(X, y)
    with pytest.raises(ValueError, match="cv=500"):
        LogisticRegressionTuned(cv=500).fit(X, y)


def test_cross_validation_finds_the_clis_lambda(shine_cli, tmp_path, small):
    # The same rows, folds and options as `shine tune --cv 4 --split 1,0,0`: the same lambda.
    X, y = small
    path = tmp_path / "small.svm"
    with open(path, "w") as f:
        for row, label in zip(X, y):
            f.write(("+1" if label == 1 else "-1") + "".join(
                f" {j + 1}:{v!r}" for j, v in enumerate(row) if v != 0.0) + "\n")
    run = subprocess.run(
        [shine_cli, "tune", str(path), "--cv", "4", "--split", "1,0,0", "--seed", "3",
         "--threads", "1", "--json", str(tmp_path / "run.json"), "-q"],
        check=True, capture_output=True, text=True,
    )
    assert "(4 folds)" in run.stdout
    cli = json.loads((tmp_path / "run.json").read_text())
    X_read, y_read = shine.load_svmlight(str(path))
    model = LogisticRegressionTuned(
        cv=4, random_state=3, n_jobs=1, fit_intercept=False, refit=False
    ).fit(X_read, y_read)
    assert model.lambda_ == cli["lambda"]
    assert -model.best_score_ == cli["validation_loss"]
