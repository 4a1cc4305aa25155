"""Hand-written schedules for the kernels of docs/schedules.md ("Hand schedules").

Each function defines a kernel with cinn.lang, schedules it with cinn.Schedule and returns
(schedule, numpy reference function); with schedule=False it returns the unscheduled
Schedule (to replay a trace on). benchmarks/schedules_bench.py times them against
their peers; tests/python/test_hand_schedules.py checks numerics and trace replay.
"""

import numpy as np

import cinn
from cinn import lang


def matmul(M=1024, N=1024, K=1024, mr=8, nr=32, kc=256, schedule=True):
    """C = A @ B with B packed into column panels, an mr x nr register tile, k blocking.

    Packing: Bp[n // nr, k, n % nr] = B[k, n] makes the micro-kernel read B contiguously
    (one nr-wide panel row per k). Loop order of C:
        jo (parallel: one panel of nr columns per task), ko (k blocks of kc: the panel block
        of kc x nr floats stays in L1/L2), io, ki, ii (unrolled), ji (vectorized: nr/16 zmm)
    so the mr x nr accumulators stay in registers over the ki loop.
    """
    A = lang.placeholder((M, K), "float32", "A")
    B = lang.placeholder((K, N), "float32", "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    sch = cinn.Schedule(lang.lower("matmul", [A, B, C]))
    if not schedule:
        return sch, None
    schedule_packed_matmul(sch, mr, nr, kc)
    return sch, lambda a, b: a @ b


def schedule_packed_matmul(sch, mr, nr, kc):
    """The schedule of :func:`matmul` on block "C" of a plain matmul (also the body of
    tune_bench.py's design space, which samples mr, nr and kc)."""
    packed = sch.cache_read("C", "B", "global")
    sch.layout_transform(packed.name, lambda k, n: (n // nr, k, n % nr))
    pk, pn = sch.get_loops(packed)
    pno, pni = sch.split(pn, [None, nr])
    sch.reorder(pno, pk, pni)
    sch.vectorize(pni)
    sch.parallel(pno)

    i, j, kk = sch.get_loops("C")
    io, ii = sch.split(i, [None, mr])
    jo, ji = sch.split(j, [None, nr])
    ko, ki = sch.split(kk, [None, kc])
    sch.reorder(jo, ko, io, ki, ii, ji)
    sch.unroll(ii)
    sch.vectorize(ji)
    sch.parallel(jo)


def vectorize_row_reduction(sch, block, vec):
    """Splits the innermost (reduce) loop of `block` by `vec` and rfactors it, so the vec
    partial results are a vector updated by a vectorized loop."""
    r = sch.get_loops(block)[-1]
    ro, ri = sch.split(r, [None, vec])
    sch.rfactor(ri)
    sch.vectorize(ri)


def softmax(M=4096, N=1024, vec=16, schedule=True):
    """Row softmax: max, exp(x - max) and its sum, divide; each row reduction vectorized.

    Every reduction over a row is split by `vec` and rfactor'd, so the vec partial results
    live in a vector register (the rf block's loop is spatial and vectorized) and are
    combined at the end of the row. The four stages are computed per row (compute_at into
    the row loop of the last stage), and the row loop is parallel.
    """
    X = lang.placeholder((M, N), "float32", "X")
    k1 = lang.reduce_axis(N, "k1")
    k2 = lang.reduce_axis(N, "k2")
    mx = lang.compute((M,), lambda i: lang.max(X[i, k1], axis=k1), "rowmax")
    e = lang.compute((M, N), lambda i, j: lang.call("exp", X[i, j] - mx[i]), "e")
    s = lang.compute((M,), lambda i: lang.sum(e[i, k2], axis=k2), "rowsum")
    Y = lang.compute((M, N), lambda i, j: e[i, j] / s[i], "Y")
    sch = cinn.Schedule(lang.lower("softmax", [X, Y]))
    if not schedule:
        return sch, None

    i, j = sch.get_loops("Y")
    sch.parallel(i)
    for block in ("rowsum", "e", "rowmax"):
        sch.compute_at(block, i)
    jo, ji = sch.split(j, [None, vec])
    sch.vectorize(ji)
    for block in ("rowmax", "rowsum"):
        vectorize_row_reduction(sch, block, vec)
    ej = sch.get_loops("e")[-1]
    ejo, eji = sch.split(ej, [None, vec])
    sch.vectorize(eji)

    def ref(x):
        z = np.exp(x - x.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    return sch, ref


def layer_norm(M=4096, N=1024, vec=16, eps=1e-5, schedule=True):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta over each row, as in torch.layer_norm.

    mean and E[x^2] are row sums, each split by `vec` and rfactor'd so the partial sums are
    vectorized; var = E[x^2] - mean^2. All stages are computed per row inside the parallel
    row loop of the output.
    """
    X = lang.placeholder((M, N), "float32", "X")
    G = lang.placeholder((N,), "float32", "gamma")
    Bt = lang.placeholder((N,), "float32", "beta")
    k1 = lang.reduce_axis(N, "k1")
    k2 = lang.reduce_axis(N, "k2")
    s1 = lang.compute((M,), lambda i: lang.sum(X[i, k1], axis=k1), "sum")
    s2 = lang.compute((M,), lambda i: lang.sum(X[i, k2] * X[i, k2], axis=k2), "sumsq")
    inv_n = 1.0 / N
    Y = lang.compute(
        (M, N),
        lambda i, j: (X[i, j] - s1[i] * inv_n)
        * lang.call("rsqrt", s2[i] * inv_n - s1[i] * inv_n * (s1[i] * inv_n) + eps)
        * G[j] + Bt[j],
        "Y")
    sch = cinn.Schedule(lang.lower("layer_norm", [X, G, Bt, Y]))
    if not schedule:
        return sch, None
    i, j = sch.get_loops("Y")
    sch.parallel(i)
    for block in ("sumsq", "sum"):
        sch.compute_at(block, i)
    jo, ji = sch.split(j, [None, vec])
    sch.vectorize(ji)
    for block in ("sum", "sumsq"):
        vectorize_row_reduction(sch, block, vec)

    def ref(x, g, b):
        mu = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    return sch, ref


def conv2d_nchwc(N=1, C=64, H=56, W=56, F=64, R=3, S=3, pad=1, fc=16, xr=8, schedule=True):
    """NCHW conv2d (stride 1) computed in a blocked NCHW[fc]c output layout.

    The weights are packed to Wp[f // fc, c, r, s, f % fc] and the output is computed into
    a cache in layout [n, f // fc, y, x, f % fc], so the innermost loop runs over fc output
    channels (one zmm) for xr output columns (xr accumulators), reading one input value and
    one contiguous weight vector per step; a final block copies the cache back to NCHW.
    """
    Ho, Wo = H + 2 * pad - R + 1, W + 2 * pad - S + 1
    D = lang.placeholder((N, C, H, W), "float32", "data")
    Wt = lang.placeholder((F, C, R, S), "float32", "weight")

    def padded(n, c, y, x):
        inside = (y >= pad) & (y < H + pad) & (x >= pad) & (x < W + pad)
        yy = lang.minimum(lang.maximum(y - pad, 0), H - 1)
        xx = lang.minimum(lang.maximum(x - pad, 0), W - 1)
        return lang.select(inside, D[n, c, yy, xx], 0.0)

    P = lang.compute((N, C, H + 2 * pad, W + 2 * pad), padded, "pad")
    c = lang.reduce_axis(C, "c")
    r = lang.reduce_axis(R, "r")
    s = lang.reduce_axis(S, "s")
    O = lang.compute(
        (N, F, Ho, Wo),
        lambda n, f, y, x: lang.sum(P[n, c, y + r, x + s] * Wt[f, c, r, s], axis=[c, r, s]),
        "conv")
    sch = cinn.Schedule(lang.lower("conv2d", [D, Wt, O]))
    if not schedule:
        return sch, None

    wp = sch.cache_read("conv", "weight", "global")
    sch.layout_transform(wp.name, lambda f, c, r, s: (f // fc, c, r, s, f % fc))
    out = sch.cache_write("conv", "conv", "global")
    sch.layout_transform(out.name,
                         lambda n, f, y, x: (n, f // fc, y, x, f % fc))
    n, f, y, x, cc, rr, ss = sch.get_loops("conv")
    fo, fi = sch.split(f, [None, fc])
    xo, xi = sch.split(x, [None, xr])
    sch.reorder(n, fo, y, xo, cc, rr, ss, xi, fi)
    sch.unroll(xi)
    sch.vectorize(fi)
    nfy = sch.fuse(n, fo, y)
    sch.parallel(nfy)
    sch.parallel(sch.get_loops("pad")[1])
    pn, pc, py, px = sch.get_loops(out)
    sch.parallel(pc)

    def ref(d, w):
        import torch
        return torch.nn.functional.conv2d(torch.from_numpy(d), torch.from_numpy(w),
                                          padding=pad).numpy()

    return sch, ref
