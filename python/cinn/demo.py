"""The demo: two models built with NetBuilder and compiled by the graph compiler, checked
and timed against PyTorch on the same weights; a small CNN trained for 200 steps with
cinn.train_step next to PyTorch (both loss curves printed and plotted to a PNG); then three
kernels written in the DSL, scheduled by hand, checked and timed against numpy.

Run with ``./scripts/demo.sh`` (or ``python -m cinn.demo``). Times are the best of several
runs on the same machine in the same process, PyTorch on the same number of threads as
cinn; the ratio is what to read.
"""

import argparse
import time

import numpy as np

import cinn
from cinn import lang


def best_time(fn, repeat):
    fn()  # warm up (first call touches pages, fills caches)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def matmul(M, N, K):
    A = lang.placeholder((M, K), "float32", "A")
    B = lang.placeholder((K, N), "float32", "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    sch = cinn.Schedule(lang.lower("matmul", [A, B, C]))
    # An 8x32 register tile of C (8 rows x two 16-float vectors) accumulated over k; the
    # column panel loop is outermost so the 32-column panel of B stays in cache while the
    # row tiles stream past it. (No operand packing yet: see docs/schedules.md.)
    i, j, kk = sch.get_loops("C")
    io, ii = sch.split(i, [None, 8])
    jo, ji = sch.split(j, [None, 32])
    sch.reorder(jo, io, kk, ii, ji)
    sch.unroll(ii)
    sch.vectorize(ji)
    sch.parallel(jo)
    kern = cinn.build(sch)
    a = np.random.rand(M, K).astype("float32")
    b = np.random.rand(K, N).astype("float32")
    c = np.empty((M, N), "float32")
    return dict(
        name="matmul", shape=f"{M}x{N}x{K}", unit="GFLOP/s", work=2.0 * M * N * K / 1e9,
        run=lambda: kern(a, b, c), ref=lambda: np.matmul(a, b),
        check=lambda: np.abs(c - a @ b).max() / np.abs(a @ b).max(), tol=1e-5)


def softmax(M, N):
    X = lang.placeholder((M, N), "float32", "X")
    k1 = lang.reduce_axis(N, "k1")
    mx = lang.compute((M,), lambda i: lang.max(X[i, k1], axis=k1), "mx")
    E = lang.compute((M, N), lambda i, j: lang.exp(X[i, j] - mx[i]), "E")
    k2 = lang.reduce_axis(N, "k2")
    s = lang.compute((M,), lambda i: lang.sum(E[i, k2], axis=k2), "s")
    Y = lang.compute((M, N), lambda i, j: E[i, j] / s[i], "Y")
    sch = cinn.Schedule(lang.lower("softmax", [X, Y]))
    for block in ("mx", "s"):
        sch.parallel(sch.get_loops(block)[0])
    for block in ("E", "Y"):
        i, j = sch.get_loops(block)
        jo, ji = sch.split(j, [None, 16])
        sch.vectorize(ji)
        sch.parallel(i)
    kern = cinn.build(sch)
    x = np.random.randn(M, N).astype("float32")
    y = np.empty_like(x)

    def ref():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return dict(
        name="softmax", shape=f"{M}x{N}", unit="GB/s", work=2 * x.nbytes / 1e9,
        run=lambda: kern(x, y), ref=ref,
        check=lambda: np.abs(y - ref()).max(), tol=1e-5)


def conv2d(N, C, H, W, F, R, S, pad):
    OH, OW = H + 2 * pad - R + 1, W + 2 * pad - S + 1
    X = lang.placeholder((N, C, H, W), "float32", "X")
    Wt = lang.placeholder((F, C, R, S), "float32", "W")

    def padded(n, c, h, w):
        inside = (h >= pad) & (h < H + pad) & (w >= pad) & (w < W + pad)
        hh = lang.maximum(lang.minimum(h - pad, H - 1), 0)
        ww = lang.maximum(lang.minimum(w - pad, W - 1), 0)
        return lang.select(inside, X[n, c, hh, ww], 0.0)

    Xp = lang.compute((N, C, H + 2 * pad, W + 2 * pad), padded, "Xp")
    rc, rr, rs = lang.reduce_axis(C, "rc"), lang.reduce_axis(R, "rr"), lang.reduce_axis(S, "rs")
    Y = lang.compute(
        (N, F, OH, OW),
        lambda n, f, y, x: lang.sum(Xp[n, rc, y + rr, x + rs] * Wt[f, rc, rr, rs], axis=[rc, rr, rs]),
        "Y")
    sch = cinn.Schedule(lang.lower("conv2d", [X, Wt, Y]))
    n, c, h, w = sch.get_loops("Xp")
    sch.parallel(c)
    n, f, y, x, c_, r_, s_ = sch.get_loops("Y")
    xo, xi = sch.split(x, [None, 8])
    sch.reorder(n, f, y, xo, c_, r_, s_, xi)
    sch.vectorize(xi)
    sch.parallel(f)
    kern = cinn.build(sch)
    x_ = np.random.randn(N, C, H, W).astype("float32")
    w_ = np.random.randn(F, C, R, S).astype("float32")
    y_ = np.empty((N, F, OH, OW), "float32")

    def ref():
        xp = np.pad(x_, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        win = np.lib.stride_tricks.sliding_window_view(xp, (R, S), axis=(2, 3))
        return np.tensordot(win, w_, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)

    want = ref()
    return dict(
        name="conv2d", shape=f"{N}x{C}x{H}x{W}*{F}x{R}x{S}", unit="GFLOP/s",
        work=2.0 * N * F * OH * OW * C * R * S / 1e9,
        run=lambda: kern(x_, w_, y_), ref=ref,
        check=lambda: np.abs(y_ - want).max() / np.abs(want).max(), tol=1e-5)


def models(small, repeat):
    """ResNet-18 and a BERT-base encoder layer (cinn.models), random weights."""
    import torch

    from cinn import models as m
    torch.set_num_threads(cinn.num_threads())
    if small:
        cases = [("resnet18", dict(batch=1, image=64), "1x3x64x64"),
                 ("bert_layer", dict(batch=1, seq=32, hidden=128, heads=2, ffn=512), "1x32x128")]
    else:
        cases = [("resnet18", dict(batch=1, image=224), "1x3x224x224"),
                 ("bert_layer", dict(batch=1, seq=128), "1x128x768")]
    header = (f"{'model':<12}{'input':<14}{'kernels':>8}{'compile s':>11}{'cinn ms':>10}"
              f"{'torch ms':>10}{'speedup':>9}  {'max err':>9}")
    print(header)
    print("-" * len(header))
    ok = True
    for name, kw, shape in cases:
        b = cinn.NetBuilder(name)
        y, params = getattr(m, name)(b, **kw)
        t0 = time.perf_counter()
        exe = cinn.compile(b.build([y]))
        t_compile = time.perf_counter() - t0
        weights = m.random_weights(params, seed=0)
        ref_fn = getattr(m, name + "_torch")(weights, **kw)
        with torch.no_grad():
            ref = ref_fn().numpy()
            out = exe(**weights)[0]
            t_cinn = best_time(lambda: exe(**weights), repeat)
            t_torch = best_time(ref_fn, repeat)
        err = float(np.abs(out - ref).max() / np.abs(ref).max())
        ok &= err <= 1e-4
        cached = " (cached)" if exe.cache_status == "hit" else ""
        print(f"{name:<12}{shape:<14}{len(exe.fusion_groups):>8}{t_compile:>11.2f}"
              f"{t_cinn * 1e3:>10.2f}{t_torch * 1e3:>10.2f}{t_torch / t_cinn:>8.2f}x  {err:>9.2e}"
              f"{'' if err <= 1e-4 else '  MISMATCH'}{cached}")
    print("max err: max |cinn - torch| / max |torch|; speedup: torch ms / cinn ms\n")
    return ok


def kernels(small, repeat):
    if small:
        cases = [matmul(128, 128, 128), softmax(256, 256), conv2d(1, 8, 16, 16, 8, 3, 3, 1)]
    else:
        cases = [matmul(1024, 1024, 1024), softmax(4096, 1024), conv2d(1, 64, 56, 56, 64, 3, 3, 1)]
    header = f"{'kernel':<9}{'shape':<24}{'cinn ms':>10}{'numpy ms':>10}{'cinn':>10}{'numpy':>10}  {'unit':<8}{'speedup':>8}  {'max err':>9}"
    print(header)
    print("-" * len(header))
    ok = True
    for c in cases:
        t_cinn = best_time(c["run"], repeat)
        t_np = best_time(c["ref"], repeat)
        err = c["check"]()
        ok &= err <= c["tol"]
        print(f"{c['name']:<9}{c['shape']:<24}{t_cinn * 1e3:>10.3f}{t_np * 1e3:>10.3f}"
              f"{c['work'] / t_cinn:>10.1f}{c['work'] / t_np:>10.1f}  {c['unit']:<8}"
              f"{t_np / t_cinn:>7.2f}x  {err:>9.2e}{'' if err <= c['tol'] else '  MISMATCH'}")
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--small", action="store_true", help="small shapes (quick check)")
    p.add_argument("--only", choices=["models", "training", "kernels"], help="run one part only")
    p.add_argument("--plot", default="training_curves.png",
                   help="where the training part writes its loss curves (PNG)")
    args = p.parse_args()
    print(f"target: {cinn.Target.x86()}  (cinn threads: {cinn.num_threads()})\n")
    ok = True
    if args.only in (None, "models"):
        ok &= models(args.small, args.repeat)
    if args.only in (None, "training"):
        from cinn import train_demo
        ok &= train_demo.run(steps=50 if args.small else 200, plot=args.plot)[0]
        print()
    if args.only in (None, "kernels"):
        ok &= kernels(args.small, args.repeat)
    if not ok:
        raise SystemExit("a result does not match its reference")


if __name__ == "__main__":
    main()
