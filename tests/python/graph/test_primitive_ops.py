"""Forward tests of the primitive ops of the first batch (hlir/ops/{elementwise, transform,
reduction, matmul}.cc) through cinn.NetBuilder + cinn.compile, against numpy."""

import numpy as np
import pytest

import cinn

RTOL, ATOL = 1e-5, 1e-5


def run(build, inputs, fusion=True):
    """build(b, *values) -> output value(s); inputs: dict name -> array."""
    b = cinn.NetBuilder("t")
    vals = [b.input(a.shape, str(a.dtype), n) for n, a in inputs.items()]
    outs = build(b, *vals)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    exe = cinn.compile(b.build(outs), fusion=fusion)
    return exe(**inputs)


UNARY = {
    "exp": (np.exp, (-3, 3)), "log": (np.log, (0.1, 5)), "sqrt": (np.sqrt, (0.1, 5)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 5)), "tanh": (np.tanh, (-4, 4)),
    "sin": (np.sin, (-6, 6)), "cos": (np.cos, (-6, 6)), "abs": (np.abs, (-3, 3)),
    "neg": (np.negative, (-3, 3)), "floor": (np.floor, (-3, 3)), "ceil": (np.ceil, (-3, 3)),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("shape", [(7,), (3, 33)])
def test_unary(op, shape, rng):
    ref, (lo, hi) = UNARY[op]
    x = rng.uniform(lo, hi, shape).astype("float32")
    (out,) = run(lambda b, v: getattr(b, op)(v), {"x": x})
    np.testing.assert_allclose(out, ref(x), rtol=2e-6 if op != "exp" else 1e-5, atol=2e-6)


def test_erf_round_isnan_isinf(rng):
    import math
    x = rng.uniform(-3, 3, (50,)).astype("float32")
    (e, r) = run(lambda b, v: (b.erf(v), b.round(v)), {"x": x})
    np.testing.assert_allclose(e, np.vectorize(math.erf)(x).astype("float32"), atol=2e-6)
    # round: halves to even, as numpy, PyTorch and ONNX.
    np.testing.assert_array_equal(r, np.round(x))
    h = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, -3.51], "float32")
    (rh,) = run(lambda b, v: b.round(v), {"h": h})
    np.testing.assert_array_equal(rh, [0, 2, 2, -0, -2, -2, 3, -4])
    y = np.array([0.0, np.nan, np.inf, -np.inf, 1.0], "float32")
    (n, i) = run(lambda b, v: (b.isnan(v), b.isinf(v)), {"y": y})
    np.testing.assert_array_equal(n, np.isnan(y))
    np.testing.assert_array_equal(i, np.isinf(y))


BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "max": np.maximum, "min": np.minimum, "pow": np.power}


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((3, 1, 6), (4, 1)),
                                    ((1,), (2, 3))])
def test_binary_broadcasting(op, shapes, rng):
    lo = 0.5 if op == "pow" else -2
    x = rng.uniform(lo, 2, shapes[0]).astype("float32")
    y = rng.uniform(0.5, 2, shapes[1]).astype("float32")
    (out,) = run(lambda b, u, v: getattr(b, op)(u, v), {"x": x, "y": y})
    np.testing.assert_allclose(out, BINARY[op](x, y), rtol=2e-6, atol=2e-6)


def test_integer_arithmetic(rng):
    x = rng.integers(-50, 50, (6, 7)).astype("int32")
    y = rng.integers(1, 9, (6, 7)).astype("int32")
    (s, m, mn) = run(lambda b, u, v: (b.add(u, v), b.mod(u, v), b.min(u, v)), {"x": x, "y": y})
    np.testing.assert_array_equal(s, x + y)
    np.testing.assert_array_equal(m, np.mod(x, y))
    np.testing.assert_array_equal(mn, np.minimum(x, y))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_and_min_propagate_nan(dtype, rng):
    # As numpy's maximum / max and PyTorch: a NaN anywhere in the operands or the reduced
    # row is the result (vector lanes and the scalar tail: rows of 35).
    x = rng.standard_normal((6, 35)).astype(dtype)
    y = rng.standard_normal((6, 35)).astype(dtype)
    x[0, 3] = x[1, 34] = x[4, 0] = np.nan
    y[2, 5] = y[1, 34] = y[3, 33] = np.nan
    outs = run(lambda b, u, v: (b.max(u, v), b.min(u, v), b.relu(u), b.reduce(u, "max", [1]),
                                b.reduce(v, "min", [1]), b.reduce(u, "max", [0])), {"x": x, "y": y})
    want = (np.maximum(x, y), np.minimum(x, y), np.maximum(x, 0), x.max(1), y.min(1), x.max(0))
    for got, ref in zip(outs, want):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got, ref, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
@pytest.mark.parametrize("n", [256, 1024])
def test_row_reductions_through_vector_lanes(dtype, n, rng):
    """Rows are reduced in vector lanes, whose partial results x86 combines in a tree of
    halves (codegen_llvm's horizontal reduction): every kind, NaN in any lane position kept
    by max and min, integer sums wrapping as numpy's."""
    floats = dtype.startswith("float")
    x = (rng.standard_normal((8, n)) * 40).astype(dtype) if floats else rng.integers(0, 200, (8, n)).astype(dtype)
    if floats:
        x[1, 5] = x[2, n - 1] = x[3, 40] = x[3, 41] = np.nan  # lanes 5, the last, 40 and 41
    p = np.where(np.isnan(x), 1, 1 + x / 4000) if floats else np.ones_like(x)
    outs = run(lambda b, u, v: (b.reduce(u, "max", [1]), b.reduce(u, "min", [1]), b.reduce(u, "sum", [1]),
                                b.reduce(v, "prod", [1])), {"x": x, "p": p.astype(dtype)})
    want = (x.max(1), x.min(1), x.sum(1, dtype=x.dtype), p.astype(dtype).prod(1, dtype=x.dtype))
    for got, ref in zip(outs, want):
        assert got.dtype == ref.dtype
        if floats:
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got, ref, rtol=2e-6 if floats else 0, atol=1e-3 if floats else 0)


def test_max_pool_propagates_nan(rng):
    x = rng.standard_normal((1, 2, 8, 8)).astype("float32")
    x[0, 0, 2, 3] = x[0, 1, 7, 7] = np.nan
    (got,) = run(lambda b, v: b.pool2d(v, "max", [2, 2]), {"x": x})
    want = x.reshape(1, 2, 4, 2, 4, 2).max((3, 5))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(want).sum() == 2
    np.testing.assert_allclose(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint32", "uint64"])
def test_integer_division_by_zero_and_overflow_give_values(dtype, rng):
    # x86 traps on an integer division by zero and on the minimum divided by -1, which would
    # kill the process: both get values instead (numpy's 0 for a zero divisor, wrapping for
    # the minimum / -1), in the vector loop and in its scalar tail (35 = 2 * 16 + 3).
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, 35, dtype=dtype, endpoint=True)
    y = rng.integers(-3 if info.min < 0 else 0, 4, 35).astype(dtype)
    x[:4], y[:4] = [7, 0, info.min, info.max], [0, 0, -1 if info.min < 0 else 1, 0]
    y[-2:] = 0
    (q, r) = run(lambda b, u, v: (b.div(u, v), b.mod(u, v)), {"x": x, "y": y})
    safe = np.where(y == 0, 1, y)
    with np.errstate(over="ignore"):
        want_q = np.where(y == 0, 0, x // safe).astype(dtype)
        want_r = np.where(y == 0, 0, x % safe).astype(dtype)
    np.testing.assert_array_equal(q, want_q)
    np.testing.assert_array_equal(r, want_r)


@pytest.mark.parametrize("cmp,ref", [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                                     ("le", np.less_equal), ("gt", np.greater),
                                     ("ge", np.greater_equal)])
def test_compare_select_logical(cmp, ref, rng):
    x = rng.integers(0, 4, (5, 6)).astype("float32")
    y = rng.integers(0, 4, (6,)).astype("float32")

    def build(b, u, v):
        c = b.compare(u, v, cmp)
        return c, b.select(c, u, b.broadcast_to(v, [5, 6])), b.logical_not(c), \
            b.logical_and(c, b.compare(u, v, "le")), b.logical_or(c, b.compare(u, v, "gt"))

    c, s, n, a, o = run(build, {"x": x, "y": y})
    want = ref(x, y)
    np.testing.assert_array_equal(c, want)
    np.testing.assert_array_equal(s, np.where(want, x, np.broadcast_to(y, (5, 6))))
    np.testing.assert_array_equal(n, ~want)
    np.testing.assert_array_equal(a, want & (x <= y))
    np.testing.assert_array_equal(o, want | (x > y))


def test_cast(rng):
    x = rng.uniform(-5, 5, (4, 9)).astype("float32")
    (i, f, bo) = run(lambda b, v: (b.cast(v, "int32"), b.cast(b.cast(v, "int64"), "float64"),
                                   b.cast(v, "bool")), {"x": x})
    np.testing.assert_array_equal(i, x.astype("int32"))
    np.testing.assert_array_equal(f, x.astype("int64").astype("float64"))
    np.testing.assert_array_equal(bo, x.astype(bool))


@pytest.mark.parametrize("src,dst", [((3,), (4, 3)), ((4, 1), (4, 5)), ((1, 1), (2, 3, 4)),
                                     ((2, 1, 3), (2, 5, 3))])
def test_broadcast_to(src, dst, rng):
    x = rng.standard_normal(src).astype("float32")
    (out,) = run(lambda b, v: b.broadcast_to(v, list(dst)), {"x": x})
    np.testing.assert_array_equal(out, np.broadcast_to(x, dst))


@pytest.mark.parametrize("src,dst", [((4, 6), (24,)), ((4, 6), (3, -1)), ((2, 3, 4), (4, 6)),
                                     ((24,), (2, 3, 2, 2))])
def test_reshape(src, dst, rng):
    x = rng.standard_normal(src).astype("float32")
    (out,) = run(lambda b, v: b.reshape(v, list(dst)), {"x": x})
    np.testing.assert_array_equal(out, x.reshape(dst))


@pytest.mark.parametrize("shape,perm", [((3, 5), (1, 0)), ((2, 3, 4), (2, 0, 1)),
                                        ((2, 3, 4, 5), (0, 2, -1, 1))])
def test_transpose(shape, perm, rng):
    x = rng.standard_normal(shape).astype("float32")
    (out,) = run(lambda b, v: b.transpose(v, list(perm)), {"x": x})
    np.testing.assert_array_equal(out, np.transpose(x, [p % len(shape) for p in perm]))


def test_fill_constant():
    b = cinn.NetBuilder("t")
    c = b.fill_constant([2, 3], 2.5, "float32")
    i = b.fill_constant([4], 7, "int32")
    (cv, iv) = cinn.compile(b.build([c, i]))()
    np.testing.assert_array_equal(cv, np.full((2, 3), 2.5, "float32"))
    np.testing.assert_array_equal(iv, np.full((4,), 7, "int32"))


REDUCE = {"sum": np.sum, "max": np.max, "min": np.min, "prod": np.prod}


@pytest.mark.parametrize("kind", sorted(REDUCE))
@pytest.mark.parametrize("shape,axis,keepdim", [((8, 33), [1], False), ((8, 33), [0], True),
                                                ((4, 5, 6), [-1, 0], False), ((4, 5, 6), [], True),
                                                ((3, 40, 7), [1], False)])
def test_reduce(kind, shape, axis, keepdim, rng):
    lo = 0.8 if kind == "prod" else -1
    x = rng.uniform(lo, 1.2 if kind == "prod" else 1, shape).astype("float32")
    (out,) = run(lambda b, v: b.reduce(v, kind, axis, keepdim), {"x": x})
    ax = tuple(axis) if axis else None
    np.testing.assert_allclose(out, REDUCE[kind](x, axis=ax, keepdims=keepdim), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["sum", "prod", "max"])
@pytest.mark.parametrize("axis", [[1], [0]])
def test_float16_reductions_accumulate_in_float32(kind, axis, rng):
    """float16 sums and products accumulate in float32 (a float16 running sum of 1024 values
    would be off by many units in the last place): the result is within one float16 ulp of
    the exactly computed value rounded to float16. The conftest also runs the GPU schedule
    (emulated) and compares it with this host result."""
    lo, hi = (0.95, 1.05) if kind == "prod" else (-1, 1)
    x = rng.uniform(lo, hi, (1024, 48) if axis == [0] else (48, 1024)).astype("float16")
    (out,) = run(lambda b, v: b.reduce(v, kind, axis, False), {"x": x})
    exact = REDUCE[kind](x.astype("float64"), axis=axis[0])
    want = exact.astype("float16")
    ulp = np.spacing(np.abs(want)).astype("float64")
    assert out.dtype == np.float16
    assert (np.abs(out.astype("float64") - exact) <= ulp).all(), np.abs(out.astype("float64") - exact).max()


@pytest.mark.parametrize("shape,keep", [((3, 131072), False), ((3, 131072), True), ((1_000_000,), False)])
def test_long_sums_are_accurate(shape, keep, rng):
    """Rows of 32768 elements or more are summed in two stages (blocks of about sqrt(n)):
    float32 sums of n equal-signed terms in one running vector sum were off by 1e-4 at a
    million terms; two stages stay near float32's rounding, as numpy's pairwise sum does.
    Max reductions take the same two stages."""
    x = np.full(shape, 0.1, "float32")  # equal terms: a single running sum was 1.6e-5 / 1.5e-4 off
    x.flat[rng.integers(0, x.size, 50)] = 0.25  # and a max to find
    outs = run(lambda b, v: (b.reduce(v, "sum", [-1], keep), b.reduce(v, "max", [-1], keep),
                             b.mean(v, axis=[-1], keepdim=keep)), {"x": x})
    exact = x.astype("float64").sum(-1, keepdims=keep)
    assert outs[0].shape == exact.shape
    np.testing.assert_allclose(outs[0], exact, rtol=2e-6)
    np.testing.assert_array_equal(outs[1], x.max(-1, keepdims=keep))
    np.testing.assert_allclose(outs[2], exact / shape[-1], rtol=2e-6)


@pytest.mark.parametrize("shape,axis", [((16, 8, 48, 48), [0, 2, 3]),  # batch norm: rows, then N
                                        ((100000, 8), [0]),            # a column sum: blocks of rows
                                        ((300, 200, 8), [0, 1]),       # leading axes
                                        ((512, 512), [0, 1]),          # all: rows, then their sums
                                        ((64, 4096, 2), [1, 2])])      # short last axis fused
@pytest.mark.parametrize("keep", [False, True])
def test_large_sums_are_staged(shape, axis, keep, rng):
    """Float sums of 4096 terms or more over several axes, or over leading axes, run in
    stages (rows first, or blocks of the longest axis), the stages after the first in
    float64. One running sum per output (vector lane) was 1.7e-7 / 1.1e-5 / 5e-6 / 3.2e-7 /
    3.3e-6 off on these shapes (relative); staged, within 3e-7, as numpy's pairwise sum."""
    x = rng.uniform(0, 1, shape).astype("float32")
    (out,) = run(lambda b, v: b.reduce(v, "sum", axis, keep), {"x": x})
    exact = x.astype("float64").sum(tuple(axis), keepdims=keep)
    assert out.shape == exact.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, exact, rtol=3e-7)


def test_batch_norm_statistics_match_pytorch_on_offset_data(rng):
    """A batch norm's mean over N, H, W of data far from zero: off by about an ulp of the
    mean (PyTorch's by half an ulp: it accumulates in double), so y within 3x PyTorch's
    error (2.1x here); one running sum per vector lane made it 6x."""
    torch = pytest.importorskip("torch")
    x = (rng.standard_normal((32, 16, 28, 28)) + 100).astype("float32")
    c = np.ones(16, "float32"), np.zeros(16, "float32")
    (y, mean, var) = run(lambda b, v, s, t, m, w: b.batch_norm(v, s, t, m, w, training=True, momentum=1.0),
                         {"x": x, "s": c[0], "t": c[1], "m": c[1], "v": c[0]})
    x64 = x.astype("float64")
    exact = (x64 - x64.mean((0, 2, 3), keepdims=True)) / np.sqrt(x64.var((0, 2, 3), keepdims=True) + 1e-5)
    ours = np.abs(y - exact).max()
    theirs = np.abs(torch.nn.functional.batch_norm(torch.from_numpy(x), None, None, training=True).numpy() - exact).max()
    assert ours <= 3 * theirs, (ours, theirs)
    np.testing.assert_allclose(mean, x64.mean((0, 2, 3)), rtol=2e-7)


@pytest.mark.parametrize("op", ["matmul", "matmul_t", "conv2d", "conv2d_weight_grad", "avg_pool"])
def test_float16_products_accumulate_in_float32(op, rng):
    """matmul, convolutions and average pooling of float16 sum in float32, as PyTorch does:
    within one float16 ulp (plus float32 rounding) of the exact result rounded to float16.
    A float16 running sum over k = 2048 was off by 3%."""
    if op.startswith("matmul"):
        x = rng.uniform(0, 1, (8, 2048)).astype("float16")
        y = rng.uniform(0, 1, (24, 2048) if op == "matmul_t" else (2048, 24)).astype("float16")
        (out,) = run(lambda b, u, v: b.matmul(u, v, transpose_y=op == "matmul_t"), {"x": x, "y": y})
        yt = y.T if op == "matmul_t" else y
        exact = x.astype("float64") @ yt.astype("float64")
    else:
        import torch
        x = rng.uniform(0, 1, (2, 64, 10, 10)).astype("float16")
        x64 = torch.from_numpy(x.astype("float64"))
        if op == "conv2d":
            w = rng.uniform(0, 1, (16, 64, 3, 3)).astype("float16")
            (out,) = run(lambda b, u, v: b.conv2d(u, v, padding=[1, 1]), {"x": x, "w": w})
            exact = torch.nn.functional.conv2d(x64, torch.from_numpy(w.astype("float64")), padding=1).numpy()
        elif op == "conv2d_weight_grad":
            d = rng.uniform(0, 1, (2, 16, 10, 10)).astype("float16")
            (out,) = run(lambda b, u, v: b.conv2d_weight_grad(u, v, kernel=[3, 3], padding=[1, 1]),
                         {"x": x, "d": d})
            exact = torch.nn.grad.conv2d_weight(x64, (16, 64, 3, 3), torch.from_numpy(d.astype("float64")),
                                                padding=1).numpy()
        else:
            (out,) = run(lambda b, u: b.pool2d(u, "avg", [5, 5]), {"x": x})
            exact = torch.nn.functional.avg_pool2d(x64, 5).numpy()
    assert out.dtype == np.float16
    ulp = np.spacing(np.abs(exact.astype("float16"))).astype("float64")
    err = np.abs(out.astype("float64") - exact)
    assert (err <= ulp + 1e-6 * np.abs(exact)).all(), (err / ulp).max()


@pytest.mark.parametrize("xs,ys,tx,ty", [((16, 24), (24, 40), False, False),
                                         ((24, 16), (24, 40), True, False),
                                         ((16, 24), (40, 24), False, True),
                                         ((3, 9, 5), (3, 5, 7), False, False),
                                         ((2, 1, 9, 5), (3, 5, 7), False, False),
                                         ((67, 129), (129, 70), False, False)])
def test_matmul(xs, ys, tx, ty, rng):
    x = rng.standard_normal(xs).astype("float32")
    y = rng.standard_normal(ys).astype("float32")
    (out,) = run(lambda b, u, v: b.matmul(u, v, tx, ty), {"x": x, "y": y})
    xm = np.swapaxes(x, -1, -2) if tx else x
    ym = np.swapaxes(y, -1, -2) if ty else y
    np.testing.assert_allclose(out, xm @ ym, rtol=1e-4, atol=1e-4)
