"""Auto-tuning against the default schedules and PyTorch eager, on the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/tune_bench.py [--trials 200] [--quick]

Models (the demo models of cinn.models, built with NetBuilder): compile with the default
schedules, tune with cinn.tune into a fresh database, compile with that database, check
both against torch, and time default, tuned and torch eager, interleaved (best of `repeat`
runs per round). Ratios: default/tuned (above 1: tuning helped) and torch/tuned (above 1:
CINN is faster).

Kernels: a 1024^3 matmul in the DSL tuned with cinn.tune_kernel over a design space that
samples the packed schedule's tile sizes (benchmarks/schedules.py, `matmul`, with its
hand-picked tiles mr=8, nr=32, kc=256), against that hand schedule and numpy (OpenBLAS).

Copy the tables into benchmarks/results/ with the date and the machine.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best_interleaved, keep_freed_memory  # noqa: E402

import cinn  # noqa: E402
from cinn import lang, models  # noqa: E402
from schedules import matmul as hand_matmul  # noqa: E402
from schedules import schedule_packed_matmul  # noqa: E402


def matmul_func(n):
    A = lang.placeholder((n, n), "float32", "A")
    B = lang.placeholder((n, n), "float32", "B")
    k = lang.reduce_axis(n, "k")
    C = lang.compute((n, n), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    return lang.lower("matmul", [A, B, C])


def matmul_space(sch):
    """benchmarks/schedules.py's packed matmul with its tile sizes sampled."""
    nr = sch.sample_categorical([16, 32, 64], [1, 1, 1])
    mr = sch.sample_categorical([4, 6, 8, 12], [1, 1, 1, 1])
    kc = sch.sample_categorical([64, 128, 256, 512], [1, 1, 1, 1])
    schedule_packed_matmul(sch, mr, nr, kc)


def kernels(args):
    n = 256 if args.quick else 1024
    trials = min(args.trials, 48)
    db = os.path.join(tempfile.mkdtemp(prefix="cinn-tune-"), "kernels.db")
    t0 = time.perf_counter()
    report = cinn.tune_kernel(matmul_func(n), matmul_space, trials=trials, database=db, progress=True)
    tune_s = time.perf_counter() - t0
    print(report, file=sys.stderr)
    tuned = cinn.build(matmul_func(n), database=db)
    hand = cinn.build(hand_matmul(n, n, n)[0])
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), np.float32)
    want = a @ b
    for k in (tuned, hand):
        k(a, b, c)
        np.testing.assert_allclose(c, want, rtol=1e-3, atol=1e-3)
    tt, th, tn = best_interleaved([lambda: tuned(a, b, c), lambda: hand(a, b, c), lambda: np.matmul(a, b, out=c)],
                                  args.repeat, rounds=5)
    gf = 2 * n ** 3 / 1e9
    print(f"\n{'kernel':14s} {'tuned ms':>9s} {'hand ms':>8s} {'numpy ms':>9s} {'hand/tuned':>10s} "
          f"{'numpy/tuned':>11s} {'tuned GF/s':>10s} {'tune s':>7s}")
    print(f"matmul {n:<7d} {tt * 1e3:9.2f} {th * 1e3:8.2f} {tn * 1e3:9.2f} {th / tt:10.2f} {tn / tt:11.2f} "
          f"{gf / tt:10.1f} {tune_s:7.0f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="small shapes, few trials (a smoke run)")
    ap.add_argument("--models", default="resnet18,bert_layer", help="comma-separated; '' for none")
    ap.add_argument("--no-kernels", action="store_true", help="skip the DSL kernel")
    args = ap.parse_args()
    keep_freed_memory()
    torch.set_num_threads(cinn.num_threads())
    if args.quick:
        cases = {"resnet18": dict(batch=1, image=64), "bert_layer": dict(batch=1, seq=32, hidden=128, heads=2, ffn=512)}
        args.trials = min(args.trials, 20)
    else:
        cases = {"resnet18": dict(batch=1, image=224), "bert_layer": dict(batch=1, seq=128)}
    print(f"threads {cinn.num_threads()}, trials {args.trials} per model")
    print(f"{'model':12s} {'default ms':>10s} {'tuned ms':>9s} {'torch ms':>9s} {'default/tuned':>13s} "
          f"{'torch/tuned':>11s} {'tune s':>7s} {'kernels tuned':>13s}")
    for name in filter(None, args.models.split(",")):
        kw = cases[name]
        b = cinn.NetBuilder(name)
        out, params = getattr(models, name)(b, **kw)
        prog = b.build([out])
        weights = models.random_weights(params, seed=0)
        ref = getattr(models, name + "_torch")(weights, **kw)
        with torch.no_grad():
            want = ref().numpy()
        db = os.path.join(tempfile.mkdtemp(prefix="cinn-tune-"), "tune.db")
        t0 = time.perf_counter()
        report = cinn.tune(prog, trials=args.trials, database=db, progress=True)
        tune_s = time.perf_counter() - t0
        default = cinn.compile(prog, cache=False)
        tuned = cinn.compile(prog, cache=False, database=db)
        for exe in (default, tuned):
            np.testing.assert_allclose(exe(**weights)[0], want, rtol=2e-3, atol=2e-3)
        n_tuned = sum(g["schedule"] == "tuned" for g in tuned.fusion_groups)

        def run_torch():
            with torch.no_grad():
                ref()

        # Five interleaved rounds: on a shared VM one round can be 10% off.
        td, tt, tr = best_interleaved([lambda: default(**weights), lambda: tuned(**weights), run_torch],
                                      args.repeat, rounds=5)
        print(f"{name:12s} {td * 1e3:10.2f} {tt * 1e3:9.2f} {tr * 1e3:9.2f} {td / tt:13.2f} {tr / tt:11.2f} "
              f"{tune_s:7.0f} {n_tuned:6d} of {len(tuned.fusion_groups):<4d}")
        print(report, file=sys.stderr)
    if not args.no_kernels:
        kernels(args)


if __name__ == "__main__":
    main()
