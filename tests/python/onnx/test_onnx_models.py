"""torchvision models exported with torch.onnx.export and compiled by cinn.onnx match
PyTorch (issue 7, acceptance 1, ONNX half): resnet18, resnet50, mobilenet_v2, random
weights, eval mode, batch 1 and 4; max relative error (max |diff| / max |reference|)
at most 1e-4."""

import io

import numpy as np
import pytest

import cinn
import cinn.onnx

torch = pytest.importorskip("torch", reason="python3-torch is needed to export the models")
torchvision = pytest.importorskip("torchvision", reason="python3-torchvision provides the models")


def _export(model, x, opset):
    f = io.BytesIO()
    torch.onnx.export(model, x, f, opset_version=opset, input_names=["image"],
                      output_names=["logits"])
    return f.getvalue()


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenet_v2"])
def test_torchvision_model_matches_pytorch(name, batch):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    x = torch.randn(batch, 3, 224, 224)
    data = _export(model, x, opset=13)
    prog, info = cinn.onnx.load(data)
    assert info.inputs == [("image", [batch, 3, 224, 224], "float32")]
    assert info.outputs == [("logits", [batch, 1000], "float32")]
    (got,) = cinn.compile(prog)(x.numpy())
    with torch.no_grad():
        want = model(x).numpy()
    assert np.abs(got - want).max() / np.abs(want).max() <= 1e-4


def test_old_opset_export_and_a_file_path(tmp_path):
    """opset 9 (attributes instead of inputs for several operators), read from a file."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU6(),
        torch.nn.MaxPool2d(3, stride=2, ceil_mode=True), torch.nn.Flatten(),
        torch.nn.Linear(8 * 8 * 8, 10), torch.nn.Softmax(dim=1)).eval()
    x = torch.randn(2, 3, 16, 16)
    path = tmp_path / "small.onnx"
    path.write_bytes(_export(model, x, opset=9))
    (got,) = cinn.onnx.compile(str(path))(x.numpy())
    with torch.no_grad():
        want = model(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_transformer_encoder_layer():
    """MatMul, Softmax, LayerNormalization's decomposition (ReduceMean, Pow, Sqrt, Div),
    GELU's Erf, Transpose and Reshape from shape arithmetic (Shape, Gather, Concat)."""
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0,
                                             activation="gelu", batch_first=True).eval()
    x = torch.randn(2, 16, 64)
    # (exported with gradients enabled: under no_grad, torch 1.13 takes a fused fast path
    # that has no ONNX export)
    (got,) = cinn.onnx.compile(_export(layer, x, opset=14))(x.numpy())
    with torch.no_grad():
        want = layer(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


class _VarStd(torch.nn.Module):
    def forward(self, x):
        # Unbiased var/std export Shape -> ReduceProd(keepdims=0) -> Cast (a 0-d count);
        # view(x.size(0), -1) with a dynamic batch exports Shape -> Gather(scalar) -> Unsqueeze.
        return x.var(dim=1, keepdim=True) + x.std() + x.view(x.size(0), -1)[:, :1]


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_shape_arithmetic_through_zero_d_values(opset):
    """Shape arithmetic whose numpy fold is 0-d (one dimension of a Shape, the product of
    all of them) imports: unbiased var/std, and view(x.size(0), -1) with a dynamic batch."""
    torch.manual_seed(0)
    x = torch.randn(3, 5)
    f = io.BytesIO()
    torch.onnx.export(_VarStd(), x, f, opset_version=opset, input_names=["x"], dynamic_axes={"x": {0: "n"}})
    (got,) = cinn.onnx.compile(f.getvalue(), input_shapes={"x": [3, 5]})(x.numpy())
    np.testing.assert_allclose(got, _VarStd()(x).numpy(), rtol=1e-5, atol=1e-6)


def test_upsample_exported_at_opset_10():
    """Resize-10 is Upsample-9 renamed: inputs (X, scales), nearest source pixel i // factor."""
    model = torch.nn.Sequential(torch.nn.Upsample(scale_factor=2, mode="nearest")).eval()
    x = torch.randn(1, 2, 3, 4)
    (got,) = cinn.onnx.compile(_export(model, x, opset=10))(x.numpy())
    np.testing.assert_array_equal(got, model(x).numpy())


class _Indexing(torch.nn.Module):
    def forward(self, x, idx, src):
        # torch.gather -> GatherElements, scatter / scatter_add -> ScatterElements (opset 16:
        # reduction 'add'; earlier, scatter_add exports as a scatter into zeros plus an Add).
        return (torch.gather(x, 1, idx), x.scatter(1, idx[:, :1], src[:, :1]), x.scatter_add(0, idx, src),
                x.index_select(1, idx[0]))


@pytest.mark.parametrize("opset", [11, 13, 16])
def test_gather_and_scatter_elements_exported_by_torch(opset):
    """GatherElements and ScatterElements (and Gather for index_select) as torch.onnx.export
    writes them; repeated indices of scatter_add accumulate (from opset 16, where the
    export is a ScatterElements with reduction 'add'; before, torch exports a scatter into
    zeros and an Add, which keeps one of the repeated updates, so the indices are distinct)."""
    g = torch.Generator().manual_seed(0)
    x, src = torch.randn(4, 6, generator=g), torch.randn(3, 6, generator=g)
    idx = torch.stack([torch.randperm(4, generator=g)[:3] for _ in range(6)], dim=1)
    if opset >= 16:
        idx[:, 0] = 2
    f = io.BytesIO()
    torch.onnx.export(_Indexing(), (x, idx, src), f, opset_version=opset, input_names=["x", "idx", "src"])
    got = cinn.onnx.compile(f.getvalue())(x.numpy(), idx.numpy(), src.numpy())
    for g_, w in zip(got, _Indexing()(x, idx, src)):
        np.testing.assert_allclose(g_, w.numpy(), rtol=1e-6, atol=1e-6)
