import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator: every test sees the same random inputs."""
    return np.random.default_rng(20261122)


# Tolerances per dtype for results of float arithmetic (relative, absolute).
TOL = {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}
