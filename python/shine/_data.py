"""Conversion of NumPy / SciPy inputs into datasets held by the C++ library."""

import os

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.multiclass import check_classification_targets

from . import _core

#: Sparse formats read directly from their arrays; the others are converted to CSR first.
SPARSE_FORMATS = ("csr", "csc", "coo")


def check_matrix(X, name="X"):
    """Validate a feature matrix without copying it when it is already usable.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Any SciPy sparse matrix or array, or a dense array-like.
    name : str
        The name used in error messages.

    Returns
    -------
    X : {ndarray, sparse matrix}
        CSR, CSC and COO matrices and float32 / float64 arrays (C or Fortran order) are returned
        as they are; other sparse formats are converted to CSR and other dtypes to float64.

    Raises
    ------
    ValueError
        When X holds NaN or infinity, is empty or is not two-dimensional.
    """
    return check_array(
        X,
        accept_sparse=SPARSE_FORMATS,
        accept_large_sparse=True,
        dtype=(np.float64, np.float32),
        order=None,
        force_all_finite=True,
        input_name=name,
    )


def encode_binary(y):
    """Sorted classes of a binary target and the target as -1 / +1.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Labels of any two values (numbers, strings, ...); a column is accepted with a warning.

    Returns
    -------
    classes : ndarray of shape (2,)
        The two classes, sorted as ``numpy.unique`` sorts them; ``classes[1]`` is the positive
        class (mapped to +1).
    signs : ndarray of shape (n_samples,)
        -1.0 for ``classes[0]``, +1.0 for ``classes[1]``.

    Raises
    ------
    ValueError
        When y is continuous, has one class only or more than two.
    """
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has one class only ({classes[0]!r}): shine fits a binary classifier and needs "
            "samples of two classes"
        )
    if len(classes) > 2:
        raise ValueError(
            f"y has {len(classes)} classes: shine fits a binary classifier and needs exactly "
            "two classes"
        )
    return classes, np.where(encoded == 1, 1.0, -1.0)


def encode_with(classes, y, name="y"):
    """Encode the labels of a further set (validation, test) with the training classes.

    Parameters
    ----------
    classes : ndarray of shape (2,)
        The training classes, sorted.
    y : array-like of shape (n_samples,)
        Labels; each must be one of ``classes`` (a set may hold one class only).
    name : str
        The name used in error messages.

    Returns
    -------
    signs : ndarray of shape (n_samples,)
        -1.0 for ``classes[0]``, +1.0 for ``classes[1]``.
    """
    y = column_or_1d(y, warn=True)
    positive = y == classes[1]
    unknown = ~(positive | (y == classes[0]))
    if unknown.any():
        raise ValueError(
            f"{name} holds the label {y[unknown][0]!r}, which is not one of the training "
            f"classes {list(classes)!r}"
        )
    return np.where(positive, 1.0, -1.0)


def _indices(a):
    a = np.asarray(a)
    if a.dtype not in (np.int32, np.int64):
        a = a.astype(np.int64)
    return np.ascontiguousarray(a)


def to_dataset(X, signs):
    """A dataset of the C++ library holding X and the -1 / +1 labels.

    The values are copied once, from the arrays of X into the library's CSR storage: CSR, CSC
    and COO matrices with int32 or int64 indices and dense float32 / float64 arrays (any order)
    are read directly; unsorted and repeated sparse entries are sorted and summed on the way.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        As returned by `check_matrix`.
    signs : ndarray of shape (n_samples,)
        Labels in {-1, +1}.

    Returns
    -------
    shine._core.Dataset
    """
    signs = np.ascontiguousarray(signs, dtype=np.float64)
    if X.shape[0] != signs.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {signs.shape[0]} labels")
    if sp.issparse(X):
        data = np.ascontiguousarray(X.data)
        if X.format == "coo":
            return _core.dataset_coo(X.shape, _indices(X.row), _indices(X.col), data, signs)
        build = _core.dataset_csr if X.format == "csr" else _core.dataset_csc
        return build(X.shape, _indices(X.indptr), _indices(X.indices), data, signs)
    return _core.dataset_dense(X, signs)


def threads_of(n_jobs):
    """The library's thread count for a scikit-learn ``n_jobs``.

    Parameters
    ----------
    n_jobs : int or None
        None or -1: all cores (0 for the library, which honours ``OMP_NUM_THREADS``); a
        positive n: n threads; -2, -3, ...: all cores but 1, 2, ...

    Returns
    -------
    int
    """
    if n_jobs is None or n_jobs == -1:
        return 0
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)):
        raise ValueError(f"n_jobs must be None or a non-zero integer, got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None or -1 for all cores")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
