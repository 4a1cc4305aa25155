"""Linear layers, x @ W^T + b with W stored [out, in] (nn.Linear's layout, what
NetBuilder.linear and cinn.torch produce), compiled by cinn.compile with the default x86
schedule, against numpy's x @ W.T + b (OpenBLAS sgemm) and torch.nn.functional.linear, on
the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/linear_bench.py [--quick]

Shapes: BERT-base's projections at 128 tokens, its attention scores q @ k^T (12 heads),
a 512-row layer, and a small one. Results are checked against numpy first. Each program is
timed with the best of `repeat` calls, cinn, numpy and torch interleaved over 5 rounds.
Ratios above 1: cinn is faster. Copy the table into benchmarks/results/ with the date and
the machine.

Run it twice, with and without `OMP_WAIT_POLICY=PASSIVE`: under libgomp's default policy
torch's OpenMP threads spin after each op, which on few cores slows torch's own sgemm
(its OpenBLAS threads compete with them) and the CINN kernel timed next; passive waiting
removes both effects (and slows torch's convnets, whose many small parallel regions then
wake sleeping threads: benchmarks/results/linear_2026-11-24.md).
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best_interleaved, same_threads  # noqa: E402

import cinn  # noqa: E402

# name, batch dims, rows m, input features k, output features n
CASES = [("bert q/k/v/out projection", (), 128, 768, 768),
         ("bert ffn up", (), 128, 768, 3072),
         ("bert ffn down", (), 128, 3072, 768),
         ("bert scores q @ k^T", (12,), 128, 64, 128),
         ("512-row layer", (), 512, 1024, 1024),
         ("small layer", (), 64, 512, 256)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeat = 5 if args.quick else 20
    threads = same_threads()
    rng = np.random.default_rng(0)
    print(f"threads: {threads}")
    print("| layer | shape (m x k -> n) | cinn ms | GF/s | numpy ms | torch ms | numpy/cinn | torch/cinn |")
    print("|---|---|---|---|---|---|---|---|")
    for name, batch, m, k, n in CASES:
        b = cinn.NetBuilder("linear")
        x = b.input([*batch, m, k], "float32", "x")
        w = b.input([*batch, n, k], "float32", "w")
        y = b.matmul(x, w, transpose_y=True)
        bias = None
        if not batch:
            bias = b.input([n], "float32", "bias")
            y = b.add(y, bias)
        exe = cinn.compile(b.build([y]))
        xv = rng.standard_normal((*batch, m, k)).astype("float32")
        wv = (rng.standard_normal((*batch, n, k)) / np.sqrt(k)).astype("float32")
        bv = rng.standard_normal(n).astype("float32")
        inputs = {"x": xv, "w": wv, "bias": bv} if bias is not None else {"x": xv, "w": wv}
        wt = np.swapaxes(wv, -1, -2)
        ref = (lambda: xv @ wt + bv) if bias is not None else (lambda: xv @ wt)
        tx, tw, tb = torch.from_numpy(xv), torch.from_numpy(wv), torch.from_numpy(bv)
        peer = (lambda: torch.nn.functional.linear(tx, tw, tb)) if bias is not None else (
            lambda: tx @ tw.transpose(-1, -2))
        (out,) = exe(**inputs)
        np.testing.assert_allclose(out, ref(), rtol=1e-3, atol=1e-3)
        with torch.no_grad():
            t_cinn, t_numpy, t_torch = best_interleaved([lambda: exe(**inputs), ref, peer], repeat, rounds=5)
        flops = 2 * int(np.prod(batch or (1,))) * m * n * k
        shape = ("x".join(map(str, batch)) + " x " if batch else "") + f"{m}x{k} -> {n}"
        print(f"| {name} | {shape} | {t_cinn * 1e3:.3f} | {flops / t_cinn / 1e9:.0f} | {t_numpy * 1e3:.3f} | "
              f"{t_torch * 1e3:.3f} | {t_numpy / t_cinn:.2f} | {t_torch / t_cinn:.2f} |")


if __name__ == "__main__":
    main()
