"""Shared fixtures: the shipped SpamAssassin dataset and the command-line tool."""

import lzma
import os
import pathlib

import pytest
from sklearn.datasets import load_svmlight_file

SOURCE_DIR = pathlib.Path(
    os.environ.get("SHINE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2])
)
SPAMASSASSIN = SOURCE_DIR / "datasets" / "spamassassin" / "spamassassin.uni.svm.xz"


@pytest.fixture(scope="session")
def spamassassin():
    """The shipped SpamAssassin set (6,046 x 176,112), read by scikit-learn's reader."""
    with lzma.open(SPAMASSASSIN) as f:
        return load_svmlight_file(f)


@pytest.fixture(scope="session")
def shine_cli():
    """Path of the `shine` command-line tool of this build."""
    path = os.environ.get("SHINE_CLI")
    if not path:
        pytest.skip("SHINE_CLI is not set: the command-line tool is not built (SHINE_BUILD_APPS=OFF)")
    return path
