"""Every accepted input form gives the same dataset; every bad input is a clear exception."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

import shine
from shine import _core


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = sp.random(300, 40, density=0.2, format="csr", random_state=1)
    w = rng.normal(size=40)
    y = np.where(X @ w + 0.3 * rng.normal(size=300) > 0, 1, 0)
    return X, y


def fitted_coef(X, y, **kwargs):
    result = shine.fit(X, y, 0.1, tol=1e-10, **kwargs)
    assert result["termination"] == "converged"
    return result["coef"]


def test_every_matrix_form_gives_the_same_fit(problem):
    X, y = problem
    expected = fitted_coef(X, y)
    dense = X.toarray()
    forms = {
        "csc": X.tocsc(),
        "coo": X.tocoo(),
        "lil": X.tolil(),
        "dok": X.todok(),
        "bsr": X.tobsr(),
        "dense C order": np.ascontiguousarray(dense),
        "dense Fortran order": np.asfortranarray(dense),
        "dense list": dense.tolist(),
        "int64 indices": sp.csr_matrix(
            (X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)), shape=X.shape
        ),
    }
    for name, form in forms.items():
        np.testing.assert_array_equal(fitted_coef(form, y), expected, err_msg=name)


def test_float32_values_are_widened_without_a_copy_by_scipy(problem):
    X, y = problem
    X32 = X.astype(np.float32)
    expected = fitted_coef(X32.astype(np.float64), y)
    np.testing.assert_array_equal(fitted_coef(X32, y), expected)
    np.testing.assert_array_equal(fitted_coef(X32.toarray(), y), expected)
    np.testing.assert_array_equal(fitted_coef(X32.tocoo(), y), expected)


def test_unsorted_and_repeated_entries_are_sorted_and_summed(problem):
    X, y = problem
    coo = X.tocoo()
    # Every entry split into two halves, listed in reverse order.
    row = np.concatenate([coo.row, coo.row])[::-1]
    col = np.concatenate([coo.col, coo.col])[::-1]
    data = np.concatenate([coo.data * 0.5, coo.data * 0.5])[::-1]
    repeated_coo = sp.coo_matrix((data, (row, col)), shape=X.shape)
    expected = fitted_coef(sp.csr_matrix((data, (row, col)), shape=X.shape), y)
    np.testing.assert_array_equal(fitted_coef(repeated_coo, y), expected)
    # CSR and CSC with unsorted, repeated indices inside each row / column.
    for fmt in ("csr", "csc"):
        unsorted = getattr(repeated_coo, "to" + fmt)(copy=True)
        # SciPy sums repeated entries when converting from COO; rebuild them unsummed.
        unsorted = _unsorted(unsorted, fmt)
        assert not unsorted.has_canonical_format
        np.testing.assert_array_equal(fitted_coef(unsorted, y), fitted_coef(X, y), err_msg=fmt)


def _unsorted(m, fmt):
    # Each stored entry becomes two halves, the halves of a row / column reversed.
    indptr, indices, data = m.indptr, m.indices, m.data
    new_indices, new_data, new_indptr = [], [], [0]
    for k in range(len(indptr) - 1):
        idx = indices[indptr[k] : indptr[k + 1]]
        val = data[indptr[k] : indptr[k + 1]]
        new_indices.extend(np.concatenate([idx, idx])[::-1])
        new_data.extend(np.concatenate([val * 0.5, val * 0.5])[::-1])
        new_indptr.append(len(new_indices))
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    return cls(
        (np.array(new_data), np.array(new_indices, dtype=np.int32), np.array(new_indptr)),
        shape=m.shape,
    )


@pytest.mark.parametrize(
    "labels", [(0, 1), (-1, 1), (1, 2), ("ham", "spam"), (2.0, -7.0), (True, False)]
)
def test_labels_of_any_two_values(problem, labels):
    X, y01 = problem
    y = np.array(labels, dtype=object if isinstance(labels[0], str) else None)[y01]
    model = shine.LogisticRegressionTuned(random_state=0, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    # The positive class (+1 in the library) is classes_[1], predicted when x'w + b > 0.
    scores = model.decision_function(X)
    np.testing.assert_array_equal(model.predict(X), np.where(scores > 0, *model.classes_[::-1]))
    # Swapping which value is larger flips the sign of the weights and nothing else.
    signs = np.where(y == model.classes_[1], 1, 0)
    reference = shine.LogisticRegressionTuned(random_state=0, n_jobs=1).fit(X, signs)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


BAD_INPUTS = {
    "NaN": (lambda X, y: (_with(X, np.nan), y), "NaN"),
    "infinity": (lambda X, y: (_with(X, np.inf), y), "infinity"),
    "too few labels": (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    "one-dimensional X": (lambda X, y: (_dense(X)[:, 0], y), "Expected 2D array"),
    "one class": (lambda X, y: (X, np.ones_like(y)), "one class"),
    "three classes": (lambda X, y: (X, np.arange(len(y)) % 3), "3 classes"),
    "no rows": (lambda X, y: (X[:0], y[:0]), "0 sample"),
    "no features": (lambda X, y: (X[:, :0], y), "0 feature"),
    "two-column y": (lambda X, y: (X, np.column_stack([y, y])), "y should be a 1d array"),
    "continuous labels": (lambda X, y: (X, np.linspace(0, 1, len(y))), "Unknown label type"),
}


def _with(X, value):
    X = X.tolil() if sp.issparse(X) else X.copy()
    X[3, 4] = value
    return X.tocsr() if sp.issparse(X) else X


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_a_value_error(problem, case):
    X, y = problem
    make, message = BAD_INPUTS[case]
    for form in (X.toarray(), X):
        bad_X, bad_y = make(form, y)
        for run in (
            lambda: shine.LogisticRegressionTuned().fit(bad_X, bad_y),
            lambda: shine.fit(bad_X, bad_y, 1.0),
            lambda: shine.tune(bad_X, bad_y, bad_X, bad_y),
        ):
            with pytest.raises(ValueError, match=message):
                run()


def test_core_rejects_malformed_buffers():
    labels = np.array([1.0, -1.0])
    indptr = np.array([0, 1, 2], dtype=np.int32)
    data = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="outside"):
        _core.dataset_csr((2, 3), indptr, np.array([0, 3], dtype=np.int32), data, labels)
    with pytest.raises(ValueError, match="decreases"):
        _core.dataset_csr((2, 3), np.array([0, 2, 1], dtype=np.int32),
                          np.array([0, 1], dtype=np.int32), data, labels)
    with pytest.raises(ValueError, match="past"):
        _core.dataset_csr((2, 3), np.array([0, 1, 5], dtype=np.int32),
                          np.array([0, 1], dtype=np.int32), data, labels)
    with pytest.raises(ValueError, match="not finite"):
        _core.dataset_coo((2, 3), np.array([0, 1]), np.array([0, 1]),
                          np.array([1.0, np.nan], dtype=np.float32), labels)
    with pytest.raises(ValueError, match="must be -1 or \\+1"):
        _core.dataset_dense(np.ones((2, 3)), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="int32 or int64"):
        _core.dataset_csr((2, 3), indptr.astype(np.uint8), np.array([0, 1], dtype=np.int32),
                          data, labels)


def test_validation_and_test_sets_are_checked(problem):
    X, y = problem
    with pytest.raises(ValueError, match="X_val has 39 features, but X_train has 40"):
        shine.tune(X, y, X[:, :39], y)
    with pytest.raises(ValueError, match="not one of the training classes"):
        shine.tune(X, y, X, y + 5)
    with pytest.raises(ValueError, match="give both X_test and y_test"):
        shine.tune(X, y, X, y, X_test=X)
    with pytest.raises(ValueError, match="one group id per feature"):
        shine.tune(X, y, X, y, groups=np.zeros(3, dtype=int))


def test_options_are_checked_by_the_library(problem):
    X, y = problem
    with pytest.raises(shine.OptionError, match="secant.theta_tolerance") as error:
        shine.tune(X, y, X, y, options={"secant.theta_tolerance": 5.0})
    assert error.value.option == "secant.theta_tolerance"
    with pytest.raises(ValueError, match="unknown tuning option 'no_such_option'"):
        shine.tune(X, y, X, y, options={"no_such_option": 1})
    with pytest.raises(ValueError, match="must be hoag, shine"):
        shine.tune(X, y, X, y, options={"method": "newton"})
    with pytest.raises(ValueError, match="^tol=-1: TuneOptions::secant.theta_tolerance"):
        shine.LogisticRegressionTuned(tol=-1).fit(X, y)
    with pytest.raises(ValueError, match="^method='bfgs': "):
        shine.LogisticRegressionTuned(method="bfgs").fit(X, y)
    with pytest.raises(ValueError, match="set it with the parameter 'max_iter'"):
        shine.LogisticRegressionTuned(options={"max_iterations": 3}).fit(X, y)
    with pytest.raises(ValueError, match="^max_iter=1000000000000000000000: .* out of range"):
        shine.LogisticRegressionTuned(max_iter=10**21).fit(X, y)
    with pytest.raises(ValueError, match="must be True or False"):
        shine.LogisticRegressionTuned(fit_intercept="yes").fit(X, y)
    with pytest.raises(ValueError, match="lambda_init"):
        shine.LogisticRegressionTuned(lambda_init=0.0).fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction"):
        shine.LogisticRegressionTuned(validation_fraction=1.5).fit(X, y)
    with pytest.raises(ValueError, match="n_jobs"):
        shine.fit(X, y, 1.0, n_jobs=0)
    with pytest.raises(ValueError, match="lambda"):
        shine.fit(X, y, -1.0)


def test_options_reach_the_library(problem):
    X, y = problem
    result = shine.tune(X, y, X, y, options={"method": "grid", "candidates": 4})
    assert len(result["records"]) == 4
    assert all(np.isnan(r["hypergradient_norm"]) for r in result["records"])
    names = [row["name"] for row in shine.tune_options()]
    assert names[0] == "method" and "secant.theta_tolerance" in names
    model = shine.LogisticRegressionTuned(
        method="hoag", options={"step.rule": "double"}, max_iter=3, random_state=0
    ).fit(X, y)
    assert model.n_iter_ == 3
    # NumPy scalars are numbers and switches like Python's.
    numpy_scalars = shine.LogisticRegressionTuned(
        max_iter=np.int64(3), tol=np.float32(0.5), fit_intercept=np.bool_(False), random_state=0
    ).fit(X, y)
    assert numpy_scalars.n_iter_ <= 3 and numpy_scalars.intercept_[0] == 0.0


def test_feature_groups_give_one_lambda_per_group(problem):
    X, y = problem
    groups = np.arange(X.shape[1]) % 3
    result = shine.tune(X, y, X, y, groups=groups, options={"max_iterations": 5})
    assert result["lambdas"].shape == (3,)
    assert result["records"][0]["lambda"].shape == (3,)


def test_load_svmlight(tmp_path, problem):
    X, y = problem
    path = tmp_path / "data.svm"
    lines = []
    for i in range(X.shape[0]):
        row = X.getrow(i)
        entries = " ".join(f"{j + 1}:{v!r}" for j, v in zip(row.indices, row.data))
        lines.append(f"{y[i]} {entries}")
    path.write_text("\n".join(lines) + "\n")
    ours_X, ours_y = shine.load_svmlight(path, n_features=X.shape[1])
    theirs_X, theirs_y = load_svmlight_file(str(path), n_features=X.shape[1])
    assert (ours_X != theirs_X).nnz == 0
    np.testing.assert_array_equal(ours_y, theirs_y)
    with pytest.raises(OSError, match="no-such-file.svm"):
        shine.load_svmlight(tmp_path / "no-such-file.svm")
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:2\n1 0:1\n")
    with pytest.raises(ValueError, match="bad.svm:2:3: index 0 is not allowed"):
        shine.load_svmlight(bad)


def test_predictions_check_the_feature_count(problem):
    X, y = problem
    model = shine.LogisticRegressionTuned(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 39 features"):
        model.predict(X[:, :39])
    probabilities = model.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), probabilities)
