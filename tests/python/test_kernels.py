"""Kernels written in the DSL match numpy on random inputs (acceptance item 3)."""

import numpy as np
import pytest

import cinn
from cinn import lang

from conftest import TOL


def rand(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-100, 100, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_elementwise_with_broadcasting(rng, dtype):
    M, N = 37, 53
    A = lang.placeholder((M, N), dtype, "A")
    B = lang.placeholder((N,), dtype, "B")
    C = lang.compute((M, N), lambda i, j: A[i, j] * B[j] + A[i, j], "C")
    kern = cinn.build(lang.lower("ew", [A, B, C]))
    a, b = rand(rng, (M, N), dtype), rand(rng, (N,), dtype)
    got = kern(a, b)
    want = a * b[None, :] + a
    if dtype == "int32":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, *TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_reduction_over_any_axis(rng, dtype, axis):
    shape = (7, 11, 13)
    A = lang.placeholder(shape, dtype, "A")
    r = lang.reduce_axis(shape[axis], "r")
    out_shape = tuple(s for d, s in enumerate(shape) if d != axis)

    def body(i, j):
        idx = [i, j]
        idx.insert(axis, r)
        return lang.sum(A[tuple(idx)], axis=r)

    S = lang.compute(out_shape, body, "S")
    kern = cinn.build(lang.lower("red", [A, S]))
    a = rand(rng, shape, dtype)
    got = kern(a)
    want = a.sum(axis=axis).astype(dtype)
    if dtype == "int32":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, *TOL[dtype])


@pytest.mark.parametrize("kind", ["max", "min", "prod"])
def test_other_reductions(rng, kind):
    A = lang.placeholder((9, 17), "float64", "A")
    k = lang.reduce_axis(17, "k")
    R = lang.compute((9,), lambda i: getattr(lang, kind)(A[i, k], axis=k), "R")
    kern = cinn.build(lang.lower("r", [A, R]))
    a = rng.uniform(0.5, 1.5, size=(9, 17))
    np.testing.assert_allclose(kern(a), getattr(np, kind)(a, axis=1), 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_matmul(rng, dtype):
    M, N, K = 33, 45, 29
    A = lang.placeholder((M, K), dtype, "A")
    B = lang.placeholder((K, N), dtype, "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    kern = cinn.build(lang.lower("matmul", [A, B, C]))
    a, b = rand(rng, (M, K), dtype), rand(rng, (K, N), dtype)
    c = np.empty((M, N), dtype)
    assert kern(a, b, c) is None  # outputs written in place
    if dtype == "int32":
        np.testing.assert_array_equal(c, a @ b)
    else:
        np.testing.assert_allclose(c, a @ b, rtol=1e-4 if dtype == "float32" else 1e-11,
                                   atol=1e-4 if dtype == "float32" else 1e-11)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax(rng, dtype):
    M, N = 19, 131
    X = lang.placeholder((M, N), dtype, "X")
    k1 = lang.reduce_axis(N, "k1")
    mx = lang.compute((M,), lambda i: lang.max(X[i, k1], axis=k1), "mx")
    E = lang.compute((M, N), lambda i, j: lang.exp(X[i, j] - mx[i]), "E")
    k2 = lang.reduce_axis(N, "k2")
    s = lang.compute((M,), lambda i: lang.sum(E[i, k2], axis=k2), "s")
    Y = lang.compute((M, N), lambda i, j: E[i, j] / s[i], "Y")
    kern = cinn.build(lang.lower("softmax", [X, Y]))
    x = rand(rng, (M, N), dtype) * 5
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(kern(x), e / e.sum(axis=1, keepdims=True), *TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1), (1, 2)])
def test_conv2d_nchw(rng, dtype, stride, pad):
    N, C, H, W, F, R, S = 2, 3, 11, 9, 4, 3, 3
    OH = (H + 2 * pad - R) // stride + 1
    OW = (W + 2 * pad - S) // stride + 1
    X = lang.placeholder((N, C, H, W), dtype, "X")
    Wt = lang.placeholder((F, C, R, S), dtype, "W")
    # Zero padding. Select evaluates both operands, so the load index is clamped into range.
    def padded(n, c, h, w):
        inside = (h >= pad) & (h < H + pad) & (w >= pad) & (w < W + pad)
        hh = lang.maximum(lang.minimum(h - pad, H - 1), 0)
        ww = lang.maximum(lang.minimum(w - pad, W - 1), 0)
        return lang.select(inside, X[n, c, hh, ww], lang.const(0, dtype))

    Xp = lang.compute((N, C, H + 2 * pad, W + 2 * pad), padded, "Xp")
    rc = lang.reduce_axis(C, "rc")
    rr = lang.reduce_axis(R, "rr")
    rs = lang.reduce_axis(S, "rs")
    Y = lang.compute(
        (N, F, OH, OW),
        lambda n, f, y, x: lang.sum(Xp[n, rc, y * stride + rr, x * stride + rs] * Wt[f, rc, rr, rs],
                                    axis=[rc, rr, rs]),
        "Y")
    kern = cinn.build(lang.lower("conv", [X, Wt, Y]))
    x, w = rand(rng, (N, C, H, W), dtype), rand(rng, (F, C, R, S), dtype)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    want = np.zeros((N, F, OH, OW), dtype)
    for r in range(R):
        for s in range(S):
            patch = xp[:, :, r:r + stride * OH:stride, s:s + stride * OW:stride]
            want += np.einsum("nchw,fc->nfhw", patch, w[:, :, r, s])
    np.testing.assert_allclose(kern(x, w), want, rtol=1e-4, atol=1e-4)


def test_transpose(rng):
    A = lang.placeholder((23, 41), "float32", "A")
    T = lang.compute((41, 23), lambda i, j: A[j, i], "T")
    kern = cinn.build(lang.lower("transpose", [A, T]))
    a = rand(rng, (23, 41), "float32")
    np.testing.assert_array_equal(kern(a), a.T)


def test_triangular_domain(rng):
    """C[i] = sum(A[k] for k <= i): isl generates the triangular k loop."""
    n = 57
    A = lang.placeholder((n,), "float64", "A")
    k = lang.reduce_axis(n, "k")
    C = lang.compute((n,), lambda i: lang.sum(A[k], axis=k, where=k <= i), "C")
    f = lang.lower("cumsum", [A, C])
    assert "for (k, 0, i + 1)" in str(f)
    a = rng.standard_normal(n)
    np.testing.assert_allclose(cinn.build(f)(a), np.cumsum(a), 1e-12)


@pytest.mark.parametrize("split", [False, True])
def test_strided_reduce_domain(rng, split):
    """`where=(k % 3 == 1) & (k >= i)`: isl's loop steps by 3 from the first k it allows; the
    loop counts the values and the block sees k * 3 + its start."""
    n = 29
    A = lang.placeholder((n, n), "float32", "A")
    k = lang.reduce_axis(n, "k")
    C = lang.compute((n,), lambda i: lang.sum(A[i, k], axis=k, where=(k % 3 == 1) & (k >= i)),
                     "C")
    f = lang.lower("every_third", [A, C])
    sch = cinn.Schedule(f)
    if split:
        sch.split(sch.get_loops("C")[1], [None, 4])
    a = rng.standard_normal((n, n)).astype("float32")
    I, K = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    want = (a * ((K % 3 == 1) & (K >= I))).sum(axis=1)
    np.testing.assert_allclose(cinn.build(sch)(a), want, rtol=1e-5, atol=1e-5)


def test_histogram_with_update(rng):
    """lang.update (docs/python_api.md's example): a scatter-add at data-dependent positions,
    repeated positions accumulating, out-of-range ones skipped by `where`; the element loop
    stays serial (the legality check sees the store touching any bin)."""
    n, bins = 5000, 37
    idx = lang.placeholder((n,), "int64", "idx")
    w = lang.placeholder((n,), "float32", "w")
    H0 = lang.compute((bins,), lambda b: lang.const(0.0, "float32"), "H")
    H = lang.update(H0, (n,), lambda i: idx[i], lambda i: H0[idx[i]] + w[i],
                    where=lambda i: (idx[i] >= 0) & (idx[i] < bins), name="H_add")
    f = lang.lower("hist", [idx, w, H])
    # Without `where`, out-of-range positions are skipped all the same (not stored out of
    # bounds), and the points where w < 0 are dropped by the `where` there.
    H_pos = lang.update(H0, (n,), lambda i: idx[i], lambda i: H0[idx[i]] + w[i],
                        where=lambda i: w[i] >= 0, name="H_pos")
    H_any = lang.update(H0, (n,), lambda i: idx[i], lambda i: H0[idx[i]] + w[i], name="H_any")
    i = rng.integers(-1000, bins + 1000, n).astype("int64")
    v = rng.standard_normal(n).astype("float32")
    ok = (i >= 0) & (i < bins)
    for tensor, keep in ((H_any, ok), (H_pos, ok & (v >= 0))):
        want = np.zeros(bins)
        np.add.at(want, i[keep], v[keep])
        got = cinn.build(lang.lower("hist_" + tensor.name, [idx, w, tensor]))(i, v)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    sch = cinn.Schedule(f)
    with pytest.raises(cinn.ScheduleError, match="carries a dependence"):
        sch.parallel(sch.get_loops(sch.get_block("H_add"))[0])
    i = rng.integers(-3, bins + 3, n).astype("int64")
    v = rng.standard_normal(n).astype("float32")
    want = np.zeros(bins)
    np.add.at(want, i[(i >= 0) & (i < bins)], v[(i >= 0) & (i < bins)])
    np.testing.assert_allclose(cinn.build(f)(i, v), want, rtol=1e-4, atol=1e-4)
    with pytest.raises(cinn.DTypeError, match="update 'bad'"):
        lang.update(H0, (n,), lambda i: idx[i], lambda i: w[i] > 0, name="bad")


def test_lower_triangular_matmul(rng):
    """L[i, j] = sum_k A[i, k] * B[k, j] for j <= i only."""
    n = 24
    A = lang.placeholder((n, n), "float64", "A")
    B = lang.placeholder((n, n), "float64", "B")
    k = lang.reduce_axis(n, "k")
    L = lang.compute((n, n), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k, where=j <= i), "L")
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    np.testing.assert_allclose(cinn.build(lang.lower("trmm", [A, B, L]))(a, b), np.tril(a @ b), 1e-12)


def test_symbolic_extent_at_two_sizes(rng):
    n = lang.Var("n")
    A = lang.placeholder((n, 3), "float32", "A")
    B = lang.compute((n, 3), lambda i, j: A[i, j] * 2.0 + 1.0, "B")
    kern = cinn.build(lang.lower("affine", [A, B]))
    for size in (5, 1000):
        a = rand(rng, (size, 3), "float32")
        np.testing.assert_allclose(kern(a), a * 2 + 1, 1e-6)


def test_parallel_and_vector_paths_on_large_input(rng):
    """A kernel big enough that the generated code's parallel/vector paths all run."""
    A = lang.placeholder((512, 1024), "float32", "A")
    B = lang.compute((512, 1024), lambda i, j: lang.tanh(A[i, j]) + lang.sqrt(A[i, j] * A[i, j]), "B")
    kern = cinn.build(lang.lower("big", [A, B]))
    a = rand(rng, (512, 1024), "float32")
    np.testing.assert_allclose(kern(a), np.tanh(a) + np.abs(a), 1e-5, 1e-5)


def test_ir_and_llvm_ir_are_printable():
    A = lang.placeholder((8,), "float32", "A")
    B = lang.compute((8,), lambda i: A[i] + 1.0, "B")
    f = lang.lower("f", [A, B])
    assert "block B" in str(f)
    kern = cinn.build(f)
    assert "define void @f(" in kern.source()
    assert "for (i, 0, 8)" in str(kern.lowered)


def test_vectorized_loop_emits_512_bit_vectors_on_avx512():
    """Acceptance 5: an explicitly vectorized loop shows 512-bit vector types in the LLVM IR."""
    target = cinn.Target.x86()
    if "avx512f" not in target.features:
        pytest.skip(f"host has no AVX-512 (features: {sorted(target.features)})")
    A = lang.placeholder((64, 256), "float32", "A")
    B = lang.compute((64, 256), lambda i, j: A[i, j] * 3.0 + 1.0, "B")
    sch = cinn.Schedule(lang.lower("vec", [A, B]))
    i, j = sch.get_loops("B")
    jo, ji = sch.split(j, [None, 16])
    sch.vectorize(ji)
    kern = cinn.build(sch, target=target)
    ir = kern.source()
    assert "<16 x float>" in ir
    a = np.random.default_rng(1).standard_normal((64, 256)).astype("float32")
    np.testing.assert_allclose(kern(a), a * 3 + 1, rtol=1e-6, atol=1e-6)  # FMA may contract


def _streaming_kernel(n):
    A = lang.placeholder((n,), "float32", "A")
    B = lang.placeholder((n,), "float32", "B")
    C = lang.compute((n,), lambda i: A[i] * B[i] + lang.tanh(A[i]), "C")
    sch = cinn.Schedule(lang.lower("stream", [A, B, C]))
    (i,) = sch.get_loops("C")
    io, ii = sch.split(i, [None, 16])
    sch.vectorize(ii)
    sch.parallel(io)
    return cinn.build(sch, target=cinn.Target.x86())


def test_large_outputs_use_nontemporal_stores(rng):
    """An output of >= 32 MiB written with 64-byte vectors and never read back is streamed
    (non-temporal stores where the address is line-aligned, then sfence); a small one is not.
    Both paths are checked numerically: the runtime's outputs are 64-byte aligned, an output
    passed at numpy's 16-byte alignment takes the plain stores."""
    n = 8 << 20  # 32 MiB of float32
    kern = _streaming_kernel(n)
    ir = kern.source()
    assert "!nontemporal" in ir and "llvm.x86.sse.sfence" in ir
    assert "!nontemporal" not in _streaming_kernel(4096).source()
    a, b = rand(rng, (n,), "float32"), rand(rng, (n,), "float32")
    want = a * b + np.tanh(a)
    got = kern(a, b)
    assert got.ctypes.data % 64 == 0
    np.testing.assert_allclose(got, want, 1e-5, 1e-5)
    raw = np.zeros(n + 16, "float32")
    off = (16 - (raw.ctypes.data % 64) // 4) % 16 + 4  # 16 bytes past a line boundary
    out = raw[off:off + n]
    assert out.ctypes.data % 64 == 16
    kern(a, b, out)
    np.testing.assert_allclose(out, want, 1e-5, 1e-5)


def test_outputs_read_by_the_kernel_are_not_streamed(rng):
    """A column sum accumulates into its output with 64-byte vector stores: the output is
    read back, so its stores stay in the cache."""
    n = 8 << 20
    A = lang.placeholder((2, n), "float32", "A")
    k = lang.reduce_axis(2, "k")
    C = lang.compute((n,), lambda i: lang.sum(A[k, i], axis=k), "C")
    sch = cinn.Schedule(lang.lower("colsum", [A, C]))
    i, kk = sch.get_loops("C")
    sch.reorder(kk, i)
    io, ii = sch.split(i, [None, 16])
    sch.vectorize(ii)
    kern = cinn.build(sch, target=cinn.Target.x86())
    ir = kern.source()
    assert "store <16 x float>" in ir and "!nontemporal" not in ir
    a = rand(rng, (2, n), "float32")
    np.testing.assert_allclose(kern(a), a.sum(0), 1e-5, 1e-5)


def test_c_source_compiles_and_matches(tmp_path, rng):
    """The C backend's source of a scheduled kernel compiles with the system compiler."""
    import ctypes
    import subprocess

    A = lang.placeholder((16, 24), "float32", "A")
    k = lang.reduce_axis(24, "k")
    S = lang.compute((16,), lambda i: lang.sum(lang.exp(A[i, k]), axis=k), "S")
    sch = cinn.Schedule(lang.lower("rowexp", [A, S]))
    src = cinn.c_source(sch)
    assert "void rowexp(void** args, const int64_t* sizes)" in src
    (tmp_path / "k.c").write_text(src)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(tmp_path / "k.so"),
                    str(tmp_path / "k.c"), "-lm"], check=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))
    a = rng.standard_normal((16, 24)).astype("float32")
    s = np.zeros(16, "float32")
    args = (ctypes.c_void_p * 2)(a.ctypes.data, s.ctypes.data)
    lib.rowexp(args, None)
    np.testing.assert_allclose(s, np.exp(a).sum(axis=1), rtol=1e-5)


def test_parallel_loop_capturing_a_hoisted_vector():
    """Regression: a loop-invariant vector (Y[j] hoisted out of the parallel i loop) is
    captured in the parallel closure, which must be aligned for it (it crashed with an
    aligned store into an 8-byte-aligned closure)."""
    X = lang.placeholder((4, 5), "float32", "X")
    Y = lang.placeholder((5,), "float32", "Y")
    Z = lang.compute((4, 5), lambda i, j: X[i, j] + Y[j], "Z")
    sch = cinn.Schedule(lang.lower("add_row", [Y, X, Z]))
    i, j = sch.get_loops("Z")
    sch.vectorize(j)
    sch.parallel(i)
    kern = cinn.build(sch)
    y = np.arange(5, dtype="float32")
    x = np.ones((4, 5), "float32")
    for _ in range(3):
        np.testing.assert_array_equal(kern(y, x), x + y)


def _vectorized_rows(name, shape, inputs, fcompute):
    """A kernel computing `shape` with fcompute, its rows vectorized by 16."""
    out = lang.compute(shape, fcompute, name)
    sch = cinn.Schedule(lang.lower(name, inputs + [out]))
    _, j = sch.get_loops(name)
    _, ji = sch.split(j, [None, 16])
    sch.vectorize(ji)
    return cinn.build(sch, target=cinn.Target.x86())


def test_strided_and_spread_rows_are_loads_and_shuffles(rng):
    """Vector reads whose lanes lie a few elements apart -- a stride of 2 to 4 (pooling
    windows, strided slices) or a tensor spread by a stride (j // 2: upsampling, a strided
    window's gradient) -- are one contiguous load of the span they cover and a shuffle, not
    a gather. The last lane reads the last element of the input: the load covers no more."""
    a = rand(rng, (8, 64), "float32")
    A = lang.placeholder((8, 64), "float32", "A")
    cases = [
        ((8, 32), lambda i, j: A[i, 2 * j] + A[i, 2 * j + 1], a[:, 0::2] + a[:, 1::2]),
        ((8, 16), lambda i, j: A[i, 4 * j + 3], a[:, 3::4]),
        ((8, 128), lambda i, j: A[i, j // 2], np.repeat(a, 2, axis=1)),
    ]
    for shape, f, want in cases:
        kern = _vectorized_rows("S", shape, [A], f)
        ir = kern.source()
        assert "masked.gather" not in ir, ir
        np.testing.assert_array_equal(kern(a), want)
    # A stride of 5 spans more than 4 elements per lane: a gather.
    b = rand(rng, (8, 80), "float32")
    B = lang.placeholder((8, 80), "float32", "B")
    kern = _vectorized_rows("S", (8, 16), [B], lambda i, j: B[i, 5 * j] * 1.0)
    assert "masked.gather" in kern.source()
    np.testing.assert_array_equal(kern(b), b[:, 0::5])


def test_clamped_rows_load_contiguously_away_from_the_borders(rng):
    """A clamped read (padding: x[max(min(j - 1, W - 1), 0)]) loads whole vectors where no
    lane is clamped and gathers only at the borders; both give the clamped values."""
    a = rand(rng, (4, 64), "float32")
    A = lang.placeholder((4, 64), "float32", "A")
    kern = _vectorized_rows("P", (4, 96), [A],
                            lambda i, j: A[i, lang.maximum(lang.minimum(j - 16, 63), 0)] * 2.0)
    ir = kern.source()
    assert "masked.gather" in ir and "load <16 x float>" in ir, ir
    want = a[:, np.clip(np.arange(96) - 16, 0, 63)] * 2
    np.testing.assert_array_equal(kern(a), want)


@pytest.mark.parametrize("stride,lanes", [(2, 16), (2, 13), (3, 16), (4, 7)])
def test_padded_strided_rows_are_masked_loads_and_shuffles(rng, stride, lanes):
    """A zero-padded read a few elements apart (a strided convolution's phase split:
    select(0 <= s*j + o < W, A[clamp(s*j + o)], 0)) is one masked load of the span the lanes
    cover, the padding's lanes off, and a shuffle -- not a gather. The rows start before
    the input and end after it, so both borders are masked."""
    cols = 2 * lanes
    w = stride * cols - stride - 2  # the last lane reads w + 1
    a = rand(rng, (3, w), "float32")
    A = lang.placeholder((3, w), "float32", "A")

    def f(i, j):
        h = j * stride - 1
        inside = (h >= 0) & (h < w)
        return lang.select(inside, A[i, lang.maximum(lang.minimum(h, w - 1), 0)], lang.const(0, "float32"))

    out = lang.compute((3, cols), f, "P")
    sch = cinn.Schedule(lang.lower("P", [A, out]))
    _, j = sch.get_loops("P")
    _, ji = sch.split(j, [None, lanes])
    sch.vectorize(ji)
    kern = cinn.build(sch, target=cinn.Target.x86())
    ir = kern.source()
    assert "masked.gather" not in ir and "llvm.masked.load" in ir, ir
    want = np.zeros((3, cols), "float32")
    for jj in range(cols):
        h = jj * stride - 1
        if 0 <= h < w:
            want[:, jj] = a[:, h]
    np.testing.assert_array_equal(kern(a), want)


def test_spread_rows_with_an_offset_read_from_memory_in_a_parallel_loop(rng):
    """A spread read whose offset is loaded (x[i, j // 2 + off[0]]): the offset's hoisted
    vector is not rebuilt where the load is (the parallel loop's body is its own function),
    only constant lane patterns are."""
    A = lang.placeholder((64, 80), "float32", "A")
    Off = lang.placeholder((1,), "int64", "Off")
    C = lang.compute((64, 128), lambda i, j: A[i, j // 2 + Off[0]] * 2.0, "C")
    sch = cinn.Schedule(lang.lower("spread_off", [A, Off, C]))
    i, j = sch.get_loops("C")
    _, ji = sch.split(j, [None, 16])
    sch.vectorize(ji)
    sch.parallel(i)
    kern = cinn.build(sch, target=cinn.Target.x86())
    a = rand(rng, (64, 80), "float32")
    off = np.array([7], "int64")
    np.testing.assert_array_equal(kern(a, off), a[:, np.arange(128) // 2 + 7] * 2)


def test_kernel_arguments_by_name_and_torch_tensors(rng):
    """Arguments by buffer name, and torch CPU tensors viewed through numpy (an output
    tensor is written in place); unknown, missing and doubled names are ExecutionErrors."""
    torch = pytest.importorskip("torch")
    A = lang.placeholder((3, 4), "float32", "A")
    B = lang.placeholder((4,), "float32", "B")
    C = lang.compute((3, 4), lambda i, j: A[i, j] + B[j], "C")
    kern = cinn.build(lang.lower("add_row", [A, B, C]))
    a, b = rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal(4).astype("float32")
    np.testing.assert_array_equal(kern(B=b, A=a), a + b)
    np.testing.assert_array_equal(kern(a, B=b), a + b)
    out = torch.zeros(3, 4)
    assert kern(torch.from_numpy(a), torch.from_numpy(b), C=out) is None
    np.testing.assert_array_equal(out.numpy(), a + b)
    with pytest.raises(cinn.ExecutionError, match="has no argument 'D'; its arguments are A, B, C"):
        kern(a, b, D=out.numpy())
    with pytest.raises(cinn.ExecutionError, match="missing argument 'B'"):
        kern(a, C=out.numpy())
    with pytest.raises(cinn.ExecutionError, match="'A' given both by position and by name"):
        kern(a, A=a)
    with pytest.raises(cinn.ExecutionError, match="numpy cannot view this Tensor"):
        kern(torch.zeros(3, 4, requires_grad=True), b)


def test_bfloat16_kernel_arguments_are_dlpack_tensors():
    """bfloat16 arguments are torch.bfloat16 CPU tensors (numpy has none), read and written
    in place through DLPack; allocated bfloat16 outputs are host DeviceArrays."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(3)
    A = lang.placeholder((16, 32), "bfloat16", "A")
    k = lang.reduce_axis(32, "k")
    S = lang.compute((16,), lambda i: lang.sum(lang.cast(A[i, k], "float32"), axis=k), "S")
    B = lang.compute((16, 32), lambda i, j: A[i, j] * A[i, j], "B")
    kern = cinn.build(lang.lower("bf16_rows", [A, S, B]))
    a = torch.randn(16, 32, generator=g).bfloat16()
    s, b = kern(a)
    assert isinstance(s, np.ndarray) and isinstance(b, cinn.DeviceArray)
    np.testing.assert_allclose(s, a.float().sum(1).numpy(), rtol=1e-5, atol=1e-5)
    assert torch.equal(torch.from_dlpack(b), a * a)
    s_out, b_out = np.empty(16, np.float32), torch.empty(16, 32, dtype=torch.bfloat16)
    assert kern(A=a, S=s_out, B=b_out) is None
    assert torch.equal(b_out, a * a)
    with pytest.raises(cinn.DTypeError, match="argument 'A' must have dtype bfloat16, got a float32 numpy array"):
        kern(a.float().numpy())
