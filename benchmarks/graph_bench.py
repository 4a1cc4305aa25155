"""Times programs compiled by the graph compiler (default schedules, no tuning) against
PyTorch eager on the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/graph_bench.py [--quick] [--only linear,bert]

Every program is built with cinn.NetBuilder from primitive or composite ops, compiled with
cinn.compile, checked against torch, and timed with the best of `repeat` runs, cinn and
torch interleaved over 3 rounds (both see the same drift of a shared machine). The ratio
is torch time / cinn time (above 1: cinn is faster). `--only` keeps the programs whose
name contains one of the given words. Copy the table into benchmarks/results/
with the date and the machine.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best_interleaved, same_threads  # noqa: E402

import cinn  # noqa: E402


def softmax(b, x):
    return b.softmax(x)


def layer_norm(b, x, g, be):
    n = x.shape[-1]
    mean = b.mul(b.reduce(x, "sum", [-1], True), 1.0 / n)
    xc = b.sub(x, mean)
    var = b.mul(b.reduce(b.mul(xc, xc), "sum", [-1], True), 1.0 / n)
    return b.add(b.mul(b.mul(xc, b.rsqrt(b.add(var, 1e-5))), g), be)


def gelu(b, x):
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, 1 / math.sqrt(2))), 1.0))


def chain6(b, x, y):
    return b.tanh(b.mul(b.exp(b.sub(b.add(x, y), 1.0)), 0.5))


def linear_gelu(b, x, w, bias):
    return gelu(b, b.add(b.matmul(x, w), bias))


def batch_norm(b, x, g, be, m, v):
    return b.batch_norm(x, g, be, m, v, epsilon=1e-5)


def torch_batch_norm(x, g, be, m, v):
    return torch.nn.functional.batch_norm(x, m, v.abs() + 0.5, g, be, training=False, eps=1e-5)


def cinn_batch_norm(b, x, g, be, m, v):
    return batch_norm(b, x, g, be, m, b.add(b.abs(v), 0.5))


CASES = [
    # name, cinn builder, torch function, input shapes
    ("softmax 4096x1024", softmax, lambda x: torch.softmax(x, -1), [(4096, 1024)]),
    ("layer_norm 4096x1024", layer_norm,
     lambda x, g, be: torch.nn.functional.layer_norm(x, (x.shape[-1],), g, be, 1e-5),
     [(4096, 1024), (1024,), (1024,)]),
    ("gelu (erf) 4096x1024", gelu, lambda x: torch.nn.functional.gelu(x), [(4096, 1024)]),
    ("6-op elementwise 4096x4096", chain6, lambda x, y: torch.tanh(torch.exp(x + y - 1) * 0.5),
     [(4096, 4096), (4096, 4096)]),
    ("matmul+bias+gelu 512x1024x1024", linear_gelu,
     lambda x, w, bias: torch.nn.functional.gelu(x @ w + bias), [(512, 1024), (1024, 1024), (1024,)]),
    ("batch_norm (inference) 32x64x56x56", cinn_batch_norm, torch_batch_norm,
     [(32, 64, 56, 56), (64,), (64,), (64,), (64,)]),
    ("row sum 4096x1024 -> 4096", lambda b, x: b.sum(x, [1]), lambda x: x.sum(1), [(4096, 1024)]),
    ("column sum 4096x1024 -> 1024", lambda b, x: b.sum(x, [0]), lambda x: x.sum(0), [(4096, 1024)]),
    ("channel sum 32x64x56x56 -> 64", lambda b, x: b.sum(x, [0, 2, 3]), lambda x: x.sum((0, 2, 3)),
     [(32, 64, 56, 56)]),
]

# The demo models (cinn.models): name, builder kwargs, input description.
MODELS = [("resnet18", dict(batch=1, image=224), "1x3x224x224"),
          ("bert_layer", dict(batch=1, seq=128), "1x128x768")]


def bench_models(repeat, selected):
    from cinn import models
    for name, kw, shape in MODELS:
        if not selected(name):
            continue
        b = cinn.NetBuilder(name)
        y, params = getattr(models, name)(b, **kw)
        exe = cinn.compile(b.build([y]))
        weights = models.random_weights(params, seed=0)
        ref = getattr(models, name + "_torch")(weights, **kw)
        with torch.no_grad():
            want = ref().numpy()
            (out,) = exe(**weights)
            np.testing.assert_allclose(out, want, rtol=1e-3, atol=1e-4 * np.abs(want).max())
            t_cinn, t_torch = best_interleaved([lambda: exe(**weights), ref], repeat)
        print(f"| {name} {shape} | {len(exe.fusion_groups)} | {t_cinn * 1e3:.2f} | "
              f"{t_torch * 1e3:.2f} | {t_torch / t_cinn:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated words; programs whose name has one")
    args = ap.parse_args()
    words = [w for w in args.only.split(",") if w]

    def selected(name):
        return not words or any(w in name for w in words)
    repeat = 3 if args.quick else 10
    threads = same_threads()
    rng = np.random.default_rng(0)
    print(f"threads: {threads}")
    print("| program | kernels | cinn ms | torch ms | torch/cinn |")
    print("|---|---|---|---|---|")
    for name, build, ref, shapes in CASES:
        if not selected(name):
            continue
        b = cinn.NetBuilder(name.split()[0])
        vals = [b.input(list(s), "float32", f"in{i}") for i, s in enumerate(shapes)]
        exe = cinn.compile(b.build(build(b, *vals)))
        arrays = [rng.standard_normal(s).astype("float32") for s in shapes]
        if build is linear_gelu:
            arrays[1] /= 32
        tensors = [torch.from_numpy(a) for a in arrays]
        (out,) = exe(*arrays)
        np.testing.assert_allclose(out, ref(*tensors).numpy(), rtol=1e-3, atol=1e-3)
        t_cinn, t_torch = best_interleaved([lambda: exe(*arrays), lambda: ref(*tensors)], repeat)
        print(f"| {name} | {len(exe.fusion_groups)} | {t_cinn * 1e3:.2f} | {t_torch * 1e3:.2f} "
              f"| {t_torch / t_cinn:.2f} |")
    bench_models(repeat, selected)


if __name__ == "__main__":
    main()
