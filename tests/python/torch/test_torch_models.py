"""torchvision models through cinn.torch.compile match PyTorch (issue 7, acceptance 1,
PyTorch half): resnet18, resnet50 and mobilenet_v2, random weights, eval mode, batch 1
and 4; max relative error (max |diff| / max |reference|) at most 1e-4, and no op falls
back to PyTorch. Parameters are program inputs (the default); one case with freeze=True."""

import time

import pytest
import torch

import cinn.torch

torchvision = pytest.importorskip("torchvision", reason="python3-torchvision provides the models")

_MODELS = {}


def _model(name):
    if name not in _MODELS:
        torch.manual_seed(0)
        _MODELS[name] = getattr(torchvision.models, name)().eval()
    return _MODELS[name]


def _max_rel_err(got, want):
    return ((got - want).abs().max() / want.abs().max()).item()


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenet_v2"])
def test_torchvision_model_matches_pytorch(name, batch):
    model = _model(name)
    g = torch.Generator().manual_seed(batch)
    x = torch.randn(batch, 3, 224, 224, generator=g)
    fast = cinn.torch.compile(model)
    t0 = time.perf_counter()
    with torch.no_grad():
        got = fast(x)
        want = model(x)
    compile_s = time.perf_counter() - t0
    report = fast.explain()
    assert report.fallbacks == [], str(report)
    assert len(report.regions) == 1 and report.signatures[0].mode == "inference"
    assert got.shape == (batch, 1000)
    assert _max_rel_err(got, want) <= 1e-4
    print(f"{name} batch {batch}: first call (capture + compile + run) {compile_s:.1f} s, "
          f"{len(report.kernels)} kernels")


def test_freeze_folds_parameters():
    """freeze=True: parameters become constants (the region's only input is the image,
    batch norm is folded), results still match."""
    model = _model("resnet18")
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    fast = cinn.torch.compile(model, freeze=True)
    with torch.no_grad():
        got = fast(x)
        assert _max_rel_err(got, model(x)) <= 1e-4
    (region,) = fast.explain().regions
    assert region.inputs == 1
    # batch norm's 1 / sqrt(var + eps) is folded at compile time; with parameters as
    # inputs it is computed by a kernel
    frozen_ops = {op for k in region.kernels for op in k["ops"]}
    unfrozen = cinn.torch.compile(model)
    with torch.no_grad():
        unfrozen(x)
    assert "rsqrt" not in frozen_ops
    assert "rsqrt" in {op for k in unfrozen.explain().kernels for op in k["ops"]}
