"""Times conv2d's weight gradient (the `conv2d_weight_grad` primitive) against PyTorch's
`torch.nn.grad.conv2d_weight` on the same threads, over the convolutions of ResNet and
MobileNet training steps; with --forward, the convolutions themselves against
`torch.nn.functional.conv2d`.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/conv_grad_bench.py [--repeat 15] [--forward]

Prints the best of `repeat` runs of each, interleaved (cinn, torch, cinn, ...), the ratio
torch/cinn and the relative error against torch; copy the table into benchmarks/results/
with the date and the machine.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best_interleaved, same_threads  # noqa: E402

import cinn  # noqa: E402

# (batch, in channels, out channels, input size, kernel, stride, padding, groups)
CASES = [
    (8, 64, 64, 28, 3, 1, 1, 1),     # the ResNet block of train_bench
    (8, 64, 64, 56, 3, 1, 1, 1),
    (8, 128, 128, 14, 3, 1, 1, 1),
    (8, 256, 256, 7, 3, 1, 1, 1),
    (8, 64, 128, 56, 3, 2, 1, 1),
    (8, 64, 256, 56, 1, 1, 0, 1),
    (4, 3, 64, 224, 7, 2, 3, 1),     # resnet's first layer
    (8, 96, 96, 56, 3, 1, 1, 96),    # depthwise (MobileNetV2's, rows of 56 to 7, strided)
    (8, 144, 144, 56, 3, 2, 1, 144),
    (8, 96, 96, 112, 3, 2, 1, 96),
    (8, 192, 192, 28, 3, 1, 1, 192),
    (8, 384, 384, 14, 3, 1, 1, 384),
    (8, 960, 960, 7, 3, 1, 1, 960),
    (8, 64, 64, 28, 3, 1, 1, 4),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--forward", action="store_true", help="time conv2d instead of its weight gradient")
    args = ap.parse_args()
    threads = same_threads()
    print(f"threads: {threads}, best of {args.repeat}, {'conv2d' if args.forward else 'conv2d_weight_grad'}")
    print(f"| x | {'w' if args.forward else 'dy'} | kernel | stride | groups | cinn ms | torch ms | torch/cinn | rel err |")
    print("|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n, c, o, hw, k, s, p, g in CASES:
        out = (hw + 2 * p - k) // s + 1
        x = rng.standard_normal((n, c, hw, hw)).astype("float32")
        shape = (o, c // g, k, k)
        # The second operand: the weights (forward) or the result's gradient.
        dy = rng.standard_normal(shape if args.forward else (n, o, out, out)).astype("float32")
        b = cinn.NetBuilder("conv")
        xv, dv = b.input(x.shape, name="x"), b.input(dy.shape, name="dy")
        y = (b.conv2d(xv, dv, [s, s], [p, p], groups=g) if args.forward
             else b.conv2d_weight_grad(xv, dv, [k, k], [s, s], [p, p], groups=g))
        exe = cinn.compile(b.build([y]))
        tx, td = torch.from_numpy(x), torch.from_numpy(dy)

        def peer():
            if args.forward:
                return torch.nn.functional.conv2d(tx, td, stride=s, padding=p, groups=g)
            return torch.nn.grad.conv2d_weight(tx, shape, td, stride=s, padding=p, groups=g)

        (got,) = exe(x, dy)
        ref = peer().numpy()
        err = float(np.abs(got - ref).max() / np.abs(ref).max())
        tc, tt = (t * 1e3 for t in best_interleaved([lambda: exe(x, dy), peer], args.repeat))
        second = "x".join(map(str, shape)) if args.forward else f"{o}x{out}x{out}"
        print(f"| {n}x{c}x{hw}x{hw} | {second} | {k}x{k} | {s} | {g} | {tc:.2f} | {tt:.2f} | "
              f"{tt / tc:.2f}x | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
