"""Composite math ops (frontend/composite/math.cc) against numpy / PyTorch: scale, the
reductions and statistics, argmax/argmin, where, the named comparisons, logical_xor,
floor_divide, remainder, lerp, norm, normalize, cosine_similarity, triu/tril, masked_fill,
arange and the *_like fills.

Inputs are random with a fixed seed. Tolerance: float32 rtol=1e-5, atol=1e-5 (references in
float64); integer, bool and index results are exact.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn
from netrun import rand, run, run1, t

RTOL, ATOL = 1e-5, 1e-5


def close(out, ref, rtol=RTOL, atol=ATOL):
    ref = ref.numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


def test_scale(rng):
    x = rand(rng, 5, 6)
    a, c, d = run(lambda b, v: (b.scale(v, 2.5, -1.0), b.scale(v, 0.5), b.scale(v)), x=x)
    close(a, x.astype("float64") * 2.5 - 1.0)
    close(c, x * 0.5)
    np.testing.assert_array_equal(d, x)
    i = rng.integers(-5, 5, (7,)).astype("int32")
    np.testing.assert_array_equal(run1(lambda b, v: b.scale(v, 3, 2), x=i), i * 3 + 2)


REDUCTIONS = {"sum": torch.sum, "mean": torch.mean, "amax": torch.amax, "amin": torch.amin}


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("shape,axis,keepdim", [((8, 33), [1], False), ((8, 33), [0], True),
                                                ((4, 5, 6), [-1, 0], False), ((4, 5, 6), [], True),
                                                ((4, 5, 6), [], False)])
def test_reductions(op, shape, axis, keepdim, rng):
    lo, hi = (0.8, 1.2) if op == "prod" else (-2, 2)
    x = rand(rng, *shape, lo=lo, hi=hi)
    out = run1(lambda b, v: getattr(b, op)(v, axis, keepdim), x=x)
    ax = tuple(axis) if axis else None
    ref = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
           "prod": np.prod}[op](x.astype("float64"), axis=ax, keepdims=keepdim)
    close(out, ref)


def test_integer_and_bool_sums(rng):
    x = rng.integers(-9, 9, (6, 7)).astype("int32")
    s, m = run(lambda b, v: (b.sum(v, [1]), b.amax(v)), x=x)
    np.testing.assert_array_equal(s, x.sum(1))
    np.testing.assert_array_equal(m, x.max())
    c = rng.uniform(size=(5, 8)) > 0.5
    out = run1(lambda b, v: b.sum(v, [1]), c=c)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, c.sum(1))


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("shape,axis,keepdim,unbiased", [((8, 33), [1], False, True),
                                                         ((4, 5, 6), [0, 2], True, False),
                                                         ((4, 5, 6), [], False, True)])
def test_var_std(op, shape, axis, keepdim, unbiased, rng):
    x = rand(rng, *shape)
    out = run1(lambda b, v: getattr(b, op)(v, axis, keepdim, unbiased), x=x)
    dims = axis if axis else list(range(len(shape)))
    ref = getattr(torch, op)(t(x), dim=dims, keepdim=keepdim, unbiased=unbiased)
    close(out, ref)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("shape,axis,keepdim", [((6, 9), [1], False), ((4, 5, 6), [0], True),
                                                ((4, 5, 6), [-2], False), ((4, 5), [], False),
                                                ((4, 5), [], True)])
def test_argmax_argmin(op, shape, axis, keepdim, rng):
    x = rng.integers(0, 7, shape).astype("float32")  # ties: the first index wins
    out = run1(lambda b, v: getattr(b, op)(v, axis, keepdim), x=x)
    ref = getattr(np, op)(x, axis=axis[0] if axis else None, keepdims=keepdim)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("shapes", [((4, 5), (4, 5), (4, 5)), ((4, 1), (5,), (1, 5)),
                                    ((3, 1, 5), (4, 1), (5,))])
def test_where(shapes, rng):
    c = rng.uniform(size=shapes[0]) > 0.5
    x = rand(rng, *shapes[1])
    y = rand(rng, *shapes[2])
    out = run1(lambda b, u, v, w: b.where(u, v, w), c=c, x=x, y=y)
    np.testing.assert_array_equal(out, np.where(c, x, y))
    out = run1(lambda b, u, v: b.where(u, v, 0.5), c=c, x=x)  # a number takes x's dtype
    np.testing.assert_array_equal(out, np.where(c, x, np.float32(0.5)))


COMPARE = {"equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
           "greater_equal": np.greater_equal, "less": np.less, "less_equal": np.less_equal}


@pytest.mark.parametrize("op", sorted(COMPARE))
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_comparisons(op, dtype, rng):
    x = rng.integers(0, 4, (5, 6)).astype(dtype)
    y = rng.integers(0, 4, (6,)).astype(dtype)
    out = run1(lambda b, u, v: getattr(b, op)(u, v), x=x, y=y)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, COMPARE[op](x, y))


def test_logical_xor(rng):
    x = rng.uniform(size=(4, 6)) > 0.5
    y = rng.uniform(size=(6,)) > 0.5
    np.testing.assert_array_equal(run1(lambda b, u, v: b.logical_xor(u, v), x=x, y=y),
                                  np.logical_xor(x, y))
    i = rng.integers(-2, 3, (4, 6)).astype("int32")
    j = rng.integers(-2, 3, (4, 6)).astype("int32")
    np.testing.assert_array_equal(run1(lambda b, u, v: b.logical_xor(u, v), i=i, j=j),
                                  np.logical_xor(i, j))


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_floor_divide_and_remainder(dtype, rng):
    if dtype == "float32":
        x = rand(rng, 6, 7, lo=-20, hi=20)
        y = rand(rng, 7, lo=0.5, hi=4) * rng.choice([-1, 1], 7).astype("float32")
    else:
        x = rng.integers(-50, 50, (6, 7)).astype(dtype)
        y = (rng.integers(1, 9, (7,)) * rng.choice([-1, 1], 7)).astype(dtype)
    q, r = run(lambda b, u, v: (b.floor_divide(u, v), b.remainder(u, v)), x=x, y=y)
    tq = torch.floor_divide(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    tr = torch.remainder(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    if dtype == "float32":
        close(q, tq)
        close(r, tr, atol=2e-5)
    else:
        np.testing.assert_array_equal(q, tq)
        np.testing.assert_array_equal(r, tr)


def test_lerp(rng):
    x, y = rand(rng, 4, 5), rand(rng, 5)
    w = rand(rng, 4, 1, lo=0, hi=1)
    close(run1(lambda b, u, v, s: b.lerp(u, v, s), x=x, y=y, w=w), torch.lerp(t(x), t(y), t(w)))
    close(run1(lambda b, u, v: b.lerp(u, v, 0.25), x=x, y=y), torch.lerp(t(x), t(y), 0.25))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf"), 0.0])
@pytest.mark.parametrize("axis,keepdim", [([1], False), ([], False), ([0, 2], True)])
def test_norm(p, axis, keepdim, rng):
    x = rand(rng, 3, 5, 4)
    x[0, 0, 0] = 0.0
    out = run1(lambda b, v: b.norm(v, p, axis, keepdim), x=x)
    ref = torch.linalg.vector_norm(t(x), p, dim=axis if axis else None, keepdim=keepdim)
    close(out, ref)


@pytest.mark.parametrize("p,axis", [(2.0, 1), (1.0, -1)])
def test_normalize(p, axis, rng):
    x = rand(rng, 4, 6, 3)
    x[0, :, 0] = 0.0  # the eps bound
    out = run1(lambda b, v: b.normalize(v, p, axis), x=x)
    close(out, F.normalize(t(x), p, axis))


@pytest.mark.parametrize("xs,ys,axis", [((5, 8), (5, 8), 1), ((4, 3, 6), (3, 6), -1),
                                        ((4, 6, 3), (1, 6, 1), 1)])
def test_cosine_similarity(xs, ys, axis, rng):
    x, y = rand(rng, *xs), rand(rng, *ys)
    out = run1(lambda b, u, v: b.cosine_similarity(u, v, axis), x=x, y=y)
    close(out, F.cosine_similarity(t(x), t(y), axis))


@pytest.mark.parametrize("shape", [(5, 7), (2, 6, 4)])
@pytest.mark.parametrize("diagonal", [0, 2, -1])
def test_triu_tril(shape, diagonal, rng):
    x = rand(rng, *shape)
    u, lo = run(lambda b, v: (b.triu(v, diagonal), b.tril(v, diagonal)), x=x)
    np.testing.assert_array_equal(u, torch.triu(torch.from_numpy(x), diagonal).numpy())
    np.testing.assert_array_equal(lo, torch.tril(torch.from_numpy(x), diagonal).numpy())


@pytest.mark.parametrize("mshape", [(4, 5), (5,), (4, 1)])
def test_masked_fill(mshape, rng):
    x = rand(rng, 4, 5)
    m = rng.uniform(size=mshape) > 0.5
    out = run1(lambda b, u, v: b.masked_fill(u, v, -2.5), x=x, m=m)
    np.testing.assert_array_equal(out, torch.from_numpy(x).masked_fill(torch.from_numpy(m), -2.5).numpy())
    i = rng.integers(-5, 5, (4, 5)).astype("int64")
    out = run1(lambda b, u, v: b.masked_fill(u, v, 7), i=i, m=m)
    np.testing.assert_array_equal(out, np.where(np.broadcast_to(m, (4, 5)), 7, i))


@pytest.mark.parametrize("start,end,step,dtype", [(0, 10, 1, "float32"), (-1.5, 2.0, 0.25, "float32"),
                                                  (3, -4, -2, "int64"), (0, 1, 0.1, "float64"),
                                                  (2, 30, 3, "int32")])
def test_arange(start, end, step, dtype):
    b = cinn.NetBuilder("t")
    (out,) = cinn.compile(b.build(b.arange(start, end, step, dtype)))()
    tdt = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
           "int32": torch.int32}[dtype]
    ref = torch.arange(start, end, step, dtype=tdt).numpy()
    assert out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)


def test_full_zeros_ones_like(rng):
    x = rand(rng, 3, 4)
    i = rng.integers(0, 5, (2, 5)).astype("int32")
    f, z, o, fi = run(lambda b, u, v: (b.full_like(u, 1.5), b.zeros_like(u), b.ones_like(v),
                                       b.full_like(v, 7)), x=x, i=i)
    np.testing.assert_array_equal(f, np.full((3, 4), 1.5, "float32"))
    np.testing.assert_array_equal(z, np.zeros((3, 4), "float32"))
    assert o.dtype == np.int32 and fi.dtype == np.int32
    np.testing.assert_array_equal(o, np.ones((2, 5), "int32"))
    np.testing.assert_array_equal(fi, np.full((2, 5), 7, "int32"))


def test_math_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    i = b.input([4, 5], "int32", "i")
    with pytest.raises(cinn.DTypeError, match="op 'mean'.*floating"):
        b.mean(i)
    with pytest.raises(cinn.DTypeError, match="op 'where'.*cond must be bool"):
        b.where(x, x, x)
    with pytest.raises(cinn.DTypeError, match="op 'where'.*differ in dtype"):
        b.where(b.greater(x, 0.0), x, i)
    with pytest.raises(cinn.ShapeError, match="op 'where'.*do not broadcast"):
        b.where(b.greater(x, 0.0), x, b.input([3], "float32", "y"))
    with pytest.raises(cinn.DTypeError, match="op 'equal'.*different dtypes"):
        b.equal(x, i)
    with pytest.raises(cinn.ShapeError, match="op 'argmax'.*one axis"):
        b.argmax(x, [0, 1])
    with pytest.raises(cinn.ShapeError, match="op 'sum'.*out of range"):
        b.sum(x, [2])
    with pytest.raises(cinn.ShapeError, match="op 'arange'.*empty"):
        b.arange(0, 5, -1)
    with pytest.raises(cinn.ShapeError, match="op 'triu'.*rank"):
        b.triu(b.input([5], "float32", "v"))
    with pytest.raises(cinn.ShapeError, match="op 'masked_fill'"):
        b.masked_fill(x, b.input([4, 5, 1], "bool", "m"), 0.0)
