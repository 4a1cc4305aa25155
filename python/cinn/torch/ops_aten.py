"""aten converters: the ops of the forward and backward graphs AOTAutograd captures for
training (after the decompositions of :data:`cinn.torch.training.DECOMPOSITIONS`).

Converters take the op's schema arguments. The backward ops of convolution and pooling
reuse CINN's own gradient rules through ``NetBuilder.vjp``, so their derivatives are the
ones ``cinn.grad`` uses.
"""

import torch

from .. import _pooling
from . import emit, strided
from .convert import aten

A = torch.ops.aten


# ---- elementwise ---------------------------------------------------------------------------

_UNARY = {A.relu: "relu", A.sigmoid: "sigmoid", A.tanh: "tanh", A.exp: "exp", A.log: "log",
          A.sqrt: "sqrt", A.rsqrt: "rsqrt", A.abs: "abs", A.erf: "erf", A.sin: "sin", A.cos: "cos",
          A.reciprocal: "reciprocal", A.sign: "sign", A.silu: "silu", A.hardswish: "hard_swish",
          A.mish: "mish"}


def _unary(op):
    def conv(ctx, x):
        if op == "relu":
            return emit.relu(ctx, x)
        return emit.unary(ctx, op, x)
    return conv


for _packet, _op in _UNARY.items():
    aten(_packet)(_unary(_op))


@aten(A.neg)
def _neg(ctx, x):
    return ctx.b.neg(x)


@aten(A.floor, A.ceil)
def _floor_ceil(ctx, x):
    return getattr(ctx.b, ctx.node.target.overloadpacket.__name__)(x) if emit.is_float(x.dtype) else x


@aten(A.hardsigmoid)
def _hardsigmoid(ctx, x):
    return ctx.b.clip(ctx.b.add(ctx.b.mul(x, emit.scalar(ctx, 1 / 6, x.dtype)), emit.scalar(ctx, 0.5, x.dtype)),
                      min=0.0, max=1.0)


@aten(A.hardtanh)
def _hardtanh(ctx, x, min_val=-1, max_val=1):
    return emit.hardtanh(ctx, x, min_val, max_val)


@aten(A.gelu)
def _gelu(ctx, x, approximate="none"):
    return emit.gelu(ctx, x, approximate)


@aten(A.leaky_relu)
def _leaky_relu(ctx, x, negative_slope=0.01):
    return emit.leaky_relu(ctx, x, negative_slope)


@aten(A.elu)
def _elu(ctx, x, alpha=1, scale=1, input_scale=1):
    return emit.elu(ctx, x, alpha, scale, input_scale)


@aten(A.softplus)
def _softplus(ctx, x, beta=1, threshold=20):
    return emit.softplus(ctx, x, beta, threshold)


@aten(A.clamp)
def _clamp(ctx, x, min=None, max=None):  # noqa: A002
    return emit.clamp(ctx, x, min, max)


@aten(A.clamp_min)
def _clamp_min(ctx, x, min):  # noqa: A002
    return emit.clamp(ctx, x, min, None)


@aten(A.clamp_max)
def _clamp_max(ctx, x, max):  # noqa: A002
    return emit.clamp(ctx, x, None, max)


def _add_sub(op):
    def conv(ctx, x, other, alpha=1):
        return emit.add(ctx, x, other, alpha, op=op)
    return conv


aten(A.add)(_add_sub("add"))
aten(A.sub)(_add_sub("sub"))


@aten(A.rsub)
def _rsub(ctx, x, other, alpha=1):
    return emit.add(ctx, other, x, alpha, op="sub")


@aten(A.mul)
def _mul(ctx, x, other):
    return emit.binary(ctx, "mul", x, other)


@aten(A.div)
def _div(ctx, x, other, rounding_mode=None):
    return emit.div(ctx, x, other, rounding_mode)


@aten(A.maximum)
def _maximum(ctx, x, other):
    return emit.binary(ctx, "max", x, other)


@aten(A.minimum)
def _minimum(ctx, x, other):
    return emit.binary(ctx, "min", x, other)


@aten(A.pow)
def _pow(ctx, x, exponent):
    if not emit.is_float(ctx.out_dtype):
        raise ctx.unsupported("integer pow")
    if not emit.is_value(exponent) and exponent == 2:
        x = emit.cast(ctx, x, ctx.out_dtype)
        return ctx.b.mul(x, x)
    return emit.binary(ctx, "pow", x, exponent)


def _compare(op):
    def conv(ctx, x, other):
        return emit.compare(ctx, op, x, other)
    return conv


for _p, _op in ((A.eq, "eq"), (A.ne, "ne"), (A.lt, "lt"), (A.le, "le"), (A.gt, "gt"), (A.ge, "ge")):
    aten(_p)(_compare(_op))


@aten(A.logical_not)
def _logical_not(ctx, x):
    return ctx.b.logical_not(emit.cast(ctx, x, "bool"))


def _logical(op, bitwise):
    def conv(ctx, x, other):
        if bitwise and ctx.out_dtype != "bool":
            raise ctx.unsupported("bitwise operators on integers (only on bool tensors)")
        return getattr(ctx.b, op)(emit.as_value(ctx, x, "bool"), emit.as_value(ctx, other, "bool"))
    return conv


for _op in ("and", "or", "xor"):
    aten(getattr(A, f"logical_{_op}"))(_logical(f"logical_{_op}", False))
    aten(getattr(A, f"bitwise_{_op}"))(_logical(f"logical_{_op}", True))


@aten(A.bitwise_not)
def _bitwise_not(ctx, x):
    if x.dtype != "bool":
        raise ctx.unsupported("bitwise not of integers (only of bool tensors)")
    return ctx.b.logical_not(x)


@aten(A.where.self)
def _where(ctx, cond, x, y):
    return emit.where(ctx, cond, x, y)


@aten(A.masked_fill)
def _masked_fill(ctx, x, mask, value):
    return emit.where(ctx, mask, value, x)


@aten(A.threshold_backward)
def _threshold_backward(ctx, grad, x, threshold):
    # grad where x > threshold, else 0
    b = ctx.b
    keep = b.compare(x, emit.scalar(ctx, threshold, x.dtype), op="gt")
    return b.where(keep, grad, emit.scalar(ctx, 0, grad.dtype))


@aten(A._to_copy)
def _to_copy(ctx, x, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
             memory_format=None):
    if device is not None and torch.device(device).type != "cpu":
        raise ctx.unsupported(f"a copy to {device}")
    return emit.cast(ctx, x, ctx.out_dtype)


@aten(A.clone, A.alias, A.detach, A.lift_fresh_copy, A.lift_fresh)
def _copy(ctx, x, memory_format=None):
    return x  # a region output that is its input is copied (runtime.CinnRegion)


# ---- shapes ----------------------------------------------------------------------------------------

@aten(A.view, A._unsafe_view, A.reshape)
def _view(ctx, x, size):
    if isinstance(size, torch.dtype):
        raise ctx.unsupported("view as another dtype")
    return emit.reshape(ctx, x, emit.ints(size))


def _layout(ctx, n):
    lay = strided.layout(ctx.analysis, n)
    if lay is None:
        raise ctx.unsupported(f"the memory layout of its input '{n.name}' is not recorded")
    return lay


@aten(A._reshape_alias)
def _reshape_alias(ctx, x, size, stride):
    """x.as_strided(size, stride) at x's own offset (what reshape returns when it can
    make a view); see cinn.torch.strided."""
    _, x_stride, _ = _layout(ctx, ctx.node.args[0])
    return strided.as_strided(ctx, x, x_stride, emit.ints(size), emit.ints(stride), 0)


def _strided_base(ctx, op, storage_offset):
    """The input's strides and the view's first element relative to the input's (the
    storage offset given minus the input's own)."""
    _, x_stride, offset = _layout(ctx, ctx.node.args[0])
    if storage_offset is None:
        return x_stride, 0
    if offset is None:
        raise ctx.unsupported(f"{op} with storage offset {storage_offset} of a view whose own "
                              "storage offset is not known")
    return x_stride, int(storage_offset) - offset


@aten(A.as_strided)
def _as_strided(ctx, x, size, stride, storage_offset=None):
    x_stride, base = _strided_base(ctx, "as_strided", storage_offset)
    return strided.as_strided(ctx, x, x_stride, emit.ints(size), emit.ints(stride), base)


@aten(A.as_strided_scatter)
def _as_strided_scatter(ctx, x, src, size, stride, storage_offset=None):
    x_stride, base = _strided_base(ctx, "as_strided_scatter", storage_offset)
    return strided.as_strided_scatter(ctx, x, src, x_stride, emit.ints(size), emit.ints(stride), base)


@aten(A.slice_scatter)
def _slice_scatter(ctx, x, src, dim=0, start=None, end=None, step=1):
    return strided.slice_scatter(ctx, x, src, emit.axis(ctx, dim, emit.rank(x)), start, end, step)


@aten(A.select_scatter)
def _select_scatter(ctx, x, src, dim, index):
    d = emit.axis(ctx, dim, emit.rank(x))
    i = int(index) + (emit.shape(x)[d] if int(index) < 0 else 0)
    return strided.slice_scatter(ctx, x, emit.unsqueeze(ctx, src, d), d, i, i + 1, 1)


@aten(A.t)
def _t(ctx, x):
    if emit.rank(x) < 2:
        return x
    return ctx.note_transpose(emit.transpose(ctx, x, 0, 1), x)


@aten(A.transpose.int)
def _transpose(ctx, x, dim0, dim1):
    y = emit.transpose(ctx, x, dim0, dim1)
    return ctx.note_transpose(y, x) if emit.rank(x) == 2 and y is not x else y


@aten(A.permute)
def _permute(ctx, x, dims):
    return emit.permute(ctx, x, emit.ints(dims))


@aten(A.unsqueeze)
def _unsqueeze(ctx, x, dim):
    return emit.unsqueeze(ctx, x, dim)


@aten(A.squeeze)
def _squeeze(ctx, x, dim=None):
    return emit.squeeze(ctx, x, dim)


@aten(A.expand)
def _expand(ctx, x, size, implicit=False):
    return emit.expand(ctx, x, emit.ints(size))


@aten(A.cat)
def _cat(ctx, tensors, dim=0):
    return emit.concat(ctx, list(tensors), dim)


_cat.takes_empty = True  # empty pieces are left out


@aten(A.split.Tensor)
def _split(ctx, x, split_size, dim=0):
    secs, d = emit.split_sizes(ctx, x, int(split_size), dim)
    return emit.split(ctx, x, secs, d)


@aten(A.split_with_sizes)
def _split_with_sizes(ctx, x, split_sizes, dim=0):
    secs, d = emit.split_sizes(ctx, x, emit.ints(split_sizes), dim)
    return emit.split(ctx, x, secs, d)


@aten(A.slice.Tensor)
def _slice(ctx, x, dim=0, start=None, end=None, step=1):
    d = emit.axis(ctx, dim, emit.rank(x))
    size = emit.shape(x)[d]
    end = None if end is not None and end >= size else end
    return emit.slice_axis(ctx, x, d, start, end, step)


@aten(A.select.int)
def _select(ctx, x, dim, index):
    return emit.select(ctx, x, emit.axis(ctx, dim, emit.rank(x)), index)


@aten(A.flip)
def _flip(ctx, x, dims):
    return emit.flip(ctx, x, dims)


@aten(A.constant_pad_nd)
def _constant_pad_nd(ctx, x, pad, value=0):
    return emit.pad(ctx, x, pad, "constant", value)


@aten(A.repeat)
def _repeat(ctx, x, repeats):
    return emit.repeat(ctx, x, repeats)


# ---- factories -------------------------------------------------------------------------------------

def _check_device(ctx, device):
    if device is not None and torch.device(device).type != "cpu":
        raise ctx.unsupported(f"a tensor created on {device}")


@aten(A.zero)
def _zero(ctx, x):
    return emit.full(ctx, emit.shape(x), 0.0, ctx.out_dtype)


@aten(A.zeros_like, A.ones_like, A.empty_like)
def _like(ctx, x, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    _check_device(ctx, device)
    value = 1.0 if ctx.node.target.overloadpacket is A.ones_like else 0.0
    return emit.full(ctx, emit.shape(x), value, ctx.out_dtype)


@aten(A.full_like)
def _full_like(ctx, x, fill_value, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    _check_device(ctx, device)
    return emit.full(ctx, emit.shape(x), fill_value, ctx.out_dtype)


@aten(A.new_zeros, A.new_ones, A.new_empty)
def _new_filled(ctx, x, size, dtype=None, layout=None, device=None, pin_memory=None):
    _check_device(ctx, device)
    value = 1.0 if ctx.node.target.overloadpacket is A.new_ones else 0.0
    return emit.full(ctx, emit.ints(size), value, ctx.out_dtype)


@aten(A.arange)
def _arange(ctx, *args, dtype=None, layout=None, device=None, pin_memory=None):
    _check_device(ctx, device)
    return emit.arange(ctx, args, ctx.out_dtype)


@aten(A.zeros, A.ones, A.empty.memory_format)
def _filled(ctx, size, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    _check_device(ctx, device)
    value = 1.0 if ctx.node.target.overloadpacket is A.ones else 0.0
    return emit.full(ctx, emit.ints(size), value, ctx.out_dtype)


@aten(A.full)
def _full(ctx, size, fill_value, dtype=None, layout=None, device=None, pin_memory=None):
    _check_device(ctx, device)
    return emit.full(ctx, emit.ints(size), fill_value, ctx.out_dtype)


@aten(A.scalar_tensor)
def _scalar_tensor(ctx, s, dtype=None, layout=None, device=None, pin_memory=None):
    _check_device(ctx, device)
    return emit.full(ctx, [], s, ctx.out_dtype)


# ---- reductions ----------------------------------------------------------------------------------

def _reduction(op):
    def conv(ctx, x, dim=None, keepdim=False, dtype=None):
        return emit.reduce(ctx, op, x, dim, keepdim)
    return conv


aten(A.sum)(_reduction("sum"))
aten(A.mean)(_reduction("mean"))
aten(A.prod)(_reduction("prod"))


@aten(A.amax, A.amin)
def _amax(ctx, x, dim=(), keepdim=False):
    op = ctx.node.target.overloadpacket.__name__
    return emit.reduce(ctx, op, x, dim, keepdim)


@aten(A.max.dim, A.min.dim)
def _max_dim(ctx, x, dim, keepdim=False):
    return emit.max_min_dim(ctx, ctx.node.target.overloadpacket.__name__, x, dim, keepdim)


@aten(A.argmax, A.argmin)
def _argmax(ctx, x, dim=None, keepdim=False):
    return emit.arg_reduce(ctx, ctx.node.target.overloadpacket.__name__[3:], x, dim, keepdim)


@aten(A.var.correction)
def _var(ctx, x, dim=None, correction=None, keepdim=False):
    return emit.var(ctx, x, dim, 1 if correction is None else correction, keepdim)


@aten(A.var_mean.correction)
def _var_mean(ctx, x, dim=None, correction=None, keepdim=False):
    v = emit.var(ctx, x, dim, 1 if correction is None else correction, keepdim)
    return v, emit.reduce(ctx, "mean", x, dim, keepdim)


@aten(A._softmax)
def _softmax(ctx, x, dim, half_to_float=False):
    return emit.softmax(ctx, "softmax", x, dim)


@aten(A._log_softmax)
def _log_softmax(ctx, x, dim, half_to_float=False):
    return emit.softmax(ctx, "log_softmax", x, dim)


@aten(A.logsumexp)
def _logsumexp(ctx, x, dim, keepdim=False):
    return ctx.b.logsumexp(x, axis=emit.axes(ctx, dim, emit.rank(x)), keepdim=bool(keepdim))


@aten(A.gather)
def _gather(ctx, x, dim, index, sparse_grad=False):
    return emit.take_along(ctx, x, dim, index)


@aten(A.scatter.src, A.scatter.value)
def _scatter(ctx, x, dim, index, src):
    return emit.scatter(ctx, x, dim, index, src)


@aten(A.scatter_add)
def _scatter_add(ctx, x, dim, index, src):
    return emit.scatter(ctx, x, dim, index, src, add=True)


@aten(A.index_add)
def _index_add(ctx, x, dim, index, source, alpha=1):
    return emit.index_add(ctx, x, dim, index, source, alpha)


@aten(A.index_copy)
def _index_copy(ctx, x, dim, index, source):
    return emit.index_add(ctx, x, dim, index, source, add=False)


@aten(A.index_fill.int_Scalar, A.index_fill.int_Tensor)
def _index_fill(ctx, x, dim, index, value):
    return emit.index_fill(ctx, x, dim, index, value)


@aten(A.index_select)
def _index_select(ctx, x, dim, index):
    return emit.index_select(ctx, x, dim, index)


# ---- matmul ----------------------------------------------------------------------------------------

@aten(A.mm, A.bmm, A.matmul)
def _mm(ctx, x, y):
    return emit.matmul(ctx, x, y)


@aten(A.addmm)
def _addmm(ctx, bias, x, y, beta=1, alpha=1):
    return emit.addmm(ctx, bias, x, y, beta, alpha)


@aten(A.linear)
def _linear(ctx, x, weight, bias=None):
    return emit.linear(ctx, x, weight, bias)


@aten(A.embedding)
def _embedding(ctx, weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return emit.embedding(ctx, weight, indices)


@aten(A.embedding_dense_backward)
def _embedding_dense_backward(ctx, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    return emit.embedding_backward(ctx, grad, indices, num_weights, padding_idx, scale_grad_by_freq)


# ---- convolution --------------------------------------------------------------------------------------

def _conv_dims(ctx, x, transposed, output_padding):
    if transposed:
        raise ctx.unsupported("transposed convolution")
    nd = emit.rank(x) - 2
    if nd not in (1, 2):
        raise ctx.unsupported(f"{nd}-D convolution (only 1-D and 2-D)")
    return nd


@aten(A.convolution)
def _convolution(ctx, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    nd = _conv_dims(ctx, x, transposed, output_padding)
    return emit.conv_nd(ctx, x, weight, bias, stride, padding, dilation, groups, nd)


@aten(A.convolution_backward)
def _convolution_backward(ctx, grad, x, weight, bias_sizes, stride, padding, dilation, transposed,
                          output_padding, groups, output_mask):
    """(dx, dw, db) from CINN's conv2d gradient rule; 1-D convolutions as 2-D of height 1."""
    nd = _conv_dims(ctx, x, transposed, output_padding)
    b = ctx.b
    stride, padding, dilation = emit.pair(stride, nd), emit.pair(padding, nd), emit.pair(dilation, nd)
    g, xv, wv = grad, x, weight
    if nd == 1:
        g = emit.reshape(ctx, g, emit.shape(g)[:2] + [1] + emit.shape(g)[2:])
        xv = emit.reshape(ctx, xv, emit.shape(xv)[:2] + [1] + emit.shape(xv)[2:])
        wv = emit.reshape(ctx, wv, emit.shape(wv)[:2] + [1] + emit.shape(wv)[2:])
        stride, padding, dilation = [1] + stride, [0] + padding, [1] + dilation
    dx, dw = None, None
    if output_mask[0] or output_mask[1]:
        dx, dw = b.vjp("conv2d", [xv, wv], [g], stride=stride, padding=padding, dilation=dilation,
                       groups=int(groups))
        if nd == 1:
            dx = emit.reshape(ctx, dx, emit.shape(x))
            dw = emit.reshape(ctx, dw, emit.shape(weight))
    db = b.sum(grad, axis=[0] + list(range(2, emit.rank(grad)))) if output_mask[2] else None
    return (dx if output_mask[0] else None, dw if output_mask[1] else None, db)


# ---- pooling ------------------------------------------------------------------------------------------

def _simple_window(ctx, x, kernel, stride, padding, dilation, ceil_mode, what):
    """(kernel, stride, padding) when pool2d computes these windows directly."""
    k = emit.pair(kernel)
    s = emit.pair(stride) if stride not in (None, [], ()) else k
    p, d = emit.pair(padding), emit.pair(dilation)
    if emit.rank(x) != 4:
        raise ctx.unsupported(f"{what} of a rank-{emit.rank(x)} tensor (only NCHW)")
    if d != [1, 1]:
        raise ctx.unsupported(f"{what} with dilation {d}")
    hw = emit.shape(x)[2:]
    for i in range(2):
        if (ceil_mode and _pooling.ceil_extra(hw[i], k[i], s[i], (p[i], p[i]))) or 2 * p[i] > k[i]:
            raise ctx.unsupported(f"{what} with ceil_mode windows past the padding")
    return k, s, p


@aten(A.max_pool2d_with_indices)
def _max_pool2d_with_indices(ctx, x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    k, s, p = _simple_window(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    y = ctx.b.pool2d(x, "max", kernel=k, stride=s, padding=p)
    return y, emit.max_pool_indices(ctx, x, y, k, s, p)


@aten(A.max_pool2d_with_indices_backward)
def _max_pool2d_backward(ctx, grad, x, kernel_size, stride, padding, dilation, ceil_mode, indices):
    # CINN's rule sends each output's gradient to the first maximum of its window, in
    # window order: the position the indices hold.
    k, s, p = _simple_window(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    (dx,) = ctx.b.vjp("pool2d", [x], [grad], kind="max", kernel=k, stride=s, padding=p)
    return dx


@aten(A.max_pool2d)
def _max_pool2d(ctx, x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return emit.pool2d(ctx, x, "max", kernel_size, stride, padding, dilation, ceil_mode)


@aten(A.avg_pool2d)
def _avg_pool2d(ctx, x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
    return emit.pool2d(ctx, x, "avg", kernel_size, stride, padding, 1, ceil_mode, count_include_pad,
                       divisor_override)


@aten(A.avg_pool2d_backward)
def _avg_pool2d_backward(ctx, grad, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override):
    if divisor_override:
        raise ctx.unsupported("avg_pool2d_backward with divisor_override")
    k, s, p = _simple_window(ctx, x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    (dx,) = ctx.b.vjp("pool2d", [x], [grad], kind="avg", kernel=k, stride=s, padding=p,
                      exclusive=not count_include_pad)
    return dx


@aten(A._adaptive_avg_pool2d)
def _adaptive_avg_pool2d(ctx, x, output_size):
    return emit.adaptive_avg_pool2d(ctx, x, output_size)


@aten(A._adaptive_avg_pool2d_backward)
def _adaptive_avg_pool2d_backward(ctx, grad, x):
    b = ctx.b
    hw = emit.shape(x)[-2:]
    out = emit.shape(grad)[-2:]
    if out == [1, 1]:
        # every input position shares its plane's gradient equally
        share = b.mul(grad, emit.scalar(ctx, 1.0 / (hw[0] * hw[1]), grad.dtype))
        return emit.expand(ctx, share, emit.shape(x))
    if emit.rank(x) != 4:
        raise ctx.unsupported("adaptive_avg_pool2d backward of an unbatched tensor")
    (dx,) = b.vjp("adaptive_avg_pool2d", [x], [grad], output_size=out)
    return dx


# ---- normalization ---------------------------------------------------------------------------------

@aten(A.native_batch_norm)
def _native_batch_norm(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
    """(y, save_mean, save_invstd); in training, running_mean / running_var are updated in
    place, as the aten op does (momentum-weighted, the batch variance unbiased)."""
    if not training:
        if running_mean is None or running_var is None:
            raise ctx.unsupported("batch_norm in eval mode without running statistics")
        return emit.batch_norm_infer(ctx, x, weight, bias, running_mean, running_var, eps), None, None
    y, mean, invstd, unbiased = emit.batch_norm_train(ctx, x, weight, bias, eps)
    if running_mean is not None:
        ctx.mutate(running_mean, emit.running_update(ctx, running_mean, mean, momentum))
    if running_var is not None:
        ctx.mutate(running_var, emit.running_update(ctx, running_var, unbiased, momentum))
    return y, mean, invstd


@aten(A.native_layer_norm)
def _native_layer_norm(ctx, x, normalized_shape, weight, bias, eps):
    return emit.layer_norm_stats(ctx, x, normalized_shape, weight, bias, eps)


@aten(A.native_dropout)
def _native_dropout(ctx, x, p, train):
    if train and p > 0:
        raise ctx.unsupported("dropout in training mode draws random numbers; PyTorch runs it")
    return x, emit.full(ctx, emit.shape(x), 1.0, "bool")
