"""cinn.train_step: forward + backward + optimizer in one executable, parameters and
optimizer state updated in place (issue 6, training step). Each test runs several steps
against torch.optim on the same data and initial weights; float32, parameters compared
with rtol/atol 1e-5 after every step."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn

N, D, H, C = 16, 12, 8, 5


def mlp_program():
    b = cinn.NetBuilder("mlp")
    x = b.input([N, D], name="x")
    y = b.input([N], "int64", name="y")
    w1 = b.input([H, D], name="w1")
    b1 = b.input([H], name="b1")
    w2 = b.input([C, H], name="w2")
    logits = b.linear(b.relu(b.linear(x, w1, b1)), w2)
    loss = b.cross_entropy(logits, y)
    return b.build([loss, logits]), loss


def mlp_init(rng):
    return {"w1": (rng.standard_normal((H, D)) * 0.3).astype("f4"), "b1": np.zeros(H, "f4"),
            "w2": (rng.standard_normal((C, H)) * 0.3).astype("f4")}


def torch_mlp(p, x, y):
    logits = F.linear(F.relu(F.linear(torch.tensor(x), p["w1"], p["b1"])), p["w2"])
    return F.cross_entropy(logits, torch.tensor(y)), logits


OPTIMIZERS = [
    ("sgd", lambda: cinn.optim.SGD(lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    ("sgd_momentum_wd", lambda: cinn.optim.SGD(lr=0.05, momentum=0.9, weight_decay=1e-2),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-2)),
    ("sgd_nesterov", lambda: cinn.optim.SGD(lr=0.05, momentum=0.8, nesterov=True),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True)),
    ("sgd_dampening", lambda: cinn.optim.SGD(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=1e-2),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.5, weight_decay=1e-2)),
    ("adam", lambda: cinn.optim.Adam(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3),
     lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-3)),
    ("adamw", lambda: cinn.optim.AdamW(lr=1e-2), lambda ps: torch.optim.AdamW(ps, lr=1e-2)),
]


@pytest.mark.parametrize("name,make,make_torch", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_mlp_steps_match_torch_optim(rng, name, make, make_torch):
    prog, loss = mlp_program()
    init = mlp_init(rng)
    step = cinn.train_step(prog, loss, params=init, optimizer=make())
    assert step.data_names == ["x", "y"]
    live = step.params
    pointers = {k: v.__array_interface__["data"][0] for k, v in live.items()}
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    topt = make_torch(list(tp.values()))
    base_lr = topt.param_groups[0]["lr"]
    assert step.lr == pytest.approx(base_lr)
    for it in range(4):
        x = rng.standard_normal((N, D)).astype("f4")
        y = rng.integers(0, C, N).astype("int64")
        if it >= 2:  # a schedule: the rate halves from the third step on, no recompiling
            step.lr = base_lr * 0.5 ** (it - 1)
            for group in topt.param_groups:
                group["lr"] = base_lr * 0.5 ** (it - 1)
        loss_value, logits = step(x=x, y=y)
        topt.zero_grad()
        tl, tlogits = torch_mlp(tp, x, y)
        tl.backward()
        topt.step()
        np.testing.assert_allclose(loss_value, tl.item(), rtol=1e-5, err_msg=f"step {it}")
        np.testing.assert_allclose(logits, tlogits.detach().numpy(), rtol=1e-5, atol=1e-5)
        for k in tp:
            np.testing.assert_allclose(step.params[k], tp[k].detach().numpy(), rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name}: parameter {k} after step {it}")
    # The same arrays, updated in place.
    for k, v in step.params.items():
        assert v is live[k] and v.__array_interface__["data"][0] == pointers[k]
    # The caller's initial arrays are copies, untouched.
    assert not any(np.shares_memory(init[k], step.params[k]) for k in init)
    if name.startswith("adam"):
        assert step.state["optimizer.step"] == 4
        np.testing.assert_allclose(step.state["w1.exp_avg"], topt.state[tp["w1"]]["exp_avg"].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_optimizer_state_is_written_in_place(rng):
    """Adam's update reads each parameter and moment once, at the index it writes: every
    alias is written straight into its input (no copies), and the arena holds only the
    intermediates of forward and backward."""
    prog, loss = mlp_program()
    step = cinn.train_step(prog, loss, params=mlp_init(rng), optimizer=cinn.optim.Adam(lr=1e-3))
    c = step.executable._c
    assert len(c.aliases) == 3 * 3 + 1
    assert c.aliases_in_place == len(c.aliases)
    # Plain momentum SGD too.
    step = cinn.train_step(prog, loss, params=mlp_init(rng), optimizer=cinn.optim.SGD(lr=0.1, momentum=0.9))
    assert step.executable._c.aliases_in_place == 6


def test_batch_norm_running_stats_are_updated_buffers(rng):
    n, c, hw = 4, 3, 5
    b = cinn.NetBuilder("bn")
    x = b.input([n, c, hw, hw], name="x")
    w = b.input([c, c, 3, 3], name="w")
    g = b.input([c], name="gamma")
    beta = b.input([c], name="beta")
    mean = b.input([c], name="running_mean")
    var = b.input([c], name="running_var")
    h, new_mean, new_var = b.batch_norm(b.conv2d(x, w, padding=[1, 1]), g, beta, mean, var, momentum=0.1,
                                        training=True)
    loss = b.mean(b.square(b.relu(h)))
    prog = b.build([loss, new_mean, new_var])
    init = {"w": (rng.standard_normal((c, c, 3, 3)) * 0.3).astype("f4"), "gamma": np.ones(c, "f4"),
            "beta": np.zeros(c, "f4")}
    step = cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.SGD(lr=0.1),
                           buffers={"running_mean": np.zeros(c), "running_var": np.ones(c)},
                           updates={"running_mean": new_mean, "running_var": new_var})
    assert sorted(step.buffers) == ["running_mean", "running_var"]
    conv = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
    bn = torch.nn.BatchNorm2d(c, momentum=0.1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(init["w"]))
    topt = torch.optim.SGD(list(conv.parameters()) + list(bn.parameters()), lr=0.1)
    for it in range(3):
        xb = rng.standard_normal((n, c, hw, hw)).astype("f4")
        (loss_value,) = step(x=xb)
        topt.zero_grad()
        tl = torch.relu(bn(conv(torch.tensor(xb)))).square().mean()
        tl.backward()
        topt.step()
        np.testing.assert_allclose(loss_value, tl.item(), rtol=1e-5)
        np.testing.assert_allclose(step.buffers["running_mean"], bn.running_mean.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.buffers["running_var"], bn.running_var.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.params["w"], conv.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.params["gamma"], bn.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_steps_match_torch_with_the_same_masks(rng):
    """An MLP with dropout, Adam: each step's mask is Philox's for key [seed, step]
    (tests/python/philox.py), applied to the same model in torch; the key advances in place
    and the same seed replays the run."""
    from philox import philox_uniform
    b = cinn.NetBuilder("mlp_dropout")
    x = b.input([N, D], name="x")
    y = b.input([N], "int64", name="y")
    key = b.input([2], "int64", name="rng")
    w1 = b.input([H, D], name="w1")
    b1 = b.input([H], name="b1")
    w2 = b.input([C, H], name="w2")
    h = b.dropout(b.relu(b.linear(x, w1, b1)), key, p=0.4)
    loss = b.cross_entropy(b.linear(h, w2), y)
    prog = b.build([loss])
    init = mlp_init(rng)
    seed = 1234
    step = cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.Adam(lr=1e-2), rng={"rng": seed})
    replay = cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.Adam(lr=1e-2), rng={key: seed})
    assert step.data_names == ["x", "y"]
    key_array = step.state["rng"]
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    topt = torch.optim.Adam(tp.values(), lr=1e-2)
    for it in range(4):
        xb = rng.standard_normal((N, D)).astype("f4")
        yb = rng.integers(0, C, N).astype("int64")
        keep = philox_uniform(seed, it * 65536, np.arange(N * H)).reshape(N, H) >= np.float32(0.4)
        (loss_value,) = step(x=xb, y=yb)
        assert replay(x=xb, y=yb)[0] == loss_value
        topt.zero_grad()
        th = F.relu(F.linear(torch.tensor(xb), tp["w1"], tp["b1"])) * torch.tensor(keep) / 0.6
        tl = F.cross_entropy(F.linear(th, tp["w2"]), torch.tensor(yb))
        tl.backward()
        topt.step()
        np.testing.assert_allclose(loss_value, tl.item(), rtol=1e-5, err_msg=f"step {it}")
        for k in tp:
            np.testing.assert_allclose(step.params[k], tp[k].detach().numpy(), rtol=1e-5, atol=1e-5)
    assert step.state["rng"] is key_array and list(key_array) == [seed, 4]
    for k in init:
        np.testing.assert_array_equal(step.params[k], replay.params[k])
    with pytest.raises(cinn.Error, match="the learning rate must be a finite number >= 0, got nan"):
        step.lr = float("nan")
    with pytest.raises(cinn.Error, match="train_step: the seed of the random key 'rng' must be an integer"):
        cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.SGD(lr=0.1), rng={"rng": 0.5})
    with pytest.raises(cinn.DTypeError, match=r"train_step: the random key 'y' must be int64\[2\] \(seed, step\), "
                                              r"got int64\[16\]"):
        cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.SGD(lr=0.1), rng={"y": 0})
    with pytest.raises(cinn.Error, match="train_step: 'w1' is a random key and also trained"):
        cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.SGD(lr=0.1), rng={"w1": 0})


def test_cuda_schedules_of_a_train_step_match_the_host(rng):
    """The same step under the CUDA emulator (the CUDA backend's kernels, run on the host
    through device copies) keeps the same parameters."""
    if not cinn.nvrtc_available()[0]:
        pytest.skip("no NVRTC: " + cinn.nvrtc_available()[1])
    target = cinn.Target.cuda()
    target.backend = "cuda_emulator"
    prog, loss = mlp_program()
    init = mlp_init(rng)
    host = cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.Adam(lr=1e-2))
    emu = cinn.train_step(prog, loss, params=init, optimizer=cinn.optim.Adam(lr=1e-2), target=target)
    for _ in range(3):
        x = rng.standard_normal((N, D)).astype("f4")
        y = rng.integers(0, C, N).astype("int64")
        np.testing.assert_allclose(emu(x=x, y=y)[0], host(x=x, y=y)[0], rtol=1e-4)
    for k in init:
        np.testing.assert_allclose(emu.params[k], host.params[k], rtol=1e-4, atol=1e-5)


def test_train_step_errors(rng):
    prog, loss = mlp_program()
    init = mlp_init(rng)
    sgd = cinn.optim.SGD(lr=0.1)
    with pytest.raises(cinn.Error, match=r"train_step: the program has no input 'w3'; its inputs are: x, y, w1"):
        cinn.train_step(prog, loss, params={"w3": init["w1"]}, optimizer=sgd)
    with pytest.raises(cinn.DTypeError, match=r"input 'y' of dtype int64"):
        cinn.train_step(prog, loss, params={"y": np.zeros(N)}, optimizer=sgd)
    with pytest.raises(cinn.ShapeError, match=r"the initial value of 'w1' must have shape \[8, 12\], got \[12, 8\]"):
        cinn.train_step(prog, loss, params=dict(init, w1=init["w1"].T), optimizer=sgd)
    with pytest.raises(cinn.Error, match=r"'b1' must be in both buffers .* and updates"):
        cinn.train_step(prog, loss, params={"w1": init["w1"]}, optimizer=sgd, buffers={"b1": init["b1"]})
    with pytest.raises(cinn.Error, match=r"optimizer must be a cinn.optim optimizer, got str"):
        cinn.train_step(prog, loss, params=init, optimizer="sgd")
    with pytest.raises(cinn.Error, match=r"lr must be a number >= 0.0, got -1"):
        cinn.optim.SGD(lr=-1)
    with pytest.raises(cinn.Error, match=r"Nesterov momentum needs momentum > 0"):
        cinn.optim.SGD(lr=0.1, nesterov=True)
    with pytest.raises(cinn.Error, match=r"'w1' is both trained and updated"):
        cinn.train_step(prog, loss, params=init, optimizer=sgd, buffers={"w1": init["w1"]}, updates={"w1": 1})
    step = cinn.train_step(prog, loss, params=init, optimizer=sgd)
    with pytest.raises(cinn.ExecutionError, match=r"missing data input 'y'"):
        step(x=np.zeros((N, D), "f4"))
    with pytest.raises(cinn.ExecutionError, match=r"unknown data input 'w1'.*live in step.state"):
        step(x=np.zeros((N, D), "f4"), y=np.zeros(N, "int64"), w1=init["w1"])
    with pytest.raises(cinn.ShapeError, match=r"input 'x' must have shape \[16, 12\]"):
        step(x=np.zeros((N, D + 1), "f4"), y=np.zeros(N, "int64"))


def test_training_demo_tracks_torch(tmp_path):
    """The demo's small CNN (conv, batch_norm in training mode with running statistics,
    max and average pooling, linear, cross-entropy; SGD with momentum) for 40 steps: the
    loss curve tracks PyTorch's: within 1e-5 relative over the first 10 steps and 10% on
    average over the last 10 (the training is chaotic: see train_demo.run), the plot a
    PNG. The demo runs 200 steps."""
    from cinn import train_demo
    ok, d = train_demo.run(steps=40, plot=str(tmp_path / "curves.png"))
    assert ok, d
    assert d["early_diff"] <= 1e-5 and d["tail_diff"] <= 0.1
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_saved_step_keeps_its_aliases(rng, tmp_path):
    """An artifact of a training step records which outputs replace which inputs."""
    prog, loss = mlp_program()
    step = cinn.train_step(prog, loss, params=mlp_init(rng), optimizer=cinn.optim.SGD(lr=0.1, momentum=0.9))
    step.executable.save(tmp_path / "step")
    loaded = cinn.load(tmp_path / "step")
    assert loaded._c.aliases == step.executable._c.aliases and len(loaded._c.aliases) == 6
    assert loaded._c.aliases_in_place == step.executable._c.aliases_in_place


def test_demo_training_part_runs_as_the_main_job_runs_it(tmp_path):
    """`./scripts/demo.sh` runs `python -m cinn.demo`; its training part imports PyTorch,
    which a run of python/cinn/demo.py as a script would shadow with cinn.torch (its
    directory first on sys.path). The short training part runs to the end and writes the
    plot."""
    import subprocess
    import sys
    from pathlib import Path

    script = (Path(__file__).resolve().parents[3] / "scripts" / "demo.sh").read_text()
    assert "-m cinn.demo" in script
    plot = tmp_path / "curves.png"
    out = subprocess.run([sys.executable, "-m", "cinn.demo", "--only", "training", "--small", "--plot", str(plot)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "loss curves written" in out.stdout, out.stdout
    assert plot.stat().st_size > 0
