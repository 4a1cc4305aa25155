import os
import sys

import numpy as np
import pytest

# Shared test programs (programs.py) importable from every test directory.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    """The compile cache of the test run lives in a fresh directory (not ~/.cache/cinn),
    unless the caller chose one."""
    if "CINN_CACHE_DIR" not in os.environ:
        import tempfile
        os.environ["CINN_CACHE_DIR"] = tempfile.mkdtemp(prefix="cinn-test-cache-")


@pytest.fixture
def rng():
    """A seeded generator: every test sees the same random inputs."""
    return np.random.default_rng(20261122)


# Tolerances per dtype for results of float arithmetic (relative, absolute).
TOL = {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}
