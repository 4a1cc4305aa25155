"""Gradient checks shared by the autodiff tests.

Both checks differentiate the scalar loss L = sum_k sum(out_k * r_k), with out_k the float
results of ``build(b, *inputs)`` and r_k fixed random cotangents (program inputs
``cot<k>``), so every element of every result contributes with its own weight.

Error measure: the largest absolute difference from the reference gradient, relative to
the reference's largest magnitude (max-norm relative error), per differentiated input.
"""

import numpy as np
import torch

import cinn


def _gradient_program(build, inputs, wrt, rng):
    b = cinn.NetBuilder("grad_test")
    vals = {n: b.input(list(np.shape(a)), str(np.asarray(a).dtype), n) for n, a in inputs.items()}
    outs = build(b, *vals.values())
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    cots, loss = {}, None
    for k, o in enumerate(outs):
        if o.dtype not in ("float32", "float64"):
            continue
        cots[f"cot{k}"] = np.asarray(rng.standard_normal(o.shape)).astype(o.dtype)
        term = b.reduce(b.mul(o, b.input(list(o.shape), o.dtype, f"cot{k}")), "sum")
        loss = term if loss is None else b.add(loss, term)
    prog = b.build([loss])
    gprog = cinn.grad(prog, loss, [vals[n] for n in wrt])
    return prog, gprog, cots, outs


def max_relative_error(got, ref):
    scale = np.abs(ref).max()
    diff = np.abs(np.asarray(got, np.float64) - ref).max()
    return diff / scale if scale > 0 else diff


def check_finite_differences(build, inputs, wrt, rng, eps=1e-6, tol=1e-4):
    """Gradients of float64 ``inputs`` against central differences, element by element."""
    prog, gprog, cots, _ = _gradient_program(build, inputs, wrt, rng)
    # The many forward runs of the difference quotients run on the host only (the test
    # suite's CUDA-emulator check of every run is for the gradient program).
    host = cinn.Executable(cinn.compile(prog)._c)
    feeds = {**inputs, **cots}
    _, *grads = cinn.compile(gprog)(**feeds)
    for name, g in zip(wrt, grads):
        x = np.asarray(inputs[name])
        assert g.shape == x.shape and g.dtype == x.dtype, (name, g.shape, g.dtype)
        fd = np.zeros(x.shape)
        for i in range(x.size):
            hi, lo = x.copy(), x.copy()
            hi.flat[i] += eps
            lo.flat[i] -= eps
            fd.flat[i] = (host(**{**feeds, name: hi})[0] - host(**{**feeds, name: lo})[0]) / (2 * eps)
        err = max_relative_error(g, fd)
        assert err <= tol, f"d loss / d {name}: max relative error {err:.3g} > {tol}\ngot\n{g}\nfinite differences\n{fd}"
    return grads


def check_against_torch(build, torch_fn, inputs, wrt, rng, tol=1e-4):
    """Gradients of float32 ``inputs`` against torch.autograd of ``torch_fn`` (evaluated in
    float64 on the same values)."""
    _, gprog, cots, _ = _gradient_program(build, inputs, wrt, rng)
    _, *grads = cinn.compile(gprog)(**{**inputs, **cots})
    ts = {}
    for n, a in inputs.items():
        a = torch.from_numpy(np.ascontiguousarray(a))
        ts[n] = a.double().requires_grad_(n in wrt) if a.is_floating_point() else a
    outs = torch_fn(*ts.values())
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    loss = sum((o * torch.from_numpy(cots[f"cot{k}"]).double()).sum()
               for k, o in enumerate(outs) if f"cot{k}" in cots)
    refs = torch.autograd.grad(loss, [ts[n] for n in wrt], allow_unused=True)
    for name, g, r in zip(wrt, grads, refs):
        r = np.zeros(inputs[name].shape) if r is None else r.numpy()
        assert g.shape == r.shape, (name, g.shape, r.shape)
        err = max_relative_error(g, r)
        assert err <= tol, f"d loss / d {name}: max relative error {err:.3g} > {tol}\ngot\n{g}\ntorch\n{r}"
    return grads
