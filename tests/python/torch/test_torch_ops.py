"""Per-op mappings of cinn.torch (torch.fx path) against PyTorch on random inputs.

Each case is a function of tensors; it is compiled with cinn.torch, must convert without
any fallback, and must match PyTorch on two input shapes. Tolerances: float32 results
within rtol 1e-5 / atol 1e-5 (1e-4 for matmuls, convolutions and normalizations, whose
summation order differs); integer and bool results exactly.
"""

import operator

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import cinn.torch

from torch_helpers import run_compiled, seeded

SHAPES = [(2, 3, 8, 8), (1, 5, 7, 9)]


def rand(g, shape, dtype=torch.float32, low=-3.0, high=3.0):
    if dtype.is_floating_point:
        return (torch.rand(shape, generator=g, dtype=torch.float64) * (high - low) + low).to(dtype)
    return torch.randint(int(low), int(high) + 1, shape, generator=g).to(dtype)


def pos(g, shape):
    return rand(g, shape, low=0.1, high=4.0)


# name -> (function, inputs(g, shape), tolerance)
UNARY = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp,
    "abs": torch.abs, "neg": operator.neg, "erf": torch.erf, "floor": torch.floor,
    "ceil": torch.ceil, "sin": torch.sin, "cos": torch.cos, "sign": torch.sign,
    "square": torch.square, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu, "mish": F.mish, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
    "relu6": F.relu6, "leaky_relu": lambda x: F.leaky_relu(x, 0.2), "elu": F.elu,
    "softplus": F.softplus, "logsigmoid": F.logsigmoid, "hardtanh": F.hardtanh,
    "clamp": lambda x: torch.clamp(x, -1.0, 0.5), "clamp_min": lambda x: x.clamp(min=0.25),
    "method_relu": lambda x: x.relu(), "sigmoid_mul": lambda x: x * x.sigmoid(),
    "round": lambda x: torch.round(x * 2) / 2 + torch.round(x),  # halves: to even
}
POSITIVE = {"log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
            "reciprocal": torch.reciprocal, "pow_half": lambda x: x ** 0.5,
            "pow_3": lambda x: torch.pow(x, 3.0)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, shape):
    gen = seeded()
    x = rand(gen, shape)
    fn = UNARY[name]
    got, _, _ = run_compiled(lambda x: fn(x), x)
    torch.testing.assert_close(got, fn(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_unary_positive(name, shape):
    gen = seeded()
    x = pos(gen, shape)
    fn = POSITIVE[name]
    got, _, _ = run_compiled(lambda x: fn(x), x)
    torch.testing.assert_close(got, fn(x), rtol=1e-5, atol=1e-5)


BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "add_alpha": lambda x, y: torch.add(x, y, alpha=0.5), "rsub_scalar": lambda x, y: 2.0 - x + y,
    "sub_alpha": lambda x, y: x.sub(y, alpha=2), "maximum": torch.maximum, "minimum": torch.minimum,
    "max_binary": torch.max, "floor_div": lambda x, y: torch.div(x, y, rounding_mode="floor"),
    "trunc_div": lambda x, y: torch.div(x, y, rounding_mode="trunc"), "remainder": torch.remainder,
    "pow": lambda x, y: torch.pow(x.abs() + 0.5, y),
    "where": lambda x, y: torch.where(x > y, x, y * 2),
    "masked_fill": lambda x, y: x.masked_fill(y > 0.5, -1.0),
    "eq_ne": lambda x, y: (x.round() == y.round()) | (x != x), "lt": operator.lt, "le": torch.le,
    "gt": torch.gt, "ge": operator.ge, "logical": lambda x, y: torch.logical_and(x > 0, y < 0) ^ (x > 1),
    "not": lambda x, y: ~(x > y), "lerp": lambda x, y: torch.lerp(x, y, 0.3),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, shape):
    gen = seeded()
    x, y = rand(gen, shape), rand(gen, shape)
    y = torch.where(y.abs() < 0.1, torch.full_like(y, 0.5), y)  # keep divisors off zero
    fn = BINARY[name]
    got, _, _ = run_compiled(lambda x, y: fn(x, y), x, y)
    torch.testing.assert_close(got, fn(x, y), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("yshape", [(1, 3, 1, 8), (8,), ()])
def test_broadcasting(yshape):
    gen = seeded()
    x, y = rand(gen, (2, 3, 8, 8)), rand(gen, yshape)
    f = lambda x, y: (x + y) * (x - y) / (y.abs() + 1)  # noqa: E731
    got, _, _ = run_compiled(f, x, y)
    torch.testing.assert_close(got, f(x, y), rtol=1e-5, atol=1e-5)


def test_dtype_promotion():
    """int64 tensors with float scalars and float tensors promote as in PyTorch."""
    gen = seeded()
    i, x = rand(gen, (4, 6), torch.int64, -5, 5), rand(gen, (4, 6))
    f = lambda i, x: (i + 0.5, i * x, i * 3, i // 2, i / 2, (i > 0).float() + x.double(), i.sum(1))  # noqa: E731
    got, _, _ = run_compiled(f, i, x)
    for g, w in zip(got, f(i, x)):
        assert g.dtype == w.dtype
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)


def test_integer_division_is_exact_and_total():
    """Integer floor / trunc division is integer arithmetic (exact beyond float64's 2**53), and
    a zero divisor gives 0 where PyTorch raises (a kernel cannot raise)."""
    i = torch.tensor([4, 5, -7, 7, -9, 2**62 + 1, -(2**62) - 1, 0])
    j = torch.tensor([2, 1, 2, -2, -3, 3, 3, -5])
    f = lambda i, j: (i // j, torch.div(i, j, rounding_mode="trunc"), i % j,  # noqa: E731
                      torch.div(i, 3, rounding_mode="trunc"), torch.div(i, -3, rounding_mode="floor"))
    got, _, _ = run_compiled(f, i, j)
    for g, w in zip(got, f(i, j)):
        assert g.dtype == w.dtype and g.tolist() == w.tolist(), (g, w)
    fast = cinn.torch.compile(f)
    fast(i, j)
    j[1] = 0
    assert [g[1].item() for g in fast(i, j)[:3]] == [0, 0, 0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_floor_division_and_remainder_match_pytorch(dtype):
    """Bit for bit, signed zeros included: 1.0 // 0.1 is 9 (not floor(1.0 / 0.1) = 10),
    -5 // inf is -1 and -5 % inf is inf, -0.0 % 3 is -0.0, x // 0 is x / 0."""
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([5., -5., -0.0, 0.0, 7.5, -7.5, inf, -3.0, 1.0, 1.0, -1.0, 0.3, 5.0, -3.0, nan], dtype=dtype)
    y = torch.tensor([inf, inf, 3., -3., -2., 2., 2., -inf, 0.1, -0.1, 0.1, 0.1, 0.0, 0.0, 1.0], dtype=dtype)
    f = lambda x, y: (x // y, x % y, torch.div(x, y, rounding_mode="floor"), x // 0.1, 1.0 % y)  # noqa: E731
    got, _, _ = run_compiled(f, x, y)
    for g, w in zip(got, f(x, y)):
        torch.testing.assert_close(g, w, rtol=0, atol=0, equal_nan=True)
        assert torch.equal(torch.signbit(g), torch.signbit(w)), (g, w)


REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(dim=1), "sum_keep": lambda x: x.sum((2, 3), keepdim=True),
    "mean": lambda x: torch.mean(x, -1), "amax": lambda x: x.amax(dim=(1, 2)), "amin": lambda x: torch.amin(x, 0),
    "max_dim": lambda x: torch.max(x, 1), "min_dim": lambda x: x.min(dim=-1, keepdim=True),
    "max_all": lambda x: x.max(), "argmax": lambda x: x.argmax(dim=2), "argmin_all": lambda x: torch.argmin(x),
    "prod": lambda x: (x * 0.5).prod(dim=3), "var": lambda x: x.var(dim=1), "std": lambda x: x.std(2, unbiased=False),
    "var_all": lambda x: torch.var(x), "logsumexp": lambda x: torch.logsumexp(x, dim=1),
    "softmax": lambda x: F.softmax(x, dim=1), "log_softmax": lambda x: x.log_softmax(-1),
    "softmax_method": lambda x: x.softmax(dim=0),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(name, shape):
    gen = seeded()
    x = rand(gen, shape)
    got, _, _ = run_compiled(REDUCTIONS[name], x)
    torch.testing.assert_close(got, REDUCTIONS[name](x), rtol=1e-5, atol=1e-5)


SHAPE_OPS = {
    "view": lambda x: x.view(x.size(0), -1), "reshape": lambda x: torch.reshape(x, (-1, x.shape[-1])),
    "flatten": lambda x: torch.flatten(x, 1), "flatten_mid": lambda x: x.flatten(1, 2),
    "permute": lambda x: x.permute(0, 2, 3, 1), "transpose": lambda x: x.transpose(1, -1),
    "T": lambda x: x[0, 0].T, "unsqueeze": lambda x: x.unsqueeze(2), "squeeze": lambda x: x[:, :1].squeeze(1),
    "expand": lambda x: x[:, :, :1].expand(-1, -1, 4, -1), "cat": lambda x: torch.cat([x, x * 2], dim=1),
    "stack": lambda x: torch.stack([x, -x], dim=-1), "split": lambda x: torch.split(x, [1, x.shape[1] - 1], 1)[1],
    "chunk": lambda x: x.chunk(2, dim=2)[-1], "unbind": lambda x: torch.unbind(x, 1)[0] * 2,
    "slice": lambda x: x[:, 1:, ::2, -3:], "index": lambda x: x[0, :, None, ..., 1],
    "narrow": lambda x: x.narrow(2, 1, 3), "select": lambda x: x.select(1, -1),
    "flip": lambda x: torch.flip(x, [1, 3]), "repeat": lambda x: x.repeat(1, 2, 1, 1),
    "pad": lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), "contiguous": lambda x: x.transpose(2, 3).contiguous(),
    "to_double": lambda x: x.to(torch.float64) * 2, "float_int": lambda x: (x * 3).int().float(),
    "size_math": lambda x: x.view(x.size(0) * x.size(1), x.shape[2] * x.shape[3] // 1),
    "zeros_like": lambda x: x + torch.ones_like(x) * 2 - torch.zeros_like(x),
    "full": lambda x: x[..., :3] + torch.full((3,), 0.25) - torch.ones(1, 3),
    "arange": lambda x: x[..., 1:6] * torch.arange(5) + torch.arange(1, 3, 0.4), "clone": lambda x: x.clone().detach(),
    "gather": lambda x: torch.gather(x, 1, (x.abs() * 7).long() % x.shape[1]),
    "gather_part": lambda x: x.gather(-2, (x[:, :1, :, :2] * 5).abs().long() % x.shape[2]),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op(name, shape):
    gen = seeded()
    x = rand(gen, shape)
    got, _, _ = run_compiled(SHAPE_OPS[name], x)
    want = SHAPE_OPS[name](x)
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)


MATMULS = {
    "mm": (lambda a, b: a @ b, (6, 5), (5, 7)),
    "batched_broadcast": (torch.matmul, (3, 6, 5), (5, 4)),
    "batched": (torch.bmm, (3, 6, 5), (3, 5, 4)),
    "vector_right": (torch.matmul, (3, 6, 5), (5,)),
    "vector_left": (torch.matmul, (5,), (5, 4)),
    "linear_3d": (lambda x, w: F.linear(x, w), (2, 6, 5), (7, 5)),
    "addmm": (lambda a, b: torch.addmm(b[0], a, b, beta=0.5, alpha=2.0), (7, 5), (5, 5)),
    "transposed": (lambda a, b: a.t() @ b.transpose(0, 1), (5, 6), (4, 5)),
}


@pytest.mark.parametrize("name", sorted(MATMULS))
def test_matmul(name):
    gen = seeded()
    fn, sa, sb = MATMULS[name]
    a, b = rand(gen, sa), rand(gen, sb)
    got, _, _ = run_compiled(lambda a, b: fn(a, b), a, b)
    torch.testing.assert_close(got, fn(a, b), rtol=1e-4, atol=1e-4)


CONVS = {
    "plain": dict(stride=1, padding=0), "stride_pad": dict(stride=2, padding=1),
    "dilation": dict(dilation=2, padding=2), "groups": dict(groups=2, padding=1),
    "same": dict(padding="same"), "asymmetric_stride": dict(stride=(1, 2), padding=(0, 1)),
}


@pytest.mark.parametrize("shape", [(2, 4, 9, 9), (1, 4, 6, 11)])
@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv2d(name, shape):
    gen = seeded()
    kw = CONVS[name]
    x = rand(gen, shape)
    w = rand(gen, (6, 4 // kw.get("groups", 1), 3, 3))
    bias = rand(gen, (6,))
    f = lambda x, w, b: F.conv2d(x, w, b, **kw)  # noqa: E731
    got, _, _ = run_compiled(f, x, w, bias)
    torch.testing.assert_close(got, f(x, w, bias), rtol=1e-4, atol=1e-4)


def test_conv1d_depthwise_and_modules():
    gen = seeded()
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 5, groups=8, stride=2),
                      nn.Flatten(), nn.Linear(8 * 6, 3)).eval()
    x = rand(gen, (2, 4, 16))
    got, _, _ = run_compiled(m, x)
    torch.testing.assert_close(got, m(x), rtol=1e-4, atol=1e-4)


POOLS = {
    "max": lambda x: F.max_pool2d(x, 3, 2, 1), "max_ceil": lambda x: F.max_pool2d(x, 2, ceil_mode=True),
    "max_ceil_pad": lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg": lambda x: F.avg_pool2d(x, 2), "avg_pad": lambda x: F.avg_pool2d(x, 3, 2, 1),
    "avg_exclusive": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    "avg_ceil": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg_ceil_exclusive": lambda x: F.avg_pool2d(x, 2, 2, 0, ceil_mode=True, count_include_pad=False),
    "avg_divisor": lambda x: F.avg_pool2d(x, 2, divisor_override=3),
    "adaptive_1": lambda x: F.adaptive_avg_pool2d(x, 1), "adaptive_3": lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    "adaptive_none": lambda x: F.adaptive_avg_pool2d(x, (None, 2)),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(POOLS))
def test_pool(name, shape):
    gen = seeded()
    x = rand(gen, shape)
    got, _, _ = run_compiled(POOLS[name], x)
    torch.testing.assert_close(got, POOLS[name](x), rtol=1e-5, atol=1e-5)


def test_norm_layers():
    """BatchNorm (eval, with and without affine), LayerNorm, GroupNorm, F.batch_norm,
    F.layer_norm, dropout in eval mode."""
    gen = seeded()
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(6).eval()
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 1.5)
    bn1 = nn.BatchNorm1d(6, affine=False).eval()
    bn1.running_var.fill_(1.7)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn, self.bn1 = bn, bn1
            self.ln = nn.LayerNorm([8, 8])
            self.gn = nn.GroupNorm(3, 6)
            self.drop = nn.Dropout(0.3)

        def forward(self, x):
            a = self.drop(self.gn(self.ln(self.bn(x))))
            b = self.bn1(x.mean((2, 3)))
            c = F.layer_norm(x, (8,), eps=1e-3)
            d = F.batch_norm(x, self.bn.running_mean, self.bn.running_var, training=False)
            return a, b, c, d

    net = Net().eval()
    x = rand(gen, (2, 6, 8, 8))
    got, _, _ = run_compiled(net, x)
    for g, w in zip(got, net(x)):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


class _Lookups(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)

    def forward(self, ids, x):
        return self.emb(ids), F.interpolate(x, scale_factor=2), nn.functional.pixel_shuffle(x, 2), \
            F.interpolate(x, size=(x.shape[2] * 3, x.shape[3])), F.embedding(ids, self.emb.weight * 2)


def test_embedding_interpolate_pixel_shuffle():
    gen = seeded()
    torch.manual_seed(0)
    f = _Lookups()
    ids = rand(gen, (3, 5), torch.int64, 0, 9)
    x = rand(gen, (1, 4, 3, 5))
    got, _, _ = run_compiled(f, ids, x)
    for g, w in zip(got, f(ids, x)):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)


def test_integer_and_bool_results_are_exact():
    gen = seeded()
    i = rand(gen, (5, 7), torch.int32, -20, 20)
    f = lambda i: (i * 3 - 1, torch.remainder(i, 4), i // 3, i.abs(), (i > 2) & (i < 9), i.max(1).indices)  # noqa: E731
    got, _, _ = run_compiled(f, i)
    for g, w in zip(got, f(i)):
        assert g.dtype == w.dtype
        assert torch.equal(g, w)


def test_out_of_range_input_indices_raise_index_error():
    """Indices that are inputs of a compiled region are range-checked at every call, as
    PyTorch checks them (the compiled gather would clamp them)."""
    emb = nn.Embedding(10, 3).eval()
    fast = cinn.torch.compile(emb)
    with torch.no_grad():
        ids = torch.tensor([1, 9])  # the signature's first call runs eagerly; the bad ids below do not
        torch.testing.assert_close(fast(ids), emb(ids))
        torch.testing.assert_close(fast(ids.flip(0)), emb(ids.flip(0)))
        for bad in ([1, 12], [-1, 3]):
            with pytest.raises(IndexError, match=f"embedding: index {bad[0] if bad[0] < 0 else bad[1]} is out of "
                                                 "range for a dimension of size 10"):
                fast(torch.tensor(bad))
    take = cinn.torch.compile(lambda x, i: x[i] * 2)
    x = torch.arange(5.0)
    take(x, torch.tensor([0, 1]))
    torch.testing.assert_close(take(x, torch.tensor([-5, 4])), torch.tensor([0.0, 8.0]))
    with pytest.raises(IndexError, match="index 7 is out of range for a dimension of size 5"):
        take(x, torch.tensor([7, 0]))
    with pytest.raises(IndexError, match="index -6 is out of range"):
        take(x, torch.tensor([-6, 0]))


class _Scatters(nn.Module):
    """scatter / scatter_add with several positions per line (repeated ones too: they
    accumulate, or the last in index order stays, as PyTorch's CPU kernel writes them),
    index smaller than x, src larger than index; index_add (alpha) and index_copy with
    repeated indices; index_fill (a number, a 0-d tensor); index_select; as functions and
    methods."""

    def forward(self, x, idx, src, rows, srcb):
        return (x.scatter_add(1, idx, src), torch.scatter_add(x, 0, idx, src),
                torch.zeros_like(x).scatter(1, idx, 1.5), x.scatter(-1, idx[:, :1], src[:, :1]),
                torch.scatter(x, 1, idx[:, :1], src), x.scatter(1, idx, src), torch.scatter(x, 0, idx, src),
                x.index_add(0, rows, srcb, alpha=2.0), torch.index_add(x, 1, rows, srcb.T[:5]),
                x.index_copy(0, rows, srcb), torch.index_copy(x, 1, rows, srcb.T[:5]),
                x.index_fill(1, rows, -2.0), torch.index_fill(x, 0, rows, x[0, 0]),
                x.index_select(1, rows), torch.index_select(x, 0, rows[1]))


def test_scatter_index_add_and_index_select():
    gen = seeded()
    x = rand(gen, (5, 7))
    idx = rand(gen, (4, 3), torch.int64, 0, 4)
    idx[0] = torch.tensor([1, 1, 1])  # repeated positions accumulate (scatter_add) or agree (a number)
    src, srcb = rand(gen, (4, 6)), rand(gen, (4, 7))
    rows = torch.tensor([0, 2, 2, 4])
    got, report, fast = run_compiled(_Scatters(), x, idx, src, rows, srcb)
    for g, w in zip(got, _Scatters()(x, idx, src, rows, srcb)):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)
    with torch.no_grad():
        with pytest.raises(IndexError, match="scatter_add: index 7 is out of range for a dimension of size 7"):
            fast(x, torch.full((4, 3), 7), src, rows, srcb)
        with pytest.raises(IndexError, match="index_add: index 5 is out of range for a dimension of size 5"):
            fast(x, idx, src, torch.tensor([0, 1, 5, 2]), srcb)


def test_empty_results_need_no_kernel():
    fast = cinn.torch.compile(lambda x: x * 2 + 1)
    for _ in range(2):
        out = fast(torch.randn(0, 3))
        assert out.shape == (0, 3)
    assert fast.explain().fallbacks == [], str(fast.explain())
