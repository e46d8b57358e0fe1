"""scikit-learn's estimator checks, and the round trips users rely on."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from shine import LogisticRegressionTuned


@parametrize_with_checks([LogisticRegressionTuned(random_state=0, n_jobs=1)])
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=400, n_features=20, n_informative=5, random_state=0, flip_y=0.05
    )
    return X, np.where(y == 1, "yes", "no")


def test_clone_keeps_parameters_and_drops_the_fit(data):
    X, y = data
    model = LogisticRegressionTuned(method="hoag", tol=0.05, random_state=3).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coef_")
    np.testing.assert_array_equal(copy.fit(X, y).coef_, model.coef_)


def test_pickle_round_trip_predicts_the_same(data):
    X, y = data
    model = LogisticRegressionTuned(random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.lambda_ == model.lambda_
    for key, column in model.cv_results_.items():
        np.testing.assert_array_equal(loaded.cv_results_[key], column)


def test_pipeline_and_grid_search(data):
    X, y = data
    pipeline = make_pipeline(StandardScaler(), LogisticRegressionTuned(random_state=0))
    assert pipeline.fit(X, y).score(X, y) > 0.8
    search = GridSearchCV(
        pipeline,
        {"logisticregressiontuned__validation_fraction": [0.1, 0.2]},
        cv=3,
    )
    search.fit(X, y)
    assert search.best_params_["logisticregressiontuned__validation_fraction"] in (0.1, 0.2)
    assert search.best_estimator_.predict(X).shape == (len(y),)


def test_docstring_example_runs():
    import doctest

    from shine import _estimator

    failures, tried = doctest.testmod(_estimator)
    assert tried > 0 and failures == 0
