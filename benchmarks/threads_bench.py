"""Parallel loops when a core is taken: CINN kernels and their PyTorch peers timed on a quiet
machine and while another process spins on one core (a neighbour's job, a framework's
spinning threads), on the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/threads_bench.py [--quick]

With static scheduling a parallel loop waits for its slowest thread, so one busy core
makes every loop take about twice as long on 2 cores; CINN's pool (runtime/thread_pool.h)
lets the threads that are free take the chunks of one that is held up. Prints, per
program, the median quiet and busy times of both and busy/quiet (1.0: unaffected, 2.0: no
benefit from the second core). Copy the table into benchmarks/results/ with the date and
the machine.
"""

import argparse
import multiprocessing
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import same_threads  # noqa: E402

import cinn  # noqa: E402


def median_interleaved(fns, repeat, rounds=3):
    """The median time of each function over `rounds` interleaved rounds of `repeat` calls.
    The median, not the best: a spinning process shares its core in time slices of a few
    milliseconds, and the best call is one that ran while it was not scheduled."""
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            fn()
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                times[i].append(time.perf_counter() - t)
    return [float(np.median(t)) for t in times]


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def programs():
    """name, cinn builder, torch function, input shapes"""
    return [
        ("softmax 4096x1024", lambda b, x: b.softmax(x), lambda x: torch.softmax(x, -1), [(4096, 1024)]),
        ("linear 128x768 -> 3072", lambda b, x, w: b.matmul(x, w, transpose_y=True),
         lambda x, w: torch.nn.functional.linear(x, w), [(128, 768), (3072, 768)]),
        ("conv2d 1x64x56x56 3x3", lambda b, x, w: b.conv2d(x, w, padding=[1, 1]),
         lambda x, w: torch.nn.functional.conv2d(x, w, padding=1), [(1, 64, 56, 56), (64, 64, 3, 3)]),
        ("elementwise 2048x2048", lambda b, x: b.tanh(b.mul(b.exp(x), 0.5)),
         lambda x: torch.tanh(torch.exp(x) * 0.5), [(2048, 2048)]),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeat = 5 if args.quick else 20
    threads = same_threads()
    rng = np.random.default_rng(0)
    cases = []
    for name, build, ref, shapes in programs():
        b = cinn.NetBuilder("threads")
        vals = [b.input(list(s), "float32", f"in{i}") for i, s in enumerate(shapes)]
        exe = cinn.compile(b.build([build(b, *vals)]))
        arrays = [rng.standard_normal(s).astype("float32") for s in shapes]
        tensors = [torch.from_numpy(a) for a in arrays]
        np.testing.assert_allclose(exe(*arrays)[0], ref(*tensors).numpy(), rtol=1e-3, atol=1e-3)
        cases.append((name, lambda exe=exe, arrays=arrays: exe(*arrays),
                      lambda ref=ref, tensors=tensors: ref(*tensors)))
    print(f"threads: {threads}; busy: one process spinning")
    print("| program | cinn quiet ms | cinn busy ms | cinn busy/quiet | torch quiet ms | torch busy ms | "
          "torch busy/quiet |")
    print("|---|---|---|---|---|---|---|")
    for name, run_cinn, run_torch in cases:
        quiet = median_interleaved([run_cinn, run_torch], repeat)
        busy_proc = multiprocessing.Process(target=spin, args=(600,), daemon=True)
        busy_proc.start()
        time.sleep(0.2)
        try:
            busy = median_interleaved([run_cinn, run_torch], repeat)
        finally:
            busy_proc.terminate()
            busy_proc.join()
        print(f"| {name} | {quiet[0] * 1e3:.3f} | {busy[0] * 1e3:.3f} | {busy[0] / quiet[0]:.2f} | "
              f"{quiet[1] * 1e3:.3f} | {busy[1] * 1e3:.3f} | {busy[1] / quiet[1]:.2f} |")


if __name__ == "__main__":
    main()
