"""The DLPack part of the GPU check (tools/gpu_check.sh run): saved CUDA artifacts run on
torch CUDA tensors through the runtime-only Python extension (_cinn_runtime), without
copies, and are compared with the host's outputs saved beside them.

    python3 tools/gpu_dlpack_check.py ARTIFACTS_DIR RUNTIME_BUILD_DIR [--limit N]

For each artifact: the inputs go to the GPU as torch tensors; exe.run(inputs) returns
DeviceArrays, read with torch.from_dlpack (no copy); then exe.run(inputs, outputs) writes into
torch tensors given as outputs (their memory must be the one written). Artifacts whose
dtypes torch cannot hold are skipped, and counted. Exits 1 on any failure.
"""

import argparse
import glob
import os
import sys

import numpy as np


def _tolerance(d):
    path = os.path.join(d, "expected", "tolerance.txt")
    if not os.path.exists(path):
        return 0.0, 0.0
    rtol, atol = (float(v) for v in open(path).read().split())
    return rtol, atol


def _close(got, want, rtol, atol):
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"{got.dtype}{list(got.shape)} instead of {want.dtype}{list(want.shape)}"
    if want.dtype.kind == "f":
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        bad = got != want
    return f"{int(bad.sum())} of {want.size} elements differ" if bad.any() else ""


def check(d, rt, torch):
    exe = rt.load(d)
    ins = [np.load(os.path.join(d, "inputs", n + ".npy")) for n in exe.input_names]
    wants = [np.load(os.path.join(d, "expected", f"{i}.npy")) for i in range(len(exe.output_names))]
    try:
        xs = [torch.from_numpy(np.ascontiguousarray(a)).cuda() for a in ins]
        out_dtypes = [torch.from_numpy(w.reshape(-1)[:0].copy()).dtype for w in wants]
    except (TypeError, RuntimeError) as e:
        return "skip", f"torch cannot hold the inputs or outputs ({e})"
    rtol, atol = _tolerance(d)
    # Inputs a run updates in place (training steps) are restored before the second run.
    originals = [x.clone() for x in xs]
    outs = exe.run(xs)
    torch.cuda.synchronize()
    got = [torch.from_dlpack(o).cpu().numpy() for o in outs]
    for i, (g, w) in enumerate(zip(got, wants)):
        why = _close(g, w, rtol, atol)
        if why:
            return "fail", f"output {i} (DeviceArray): {why}"
    for x, o in zip(xs, originals):
        x.copy_(o)
    given = [torch.empty(tuple(w.shape), dtype=t, device="cuda") for w, t in zip(wants, out_dtypes)]
    pointers = [t.data_ptr() for t in given]
    returned = exe.run(xs, given)
    torch.cuda.synchronize()
    for i, (r, t, p, w) in enumerate(zip(returned, given, pointers, wants)):
        if r is not t or t.data_ptr() != p:
            return "fail", f"output {i}: the given tensor was not the one written"
        why = _close(t.cpu().numpy(), w, rtol, atol)
        if why:
            return "fail", f"output {i} (given tensor): {why}"
    return "pass", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("artifacts")
    ap.add_argument("build")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    import torch  # noqa: PLC0415
    if not torch.cuda.is_available():
        print("gpu_dlpack: skipped (torch sees no CUDA device)")
        return 0
    sys.path.insert(0, os.path.abspath(args.build))
    import _cinn_runtime as rt  # noqa: PLC0415
    dirs = sorted(glob.glob(os.path.join(args.artifacts, "*", "")))
    if args.limit:
        dirs = dirs[: args.limit]
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for d in dirs:
        try:
            verdict, why = check(d, rt, torch)
        except rt.Error as e:
            verdict, why = "fail", f"{type(e).__name__}: {e}"
        counts[verdict] += 1
        if verdict != "pass":
            print(f"{verdict.upper()} {d} {why}")
    print(f"gpu_dlpack: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped, of {len(dirs)}")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
