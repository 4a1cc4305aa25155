"""The hand schedules of benchmarks/schedules.py at small sizes: numerics against
numpy/torch and the trace round trip (schedule -> JSON -> replay gives identical IR)."""

import os
import sys

import numpy as np
import pytest

import cinn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import schedules  # noqa: E402


CASES = {
    # name: (builder kwargs, input shapes, tolerance)
    "matmul": (dict(M=64, N=96, K=80, kc=32), [(64, 80), (80, 96)], 1e-4),
    "softmax": (dict(M=32, N=128), [(32, 128)], 1e-5),
    "layer_norm": (dict(M=32, N=128), [(32, 128), (128,), (128,)], 1e-4),
    "conv2d_nchwc": (dict(N=1, C=8, H=12, W=16, F=32), [(1, 8, 12, 16), (32, 8, 3, 3)], 1e-4),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_schedule(name, rng):
    kwargs, shapes, tol = CASES[name]
    sch, ref = getattr(schedules, name)(**kwargs)
    args = [rng.standard_normal(s).astype("float32") for s in shapes]
    out = cinn.build(sch)(*args)
    np.testing.assert_allclose(out, ref(*args), rtol=tol, atol=tol)
    # Replaying the trace on the unscheduled function gives the same IR.
    fresh, _ = getattr(schedules, name)(**kwargs, schedule=False)
    again = cinn.Schedule.replay(fresh.func, sch.trace)
    assert str(again) == str(sch)
    assert again.trace == sch.trace
