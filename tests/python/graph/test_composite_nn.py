"""Composite neural-network layers (frontend/composite/nn.cc) against PyTorch: linear, bmm,
conv2d_bias, depthwise_conv2d, max/avg/adaptive pooling, embedding, one_hot and
scaled_dot_product_attention; optional inputs (bias, mask) given and left out.

Inputs are random with a fixed seed. Tolerance: float32 rtol=1e-4, atol=1e-4 for the
matmul/convolution sums, 1e-5 elsewhere (references in float64); indices exact.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn
from netrun import compile_fn, kernels, rand, run, run1, t


def close(out, ref, rtol=1e-4, atol=1e-4):
    ref = ref.numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


@pytest.mark.parametrize("xshape", [(8, 12), (2, 5, 12)])
def test_linear(xshape, rng):
    x, w, bias = rand(rng, *xshape), rand(rng, 7, 12), rand(rng, 7)
    y, y0 = run(lambda b, u, v, c: (b.linear(u, v, c), b.linear(u, v)), x=x, w=w, bias=bias)
    close(y, F.linear(t(x), t(w), t(bias)))
    close(y0, F.linear(t(x), t(w)))
    # Keyword form of the optional input, and the C++-style positional one.
    close(run1(lambda b, u, v, c: b.linear(u, v, bias=c), x=x, w=w, bias=bias), F.linear(t(x), t(w), t(bias)))


def test_bmm(rng):
    x, y = rand(rng, 3, 4, 6), rand(rng, 3, 6, 5)
    close(run1(lambda b, u, v: b.bmm(u, v), x=x, y=y), torch.bmm(t(x), t(y)))


@pytest.mark.parametrize("stride,padding,dilation,groups", [([1, 1], [0, 0], [1, 1], 1),
                                                            ([2, 1], [1, 2], [1, 1], 1),
                                                            ([1, 1], [1, 1], [2, 2], 2)])
def test_conv2d_bias(stride, padding, dilation, groups, rng):
    x, w, bias = rand(rng, 2, 4, 9, 8), rand(rng, 6, 4 // groups, 3, 3), rand(rng, 6)
    exe = compile_fn(lambda b, u, v, c: b.conv2d_bias(u, v, c, stride, padding, dilation, groups),
                     {"x": x, "w": w, "bias": bias})
    # One kernel: the bias' reshape to [O, 1, 1] only adds unit axes (a broadcast), so it
    # and the add are the convolution's epilogue.
    assert kernels(exe) == [["reshape", "conv2d", "broadcast_to", "add"]], kernels(exe)
    ref = F.conv2d(t(x), t(w), t(bias), stride, padding, dilation, groups)
    close(exe(x=x, w=w, bias=bias)[0], ref)


@pytest.mark.parametrize("mult,with_bias", [(1, True), (2, False)])
def test_depthwise_conv2d(mult, with_bias, rng):
    x, w, bias = rand(rng, 2, 3, 7, 6), rand(rng, 3 * mult, 1, 3, 3), rand(rng, 3 * mult)
    if with_bias:
        out = run1(lambda b, u, v, c: b.depthwise_conv2d(u, v, c, [1, 2], [1, 1]), x=x, w=w, bias=bias)
        ref = F.conv2d(t(x), t(w), t(bias), [1, 2], [1, 1], groups=3)
    else:
        out = run1(lambda b, u, v: b.depthwise_conv2d(u, v, padding=[1, 0]), x=x, w=w)
        ref = F.conv2d(t(x), t(w), None, 1, [1, 0], groups=3)
    close(out, ref)


@pytest.mark.parametrize("kernel,stride,padding", [([2, 2], [], [0]), ([3], [2], [1]), ([3, 2], [1, 2], [1, 0])])
def test_max_avg_pool2d(kernel, stride, padding, rng):
    x = rand(rng, 2, 3, 9, 8)
    mx, av, avx = run(lambda b, v: (b.max_pool2d(v, kernel, stride, padding),
                                    b.avg_pool2d(v, kernel, stride, padding),
                                    b.avg_pool2d(v, kernel, stride, padding, False)), x=x)
    st = stride or None
    close(mx, F.max_pool2d(t(x), kernel, st, padding), 1e-6, 1e-6)
    close(av, F.avg_pool2d(t(x), kernel, st, padding), 1e-5, 1e-5)
    close(avx, F.avg_pool2d(t(x), kernel, st, padding, count_include_pad=False), 1e-5, 1e-5)


@pytest.mark.parametrize("hw,out", [((8, 6), [1, 1]), ((8, 6), [4, 3]), ((8, 6), [2]),
                                    ((7, 5), [3, 2]), ((10, 9), [4, 7]), ((5, 5), [5, 5])])
def test_adaptive_avg_pool2d(hw, out, rng):
    x = rand(rng, 2, 3, *hw)
    ref = F.adaptive_avg_pool2d(t(x), out if len(out) == 2 else out[0])
    close(run1(lambda b, v: b.adaptive_avg_pool2d(v, out), x=x), ref, 1e-5, 1e-5)


@pytest.mark.parametrize("ids_shape,dtype", [((5,), "int64"), ((3, 4), "int32")])
def test_embedding(ids_shape, dtype, rng):
    table = rand(rng, 10, 6)
    ids = rng.integers(0, 10, ids_shape).astype(dtype)
    out = run1(lambda b, i, tb: b.embedding(i, tb), ids=ids, table=table)
    np.testing.assert_array_equal(out, F.embedding(torch.from_numpy(ids).long(), torch.from_numpy(table)).numpy())


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_one_hot(dtype, rng):
    ids = rng.integers(0, 6, (3, 4)).astype("int64")
    out = run1(lambda b, i: b.one_hot(i, 6, dtype), ids=ids)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, F.one_hot(torch.from_numpy(ids), 6).numpy().astype(dtype))


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    s = q @ k.transpose(-1, -2) * (scale or 1 / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ v


@pytest.mark.parametrize("mask_kind,causal,scale", [(None, False, 0.0), (None, True, 0.0), ("bool", False, 0.3),
                                                    ("float", True, 0.0)])
def test_scaled_dot_product_attention(mask_kind, causal, scale, rng):
    q, k, v = rand(rng, 2, 3, 5, 8), rand(rng, 2, 3, 7, 8), rand(rng, 2, 3, 7, 4)
    inputs = {"q": q, "k": k, "v": v}
    if mask_kind == "bool":
        m = rng.uniform(size=(5, 7)) > 0.3
        m[:, 0] = True  # no row entirely masked
        inputs["m"] = m
    elif mask_kind == "float":
        inputs["m"] = rand(rng, 2, 1, 5, 7)

    def build(b, q_, k_, v_, m_=None):
        return b.scaled_dot_product_attention(q_, k_, v_, m_, causal, scale)

    out = run1(build, **inputs)
    m = inputs.get("m")
    ref = sdpa_ref(t(q), t(k), t(v), None if m is None else torch.from_numpy(m) if m.dtype == bool else t(m),
                   causal, scale or None)
    close(out, ref, 1e-5, 1e-5)


def test_optional_inputs_through_the_registry():
    b = cinn.NetBuilder("t")
    x = b.input([2, 4], "float32", "x")
    w = b.input([3, 4], "float32", "w")
    bias = b.input([3], "float32", "bias")
    assert b.call("linear", [x, w])[0].shape == [2, 3]
    assert b.call("linear", [x, w, bias])[0].shape == [2, 3]
    with pytest.raises(cinn.Error, match=r"op 'linear' takes 2 to 3 input\(s\) \(x, w, bias\?\), got 4"):
        b.call("linear", [x, w, bias, bias])
    with pytest.raises(cinn.Error, match=r"op 'linear' takes 2 to 3 input\(s\)"):
        b.call("linear", [x])
    q = b.input([2, 3, 4], "float32", "q")
    with pytest.raises(cinn.Error, match="op 'scaled_dot_product_attention'.*is_causal"):
        b.scaled_dot_product_attention(q, q, q, None, 3.5)
    schema = next(s for s in cinn._cinn.op_schemas() if s["name"] == "linear")
    assert schema["inputs"] == [("x", False, False), ("w", False, False), ("bias", False, True)]
    assert "bias (optional)" in cinn.NetBuilder.linear.__doc__


def test_nn_errors():
    b = cinn.NetBuilder("t")
    x = b.input([2, 4], "float32", "x")
    with pytest.raises(cinn.ShapeError, match=r"op 'linear'.*\[out, in\]"):
        b.linear(x, b.input([3, 5], "float32", "w"))
    with pytest.raises(cinn.ShapeError, match="op 'linear'.*bias"):
        b.linear(x, b.input([3, 4], "float32", "w2"), b.input([4], "float32", "c"))
    with pytest.raises(cinn.DTypeError, match="op 'embedding'.*ids"):
        b.embedding(x, x)
    with pytest.raises(cinn.ShapeError, match="op 'bmm'"):
        b.bmm(x, x)
    img = b.input([1, 3, 6, 6], "float32", "img")
    with pytest.raises(cinn.ShapeError, match="op 'conv2d_bias'.*bias"):
        b.conv2d_bias(img, b.input([4, 3, 3, 3], "float32", "k"), b.input([3], "float32", "kb"))
    with pytest.raises(cinn.ShapeError, match="op 'max_pool2d'.*kernel_size"):
        b.max_pool2d(img, [2, 2, 2])
    with pytest.raises(cinn.ShapeError, match="op 'max_pool2d'.*pool2d"):
        b.max_pool2d(img, [8, 8])
