"""Optimizer steps (composite sgd_update, adam_update, adamw_update) against torch.optim:
five steps with the same random gradients, the state fed back between steps; float32,
rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import torch

import cinn


def run_steps(build, torch_opt, n_state, rng, steps=5, shape=(4, 6)):
    b = cinn.NetBuilder("opt")
    p = b.input(list(shape), "float32", "p")
    g = b.input(list(shape), "float32", "g")
    states = [b.input(list(shape), "float32", f"s{i}") for i in range(n_state)]
    t = b.input([], "float32", "t")
    outs = build(b, p, g, states, t)
    exe = cinn.compile(b.build(list(outs)))

    p0 = rng.standard_normal(shape).astype("float32")
    tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = torch_opt([tp])
    param, st = p0, [np.zeros(shape, "float32") for _ in range(n_state)]
    for k in range(1, steps + 1):
        grad = rng.standard_normal(shape).astype("float32")
        feeds = {"p": param, "g": grad, "t": np.float32(k), **{f"s{i}": s for i, s in enumerate(st)}}
        param, *st = exe(**feeds)
        tp.grad = torch.from_numpy(grad.copy())
        opt.step()
        np.testing.assert_allclose(param, tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"step {k}")


@pytest.mark.parametrize("momentum,dampening,wd,nesterov", [(0.0, 0.0, 0.0, False), (0.9, 0.0, 1e-2, False),
                                                           (0.9, 0.0, 0.0, True), (0.8, 0.0, 5e-3, True),
                                                           (0.9, 0.5, 0.0, False), (0.7, 0.25, 1e-2, False)])
def test_sgd(momentum, dampening, wd, nesterov, rng):
    # With dampening, PyTorch's first step keeps the whole gradient: the step count is an input.
    run_steps(lambda b, p, g, s, t: b.sgd_update(p, g, s[0], 0.1, t if dampening else None, momentum, dampening,
                                                 wd, nesterov),
              lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=momentum, dampening=dampening,
                                         weight_decay=wd, nesterov=nesterov),
              1, rng)


@pytest.mark.parametrize("wd", [0.0, 0.05])
def test_adam(wd, rng):
    run_steps(lambda b, p, g, s, t: b.adam_update(p, g, s[0], s[1], t, 0.01, 0.8, 0.95, 1e-6, wd),
              lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=wd), 2, rng)


@pytest.mark.parametrize("wd", [0.01, 0.1])
def test_adamw(wd, rng):
    run_steps(lambda b, p, g, s, t: b.adamw_update(p, g, s[0], s[1], t, 0.01, weight_decay=wd),
              lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=wd), 2, rng)


def test_optimizer_errors():
    b = cinn.NetBuilder("opt")
    p = b.input([3], "float32", "p")
    q = b.input([4], "float32", "q")
    t = b.input([1], "float32", "t")
    with pytest.raises(cinn.ShapeError, match=r"op 'sgd_update': grad must be float32\[3\] like param"):
        b.sgd_update(p, q, p, 0.1)
    with pytest.raises(cinn.DTypeError, match=r"op 'adam_update': step must be a float scalar"):
        b.adam_update(p, p, p, p, t, 0.1)
    with pytest.raises(cinn.Error, match=r"op 'sgd_update': dampening needs `step`"):
        b.sgd_update(p, p, p, 0.1, momentum=0.9, dampening=0.1)
    with pytest.raises(cinn.Error, match="op 'sgd_update': nesterov needs a momentum"):
        b.sgd_update(p, p, p, 0.1, nesterov=True)
    with pytest.raises(cinn.Error, match="lr"):
        b.sgd_update(p, p, p)
