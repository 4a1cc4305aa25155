"""PyTorch semantics on a :class:`cinn.NetBuilder`, shared by the torch-level converters
(:mod:`cinn.torch.ops_fx`) and the aten converters (:mod:`cinn.torch.ops_aten`).

Every emitter takes the converter context ``ctx`` (:class:`cinn.torch.convert.Context`)
first. Dtypes follow PyTorch's promotion: arithmetic is computed in the dtype PyTorch gives
the node's result (``ctx.out_dtype``, known from the recorded shapes), so ``int + 0.5`` is
computed in float32 as it is in PyTorch. An emitter that meets a case it cannot express
raises ``ctx.unsupported(...)``, which makes the node run in PyTorch instead.
"""

import math

import numpy as np
import torch

from .. import _cinn, _indexing, _pooling
from .graph import Empty

# torch dtype <-> cinn dtype (complex and quantized types have no cinn dtype).
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
          torch.bfloat16: "bfloat16",
          torch.int8: "int8", torch.int16: "int16", torch.int32: "int32", torch.int64: "int64",
          torch.uint8: "uint8", torch.bool: "bool"}
TORCH_DTYPES = {v: k for k, v in DTYPES.items()}


def cinn_dtype(dtype):
    """The cinn dtype name of a torch dtype, or None if CINN cannot exchange it."""
    return DTYPES.get(dtype)


def shape(v):
    return list(v.shape)


def rank(v):
    return len(v.shape)


def numel(dims):
    return int(np.prod(dims)) if len(dims) else 1


def is_float(dtype):
    return dtype in ("float16", "bfloat16", "float32", "float64")


def is_value(v):
    return isinstance(v, _cinn.Value)


def axis(ctx, a, r, what="dim"):
    """A dimension index normalized to [0, r) (a 0-d tensor accepts -1 and 0)."""
    a = int(a)
    n = max(r, 1)
    if not -n <= a < n:
        raise ctx.error(_cinn.ShapeError, f"{what} {a} is out of range for a rank-{r} tensor")
    return a + n if a < 0 else a


def axes(ctx, dims, r, what="dim"):
    if dims is None:
        return list(range(r))
    if isinstance(dims, (int, np.integer)):
        dims = [dims]
    out = sorted({axis(ctx, d, r, what) for d in dims})
    return [d for d in out if d < r]


def ints(v):
    if isinstance(v, (int, np.integer)):
        return [int(v)]
    return [int(x) for x in v]


def pair(v, n=2):
    v = ints(v)
    return v * n if len(v) == 1 else v


def cast(ctx, v, dtype):
    if v.dtype == dtype:
        return v
    if v.dtype == "bool" and not is_float(dtype) and dtype != "bool":
        # through uint8: every integer type holds 0 and 1
        return ctx.b.cast(ctx.b.cast(v, "uint8"), dtype) if dtype != "uint8" else ctx.b.cast(v, "uint8")
    return ctx.b.cast(v, dtype)


def scalar(ctx, value, dtype):
    """A 0-d constant of `dtype`."""
    if isinstance(value, bool):
        value = float(value)
    return ctx.b.fill_constant([], float(value), dtype)


def full(ctx, dims, value, dtype):
    return ctx.b.fill_constant(list(dims), float(value), dtype)


def as_value(ctx, v, dtype):
    """v (a Value or a Python number) as a Value of `dtype`."""
    if is_value(v):
        return cast(ctx, v, dtype)
    if isinstance(v, (bool, int, float, np.number)):
        return scalar(ctx, v, dtype)
    raise ctx.unsupported(f"expected a tensor or a number, got {type(v).__name__}")


def _representative(v):
    """Something torch.result_type promotes like v: a tensor of v's dtype and rank (0-d
    tensors take part in promotion like Python scalars), or the Python number itself."""
    if is_value(v):
        dt = TORCH_DTYPES.get(v.dtype)
        if dt is None:
            raise TypeError(v.dtype)
        return torch.empty([1] * rank(v), dtype=dt)
    return v


def result_dtype(ctx, a, b):
    """PyTorch's promoted dtype of a binary operation on a and b (Values or numbers)."""
    try:
        return DTYPES[torch.result_type(_representative(a), _representative(b))]
    except (TypeError, KeyError, RuntimeError) as e:
        raise ctx.unsupported(f"no common dtype for the operands ({e})") from None


# ---- elementwise --------------------------------------------------------------------------

def unary(ctx, op, x, dtype=None):
    """op(x) computed in the result's dtype (int inputs of float functions are cast)."""
    dtype = dtype or ctx.out_dtype
    return getattr(ctx.b, op)(cast(ctx, x, dtype))


def binary(ctx, op, x, y, compute=None):
    """op(x, y) with broadcasting, the operands converted to `compute` (default: the
    result's dtype, which is the promoted one for arithmetic)."""
    if not is_value(x) and not is_value(y):
        raise ctx.unsupported("both operands are Python numbers")
    compute = compute or ctx.out_dtype
    return getattr(ctx.b, op)(as_value(ctx, x, compute), as_value(ctx, y, compute))


def compare(ctx, op, x, y):
    dt = result_dtype(ctx, x, y)
    return ctx.b.compare(as_value(ctx, x, dt), as_value(ctx, y, dt), op=op)


def add(ctx, x, y, alpha=1, op="add"):
    if alpha != 1:
        y = ctx.b.mul(as_value(ctx, y, ctx.out_dtype), scalar(ctx, alpha, ctx.out_dtype)) if is_value(y) \
            else y * alpha
    return binary(ctx, op, x, y)


def div(ctx, x, y, rounding_mode=None):
    out = ctx.out_dtype
    if rounding_mode is None:
        return binary(ctx, "div", x, y)
    if rounding_mode in ("floor", "trunc") and not is_float(out):
        # Integer division is floor division, exact for all of int64 (float64 is not), and
        # 0 by zero where PyTorch raises (a kernel cannot raise; docs/torch.md).
        q = binary(ctx, "div", x, y)
        if rounding_mode == "trunc":
            # One more than the floor where the quotient is negative and inexact.
            b = ctx.b
            xv, yv = as_value(ctx, x, out), as_value(ctx, y, out)
            zero = scalar(ctx, 0, out)
            inexact = b.compare(binary(ctx, "mod", xv, yv), zero, op="ne")
            negative = b.compare(b.compare(xv, zero, op="lt"), b.compare(yv, zero, op="lt"), op="ne")
            q = b.where(b.logical_and(inexact, negative), b.add(q, scalar(ctx, 1, out)), q)
        return q
    if rounding_mode == "floor" and is_float(out):
        return _floor_divide_float(ctx, as_value(ctx, x, out), as_value(ctx, y, out))
    q = binary(ctx, "div", x, y, compute=out if is_float(out) else "float64")
    if rounding_mode == "floor":
        q = ctx.b.floor(q) if is_float(q.dtype) else q
    elif rounding_mode == "trunc":
        if is_float(q.dtype):
            q = ctx.b.where(ctx.b.less(q, scalar(ctx, 0, q.dtype)), ctx.b.ceil(q), ctx.b.floor(q))
    else:
        raise ctx.unsupported(f"div with rounding_mode={rounding_mode!r}")
    return cast(ctx, q, out)


def _floor_divide_float(ctx, x, y):
    """PyTorch's floating floor division: (x - x mod y) / y rounded to the nearest integer
    (1.0 // 0.1 is 9, where floor(1.0 / 0.1) is 10); -1 for a finite x by an infinite y of
    the other sign; a zero quotient with the sign of x / y; x / y by zero."""
    b = ctx.b
    dt = x.dtype
    zero = scalar(ctx, 0, dt)
    exact = b.div(x, y)
    r = b.mod(x, y)
    q = b.round(b.div(b.sub(x, r), y))
    q = b.where(b.compare(q, zero, op="eq"), b.mul(exact, zero), q)
    inf = scalar(ctx, math.inf, dt)
    moved_to_inf = b.logical_and(b.compare(b.abs(r), inf, op="eq"), b.compare(b.abs(x), inf, op="ne"))
    q = b.where(moved_to_inf, scalar(ctx, -1, dt), q)
    return b.where(b.compare(y, zero, op="eq"), exact, q)


def remainder(ctx, x, y):
    """Python's modulo (the sign of the divisor), as torch.remainder: the primitive `mod`,
    a truncated remainder moved by y where the signs differ (-5 % inf is inf, -0.0 % 3 is
    -0.0, as in PyTorch)."""
    return binary(ctx, "mod", x, y)


def where(ctx, cond, x, y):
    out = ctx.out_dtype
    return ctx.b.where(cast(ctx, cond, "bool"), as_value(ctx, x, out), as_value(ctx, y, out))


def clamp(ctx, x, lo=None, hi=None):
    out = ctx.out_dtype
    x = cast(ctx, x, out)
    if (lo is None or not is_value(lo)) and (hi is None or not is_value(hi)) and is_float(out):
        return ctx.b.clip(x, min=-math.inf if lo is None else float(lo),
                          max=math.inf if hi is None else float(hi))
    if lo is not None:
        x = ctx.b.max(x, as_value(ctx, lo, out))
    if hi is not None:
        x = ctx.b.min(x, as_value(ctx, hi, out))
    return x


def gelu(ctx, x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ctx.unsupported(f"gelu with approximate={approximate!r}")
    return ctx.b.gelu(cast(ctx, x, ctx.out_dtype), approximate=approximate)


def hardtanh(ctx, x, lo=-1.0, hi=1.0):
    return ctx.b.clip(cast(ctx, x, ctx.out_dtype), min=float(lo), max=float(hi))


def leaky_relu(ctx, x, slope=0.01):
    return ctx.b.leaky_relu(x, alpha=float(slope))


def softplus(ctx, x, beta=1, threshold=20):
    return ctx.b.softplus(x, beta=float(beta), threshold=float(threshold))


def elu(ctx, x, alpha=1.0, scale=1.0, input_scale=1.0):
    b = ctx.b
    if input_scale != 1.0:
        x = b.mul(x, scalar(ctx, input_scale, x.dtype))
    y = b.elu(x, alpha=float(alpha))
    return b.mul(y, scalar(ctx, scale, x.dtype)) if scale != 1.0 else y


def relu(ctx, x):
    if x.dtype == "bool":
        raise ctx.unsupported("relu of a bool tensor")
    return ctx.b.relu(x)


# ---- shapes -------------------------------------------------------------------------------

def sizes(args):
    """view(*sizes) / view(sizes) argument lists -> a list of ints."""
    if len(args) == 1 and isinstance(args[0], (list, tuple, torch.Size)):
        args = args[0]
    return [int(s) for s in args]


def infer_shape(ctx, dims, total):
    dims = list(dims)
    if dims.count(-1) > 1:
        raise ctx.error(_cinn.ShapeError, f"only one dimension can be -1 in {dims}")
    known = numel([d for d in dims if d != -1])
    if -1 in dims:
        if known == 0 or total % known:
            raise ctx.error(_cinn.ShapeError, f"shape {dims} is invalid for {total} elements")
        dims[dims.index(-1)] = total // known
    if numel(dims) != total:
        raise ctx.error(_cinn.ShapeError, f"shape {dims} is invalid for {total} elements")
    return dims


def reshape(ctx, x, dims):
    dims = infer_shape(ctx, dims, numel(shape(x)))
    if dims == shape(x):
        return x
    return ctx.b.reshape(x, shape=dims)


def flatten(ctx, x, start_dim=0, end_dim=-1):
    s = shape(x)
    r = len(s)
    if r == 0:
        return reshape(ctx, x, [1])
    a, e = axis(ctx, start_dim, r), axis(ctx, end_dim, r)
    if a > e:
        raise ctx.error(_cinn.ShapeError, f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(ctx, x, s[:a] + [numel(s[a:e + 1])] + s[e + 1:])


def permute(ctx, x, perm):
    r = rank(x)
    perm = [axis(ctx, p, r) for p in perm]
    if sorted(perm) != list(range(r)):
        raise ctx.error(_cinn.ShapeError, f"permute: {perm} is not a permutation of {r} dims")
    if perm == list(range(r)):
        return x
    return ctx.b.transpose(x, perm=perm)


def transpose(ctx, x, d0, d1):
    r = rank(x)
    if r < 2:
        return x
    perm = list(range(r))
    a, c = axis(ctx, d0, r), axis(ctx, d1, r)
    perm[a], perm[c] = perm[c], perm[a]
    return permute(ctx, x, perm)


def unsqueeze(ctx, x, dim):
    s = shape(x)
    d = axis(ctx, dim, len(s) + 1)
    return reshape(ctx, x, s[:d] + [1] + s[d:])


def squeeze(ctx, x, dims=None):
    s = shape(x)
    if dims is None:
        keep = [d for d in s if d != 1]
    else:
        drop = {a for a in axes(ctx, dims, len(s)) if s[a] == 1}
        keep = [d for i, d in enumerate(s) if i not in drop]
    return reshape(ctx, x, keep)


def expand(ctx, x, dims):
    s = shape(x)
    dims = list(dims)
    if len(dims) < len(s):
        raise ctx.error(_cinn.ShapeError, f"expand: {dims} has fewer dimensions than the tensor {s}")
    lead = len(dims) - len(s)
    out = []
    for i, d in enumerate(dims):
        cur = s[i - lead] if i >= lead else None
        if d == -1:
            if cur is None:
                raise ctx.error(_cinn.ShapeError, f"expand: -1 for a new leading dimension in {dims}")
            d = cur
        elif cur is not None and cur != 1 and cur != d:
            raise ctx.error(_cinn.ShapeError, f"expand: size {cur} of dim {i - lead} cannot become {d}")
        out.append(d)
    if out == s:
        return x
    return ctx.b.broadcast_to(x, shape=out)


def arange(ctx, args, dt):
    """torch.arange(end) / (start, end) / (start, end, step) as `dt`; the length is the
    recorded result's. Computed in float64 (int64 for integers), then cast, as PyTorch."""
    start, step = (0, 1) if len(args) == 1 else (args[0], (args + (1,))[2])
    n = list(ctx.out_meta.shape)[0]
    b = ctx.b
    i = b.iota([n], axis=0, dtype="float64" if is_float(dt) else "int64")
    v = b.add(b.mul(i, scalar(ctx, step, i.dtype)), scalar(ctx, start, i.dtype))
    return cast(ctx, v, dt)


def concat(ctx, tensors, dim=0):
    """torch.cat; tensors without elements (graph.Empty) add nothing and are left out."""
    vals = [v for v in tensors if not isinstance(v, Empty)]
    if not vals:
        raise ctx.unsupported("cat of no tensors")
    out = ctx.out_dtype
    vals = [cast(ctx, v, out) for v in vals]
    d = axis(ctx, dim, rank(vals[0]))
    return vals[0] if len(vals) == 1 else ctx.b.concat(vals, axis=d)


def split_sizes(ctx, x, split_size_or_sections, dim=0):
    d = axis(ctx, dim, rank(x))
    size = shape(x)[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ctx.error(_cinn.ShapeError, f"split size {step} must be positive")
        secs = [step] * (size // step) + ([size % step] if size % step else [])
    else:
        secs = ints(split_size_or_sections)
        if sum(secs) != size:
            raise ctx.error(_cinn.ShapeError, f"split sections {secs} do not add up to {size}")
    return secs, d


def split(ctx, x, sections, d):
    outs, start = [], 0
    for n in sections:
        outs.append(slice_axis(ctx, x, d, start, start + n, 1))
        start += n
    return tuple(outs)


def slice_axis(ctx, x, d, start, end, step):
    """x[..., start:end:step, ...] on dimension d with Python's clamping (step > 0)."""
    size = shape(x)[d]
    lo, hi, st = slice(start, end, step).indices(size)
    if st <= 0:
        raise ctx.unsupported(f"slice with step {step} (only positive steps)")
    n = len(range(lo, hi, st))
    if n <= 0:
        raise ctx.error(_cinn.ShapeError, f"empty slice {start}:{end}:{step} of a dimension of size {size}")
    if lo == 0 and n == size and st == 1:
        return x
    return ctx.b.slice(x, axes=[d], starts=[lo], ends=[lo + (n - 1) * st + 1], strides=[st])


def select(ctx, x, d, index):
    s = shape(x)
    i = int(index)
    if not -s[d] <= i < s[d]:
        raise ctx.error(_cinn.ShapeError, f"index {i} is out of range for dim {d} of size {s[d]}")
    i = i + s[d] if i < 0 else i
    v = ctx.b.slice(x, axes=[d], starts=[i], ends=[i + 1]) if s[d] > 1 else x
    return reshape(ctx, v, s[:d] + s[d + 1:])


def index(ctx, x, idx):
    """Basic indexing x[idx]: ints, slices (positive steps), None, Ellipsis, and one
    1-D integer tensor (a gather) on one dimension."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if sum(1 for i in idx if i is Ellipsis) > 1:
        raise ctx.error(_cinn.ShapeError, "an index can only have a single ellipsis")
    r = rank(x)
    if n_real > r:
        raise ctx.error(_cinn.ShapeError, f"too many indices ({n_real}) for a rank-{r} tensor")
    expanded = []
    for i in idx:
        if i is Ellipsis:
            expanded.extend([slice(None)] * (r - n_real))
        else:
            expanded.append(i)
    v, d, out_dims = x, 0, []
    gathered = False
    for i in expanded:
        if i is None:
            out_dims.append(("new", None))
            continue
        if isinstance(i, slice):
            v = slice_axis(ctx, v, d, i.start, i.stop, 1 if i.step is None else i.step)
            out_dims.append(("keep", d))
            d += 1
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            size = shape(v)[d]
            j = _wrap(ctx, i, size)
            if size > 1:
                v = ctx.b.slice(v, axes=[d], starts=[j], ends=[j + 1])
            out_dims.append(("drop", d))
            d += 1
        elif is_value(i) and i.dtype in ("int64", "int32") and rank(i) == 1 and not gathered:
            ctx.check_indices(i, shape(v)[d], True, f"indexing dimension {d}")
            v = ctx.b.gather(v, i, axis=d)
            gathered = True
            out_dims.append(("keep", d))
            d += 1
        else:
            raise ctx.unsupported(f"indexing with {type(i).__name__} (only ints, slices, None, "
                                  "Ellipsis and one 1-D integer tensor)")
    while d < r:
        out_dims.append(("keep", d))
        d += 1
    s = shape(v)
    final = []
    for kind, k in out_dims:
        if kind == "new":
            final.append(1)
        elif kind == "keep":
            final.append(s[k])
    return reshape(ctx, v, final)


def _wrap(ctx, i, size):
    i = int(i)
    if not -size <= i < size:
        raise ctx.error(_cinn.ShapeError, f"index {i} is out of range for a dimension of size {size}")
    return i + size if i < 0 else i


def flip(ctx, x, dims):
    return ctx.b.flip(x, axis=axes(ctx, dims, rank(x)))


def repeat(ctx, x, reps):
    reps = ints(reps)
    s = shape(x)
    if len(reps) < len(s):
        raise ctx.error(_cinn.ShapeError, f"repeat: {reps} has fewer entries than the tensor's rank {len(s)}")
    x = reshape(ctx, x, [1] * (len(reps) - len(s)) + s)
    if all(r == 1 for r in reps):
        return x
    return ctx.b.tile(x, repeats=reps)


def pad(ctx, x, pads, mode="constant", value=0.0):
    """F.pad: `pads` lists (before, after) pairs from the last dimension backwards."""
    if mode != "constant":
        raise ctx.unsupported(f"pad mode {mode!r} (only 'constant')")
    pads = ints(pads)
    r = rank(x)
    if len(pads) % 2 or len(pads) // 2 > r:
        raise ctx.error(_cinn.ShapeError, f"pad: {pads} does not fit a rank-{r} tensor")
    full_pads = [0] * (2 * r)
    for i in range(len(pads) // 2):
        d = r - 1 - i
        full_pads[2 * d], full_pads[2 * d + 1] = pads[2 * i], pads[2 * i + 1]
    if not any(full_pads):
        return x
    if any(p < 0 for p in full_pads):
        raise ctx.unsupported(f"negative padding {pads}")
    return ctx.b.pad(x, pads=full_pads, value=0.0 if value is None else float(value))


# ---- reductions ---------------------------------------------------------------------------

def reduce(ctx, op, x, dims=None, keepdim=False, dtype=None):
    """sum / mean / amax / amin / prod over dims (all when None or empty)."""
    out = ctx.out_dtype
    x = cast(ctx, x, out if op in ("sum", "mean", "prod") else x.dtype)
    r = rank(x)
    a = axes(ctx, dims if dims not in ((), []) else None, r)
    if r == 0:
        return x
    return getattr(ctx.b, op)(x, axis=a, keepdim=bool(keepdim))


def var(ctx, x, dims=None, correction=1, keepdim=False):
    """The variance over dims with `correction` (1: unbiased); NaN where n <= correction,
    as in PyTorch."""
    b = ctx.b
    r = rank(x)
    a = axes(ctx, dims if dims not in ((), []) else None, r)
    n = numel([shape(x)[i] for i in a])
    d = b.sub(x, b.mean(x, axis=a, keepdim=True))
    s = b.sum(b.mul(d, d), axis=a, keepdim=bool(keepdim))
    denom = n - correction
    return b.div(s, scalar(ctx, denom if denom > 0 else float("nan"), x.dtype))


def arg_reduce(ctx, kind, x, dim=None, keepdim=False):
    if dim is None:
        x = reshape(ctx, x, [numel(shape(x))])
        v = getattr(ctx.b, "arg" + kind)(x, axis=[0], keepdim=False)
        return reshape(ctx, v, [1] * rank(x)) if keepdim else v
    d = axis(ctx, dim, rank(x))
    return getattr(ctx.b, "arg" + kind)(x, axis=[d], keepdim=bool(keepdim))


def max_min_dim(ctx, kind, x, dim, keepdim=False):
    """torch.max / torch.min along dim: (values, indices), the index of the first extremum."""
    values = reduce(ctx, "a" + kind, x, [dim], keepdim)
    return values, arg_reduce(ctx, kind, x, dim, keepdim)


def _check_along_dim(ctx, x, dim, index, what):
    """torch.gather / torch.scatter's index: an integer tensor of x's rank, no larger than
    x but on dim; as a region input, range-checked at every call."""
    s, i = shape(x), shape(index)
    if index.dtype not in ("int64", "int32") or len(i) != len(s):
        raise ctx.error(_cinn.ShapeError, f"{what}: index must be an int64 tensor of x's rank {len(s)}, "
                                          f"got {index.dtype}{i}")
    if any(i[d] > s[d] for d in range(len(s)) if d != dim):
        raise ctx.error(_cinn.ShapeError, f"{what}: index {i} is larger than x {s} on a dimension other "
                                          f"than {dim}")
    ctx.check_indices(index, s[dim], False, what)


def take_along(ctx, x, dim, index):
    """torch.gather(x, dim, index): out[.., j, ..] = x[.., index[.., j, ..], ..]."""
    if rank(x) == 0:
        return x
    d = axis(ctx, dim, rank(x))
    _check_along_dim(ctx, x, d, index, "gather")
    return _indexing.take_along(ctx.b, x, index, d)


def scatter(ctx, x, dim, index, src, add=False):
    """torch.scatter(x, dim, index, src) (src a tensor or a number), or torch.scatter_add when
    `add`: out[.., index[.., j, ..], ..] = src[.., j, ..] along dim (added to x's when `add`),
    else x.

    One position per line along dim, index matching x elsewhere, is a select per element.
    Otherwise src's elements are stored or added along dim in index order (cinn._indexing):
    repeated positions accumulate, or keep the last element (PyTorch leaves them
    unspecified; its CPU kernel also writes in order)."""
    if rank(x) == 0:
        raise ctx.unsupported("scatter into a 0-d tensor")
    s, i = shape(x), shape(index)
    d = axis(ctx, dim, rank(x))
    what = "scatter_add" if add else "scatter"
    _check_along_dim(ctx, x, d, index, what)
    b = ctx.b
    if is_value(src) and shape(src) != i:  # the elements index reaches
        if rank(src) != len(i) or any(a < c for a, c in zip(shape(src), i)):
            raise ctx.error(_cinn.ShapeError, f"{what}: src {shape(src)} is smaller than index {i}")
        src = b.slice(src, axes=list(range(len(i))), starts=[0] * len(i), ends=i)
    src = as_value(ctx, src, x.dtype)
    if i[d] == 1 and all(i[k] == s[k] for k in range(len(s)) if k != d):
        hit = b.compare(b.iota(s, axis=d, dtype="int64"), cast(ctx, index, "int64"), op="eq")
        return b.add(x, b.where(hit, src, scalar(ctx, 0, x.dtype))) if add else b.where(hit, src, x)
    updates = b.broadcast_to(src, i) if rank(src) == 0 else src
    return _indexing.scatter_along(b, x, index, updates, d, add)


def _index_vector(ctx, x, dim, index, what):
    """The 1-D integer index of torch.index_add / index_copy / index_fill / index_select (a
    0-d one as one element) and dim as an axis of x; as a region input, range-checked at
    every call."""
    if index.dtype not in ("int64", "int32") or rank(index) > 1:
        raise ctx.error(_cinn.ShapeError, f"{what}: index must be a 1-D int64 tensor, got {index.dtype}{shape(index)}")
    d = axis(ctx, dim, max(rank(x), 1))
    if rank(index) == 0:
        index = reshape(ctx, index, [1])
    if rank(x) > 0:
        ctx.check_indices(index, shape(x)[d], False, what)
    return cast(ctx, index, "int64"), d


def index_add(ctx, x, dim, index, source, alpha=1, add=True):
    """torch.index_add(x, dim, index, source, alpha): x with alpha * source[.., j, ..] added
    to x[.., index[j], ..] along dim, repeated indices accumulating (the scatter_add
    primitive); torch.index_copy when not `add`: stored, the last of repeated indices
    staying (the scatter primitive)."""
    what = "index_add" if add else "index_copy"
    s = shape(x)
    b = ctx.b
    index, d = _index_vector(ctx, x, dim, index, what)
    source = as_value(ctx, source, x.dtype)
    want = list(s[:d]) + [shape(index)[0]] + list(s[d + 1:])
    if rank(x) == 0 or shape(source) != want:
        raise ctx.error(_cinn.ShapeError, f"{what}: source {shape(source)} must be {want} (x {s} with "
                                          f"dim {d} the index's length)")
    if alpha != 1:
        source = b.mul(source, scalar(ctx, alpha, x.dtype))
    return (b.scatter_add if add else b.scatter)(x, index, source, axis=d)


def index_fill(ctx, x, dim, index, value):
    """torch.index_fill(x, dim, index, value): x with its slices index[j] along dim set to
    the number (or 0-d tensor) value (the scatter primitive)."""
    index, d = _index_vector(ctx, x, dim, index, "index_fill")
    if rank(x) == 0:
        return x
    s = shape(x)
    value = as_value(ctx, value, x.dtype)
    if rank(value) != 0:
        raise ctx.error(_cinn.ShapeError, f"index_fill: value must be a number or a 0-d tensor, got {shape(value)}")
    want = list(s[:d]) + [shape(index)[0]] + list(s[d + 1:])
    return ctx.b.scatter(x, index, ctx.b.broadcast_to(value, want), axis=d)


def index_select(ctx, x, dim, index):
    """torch.index_select(x, dim, index): x's slices index[j] along dim (a gather); a 0-d
    index selects one slice and keeps the dimension."""
    index, d = _index_vector(ctx, x, dim, index, "index_select")
    if rank(x) == 0:
        return x
    return ctx.b.gather(x, index, axis=d)


def softmax(ctx, op, x, dim, dtype=None):
    if dtype is not None:
        x = cast(ctx, x, DTYPES[dtype])
    if rank(x) == 0:
        return full(ctx, [], 1.0 if op == "softmax" else 0.0, x.dtype)
    return getattr(ctx.b, op)(x, axis=[axis(ctx, dim, rank(x))])


# ---- matmul and linear ----------------------------------------------------------------------

def matmul(ctx, x, y):
    """torch.matmul: 1-D operands are promoted and the added dimension removed."""
    b = ctx.b
    xs, ys = shape(x), shape(y)
    if not xs or not ys:
        raise ctx.error(_cinn.ShapeError, "matmul of a 0-d tensor")
    if len(xs) == 1 and len(ys) == 1:
        return b.sum(b.mul(x, y), axis=[0])
    xv = reshape(ctx, x, [1, xs[0]]) if len(xs) == 1 else x
    yv = reshape(ctx, y, [ys[0], 1]) if len(ys) == 1 else y
    tx, ty = False, False
    src = ctx.transposed_source(xv)
    if src is not None and rank(src) == 2:
        xv, tx = src, True
    src = ctx.transposed_source(yv)
    if src is not None and rank(src) == 2:
        yv, ty = src, True
    out = b.matmul(xv, yv, transpose_x=tx, transpose_y=ty)
    s = shape(out)
    if len(ys) == 1:
        s = s[:-1]
    if len(xs) == 1:
        s = s[:-2] + s[-1:] if len(ys) != 1 else s[:-1]
    return reshape(ctx, out, s)


def linear(ctx, x, w, bias=None):
    b = ctx.b
    xs = shape(x)
    if rank(w) != 2:
        raise ctx.unsupported(f"linear with a rank-{rank(w)} weight")
    lead = xs[:-1]
    x2 = reshape(ctx, x, [numel(lead), xs[-1]]) if len(xs) != 2 else x
    y = b.matmul(x2, w, transpose_y=True)
    if bias is not None:
        y = b.add(y, bias)
    return reshape(ctx, y, lead + [shape(w)[0]])


def addmm(ctx, bias, x, y, beta=1, alpha=1):
    b = ctx.b
    out = matmul(ctx, x, y)
    if alpha != 1:
        out = b.mul(out, scalar(ctx, alpha, out.dtype))
    if beta == 0:
        return out
    if beta != 1:
        bias = b.mul(bias, scalar(ctx, beta, bias.dtype))
    return b.add(out, bias)


# ---- convolution and pooling ------------------------------------------------------------------

def conv_nd(ctx, x, w, bias, stride, padding, dilation, groups, nd):
    """conv1d / conv2d (N)C(H)W with PyTorch's arguments; 1-D runs as a 2-D of height 1;
    unbatched inputs get a batch of 1."""
    b = ctx.b
    unbatched = rank(x) == nd + 1
    if unbatched:
        x = reshape(ctx, x, [1] + shape(x))
    if rank(x) != nd + 2 or rank(w) != nd + 2:
        raise ctx.error(_cinn.ShapeError, f"conv{nd}d: input {shape(x)} and weight {shape(w)} must "
                        f"have rank {nd + 2}")
    stride, dilation = pair(stride, nd), pair(dilation, nd)
    k = shape(w)[2:]
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = [0] * nd
        elif padding == "same":
            total = [dilation[i] * (k[i] - 1) for i in range(nd)]
            lo = [t // 2 for t in total]
            hi = [t - t // 2 for t in total]
        else:
            raise ctx.unsupported(f"conv padding {padding!r}")
    else:
        lo = hi = pair(padding, nd)
    if nd == 1:
        x = reshape(ctx, x, shape(x)[:2] + [1] + shape(x)[2:])
        w = reshape(ctx, w, shape(w)[:2] + [1] + shape(w)[2:])
        stride, dilation, lo, hi = [1] + stride, [1] + dilation, [0] + lo, [0] + hi
    if lo != hi:
        x = b.pad(x, pads=[0, 0, 0, 0, lo[0], hi[0], lo[1], hi[1]])
        lo = [0, 0]
    y = b.conv2d(x, w, stride=stride, padding=lo, dilation=dilation, groups=int(groups))
    if bias is not None:
        y = b.add(y, reshape(ctx, bias, [1, shape(bias)[0], 1, 1]))
    if nd == 1:
        s = shape(y)
        y = reshape(ctx, y, [s[0], s[1], s[3]])
    if unbatched:
        y = reshape(ctx, y, shape(y)[1:])
    return y


def pool2d(ctx, x, kind, kernel, stride=None, padding=0, dilation=1, ceil_mode=False,
           count_include_pad=True, divisor_override=None):
    """max / avg pooling with PyTorch's output sizes (ceil_mode) and divisors
    (count_include_pad, divisor_override). Windows pool2d cannot express are padded
    explicitly; average divisors are then a constant computed here."""
    b = ctx.b
    unbatched = rank(x) == 3
    if unbatched:
        x = reshape(ctx, x, [1] + shape(x))
    if rank(x) != 4:
        raise ctx.error(_cinn.ShapeError, f"{kind}_pool2d of a rank-{rank(x)} tensor (expected 3 or 4)")
    k = pair(kernel)
    s = pair(stride) if stride not in (None, [], ()) else k
    p, d = pair(padding), pair(dilation)
    if d != [1, 1]:
        raise ctx.unsupported(f"{kind} pooling with dilation {d}")
    hw = shape(x)[2:]
    pads = [(p[i], p[i]) for i in range(2)]
    out = [_pooling.output_size(hw[i], k[i], s[i], pads[i], 1, ceil_mode) for i in range(2)]
    extra = [_pooling.ceil_extra(hw[i], k[i], s[i], pads[i]) if ceil_mode else 0 for i in range(2)]
    simple = not any(extra) and all(2 * p[i] <= k[i] for i in range(2))
    if simple and divisor_override is None:
        y = b.pool2d(x, kind, kernel=k, stride=s, padding=p, exclusive=not count_include_pad)
    else:
        hi = [p[i] + extra[i] for i in range(2)]
        fill = -math.inf if kind == "max" else 0.0
        xp = b.pad(x, pads=[0, 0, 0, 0, p[0], hi[0], p[1], hi[1]], value=fill)
        y = b.pool2d(xp, kind, kernel=k, stride=s, padding=[0, 0], exclusive=False)
        if kind == "avg":
            if divisor_override:
                factor = np.full(out, k[0] * k[1] / float(divisor_override))
            else:
                factor = _pooling.avg_factors(out, k, s, hw, pads, count_include_pad)
            y = b.mul(y, ctx.constant(factor.reshape([1, 1] + out).astype(y.dtype)))
    if shape(y)[2:] != out:
        y = b.slice(y, axes=[2, 3], starts=[0, 0], ends=out)
    if unbatched:
        y = reshape(ctx, y, shape(y)[1:])
    return y


def max_pool_indices(ctx, x, y, kernel, stride, padding):
    """The flat h * W + w index of each window's first maximum (PyTorch's indices), for
    windows pool2d expresses directly (symmetric padding)."""
    b = ctx.b
    k, s, p = pair(kernel), pair(stride) if stride else pair(kernel), pair(padding)
    n, c, h, w = shape(x)
    oh, ow = shape(y)[2:]
    xp = b.pad(x, pads=[0, 0, 0, 0, p[0], p[0], p[1], p[1]], value=-math.inf) if any(p) else x
    taps = k[0] * k[1]
    first = None
    for t in range(taps):
        i, j = divmod(t, k[1])
        tap = b.slice(xp, axes=[2, 3], starts=[i, j],
                      ends=[i + s[0] * (oh - 1) + 1, j + s[1] * (ow - 1) + 1], strides=s)
        at = b.where(b.compare(tap, y, op="eq"), full(ctx, [n, c, oh, ow], t, "int64"),
                     full(ctx, [n, c, oh, ow], taps, "int64"))
        first = at if first is None else b.min(first, at)
    row = b.add(b.mul(b.iota([1, 1, oh, 1], axis=2, dtype="int64"), scalar(ctx, s[0], "int64")),
                scalar(ctx, -p[0], "int64"))
    col = b.add(b.mul(b.iota([1, 1, 1, ow], axis=3, dtype="int64"), scalar(ctx, s[1], "int64")),
                scalar(ctx, -p[1], "int64"))
    di = b.floor_divide(first, scalar(ctx, k[1], "int64"))
    dj = b.sub(first, b.mul(di, scalar(ctx, k[1], "int64")))
    return b.add(b.mul(b.add(row, di), scalar(ctx, w, "int64")), b.add(col, dj))


def adaptive_avg_pool2d(ctx, x, output_size):
    unbatched = rank(x) == 3
    if unbatched:
        x = reshape(ctx, x, [1] + shape(x))
    hw = shape(x)[2:]
    size = pair(output_size) if not isinstance(output_size, (list, tuple)) or len(output_size) != 2 \
        else list(output_size)
    size = [hw[i] if size[i] is None else int(size[i]) for i in range(2)]
    if size == [1, 1]:
        y = ctx.b.mean(x, axis=[2, 3], keepdim=True)
    elif size == hw:
        y = x
    else:
        y = ctx.b.adaptive_avg_pool2d(x, output_size=size)
    return reshape(ctx, y, shape(y)[1:]) if unbatched else y


# ---- normalization ------------------------------------------------------------------------

def _channel(ctx, v, r):
    return reshape(ctx, v, [1, shape(v)[0]] + [1] * (r - 2))


def batch_norm_infer(ctx, x, weight, bias, mean, var, eps):
    b = ctx.b
    r = rank(x)
    dt = x.dtype
    if r == 4 and weight is not None and bias is not None:
        return b.batch_norm(x, weight, bias, mean, var, epsilon=float(eps))
    # y = (x - mean) * (weight / sqrt(var + eps)) + bias, per channel (axis 1)
    k = b.rsqrt(b.add(var, scalar(ctx, eps, dt)))
    if weight is not None:
        k = b.mul(k, weight)
    shift = b.neg(b.mul(mean, k))
    if bias is not None:
        shift = b.add(shift, bias)
    return b.add(b.mul(x, _channel(ctx, k, r)), _channel(ctx, shift, r))


def batch_norm_train(ctx, x, weight, bias, eps):
    """Training-mode batch normalization: (y, batch mean, 1 / sqrt(biased var + eps),
    unbiased batch variance)."""
    b = ctx.b
    r = rank(x)
    dt = x.dtype
    red = [0] + list(range(2, r))
    n = numel([shape(x)[i] for i in red])
    mean = b.mean(x, axis=red)
    xc = b.sub(x, _channel(ctx, mean, r))
    var = b.mean(b.mul(xc, xc), axis=red)
    invstd = b.rsqrt(b.add(var, scalar(ctx, eps, dt)))
    k = b.mul(invstd, weight) if weight is not None else invstd
    y = b.mul(xc, _channel(ctx, k, r))
    if bias is not None:
        y = b.add(y, _channel(ctx, bias, r))
    unbiased = b.mul(var, scalar(ctx, n / (n - 1) if n > 1 else float("inf"), dt))
    return y, mean, invstd, unbiased


def running_update(ctx, running, batch, momentum):
    b = ctx.b
    m = scalar(ctx, momentum, running.dtype)
    return b.add(b.mul(running, scalar(ctx, 1.0 - momentum, running.dtype)), b.mul(batch, m))


def layer_norm(ctx, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    ns = ints(normalized_shape)
    s = shape(x)
    if s[len(s) - len(ns):] != ns:
        raise ctx.error(_cinn.ShapeError, f"layer_norm: normalized_shape {ns} does not end the "
                        f"input's shape {s}")
    dt = x.dtype
    if weight is None:
        weight = full(ctx, ns, 1.0, dt)
    if bias is None:
        bias = full(ctx, ns, 0.0, dt)
    return ctx.b.layer_norm(x, weight, bias, epsilon=float(eps), begin_norm_axis=len(s) - len(ns))


def layer_norm_stats(ctx, x, normalized_shape, weight, bias, eps):
    """aten.native_layer_norm: (y, mean, rstd), mean and rstd shaped like x with the
    normalized dimensions kept as 1."""
    b = ctx.b
    ns = ints(normalized_shape)
    r = rank(x)
    red = list(range(r - len(ns), r))
    mean = b.mean(x, axis=red, keepdim=True)
    xc = b.sub(x, mean)
    rstd = b.rsqrt(b.add(b.mean(b.mul(xc, xc), axis=red, keepdim=True), scalar(ctx, eps, x.dtype)))
    y = b.mul(xc, rstd)
    if weight is not None:
        y = b.mul(y, weight)
    if bias is not None:
        y = b.add(y, bias)
    return y, mean, rstd


def group_norm(ctx, x, num_groups, weight=None, bias=None, eps=1e-5):
    dt = x.dtype
    c = shape(x)[1]
    if weight is None:
        weight = full(ctx, [c], 1.0, dt)
    if bias is None:
        bias = full(ctx, [c], 0.0, dt)
    return ctx.b.group_norm(x, weight, bias, num_groups=int(num_groups), epsilon=float(eps))


def embedding(ctx, weight, ids, padding_idx=None):
    if ids.dtype not in ("int64", "int32"):
        raise ctx.unsupported(f"embedding with {ids.dtype} indices")
    ctx.check_indices(ids, shape(weight)[0], False, "embedding")
    return ctx.b.embedding(ids, weight)


def embedding_backward(ctx, grad, ids, num_weights, padding_idx=-1, scale_grad_by_freq=False):
    """The gradient of embedding's table [num_weights, D]: each row of grad added at its
    index (scatter_add: serial over the indices, parallel over D), none for padding_idx,
    each divided by its index's count when scale_grad_by_freq."""
    if ids.dtype not in ("int64", "int32"):
        raise ctx.unsupported(f"embedding backward with {ids.dtype} indices")
    b = ctx.b
    d = shape(grad)[-1]
    n = numel(shape(ids))
    flat = reshape(ctx, cast(ctx, ids, "int64"), [n])
    g = reshape(ctx, grad, [n, d])
    if padding_idx is not None and padding_idx >= 0:
        pad = b.compare(reshape(ctx, flat, [n, 1]), scalar(ctx, padding_idx, "int64"), op="eq")
        g = b.where(pad, scalar(ctx, 0, grad.dtype), g)
    if scale_grad_by_freq:
        counts = b.scatter_add(full(ctx, [int(num_weights)], 0, grad.dtype), flat, full(ctx, [n], 1, grad.dtype))
        g = b.div(g, reshape(ctx, b.gather(counts, flat, axis=0), [n, 1]))
    return b.scatter_add(full(ctx, [int(num_weights), d], 0, grad.dtype), flat, g, axis=0)


def interpolate_nearest(ctx, x, size=None, scale_factor=None):
    s = shape(x)
    if rank(x) != 4:
        raise ctx.unsupported(f"nearest interpolation of a rank-{rank(x)} tensor (only 4-D)")
    if size is not None:
        size = pair(size)
        f = [size[i] // s[2 + i] for i in range(2)]
        if any(size[i] != f[i] * s[2 + i] for i in range(2)):
            raise ctx.unsupported(f"nearest interpolation to {size} (only integer factors)")
    else:
        sf = scale_factor if isinstance(scale_factor, (list, tuple)) else [scale_factor] * 2
        if any(float(v) != int(v) or v < 1 for v in sf):
            raise ctx.unsupported(f"nearest interpolation by {scale_factor} (only integer factors)")
        f = [int(v) for v in sf]
    if f == [1, 1]:
        return x
    return ctx.b.upsample_nearest2d(x, scale_factor=f)
