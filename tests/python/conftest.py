import os
import sys

import numpy as np
import pytest

# Shared test programs (programs.py) importable from every test directory.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def rng():
    """A seeded generator: every test sees the same random inputs."""
    return np.random.default_rng(20261122)


# Tolerances per dtype for results of float arithmetic (relative, absolute).
TOL = {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}
