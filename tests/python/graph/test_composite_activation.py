"""Composite activations (frontend/composite/activation.cc) against PyTorch (float64
references of the same float32 inputs).

Inputs are random with a fixed seed, over ranges that cover both sides of each kink.
Tolerance: float32 results rtol=1e-5, atol=1e-6 (2e-6 for the exp/log/tanh/erf forms: the
default fast math approximations); integer results are exact.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn
from netrun import kernels, compile_fn, rand, run1, t

SHAPES = [(37,), (4, 5, 6)]

# name -> (builder call, torch reference, input range)
UNARY = {
    "relu": (lambda b, x: b.relu(x), F.relu, (-3, 3)),
    "relu6": (lambda b, x: b.relu6(x), F.relu6, (-3, 9)),
    "leaky_relu": (lambda b, x: b.leaky_relu(x), F.leaky_relu, (-3, 3)),
    "leaky_relu_0.2": (lambda b, x: b.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), (-3, 3)),
    "elu": (lambda b, x: b.elu(x), F.elu, (-4, 3)),
    "elu_0.5": (lambda b, x: b.elu(x, alpha=0.5), lambda x: F.elu(x, 0.5), (-4, 3)),
    "selu": (lambda b, x: b.selu(x), F.selu, (-4, 3)),
    "gelu": (lambda b, x: b.gelu(x), F.gelu, (-5, 5)),
    "gelu_tanh": (lambda b, x: b.gelu(x, "tanh"),
                  lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
                  (-5, 5)),
    "sigmoid": (lambda b, x: b.sigmoid(x), torch.sigmoid, (-8, 8)),
    "silu": (lambda b, x: b.silu(x), F.silu, (-8, 8)),
    "hard_sigmoid": (lambda b, x: b.hard_sigmoid(x), F.hardsigmoid, (-5, 5)),
    "hard_swish": (lambda b, x: b.hard_swish(x), F.hardswish, (-5, 5)),
    "hard_tanh": (lambda b, x: b.hard_tanh(x), F.hardtanh, (-3, 3)),
    "hard_tanh_02": (lambda b, x: b.hard_tanh(x, 0.0, 2.0), lambda x: F.hardtanh(x, 0.0, 2.0), (-3, 3)),
    "mish": (lambda b, x: b.mish(x), F.mish, (-6, 6)),
    "softplus": (lambda b, x: b.softplus(x), F.softplus, (-30, 30)),
    "softplus_beta2": (lambda b, x: b.softplus(x, 2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0), (-6, 6)),
    "softsign": (lambda b, x: b.softsign(x), F.softsign, (-5, 5)),
    "log_sigmoid": (lambda b, x: b.log_sigmoid(x), F.logsigmoid, (-40, 40)),
    "sign": (lambda b, x: b.sign(x), torch.sign, (-3, 3)),
    "square": (lambda b, x: b.square(x), torch.square, (-3, 3)),
    "reciprocal": (lambda b, x: b.reciprocal(x), torch.reciprocal, (0.2, 3)),
    "clip": (lambda b, x: b.clip(x, -0.5, 1.25), lambda x: torch.clamp(x, -0.5, 1.25), (-3, 3)),
    "clip_min": (lambda b, x: b.clip(x, min=0.3), lambda x: torch.clamp(x, min=0.3), (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_activation(name, shape, rng):
    build, ref, (lo, hi) = UNARY[name]
    x = rand(rng, *shape, lo=lo, hi=hi)
    out = run1(build, x=x)
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_allclose(out, ref(t(x)).numpy(), rtol=1e-5, atol=2e-6)


def test_softplus_and_log_sigmoid_do_not_overflow():
    x = np.array([-80.0, -30.0, -1e-3, 0.0, 30.0, 90.0, 100.0], "float32")
    sp, ls = (run1(lambda b, v: b.softplus(v), x=x), run1(lambda b, v: b.log_sigmoid(v), x=x))
    np.testing.assert_allclose(sp, F.softplus(t(x)).numpy(), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(ls, F.logsigmoid(t(x)).numpy(), rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_activations(dtype, rng):
    x = rng.integers(-9, 9, (5, 7)).astype(dtype)
    for build, ref in [(lambda b, v: b.relu(v), np.maximum(x, 0)),
                       (lambda b, v: b.relu6(v), np.clip(x, 0, 6)),
                       (lambda b, v: b.sign(v), np.sign(x)),
                       (lambda b, v: b.square(v), x * x),
                       (lambda b, v: b.clip(v, -2, 3), np.clip(x, -2, 3))]:
        out = run1(build, x=x)
        assert out.dtype == x.dtype
        np.testing.assert_array_equal(out, ref)
    r = run1(lambda b, v: b.reciprocal(v), x=np.array([1, 2, -4, 8], dtype))
    np.testing.assert_array_equal(r, np.array([1, 0.5, -0.25, 0.125], "float32"))


@pytest.mark.parametrize("xshape,ashape", [((4, 3, 5, 2), (3,)), ((4, 3, 5, 2), (1,)), ((6, 7), (7,)),
                                           ((9,), (1,))])
def test_prelu(xshape, ashape, rng):
    x = rand(rng, *xshape)
    a = rand(rng, *ashape, lo=0.0, hi=0.5)
    out = run1(lambda b, u, v: b.prelu(u, v), x=x, alpha=a)
    np.testing.assert_allclose(out, F.prelu(t(x), t(a)).numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape,axis", [((6, 33), [-1]), ((4, 5, 6), [1]), ((4, 5, 6), [0, 2])])
def test_log_softmax(shape, axis, rng):
    x = rand(rng, *shape, lo=-20, hi=20)
    out = run1(lambda b, v: b.log_softmax(v, axis), x=x)
    xt = t(x)
    ref = xt - torch.logsumexp(xt, dim=axis, keepdim=True)
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("shape,axis,keepdim", [((6, 33), [-1], False), ((4, 5, 6), [1], True),
                                                ((4, 5, 6), [0, 2], False), ((3, 4), [], False)])
def test_logsumexp(shape, axis, keepdim, rng):
    x = rand(rng, *shape, lo=-50, hi=50)
    out = run1(lambda b, v: b.logsumexp(v, axis, keepdim), x=x)
    dims = axis if axis else list(range(len(shape)))
    ref = torch.logsumexp(t(x), dim=dims, keepdim=keepdim).numpy()
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_logsumexp_of_infinite_rows():
    x = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [1.0, -np.inf]], "float32")
    out = run1(lambda b, v: b.logsumexp(v, [1]), x=x)
    np.testing.assert_array_equal(out, torch.logsumexp(t(x), 1).numpy().astype("float32"))


def test_gelu_and_log_softmax_fuse(rng):
    # gelu is one kernel; log_softmax at most two (row max + sum, then the epilogue).
    x = rand(rng, 16, 96)
    exe = compile_fn(lambda b, v: b.gelu(v), {"x": x})
    assert len(exe.fusion_groups) == 1, kernels(exe)
    exe = compile_fn(lambda b, v: b.gelu(v, "tanh"), {"x": x})
    assert len(exe.fusion_groups) == 1, kernels(exe)
    exe = compile_fn(lambda b, v: b.log_softmax(v), {"x": x})
    assert len(exe.fusion_groups) <= 2, kernels(exe)
    np.testing.assert_allclose(exe(x=x)[0], F.log_softmax(t(x), -1).numpy(), rtol=1e-5, atol=1e-5)


def test_activation_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 3, 2], "float32", "x")
    with pytest.raises(cinn.Error, match="op 'gelu'.*approximate"):
        b.gelu(x, "fast")
    with pytest.raises(cinn.ShapeError, match="op 'prelu'.*alpha"):
        b.prelu(x, b.input([2], "float32", "a"))
    i = b.input([4], "int32", "i")
    with pytest.raises(cinn.DTypeError, match="op 'elu'"):
        b.elu(i)
