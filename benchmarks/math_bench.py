#!/usr/bin/env python3
"""Throughput of the float32 math approximations (docs/math.md) against libm.

Each kernel is B[i] = f(A[i]) (pow: P[i] = X[i] ** Y[i]) over 16M floats, unscheduled, so
one thread; "approx" is the default build, "libm" the same kernel with precise_math=True.
The copy kernel B[i] = A[i] shows the memory bound on the same thread. Then the same with a
parallel schedule on all threads, for a few functions. Best of 5 runs.

Run: .venv/bin/python benchmarks/math_bench.py   (writes benchmarks/results/math_<date>.txt)
"""

import datetime
import os
import platform
import time

import numpy as np

import cinn
from cinn import lang

N = 16 << 20
FUNCS = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sigmoid", "erf",
         "sin", "cos", "pow"]


def kernel(fn, arity, precise):
    n = lang.Var("n")
    ins = [lang.placeholder((n,), "float32", f"A{k}") for k in range(arity)]
    out = lang.compute((n,), lambda i: fn(*[a[i] for a in ins]), "B")
    return cinn.build(lang.lower("bench", ins + [out]), precise_math=precise)


def best_time(kern, args, reps=5):
    kern(*args)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        kern(*args)
        best = min(best, time.perf_counter() - t)
    return best


def parallel_kernel(fn):
    a = lang.placeholder((N,), "float32", "A")
    b = lang.compute((N,), lambda i: fn(a[i]), "B")
    sch = cinn.Schedule(lang.lower("bench_par", [a, b]))
    (i,) = sch.get_loops("B")
    outer, _ = sch.split(i, [None, 16 * 1024])
    sch.parallel(outer)
    return cinn.build(sch)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    rng = np.random.default_rng(0)
    x = rng.uniform(-10, 10, N).astype(np.float32)
    pos = rng.uniform(0.01, 100, N).astype(np.float32)
    out = np.empty(N, np.float32)
    lines = [f"# {datetime.date.today()}  {cpu_name()}, {os.cpu_count()} cpus, one thread, "
             f"{N} float32 elements", ""]
    t = best_time(kernel(lambda a: a, 1, False), (x, out))
    lines.append(f"{'copy':8s} {N / t / 1e9:6.2f} Gelem/s  {8 * N / t / 1e9:6.1f} GB/s")
    lines.append(f"{'':8s} {'approx':>14s} {'libm':>14s} {'speedup':>8s}")
    for name in FUNCS:
        arity = 2 if name == "pow" else 1
        args = (pos, x) if arity == 2 else ((pos,) if name.startswith("log") else (x,))
        fn = getattr(lang, name)
        ta = best_time(kernel(fn, arity, False), (*args, out))
        tl = best_time(kernel(fn, arity, True), (*args, out), reps=2)
        lines.append(f"{name:8s} {N / ta / 1e9:7.2f} Gelem/s {N / tl / 1e9:7.3f} Gelem/s "
                     f"{tl / ta:7.1f}x")
    lines += ["", f"parallel schedule, {cinn.num_threads()} threads:"]
    for name in ["copy", "exp", "tanh", "sigmoid", "erf", "sin"]:
        fn = (lambda a: a) if name == "copy" else getattr(lang, name)
        t = best_time(parallel_kernel(fn), (x, out))
        lines.append(f"{name:8s} {N / t / 1e9:6.2f} Gelem/s  {8 * N / t / 1e9:6.1f} GB/s")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, f"math_{datetime.date.today()}.txt"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
