"""cinn.torch at run time: the compile cache per input signature, tensors crossing into
CINN and back without copies, the CompiledModule wrapper, and clear errors."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn

import cinn
import cinn.torch
from cinn.torch.runtime import CinnRegion
from torch_helpers import seeded


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x, scale=1.0):
        return self.fc2(torch.relu(self.fc1(x))) * scale


def _regions(compiled):
    return [m for g in compiled.explain().graphs for m in g.module.modules() if isinstance(m, CinnRegion)]


# ---- the cache -----------------------------------------------------------------------------

def test_same_signature_reuses_the_compiled_regions():
    torch.manual_seed(0)
    model = Mlp().eval()
    fast = cinn.torch.compile(model)
    with torch.no_grad():
        outs = [fast(torch.randn(3, 8)) for _ in range(3)]
    assert fast._engine.compiles == 1
    (region,) = _regions(fast)
    assert region.calls == 3
    assert len(fast.explain().signatures) == 1
    assert len({o.data_ptr() for o in outs}) == 3  # fresh results each call


def test_new_signatures_recompile():
    torch.manual_seed(0)
    model = Mlp().eval()
    fast = cinn.torch.compile(model)
    x = torch.randn(3, 8)
    with torch.no_grad():
        fast(x)
        fast(torch.randn(5, 8))               # new shape
        fast(x.double().float())              # same signature again
        fast(x, scale=2.0)                    # a new Python argument value
        model.double()
        got = fast(x.double())                # new dtype
        torch.testing.assert_close(got, model(x.double()), rtol=1e-12, atol=1e-12)
        model.float()
    fast(x)                                   # gradients needed: AOTAutograd
    model.train()
    with torch.no_grad():
        fast(x)                               # training mode
    assert fast._engine.compiles == 6
    modes = [s.mode for s in fast.explain().signatures]
    assert modes == ["inference"] * 4 + ["training", "inference"]
    text = str(fast.explain())
    assert "Tensor[3, 8] float32" in text and "Tensor[5, 8] float32" in text and "scale=2.0" in text


def test_a_parameter_changing_dtype_recompiles():
    """Parameters are inputs of the regions: one converted in place (same input signature)
    no longer fits the compiled region, which is rebuilt."""
    class Cast(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            return self.lin(x.to(self.lin.weight.dtype)).float()

    torch.manual_seed(0)
    model = Cast().eval()
    fast = cinn.torch.compile(model)
    x = torch.randn(2, 4)
    with torch.no_grad():
        fast(x)
        model.double()
        got = fast(x)
        torch.testing.assert_close(got, model(x), rtol=1e-6, atol=1e-6)
    assert fast._engine.compiles == 2
    assert "recompiled" in str(fast.explain())


def test_frozen_parameters_modified_in_place_recompile():
    torch.manual_seed(0)
    model = Mlp().eval()
    fast = cinn.torch.compile(model, freeze=True)
    x = torch.randn(3, 8)
    with torch.no_grad():
        fast(x)
        (region,) = fast.explain().regions
        assert region.inputs == 1  # only x: the weights are constants
        model.fc2.bias.add_(1.0)
        torch.testing.assert_close(fast(x), model(x), rtol=1e-5, atol=1e-5)
    assert fast._engine.compiles == 2


# ---- tensors without copies ---------------------------------------------------------------------

class _Spy:
    """Wraps a region's executable and records the arrays it is called with and returns."""

    def __init__(self, exe):
        self.exe = exe
        self.calls = []

    def __call__(self, *arrays):
        outs = self.exe(*arrays)
        self.calls.append((arrays, outs))
        return outs

    def __getattr__(self, name):
        return getattr(self.exe, name)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_contiguous_cpu_tensors_cross_without_copies(dtype):
    """float32 tensors go in as numpy views and come back through torch.from_numpy. numpy
    has no bfloat16: such a tensor goes in itself (read through DLPack) and the result comes
    back from a host DeviceArray through torch.from_dlpack. The same memory either way. A
    product and a sum round once each, as PyTorch's do: bit for bit in bfloat16."""
    gen = seeded()
    fast = cinn.torch.compile(lambda x, y: x * y + 1)
    x = torch.randn(64, 32, generator=gen).to(dtype)
    y = torch.randn(64, 32, generator=gen).to(dtype)
    with torch.no_grad():
        fast(x, y)
        (region,) = _regions(fast)
        spy = region.exe = _Spy(region.exe)
        got = fast(x, y)
    (arrays, outs), = spy.calls
    if dtype == torch.bfloat16:
        assert arrays[0].data_ptr() == x.data_ptr() and arrays[1].data_ptr() == y.data_ptr()
        assert isinstance(outs[0], cinn.DeviceArray)
        assert got.data_ptr() == torch.from_dlpack(outs[0]).data_ptr()
        assert got.dtype == torch.bfloat16 and torch.equal(got, x * y + 1)
    else:
        assert arrays[0].ctypes.data == x.data_ptr() and arrays[1].ctypes.data == y.data_ptr()
        assert got.data_ptr() == outs[0].ctypes.data
        torch.testing.assert_close(got, x * y + 1)
    assert region.copies == 0


def _rel(got, want):
    return ((got.float() - want.float()).abs().max() / want.float().abs().max()).item()


@pytest.mark.parametrize("freeze", [False, True])
def test_bfloat16_model_matches_pytorch(freeze):
    """A bfloat16 CNN + MLP head (conv, batch norm, pooling, linear, layer_norm, GELU,
    softmax) in CINN, every op converted: against the float32 model on the same (bfloat16)
    input it is as close as PyTorch's own bfloat16 run (normalizations and activations
    compute in float32 and round once), and within 1% of PyTorch's bfloat16 result."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                        nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(16, 32), nn.LayerNorm(32), nn.GELU(), nn.Linear(32, 10),
                        nn.Softmax(-1)).eval()
    x = torch.randn(2, 3, 32, 32, generator=seeded()).bfloat16()
    with torch.no_grad():
        exact = net(x.float())
        net.bfloat16()
        eager = net(x)
        fast = cinn.torch.compile(net, freeze=freeze)
        got = fast(x)
    assert fast.explain().fallbacks == [], str(fast.explain())
    assert got.dtype == torch.bfloat16
    assert _rel(got, exact) <= max(_rel(eager, exact), 2 ** -8)
    assert _rel(got, eager) <= 1e-2


def test_bfloat16_training_matches_pytorch():
    """A bfloat16 MLP trained through AOTAutograd: the gradients of every parameter within
    3% (a few bfloat16 ulps, 2**-8 each) of PyTorch's bfloat16 gradients; batch norm's
    running statistics, written back into the module's bfloat16 buffers, within 1%."""
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64), nn.GELU(), nn.LayerNorm(64),
                        nn.Linear(64, 4)).bfloat16()
    twin = copy.deepcopy(net)
    fast = cinn.torch.compile(twin)
    x = torch.randn(16, 32, generator=seeded()).bfloat16()
    fast(x).float().square().mean().backward()
    net(x).float().square().mean().backward()
    assert all(f.fallbacks == [] for f in fast.explain().graphs), str(fast.explain())
    for (name, p), q in zip(net.named_parameters(), twin.parameters()):
        assert q.grad is not None and q.grad.dtype == torch.bfloat16, name
        if name == "0.bias":  # batch norm cancels it: its exact gradient is 0, both are noise
            assert q.grad.float().abs().max() <= 1e-2 * net[0].weight.grad.float().abs().max()
            continue
        assert _rel(q.grad, p.grad) <= 3e-2, name
    for (name, b), c in zip(net.named_buffers(), twin.buffers()):
        assert c.dtype == b.dtype, name
        if b.is_floating_point():
            assert _rel(c, b) <= 1e-2, name


def test_non_contiguous_inputs_are_made_contiguous_and_counted():
    gen = seeded()
    fast = cinn.torch.compile(lambda x: x * 2)
    x = torch.randn(16, 8, generator=gen).t()
    assert not x.is_contiguous()
    with torch.no_grad():
        got = fast(x)
    (region,) = _regions(fast)
    assert region.copies == 1
    assert fast.explain().graphs[0].contiguous_copies == 1
    torch.testing.assert_close(got, x * 2)


def test_results_are_ordinary_writable_tensors():
    gen = seeded()
    fast = cinn.torch.compile(lambda x: (x + 1, x.sum()))
    with torch.no_grad():
        a, s = fast(torch.randn(4, 4, generator=gen))
    a.add_(1)  # writable, owned by the caller
    assert s.dim() == 0 and isinstance(np.asarray(a), np.ndarray)


# ---- the module wrapper --------------------------------------------------------------------------

def test_compiled_module_is_the_module():
    torch.manual_seed(0)
    model = Mlp()
    fast = cinn.torch.compile(model)
    assert list(fast.state_dict()) == list(model.state_dict())
    assert [id(p) for p in fast.parameters()] == [id(p) for p in model.parameters()]
    assert [n for n, _ in fast.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert fast.fc1 is model.fc1 and fast.original is model
    fast.eval()
    assert not model.training and not model.fc1.training
    other = copy.deepcopy(model)
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(0.5)
    fast.load_state_dict(other.state_dict())
    x = torch.randn(2, 8)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), other(x), rtol=1e-6, atol=1e-6)
    # an optimizer over the wrapper updates the weights the compiled regions read
    fast.train()
    opt = torch.optim.SGD(fast.parameters(), lr=0.5)
    fast(x).sum().backward()
    opt.step()
    fast.eval()
    with torch.no_grad():
        torch.testing.assert_close(fast(x), model(x), rtol=1e-6, atol=1e-6)


# ---- errors ---------------------------------------------------------------------------------------

def test_wrong_arguments_are_a_clear_error():
    fast = cinn.torch.compile(Mlp().eval())
    x = torch.randn(2, 8)
    with pytest.raises(cinn.Error, match=r"Mlp takes \(x, scale=\.\.\.\), called with 3 positional"):
        fast(x, 1.0, x)
    with pytest.raises(cinn.Error, match="unexpected keyword argument 'bias'"):
        fast(x, bias=1)
    with pytest.raises(cinn.Error, match="called with 0 positional and 0 keyword"):
        fast()


def test_a_model_error_is_pytorchs():
    """Inputs the model itself rejects raise PyTorch's error, as the original would."""
    fast = cinn.torch.compile(Mlp().eval())
    with torch.no_grad(), pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        fast(torch.randn(2, 7))


def test_bad_compile_arguments():
    with pytest.raises(cinn.Error, match="expected an nn.Module or a function, got int"):
        cinn.torch.compile(3)
    with pytest.raises(cinn.Error, match="target must be a cinn.Target, got str"):
        cinn.torch.compile(Mlp(), target="x86")
    with pytest.raises(cinn.Error, match="unknown option 'fuse'.*fusion"):
        cinn.torch.compile(Mlp(), fuse=False)
    with pytest.raises(cinn.Error, match="already compiled"):
        cinn.torch.compile(cinn.torch.compile(Mlp()))


def test_builtin_callables_are_captured_by_make_fx():
    """torch.fx traces Python code only; a builtin is captured by make_fx, and the
    report says why."""
    fast = cinn.torch.compile(torch.relu)
    x = torch.randn(4, generator=seeded())
    with torch.no_grad():
        assert torch.equal(fast(x), torch.relu(x))
    sig = fast.explain().signatures[0]
    assert sig.mode == "inference" and sig.capture == "make_fx"
    assert "torch.fx traces Python functions and nn.Modules, and relu is a builtin" in sig.notes[0]
    assert [t for _, t in fast.explain().regions[0].nodes] == ["aten.relu.default"]


def test_explain_before_any_call():
    text = str(cinn.torch.compile(Mlp()).explain())
    assert "nothing compiled yet" in text


def test_options_reach_cinn_compile():
    gen = seeded()
    fast = cinn.torch.compile(lambda x: torch.relu(x) * 2 + 1, fusion=False)
    with torch.no_grad():
        fast(torch.randn(8, generator=gen))
    (region,) = fast.explain().regions
    assert len(region.kernels) >= 3  # one kernel per primitive op without fusion


def test_a_region_that_fails_to_compile_runs_in_pytorch():
    """cinn.compile rejecting a region (here: an unknown schedule knob) is not an error of
    the model: PyTorch runs the region's ops and explain() says why."""
    gen = seeded()
    f = lambda x: torch.relu(x) * 2 + 1  # noqa: E731
    fast = cinn.torch.compile(f, schedule_params={"no_such_knob": 4})
    x = torch.randn(8, generator=gen)
    with torch.no_grad():
        assert torch.equal(fast(x), f(x))
    report = fast.explain()
    assert report.regions == [] and len(report.fallbacks) == 3
    assert all("failed to compile" in fb.reason and "no_such_knob" in fb.reason for fb in report.fallbacks)


def test_supported_ops_lists_the_converters():
    ops = cinn.torch.supported_ops()
    assert "nn.Conv2d" in ops["module"] and "Tensor.view" in ops["method"]
    assert "torch.relu" in ops["function"] and "aten.convolution_backward" in ops["aten"]


# ---- tuning --------------------------------------------------------------------------------

def test_tune_tunes_each_region_into_the_database(tmp_path):
    """tune=N: each region is tuned with cinn.tune into database= when first compiled, and
    compiled with what it found; the results still match PyTorch."""
    import sqlite3
    torch.manual_seed(0)
    model = Mlp().eval()
    db = tmp_path / "t.db"
    fast = cinn.torch.compile(model, database=db, tune=4, cache=False)
    x = torch.randn(32, 8)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), model(x), rtol=1e-5, atol=1e-5)
    with sqlite3.connect(db) as c:
        (rows,) = c.execute("SELECT COUNT(*) FROM records").fetchone()
    assert rows >= 4
    kernels = [k for g in fast.explain(x).graphs for r in g.regions for k in r.kernels]
    assert "tuned" in [k["schedule"] for k in kernels]


def test_tune_needs_a_database_and_a_positive_count():
    with pytest.raises(cinn.Error, match="needs database="):
        cinn.torch.compile(Mlp(), tune=8)
    with pytest.raises(cinn.Error, match="positive number of trials"):
        cinn.torch.compile(Mlp(), tune=0, database="x.db")


def test_deepcopy_after_a_call_compiles_the_copy_afresh():
    """copy.deepcopy of a compiled module (after it ran) copies the wrapped module; the copy
    compiles on its first call and runs with its own parameters."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    fast = cinn.torch.compile(model)
    x = torch.randn(2, 4)
    with torch.no_grad():
        fast(x)
        twin = copy.deepcopy(fast)
        twin.original[0].weight.fill_(0.5)
        torch.testing.assert_close(fast(x), model(x))
        torch.testing.assert_close(twin(x), twin.original(x))
        assert not torch.allclose(twin(x), fast(x))
    assert twin.explain().signatures and twin.original is not model
