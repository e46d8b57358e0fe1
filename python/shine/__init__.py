"""shine: tune the L2 regularization of logistic regression by bi-level optimization.

``LogisticRegressionTuned`` is a scikit-learn classifier whose lambda = 1/C is chosen on a
held-out part of the training data by hypergradients (SHINE, HOAG, ...). ``tune`` and ``fit``
mirror the C++ façade (``shine::tune``, ``shine::fit``) on arrays and return the whole
trajectory; ``tune_options`` lists the tuning options; ``load_svmlight`` reads LIBSVM files
(plain or compressed) with shine's reader.
"""

from ._api import fit, load_svmlight, tune, tune_options
from ._core import OptionError
from ._estimator import LogisticRegressionTuned

__version__ = "0.1.0"

__all__ = [
    "LogisticRegressionTuned",
    "OptionError",
    "fit",
    "load_svmlight",
    "tune",
    "tune_options",
]
