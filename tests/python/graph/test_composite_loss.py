"""Composite losses (frontend/composite/loss.cc) against PyTorch: cross_entropy, nll_loss
(with ignore_index), mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy
and binary_cross_entropy_with_logits, each with reduction mean, sum and none; and their
errors.

Inputs are random with a fixed seed. Tolerance: float32 rtol=1e-5, atol=1e-5 (references
in float64).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn
from netrun import rand, run1, t

REDUCTIONS = ["mean", "sum", "none"]


def close(out, ref, rtol=1e-5, atol=1e-5):
    ref = ref.numpy()
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,dtype", [((8, 5), "int64"), ((3, 4, 6), "int32"), ((2, 5, 3, 2), "int64")])
def test_cross_entropy_and_nll(reduction, shape, dtype, rng):
    logits = rand(rng, *shape, lo=-6, hi=6)
    lshape = (shape[0],) + shape[2:]
    labels = rng.integers(0, shape[1], lshape).astype(dtype)
    labels.flat[0] = -100  # ignored: 0 loss, left out of the mean
    ce = run1(lambda b, x, y: b.cross_entropy(x, y, reduction), logits=logits, labels=labels)
    tl = torch.from_numpy(labels).long()
    close(ce, F.cross_entropy(t(logits), tl, reduction=reduction))
    lp = F.log_softmax(t(logits), 1).numpy().astype("float32")
    nll = run1(lambda b, x, y: b.nll_loss(x, y, reduction), lp=lp, labels=labels)
    close(nll, F.nll_loss(t(lp), tl, reduction=reduction))


def test_cross_entropy_ignore_index(rng):
    logits = rand(rng, 6, 4)
    labels = np.array([0, 3, 2, 2, 1, 3], "int64")
    out = run1(lambda b, x, y: b.cross_entropy(x, y, ignore_index=2), logits=logits, labels=labels)
    close(out, F.cross_entropy(t(logits), torch.from_numpy(labels), ignore_index=2))


PAIR = {
    "mse_loss": (lambda b, x, y, r: b.mse_loss(x, y, r), lambda x, y, r: F.mse_loss(x, y, reduction=r)),
    "l1_loss": (lambda b, x, y, r: b.l1_loss(x, y, r), lambda x, y, r: F.l1_loss(x, y, reduction=r)),
    "smooth_l1_loss": (lambda b, x, y, r: b.smooth_l1_loss(x, y, r),
                       lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r)),
    "smooth_l1_loss_beta": (lambda b, x, y, r: b.smooth_l1_loss(x, y, r, 0.5),
                            lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5)),
    "huber_loss": (lambda b, x, y, r: b.huber_loss(x, y, r, 1.5),
                   lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=1.5)),
    "bce_with_logits": (lambda b, x, y, r: b.binary_cross_entropy_with_logits(x, y, r),
                        lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r)),
}


@pytest.mark.parametrize("name", sorted(PAIR))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses(name, reduction, rng):
    build, ref = PAIR[name]
    x = rand(rng, 4, 7, lo=-4, hi=4)
    y = rand(rng, 4, 7, lo=0, hi=1) if "bce" in name else rand(rng, 4, 7, lo=-4, hi=4)
    out = run1(lambda b, u, v: build(b, u, v, reduction), x=x, y=y)
    close(out, ref(t(x), t(y), reduction))


def test_bce_with_logits_is_stable():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], "float32")
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0], "float32")
    out = run1(lambda b, u, v: b.binary_cross_entropy_with_logits(u, v, "none"), x=x, y=y)
    # torch's own float64 form cancels for x = -30 (log(1 + 1e-13)); log1p is exact there.
    xd, yd = x.astype("float64"), y.astype("float64")
    ref = np.maximum(xd, 0) - xd * yd + np.log1p(np.exp(-np.abs(xd)))
    close(out, torch.from_numpy(ref), 1e-6, 1e-30)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng):
    p = rand(rng, 5, 6, lo=0.01, hi=0.99)
    p[0, 0], p[0, 1] = 0.0, 1.0  # log clamped at -100, like torch
    y = rand(rng, 5, 6, lo=0, hi=1)
    out = run1(lambda b, u, v: b.binary_cross_entropy(u, v, reduction), p=p, y=y)
    close(out, F.binary_cross_entropy(t(p), t(y), reduction=reduction))


def test_broadcasting_loss(rng):
    x, y = rand(rng, 4, 5), rand(rng, 5)
    out = run1(lambda b, u, v: b.mse_loss(u, v, "none"), x=x, y=y)
    close(out, (t(x) - t(y)) ** 2)


def test_loss_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    f = b.input([4], "float32", "f")
    lab = b.input([4], "int64", "lab")
    with pytest.raises(cinn.DTypeError, match="op 'cross_entropy'.*labels must be int32 or int64"):
        b.cross_entropy(x, f)
    with pytest.raises(cinn.ShapeError, match=r"op 'nll_loss'.*labels must have shape \[4\]"):
        b.nll_loss(x, b.input([5], "int64", "l5"))
    with pytest.raises(cinn.Error, match="op 'mse_loss'.*reduction"):
        b.mse_loss(x, x, "avg")
    with pytest.raises(cinn.ShapeError, match="op 'cross_entropy'.*logits"):
        b.cross_entropy(f, b.input([], "int64", "l0"))
    assert b.cross_entropy(x, lab).shape == []
