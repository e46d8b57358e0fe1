"""Module-level functions mirroring the C++ façade: ``tune``, ``fit`` and file and option helpers."""

import os

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_consistent_length

from . import _core
from ._data import check_matrix, encode_binary, encode_with, threads_of, to_dataset


def tune(
    X_train,
    y_train,
    X_val,
    y_val,
    X_test=None,
    y_test=None,
    *,
    groups=None,
    options=None,
    n_jobs=None,
    verbose=False,
):
    """Tune the L2 regularization lambda on a validation set (``shine::tune``).

    The model is fitted on the training set (the inner problem,
    ``sum_i log(1 + exp(-y_i x_i'w)) + lambda/2 ||w||^2``) and lambda is chosen to minimize the
    mean log-loss on the validation set (the outer problem). The test set, when given, is only
    reported in the records. Each matrix is copied once into the library's storage (see
    `LogisticRegressionTuned.fit`). The GIL is released while tuning; Ctrl-C raises
    `KeyboardInterrupt` within about one inner iteration.

    Parameters
    ----------
    X_train, X_val, X_test : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training, validation and (optional) test features, with the same number of features.
    y_train, y_val, y_test : array-like of shape (n_samples,)
        Labels of two classes; ``classes[1]`` (sorted) is the positive class. The validation and
        test labels must be training classes.
    groups : array-like of int of shape (n_features,), default=None
        One group id (0, 1, ...) per feature to tune one lambda per group
        (``TuneProblem::group_of``); None tunes one lambda.
    options : dict, default=None
        Tuning options by their name in the library's option table (`tune_options` lists them
        with defaults and ranges), e.g. ``{"method": "hoag", "max_iterations": 50,
        "objective.fit_intercept": True}``. Unset options keep the library's defaults.
    n_jobs : int, default=None
        Threads: None or -1 for all cores (or ``OMP_NUM_THREADS``). Results do not depend on it.
    verbose : bool, default=False
        Print one progress line per outer iteration to ``sys.stderr``.

    Returns
    -------
    result : dict
        ``lambda`` (the lambda found; with groups the first group's), ``lambdas`` (one per
        group), ``theta`` (log lambda), ``coef`` (the weights at that lambda, shape
        (n_features,)) and ``intercept``, ``classes``, ``termination`` and ``message`` (how the
        run ended), ``best_iteration`` (the index of the returned evaluation),
        ``validation_loss`` / ``validation_accuracy`` / ``test_loss`` / ``test_accuracy`` at it,
        ``elapsed_seconds``, and ``records``: one dict per evaluation (``iteration``, ``theta``,
        ``lambda``, ``validation_loss``, ``hypergradient``, ``step``, ``inner`` (the inner
        solve's summary), ``iteration_seconds``, ``elapsed_seconds``, ...). ``coef`` is None
        when no evaluation gave a finite loss (``has_result`` False).

    Raises
    ------
    ValueError
        For invalid data or options (`OptionError`, a `ValueError`, names the option).
    """
    X_train = check_matrix(X_train, "X_train")
    X_val = check_matrix(X_val, "X_val")
    check_consistent_length(X_train, y_train)
    check_consistent_length(X_val, y_val)
    classes, train_signs = encode_binary(np.asarray(y_train))
    _check_same_features(X_train, X_val, "X_val")
    train = to_dataset(X_train, train_signs)
    validation = to_dataset(X_val, encode_with(classes, y_val, "y_val"))
    test = None
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if X_test is not None:
        X_test = check_matrix(X_test, "X_test")
        check_consistent_length(X_test, y_test)
        _check_same_features(X_train, X_test, "X_test")
        test = to_dataset(X_test, encode_with(classes, y_test, "y_test"))
    group_of = None
    if groups is not None:
        group_of = np.asarray(groups)
        if group_of.ndim != 1 or group_of.shape[0] != X_train.shape[1]:
            raise ValueError(
                f"groups must hold one group id per feature ({X_train.shape[1]}), "
                f"got shape {group_of.shape}"
            )
        if not np.issubdtype(group_of.dtype, np.integer):
            raise ValueError(f"groups must hold integers, got dtype {group_of.dtype}")
        if group_of.size and (group_of.min() < 0 or group_of.max() > np.iinfo(np.int32).max):
            raise ValueError("groups must hold ids in [0, 2^31 - 1]")
        group_of = group_of.astype(np.int32)
    result = _core.tune(
        train, validation, test, group_of, dict(options or {}), threads_of(n_jobs), bool(verbose)
    )
    result["classes"] = classes
    return result


def fit(
    X,
    y,
    lam,
    *,
    sample_weight=None,
    fit_intercept=False,
    tol=1e-6,
    max_iter=1000,
    memory=10,
    n_jobs=None,
):
    """Fit L2-regularized logistic regression at one lambda (``shine::fit``).

    Minimizes ``sum_i c_i log(1 + exp(-y_i (x_i'w + b))) + lam/2 ||w||^2`` by L-BFGS from w = 0
    (the intercept b is not penalized; c_i the sample weights, 1 without them).
    scikit-learn's ``LogisticRegression(C=1/lam)`` fitted with the same ``sample_weight`` has the
    same minimizer. The GIL is released while fitting; Ctrl-C raises `KeyboardInterrupt`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Features; copied once into the library's storage.
    y : array-like of shape (n_samples,)
        Labels of two classes; ``classes[1]`` (sorted) is the positive class.
    lam : float
        The regularization lambda, > 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample (finite, >= 0, not all 0); None weighs every sample 1.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept.
    tol : float, default=1e-6
        Stop when ``||grad|| <= tol * ||grad at w = 0||``.
    max_iter : int, default=1000
        L-BFGS iteration budget.
    memory : int, default=10
        L-BFGS memory (pairs kept).
    n_jobs : int, default=None
        Threads: None or -1 for all cores. Results do not depend on it.

    Returns
    -------
    result : dict
        ``coef`` (shape (n_features,)), ``intercept``, ``lambda``, ``classes``, ``termination``
        (``"converged"``, ``"max_iterations"``, ...), ``message``, ``n_iter`` and ``summary``
        (the solver's counters and times).
    """
    X = check_matrix(X)
    check_consistent_length(X, y)
    classes, signs = encode_binary(np.asarray(y))
    data = to_dataset(X, signs)
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight must have shape ({X.shape[0]},), got {weights.shape}"
            )
        _core.set_weights(data, weights)
    result = _core.fit(
        data,
        float(lam),
        bool(fit_intercept),
        float(tol),
        int(max_iter),
        int(memory),
        threads_of(n_jobs),
    )
    result["classes"] = classes
    return result


def tune_options():
    """The library's tuning options: the names accepted by ``tune(options=...)``.

    Returns
    -------
    list of dict
        One dict per option, in the order they are applied: ``name``, ``default``,
        ``default_depends_on_method``, ``rule`` (the allowed values), ``help`` and
        ``changes_result``.
    """
    return _core.option_table()


def load_svmlight(path, n_features=None):
    """Read a LIBSVM / SVMlight file (plain, xz, bzip2 or gzip) with shine's reader.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    n_features : int, default=None
        Force the number of features (extra features are dropped, as for a test file read
        with its training file's count); None: the largest index in the file.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        The labels as written in the file.

    Raises
    ------
    OSError
        When the file cannot be opened or read.
    ValueError
        When the file is malformed (the message gives the file, line and column).
    """
    shape, indptr, indices, data, labels = _core.read_libsvm(os.fspath(path), int(n_features or 0))
    return sp.csr_matrix((data, indices, indptr), shape=shape), labels


def _check_same_features(X_train, X_other, name):
    if X_other.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"{name} has {X_other.shape[1]} features, but X_train has {X_train.shape[1]}"
        )
