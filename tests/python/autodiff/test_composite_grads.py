"""Gradients of the composite ops against torch.autograd: float32 inputs, torch evaluated in
float64 on the same values, max-norm relative error at most 1e-4 (gradcheck.py).

A composite differentiates through its decomposition unless it registers a rule of its own
(softmax, log_softmax, logsumexp, relu); both kinds are checked here. Inputs are random
with a fixed seed, over ranges that cover both sides of each kink.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn

from gradcheck import check_against_torch


def rand(rng, *shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, shape).astype("float32")


UNARY = {
    "relu": (lambda b, x: b.relu(x), F.relu, (-3, 3)),
    "relu6": (lambda b, x: b.relu6(x), F.relu6, (-3, 9)),
    "leaky_relu": (lambda b, x: b.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), (-3, 3)),
    "elu": (lambda b, x: b.elu(x, 0.5), lambda x: F.elu(x, 0.5), (-4, 3)),
    "selu": (lambda b, x: b.selu(x), F.selu, (-4, 3)),
    "gelu": (lambda b, x: b.gelu(x), F.gelu, (-5, 5)),
    "gelu_tanh": (lambda b, x: b.gelu(x, "tanh"), lambda x: F.gelu(x, approximate="tanh"), (-5, 5)),
    "sigmoid": (lambda b, x: b.sigmoid(x), torch.sigmoid, (-8, 8)),
    "silu": (lambda b, x: b.silu(x), F.silu, (-8, 8)),
    "hard_sigmoid": (lambda b, x: b.hard_sigmoid(x), F.hardsigmoid, (-5, 5)),
    "hard_swish": (lambda b, x: b.hard_swish(x), F.hardswish, (-5, 5)),
    "hard_tanh": (lambda b, x: b.hard_tanh(x, -0.5, 2.0), lambda x: F.hardtanh(x, -0.5, 2.0), (-3, 3)),
    "mish": (lambda b, x: b.mish(x), F.mish, (-6, 6)),
    "softplus": (lambda b, x: b.softplus(x, 2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0), (-6, 6)),
    "softsign": (lambda b, x: b.softsign(x), F.softsign, (-5, 5)),
    "log_sigmoid": (lambda b, x: b.log_sigmoid(x), F.logsigmoid, (-30, 30)),
    "sign": (lambda b, x: b.sign(x), torch.sign, (-3, 3)),
    "square": (lambda b, x: b.square(x), torch.square, (-3, 3)),
    "reciprocal": (lambda b, x: b.reciprocal(x), torch.reciprocal, (0.2, 3)),
    "clip": (lambda b, x: b.clip(x, -0.5, 1.25), lambda x: torch.clamp(x, -0.5, 1.25), (-3, 3)),
    "scale": (lambda b, x: b.scale(x, 1.5, 0.25), lambda x: x * 1.5 + 0.25, (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, rng):
    build, ref, (lo, hi) = UNARY[name]
    check_against_torch(build, ref, {"x": rand(rng, 4, 9, lo=lo, hi=hi)}, ["x"], rng)


@pytest.mark.parametrize("name", ["relu", "relu6", "hard_tanh", "clip", "hard_sigmoid", "hard_swish"])
def test_gradients_at_the_kinks_are_pytorchs(name, rng):
    """Exactly at a kink the rules give PyTorch's value: none at relu6's 0 and 6, hardtanh's
    bounds and hardsigmoid's +-3; all of it at clamp's bounds; hardswish's x / 3 + 0.5 at
    -3 and 3 (max and min's own rule would split the gradient evenly). PyTorch 1.13's own
    hardswish gradient at exactly 3 depends on the element's position (1.5 from its scalar
    loop, 1 from its vector loop), so 3 is checked against the formula separately."""
    build, ref, _ = UNARY[name]
    kinks = np.float32([-3, -1, -0.5, 0, 0.5, 1, 1.25, 2, 3, 6, -4, 7])
    if name == "hard_swish":
        b = cinn.NetBuilder("kink")
        x = b.input([1], "float32", "x")
        loss = b.sum(b.hard_swish(x))
        _, g = cinn.compile(cinn.grad(b.build([loss]), loss, wrt=[x]))(x=np.float32([3]))
        assert g[0] == 1.5
        kinks[kinks == 3] = 2.5
    check_against_torch(build, ref, {"x": np.resize(kinks, (4, 9))}, ["x"], rng)


def test_prelu(rng):
    check_against_torch(lambda b, x, a: b.prelu(x, a), F.prelu,
                        {"x": rand(rng, 4, 3, 5), "a": rand(rng, 3, lo=0, hi=0.5)}, ["x", "a"], rng)


@pytest.mark.parametrize("op,axis", [("softmax", [-1]), ("softmax", [0, 2]), ("log_softmax", [1]),
                                     ("log_softmax", [-1])])
def test_softmax_family(op, axis, rng):
    def ref(x):
        return torch.softmax(x, axis[0]) if op == "softmax" and len(axis) == 1 else \
            torch.exp(x - torch.logsumexp(x, axis, True)) if op == "softmax" else \
            x - torch.logsumexp(x, axis, True)
    check_against_torch(lambda b, x: getattr(b, op)(x, axis), ref, {"x": rand(rng, 3, 5, 4, lo=-20, hi=20)},
                        ["x"], rng)


@pytest.mark.parametrize("axis,keepdim", [([1], False), ([0, 2], True), ([], False)])
def test_logsumexp(axis, keepdim, rng):
    dims = axis or [0, 1, 2]
    check_against_torch(lambda b, x: b.logsumexp(x, axis, keepdim),
                        lambda x: torch.logsumexp(x, dims, keepdim), {"x": rand(rng, 3, 5, 4, lo=-30, hi=30)},
                        ["x"], rng)


def test_large_logits_keep_accurate_gradients(rng):
    """The stable rules: logits of magnitude 1e4 (exp overflows float32 without the shift)."""
    x = rand(rng, 4, 6, lo=-1e4, hi=1e4)
    check_against_torch(lambda b, v: b.log_softmax(v, [1]), lambda v: F.log_softmax(v, 1), {"x": x}, ["x"], rng)
    labels = rng.integers(0, 6, 4).astype("int64")
    check_against_torch(lambda b, v, y: b.cross_entropy(v, y), lambda v, y: F.cross_entropy(v, y),
                        {"x": x, "labels": labels}, ["x"], rng)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll(reduction, rng):
    logits = rand(rng, 6, 5, 3)
    labels = rng.integers(0, 5, (6, 3)).astype("int64")
    labels[0, 0] = -100
    inputs = {"x": logits, "labels": labels}
    check_against_torch(lambda b, x, y: b.cross_entropy(x, y, reduction),
                        lambda x, y: F.cross_entropy(x, y, reduction=reduction), inputs, ["x"], rng)
    check_against_torch(lambda b, x, y: b.nll_loss(x, y, reduction),
                        lambda x, y: F.nll_loss(x, y, reduction=reduction), inputs, ["x"], rng)


PAIR = {
    "mse_loss": (lambda b, x, y: b.mse_loss(x, y), F.mse_loss),
    "l1_loss": (lambda b, x, y: b.l1_loss(x, y, "sum"), lambda x, y: F.l1_loss(x, y, reduction="sum")),
    "smooth_l1_loss": (lambda b, x, y: b.smooth_l1_loss(x, y, "mean", 0.5),
                       lambda x, y: F.smooth_l1_loss(x, y, beta=0.5)),
    "huber_loss": (lambda b, x, y: b.huber_loss(x, y, "none", 1.5),
                   lambda x, y: F.huber_loss(x, y, reduction="none", delta=1.5)),
    "binary_cross_entropy": (lambda b, x, y: b.binary_cross_entropy(x, y), F.binary_cross_entropy),
    "bce_with_logits": (lambda b, x, y: b.binary_cross_entropy_with_logits(x, y),
                        F.binary_cross_entropy_with_logits),
}


@pytest.mark.parametrize("name", sorted(PAIR))
def test_pair_losses(name, rng):
    build, ref = PAIR[name]
    if name == "binary_cross_entropy":
        x = rand(rng, 4, 7, lo=0.05, hi=0.95)
    else:
        x = rand(rng, 4, 7, lo=-4, hi=4)
    y = rand(rng, 4, 7, lo=0, hi=1) if "b" in name[:1] else rand(rng, 4, 7, lo=-4, hi=4)
    check_against_torch(build, ref, {"x": x, "y": y}, ["x", "y"], rng)


REDUCTIONS = {
    "sum": (lambda b, x: b.sum(x, [1]), lambda x: x.sum(1)),
    "mean": (lambda b, x: b.mean(x, [0, 2], True), lambda x: x.mean((0, 2), True)),
    "amax": (lambda b, x: b.amax(x, [2]), lambda x: x.amax(2)),
    "amin": (lambda b, x: b.amin(x), lambda x: x.amin()),
    "prod": (lambda b, x: b.prod(x, [1]), lambda x: x.prod(1)),
    "var": (lambda b, x: b.var(x, [1]), lambda x: x.var(1)),
    "std": (lambda b, x: b.std(x, [0, 2], False, False), lambda x: x.std((0, 2), unbiased=False)),
    "norm2": (lambda b, x: b.norm(x, 2.0, [1]), lambda x: torch.linalg.vector_norm(x, 2, 1)),
    "norm1": (lambda b, x: b.norm(x, 1.0, [2], True), lambda x: torch.linalg.vector_norm(x, 1, 2, True)),
    "normalize": (lambda b, x: b.normalize(x, 2.0, 1), lambda x: F.normalize(x, 2.0, 1)),
    "triu": (lambda b, x: b.triu(x, 1), lambda x: torch.triu(x, 1)),
    "tril": (lambda b, x: b.tril(x), torch.tril),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_math(name, rng):
    build, ref = REDUCTIONS[name]
    x = rand(rng, 3, 4, 5, lo=0.5, hi=2.0) if name == "prod" else rand(rng, 3, 4, 5)
    check_against_torch(build, ref, {"x": x}, ["x"], rng)


def test_where_lerp_masked_fill_cosine(rng):
    x, y, w = rand(rng, 4, 5), rand(rng, 4, 5), rand(rng, 4, 5, lo=0, hi=1)
    m = rng.uniform(size=(4, 5)) > 0.5
    inputs = {"x": x, "y": y, "w": w, "m": m}

    def build(b, x_, y_, w_, m_):
        return (b.where(m_, x_, y_), b.lerp(x_, y_, w_), b.masked_fill(x_, m_, 2.0),
                b.cosine_similarity(x_, y_, 1))

    def ref(x_, y_, w_, m_):
        return (torch.where(m_, x_, y_), torch.lerp(x_, y_, w_), x_.masked_fill(m_, 2.0),
                F.cosine_similarity(x_, y_, 1))

    check_against_torch(build, ref, inputs, ["x", "y", "w"], rng)


def test_linear_bmm_embedding(rng):
    inputs = {"x": rand(rng, 2, 3, 6), "w": rand(rng, 4, 6), "c": rand(rng, 4), "y": rand(rng, 2, 6, 5),
              "ids": rng.integers(0, 7, (3, 4)).astype("int64"), "table": rand(rng, 7, 5)}

    def build(b, x, w, c, y, ids, table):
        return b.linear(x, w, c), b.bmm(x, y), b.embedding(ids, table)

    def ref(x, w, c, y, ids, table):
        return F.linear(x, w, c), torch.bmm(x, y), F.embedding(ids, table)

    check_against_torch(build, ref, inputs, ["x", "w", "c", "y", "table"], rng)


@pytest.mark.parametrize("stride,padding,dilation,groups", [([1, 1], [1, 1], [1, 1], 1), ([2, 1], [0, 1], [1, 2], 2)])
def test_conv2d_bias(stride, padding, dilation, groups, rng):
    inputs = {"x": rand(rng, 2, 4, 7, 6), "w": rand(rng, 6, 4 // groups, 3, 3), "c": rand(rng, 6)}
    check_against_torch(lambda b, x, w, c: b.conv2d_bias(x, w, c, stride, padding, dilation, groups),
                        lambda x, w, c: F.conv2d(x, w, c, stride, padding, dilation, groups),
                        inputs, ["x", "w", "c"], rng)


def test_depthwise_conv2d(rng):
    inputs = {"x": rand(rng, 2, 3, 6, 6), "w": rand(rng, 3, 1, 3, 3), "c": rand(rng, 3)}
    check_against_torch(lambda b, x, w, c: b.depthwise_conv2d(x, w, c, [2, 2], [1, 1]),
                        lambda x, w, c: F.conv2d(x, w, c, 2, 1, 1, 3), inputs, ["x", "w", "c"], rng)


def test_pooling(rng):
    x = rand(rng, 2, 3, 7, 6)

    def build(b, v):
        return (b.max_pool2d(v, [3, 3], [2, 2], [1]), b.avg_pool2d(v, [2, 2]),
                b.avg_pool2d(v, [3, 3], [2, 2], [1], False), b.adaptive_avg_pool2d(v, [1, 1]))

    def ref(v):
        return (F.max_pool2d(v, 3, 2, 1), F.avg_pool2d(v, 2), F.avg_pool2d(v, 3, 2, 1, count_include_pad=False),
                F.adaptive_avg_pool2d(v, 1))

    check_against_torch(build, ref, {"x": x}, ["x"], rng)


def sdpa_ref(q, k, v, mask=None, causal=False):
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s + mask
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ v


@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_attention(causal, rng):
    inputs = {"q": rand(rng, 2, 2, 5, 8), "k": rand(rng, 2, 2, 6, 8), "v": rand(rng, 2, 2, 6, 4),
              "m": rand(rng, 2, 1, 5, 6)}
    check_against_torch(lambda b, q, k, v, m: b.scaled_dot_product_attention(q, k, v, m, causal),
                        lambda q, k, v, m: sdpa_ref(q, k, v, m, causal), inputs, ["q", "k", "v", "m"], rng)


def test_layer_norm_and_rms_norm(rng):
    inputs = {"x": rand(rng, 3, 4, 8), "g": rand(rng, 8), "be": rand(rng, 8), "g2": rand(rng, 4, 8)}

    def build(b, x, g, be, g2):
        return b.layer_norm(x, g, be), b.rms_norm(x, g2, 1e-6, 1)

    def ref(x, g, be, g2):
        return (F.layer_norm(x, (8,), g, be, 1e-5),
                x * torch.rsqrt(x.pow(2).mean((1, 2), keepdim=True) + 1e-6) * g2)

    check_against_torch(build, ref, inputs, ["x", "g", "be", "g2"], rng)


@pytest.mark.parametrize("training", [False, True])
def test_batch_norm(training, rng):
    inputs = {"x": rand(rng, 4, 3, 5, 5), "g": rand(rng, 3), "be": rand(rng, 3), "m": rand(rng, 3),
              "v": rand(rng, 3, lo=0.5, hi=2.0)}

    def build(b, x, g, be, m, v):
        return b.batch_norm(x, g, be, m, v, 1e-5, 0.1, training)

    def ref(x, g, be, m, v):
        if not training:
            shape = (1, 3, 1, 1)
            return (x - m.reshape(shape)) / torch.sqrt(v.reshape(shape) + 1e-5) * g.reshape(shape) + be.reshape(shape)
        y = F.batch_norm(x, m.detach().clone(), v.detach().clone(), g, be, True, 0.1, 1e-5)
        n = x.numel() / x.shape[1]
        mean = x.mean((0, 2, 3))
        var = x.var((0, 2, 3), unbiased=False) * n / (n - 1)
        return y, 0.9 * m + 0.1 * mean, 0.9 * v + 0.1 * var

    check_against_torch(build, ref, inputs, ["x", "g", "be", "m", "v"], rng)


def test_group_and_instance_norm(rng):
    inputs = {"x": rand(rng, 2, 6, 4, 3), "g": rand(rng, 6), "be": rand(rng, 6)}

    def build(b, x, g, be):
        return b.group_norm(x, g, be, 3), b.instance_norm(x, g, be)

    def ref(x, g, be):
        return F.group_norm(x, 3, g, be, 1e-5), F.instance_norm(x, weight=g, bias=be, eps=1e-5)

    check_against_torch(build, ref, inputs, ["x", "g", "be"], rng)


def test_shape_ops(rng):
    inputs = {"x": rand(rng, 2, 4, 3, 1), "y": rand(rng, 2, 8, 2, 2)}

    def build(b, x, y):
        a, c = b.split(x, [1, 3], 1)
        return (b.flatten(x, 1), b.squeeze(x, [3]), b.unsqueeze(x, [0]), b.expand(x, [2, 4, 3, 5]),
                b.tile(x, [1, 2, 1, 2]), a, c, b.chunk(y, 2, 1)[1], b.stack([x, x], 1), b.flip(x, [1, 2]),
                b.pixel_shuffle(y, 2), b.pixel_unshuffle(b.pixel_shuffle(y, 2), 2),
                b.upsample_nearest2d(y, [2, 3]))

    def ref(x, y):
        a, c = torch.split(x, [1, 3], 1)
        return (torch.flatten(x, 1), x.squeeze(3), x.unsqueeze(0), x.expand(2, 4, 3, 5), x.repeat(1, 2, 1, 2),
                a, c, torch.chunk(y, 2, 1)[1], torch.stack([x, x], 1), torch.flip(x, [1, 2]),
                F.pixel_shuffle(y, 2), F.pixel_unshuffle(F.pixel_shuffle(y, 2), 2),
                F.interpolate(y, scale_factor=(2, 3), mode="nearest"))

    check_against_torch(build, ref, inputs, ["x", "y"], rng)
