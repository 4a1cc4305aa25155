"""NetBuilder.vjp: one op's vector-Jacobian product (the gradients of its inputs given
cotangents of its results) against torch.autograd, float32, max-norm relative error at most
1e-4 against torch in float64; and its errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn


def rel(a, ref):
    return float(np.abs(a - ref).max() / max(np.abs(ref).max(), 1e-30))


def torch_vjp(fn, inputs, cotangents):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    outs = fn(*ts)
    outs = outs if isinstance(outs, tuple) else (outs,)
    torch.autograd.backward(outs, [torch.tensor(c, dtype=torch.float64) for c in cotangents])
    return [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("stride,padding,groups", [(1, 1, 1), (2, 1, 1), (1, 0, 2), (2, 2, 4)])
def test_conv2d_vjp_matches_torch(stride, padding, groups):
    rng = np.random.default_rng(stride * 10 + padding + groups)
    x = rng.standard_normal((2, 4, 9, 11)).astype("float32")
    w = rng.standard_normal((8, 4 // groups, 3, 3)).astype("float32")
    ref_y = F.conv2d(torch.tensor(x), torch.tensor(w), stride=stride, padding=padding, groups=groups)
    dy = rng.standard_normal(ref_y.shape).astype("float32")
    b = cinn.NetBuilder("conv_vjp")
    X, W, DY = b.input(x.shape, name="x"), b.input(w.shape, name="w"), b.input(dy.shape, name="dy")
    dx, dw = b.vjp("conv2d", [X, W], [DY], stride=[stride] * 2, padding=[padding] * 2, groups=groups)
    assert list(dx.shape) == list(x.shape) and list(dw.shape) == list(w.shape)
    gx, gw = cinn.compile(b.build([dx, dw]), cache=False)(x, w, dy)
    rx, rw = torch_vjp(lambda a, k: F.conv2d(a, k, stride=stride, padding=padding, groups=groups),
                       [x, w], [dy])
    assert rel(gx, rx) < 1e-4 and rel(gw, rw) < 1e-4


@pytest.mark.parametrize("size,kernel,stride,padding,groups", [
    ((8, 8), (1, 1), (2, 2), (0, 0), 1),      # a downsample: odd positions get nothing
    ((10, 9), (2, 2), (3, 3), (0, 0), 1),     # kernel < stride: phases no tap reaches
    ((9, 8), (3, 3), (2, 2), (0, 0), 1),
    ((11, 12), (5, 3), (3, 2), (2, 1), 2),
    ((12, 12), (7, 7), (2, 2), (3, 3), 1),    # the ResNet stem
    ((7, 10), (3, 4), (2, 3), (1, 2), 4),
])
def test_strided_conv2d_input_gradient_by_phases(size, kernel, stride, padding, groups):
    """With a stride, conv2d's input gradient is one convolution per phase of the input (the
    positions a stride apart) with the taps that reach it, interleaved."""
    rng = np.random.default_rng(sum(size) + sum(kernel))
    x = rng.standard_normal((2, 4, *size)).astype("float32")
    w = rng.standard_normal((8, 4 // groups, *kernel)).astype("float32")
    conv = lambda a, k: F.conv2d(a, k, stride=stride, padding=padding, groups=groups)
    dy = rng.standard_normal(conv(torch.tensor(x), torch.tensor(w)).shape).astype("float32")
    b = cinn.NetBuilder("conv_vjp")
    X, W, DY = b.input(x.shape, name="x"), b.input(w.shape, name="w"), b.input(dy.shape, name="dy")
    dx, _ = b.vjp("conv2d", [X, W], [DY], stride=list(stride), padding=list(padding), groups=groups)
    exe = cinn.compile(b.build([dx]), cache=False)
    (gx,) = exe(x, w, dy)
    rx, _ = torch_vjp(conv, [x, w], [dy])
    assert rel(gx, rx) < 1e-4
    assert "conv2d" in exe.primitive_graph and "interior" in exe.primitive_graph


def test_max_pool_vjp_matches_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 8, 8)).astype("float32")
    dy = rng.standard_normal((2, 3, 4, 4)).astype("float32")
    b = cinn.NetBuilder("pool_vjp")
    X, DY = b.input(x.shape, name="x"), b.input(dy.shape, name="dy")
    (dx,) = b.vjp("max_pool2d", [X], [DY], kernel_size=[3, 3], stride=[2, 2], padding=[1, 1])
    (gx,) = cinn.compile(b.build([dx]), cache=False)(x, dy)
    (rx,) = torch_vjp(lambda a: F.max_pool2d(a, 3, 2, 1), [x], [dy])
    assert rel(gx, rx) < 1e-4


def test_composite_vjp_and_missing_cotangents():
    # layer_norm has three inputs and one result; log_softmax has a rule of its own.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 16)).astype("float32")
    g = rng.standard_normal(16).astype("float32")
    beta = rng.standard_normal(16).astype("float32")
    dy = rng.standard_normal((4, 16)).astype("float32")
    b = cinn.NetBuilder("ln_vjp")
    X, G, B, DY = (b.input(a.shape, name=n) for a, n in ((x, "x"), (g, "g"), (beta, "beta"), (dy, "dy")))
    grads = b.vjp("layer_norm", [X, G, B], [DY], begin_norm_axis=1)
    (ls,) = b.vjp("log_softmax", [X], [DY], axis=1)
    outs = cinn.compile(b.build(grads + [ls]), cache=False)(x, g, beta, dy)
    ref = torch_vjp(lambda a, s, t: F.layer_norm(a, (16,), s, t), [x, g, beta], [dy])
    ref.append(torch_vjp(lambda a: torch.log_softmax(a, 1), [x], [dy])[0])
    for got, want in zip(outs, ref):
        assert rel(got, want) < 1e-4
    # A result without a cotangent contributes nothing: split's second half only.
    b = cinn.NetBuilder("split_vjp")
    X = b.input([4, 16], name="x")
    D = b.input([4, 8], name="d")
    (dx,) = b.vjp("split", [X], [None, D], num_or_sections=2, axis=1)
    (gx,) = cinn.compile(b.build([dx]), cache=False)(x, dy[:, :8].copy())
    assert np.all(gx[:, :8] == 0) and np.array_equal(gx[:, 8:], dy[:, :8])


def test_integer_inputs_get_none():
    b = cinn.NetBuilder("emb_vjp")
    table = b.input([10, 4], name="table")
    ids = b.input([3], "int64", name="ids")
    dy = b.input([3, 4], name="dy")
    grads = b.vjp("gather", [table, ids], [dy], axis=0)
    assert grads[1] is None and list(grads[0].shape) == [10, 4]
    ids_v = np.array([1, 7, 1])
    d = np.arange(12, dtype="float32").reshape(3, 4)
    (g,) = cinn.compile(b.build([grads[0]]), cache=False)(np.zeros((10, 4), "float32"), ids_v, d)
    want = np.zeros((10, 4), "float32")
    np.add.at(want, ids_v, d)
    assert np.array_equal(g, want)


def test_vjp_errors():
    b = cinn.NetBuilder("bad")
    x = b.input([2, 3], name="x")
    with pytest.raises(cinn.ShapeError, match="cotangent 0"):
        b.vjp("relu", [x], [b.input([3, 2], name="d")])
    with pytest.raises(cinn.DTypeError, match="cotangent 0"):
        b.vjp("relu", [x], [b.input([2, 3], "float64", name="d64")])
    with pytest.raises(cinn.Error, match="2 cotangents given for its 1 result"):
        b.vjp("relu", [x], [x, x])
    with pytest.raises(cinn.UnsupportedOpError):
        b.vjp("no_such_op", [x], [x])
    other = cinn.NetBuilder("other").input([2, 3], name="y")
    with pytest.raises(cinn.Error, match="belongs to another NetBuilder"):
        b.vjp("relu", [x], [other])
