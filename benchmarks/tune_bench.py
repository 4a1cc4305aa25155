"""Auto-tuning against the default schedules and PyTorch eager, on the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/tune_bench.py [--trials 200] [--quick]

For each model (the demo models of cinn.models, built with NetBuilder): compile with the
default schedules, tune with cinn.tune into a fresh database, compile with that database,
check both against torch, and time default, tuned and torch eager, interleaved (best of
`repeat` runs per round). Ratios: default/tuned (above 1: tuning helped) and torch/tuned
(above 1: CINN is faster). Copy the table into benchmarks/results/ with the date and the
machine.
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
from cinn import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="small shapes, few trials (a smoke run)")
    ap.add_argument("--models", default="resnet18,bert_layer")
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
    for name in args.models.split(","):
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

        td, tt, tr = best_interleaved([lambda: default(**weights), lambda: tuned(**weights), run_torch],
                                      args.repeat)
        print(f"{name:12s} {td * 1e3:10.2f} {tt * 1e3:9.2f} {tr * 1e3:9.2f} {td / tt:13.2f} {tr / tt:11.2f} "
              f"{tune_s:7.0f} {n_tuned:6d} of {len(tuned.fusion_groups):<4d}")
        print(report, file=sys.stderr)


if __name__ == "__main__":
    main()
