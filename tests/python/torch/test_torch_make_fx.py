"""Inference capture with make_fx when torch.fx cannot trace (cinn.torch.aten_capture).

torchvision's ShuffleNet V2 (``batchsize, num_channels, height, width = x.size()``) and
VisionTransformer (``n, c, h, w = x.shape``) stop torch.fx; make_fx captures them on the
example inputs as aten graphs specialized to the input signature, compiled with the aten
converters. Outputs match PyTorch within 1e-4 relative error (max |diff| / max |reference|),
no op falls back, and explain() says which capture was used and why.

What a make_fx graph must never be specialized to is tensor values: Python branches on
values, values read in Python and sizes that depend on data make the call run eagerly,
and calls with other values still give PyTorch's results."""

import copy

import pytest
import torch
import torch.nn as nn

import cinn.torch
from torch_helpers import seeded

torchvision = pytest.importorskip("torchvision", reason="python3-torchvision provides the models")


def _max_rel_err(got, want):
    return ((got - want).abs().max() / want.abs().max()).item()


def _check_make_fx(report):
    (sig,) = report.signatures
    assert sig.mode == "inference" and sig.capture == "make_fx", str(report)
    assert sig.notes and sig.notes[0].startswith("torch.fx cannot trace it (TraceError"), sig.notes
    assert "captured with make_fx instead" in sig.notes[0]
    assert [g.kind for g in sig.graphs] == ["inference (make_fx)"]
    assert report.fallbacks == [], str(report)
    assert len(report.regions) == 1


_MODELS = {}


def _shufflenet():
    if "shufflenet" not in _MODELS:
        torch.manual_seed(0)
        _MODELS["shufflenet"] = torchvision.models.shufflenet_v2_x0_5().eval()
    return _MODELS["shufflenet"]


def _vit():
    if "vit" not in _MODELS:
        torch.manual_seed(0)
        model = torchvision.models.vision_transformer.VisionTransformer(
            image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
            num_classes=10).eval()
        with torch.no_grad():  # torchvision starts the head and the class token at zero
            for p in (model.heads.head.weight, model.heads.head.bias, model.class_token):
                p.copy_(torch.randn(p.shape, generator=seeded(1)) * 0.5)
        _MODELS["vit"] = model
    return _MODELS["vit"]


@pytest.mark.parametrize("batch", [1, 2])
def test_shufflenet_v2_matches_pytorch(batch):
    model = _shufflenet()
    with pytest.raises(torch.fx.proxy.TraceError):
        torch.fx.symbolic_trace(model)
    x = torch.randn(batch, 3, 224, 224, generator=seeded(batch))
    fast = cinn.torch.compile(model)
    with torch.no_grad():
        got = fast(x)
        want = model(x)
    assert got.shape == (batch, 1000)
    assert _max_rel_err(got, want) <= 1e-4
    report = fast.explain()
    _check_make_fx(report)
    targets = {t for _, t in report.regions[0].nodes}
    assert {"aten.convolution.default", "aten.transpose.int", "aten.relu.default"} <= targets


@pytest.mark.parametrize("batch", [1, 2])
def test_vision_transformer_matches_pytorch(batch):
    model = _vit()
    x = torch.randn(batch, 3, 32, 32, generator=seeded(batch))
    fast = cinn.torch.compile(model)
    with torch.no_grad():
        got = fast(x)
        want = model(x)
    assert got.shape == (batch, 10)
    assert _max_rel_err(got, want) <= 1e-4
    report = fast.explain()
    _check_make_fx(report)
    targets = {t for _, t in report.regions[0].nodes}
    assert {"aten.bmm.default", "aten._softmax.default", "aten.native_layer_norm.default"} <= targets
    assert "captured by make_fx" in str(report)


class _Unpacking(nn.Module):
    """torch.fx cannot iterate over x.shape; make_fx can."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x, scale=2.0):
        b, c, h, w = x.shape
        y = torch.relu(self.bn(self.conv(x)))
        y = y.view(b, 4, h * w).mean(-1)
        return {"logits": self.fc(y) * scale, "features": y}


def test_parameters_are_inputs_and_updates_are_seen():
    """Parameters and buffers are read from the live module at each call (not baked
    in): an in-place update is seen without recompiling, as on the torch.fx path."""
    torch.manual_seed(0)
    model = _Unpacking().eval()
    fast = cinn.torch.compile(model)
    x = torch.randn(2, 3, 6, 6, generator=seeded())
    with torch.no_grad():
        first = fast(x, scale=3.0)
        torch.testing.assert_close(first["logits"], model(x, scale=3.0)["logits"], rtol=1e-5, atol=1e-5)
        model.fc.weight.mul_(-2.0)
        model.bn.running_var.add_(0.5)
        got = fast(x, scale=3.0)
        want = model(x, scale=3.0)
    for k in ("logits", "features"):
        torch.testing.assert_close(got[k], want[k], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(got["logits"], first["logits"])
    assert fast._engine.compiles == 1
    (region,) = fast.explain().regions
    # the image plus conv, bn (weight, bias, running mean and variance) and fc tensors
    assert region.inputs == 1 + 2 + 4 + 2


def test_tied_weights_stay_one_tensor():
    """An embedding tied to the output projection: both names read the one live tensor."""
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 6)
            self.out = nn.Linear(6, 10, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, ids):
            b, t = ids.shape
            return self.out(self.emb(ids).view(b * t, 6))

    torch.manual_seed(0)
    model = Tied().eval()
    fast = cinn.torch.compile(model)
    ids = torch.randint(0, 10, (2, 3), generator=seeded())
    with torch.no_grad():
        torch.testing.assert_close(fast(ids), model(ids), rtol=1e-5, atol=1e-6)
        model.emb.weight.mul_(-0.5)
        torch.testing.assert_close(fast(ids), model(ids), rtol=1e-5, atol=1e-6)
    assert fast._engine.compiles == 1 and fast.explain().fallbacks == []


def test_freeze_bakes_parameters_and_recompiles_on_change():
    torch.manual_seed(0)
    model = _Unpacking().eval()
    fast = cinn.torch.compile(model, freeze=True)
    x = torch.randn(2, 3, 6, 6, generator=seeded())
    with torch.no_grad():
        torch.testing.assert_close(fast(x)["logits"], model(x)["logits"], rtol=1e-5, atol=1e-5)
        (region,) = fast.explain().regions
        assert region.inputs == 1
        model.fc.bias.add_(1.0)
        torch.testing.assert_close(fast(x)["logits"], model(x)["logits"], rtol=1e-5, atol=1e-5)
    assert fast._engine.compiles == 2
    assert any("recompiled" in n for n in fast.explain().signatures[0].notes)


def test_batch_norm_training_without_gradients_updates_buffers():
    """Training mode under no_grad: the running statistics are updated by the region, and
    num_batches_tracked (functionalized into a copy_ to the buffer) by PyTorch."""
    torch.manual_seed(0)
    model = _Unpacking().train()
    ref = copy.deepcopy(model)
    fast = cinn.torch.compile(model)
    x = torch.randn(2, 3, 6, 6, generator=seeded())
    with torch.no_grad():
        for _ in range(2):
            got, want = fast(x), ref(x)
            torch.testing.assert_close(got["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    for (name, b), c in zip(model.named_buffers(), ref.buffers()):
        torch.testing.assert_close(b, c, rtol=1e-5, atol=1e-6, msg=name)
    assert int(model.bn.num_batches_tracked) == 2
    (fb,) = fast.explain().fallbacks
    assert fb.target == "aten.copy_.default" and "it writes 'bn.num_batches_tracked'" in fb.reason


def test_input_written_in_place():
    """A write to the caller's tensor becomes a copy_ at the end of the graph, which
    PyTorch runs: the caller sees it."""
    def f(x):
        (n,) = x.shape
        x.mul_(2)
        return x + n

    x = torch.randn(5, generator=seeded())
    mine, theirs = x.clone(), x.clone()
    fast = cinn.torch.compile(f)
    with torch.no_grad():
        torch.testing.assert_close(fast(mine), f(theirs))
    assert torch.equal(mine, theirs)
    (fb,) = fast.explain().fallbacks
    assert "it writes the input 'x'" in fb.reason


def _sign_branch(x):
    n, m = x.shape
    if x.sum() > 0:  # data-dependent: make_fx would take one branch for good
        return x * n
    return x - m


def _value_in_python(x):
    n, m = x.shape
    return x * x.tolist()[0][0] + n  # tolist bypasses the dispatcher


def _data_sized(x):
    n, m = x.shape
    y = x[x > 0]  # as many elements as x has positive ones
    return x.flatten()[: y.shape[0]] * n


@pytest.mark.parametrize("fn, why", [
    (_sign_branch, "bool(tensor) reads a tensor's value"),
    (_value_in_python, "Tensor.tolist reads a tensor's value"),
    (_data_sized, "aten.index.Tensor returns a tensor whose size depends on tensor data"),
])
def test_values_never_specialize_a_graph(fn, why):
    """make_fx traces with real values: a graph taken from one input would be wrong for
    others. These calls run eagerly, and inputs of the same signature with other values
    still give PyTorch's results."""
    fast = cinn.torch.compile(fn)
    gen = seeded()
    with torch.no_grad():
        for sign in (1.0, -1.0, 1.0):
            x = torch.rand(3, 4, generator=gen) * sign + 0.25 * sign
            x[0, 1] = -x[0, 1]
            assert torch.equal(fast(x), fn(x))
    report = fast.explain()
    (sig,) = report.signatures
    assert sig.mode == "eager" and sig.capture is None
    assert sig.reason.startswith("torch.fx cannot trace it")
    assert "make_fx cannot capture it either" in sig.reason and why in sig.reason
    assert fast._engine.compiles == 1


def test_make_fx_raises_on_python_branches_on_values():
    """What the capture relies on: torch 1.13's make_fx (tracing_mode="real") refuses a
    Python branch on a traced tensor's value rather than baking the branch in."""
    from torch.fx.experimental.proxy_tensor import make_fx

    def f(x):
        return x * 2 if x.sum() > 0 else x - 1

    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        make_fx(f)(torch.ones(3))


def test_each_signature_is_captured_again():
    """The graph is specialized to its signature: another shape is another capture."""
    def f(x):
        b, n = x.shape
        return torch.softmax(x.view(b, 2, n // 2), dim=-1).sum(1) * n

    fast = cinn.torch.compile(f)
    gen = seeded()
    with torch.no_grad():
        for shape in ((3, 4), (2, 6), (3, 4)):
            x = torch.randn(*shape, generator=gen)
            torch.testing.assert_close(fast(x), f(x), rtol=1e-5, atol=1e-6)
    assert fast._engine.compiles == 2
    assert [s.capture for s in fast.explain().signatures] == ["make_fx", "make_fx"]


def test_list_results_partly_used():
    """aten.split returns a list; with only its first part used, the graph describes one
    result, and the converter's three must still be accepted."""
    def f(x):
        b, c = x.shape
        first, _, _ = x.split(c // 3, dim=1)
        return torch.relu(first) * b

    x = torch.randn(2, 6, generator=seeded())
    fast = cinn.torch.compile(f)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), f(x))
    report = fast.explain()
    assert report.fallbacks == [], str(report)
    assert "aten.split.Tensor" in {t for _, t in report.regions[0].nodes}


def test_arange_in_an_aten_graph():
    """aten.arange (default, start and start_step overloads) compiles."""
    def f(x):
        (n,) = x.shape  # make_fx: a shape read in Python
        return x * torch.arange(1, 3, 0.4) + torch.arange(n) + torch.arange(2, n + 2, dtype=torch.float64)

    x = torch.randn(5, generator=seeded())
    fast = cinn.torch.compile(f)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), f(x))
    report = fast.explain()
    assert report.fallbacks == [], str(report)
    targets = {t for _, t in report.regions[0].nodes}
    assert {"aten.arange.start_step", "aten.arange.default", "aten.arange.start"} <= targets, targets
