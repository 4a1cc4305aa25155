"""Whole training graphs: gradients of every parameter against torch.autograd (issue 6,
acceptance 2). float32 inputs; torch evaluates the same model in float64; max-norm
relative error at most 1e-4 per parameter (gradcheck.py)."""

import math

import numpy as np
import torch.nn.functional as F

import cinn
from cinn import models
from gradcheck import check_against_torch


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype("float32")


def test_mlp_with_cross_entropy(rng):
    inputs = {"x": rand(rng, 16, 20), "w1": rand(rng, 32, 20, scale=0.3), "b1": rand(rng, 32, scale=0.1),
              "w2": rand(rng, 10, 32, scale=0.3), "b2": rand(rng, 10, scale=0.1),
              "labels": rng.integers(0, 10, 16).astype("int64")}

    def build(b, x, w1, b1, w2, b2, labels):
        return b.cross_entropy(b.linear(b.relu(b.linear(x, w1, b1)), w2, b2), labels)

    def ref(x, w1, b1, w2, b2, labels):
        return F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels)

    check_against_torch(build, ref, inputs, ["w1", "b1", "w2", "b2", "x"], rng)


def test_resnet_basic_block_with_batch_norm_training(rng):
    c = 4
    inputs = {"x": rand(rng, 2, c, 6, 6), "w1": rand(rng, c, c, 3, 3, scale=0.3), "w2": rand(rng, c, c, 3, 3, scale=0.3),
              "g1": 1 + rand(rng, c, scale=0.1), "b1": rand(rng, c, scale=0.1),
              "g2": 1 + rand(rng, c, scale=0.1), "b2": rand(rng, c, scale=0.1),
              "m": np.zeros(c, "float32"), "v": np.ones(c, "float32")}

    def build(b, x, w1, w2, g1, b1, g2, b2, m, v):
        h, _, _ = b.batch_norm(b.conv2d(x, w1, padding=[1, 1]), g1, b1, m, v, training=True)
        h, _, _ = b.batch_norm(b.conv2d(b.relu(h), w2, padding=[1, 1]), g2, b2, m, v, training=True)
        return b.relu(b.add(h, x))

    def ref(x, w1, w2, g1, b1, g2, b2, m, v):
        h = F.batch_norm(F.conv2d(x, w1, padding=1), None, None, g1, b1, True, 0.1, 1e-5)
        h = F.batch_norm(F.conv2d(F.relu(h), w2, padding=1), None, None, g2, b2, True, 0.1, 1e-5)
        return F.relu(h + x)

    check_against_torch(build, ref, inputs, ["x", "w1", "w2", "g1", "b1", "g2", "b2"], rng)


def encoder_params(rng, d, ff):
    p = {}
    for n in ["q", "k", "v", "o"]:
        p["w" + n] = rand(rng, d, d, scale=1 / math.sqrt(d))
        p["b" + n] = rand(rng, d, scale=0.1)
    p.update({"w_ff1": rand(rng, ff, d, scale=1 / math.sqrt(d)), "b_ff1": rand(rng, ff, scale=0.1),
              "w_ff2": rand(rng, d, ff, scale=1 / math.sqrt(ff)), "b_ff2": rand(rng, d, scale=0.1),
              "ln1_g": 1 + rand(rng, d, scale=0.1), "ln1_b": rand(rng, d, scale=0.1),
              "ln2_g": 1 + rand(rng, d, scale=0.1), "ln2_b": rand(rng, d, scale=0.1)})
    return p


def test_transformer_encoder_layer(rng):
    """Post-norm encoder layer (torch.nn.TransformerEncoderLayer with GELU, no dropout):
    x + attention -> layer_norm -> + GELU MLP -> layer_norm."""
    B, S, D, H, FF = 2, 5, 8, 2, 16
    params = encoder_params(rng, D, FF)
    inputs = {"x": rand(rng, B, S, D), **params}
    names = list(inputs)

    def build(b, *vals):
        return models.encoder_layer(b, dict(zip(names, vals)), H)

    def ref(*vals):
        return models.encoder_layer_torch(dict(zip(names, vals)), H)

    # The key bias shifts every score of a query row by the same amount, which softmax
    # ignores: its gradient is zero up to rounding, so it is checked on its own.
    wrt = [n for n in names if n != "bk"]
    check_against_torch(build, ref, inputs, wrt, rng)
    (g_bk,) = check_against_torch(build, ref, inputs, ["bk"], rng, tol=np.inf)
    assert np.abs(g_bk).max() < 1e-5


def test_fusion_keeps_kernels_in_dependency_order(rng):
    """Regression: in the gradient of group_norm and instance_norm of one input, a reduction
    group feeds another group through one node while that group feeds the reduction's
    consumer through another. Fusing the two used to make the kernel graph cyclic, and a
    kernel ran before its input was written. Every kernel must read only values written by
    earlier kernels."""
    b = cinn.NetBuilder("n")
    x = b.input([2, 6, 4, 3], "float32", "x")
    g = b.input([6], "float32", "g")
    be = b.input([6], "float32", "be")
    c0 = b.input([2, 6, 4, 3], "float32", "c0")
    c1 = b.input([2, 6, 4, 3], "float32", "c1")
    loss = b.add(b.reduce(b.mul(b.group_norm(x, g, be, 3), c0), "sum"),
                 b.reduce(b.mul(b.instance_norm(x, g, be), c1), "sum"))
    exe = cinn.compile(cinn.grad(b.build([loss]), loss, [x, g, be]))
    written = {"x", "g", "be", "c0", "c1"}
    for k in exe.fusion_groups:
        assert set(k["inputs"]) <= written, f"{k['name']} reads {set(k['inputs']) - written} before it is written"
        written |= set(k["outputs"])
