"""torch.fx (inference) converters: functions of ``torch``, ``torch.nn.functional`` and
``operator``, ``Tensor`` methods, and the common ``torch.nn`` modules.

Each converter takes the arguments of the PyTorch call it converts (see
:mod:`cinn.torch.convert`); the semantics are PyTorch's (:mod:`cinn.torch.emit`).
"""

import operator

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import _cinn
from . import emit
from .convert import fx_function, fx_method, fx_module


def both(*names, functions=()):
    """Registers a converter for ``Tensor.<name>`` methods and for functions."""
    def register(fn):
        for n in names:
            if hasattr(torch.Tensor, n):
                fx_method(n)(fn)
        for f in functions:
            fx_function(f)(fn)
        return fn
    return register


def _param(ctx, name):
    return ctx.param(f"{ctx.node.target}.{name}")


# ---- elementwise ----------------------------------------------------------------------------

_UNARY = {
    "sigmoid": (torch.sigmoid, F.sigmoid), "tanh": (torch.tanh, F.tanh), "exp": (torch.exp,),
    "log": (torch.log,), "sqrt": (torch.sqrt,), "rsqrt": (torch.rsqrt,), "abs": (torch.abs,),
    "erf": (torch.erf, torch.special.erf), "sin": (torch.sin,), "cos": (torch.cos,),
    "reciprocal": (torch.reciprocal,), "sign": (torch.sign,), "silu": (F.silu,),
    "mish": (F.mish,), "log_sigmoid": (F.logsigmoid,),
}


def _unary(op):
    def conv(ctx, x, inplace=False):
        return emit.unary(ctx, op, x)
    return conv


for _name, _funcs in _UNARY.items():
    both(_name, functions=_funcs)(_unary(_name))


@both("neg", "negative", functions=(torch.neg, torch.negative, operator.neg))
def _neg(ctx, x):
    return ctx.b.neg(x)


@both("floor", "ceil", functions=(torch.floor, torch.ceil))
def _floor_ceil(ctx, x):
    op = ctx.node.target if isinstance(ctx.node.target, str) else ctx.node.target.__name__
    return x if not emit.is_float(x.dtype) else getattr(ctx.b, op)(x)


@both("round", functions=(torch.round,))
def _round(ctx, x, decimals=0):
    """Half to even, as PyTorch rounds."""
    if decimals:
        raise ctx.unsupported("round with decimals")
    if not emit.is_float(x.dtype):
        return x
    b = ctx.b
    f = b.floor(x)
    d = b.sub(x, f)
    half = emit.scalar(ctx, 0.5, x.dtype)
    up = b.add(f, emit.scalar(ctx, 1, x.dtype))
    two = emit.scalar(ctx, 2, x.dtype)
    even = b.where(b.compare(b.sub(f, b.mul(b.floor(b.div(f, two)), two)), emit.scalar(ctx, 0, x.dtype),
                             op="eq"), f, up)
    return b.where(b.compare(d, half, op="lt"), f, b.where(b.compare(d, half, op="gt"), up, even))


@both("square", functions=(torch.square,))
def _square(ctx, x):
    x = emit.cast(ctx, x, ctx.out_dtype)
    return ctx.b.mul(x, x)


@both("relu", functions=(torch.relu, F.relu))
def _relu(ctx, x, inplace=False):
    return emit.relu(ctx, x)


@fx_function(F.relu6)
def _relu6(ctx, x, inplace=False):
    return emit.hardtanh(ctx, x, 0.0, 6.0)


@fx_function(F.hardtanh)
def _hardtanh(ctx, x, min_val=-1.0, max_val=1.0, inplace=False):
    return emit.hardtanh(ctx, x, min_val, max_val)


@fx_function(F.hardsigmoid)
def _hardsigmoid(ctx, x, inplace=False):
    return _hardsigmoid_value(ctx, x)


def _hardsigmoid_value(ctx, x):
    # relu6(x + 3) / 6
    return ctx.b.clip(ctx.b.add(ctx.b.mul(x, emit.scalar(ctx, 1 / 6, x.dtype)),
                                emit.scalar(ctx, 0.5, x.dtype)), min=0.0, max=1.0)


@fx_function(F.hardswish)
def _hardswish(ctx, x, inplace=False):
    return ctx.b.hard_swish(x)


@fx_function(F.gelu)
def _gelu(ctx, x, approximate="none"):
    return emit.gelu(ctx, x, approximate)


@fx_function(F.leaky_relu)
def _leaky_relu(ctx, x, negative_slope=0.01, inplace=False):
    return emit.leaky_relu(ctx, x, negative_slope)


@fx_function(F.elu)
def _elu(ctx, x, alpha=1.0, inplace=False):
    return emit.elu(ctx, x, alpha)


@fx_function(F.softplus)
def _softplus(ctx, x, beta=1, threshold=20):
    return emit.softplus(ctx, x, beta, threshold)


@both("clamp", "clip", functions=(torch.clamp, torch.clip))
def _clamp(ctx, x, min=None, max=None):  # noqa: A002
    return emit.clamp(ctx, x, min, max)


@both("clamp_min", functions=(torch.clamp_min,))
def _clamp_min(ctx, x, min):  # noqa: A002
    return emit.clamp(ctx, x, min, None)


@both("clamp_max", functions=(torch.clamp_max,))
def _clamp_max(ctx, x, max):  # noqa: A002
    return emit.clamp(ctx, x, None, max)


def _binary(op):
    def conv(ctx, x, other, *, alpha=1, out=None):
        if out is not None:
            raise ctx.unsupported("out= arguments")
        if op in ("add", "sub"):
            return emit.add(ctx, x, other, alpha, op=op)
        return emit.binary(ctx, op, x, other)
    return conv


both("add", "__add__", "__radd__", functions=(torch.add, operator.add))(_binary("add"))
both("sub", "subtract", "__sub__", functions=(torch.sub, torch.subtract, operator.sub))(_binary("sub"))
both("mul", "multiply", "__mul__", "__rmul__",
     functions=(torch.mul, torch.multiply, operator.mul))(_binary("mul"))
both("maximum", functions=(torch.maximum,))(_binary("max"))
both("minimum", functions=(torch.minimum,))(_binary("min"))


@both("rsub", functions=(torch.rsub,))
def _rsub(ctx, x, other, alpha=1):
    return emit.add(ctx, other, x, alpha, op="sub")


@both("div", "divide", "true_divide", "__truediv__",
      functions=(torch.div, torch.divide, torch.true_divide, operator.truediv))
def _div(ctx, x, other, *, rounding_mode=None):
    return emit.div(ctx, x, other, rounding_mode)


@both("floor_divide", "__floordiv__", functions=(torch.floor_divide, operator.floordiv))
def _floor_divide(ctx, x, other):
    return emit.div(ctx, x, other, "floor")


@both("remainder", "__mod__", functions=(torch.remainder, operator.mod))
def _remainder(ctx, x, other):
    return emit.remainder(ctx, x, other)


@both("pow", "__pow__", functions=(torch.pow, operator.pow))
def _pow(ctx, x, exponent):
    b = ctx.b
    out = ctx.out_dtype
    if not emit.is_value(exponent):
        if exponent == 2:
            x = emit.cast(ctx, x, out)
            return b.mul(x, x)
        if exponent == 0.5 and emit.is_float(out):
            return b.sqrt(emit.cast(ctx, x, out))
        if exponent == 1:
            return emit.cast(ctx, x, out)
    if not emit.is_float(out):
        raise ctx.unsupported("integer pow")
    return emit.binary(ctx, "pow", x, exponent)


_COMPARE = {"eq": ("eq", torch.eq, operator.eq), "ne": ("ne", torch.ne, operator.ne),
            "lt": ("lt", torch.lt, operator.lt), "le": ("le", torch.le, operator.le),
            "gt": ("gt", torch.gt, operator.gt), "ge": ("ge", torch.ge, operator.ge)}


def _compare(op):
    def conv(ctx, x, other):
        return emit.compare(ctx, op, x, other)
    return conv


for _op, (_m, *_fs) in _COMPARE.items():
    both(_m, f"__{_m}__", functions=_fs)(_compare(_op))
both("greater", functions=(torch.greater,))(_compare("gt"))
both("less", functions=(torch.less,))(_compare("lt"))
both("greater_equal", functions=(torch.greater_equal,))(_compare("ge"))
both("less_equal", functions=(torch.less_equal,))(_compare("le"))
both("not_equal", functions=(torch.not_equal,))(_compare("ne"))


def _logical(op):
    def conv(ctx, x, other):
        return getattr(ctx.b, op)(emit.as_value(ctx, x, "bool"), emit.as_value(ctx, other, "bool"))
    return conv


both("logical_and", functions=(torch.logical_and,))(_logical("logical_and"))
both("logical_or", functions=(torch.logical_or,))(_logical("logical_or"))
both("logical_xor", functions=(torch.logical_xor,))(_logical("logical_xor"))


def _bool_op(op):
    def conv(ctx, x, other):
        if ctx.out_dtype != "bool":
            raise ctx.unsupported("bitwise operators on integers (only on bool tensors)")
        return _logical(op)(ctx, x, other)
    return conv


fx_function(operator.and_)(_bool_op("logical_and"))
fx_function(operator.or_)(_bool_op("logical_or"))
fx_function(operator.xor)(_bool_op("logical_xor"))


@both("logical_not", functions=(torch.logical_not,))
def _logical_not(ctx, x):
    return ctx.b.logical_not(emit.cast(ctx, x, "bool"))


@fx_function(operator.invert)
@fx_method("bitwise_not", "__invert__")
def _invert(ctx, x):
    if x.dtype != "bool":
        raise ctx.unsupported("bitwise not of integers (only of bool tensors)")
    return ctx.b.logical_not(x)


@fx_function(torch.where)
def _where(ctx, cond, x=None, y=None):
    if x is None or y is None:
        raise ctx.unsupported("where(cond) with one argument (nonzero: a data-dependent shape)")
    return emit.where(ctx, cond, x, y)


@fx_method("where")
def _where_method(ctx, x, cond, y):
    return emit.where(ctx, cond, x, y)


@both("masked_fill", functions=(torch.masked_fill,))
def _masked_fill(ctx, x, mask, value):
    return emit.where(ctx, mask, value, x)


@both("lerp", functions=(torch.lerp,))
def _lerp(ctx, x, end, weight):
    b = ctx.b
    dt = ctx.out_dtype
    x, end = emit.as_value(ctx, x, dt), emit.as_value(ctx, end, dt)
    return b.add(x, b.mul(emit.as_value(ctx, weight, dt), b.sub(end, x)))


# ---- matmul and linear ---------------------------------------------------------------------------

@both("matmul", "__matmul__", functions=(torch.matmul, operator.matmul))
def _matmul(ctx, x, other):
    return emit.matmul(ctx, x, other)


@both("mm", "bmm", functions=(torch.mm, torch.bmm))
def _mm(ctx, x, mat2):
    return ctx.b.matmul(x, mat2)


@both("addmm", functions=(torch.addmm,))
def _addmm(ctx, bias, x, mat2, *, beta=1, alpha=1):
    return emit.addmm(ctx, bias, x, mat2, beta, alpha)


@fx_function(F.linear)
def _linear(ctx, x, weight, bias=None):
    return emit.linear(ctx, x, weight, bias)


@fx_module(nn.Linear)
def _linear_module(ctx, m, x):
    return emit.linear(ctx, x, _param(ctx, "weight"), _param(ctx, "bias") if m.bias is not None else None)


# ---- reductions --------------------------------------------------------------------------------

def _reduction(op):
    def conv(ctx, x, dim=None, keepdim=False, *, dtype=None, out=None):
        if out is not None:
            raise ctx.unsupported("out= arguments")
        return emit.reduce(ctx, op, x, dim, keepdim)
    return conv


both("sum", functions=(torch.sum,))(_reduction("sum"))
both("mean", functions=(torch.mean,))(_reduction("mean"))
both("prod", functions=(torch.prod,))(_reduction("prod"))
both("amax", functions=(torch.amax,))(_reduction("amax"))
both("amin", functions=(torch.amin,))(_reduction("amin"))


def _max_min(kind):
    def conv(ctx, x, dim=None, keepdim=False):
        if emit.is_value(dim):  # torch.max(x, y): elementwise
            return emit.binary(ctx, "max" if kind == "max" else "min", x, dim)
        if dim is None:
            return emit.reduce(ctx, "a" + kind, x, None, False)
        return emit.max_min_dim(ctx, kind, x, dim, keepdim)
    return conv


both("max", functions=(torch.max,))(_max_min("max"))
both("min", functions=(torch.min,))(_max_min("min"))


def _arg(kind):
    def conv(ctx, x, dim=None, keepdim=False):
        return emit.arg_reduce(ctx, kind, x, dim, keepdim)
    return conv


@both("gather", functions=(torch.gather,))
def _gather(ctx, x, dim, index, sparse_grad=False):
    return emit.take_along(ctx, x, dim, index)


@both("scatter", functions=(torch.scatter,))
def _scatter(ctx, x, dim, index, src=None, value=None, reduce=None):
    if reduce is not None:
        raise ctx.unsupported(f"scatter with reduce={reduce!r}")
    return emit.scatter(ctx, x, dim, index, value if src is None else src)


@both("scatter_add", functions=(torch.scatter_add,))
def _scatter_add(ctx, x, dim, index, src):
    return emit.scatter(ctx, x, dim, index, src, add=True)


@both("index_add", functions=(torch.index_add,))
def _index_add(ctx, x, dim, index, source, alpha=1):
    return emit.index_add(ctx, x, dim, index, source, alpha)


@both("index_copy", functions=(torch.index_copy,))
def _index_copy(ctx, x, dim, index, source):
    return emit.index_add(ctx, x, dim, index, source, add=False)


@both("index_fill", functions=(torch.index_fill,))
def _index_fill(ctx, x, dim, index, value):
    return emit.index_fill(ctx, x, dim, index, value)


@both("index_select", functions=(torch.index_select,))
def _index_select(ctx, x, dim, index):
    return emit.index_select(ctx, x, dim, index)


both("argmax", functions=(torch.argmax,))(_arg("max"))
both("argmin", functions=(torch.argmin,))(_arg("min"))


def _var_std(sqrt):
    def conv(ctx, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # var(x, unbiased)
            dim, unbiased = None, dim
        c = correction if correction is not None else (0 if unbiased is False else 1)
        v = emit.var(ctx, x, dim, c, keepdim)
        return ctx.b.sqrt(v) if sqrt else v
    return conv


both("var", functions=(torch.var,))(_var_std(False))
both("std", functions=(torch.std,))(_var_std(True))


@both("logsumexp", functions=(torch.logsumexp,))
def _logsumexp(ctx, x, dim, keepdim=False):
    return ctx.b.logsumexp(x, axis=emit.axes(ctx, dim, emit.rank(x)), keepdim=bool(keepdim))


def _softmax(op):
    def conv(ctx, x, dim=None, _stacklevel=3, dtype=None):
        if dim is None:
            dim = 0 if emit.rank(x) in (0, 1, 3) else 1  # PyTorch's implicit choice
        return emit.softmax(ctx, op, x, dim, dtype)
    return conv


both("softmax", functions=(torch.softmax, F.softmax))(_softmax("softmax"))
both("log_softmax", functions=(torch.log_softmax, F.log_softmax))(_softmax("log_softmax"))


# ---- shapes ---------------------------------------------------------------------------------------

@fx_method("view", "reshape")
def _view(ctx, x, *shape):
    if len(shape) == 1 and isinstance(shape[0], torch.dtype):
        raise ctx.unsupported("view as another dtype")
    return emit.reshape(ctx, x, emit.sizes(shape))


@fx_function(torch.reshape)
def _reshape(ctx, x, shape):
    return emit.reshape(ctx, x, emit.sizes([shape]))


@fx_method("view_as", "reshape_as")
def _view_as(ctx, x, other):
    return emit.reshape(ctx, x, list(other.shape))


@both("flatten", functions=(torch.flatten,))
def _flatten(ctx, x, start_dim=0, end_dim=-1):
    return emit.flatten(ctx, x, start_dim, end_dim)


@fx_module(nn.Flatten)
def _flatten_module(ctx, m, x):
    return emit.flatten(ctx, x, m.start_dim, m.end_dim)


@fx_method("unflatten")
def _unflatten(ctx, x, dim, sizes):
    s = emit.shape(x)
    d = emit.axis(ctx, dim, len(s))
    return emit.reshape(ctx, x, s[:d] + emit.infer_shape(ctx, list(sizes), s[d]) + s[d + 1:])


@fx_method("permute")
def _permute_method(ctx, x, *dims):
    return emit.permute(ctx, x, emit.sizes(dims))


@fx_function(torch.permute)
def _permute(ctx, x, dims):
    return emit.permute(ctx, x, list(dims))


@both("transpose", "swapaxes", "swapdims", functions=(torch.transpose, torch.swapaxes, torch.swapdims))
def _transpose(ctx, x, dim0, dim1):
    y = emit.transpose(ctx, x, dim0, dim1)
    return ctx.note_transpose(y, x) if emit.rank(x) == 2 and y is not x else y


@both("t", functions=(torch.t,))
def _t(ctx, x):
    return _transpose(ctx, x, 0, 1) if emit.rank(x) == 2 else x


@fx_function(getattr)
def _getattr(ctx, x, name):
    if isinstance(x, tuple):  # torch.return_types: (values, indices)
        fields = {"values": 0, "indices": 1}
        if name in fields:
            return x[fields[name]]
        raise ctx.unsupported(f"field '{name}' of a result tuple")
    if name == "T":
        return emit.permute(ctx, x, list(reversed(range(emit.rank(x)))))
    if name in ("data",):
        return x
    raise ctx.unsupported(f"attribute '{name}' of a tensor")


@both("unsqueeze", functions=(torch.unsqueeze,))
def _unsqueeze(ctx, x, dim):
    return emit.unsqueeze(ctx, x, dim)


@both("squeeze", functions=(torch.squeeze,))
def _squeeze(ctx, x, dim=None):
    return emit.squeeze(ctx, x, dim)


@fx_method("expand")
def _expand(ctx, x, *sizes):
    return emit.expand(ctx, x, emit.sizes(sizes))


@fx_method("expand_as")
def _expand_as(ctx, x, other):
    return emit.expand(ctx, x, list(other.shape))


@both("contiguous", "detach", functions=(torch.detach,))
def _identity(ctx, x, memory_format=None):
    return x


@both("clone", functions=(torch.clone,))
def _clone(ctx, x, memory_format=None):
    return x  # a region output that is its input is copied (runtime.CinnRegion)


@fx_module(nn.Identity)
def _identity_module(ctx, m, x, *args, **kwargs):
    return x


def _cast_to(dtype):
    def conv(ctx, x, memory_format=None):
        return emit.cast(ctx, x, emit.DTYPES[dtype])
    return conv


for _m, _dt in {"float": torch.float32, "double": torch.float64, "half": torch.float16,
                "int": torch.int32, "long": torch.int64, "bool": torch.bool, "byte": torch.uint8,
                "short": torch.int16, "char": torch.int8}.items():
    fx_method(_m)(_cast_to(_dt))


@fx_method("to", "type")
def _to(ctx, x, *args, **kwargs):
    dtype = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, torch.dtype):
            dtype = a
        elif isinstance(a, (str, torch.device)):
            if torch.device(a).type != "cpu":
                raise ctx.unsupported(f"a move to {a}")
        elif emit.is_value(a):
            dtype = emit.TORCH_DTYPES[a.dtype]
        elif a is not None:
            raise ctx.unsupported(f"to({a!r})")
    if dtype is None:
        return x
    dt = emit.cinn_dtype(dtype)
    if dt is None:
        raise ctx.error(_cinn.DTypeError, f"conversion to {dtype}, which CINN does not support")
    return emit.cast(ctx, x, dt)


@fx_method("type_as")
def _type_as(ctx, x, other):
    return emit.cast(ctx, x, other.dtype)


@fx_function(torch.cat, torch.concat)
def _cat(ctx, tensors, dim=0):
    return emit.concat(ctx, list(tensors), dim)


_cat.takes_empty = True  # empty pieces are left out


@fx_function(torch.stack)
def _stack(ctx, tensors, dim=0):
    tensors = list(tensors)
    d = emit.axis(ctx, dim, emit.rank(tensors[0]) + 1)
    return emit.concat(ctx, [emit.unsqueeze(ctx, t, d) for t in tensors], d)


@both("split", functions=(torch.split,))
def _split(ctx, x, split_size_or_sections, dim=0):
    secs, d = emit.split_sizes(ctx, x, split_size_or_sections, dim)
    return emit.split(ctx, x, secs, d)


@both("chunk", functions=(torch.chunk,))
def _chunk(ctx, x, chunks, dim=0):
    d = emit.axis(ctx, dim, emit.rank(x))
    size = emit.shape(x)[d]
    step = -(-size // int(chunks))
    return emit.split(ctx, x, emit.split_sizes(ctx, x, step, d)[0], d)


@both("unbind", functions=(torch.unbind,))
def _unbind(ctx, x, dim=0):
    d = emit.axis(ctx, dim, emit.rank(x))
    return tuple(emit.select(ctx, x, d, i) for i in range(emit.shape(x)[d]))


@both("narrow", functions=(torch.narrow,))
def _narrow(ctx, x, dim, start, length):
    d = emit.axis(ctx, dim, emit.rank(x))
    start = int(start) + (emit.shape(x)[d] if int(start) < 0 else 0)
    return emit.slice_axis(ctx, x, d, start, start + int(length), 1)


@both("select", functions=(torch.select,))
def _select(ctx, x, dim, index):
    return emit.select(ctx, x, emit.axis(ctx, dim, emit.rank(x)), index)


@fx_function(operator.getitem)
def _getitem(ctx, x, idx):
    if isinstance(x, (tuple, list)):
        return x[idx]
    if not emit.is_value(x):
        raise ctx.unsupported(f"indexing a {type(x).__name__}")
    return emit.index(ctx, x, idx)


@both("flip", functions=(torch.flip,))
def _flip(ctx, x, *dims):
    return emit.flip(ctx, x, emit.sizes(dims))


@fx_method("repeat")
def _repeat(ctx, x, *sizes):
    return emit.repeat(ctx, x, emit.sizes(sizes))


@both("tile", functions=(torch.tile,))
def _tile(ctx, x, dims):
    dims = emit.ints(dims)
    r = emit.rank(x)
    return emit.repeat(ctx, x, [1] * (r - len(dims)) + dims)


@fx_function(F.pad)
def _pad(ctx, x, pad, mode="constant", value=None):
    return emit.pad(ctx, x, pad, mode, value)


# ---- tensor factories -----------------------------------------------------------------------------

def _factory_dtype(ctx, dtype, device):
    if device is not None and torch.device(device).type != "cpu":
        raise ctx.unsupported(f"a tensor created on {device}")
    return ctx.out_dtype


def _like(value):
    def conv(ctx, x, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
             pin_memory=False):
        return emit.full(ctx, emit.shape(x), value, _factory_dtype(ctx, dtype, device))
    return conv


fx_function(torch.zeros_like)(_like(0))
fx_function(torch.ones_like)(_like(1))


@fx_function(torch.full_like)
def _full_like(ctx, x, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, pin_memory=False):
    return emit.full(ctx, emit.shape(x), fill_value, _factory_dtype(ctx, dtype, device))


def _filled(value):
    def conv(ctx, *size, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
             out=None):
        return emit.full(ctx, emit.sizes(size), value, _factory_dtype(ctx, dtype, device))
    return conv


fx_function(torch.zeros)(_filled(0))
fx_function(torch.ones)(_filled(1))


@fx_function(torch.full)
def _full(ctx, size, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, out=None):
    return emit.full(ctx, emit.sizes([size]), fill_value, _factory_dtype(ctx, dtype, device))


@fx_function(torch.arange)
def _arange(ctx, *args, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
            out=None):
    return emit.arange(ctx, args, _factory_dtype(ctx, dtype, device))


# ---- layers -----------------------------------------------------------------------------------------

@fx_function(F.conv1d)
def _conv1d(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return emit.conv_nd(ctx, x, weight, bias, stride, padding, dilation, groups, 1)


@fx_function(F.conv2d)
def _conv2d(ctx, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return emit.conv_nd(ctx, x, weight, bias, stride, padding, dilation, groups, 2)


@fx_module(nn.Conv1d, nn.Conv2d)
def _conv_module(ctx, m, x):
    if m.padding_mode != "zeros":
        raise ctx.unsupported(f"padding_mode '{m.padding_mode}' (only 'zeros')")
    nd = 1 if isinstance(m, nn.Conv1d) else 2
    bias = _param(ctx, "bias") if m.bias is not None else None
    return emit.conv_nd(ctx, x, _param(ctx, "weight"), bias, m.stride, m.padding, m.dilation, m.groups, nd)


@fx_function(F.batch_norm)
def _batch_norm(ctx, x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                eps=1e-5):
    if training:
        raise ctx.unsupported("F.batch_norm in training mode (use nn.BatchNorm, or run with gradients)")
    return emit.batch_norm_infer(ctx, x, weight, bias, running_mean, running_var, eps)


@fx_module(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm_module(ctx, m, x):
    w = _param(ctx, "weight") if m.affine else None
    bias = _param(ctx, "bias") if m.affine else None
    if not m.training and m.track_running_stats:
        return emit.batch_norm_infer(ctx, x, w, bias, _param(ctx, "running_mean"),
                                     _param(ctx, "running_var"), m.eps)
    y, mean, _, unbiased = emit.batch_norm_train(ctx, x, w, bias, m.eps)
    if m.training and m.track_running_stats:
        if ctx.freeze:
            raise ctx.unsupported("batch_norm in training mode updates its buffers; freeze=True "
                                  "made them constants")
        b = ctx.b
        rm, rv = _param(ctx, "running_mean"), _param(ctx, "running_var")
        nbt = _param(ctx, "num_batches_tracked")
        count = b.add(nbt, emit.scalar(ctx, 1, nbt.dtype))
        ctx.mutate(nbt, count)
        if m.momentum is None:  # cumulative moving average: factor 1 / batches seen
            f = b.div(emit.scalar(ctx, 1, rm.dtype), emit.cast(ctx, count, rm.dtype))
            one_minus = b.sub(emit.scalar(ctx, 1, rm.dtype), f)
            ctx.mutate(rm, b.add(b.mul(rm, one_minus), b.mul(mean, f)))
            ctx.mutate(rv, b.add(b.mul(rv, one_minus), b.mul(unbiased, f)))
        else:
            ctx.mutate(rm, emit.running_update(ctx, rm, mean, m.momentum))
            ctx.mutate(rv, emit.running_update(ctx, rv, unbiased, m.momentum))
    return y


@fx_function(F.layer_norm)
def _layer_norm(ctx, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    return emit.layer_norm(ctx, x, normalized_shape, weight, bias, eps)


@fx_module(nn.LayerNorm)
def _layer_norm_module(ctx, m, x):
    w = _param(ctx, "weight") if m.elementwise_affine else None
    bias = _param(ctx, "bias") if m.elementwise_affine else None
    return emit.layer_norm(ctx, x, m.normalized_shape, w, bias, m.eps)


@fx_function(F.group_norm)
def _group_norm(ctx, x, num_groups, weight=None, bias=None, eps=1e-5):
    return emit.group_norm(ctx, x, num_groups, weight, bias, eps)


@fx_module(nn.GroupNorm)
def _group_norm_module(ctx, m, x):
    w = _param(ctx, "weight") if m.affine else None
    bias = _param(ctx, "bias") if m.affine else None
    return emit.group_norm(ctx, x, m.num_groups, w, bias, m.eps)


@fx_function(F.max_pool2d)
def _max_pool2d(ctx, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False):
    if return_indices:
        raise ctx.unsupported("max_pool2d with return_indices=True")
    return emit.pool2d(ctx, x, "max", kernel_size, stride, padding, dilation, ceil_mode)


@fx_function(F.avg_pool2d)
def _avg_pool2d(ctx, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
    return emit.pool2d(ctx, x, "avg", kernel_size, stride, padding, 1, ceil_mode, count_include_pad,
                       divisor_override)


@fx_module(nn.MaxPool2d)
def _max_pool2d_module(ctx, m, x):
    if m.return_indices:
        raise ctx.unsupported("MaxPool2d with return_indices=True")
    return emit.pool2d(ctx, x, "max", m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode)


@fx_module(nn.AvgPool2d)
def _avg_pool2d_module(ctx, m, x):
    return emit.pool2d(ctx, x, "avg", m.kernel_size, m.stride, m.padding, 1, m.ceil_mode,
                       m.count_include_pad, m.divisor_override)


@fx_function(F.adaptive_avg_pool2d)
def _adaptive_avg_pool2d(ctx, x, output_size):
    return emit.adaptive_avg_pool2d(ctx, x, output_size)


@fx_module(nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool2d_module(ctx, m, x):
    return emit.adaptive_avg_pool2d(ctx, x, m.output_size)


@fx_function(F.dropout, F.dropout2d, F.dropout1d, F.alpha_dropout)
def _dropout(ctx, x, p=0.5, training=True, inplace=False):
    if training and p > 0:
        raise ctx.unsupported("dropout in training mode draws random numbers; PyTorch runs it")
    return x


@fx_module(nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout)
def _dropout_module(ctx, m, x):
    return _dropout(ctx, x, m.p, m.training)


try:  # torchvision's stochastic depth (EfficientNet, ConvNeXt) is an fx leaf function
    from torchvision.ops import stochastic_depth as _stochastic_depth
except ImportError:  # pragma: no cover - torchvision is optional
    _stochastic_depth = None

if _stochastic_depth is not None:
    @fx_function(_stochastic_depth)
    def _stochastic_depth_conv(ctx, x, p, mode, training=True):
        if training and p > 0:
            raise ctx.unsupported("stochastic depth in training mode draws random numbers; PyTorch runs it")
        return x


@fx_function(F.embedding)
def _embedding(ctx, ids, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
               sparse=False):
    if max_norm is not None:
        raise ctx.unsupported("embedding with max_norm (renormalizes the table in place)")
    return emit.embedding(ctx, weight, ids)


@fx_module(nn.Embedding)
def _embedding_module(ctx, m, ids):
    if m.max_norm is not None:
        raise ctx.unsupported("Embedding with max_norm (renormalizes the table in place)")
    return emit.embedding(ctx, _param(ctx, "weight"), ids)


@fx_function(F.interpolate)
def _interpolate(ctx, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None, antialias=False):
    if mode != "nearest" or antialias:
        raise ctx.unsupported(f"interpolate mode '{mode}' (only 'nearest' by integer factors)")
    return emit.interpolate_nearest(ctx, x, size, scale_factor)


@fx_module(nn.Upsample)
def _upsample_module(ctx, m, x):
    if m.mode != "nearest":
        raise ctx.unsupported(f"Upsample mode '{m.mode}' (only 'nearest' by integer factors)")
    return emit.interpolate_nearest(ctx, x, m.size, m.scale_factor)


@fx_function(F.pixel_shuffle)
def _pixel_shuffle(ctx, x, upscale_factor):
    return ctx.b.pixel_shuffle(x, upscale_factor=int(upscale_factor))


@fx_module(nn.PixelShuffle)
def _pixel_shuffle_module(ctx, m, x):
    return ctx.b.pixel_shuffle(x, upscale_factor=int(m.upscale_factor))


# ---- activation modules ----------------------------------------------------------------------------

def _module(fn):
    def conv(ctx, m, x):
        return fn(ctx, x)
    return conv


fx_module(nn.ReLU)(_module(emit.relu))
fx_module(nn.ReLU6)(_module(lambda ctx, x: emit.hardtanh(ctx, x, 0.0, 6.0)))
fx_module(nn.Sigmoid)(_module(lambda ctx, x: emit.unary(ctx, "sigmoid", x)))
fx_module(nn.Tanh)(_module(lambda ctx, x: emit.unary(ctx, "tanh", x)))
fx_module(nn.SiLU)(_module(lambda ctx, x: ctx.b.silu(x)))
fx_module(nn.Mish)(_module(lambda ctx, x: ctx.b.mish(x)))
fx_module(nn.Hardswish)(_module(lambda ctx, x: ctx.b.hard_swish(x)))
fx_module(nn.Hardsigmoid)(_module(_hardsigmoid_value))
fx_module(nn.LogSigmoid)(_module(lambda ctx, x: ctx.b.log_sigmoid(x)))


@fx_module(nn.GELU)
def _gelu_module(ctx, m, x):
    return emit.gelu(ctx, x, m.approximate)


@fx_module(nn.LeakyReLU)
def _leaky_relu_module(ctx, m, x):
    return emit.leaky_relu(ctx, x, m.negative_slope)


@fx_module(nn.ELU)
def _elu_module(ctx, m, x):
    return emit.elu(ctx, x, m.alpha)


@fx_module(nn.Hardtanh)
def _hardtanh_module(ctx, m, x):
    return emit.hardtanh(ctx, x, m.min_val, m.max_val)


@fx_module(nn.Softplus)
def _softplus_module(ctx, m, x):
    return emit.softplus(ctx, x, m.beta, m.threshold)


@fx_module(nn.Softmax)
def _softmax_module(ctx, m, x):
    return _softmax("softmax")(ctx, x, m.dim)


@fx_module(nn.LogSoftmax)
def _log_softmax_module(ctx, m, x):
    return _softmax("log_softmax")(ctx, x, m.dim)

