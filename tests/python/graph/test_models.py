"""The demo models (cinn.models) at small sizes: compiled by the graph compiler and checked
against their PyTorch references on the same random weights."""

import numpy as np
import pytest

import cinn
from cinn import models

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name,kw,max_kernels", [
    # 20 convolutions, each with its batch norm, relu and residual add as epilogue; the max
    # pool; the global pool; the classifier.
    ("resnet18", dict(batch=2, image=32, classes=10), 23),
    # q, k, v with their head transposes, attention (3 kernels), the transpose back, the
    # output projection + residual, 2 layer norms, 2 FFN matmuls (GELU fused).
    ("bert_layer", dict(batch=2, seq=16, hidden=64, heads=4, ffn=128), 15),
])
def test_model_matches_torch(name, kw, max_kernels):
    b = cinn.NetBuilder(name)
    y, params = getattr(models, name)(b, **kw)
    exe = cinn.compile(b.build([y]))
    weights = models.random_weights(params, seed=1)
    with torch.no_grad():
        ref = getattr(models, name + "_torch")(weights, **kw)().numpy()
    (out,) = exe(**weights)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    assert len(exe.fusion_groups) <= max_kernels, [k["ops"] for k in exe.fusion_groups]
