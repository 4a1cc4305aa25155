"""Shared helpers of the graph op tests: build a program from a function of the input
values, compile it and run it on numpy arrays."""

import numpy as np
import torch

import cinn


def compile_fn(build, inputs, fusion=True):
    """build(b, *values) -> value or tuple of values; inputs: dict name -> array (only the
    shapes and dtypes are used). Returns the Executable."""
    b = cinn.NetBuilder("t")
    vals = [b.input(list(a.shape), str(a.dtype), n) for n, a in inputs.items()]
    outs = build(b, *vals)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    return cinn.compile(b.build(outs), fusion=fusion)


def run(build, fusion=True, **inputs):
    """The outputs (a list of arrays) of build(b, *values) on `inputs`."""
    return compile_fn(build, inputs, fusion)(**inputs)


def run1(build, **inputs):
    (out,) = run(build, **inputs)
    return out


def t(a):
    """A float64 torch tensor of a numpy array (references are computed in float64)."""
    a = torch.from_numpy(np.ascontiguousarray(a))
    return a.double() if a.is_floating_point() else a


def rand(rng, *shape, lo=-3.0, hi=3.0, dtype="float32"):
    return rng.uniform(lo, hi, shape).astype(dtype)


def kernels(exe):
    return [k["ops"] for k in exe.fusion_groups]
