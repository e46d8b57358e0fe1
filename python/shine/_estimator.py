"""The scikit-learn estimator ``LogisticRegressionTuned``."""

import math
import numbers

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import _check_sample_weight

from . import _core
from ._data import SPARSE_FORMATS, encode_binary, threads_of, to_dataset

# Estimator parameter -> the options of the library's table it sets (the rest of the table is
# reachable through `options`).
_PARAMETER_OPTIONS = {
    "method": ("method",),
    "max_iter": ("max_iterations",),
    "tol": ("secant.theta_tolerance",),
    "candidates": ("candidates",),
    "lambda_init": ("initial_theta",),
    "log_lambda_bounds": ("step.lower_bound", "step.upper_bound"),
    "inner_tol": ("inner_tolerance",),
    "final_tol": ("final_tolerance",),
    "inner_max_iter": ("lbfgs.max_iterations",),
    "memory": ("memory",),
    "time_budget": ("time_budget",),
    "fit_intercept": ("objective.fit_intercept",),
    "random_state": ("seed",),
    "refit": ("refit",),
}
_OPTION_PARAMETER = {option: p for p, options in _PARAMETER_OPTIONS.items() for option in options}

# The tightest relative gradient tolerance of the refit on all rows (||grad h(w)|| <=
# 1e-8 ||grad h(0)||), and the one used when the tuner's model cannot start it; otherwise the
# refit follows the tuner's final-solve rule (`_refit_tolerance`).
_REFIT_TOLERANCE = 1e-8


class LogisticRegressionTuned(LinearClassifierMixin, BaseEstimator):
    """L2-regularized logistic regression whose lambda = 1/C is tuned by hypergradients.

    ``fit`` holds out a stratified, seeded share of the rows (``validation_fraction``) as a
    validation set, tunes lambda to minimize the validation log-loss of a model trained on the
    other rows (by SHINE, HOAG, ... : the hypergradient of that loss with respect to log lambda,
    with secant steps, stopping once lambda has converged), then, with ``refit=True``, fits the
    final model on all rows at the lambda found. With ``cv=k`` the outer objective is instead the
    sum of the validation losses of k stratified folds, each fold's model fitted on the other
    folds (one inner solve per fold, the hypergradient summed over folds). Sample and class
    weights weight both the training and the validation losses. The model minimizes
    ``sum_i log(1 + exp(-y_i (x_i'w + b))) + lambda/2 ||w||^2``, the objective of scikit-learn's
    ``LogisticRegression(C=1/lambda)``. Binary classification only.

    The split is shine's own (``shine data split`` / ``shine tune --split 1-f,f,0 --stratify
    --seed S`` make the same parts from the same rows), so with an integer ``random_state`` and
    ``refit=False`` the estimator finds the lambda of that command.

    Parameters
    ----------
    method : {"shine", "shine-opa", "shine-refine", "hoag", "jacobian-free", "grid", "random"}, \
default="shine"
        How lambda is searched: a hypergradient method, or grid / random search over log lambda.
    validation_fraction : float, default=0.1
        Share of the rows held out to tune lambda, in (0, 1). Stratified by class when
        ``stratify``. Not used with ``cv``.
    cv : int, default=None
        Number of folds of k-fold cross-validation (>= 2), seeded by ``random_state`` and
        stratified when ``stratify``; None tunes on one held-out part.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, ``{class_label: weight}``, or "balanced" for
        ``n_samples / (2 * np.bincount(y))`` as scikit-learn computes it; multiplied with
        ``sample_weight``.
    stratify : bool, default=True
        Keep the class balance in the training and validation parts.
    refit : bool, default=True
        Refit on all rows at the lambda found (``coef_`` then comes from all rows; the refit
        starts from the tuner's model and is solved as accurately as the tuner's last solve,
        ``||w - w*|| <= final_tol * ||start||``); False keeps
        the model the tuner fitted on the training part (with ``cv``: the mean of the folds'
        models, as scikit-learn's ``LogisticRegressionCV(refit=False)``).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=30
        Most outer iterations (one inner solve each) of a hypergradient method; the run usually
        converges before.
    tol : float, default=0.02
        Outer tolerance: the run has converged when a secant step moves log lambda by at most
        ``tol`` (hypergradient methods).
    lambda_init : float, default=1.0
        Starting lambda (hypergradient methods); its log must lie within ``log_lambda_bounds``.
    log_lambda_bounds : tuple of float, default=(-12.0, 12.0)
        Bounds of log lambda; also the range of grid and random search.
    candidates : int, default=10
        Values of log lambda tried by grid and random search.
    inner_tol : float, default=0.1
        Each inner solve stops when its gradient has fallen by this factor from its warm start.
    final_tol : float, default=0.01
        Relative accuracy of the model of the converged lambda (the tuner's last solve).
    inner_max_iter : int, default=1000
        L-BFGS iterations per inner solve (and of the refit).
    memory : int, default=None
        L-BFGS memory; None: 30 for the SHINE variants and jacobian-free, 10 otherwise (and 10
        for the refit).
    time_budget : float, default=None
        Wall-clock seconds for the tuning; the best lambda so far is kept when it runs out.
        None: no budget.
    options : dict, default=None
        Further tuning options by their name in the library's option table
        (``shine.tune_options()``), e.g. ``{"step.rule": "double"}``. Options set by a
        parameter above cannot be given here.
    n_jobs : int, default=None
        Threads of the sparse kernels: None or -1 for all cores (or ``OMP_NUM_THREADS``), -2
        for all but one, ... Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seed of the split (and of random search). An int is used as shine's seed as it is; a
        RandomState or None (the global NumPy generator) draws one.
    verbose : int, default=0
        When > 0, one progress line per outer iteration on ``sys.stderr``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The classes, sorted; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features)
        The weights.
    intercept_ : ndarray of shape (1,)
        The intercept (0 when ``fit_intercept`` is False).
    lambda_ : float
        The lambda found.
    C_ : float
        ``1 / lambda_``, scikit-learn's C.
    n_iter_ : int
        Outer evaluations made (inner solves at one lambda each).
    best_index_ : int
        Index in ``cv_results_`` of the lambda returned: the last evaluation of a converged run,
        else the one with the lowest validation loss among those that are not provisional.
    best_score_ : float
        Minus the mean validation log-loss at ``lambda_`` (higher is better, as scikit-learn's
        ``neg_log_loss``), of the tuner's model on the validation rows (with ``cv``: of each
        fold's model on its validation rows, over all rows; weighted by the sample weights).
    cv_results_ : dict of ndarray
        One entry per outer evaluation: ``lambda``, ``C``, ``log_lambda``, ``validation_loss``,
        ``validation_accuracy``, ``hypergradient_norm`` (NaN for grid and random search),
        ``inner_iterations``, ``data_passes``, ``iteration_seconds``, ``elapsed_seconds``,
        ``step`` (what the outer step did), ``returned`` (the index of the evaluation the
        tuning would return had it ended there; the last entry is the one it returned) and
        ``provisional`` (True where the inner solve stopped more than 100 times above the final
        tolerance level: stopping early regularizes too, so such an evaluation is returned only
        while every evaluation so far is provisional).
    termination_ : str
        How the tuning ended: ``"converged"``, ``"max_iterations"``, ``"time_limit"``, ...
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    Notes
    -----
    X is copied once, from its arrays into shine's CSR storage: CSR, CSC and COO matrices
    (int32 or int64 indices, float32 or float64 values, unsorted or repeated entries, which are
    summed) and dense float32 / float64 arrays in C or Fortran order are read as they are; other
    sparse formats are converted to CSR and other dtypes to float64 first. The GIL is released
    during the fit, and Ctrl-C raises ``KeyboardInterrupt`` within about one inner iteration.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.datasets import load_breast_cancer
    >>> from shine import LogisticRegressionTuned
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegressionTuned(random_state=0))
    >>> model.fit(X, y).score(X, y) > 0.95
    True
    """

    def __init__(
        self,
        *,
        method="shine",
        validation_fraction=0.1,
        cv=None,
        class_weight=None,
        stratify=True,
        refit=True,
        fit_intercept=True,
        max_iter=30,
        tol=0.02,
        lambda_init=1.0,
        log_lambda_bounds=(-12.0, 12.0),
        candidates=10,
        inner_tol=0.1,
        final_tol=0.01,
        inner_max_iter=1000,
        memory=None,
        time_budget=None,
        options=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.method = method
        self.validation_fraction = validation_fraction
        self.cv = cv
        self.class_weight = class_weight
        self.stratify = stratify
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.lambda_init = lambda_init
        self.log_lambda_bounds = log_lambda_bounds
        self.candidates = candidates
        self.inner_tol = inner_tol
        self.final_tol = final_tol
        self.inner_max_iter = inner_max_iter
        self.memory = memory
        self.time_budget = time_budget
        self.options = options
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Tune lambda on a held-out part of (X, y) or by k-fold cross-validation, then fit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (see the class Notes on copies).
        y : array-like of shape (n_samples,)
            Labels of two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample (>= 0, not all 0) in the training and validation losses; None
            weighs every sample 1. Multiplied with the ``class_weight`` weights.

        Returns
        -------
        self : LogisticRegressionTuned
            The fitted estimator.
        """
        X, y = self._validate_data(
            X,
            y,
            accept_sparse=SPARSE_FORMATS,
            accept_large_sparse=True,
            dtype=(np.float64, np.float32),
        )
        classes, signs = encode_binary(y)
        weights = self._sample_weights(X, y, sample_weight)
        seed = self._seed()
        options = self._tune_options(seed)
        threads = threads_of(self.n_jobs)
        data, train, validation, folds = self._make_problem(X, signs, seed, weights)
        try:
            result = _core.tune(
                train, validation, None, None, options, threads, bool(self.verbose), folds
            )
        except _core.OptionError as error:
            raise self._parameter_error(error) from error
        if not result["has_result"]:
            raise RuntimeError(f"tuning gave no usable lambda: {result['message']}")
        lam = result["lambda"]
        coef, intercept = result["coef"], result["intercept"]
        if self.refit:
            start = np.asarray(coef, dtype=np.float64)
            if self.fit_intercept:
                start = np.append(start, float(intercept))
            finite = bool(np.all(np.isfinite(start)))
            refitted = _core.fit(
                data,
                lam,
                bool(self.fit_intercept),
                self._refit_tolerance(X, signs, weights, lam, start) if finite else
                _REFIT_TOLERANCE,
                int(self.inner_max_iter),
                10 if self.memory is None else int(self.memory),
                threads,
                start if finite else None,
            )
            coef, intercept = refitted["coef"], refitted["intercept"]

        self.classes_ = classes
        self.coef_ = np.asarray(coef, dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.array([intercept], dtype=np.float64)
        self.lambda_ = float(lam)
        self.C_ = 1.0 / self.lambda_
        self.termination_ = result["termination"]
        self.n_iter_ = len(result["records"])
        self.best_index_ = int(result["best_iteration"])
        self.best_score_ = -float(result["validation_loss"])
        self.cv_results_ = _results_table(result["records"])
        return self

    def _sample_weights(self, X, y, sample_weight):
        """The weight of each sample (``sample_weight`` times its class's), or None for ones."""
        if sample_weight is None and self.class_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("sample_weight must be finite and >= 0")
        if self.class_weight is not None:
            if not (self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
                raise ValueError(
                    f"class_weight must be 'balanced', a dict or None, got {self.class_weight!r}"
                )
            weights = weights * compute_sample_weight(self.class_weight, y)
        if not np.any(weights > 0):
            raise ValueError("every sample weight is 0: at least one must be positive")
        return weights

    def _make_problem(self, X, signs, seed, weights):
        """The datasets of one tuning problem.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Validated features.
        signs : ndarray of shape (n_samples,)
            Labels in {-1, +1}.
        seed : int
            Seed of the split or of the folds.
        weights : ndarray of shape (n_samples,) or None
            Sample weights (None: every sample weighs 1).

        Returns
        -------
        data, train, validation : shine._core.Dataset
            All rows, the training part and the validation part (with ``cv``: all rows twice
            and None).
        folds : list of (shine._core.Dataset, shine._core.Dataset) or None
            The (train, validation) parts of each fold, with ``cv``.
        """
        data = to_dataset(X, signs)
        if weights is not None:
            _core.set_weights(data, weights)
        if self.cv is not None:
            k = self.cv
            if not (isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 2):
                raise ValueError(f"cv must be an integer >= 2 (the number of folds), got {k!r}")
            try:
                folds = _core.kfold(data, int(k), seed, bool(self.stratify))
            except ValueError as error:
                raise ValueError(f"cv={k!r} of {X.shape[0]} samples: {error}") from error
            return data, data, None, folds
        fraction = self.validation_fraction
        if not (isinstance(fraction, numbers.Real) and 0.0 < fraction < 1.0):
            raise ValueError(f"validation_fraction must be in (0, 1), got {fraction!r}")
        try:
            train, validation = _core.split(data, float(fraction), seed, bool(self.stratify))
        except ValueError as error:
            raise ValueError(
                f"validation_fraction={fraction!r} of {X.shape[0]} samples: {error}"
            ) from error
        return data, train, validation, None

    def _seed(self):
        state = self.random_state
        if isinstance(state, numbers.Integral) and not isinstance(state, (bool, np.bool_)):
            if state < 0:
                raise ValueError(f"random_state must be >= 0, got {state!r}")
            return int(state)
        return int(check_random_state(state).randint(np.iinfo(np.int32).max))

    def _refit_tolerance(self, X, signs, weights, lam, start):
        """The refit's relative tolerance: the tuner's own final-solve rule.

        The refit starts from the tuner's model (fitted on part of the rows, or the folds'
        mean) and stops at ||grad h(w)|| <= final_tol * lambda * ||start||, so that
        ||w - w*|| <= final_tol * ||start|| by the lambda-strong convexity of h: the accuracy
        of the tuner's last solve. As a tolerance relative to ||grad h(0)|| (what the library
        takes, whatever the start), kept within [_REFIT_TOLERANCE, 1e-4]. On 20news this is
        about 4e-5: 206 iterations instead of 746 at 1e-8, w within 0.14 % of the exact one.
        """
        c = np.ones(len(signs)) if weights is None else np.asarray(weights, dtype=np.float64)
        residual = -0.5 * c * signs  # the gradient of the summed log-loss at w = 0
        g0 = np.asarray(X.T @ residual, dtype=np.float64).ravel()
        g0_norm = math.hypot(np.linalg.norm(g0), residual.sum() if self.fit_intercept else 0.0)
        level = float(self.final_tol) * lam * float(np.linalg.norm(start))
        if not (g0_norm > 0 and level > 0 and math.isfinite(level / g0_norm)):
            return _REFIT_TOLERANCE
        return min(max(level / g0_norm, _REFIT_TOLERANCE), 1e-4)

    def _tune_options(self, seed):
        """The library's tuning options from the parameters (by option-table name)."""
        options = {
            "method": self.method,
            "max_iterations": self.max_iter,
            "secant.theta_tolerance": self.tol,
            "candidates": self.candidates,
            "inner_tolerance": self.inner_tol,
            "final_tolerance": self.final_tol,
            "lbfgs.max_iterations": self.inner_max_iter,
            "objective.fit_intercept": self.fit_intercept,
            "seed": seed,
            # The estimator refits itself (below); with cv and refit=False the library returns
            # the mean of the folds' models.
            "refit": False,
        }
        lam = self.lambda_init
        if not (isinstance(lam, numbers.Real) and math.isfinite(lam) and lam > 0):
            raise ValueError(f"lambda_init must be a finite number > 0, got {lam!r}")
        options["initial_theta"] = math.log(lam)
        bounds = self.log_lambda_bounds
        if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2):
            raise ValueError(f"log_lambda_bounds must be a pair (low, high), got {bounds!r}")
        options["step.lower_bound"], options["step.upper_bound"] = bounds
        if self.memory is not None:
            options["memory"] = self.memory
        if self.time_budget is not None:
            options["time_budget"] = self.time_budget
        for name, value in (self.options or {}).items():
            if name in _OPTION_PARAMETER:
                raise ValueError(
                    f"options[{name!r}]: set it with the parameter "
                    f"{_OPTION_PARAMETER[name]!r} instead"
                )
            options[name] = value
        return options

    def _parameter_error(self, error):
        parameter = _OPTION_PARAMETER.get(error.option)
        if parameter is None:
            return ValueError(f"options[{error.option!r}]: {error}")
        return ValueError(f"{parameter}={getattr(self, parameter)!r}: {error}")

    def predict_proba(self, X):
        """Probability estimates of both classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            ``P(classes_[0] | x)`` and ``P(classes_[1] | x) = 1 / (1 + exp(-(x'w + b)))``.
        """
        scores = self.decision_function(X)
        return np.column_stack([expit(-scores), expit(scores)])

    def predict_log_proba(self, X):
        """Logarithms of `predict_proba`, computed without overflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        scores = self.decision_function(X)
        return np.column_stack([-np.logaddexp(0.0, scores), -np.logaddexp(0.0, -scores)])

    def _more_tags(self):
        return {
            "binary_only": True,
            "_xfail_checks": {
                "check_sample_weights_invariance": (
                    "a zero weight keeps its row in the seeded validation split (or fold), so the "
                    "parts differ from those drawn without the row; weights of one give the "
                    "unweighted fit exactly (tested)"
                ),
            },
        }


def _results_table(records):
    """Column arrays of the per-evaluation records, for ``cv_results_``."""
    lam = np.array([r["lambda"][0] for r in records], dtype=np.float64)
    return {
        "lambda": lam,
        "C": 1.0 / lam,
        "log_lambda": np.array([r["theta"][0] for r in records], dtype=np.float64),
        "validation_loss": np.array([r["validation_loss"] for r in records], dtype=np.float64),
        "validation_accuracy": np.array(
            [r["validation_accuracy"] for r in records], dtype=np.float64
        ),
        "hypergradient_norm": np.array(
            [r["hypergradient_norm"] for r in records], dtype=np.float64
        ),
        "inner_iterations": np.array([r["inner"]["iterations"] for r in records], dtype=np.int64),
        "data_passes": np.array([r["data_passes"] for r in records], dtype=np.int64),
        "iteration_seconds": np.array([r["iteration_seconds"] for r in records], dtype=np.float64),
        "elapsed_seconds": np.array([r["elapsed_seconds"] for r in records], dtype=np.float64),
        "step": np.array([r["step"] for r in records], dtype=object),
        "returned": np.array([r["returned"] for r in records], dtype=np.int64),
        "provisional": np.array([r["provisional"] for r in records], dtype=bool),
    }

