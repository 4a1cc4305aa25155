"""cinn.torch against PyTorch eager on the same threads (issue 7, acceptance 5):
torchvision resnet18, resnet50, mobilenet_v2 and shufflenet_v2_x0_5 inference at batch 1
(random weights, eval mode, torch.no_grad), and one resnet18 SGD training step at batch 4
(forward, loss, backward, optimizer step). ShuffleNet V2 is captured by make_fx (torch.fx
cannot trace its ``x.size()`` unpacking); the ``capture`` column says which capture ran.

Inference runs through ``cinn.torch.compile(model, freeze=True)`` (parameters baked in as
constants, so batch norm folds into the convolutions) and, for comparison, the default
``freeze=False`` (parameters are inputs of the compiled region). Training cannot freeze:
the forward and backward graphs from AOTAutograd take the parameters as inputs.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/torch_bench.py [--repeat 20] [--dtype bfloat16]
Prints best-of-repeat times and torch/cinn (above 1: CINN is faster); record the tables in
benchmarks/results/.
"""

import argparse
import copy
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedules_bench import best, keep_freed_memory  # noqa: E402

import cinn  # noqa: E402
import cinn.torch  # noqa: E402


def rel_err(got, want):
    got, want = got.float(), want.float()
    return ((got - want).abs().max() / want.abs().max()).item()


def inference(names, repeat, dtype=torch.float32):
    print(f"{str(dtype)[6:]} (model.to(dtype), input of that dtype; PyTorch runs it in that dtype too)")
    print("| model | capture | freeze | compile s | cinn ms | torch ms | torch/cinn | max rel err | kernels | "
          "PyTorch ops |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)().eval().to(dtype)
        x = torch.randn(1, 3, 224, 224).to(dtype)
        with torch.no_grad():
            want = model(x)
            # PyTorch's first calls of a model in a process are slow for a while (2-3x for
            # mobilenet_v2 over 20 calls): warm up, and time it again after CINN's runs.
            best(lambda: model(x), repeat)
            t_torch = best(lambda: model(x), repeat)
        rows = []
        for freeze in (True, False):
            fast = cinn.torch.compile(model, freeze=freeze, cache=False)
            with torch.no_grad():
                t0 = time.perf_counter()
                got = fast(x)
                compile_s = time.perf_counter() - t0
                for _ in range(3):  # first runs touch fresh memory
                    fast(x)
                t_cinn = best(lambda: fast(x), repeat)
            rows.append((freeze, fast.explain(), compile_s, t_cinn, rel_err(got, want)))
        with torch.no_grad():
            t_torch = min(t_torch, best(lambda: model(x), repeat))
        for freeze, report, compile_s, t_cinn, err in rows:
            print(f"| {name} | {report.signatures[0].capture} | {freeze} | {compile_s:.1f} | "
                  f"{t_cinn * 1e3:.2f} | {t_torch * 1e3:.2f} | {t_torch / t_cinn:.2f}x | "
                  f"{err:.1e} | {len(report.kernels)} | {len(report.fallbacks)} |", flush=True)


def training(repeat, batch=4):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().train()
    ref = copy.deepcopy(model)
    fast = cinn.torch.compile(model, cache=False)
    x = torch.randn(batch, 3, 224, 224)
    y = torch.randint(0, 1000, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.01, momentum=0.9)

    def step(net, o):
        o.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        o.step()
        return loss

    # The first steps, from the same weights on the same batch: losses agree.
    t0 = time.perf_counter()
    ours = step(fast, opt).item()
    compile_s = time.perf_counter() - t0
    theirs = step(ref, ref_opt).item()
    step(fast, opt)
    step(ref, ref_opt)
    t_cinn = best(lambda: step(fast, opt), repeat)
    t_torch = best(lambda: step(ref, ref_opt), repeat)
    report = fast.explain()
    kernels = [len(g.regions[0].kernels) if g.regions else 0 for g in report.graphs]
    print("| training step | batch | compile s | cinn ms | torch ms | torch/cinn | first-loss rel err | "
          "kernels fw+bw | PyTorch ops |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| resnet18 SGD | {batch} | {compile_s:.1f} | {t_cinn * 1e3:.2f} | {t_torch * 1e3:.2f} | "
          f"{t_torch / t_cinn:.2f}x | {abs(ours - theirs) / abs(theirs):.1e} | {'+'.join(map(str, kernels))} | "
          f"{len(report.fallbacks)} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--models", default="resnet18,resnet50,mobilenet_v2,shufflenet_v2_x0_5")
    ap.add_argument("--no-training", action="store_true")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="the inference models' dtype (training runs in float32)")
    args = ap.parse_args()
    keep_freed_memory()
    torch.set_num_threads(cinn.num_threads())
    print(f"threads: {cinn.num_threads()} (cinn and torch); torch {torch.__version__}; best of {args.repeat}\n")
    inference(args.models.split(","), args.repeat, getattr(torch, args.dtype))
    print()
    if not args.no_training:
        training(max(3, args.repeat // 4))


if __name__ == "__main__":
    main()
