"""float16 / bfloat16 inputs of the composites PyTorch computes in float (normalizations,
softmax, smooth activations, losses): CINN also computes them in float32 and rounds only
the result, so every element is within one 16-bit ulp of the exact (float64) result
rounded to the type. Rounding after each primitive, as a plain decomposition would, misses
that by several ulps on layer_norm and softmax rows of a few hundred.

Inputs are float32 arrays cast to the 16-bit type inside the program, and the results are
cast back to float32 there, so no 16-bit array crosses to numpy (which has no bfloat16).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from netrun import compile_fn, rand

MANTISSA = {"float16": 10, "bfloat16": 7}
TORCH = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def rounded(a, dtype):
    """float32 array `a` rounded to `dtype` (to nearest even, as a cast), back in float32."""
    return torch.from_numpy(np.array(a, np.float32)).to(TORCH[dtype]).float().numpy()


def ulps(got, exact, dtype):
    """|got - exact| in units of the 16-bit type's ulp at the exact value (normal range)."""
    exact = np.asarray(exact, np.float64)
    ulp = np.exp2(np.floor(np.log2(np.maximum(np.abs(exact), 2.0 ** -14))) - MANTISSA[dtype])
    return np.abs(got.astype(np.float64) - exact) / ulp


def in_half(build, dtype, **arrays):
    """build(b, *values) with each float32 array cast to `dtype` first and the first
    result cast back to float32; the first output on `arrays` rounded to `dtype`."""
    def program(b, *vals):
        out = build(b, *[b.cast(v, dtype) for v in vals])
        out = out[0] if isinstance(out, (list, tuple)) else out
        return b.cast(out, "float32")
    exe = compile_fn(program, arrays)
    return exe(**arrays)[0], {k: rounded(v, dtype) for k, v in arrays.items()}


CASES = {
    # name: (build, reference on float64 torch tensors, inputs)
    "layer_norm": (lambda b, x, g, be: b.layer_norm(x, g, be),
                   lambda x, g, be: F.layer_norm(x, x.shape[-1:], g, be, 1e-5),
                   {"x": (8, 384), "g": (384,), "be": (384,)}),
    "softmax": (lambda b, x: b.softmax(x, -1), lambda x: torch.softmax(x, -1), {"x": (8, 500)}),
    "log_softmax": (lambda b, x: b.log_softmax(x, -1), lambda x: torch.log_softmax(x, -1), {"x": (8, 500)}),
    "gelu": (lambda b, x: b.gelu(x), lambda x: F.gelu(x), {"x": (64, 64)}),
    "silu": (lambda b, x: b.silu(x), lambda x: F.silu(x), {"x": (64, 64)}),
    "group_norm": (lambda b, x, g, be: b.group_norm(x, g, be, 2),
                   lambda x, g, be: F.group_norm(x, 2, g, be, 1e-5),
                   {"x": (2, 8, 12, 12), "g": (8,), "be": (8,)}),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(CASES))
def test_composite_rounds_once(name, dtype, rng):
    build, reference, shapes = CASES[name]
    arrays = {k: rand(rng, *s, lo=-2, hi=6) for k, s in shapes.items()}
    got, narrowed = in_half(build, dtype, **arrays)
    exact = reference(*[torch.from_numpy(narrowed[k]).double() for k in shapes]).numpy()
    err = ulps(got, exact, dtype)
    assert err.max() <= 1.0, f"{name} {dtype}: {err.max():.1f} ulps at {np.unravel_index(err.argmax(), err.shape)}"
    # and the usual case is exact rounding
    assert (got == rounded(exact, dtype)).mean() >= 0.99


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_means_do_not_overflow_the_16_bit_range(dtype):
    """A float16 mean of 70000 ones is 1: the sum (70000 > 65504, float16's largest) and
    the division stay in float32. The same for the ops built on a mean."""
    ones = np.ones(70000, np.float32)
    cases = {
        "mean": (lambda b, x: b.mean(x), {"x": ones}, 1.0),
        "var": (lambda b, x: b.var(x), {"x": np.tile(np.float32([11, 13]), 35000)}, 70000 / 69999),
        "mse_loss": (lambda b, x, y: b.mse_loss(x, y), {"x": ones, "y": 0 * ones}, 1.0),
        "adaptive_avg_pool2d": (lambda b, x: b.adaptive_avg_pool2d(x, [1, 1]),
                                {"x": np.full((1, 1, 256, 256), 1.5, np.float32)}, 1.5),
        "layer_norm": (lambda b, x, g, be: b.layer_norm(x, g, be),
                       {"x": np.tile(np.float32([11, 13]), (2, 4096)), "g": np.ones(8192, np.float32),
                        "be": np.zeros(8192, np.float32)}, None),
    }
    for name, (build, arrays, want) in cases.items():
        got, _ = in_half(build, dtype, **arrays)
        if want is None:  # layer_norm: the rows standardized, -1 and 1 alternating
            want = np.tile(np.float32([-1, 1]), (2, 4096))
        np.testing.assert_allclose(got, rounded(np.broadcast_to(np.float32(want), got.shape), dtype),
                                   rtol=2.0 ** -MANTISSA[dtype], err_msg=name)
