"""aten's strided views in captured graphs (cinn.torch.strided): ``_reshape_alias`` with
permuted strides, ``as_strided`` and ``as_strided_scatter`` (its backward) become reshape,
transpose and slice when their elements are a reshape, transpose or slice of the input;
other views run in PyTorch with the reason, on an input given back the layout it had
when traced. Forward results and gradients are compared with torch.autograd (float32,
elementwise math after the views: rtol 1e-5, atol 1e-6)."""

import pytest
import torch

import cinn.torch
from cinn.torch.strided import view_strides
from torch_helpers import seeded


def _grad_check(f, shape, allow_fallback=False):
    gen = seeded()
    x = torch.randn(*shape, generator=gen, requires_grad=True)
    fast = cinn.torch.compile(f)
    got = fast(x)
    g_out = torch.randn(got.shape, generator=gen)
    (g_got,) = torch.autograd.grad(got, [x], g_out)
    want = f(x)
    (g_want,) = torch.autograd.grad(want, [x], g_out)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_got, g_want, rtol=1e-5, atol=1e-6)
    report = fast.explain()
    assert [g.kind for g in report.graphs] == ["forward (AOTAutograd)", "backward (AOTAutograd)"]
    if not allow_fallback:
        assert report.fallbacks == [], str(report)
    return report


def _converted(report, name):
    return [g.kind for g in report.graphs if any(t == name for r in g.regions for _, t in r.nodes)]


_VIEWS = {
    # reshape of a permuted tensor: _reshape_alias with strides [36, 1, 12], and in the
    # backward one of a tensor laid out like it
    "permute_then_reshape": (lambda x: (x.permute(0, 2, 3, 1).reshape(2, 12, 3) * 1.5).sin(),
                             (2, 3, 3, 4), "aten._reshape_alias.default"),
    "transpose_then_reshape": (lambda x: x.t().reshape(4, 3, 1).cos() * 2, (3, 4), "aten._reshape_alias.default"),
    "reshape_of_a_slice": (lambda x: x[:, 1:3].reshape(3, 2, 1).exp(), (3, 4), "aten._reshape_alias.default"),
    # as_strided: a transpose at an offset, a strided slice, a broadcast, a view whose last
    # block is partial, a single element
    "transposed_at_offset": (lambda x: torch.as_strided(x, (3, 3), (1, 4), 1).sin(), (4, 4),
                             "aten.as_strided.default"),
    "strided_slice": (lambda x: x.as_strided((2, 3), (8, 2)).exp(), (4, 4), "aten.as_strided.default"),
    "broadcast": (lambda x: x.as_strided((3, 2, 4), (4, 0, 1)).tanh(), (3, 4), "aten.as_strided.default"),
    "partial_last_block": (lambda x: x.as_strided((2, 2), (5, 1), 5).sin(), (3, 4), "aten.as_strided.default"),
    "single_element": (lambda x: x.as_strided((1, 1), (0, 0), 5).sin() + x.sum(), (3, 4),
                       "aten.as_strided.default"),
    "of_a_transposed_result": (lambda x: (x.t() * 2).as_strided((2, 3), (1, 2)).sin(), (3, 4),
                               "aten.as_strided.default"),
}


_SCATTERS = {
    # the gradients of slicing and selecting: slice_scatter / select_scatter into zeros
    "slices": (lambda x: x[:, 1:3].sin() * x[1::2, ::3].exp().sum(), (5, 7), "aten.slice_scatter.default"),
    "selects": (lambda x: x[:, 0].sin() + x[-1].cos(), (4, 4), "aten.select_scatter.default"),
}


@pytest.mark.parametrize("name", sorted(_SCATTERS))
def test_slice_and_select_gradients_compile(name):
    f, shape, op = _SCATTERS[name]
    report = _grad_check(f, shape)
    assert _converted(report, op) == ["backward (AOTAutograd)"], str(report)


@pytest.mark.parametrize("name", sorted(_VIEWS))
def test_strided_views_compile_forward_and_backward(name):
    f, shape, op = _VIEWS[name]
    report = _grad_check(f, shape)
    assert _converted(report, op) == ["forward (AOTAutograd)", "backward (AOTAutograd)"], str(report)
    if op == "aten.as_strided.default":  # its gradient scatters back into zeros
        assert _converted(report, "aten.as_strided_scatter.default") == ["backward (AOTAutograd)"]


def test_overlapping_views_run_in_pytorch_with_the_traced_layout():
    """Overlapping windows are no reshape/transpose/slice: PyTorch runs the view, on its
    input restrided to the layout it had when traced (here the product of a transposed
    tensor, laid out transposed; the region's result is contiguous)."""
    report = _grad_check(lambda x: (x.t() * 2).as_strided((3, 2), (1, 1)).sin(), (3, 4),
                         allow_fallback=True)
    reasons = {(fb.target, fb.reason) for fb in report.fallbacks}
    assert ("aten.as_strided.default", "the view (sizes [3, 2], strides [1, 1], offset +0) of a "
            "tensor of sizes [4, 3] and strides [1, 4] is not a reshape, transpose or slice of it "
            "(overlapping or irregular strides)") in reasons


def test_as_strided_in_a_make_fx_graph():
    def f(x):
        n, m = x.shape  # torch.fx cannot trace this: make_fx captures the call
        return torch.as_strided(x, (m - 1, n), (1, m), 1).sin() * n

    x = torch.randn(3, 4, generator=seeded())
    fast = cinn.torch.compile(f)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), f(x), rtol=1e-5, atol=1e-6)
    report = fast.explain()
    assert report.signatures[0].capture == "make_fx" and report.fallbacks == [], str(report)
    assert "aten.as_strided.default" in {t for _, t in report.regions[0].nodes}


@pytest.mark.parametrize("shape, perm, new", [
    ((2, 3, 4), (0, 1, 2), (6, 4)),
    ((2, 3, 4), (0, 2, 1), (2, 12)),      # not a view: None
    ((2, 3, 3, 4), (0, 2, 3, 1), (2, 12, 3)),
    ((4, 3), (1, 0), (3, 2, 2)),          # not a view
    ((4, 3), (1, 0), (3, 4, 1)),
    ((5, 1, 6), (2, 1, 0), (6, 5)),
    ((2, 3), (0, 1), ()),
])
def test_view_strides_match_aten(shape, perm, new):
    x = torch.empty(shape).permute(*perm)
    if new == ():
        x = torch.empty(())
    got = view_strides(x.shape, x.stride(), new)
    try:
        want = list(x.view(new).stride())
    except RuntimeError:
        want = None
    assert got == want
