"""Float32 math intrinsics: the vectorizable approximations (cinn/ir/lower_math*.cc).

Each function runs as a kernel B[i] = f(A[i]) over a large array and is compared with numpy
in float64; the error is measured in float32 ulps of the exact value and must stay within
the bound documented in docs/math.md (measured there over all 2^32 inputs). Special values
(inf, NaN, signed zeros, subnormals, huge) must match C99/numpy exactly.
"""

import ctypes
import ctypes.util
import math
import re

import numpy as np
import pytest

import cinn
from cinn import lang

# Documented max error in ulp (docs/math.md), for every float32 input.
BOUND = {
    "exp": 1.5, "exp2": 1.5, "expm1": 2.0, "log": 1.0, "log2": 1.0, "log10": 1.0,
    "log1p": 1.0, "tanh": 1.5, "sigmoid": 2.5, "erf": 1.5, "pow": 1.0, "sin": 1.0, "cos": 1.0,
}

_erf = np.vectorize(math.erf, otypes=[np.float64])
REFERENCE = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "erf": _erf,
}

# Interesting finite inputs besides the random ones, and the special values.
SPECIAL = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 1e-45, -1e-45, 1.17549435e-38,
     -1.17549435e-38, 3e38, -3e38, 3.4028235e38, -3.4028235e38, 1.0, -1.0, 0.5, -0.5, 2.0,
     -2.0, 88.72, 88.73, -87.3, -103.9, -104.0, 1e-7, -1e-7, 0.625, 0.921875, 9.0, 9.02,
     9.5, -9.5, 30.0],
    dtype=np.float32)


def unary_kernel(name, precise_math=False, dtype="float32"):
    n = lang.Var("n")
    A = lang.placeholder((n,), dtype, "A")
    B = lang.compute((n,), lambda i: getattr(lang, name)(A[i]), "B")
    return cinn.build(lang.lower(name + "_kernel", [A, B]), precise_math=precise_math)


def pow_kernel():
    n = lang.Var("n")
    X = lang.placeholder((n,), "float32", "X")
    Y = lang.placeholder((n,), "float32", "Y")
    P = lang.compute((n,), lambda i: lang.pow(X[i], Y[i]), "P")
    return cinn.build(lang.lower("pow_kernel", [X, Y, P]))


def ulp_error(got, exact):
    """|got - exact| in float32 ulps at `exact` (float64). An exact value outside the float32
    range must be matched by the inf it rounds to; NaN must be matched by NaN."""
    with np.errstate(all="ignore"):
        r32 = exact.astype(np.float32)
        field = (r32.view(np.uint32) >> 23) & 0xFF
        ulp = np.ldexp(1.0, np.maximum(field.astype(np.int32), 1) - 150)
        err = np.abs(got.astype(np.float64) - exact) / ulp
    special = ~np.isfinite(r32) | ~np.isfinite(got)
    same = (got == r32) | (np.isnan(got) & np.isnan(r32))
    err[special] = np.where(same[special], 0.0, np.inf)
    return err


def check(name, x, got, exact, bound):
    err = ulp_error(got, exact)
    i = int(np.argmax(err))
    assert err[i] <= bound, (
        f"{name}({x[i]!r}) = {got[i]!r}, exact {exact[i]!r}: {err[i]:.3f} ulp > {bound}")
    return float(err[i])


def log_uniform(rng, lo, hi, n, signed=False):
    x = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    if signed:
        x *= rng.choice([-1.0, 1.0], n)
    return x.astype(np.float32)


N = 1 << 20
RANGES = {
    "exp": [lambda r: r.uniform(-100, 100, N), lambda r: r.uniform(-1, 1, N)],
    "exp2": [lambda r: r.uniform(-160, 135, N)],
    "expm1": [lambda r: r.uniform(-20, 90, N), lambda r: log_uniform(r, 1e-12, 1.0, N, True)],
    "log": [lambda r: log_uniform(r, 1e-45, 3.4e38, N), lambda r: r.uniform(0.5, 2, N)],
    "log2": [lambda r: log_uniform(r, 1e-45, 3.4e38, N), lambda r: r.uniform(0.5, 2, N)],
    "log10": [lambda r: log_uniform(r, 1e-45, 3.4e38, N), lambda r: r.uniform(0.5, 2, N)],
    "log1p": [lambda r: r.uniform(-1, 1, N), lambda r: log_uniform(r, 1e-30, 1e38, N)],
    "tanh": [lambda r: r.uniform(-20, 20, N), lambda r: log_uniform(r, 1e-30, 1.0, N, True)],
    "sigmoid": [lambda r: r.uniform(-20, 20, N), lambda r: r.uniform(-110, 110, N)],
    "erf": [lambda r: r.uniform(-20, 20, N // 4), lambda r: r.uniform(-4, 4, N // 4),
            lambda r: log_uniform(r, 1e-30, 1.0, N // 4, True)],
    "sin": [lambda r: r.uniform(-1e4, 1e4, N), lambda r: log_uniform(r, 1e-30, 3e38, N, True),
            lambda r: near_multiples_of_half_pi()],
    "cos": [lambda r: r.uniform(-1e4, 1e4, N), lambda r: log_uniform(r, 1e-30, 3e38, N, True),
            lambda r: near_multiples_of_half_pi()],
}


def near_multiples_of_half_pi():
    """Floats next to k pi/2, where the reduced argument is tiny and reduction errors show,
    and the two worst cases of a summation-order bug (found by the exhaustive sweep)."""
    k = np.arange(1, 1 << 18, dtype=np.float64)
    x = (k * (np.pi / 2)).astype(np.float32)
    return np.concatenate([x, np.nextafter(x, np.float32(np.inf)),
                           np.float32([1.5458358e29, 21999385000.0, 16367173 * 2.0**72])])


@pytest.mark.parametrize("name", sorted(RANGES))
def test_accuracy_over_wide_ranges(rng, name):
    kern = unary_kernel(name)
    for sample in RANGES[name]:
        x = np.asarray(sample(rng), dtype=np.float32)
        got = kern(x)
        with np.errstate(all="ignore"):
            exact = REFERENCE[name](x.astype(np.float64))
        check(name, x, got, exact, BOUND[name])


@pytest.mark.parametrize("name", sorted(RANGES))
def test_special_values_match_numpy(name):
    kern = unary_kernel(name)
    got = kern(SPECIAL)
    with np.errstate(all="ignore"):
        exact = REFERENCE[name](SPECIAL.astype(np.float64))
    check(name, SPECIAL, got, exact, BOUND[name])
    # Zeros keep the sign of the exact result (tanh(-0) = -0, erf(-0) = -0, sin(-0) = -0).
    zero = exact == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(exact[zero]),
                                  err_msg=f"{name}: sign of zero results for {SPECIAL[zero]}")


def test_special_values_by_hand():
    inf, nan = np.float32(np.inf), np.float32(np.nan)
    cases = {
        "exp": [(inf, inf), (-inf, 0.0), (100.0, inf), (-110.0, 0.0), (nan, nan), (-0.0, 1.0)],
        "log": [(0.0, -inf), (-0.0, -inf), (-1.0, nan), (-inf, nan), (inf, inf), (1.0, 0.0)],
        "log1p": [(-1.0, -inf), (-2.0, nan), (-0.0, -0.0), (inf, inf), (1e-40, 1e-40)],
        "tanh": [(-0.0, -0.0), (inf, 1.0), (-inf, -1.0), (-1e-40, -1e-40), (nan, nan)],
        "erf": [(-0.0, -0.0), (inf, 1.0), (-inf, -1.0), (10.0, 1.0), (nan, nan)],
        "sigmoid": [(inf, 1.0), (-inf, 0.0), (0.0, 0.5), (nan, nan)],
        "sin": [(-0.0, -0.0), (inf, nan), (-inf, nan), (nan, nan), (1e-40, 1e-40)],
        "cos": [(-0.0, 1.0), (inf, nan), (nan, nan)],
        "expm1": [(-0.0, -0.0), (-inf, -1.0), (inf, inf), (1e-40, 1e-40)],
    }
    for name, pairs in cases.items():
        x = np.array([p[0] for p in pairs], np.float32)
        want = np.array([p[1] for p in pairs], np.float32)
        got = unary_kernel(name)(x)
        np.testing.assert_array_equal(got, want, err_msg=f"{name}({x})")
        signed = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]),
                                      err_msg=name)


def test_pow_accuracy(rng):
    kern = pow_kernel()
    samples = [
        # positive bases over the whole range, moderate exponents
        (log_uniform(rng, 1e-38, 3e38, N), rng.uniform(-10, 10, N)),
        (rng.uniform(0, 4, N), rng.uniform(-100, 100, N)),
        # near 1 with huge exponents: the error of y log2(x) is magnified by |y log2 x|
        (1 + rng.uniform(-1e-3, 1e-3, N), rng.uniform(-1e5, 1e5, N)),
        # negative bases with integer exponents
        (rng.uniform(-4, 4, N), np.round(rng.uniform(-60, 60, N))),
        (log_uniform(rng, 1e-45, 1e-38, N // 4), rng.uniform(-2, 2, N // 4)),
    ]
    for xs, ys in samples:
        x, y = np.float32(xs), np.float32(ys)
        got = kern(x, y)
        with np.errstate(all="ignore"):
            exact = np.power(x.astype(np.float64), y.astype(np.float64))
        check("pow", np.stack([x, y], 1), got, exact, BOUND["pow"])


def test_pow_special_values():
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 1.5, np.inf,
                     -np.inf, np.nan, 1e-40, -1e-40, 3e38, -3e38], np.float32)
    x, y = [a.ravel() for a in np.meshgrid(vals, vals)]
    got = pow_kernel()(x, y)
    with np.errstate(all="ignore"):
        exact = np.power(x.astype(np.float64), y.astype(np.float64))
    check("pow", np.stack([x, y], 1), got, exact, BOUND["pow"])
    # NaN's sign is not specified (x86 produces negative NaNs).
    classes = lambda v: (np.isnan(v), np.isinf(v), v == 0, np.signbit(v) & ~np.isnan(v))  # noqa: E731
    with np.errstate(over="ignore"):
        exact32 = exact.astype(np.float32)
    for g, w, what in zip(classes(got), classes(exact32), ["nan", "inf", "zero", "sign"]):
        bad = g != w
        assert not bad.any(), f"pow {what} differs at {list(zip(x[bad], y[bad]))[:8]}"


def _host_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(re.search(r"^flags\s*:(.*)$", f.read(), re.M).group(1).split())
    except (OSError, AttributeError):
        return set()


@pytest.mark.parametrize("name", ["exp", "tanh", "erf", "log", "sin", "pow"])
def test_kernels_vectorize_without_libm_calls(name):
    if "avx2" not in _host_flags():
        pytest.skip("host without AVX2: LLVM may choose not to vectorize")
    kern = pow_kernel() if name == "pow" else unary_kernel(name)
    ir = kern.source()
    calls = set(re.findall(r"call [^@]*@(\w+)\(", ir))
    libm = {"expf", "tanhf", "erff", "logf", "sinf", "powf", "exp", "pow", "sin", "log"}
    assert not (calls & libm), f"{name}: libm calls left: {calls & libm}"
    assert re.search(r"<(8|16) x float>", ir), f"{name}: no float vector in\n{ir[:4000]}"
    assert f"{name}(" not in str(kern.lowered)


def _libm():
    path = ctypes.util.find_library("m") or "libm.so.6"
    return ctypes.CDLL(path)


@pytest.mark.parametrize("name", ["exp", "tanh", "erf", "log", "sin"])
def test_precise_math_calls_libm(rng, name):
    fn = getattr(_libm(), name + "f")
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    x = rng.uniform(0.01, 10, 512).astype(np.float32)
    kern = unary_kernel(name, precise_math=True)
    assert re.search(rf"call [^@]*@{name}f\(", kern.source())
    want = np.array([fn(float(v)) for v in x], np.float32)
    np.testing.assert_array_equal(kern(x), want)


def test_float64_keeps_libm(rng):
    x = rng.uniform(-50, 50, 4096)
    kern = unary_kernel("exp", dtype="float64")
    assert re.search(r"call [^@]*@exp\(", kern.source())
    np.testing.assert_allclose(kern(x), np.exp(x), rtol=1e-15)


def test_scheduled_vector_loops(rng):
    # vectorize_loops widens the approximations (Lets, reinterpret) to 16 lanes itself.
    n = 1 << 14
    A = lang.placeholder((n,), "float32", "A")
    B = lang.compute((n,), lambda i: lang.tanh(A[i]) + lang.pow(A[i], 2.5) + lang.sin(A[i]),
                     "B")
    sch = cinn.Schedule(lang.lower("vec", [A, B]))
    (i,) = sch.get_loops("B")
    io, ii = sch.split(i, [None, 16])
    sch.vectorize(ii)
    sch.parallel(io)
    kern = cinn.build(sch)
    assert "float32x16" in str(kern.lowered)
    a = rng.uniform(0, 5, n).astype(np.float32)
    a64 = a.astype(np.float64)
    np.testing.assert_allclose(kern(a), np.tanh(a64) + a64**2.5 + np.sin(a64), rtol=1e-6,
                               atol=1e-6)


def test_nested_calls_and_expressions(rng):
    n = lang.Var("n")
    A = lang.placeholder((n,), "float32", "A")
    B = lang.compute((n,), lambda i: lang.exp(lang.tanh(A[i])) * 2.0 + lang.log(A[i] * A[i]),
                     "B")
    kern = cinn.build(lang.lower("nested", [A, B]))
    a = rng.uniform(-3, 3, 10001).astype(np.float32)
    a64 = a.astype(np.float64)
    np.testing.assert_allclose(kern(a), np.exp(np.tanh(a64)) * 2 + np.log(a64 * a64),
                               rtol=2e-6, atol=1e-6)
