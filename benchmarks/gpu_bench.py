"""The GPU benchmark of issue 5, in two halves (like tools/gpu_check.sh).

On the build machine (the full compiler, no GPU needed):

    .venv/bin/python benchmarks/gpu_bench.py build [DIR]     # default DIR=gpu_bench

compiles every case below for Target.cuda() with the default schedules and saves it as an
artifact (kernels and plan only: the inputs are drawn on the GPU machine). On the GPU
machine, with the runtime-only build (tools/runtime_only) and PyTorch:

    python3 benchmarks/gpu_bench.py run [DIR]

draws random inputs, runs each artifact with `cinn_run --repeat N` (inputs and outputs in
device memory), checks the result against PyTorch in float64 (relative L2 error), times the
PyTorch peer the same way (a synchronize after every call, mean over N calls after warm-up)
and prints a table. The peers: a device-to-device copy for elementwise kernels (GB/s counted
as bytes read + written), torch.cuda for softmax / layer_norm / reductions, torch.matmul
(cuBLAS, TF32 off) for matmul. Copy the table into benchmarks/results/ with the date and
the machine.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name, input shapes, peer kind ("copy": bandwidth against a device-to-device copy, "torch":
# time against the torch expression), bytes each run must move at least (read + written).
EW = 1 << 24
CASES = [
    ("ew a*b+tanh(c) 16M", [(EW,)] * 3, "copy", 4 * EW * 4),
    ("ew gelu(erf) 4096x4096", [(4096, 4096)], "copy", 2 * 4096 * 4096 * 4),
    ("ew f16 a*b+c 16M", [(EW,)] * 3, "copy", 4 * EW * 2),
    ("softmax 4096x1024", [(4096, 1024)], "torch", 2 * 4096 * 1024 * 4),
    ("softmax 16384x4096", [(16384, 4096)], "torch", 2 * 16384 * 4096 * 4),
    ("layer_norm 4096x1024", [(4096, 1024), (1024,), (1024,)], "torch", 2 * 4096 * 1024 * 4),
    ("layer_norm 16384x4096", [(16384, 4096), (4096,), (4096,)], "torch", 2 * 16384 * 4096 * 4),
    ("row sum 16384x4096", [(16384, 4096)], "torch", 16384 * 4096 * 4),
    ("column sum 16384x4096", [(16384, 4096)], "torch", 16384 * 4096 * 4),
    ("matmul 1024^3", [(1024, 1024), (1024, 1024)], "torch", 3 * 1024 * 1024 * 4),
    ("matmul 4096^3", [(4096, 4096), (4096, 4096)], "torch", 3 * 4096 * 4096 * 4),
    ("matmul 2048^3", [(2048, 2048), (2048, 2048)], "torch", 3 * 2048 * 2048 * 4),
    ("linear+gelu 4096x1024 @ (4096x1024)^T", [(4096, 1024), (4096, 1024), (4096,)], "torch", 3 * 4096 * 1024 * 4),
    ("batch matmul 64x256x256x64", [(64, 256, 64), (64, 64, 256)], "torch", 64 * 256 * 256 * 4),
    ("conv2d 32x64x56x56 3x3", [(32, 64, 56, 56), (64, 64, 3, 3)], "torch", 2 * 32 * 64 * 56 * 56 * 4),
    ("conv2d 32x128x28x28 3x3", [(32, 128, 28, 28), (128, 128, 3, 3)], "torch", 2 * 32 * 128 * 28 * 28 * 4),
    ("conv2d 1x64x56x56 3x3", [(1, 64, 56, 56), (64, 64, 3, 3)], "torch", 2 * 64 * 56 * 56 * 4),
    ("conv2d 32x64x56x56 3x3 s2", [(32, 64, 56, 56), (128, 64, 3, 3)], "torch", 32 * 64 * 56 * 56 * 4),
]

# Tile variants of the CUDA matmul schedule (compile(..., schedule_params=...)): the case name
# with the parameters in brackets.
VARIANTS = [("matmul 4096^3", dict(matmul_tm=tm, matmul_tn=tn, matmul_bk=bk))
            for tm, tn, bk in [(8, 8, 16), (8, 8, 32), (8, 4, 8), (4, 4, 8), (4, 4, 16)]]
VARIANTS += [("conv2d 32x64x56x56 3x3", dict(conv_tf=tf, conv_tp=tp)) for tf, tp in [(8, 4), (4, 4), (2, 8)]]
# Elementwise kernels with one element per thread and access (the default moves 16 bytes).
VARIANTS += [(name, dict(vector_bytes=4)) for name in ("ew a*b+tanh(c) 16M", "ew gelu(erf) 4096x4096")]
# Rows read once per pass from global memory (the default keeps them in registers).
VARIANTS += [(name, dict(row_cache_kb=1)) for name in ("softmax 4096x1024", "softmax 16384x4096",
                                                       "layer_norm 4096x1024", "layer_norm 16384x4096")]

FLOPS = {"matmul 1024^3": 2 * 1024 ** 3, "matmul 4096^3": 2 * 4096 ** 3, "matmul 2048^3": 2 * 2048 ** 3,
         "linear+gelu 4096x1024 @ (4096x1024)^T": 2 * 4096 * 1024 * 4096,
         "batch matmul 64x256x256x64": 2 * 64 * 256 * 256 * 64,
         "conv2d 32x64x56x56 3x3": 2 * 32 * 64 * 56 * 56 * 64 * 9,
         "conv2d 32x128x28x28 3x3": 2 * 32 * 128 * 28 * 28 * 128 * 9,
         "conv2d 1x64x56x56 3x3": 2 * 64 * 56 * 56 * 64 * 9,
         "conv2d 32x64x56x56 3x3 s2": 2 * 32 * 128 * 28 * 28 * 64 * 9}


def slug(name):
    return "".join(c if c.isalnum() else "_" for c in name)


# ----------------------------------------------------------------------------- build half
def cinn_program(name, shapes):
    import cinn
    b = cinn.NetBuilder(slug(name))
    dtype = "float16" if " f16 " in name else "float32"
    xs = [b.input(list(s), dtype, f"in{i}") for i, s in enumerate(shapes)]
    kind = name.split()[0]
    if name.startswith("ew f16"):
        y = b.add(b.mul(xs[0], xs[1]), xs[2])
    elif name.startswith("ew a*b"):
        y = b.add(b.mul(xs[0], xs[1]), b.tanh(xs[2]))
    elif name.startswith("ew gelu"):
        x = xs[0]
        y = b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, 1 / math.sqrt(2))), 1.0))
    elif kind == "softmax":
        y = b.softmax(xs[0])
    elif kind == "layer_norm":
        x, g, be = xs
        n = x.shape[-1]
        mean = b.mul(b.reduce(x, "sum", [-1], True), 1.0 / n)
        xc = b.sub(x, mean)
        var = b.mul(b.reduce(b.mul(xc, xc), "sum", [-1], True), 1.0 / n)
        y = b.add(b.mul(b.mul(xc, b.rsqrt(b.add(var, 1e-5))), g), be)
    elif name.startswith("row sum"):
        y = b.sum(xs[0], [1])
    elif name.startswith("column sum"):
        y = b.sum(xs[0], [0])
    elif kind == "matmul":
        y = b.matmul(xs[0], xs[1])
    elif kind == "linear+gelu":
        x = b.add(b.matmul(xs[0], xs[1], transpose_y=True), xs[2])
        y = b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, 1 / math.sqrt(2))), 1.0))
    elif kind == "batch":
        y = b.matmul(xs[0], xs[1])
    elif kind == "conv2d":
        s = 2 if name.endswith(" s2") else 1
        y = b.conv2d(xs[0], xs[1], stride=[s, s], padding=[1, 1])
    else:
        raise ValueError(name)
    return b.build([y])


def base_name(name):
    return name.split(" [")[0]


def build(out):
    import cinn
    os.makedirs(out, exist_ok=True)
    manifest = []
    cases = [(n, s, p, b, {}) for n, s, p, b in CASES]
    for base, params in VARIANTS:
        _, shapes, peer, nbytes = next(c for c in CASES if c[0] == base)
        label = " ".join(f"{k.split('_')[1]}{v}" for k, v in params.items())
        cases.append((f"{base} [{label}]", shapes, peer, nbytes, params))
    for name, shapes, peer, nbytes, params in cases:
        exe = cinn.compile(cinn_program(base_name(name), shapes), target=cinn.Target.cuda(),
                           schedule_params=params)
        d = os.path.join(out, slug(name))
        shutil.rmtree(d, ignore_errors=True)
        exe.save(d)
        manifest.append(dict(name=name, dir=slug(name), shapes=shapes, peer=peer, bytes=nbytes,
                             kernels=len(exe.fusion_groups)))
        print(f"{name}: {len(exe.fusion_groups)} kernel(s) -> {d}")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


# ------------------------------------------------------------------------------- run half
def torch_fn(name):
    import torch
    F = torch.nn.functional
    kind = name.split()[0]
    if name.startswith("ew f16"):
        return lambda a, b, c: a * b + c
    if name.startswith("ew a*b"):
        return lambda a, b, c: a * b + torch.tanh(c)
    if name.startswith("ew gelu"):
        return lambda x: F.gelu(x)
    if kind == "softmax":
        return lambda x: torch.softmax(x, -1)
    if kind == "layer_norm":
        return lambda x, g, b: F.layer_norm(x, (x.shape[-1],), g, b, 1e-5)
    if name.startswith("row sum"):
        return lambda x: x.sum(1)
    if name.startswith("column sum"):
        return lambda x: x.sum(0)
    if kind in ("matmul", "batch"):
        return lambda a, b: a @ b
    if kind == "linear+gelu":
        return lambda x, w, b: F.gelu(F.linear(x, w, b))
    if kind == "conv2d":
        s = 2 if name.endswith(" s2") else 1
        return lambda x, w: F.conv2d(x, w, stride=s, padding=1)
    raise ValueError(name)


def time_torch(fn, repeat):
    import torch
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / repeat


def run(out):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    runner = os.path.join(ROOT, os.environ.get("CINN_RUNTIME_BUILD", "build-runtime"), "cinn_run")
    if not os.path.exists(runner):
        subprocess.run(["cmake", "-S", os.path.join(ROOT, "tools/runtime_only"), "-B", os.path.dirname(runner)],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", os.path.dirname(runner), "-j", str(os.cpu_count())], check=True,
                       stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    rows = []
    gen = torch.Generator(device="cuda").manual_seed(0)
    tmp = tempfile.mkdtemp()
    for case in manifest:
        name = base_name(case["name"])
        dtype = torch.float16 if " f16 " in name else torch.float32
        xs = [torch.randn(*s, device="cuda", generator=gen, dtype=dtype) for s in case["shapes"]]
        if "matmul" in name or "linear" in name:
            xs[1] /= math.sqrt(xs[0].shape[-1])
        args = []
        for i, x in enumerate(xs):
            path = os.path.join(tmp, f"in{i}.npy")
            np.save(path, x.cpu().numpy())
            args += ["--input", f"in{i}={path}"]
        flops = FLOPS.get(name)
        repeat = 20 if flops and flops > 1e10 else 100
        odir = os.path.join(tmp, "out")
        res = subprocess.run([runner, os.path.join(out, case["dir"]), *args, "--out-dir", odir,
                              "--repeat", str(repeat)], capture_output=True, text=True)
        if res.returncode != 0:
            print(f"{name}: cinn_run failed: {res.stdout}{res.stderr}")
            rows.append((case["name"], case["kernels"], None, None, "cinn_run failed", ""))
            continue
        dev_line = [l for l in res.stdout.splitlines() if "on device memory" in l][0]
        t_cinn = float(dev_line.split(",")[1].split()[0]) / 1e3
        got = torch.from_numpy(np.load(os.path.join(odir, "0.npy"))).double()
        fn = torch_fn(name)
        want = fn(*[x.double() for x in xs]).cpu()
        err = ((got - want).norm() / want.norm()).item()
        if case["peer"] == "copy":
            src = torch.randn(case["bytes"] // 8, device="cuda", generator=gen)
            dst = torch.empty_like(src)
            t_peer = time_torch(lambda: dst.copy_(src), repeat)
            gbs_c, gbs_p = case["bytes"] / t_cinn / 1e9, case["bytes"] / t_peer / 1e9
            t_torch_expr = time_torch(lambda: fn(*xs), repeat)
            rows.append((case["name"], case["kernels"], t_cinn, t_peer, f"{gbs_c:.0f} GB/s vs copy {gbs_p:.0f} GB/s "
                         f"(torch expr {t_torch_expr * 1e3:.3f} ms)", f"{gbs_c / gbs_p:.2f}", err))
        else:
            t_peer = time_torch(lambda: fn(*xs), repeat)
            extra = (f"{flops / t_cinn / 1e12:.1f} vs {flops / t_peer / 1e12:.1f} TFLOP/s" if flops
                     else f"{case['bytes'] / t_cinn / 1e9:.0f} vs {case['bytes'] / t_peer / 1e9:.0f} GB/s")
            rows.append((case["name"], case["kernels"], t_cinn, t_peer, extra, f"{t_peer / t_cinn:.2f}", err))
    print("| case | kernels | cinn ms | peer ms | throughput | peer/cinn | rel. L2 error |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r[2] is None:
            print(f"| {r[0]} | {r[1]} | - | - | {r[4]} | - | - |")
        else:
            print(f"| {r[0]} | {r[1]} | {r[2] * 1e3:.3f} | {r[3] * 1e3:.3f} | {r[4]} | {r[5]} | {r[6]:.1e} |")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("build", "run"):
        print(__doc__)
        sys.exit(2)
    out = sys.argv[2] if len(sys.argv) > 2 else "gpu_bench"
    (build if sys.argv[1] == "build" else run)(out)


if __name__ == "__main__":
    main()
