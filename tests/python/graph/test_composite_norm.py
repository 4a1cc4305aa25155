"""Composite normalization layers (frontend/composite/norm.cc) against PyTorch: layer_norm,
rms_norm, batch_norm (inference, and training with its running statistics), group_norm
and instance_norm; their kernel counts and shape errors.

Inputs are random with a fixed seed (not centred, so that the mean matters). Tolerance:
float32 rtol=1e-4, atol=1e-4 for normalized outputs (references in float64), 1e-5 for the
running statistics.
"""

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


@pytest.mark.parametrize("shape,begin,flat_params", [((6, 40), -1, False), ((3, 4, 10), 1, False),
                                                     ((3, 4, 10), 1, True), ((2, 3, 4, 5), -2, False)])
def test_layer_norm(shape, begin, flat_params, rng):
    x = rand(rng, *shape, lo=-1, hi=4)
    norm_shape = shape[begin % len(shape):]
    pshape = (int(np.prod(norm_shape)),) if flat_params else norm_shape
    g, be = rand(rng, *pshape), rand(rng, *pshape)
    out = run1(lambda b, u, v, w: b.layer_norm(u, v, w, 1e-5, begin), x=x, g=g, be=be)
    close(out, F.layer_norm(t(x), norm_shape, t(g).reshape(norm_shape), t(be).reshape(norm_shape), 1e-5))


def test_layer_norm_is_at_most_two_kernels(rng):
    x, g, be = rand(rng, 16, 96), rand(rng, 96), rand(rng, 96)
    exe = compile_fn(lambda b, u, v, w: b.layer_norm(u, v, w), {"x": x, "g": g, "be": be})
    assert len(exe.fusion_groups) <= 2, kernels(exe)
    close(exe(x=x, g=g, be=be)[0], F.layer_norm(t(x), (96,), t(g), t(be)))


@pytest.mark.parametrize("shape,begin", [((6, 40), -1), ((3, 4, 10), 1)])
def test_rms_norm(shape, begin, rng):
    x = rand(rng, *shape)
    norm_shape = shape[begin % len(shape):]
    g = rand(rng, *norm_shape)
    out = run1(lambda b, u, v: b.rms_norm(u, v, 1e-6, begin), x=x, g=g)
    dims = tuple(range(begin % len(shape), len(shape)))
    xt = t(x)
    ref = xt * torch.rsqrt(xt.pow(2).mean(dims, keepdim=True) + 1e-6) * t(g)
    close(out, ref)


def bn_inputs(rng, c):
    return {"g": rand(rng, c), "be": rand(rng, c), "m": rand(rng, c), "v": rand(rng, c, lo=0.5, hi=2)}


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (8, 5), (2, 4, 7)])
def test_batch_norm_inference(shape, rng):
    x = rand(rng, *shape)
    p = bn_inputs(rng, shape[1])
    exe = compile_fn(lambda b, u, g, be, m, v: b.batch_norm(u, g, be, m, v), {"x": x, **p})
    assert len(exe.fusion_groups) == 1, kernels(exe)
    ref = F.batch_norm(t(x), t(p["m"]), t(p["v"]), t(p["g"]), t(p["be"]), False, 0.1, 1e-5)
    close(exe(x=x, **p)[0], ref)


@pytest.mark.parametrize("shape,momentum", [((4, 3, 5, 6), 0.1), ((8, 5), 0.3)])
def test_batch_norm_training(shape, momentum, rng):
    x = rand(rng, *shape, lo=-1, hi=3)
    p = bn_inputs(rng, shape[1])

    def build(b, u, g, be, m, v):
        outs = b.batch_norm(u, g, be, m, v, 1e-5, momentum, True)
        assert isinstance(outs, tuple) and len(outs) == 3
        return outs

    y, new_mean, new_var = run(build, x=x, **p)
    rm, rv = t(p["m"]), t(p["v"])  # torch updates these in place
    ref = F.batch_norm(t(x), rm, rv, t(p["g"]), t(p["be"]), True, momentum, 1e-5)
    close(y, ref)
    close(new_mean, rm, 1e-5, 1e-5)
    close(new_var, rv, 1e-5, 1e-5)


@pytest.mark.parametrize("shape,groups", [((2, 6, 4, 5), 3), ((2, 6, 4, 5), 1), ((3, 8, 7), 4), ((2, 4, 3, 3), 4)])
def test_group_norm(shape, groups, rng):
    x = rand(rng, *shape, lo=-1, hi=3)
    g, be = rand(rng, shape[1]), rand(rng, shape[1])
    out = run1(lambda b, u, v, w: b.group_norm(u, v, w, groups), x=x, g=g, be=be)
    close(out, F.group_norm(t(x), groups, t(g), t(be), 1e-5))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 9)])
def test_instance_norm(shape, rng):
    x = rand(rng, *shape, lo=-1, hi=3)
    g, be = rand(rng, shape[1]), rand(rng, shape[1])
    out = run1(lambda b, u, v, w: b.instance_norm(u, v, w), x=x, g=g, be=be)
    close(out, F.instance_norm(t(x), weight=t(g), bias=t(be), eps=1e-5))


def test_norm_errors():
    b = cinn.NetBuilder("t")
    x = b.input([2, 6, 4, 4], "float32", "x")
    c6, c5 = b.input([6], "float32", "c6"), b.input([5], "float32", "c5")
    with pytest.raises(cinn.ShapeError, match="op 'group_norm'.*num_groups=4 must divide the 6 channels"):
        b.group_norm(x, c6, c6, 4)
    with pytest.raises(cinn.ShapeError, match=r"op 'batch_norm'.*mean must be \[6\]"):
        b.batch_norm(x, c6, c6, c5, c6)
    with pytest.raises(cinn.ShapeError, match="op 'layer_norm'.*scale must have shape"):
        b.layer_norm(x, c6, c6)
    with pytest.raises(cinn.ShapeError, match="op 'instance_norm'.*bias"):
        b.instance_norm(x, c6, c5)
    i = b.input([2, 6], "int32", "i")
    with pytest.raises(cinn.DTypeError, match="op 'layer_norm'.*floating"):
        b.layer_norm(i, c6, c6)
    with pytest.raises(cinn.ShapeError, match="op 'batch_norm'.*more than one value"):
        b.batch_norm(b.input([1, 6], "float32", "one"), c6, c6, c6, c6, training=True)
