"""Embedding training steps: cinn.train_step (forward, backward, SGD update in one
executable) against PyTorch eager on the same threads. The table's gradient is a
scatter_add of the gathered rows' gradients (lang::update: serial over the indices,
parallel over the row), so the step costs O(tokens x width), not O(rows x tokens x width).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/embedding_bench.py

Model: mean of the embeddings of B x T tokens, a linear classifier, cross-entropy. Both
sides start from the same weights and batch; the first losses are checked to agree. Time:
the best of 10 steps, cinn and torch interleaved over 3 rounds. Ratio: torch / cinn (above
1: cinn faster). Copy the table into benchmarks/results/ with the date and the machine.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

import cinn

SHAPES = [  # vocabulary, batch, tokens, width, classes
    (30000, 32, 128, 256, 10),
    (50000, 8, 512, 512, 10),
]


def best(f, n=10):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts) * 1e3


def main():
    torch.set_num_threads(cinn.num_threads() or 2)
    rng = np.random.default_rng(0)
    print("| V x (B x T) x D | compile s | cinn ms | torch ms | torch/cinn |")
    print("|---|---|---|---|---|")
    for v, b_, t_, d, c in SHAPES:
        b = cinn.NetBuilder("emb")
        ids = b.input([b_, t_], "int64", "ids")
        y = b.input([b_], "int64", "y")
        table = b.input([v, d], "float32", "table")
        w = b.input([d, c], "float32", "w")
        loss = b.cross_entropy(b.matmul(b.mean(b.embedding(ids, table), axis=[1]), w), y)
        t0 = (rng.standard_normal((v, d)) * 0.1).astype("float32")
        w0 = (rng.standard_normal((d, c)) * 0.1).astype("float32")
        start = time.perf_counter()
        step = cinn.train_step(b.build([loss]), loss, params={"table": t0.copy(), "w": w0.copy()},
                               optimizer=cinn.optim.SGD(lr=0.1))
        compile_s = time.perf_counter() - start
        i = rng.integers(0, v, (b_, t_)).astype("int64")
        lab = rng.integers(0, c, b_).astype("int64")
        tt = torch.nn.Parameter(torch.from_numpy(t0.copy()))
        tw = torch.nn.Parameter(torch.from_numpy(w0.copy()))
        opt = torch.optim.SGD([tt, tw], lr=0.1)
        ti, ty = torch.from_numpy(i), torch.from_numpy(lab)

        def torch_step():
            opt.zero_grad()
            out = F.cross_entropy(F.embedding(ti, tt).mean(1) @ tw, ty)
            out.backward()
            opt.step()
            return out

        first = float(np.asarray(step(ids=i, y=lab)[0]))
        ref = float(torch_step())
        assert abs(first - ref) <= 1e-5 * abs(ref), (first, ref)
        ours = theirs = float("inf")
        for _ in range(3):
            ours = min(ours, best(lambda: step(ids=i, y=lab)))
            theirs = min(theirs, best(torch_step))
        print(f"| {v} x ({b_} x {t_}) x {d} | {compile_s:.2f} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
