"""Times whole training steps compiled by cinn.train_step (forward, backward, optimizer
update in one executable) against PyTorch eager (forward, backward, torch.optim step) on
the same threads.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/train_bench.py [--quick]

Three training graphs (issue 6): an MLP with cross-entropy (SGD with momentum), a ResNet
basic block with batch_norm in training mode and a classifier head (SGD with momentum), a
post-norm transformer encoder layer with a regression loss (Adam). Both sides start from
the same weights and see the same batch; the first step's losses are checked to agree.
Time: the best of 3 interleaved rounds of `repeat` steps each (cinn, torch, cinn, ...).
Ratio: torch time / cinn time (above 1: cinn faster).
Copy the table into benchmarks/results/ with the date and the machine.
"""

import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best_interleaved, keep_freed_memory  # noqa: E402

import cinn  # noqa: E402
from cinn import models  # noqa: E402


def rand(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype("float32")


def mlp(rng, quick):
    n, dims = (64, [256, 128, 10]) if quick else (128, [784, 512, 256, 10])
    params = {}
    for i in range(len(dims) - 1):
        params[f"w{i}"] = rand(rng, dims[i + 1], dims[i], scale=1 / math.sqrt(dims[i]))
        params[f"b{i}"] = np.zeros(dims[i + 1], "float32")
    data = {"x": rand(rng, n, dims[0]), "y": rng.integers(0, dims[-1], n).astype("int64")}

    def build(b, v):
        h = v["x"]
        for i in range(len(dims) - 1):
            h = b.linear(h, v[f"w{i}"], v[f"b{i}"])
            if i < len(dims) - 2:
                h = b.relu(h)
        return b.cross_entropy(h, v["y"]), {}

    def ref(v):
        h = v["x"]
        for i in range(len(dims) - 1):
            h = F.linear(h, v[f"w{i}"], v[f"b{i}"])
            if i < len(dims) - 2:
                h = F.relu(h)
        return F.cross_entropy(h, v["y"])

    shape = f"{n}x" + "-".join(map(str, dims))
    return "mlp", shape, params, {}, data, build, ref, "sgd"


def resnet_block(rng, quick):
    n, c, hw, classes = (4, 16, 16, 10) if quick else (8, 64, 28, 10)
    params = {"w1": rand(rng, c, c, 3, 3, scale=1 / math.sqrt(9 * c)), "w2": rand(rng, c, c, 3, 3, scale=1 / math.sqrt(9 * c)),
              "g1": np.ones(c, "float32"), "be1": np.zeros(c, "float32"),
              "g2": np.ones(c, "float32"), "be2": np.zeros(c, "float32"),
              "fc_w": rand(rng, classes, c, scale=1 / math.sqrt(c)), "fc_b": np.zeros(classes, "float32")}
    buffers = {"m1": np.zeros(c, "float32"), "v1": np.ones(c, "float32"),
               "m2": np.zeros(c, "float32"), "v2": np.ones(c, "float32")}
    data = {"x": rand(rng, n, c, hw, hw), "y": rng.integers(0, classes, n).astype("int64")}

    def build(b, v):
        h, m1, v1 = b.batch_norm(b.conv2d(v["x"], v["w1"], padding=[1, 1]), v["g1"], v["be1"], v["m1"], v["v1"],
                                 training=True)
        h, m2, v2 = b.batch_norm(b.conv2d(b.relu(h), v["w2"], padding=[1, 1]), v["g2"], v["be2"], v["m2"], v["v2"],
                                 training=True)
        h = b.relu(b.add(h, v["x"]))
        logits = b.linear(b.mean(h, [2, 3]), v["fc_w"], v["fc_b"])
        return b.cross_entropy(logits, v["y"]), {"m1": m1, "v1": v1, "m2": m2, "v2": v2}

    def ref(v):
        h = F.batch_norm(F.conv2d(v["x"], v["w1"], padding=1), v["m1"], v["v1"], v["g1"], v["be1"], True)
        h = F.batch_norm(F.conv2d(F.relu(h), v["w2"], padding=1), v["m2"], v["v2"], v["g2"], v["be2"], True)
        h = F.relu(h + v["x"])
        return F.cross_entropy(F.linear(h.mean((2, 3)), v["fc_w"], v["fc_b"]), v["y"])

    return "resnet_block", f"{n}x{c}x{hw}x{hw}", params, buffers, data, build, ref, "sgd"


def encoder_layer(rng, quick):
    B, S, D, H, FF = (2, 32, 64, 2, 256) if quick else (8, 64, 128, 4, 512)
    params = {}
    for nm in "qkvo":
        params["w" + nm] = rand(rng, D, D, scale=1 / math.sqrt(D))
        params["b" + nm] = np.zeros(D, "float32")
    params.update({"w_ff1": rand(rng, FF, D, scale=1 / math.sqrt(D)), "b_ff1": np.zeros(FF, "float32"),
                   "w_ff2": rand(rng, D, FF, scale=1 / math.sqrt(FF)), "b_ff2": np.zeros(D, "float32"),
                   "ln1_g": np.ones(D, "float32"), "ln1_b": np.zeros(D, "float32"),
                   "ln2_g": np.ones(D, "float32"), "ln2_b": np.zeros(D, "float32")})
    data = {"x": rand(rng, B, S, D), "target": rand(rng, B, S, D)}

    def build(b, v):
        return b.mse_loss(models.encoder_layer(b, v, H), v["target"]), {}

    def ref(v):
        return F.mse_loss(models.encoder_layer_torch(v, H), v["target"])

    return "encoder_layer", f"{B}x{S}x{D} h{H} ff{FF}", params, {}, data, build, ref, "adam"


def optimizers(kind):
    if kind == "sgd":
        return cinn.optim.SGD(lr=0.01, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9)
    return cinn.optim.Adam(lr=1e-3), lambda ps: torch.optim.Adam(ps, lr=1e-3)


def run_case(case):
    name, shape, params, buffers, data, build, ref, kind = case
    b = cinn.NetBuilder(name)
    v = {k: b.input(list(a.shape), str(a.dtype), name=k) for k, a in {**data, **params, **buffers}.items()}
    loss, updates = build(b, v)
    prog = b.build([loss] + list(updates.values()))
    opt, make_torch_opt = optimizers(kind)
    t0 = time.perf_counter()
    step = cinn.train_step(prog, loss, params=params, optimizer=opt, buffers=buffers, updates=updates)
    compile_s = time.perf_counter() - t0

    tp = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
    tv = {k: torch.tensor(a) for k, a in {**data, **buffers}.items()}
    topt = make_torch_opt(list(tp.values()))

    def torch_step():
        topt.zero_grad()
        loss = ref({**tv, **tp})
        loss.backward()
        topt.step()
        return loss

    # Same weights, same batch: the first losses agree.
    ours = float(step(**data)[0])
    theirs = float(torch_step())
    err = abs(ours - theirs) / abs(theirs)
    t_cinn, t_torch = best_interleaved([lambda: step(**data), torch_step], args.repeat)
    print(f"| {name} | {shape} | {kind} | {len(step.executable.fusion_groups)} | {compile_s:.1f} | "
          f"{t_cinn * 1e3:.2f} | {t_torch * 1e3:.2f} | {t_torch / t_cinn:.2f}x | {err:.1e} |", flush=True)
    return err < 1e-4


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small shapes")
    p.add_argument("--repeat", type=int, default=10)
    args = p.parse_args()
    keep_freed_memory()
    torch.set_num_threads(cinn.num_threads())
    print(f"threads: {cinn.num_threads()} (cinn and torch); torch {torch.__version__}\n")
    print("| training step | shape | optimizer | kernels | compile s | cinn ms | torch ms | torch/cinn | loss rel err |")
    print("|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    ok = all([run_case(c(rng, args.quick)) for c in (mlp, resnet_block, encoder_layer)])
    if not ok:
        raise SystemExit("a first-step loss does not match torch")
