"""What cinn.torch cannot compile runs in PyTorch, with the reason in explain(): unknown ops
between two regions, untraceable control flow, dtypes CINN lacks, in-place ops on tensors
others can see, random ops. Results always match eager PyTorch."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import cinn.torch
from torch_helpers import run_compiled, seeded


def _conv_cumsum_sigmoid(x, w):
    h = torch.relu(F.conv2d(x, w, padding=1))
    h = torch.cumsum(h, dim=1)  # no converter: PyTorch runs it
    return torch.sigmoid(h) * 2 + h.mean()


def test_unsupported_op_between_two_regions():
    gen = seeded()
    x = torch.randn(2, 3, 8, 8, generator=gen)
    w = torch.randn(4, 3, 3, 3, generator=gen)
    got, report, _ = run_compiled(_conv_cumsum_sigmoid, x, w, allow_fallback=True)
    torch.testing.assert_close(got, _conv_cumsum_sigmoid(x, w), rtol=1e-5, atol=1e-5)
    (fallback,) = report.fallbacks
    assert fallback.node == "cumsum" and fallback.target == "torch.cumsum"
    assert "no converter for torch.cumsum" in fallback.reason
    first, second = report.regions
    assert [t for _, t in first.nodes] == ["torch.conv2d", "torch.relu"]
    assert {t for _, t in second.nodes} == {"torch.sigmoid", "operator.mul", "Tensor.mean", "operator.add"}
    text = str(report)
    assert "2 region(s)" in text and "PyTorch runs node 'cumsum' (torch.cumsum)" in text


def test_two_regions_merged_by_a_later_node():
    """sigmoid and tanh each follow a PyTorch node, so they start separate regions; the
    final add joins both into one (a merge that used to leave a stale region behind and
    make the partition report a cycle)."""
    def f(x):
        a = torch.relu(x)
        b = torch.sigmoid(torch.cumsum(a, 0))
        c = torch.tanh(torch.cumsum(a * 2, 1))
        return b + c

    x = torch.randn(3, 4, generator=seeded())
    got, report, _ = run_compiled(f, x, allow_fallback=True)
    torch.testing.assert_close(got, f(x), rtol=1e-6, atol=1e-6)
    assert [[t for _, t in r.nodes] for r in report.regions] == [
        ["torch.relu", "operator.mul"], ["torch.sigmoid", "torch.tanh", "operator.add"]]


def _branchy(x):
    if x.sum() > 0:  # data-dependent: torch.fx cannot trace it
        return x * 2
    return x - 1


def test_dynamic_control_flow_runs_eagerly():
    fast = cinn.torch.compile(_branchy)
    for sign in (1.0, -1.0):
        x = torch.full((3,), sign)
        assert torch.equal(fast(x), _branchy(x))
    report = fast.explain()
    assert report.signatures[0].mode == "eager"
    assert "torch.fx cannot trace it" in report.signatures[0].reason
    assert report.regions == []
    assert report.fallbacks[0].node == "*"


def test_shapes_that_depend_on_data_are_not_constants():
    """y = x[x > 0] has as many elements as x has positive ones: y and what its size
    determines run in PyTorch, so a call with another count is still right (a recorded
    size baked into x[:n] would silently keep the first call's n)."""
    def f(x):
        y = x[x > 0]
        return x[: y.shape[0]] * 2 + y.sum(), torch.relu(x) * 3

    fast = cinn.torch.compile(f)
    with torch.no_grad():
        for v in ([1.0, -2.0, 3.0, -4.0], [1.0, 2.0, 3.0, -4.0], [-1.0, -2.0, 3.0, -4.0]):
            x = torch.tensor(v)
            for g, w in zip(fast(x), f(x)):
                assert torch.equal(g, w)
    assert fast._engine.compiles == 1
    report = fast.explain()
    reasons = {fb.node: fb.reason for fb in report.fallbacks}
    assert "shape depends on tensor data" in reasons["getitem"]
    assert "shape depends on tensor data" in reasons["getitem_1"]  # x[:n]
    assert {t for r in report.regions for _, t in r.nodes} >= {"operator.gt", "torch.relu"}


def test_dtype_cinn_lacks():
    gen = seeded()
    def f(x):
        return torch.view_as_real(x.to(torch.complex64) * 2).sum(-1) + 1

    x = torch.randn(4, 5, generator=gen)
    got, report, _ = run_compiled(f, x, allow_fallback=True)
    assert torch.equal(got, f(x))
    reasons = {fb.node: fb.reason for fb in report.fallbacks}
    assert "complex64" in reasons["to"] and "complex64" in reasons["mul"]
    assert len(report.regions) == 1  # the final sum and + 1


def test_inplace_ops_on_temporaries_are_functionalized():
    gen = seeded()
    def f(x):
        h = x * 2
        h.add_(1)
        h.relu_()
        g = F.relu(h - 3, inplace=True)
        return h + x + g

    x = torch.randn(4, 6, generator=gen)
    got, report, _ = run_compiled(f, x)
    torch.testing.assert_close(got, f(x.clone()), rtol=1e-6, atol=1e-6)
    assert len(report.regions) == 1


def test_inplace_op_on_an_input_runs_in_pytorch_in_order():
    """x.add_ writes the caller's tensor: PyTorch runs it, after the reads before it and
    before the reads after it, and the caller sees the write."""
    gen = seeded()
    def f(x):
        before = x.sum() * 1.5
        x.add_(1)
        return before + x.sum(), x * 2

    x = torch.randn(5, 3, generator=gen)
    mine, theirs = x.clone(), x.clone()
    got, report, _ = run_compiled(f, mine, allow_fallback=True)
    want = f(theirs)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)
    assert torch.equal(mine, theirs)
    (fb,) = report.fallbacks
    assert fb.target == "Tensor.add_" and "modifies the input 'x' in place" in fb.reason


class _Scratch(nn.Module):
    """Tensors created in forward and then written: torch.fx alone would create them once
    while tracing and share them across calls."""

    def forward(self, x, idx):
        buf = torch.zeros(5)
        buf.index_add_(0, idx, x)
        y = torch.zeros(5)
        y[1:3] = x[:2]
        lit = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
        lit.mul_(2)
        return buf + y + lit


class _Accumulate(nn.Module):
    """A buffer updated in place and read after, and arithmetic on buffers alone."""

    def __init__(self):
        super().__init__()
        self.register_buffer("total", torch.zeros(3))
        self.register_buffer("scale", torch.ones(3))

    def forward(self, x):
        self.total.add_(x)
        return self.total * 2 + self.scale * 3


def test_tensors_created_in_forward_are_fresh_each_call():
    gen = seeded()
    model, ref = cinn.torch.compile(_Scratch()), _Scratch()
    idx = torch.tensor([0, 2, 2])
    with torch.no_grad():
        for _ in range(3):
            x = torch.randn(3, generator=gen)
            torch.testing.assert_close(model(x, idx), ref(x, idx), rtol=1e-6, atol=1e-6)


def test_buffers_are_read_at_each_call():
    gen = seeded()
    mine, ref = _Accumulate(), _Accumulate()
    fast = cinn.torch.compile(mine)
    with torch.no_grad():
        for step in range(3):
            x = torch.randn(3, generator=gen)
            if step == 2:
                mine.scale.fill_(5)
                ref.scale.fill_(5)
            torch.testing.assert_close(fast(x), ref(x), rtol=1e-6, atol=1e-6)
            torch.testing.assert_close(mine.total, ref.total, rtol=1e-6, atol=1e-6)
    fb = [f for f in fast.explain().fallbacks if f.node == "add_"]
    assert fb and "modifies the attribute 'total' in place" in fb[0].reason


def test_augmented_assignment_writes_the_input():
    """`x += y` on an input writes the caller's tensor (torch.fx alone records x + y)."""
    gen = seeded()
    def f(x, y):
        x += y
        x *= 2
        return x + 1

    x, y = torch.randn(4, generator=gen), torch.randn(4, generator=gen)
    mine, theirs = x.clone(), x.clone()
    got, report, _ = run_compiled(f, mine, y, allow_fallback=True)
    torch.testing.assert_close(got, f(theirs, y), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-6)
    assert all("modifies the input 'x' in place" in fb.reason for fb in report.fallbacks)


def test_inplace_op_through_a_view():
    """A write through a view must reach the viewed tensor: the view runs in PyTorch too."""
    gen = seeded()
    def f(x):
        h = x + 1
        v = h.view(-1)
        v.mul_(2)
        return h * 3

    x = torch.randn(3, 4, generator=gen)
    got, report, _ = run_compiled(f, x, allow_fallback=True)
    torch.testing.assert_close(got, f(x), rtol=1e-6, atol=1e-6)
    reasons = {fb.node: fb.reason for fb in report.fallbacks}
    assert "shares memory with a view" in reasons["mul_"]
    assert "modifies in place" in reasons["view"]


def test_dropout_in_training_mode_runs_in_pytorch():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5), nn.ReLU()).train()
    fast = cinn.torch.compile(model)
    x = torch.randn(3, 6)
    with torch.no_grad():
        torch.manual_seed(1)
        got = fast(x)
        torch.manual_seed(1)
        want = model(x)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    (fb,) = fast.explain().fallbacks
    assert fb.target == "nn.Dropout" and "random numbers" in fb.reason


def test_batch_norm_training_without_gradients_updates_buffers():
    """BatchNorm in training mode under no_grad: batch statistics, and the running ones
    and num_batches_tracked updated as in PyTorch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.BatchNorm2d(4, momentum=None)).train()
    ref = __import__("copy").deepcopy(model)
    fast = cinn.torch.compile(model)
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        for _ in range(2):
            torch.testing.assert_close(fast(x), ref(x), rtol=1e-5, atol=1e-5)
    for (name, b), c in zip(model.named_buffers(), ref.buffers()):
        torch.testing.assert_close(b, c, rtol=1e-5, atol=1e-6, msg=name)
    assert fast.explain().fallbacks == []


def test_list_of_tensors_input():
    """Unpacking a list argument stays in PyTorch; the arithmetic on its items compiles."""
    gen = seeded()
    def f(xs, y):
        return torch.relu(xs[0] + xs[1]) * y

    xs = [torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen)]
    y = torch.randn(3, 4, generator=gen)
    got, report, _ = run_compiled(f, xs, y, allow_fallback=True)
    torch.testing.assert_close(got, f(xs, y))
    assert [fb.target for fb in report.fallbacks] == ["operator.getitem"] * 2
    assert "is a tuple or list of tensors" in report.fallbacks[0].reason
    assert len(report.regions) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device for torch")
def test_cuda_inputs_run_eagerly():
    fast = cinn.torch.compile(lambda x: x * 2)
    x = torch.ones(3, device="cuda")
    assert torch.equal(fast(x), x * 2)
    assert "exchanges CPU tensors" in fast.explain().signatures[0].reason


def test_empty_arguments():
    """A sum over a dimension of size 0 runs in PyTorch with a reason saying so; empty
    pieces of a cat are left out and the rest compiles."""
    x = torch.randn(3, 0)
    got, report, _ = run_compiled(lambda x: x.sum(1) + 1, x, allow_fallback=True)
    torch.testing.assert_close(got, torch.ones(3))
    (fb,) = report.fallbacks
    assert "an argument has no elements (shape [3, 0]) but the result does" in fb.reason
    y = torch.randn(2, 3)
    got, report, _ = run_compiled(lambda p, y: torch.cat([p, y], 1) * 2, torch.randn(2, 0), y)
    torch.testing.assert_close(got, y * 2)
