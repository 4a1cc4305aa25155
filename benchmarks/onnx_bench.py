"""Inference through cinn.onnx against PyTorch eager on the same threads (issue 7,
acceptance 5): torchvision models, random weights, eval mode, exported with
torch.onnx.export (opset 13), compiled by cinn.onnx.compile.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/onnx_bench.py [--batch 1] [--repeat 20]
Prints best-of-repeat times and torch/cinn (above 1: CINN is faster); record the table in
benchmarks/results/.
"""

import argparse
import io
import os
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best, keep_freed_memory  # noqa: E402

import cinn  # noqa: E402
import cinn.onnx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--models", default="resnet18,resnet50,mobilenet_v2")
    args = ap.parse_args()
    keep_freed_memory()
    torch.set_num_threads(cinn.num_threads())
    print(f"threads: {cinn.num_threads()}, batch {args.batch}, best of {args.repeat}")
    print("| model | compile s | cinn ms | torch ms | torch/cinn | max rel err |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)().eval()
        x = torch.randn(args.batch, 3, 224, 224)
        f = io.BytesIO()
        torch.onnx.export(model, x, f, opset_version=13)
        t = time.perf_counter()
        exe = cinn.onnx.compile(f.getvalue(), cache=False)
        compile_s = time.perf_counter() - t
        xn = x.numpy()
        (got,) = exe(xn)
        with torch.no_grad():
            want = model(x).numpy()
            # PyTorch's first calls of a model in a process are slow for a while (2-3x for
            # mobilenet_v2 over 20 calls): warm up, and time it again after CINN's runs (as
            # torch_bench.py does).
            best(lambda: model(x), args.repeat)
            t_torch = best(lambda: model(x), args.repeat)
        t_cinn = best(lambda: exe(xn), args.repeat)
        with torch.no_grad():
            t_torch = min(t_torch, best(lambda: model(x), args.repeat))
        err = np.abs(got - want).max() / np.abs(want).max()
        print(f"| {name} | {compile_s:.1f} | {t_cinn * 1e3:.2f} | {t_torch * 1e3:.2f} | "
              f"{t_torch / t_cinn:.2f}x | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
