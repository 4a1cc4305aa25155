"""cinn.mlir.import_tosa: every mapped op against numpy / PyTorch on random inputs.

The programs are MLIR files written for these tests (inputs/*.mlir), one function per op
or variant; each test imports one function, compiles it for the host and compares with a
reference. Tolerance for float32 results: rtol = atol = 1e-5 (1e-4 for convolutions and
matmuls, which sum tens of products in a different order); integer and boolean results
are exact.
"""

import os

import numpy as np
import pytest
import torch

import cinn

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")


def run(file, entry, *args):
    prog = cinn.mlir.import_tosa(os.path.join(INPUTS, file), entry=entry)
    return cinn.compile(prog)(*args)


def f32(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape).astype("float32")


def i32(rng, *shape, lo=-20, hi=20):
    return rng.integers(lo, hi, shape).astype("int32")


def t(x):
    return torch.from_numpy(np.ascontiguousarray(x))


def close(got, want, tol=1e-5):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---- elementwise.mlir ----------------------------------------------------------------
S = (2, 3, 4)
POS = dict(lo=0.1, hi=3.0)

UNARY = {
    "abs": (dict(), np.abs),
    "ceil": (dict(), np.ceil),
    "floor": (dict(), np.floor),
    "exp": (dict(), np.exp),
    "log": (POS, np.log),
    "reciprocal": (POS, lambda x: 1 / x),
    "rsqrt": (POS, lambda x: 1 / np.sqrt(x)),
    "tanh": (dict(), np.tanh),
    "sigmoid": (dict(), lambda x: 1 / (1 + np.exp(-x))),
    "erf": (dict(), lambda x: torch.erf(t(x)).numpy()),
    "sin": (dict(), np.sin),
    "cos": (dict(), np.cos),
    "negate": (dict(), np.negative),
    "identity": (dict(), lambda x: x),
}


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, rng):
    kw, ref = UNARY[op]
    x = f32(rng, *S, **kw)
    (y,) = run("elementwise.mlir", op, x)
    close(y, ref(x).astype("float32"))


BINARY = {
    "add": (dict(), np.add),
    "sub": (dict(), np.subtract),
    "mul": (dict(), np.multiply),
    "maximum": (dict(), np.maximum),
    "minimum": (dict(), np.minimum),
    "pow": (POS, np.power),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op, rng):
    kw, ref = BINARY[op]
    x, y = f32(rng, *S, **kw), f32(rng, *S, **kw)
    (z,) = run("elementwise.mlir", op, x, y)
    close(z, ref(x, y))


def test_add_broadcasts_size_one_axes(rng):
    x, y = f32(rng, 2, 1, 4), f32(rng, 1, 3, 1)
    (z,) = run("elementwise.mlir", "add_broadcast", x, y)
    close(z, x + y)


def test_integer_mul_and_int_div_round_toward_zero(rng):
    x = i32(rng, 5, 7)
    y = i32(rng, 5, 7, lo=1, hi=6) * rng.choice([-1, 1], (5, 7)).astype("int32")
    (m,) = run("elementwise.mlir", "mul_int", x, y)
    close(m, x * y)
    (q,) = run("elementwise.mlir", "int_div", x, y)
    want = (np.abs(x) // np.abs(y) * np.sign(x) * np.sign(y)).astype("int32")
    assert (want != x // y).any()  # the inputs do tell truncation from floor division
    close(q, want)


def test_clamp(rng):
    x = f32(rng, *S)
    (y,) = run("elementwise.mlir", "clamp", x)
    close(y, np.clip(x, -0.5, 0.25))
    xi = i32(rng, 5, 7, lo=-8, hi=8)
    (yi,) = run("elementwise.mlir", "clamp_int", xi)
    close(yi, np.clip(xi, -3, 4))


def test_cast_float_to_int_rounds_half_to_even_and_saturates(rng):
    x = f32(rng, *S, lo=-200, hi=200)
    x.flat[:8] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 300.0, -300.0]
    (y,) = run("elementwise.mlir", "cast_f32_i8", x)
    close(y, np.clip(np.rint(x), -128, 127).astype("int8"))


def _unary_module(op, src, dst, n, attrs=""):
    return f"""func.func @main(%x: tensor<{n}x{src}>) -> tensor<{n}x{dst}> {{
  %0 = {op} %x {attrs} : (tensor<{n}x{src}>) -> tensor<{n}x{dst}>
  return %0 : tensor<{n}x{dst}>
}}"""


@pytest.mark.parametrize("src,dst", [("f32", "i32"), ("f32", "i64"), ("f64", "i64"), ("f16", "i16"),
                                     ("f32", "ui8"), ("f16", "i32"), ("bf16", "i16")])
@pytest.mark.parametrize("n", [1, 5, 16])
def test_cast_to_integer_saturates_at_the_limits(src, dst, n):
    """Saturation where the integer limit is not a float value (2^31 - 1 is 2^31 in float32,
    whose conversion would overflow): inf and values beyond the range give the limits."""
    np_src = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "bf16": np.float32}[src]
    info = np.iinfo({"i32": np.int32, "i64": np.int64, "i16": np.int16, "ui8": np.uint8}[dst])
    vals = np.array([np.inf, -np.inf, 3e38 if src in ("f32", "bf16") else 6e4, -6e4, 2.5, -3.5, 1e19, 100],
                    np.float64)
    with np.errstate(over="ignore"):  # 1e19 is inf in float16
        x = np.resize(vals, n).astype(np_src)
    if src == "bf16":  # numpy has no bfloat16: feed float32 and narrow inside the module
        text = f"""func.func @main(%x: tensor<{n}xf32>) -> tensor<{n}x{dst}> {{
  %h = tosa.cast %x : (tensor<{n}xf32>) -> tensor<{n}xbf16>
  %0 = tosa.cast %h : (tensor<{n}xbf16>) -> tensor<{n}x{dst}>
  return %0 : tensor<{n}x{dst}>
}}"""
    else:
        text = _unary_module("tosa.cast", src, dst, n)
    (y,) = cinn.compile(cinn.mlir.import_tosa(text))(x)
    def saturated(v):
        r = np.rint(float(v))
        return info.max if r >= info.max else info.min if r <= info.min else int(r)
    np.testing.assert_array_equal(y, np.array([saturated(v) for v in x], info.dtype))


def test_clamp_int_bounds_beyond_the_type_are_its_limits():
    """min_int / max_int are i64 attributes: on i8 or i32 tensors, bounds outside the type
    clamp at its limits instead of wrapping into it."""
    for ty, lo, hi, x, want in [("i32", 0, 2**63 - 1, [-5, 0, 7, 2**31 - 1], [0, 0, 7, 2**31 - 1]),
                                ("i8", 0, 200, [-128, 0, 7, 127], [0, 0, 7, 127]),
                                ("i8", -1000, 5, [-128, 0, 100, -5], [-128, 0, 5, -5])]:
        attrs = (f"{{min_fp = 0.0 : f32, max_fp = 0.0 : f32, min_int = {lo} : i64, "
                 f"max_int = {hi} : i64}}")
        dt = {"i32": np.int32, "i8": np.int8}[ty]
        (y,) = cinn.compile(cinn.mlir.import_tosa(_unary_module("tosa.clamp", ty, ty, 4, attrs)))(
            np.array(x, dt))
        np.testing.assert_array_equal(y, np.array(want, dt))


def test_casts(rng):
    xi = i32(rng, 5, 7)
    (y,) = run("elementwise.mlir", "cast_i32_f32", xi)
    close(y, xi.astype("float32"))
    x = f32(rng, *S)
    x.flat[::3] = 0
    (b,) = run("elementwise.mlir", "cast_f32_i1", x)
    close(b, x != 0)
    (h,) = run("elementwise.mlir", "cast_f32_f16", x)
    close(h, x.astype("float16"), tol=1e-3)


@pytest.mark.parametrize("op,ref", [("equal", np.equal), ("greater", np.greater),
                                    ("greater_equal", np.greater_equal)])
def test_compare(op, ref, rng):
    x = np.round(f32(rng, *S))  # integers: equal elements occur
    y = np.round(f32(rng, *S))
    (z,) = run("elementwise.mlir", op, x, y)
    close(z, ref(x, y))


@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
def test_logical(op, rng):
    x, y = rng.random(S) < 0.5, rng.random(S) < 0.5
    (z,) = run("elementwise.mlir", op, x, y)
    close(z, getattr(np, op)(x, y))


def test_logical_not_and_select(rng):
    c = rng.random(S) < 0.5
    (n,) = run("elementwise.mlir", "logical_not", c)
    close(n, ~c)
    x, y = f32(rng, *S), f32(rng, *S)
    (z,) = run("elementwise.mlir", "select", c, x, y)
    close(z, np.where(c, x, y))


# ---- shape.mlir ----------------------------------------------------------------------
@pytest.mark.parametrize("op,axis,ref", [("reduce_sum", 1, np.sum), ("reduce_max", 2, np.max),
                                         ("reduce_min", 0, np.min), ("reduce_prod", 1, np.prod)])
def test_reduce(op, axis, ref, rng):
    x = f32(rng, *S)
    (y,) = run("shape.mlir", op, x)
    close(y, ref(x, axis=axis, keepdims=True))


def test_reduce_all_any(rng):
    x = rng.random(S) < 0.7
    (a,) = run("shape.mlir", "reduce_all", x)
    close(a, x.all(axis=1, keepdims=True))
    x = rng.random(S) < 0.2
    (b,) = run("shape.mlir", "reduce_any", x)
    close(b, x.any(axis=2, keepdims=True))


def test_argmax(rng):
    x = f32(rng, *S)
    (y,) = run("shape.mlir", "argmax", x)
    close(y, np.argmax(x, axis=1).astype("int32"))


def test_reshape_transpose_slice(rng):
    x = f32(rng, *S)
    close(run("shape.mlir", "reshape", x)[0], x.reshape(6, 4))
    close(run("shape.mlir", "transpose", x)[0], x.transpose(2, 0, 1))
    close(run("shape.mlir", "slice", x)[0], x[1:2, 1:3, 1:3])
    close(run("shape.mlir", "reverse", x)[0], x[:, :, ::-1])
    close(run("shape.mlir", "tile", x)[0], np.tile(x, (1, 2, 3)))


def test_concat_and_pad(rng):
    x, y = f32(rng, *S), f32(rng, 2, 1, 4)
    close(run("shape.mlir", "concat", x, y)[0], np.concatenate([x, y], axis=1))
    want = np.pad(x, [(1, 0), (0, 0), (2, 1)], constant_values=1.5)
    close(run("shape.mlir", "pad", x)[0], want)


def test_gather(rng):
    values = f32(rng, 2, 5, 3)
    idx = rng.integers(0, 5, (2, 4)).astype("int32")
    (y,) = run("shape.mlir", "gather", values, idx)
    close(y, np.take_along_axis(values, idx[:, :, None].repeat(3, axis=2), axis=1))


def test_constants(rng):
    x = f32(rng, *S)
    (y,) = run("shape.mlir", "const", x)
    close(y, (x + np.array([0.5, -1.0, 2.0, 0.0], "float32")) * 3.0)


def test_arith_and_tensor_ops(rng):
    x, y = f32(rng, *S), f32(rng, *S)
    a, b, c = run("shape.mlir", "arith_tensor", x, y)
    m = np.maximum(2 * x - y, y)
    close(a, m.reshape(6, 4))
    close(b, m.reshape(2, 3, 2, 2)[:, 1:2])
    close(c, -x[:, 2, 1:4:2])


def test_more_arith_and_tensor_ops(rng):
    x, y = f32(rng, 2, 3), f32(rng, 2, 3, lo=0.5, hi=2.0)
    a, b = run("shape.mlir", "arith_more", x, y)
    want = np.minimum((x + y) / y, x)
    close(a, want)
    close(b, np.concatenate([want, y]))
    xi = i32(rng, 5, 7)
    yi = i32(rng, 5, 7, lo=1, hi=6) * rng.choice([-1, 1], (5, 7)).astype("int32")
    (q,) = run("shape.mlir", "arith_int", xi, yi)
    n = (xi + yi) * yi - xi
    close(q, (np.abs(n) // np.abs(yi) * np.sign(n) * np.sign(yi)).astype("int32"))


# ---- nn.mlir -------------------------------------------------------------------------
def nchw(x):
    return t(x).permute(0, 3, 1, 2)


def nhwc(y):
    return y.permute(0, 2, 3, 1).contiguous().numpy()


def test_matmul_and_fully_connected(rng):
    a, b = f32(rng, 2, 5, 7), f32(rng, 2, 7, 3)
    close(run("nn.mlir", "matmul", a, b)[0], a @ b, tol=1e-4)
    x, w, bias = f32(rng, 4, 10), f32(rng, 6, 10), f32(rng, 6)
    close(run("nn.mlir", "fully_connected", x, w, bias)[0], x @ w.T + bias, tol=1e-4)


def torch_conv(x, w_oihw, bias, pad, stride, dilation, groups=1):
    xp = torch.nn.functional.pad(nchw(x), (pad[2], pad[3], pad[0], pad[1]))
    y = torch.nn.functional.conv2d(xp, w_oihw, t(bias), stride=stride, dilation=dilation,
                                   groups=groups)
    return nhwc(y)


def test_conv2d(rng):
    x, w, b = f32(rng, 2, 9, 9, 3), f32(rng, 8, 3, 3, 3), f32(rng, 8)
    want = torch_conv(x, t(w).permute(0, 3, 1, 2), b, [1, 1, 1, 1], 1, 1)
    close(run("nn.mlir", "conv2d", x, w, b)[0], want, tol=1e-4)


def test_conv2d_asymmetric_padding_stride_dilation(rng):
    x, w, b = f32(rng, 1, 10, 9, 4), f32(rng, 5, 3, 2, 4), f32(rng, 5)
    want = torch_conv(x, t(w).permute(0, 3, 1, 2), b, [0, 1, 2, 1], 2, 2)
    close(run("nn.mlir", "conv2d_asym", x, w, b)[0], want, tol=1e-4)


def test_depthwise_conv2d_with_multiplier(rng):
    x, w, b = f32(rng, 2, 8, 8, 3), f32(rng, 3, 3, 3, 2), f32(rng, 6)
    w_oihw = t(w).permute(2, 3, 0, 1).reshape(6, 1, 3, 3)  # channel c*M + m
    want = torch_conv(x, w_oihw, b, [1, 1, 1, 1], 2, 1, groups=3)
    close(run("nn.mlir", "depthwise_conv2d", x, w, b)[0], want, tol=1e-4)


def test_transpose_conv2d(rng):
    x, w, b = f32(rng, 1, 5, 5, 4), f32(rng, 6, 3, 3, 4), f32(rng, 6)
    # The TOSA formula, directly: out[n, iy*s + top + ky, ix*s + left + kx, oc] +=
    # x[n, iy, ix, ic] * w[oc, ky, kx, ic], keeping the positions inside [0, OH) x [0, OW).
    top, left, s = 0, -1, 2
    want = np.zeros((1, 12, 10, 6), "float64")
    for iy in range(5):
        for ix in range(5):
            for ky in range(3):
                for kx in range(3):
                    oy, ox = iy * s + top + ky, ix * s + left + kx
                    if 0 <= oy < 12 and 0 <= ox < 10:
                        want[0, oy, ox] += w[:, ky, kx, :].astype("float64") @ x[0, iy, ix]
    want = (want + b).astype("float32")
    close(run("nn.mlir", "transpose_conv2d", x, w, b)[0], want, tol=1e-4)


def test_max_pool2d(rng):
    x = f32(rng, 2, 9, 9, 4)
    want = nhwc(torch.nn.functional.max_pool2d(nchw(x), 3, 2, 1))
    close(run("nn.mlir", "max_pool2d", x)[0], want)
    x = f32(rng, 1, 8, 8, 2)
    xp = torch.nn.functional.pad(nchw(x), (1, 0, 0, 1), value=-np.inf)
    close(run("nn.mlir", "max_pool2d_asym", x)[0], nhwc(torch.nn.functional.max_pool2d(xp, 2, 2)))


def test_avg_pool2d_excludes_padding(rng):
    x = f32(rng, 2, 9, 9, 4)
    want = nhwc(torch.nn.functional.avg_pool2d(nchw(x), 3, 2, 1, count_include_pad=False))
    close(run("nn.mlir", "avg_pool2d", x)[0], want)
    x = f32(rng, 2, 7, 7, 8)
    close(run("nn.mlir", "global_avg_pool", x)[0], x.mean(axis=(1, 2), keepdims=True))


def test_avg_pool2d_asymmetric_padding(rng):
    x = f32(rng, 1, 7, 7, 3)
    xp = np.pad(x, [(0, 0), (1, 0), (0, 0), (0, 0)])
    ones = np.pad(np.ones((1, 7, 7, 1), "float32"), [(0, 0), (1, 0), (0, 0), (0, 0)])
    sums = torch.nn.functional.avg_pool2d(nchw(xp), (2, 3), 2)
    counts = torch.nn.functional.avg_pool2d(nchw(ones), (2, 3), 2)
    close(run("nn.mlir", "avg_pool2d_asym", x)[0], nhwc(sums / counts))


# ---- a whole network -------------------------------------------------------------------
def cnn_reference(x, w1, b1, w2, w3):
    b2 = torch.tensor([0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8])
    b3 = torch.tensor([1.0, 0.5, 0.0, -0.5, -1.0, 1.5, 2.0, -2.0, 0.25, -0.25])
    F = torch.nn.functional
    y = F.conv2d(nchw(x), t(w1).permute(0, 3, 1, 2), t(b1), padding=1).clamp(0, 6)
    y = F.max_pool2d(y, 2)
    y = F.conv2d(y, t(w2).permute(2, 3, 0, 1), b2, padding=1, groups=8) + y
    y = F.linear(y.mean(dim=(2, 3)), t(w3), b3)
    return torch.softmax(y, dim=1).numpy()


def test_small_cnn_matches_torch(rng):
    args = [f32(rng, 2, 16, 16, 3), f32(rng, 8, 3, 3, 3, lo=-0.5, hi=0.5), f32(rng, 8),
            f32(rng, 3, 3, 8, 1, lo=-0.5, hi=0.5), f32(rng, 10, 8)]
    (y,) = run("cnn.mlir", None, *args)
    close(y, cnn_reference(*args), tol=1e-5)


# ---- the contract -----------------------------------------------------------------------
def test_supported_ops_lists_the_mapping():
    ops = cinn.mlir.supported_ops()
    assert ops == sorted(ops)
    for op in ["tosa.conv2d", "tosa.depthwise_conv2d", "tosa.fully_connected", "tosa.matmul",
               "tosa.avg_pool2d", "tosa.max_pool2d", "tosa.clamp", "tosa.reshape",
               "tosa.transpose", "tosa.slice", "tosa.concat", "tosa.pad", "tosa.reduce_sum",
               "tosa.cast", "tosa.const"]:
        assert op in ops


def test_every_mapped_op_is_in_a_test_input():
    """Each op of supported_ops() appears in one of the MLIR files these tests run."""
    text = "".join(open(os.path.join(INPUTS, f)).read() for f in os.listdir(INPUTS))
    missing = [op for op in cinn.mlir.supported_ops()
               if f"{op} " not in text and f'"{op}"' not in text]
    assert not missing, missing


def test_inputs_are_named_in_order_and_text_imports_too(rng):
    text = open(os.path.join(INPUTS, "elementwise.mlir")).read()
    prog = cinn.mlir.import_tosa(text, entry="select")
    assert [name for name, _, _ in prog.inputs] == ["arg0", "arg1", "arg2"]
    exe = cinn.mlir.compile(text, entry="sub")
    x, y = f32(rng, *S), f32(rng, *S)
    close(exe(arg0=x, arg1=y)[0], x - y)
