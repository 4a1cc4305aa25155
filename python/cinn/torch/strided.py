"""aten's strided views (``_reshape_alias``, ``as_strided``) as reshape, transpose, slice
and broadcast of CINN values.

A strided view names elements of its input's *memory*: element ``i`` of
``x.as_strided(size, stride, offset)`` is ``storage[offset + sum_k i_k * stride_k]``. A CINN
value has no memory layout, only its logical elements, so a view is converted from the
strides and storage offset the input had when the graph was traced (``tensor_meta``), as
follows.

If the view is what ``x.reshape(size)`` returns as a view (the strides ATen's
``computeStride`` gives for x's sizes and strides, at x's own offset), it is that reshape --
whatever x's layout. Otherwise x's elements must fill one block of memory (x is a
permutation of a contiguous tensor): then ``D``, x permuted to decreasing strides and
flattened, is that block in memory order, and the view reads
``D[base + sum_k i_k * stride_k]`` with ``base`` the offset relative to x's. With the
view's dimensions of size > 1 and nonzero stride sorted by decreasing stride,
``s_1 > ... > s_m`` with sizes ``n_j``, and each ``s_j`` dividing ``s_{j-1}`` with
``s_{j-1} / s_j >= n_j`` (no two dimensions overlap), the view is ``R[i_1, ..., i_m, 0]``
for ``R = D[base : base + n_1 s_1]`` reshaped to
``[n_1, s_1 / s_2, ..., s_{m-1} / s_m, s_m]`` (padded at the end if D is shorter; the
padding is never read): slices of a reshape, permuted back into the view's order.
Dimensions of stride 0 are broadcasts. Anything else -- overlapping or irregular strides,
an input with gaps or broadcast dimensions, a view reaching outside its input -- is
unsupported and runs in PyTorch.
"""

import operator

import torch
import torch.fx

from .. import _cinn
from . import emit

# aten ops whose result depends on their first input's memory layout, not only on its
# elements: when PyTorch runs one, its input gets the traced layout back (restride).
LAYOUT_SENSITIVE = {torch.ops.aten._reshape_alias.default, torch.ops.aten.as_strided.default,
                    torch.ops.aten.as_strided_scatter.default}


def layout(analysis, n):
    """(sizes, strides, storage offset or None) of fx node n's tensor when the graph was
    traced, or None when not recorded. Views get their offset by running the view op on
    meta tensors laid out as its inputs were."""
    if n not in analysis.layouts:
        analysis.layouts[n] = _layout(analysis, n)
    return analysis.layouts[n]


def _layout(analysis, n):
    if n.op == "get_attr":
        t = analysis.attr(n.target)
        if not isinstance(t, torch.Tensor):
            return None
        return tuple(t.shape), tuple(t.stride()), int(t.storage_offset())
    tm = n.meta.get("tensor_meta")
    if tm is None or getattr(tm, "stride", None) is None:
        return None
    size, stride = tuple(tm.shape), tuple(tm.stride)
    if n.op == "placeholder":
        return size, stride, analysis.storage_offsets.get(n)
    producer, index = (n.args[0], n.args[1]) if n.target is operator.getitem else (n, None)
    op = producer.target
    if not isinstance(op, torch._ops.OpOverload):
        return size, stride, None
    if all(r.alias_info is None for r in op._schema.returns):
        return size, stride, 0  # a new tensor
    try:
        out = op(*torch.fx.node.map_arg(producer.args, lambda a: _meta_tensor(analysis, a)),
                 **torch.fx.node.map_arg(producer.kwargs, lambda a: _meta_tensor(analysis, a)))
        out = out[index] if index is not None else out
        return size, stride, int(out.storage_offset())
    except Exception:  # noqa: BLE001 (no meta kernel, an input's layout unknown, ...)
        return size, stride, None


def _meta_tensor(analysis, n):
    lay = layout(analysis, n)
    tm = n.meta.get("tensor_meta")
    dtype = tm.dtype if tm is not None else analysis.attr(n.target).dtype
    if lay is None or lay[2] is None:
        raise LookupError(n.name)
    size, stride, offset = lay
    memory = torch.empty(_extent(size, stride, offset), dtype=dtype, device="meta")
    return memory.as_strided(size, stride, offset)


def _extent(size, stride, offset):
    if any(d == 0 for d in size):
        return offset
    return offset + 1 + sum((d - 1) * s for d, s in zip(size, stride))


def restride(t, stride, offset=None):
    """t with the strides (and, unless None, the storage offset) it had when traced: t
    itself when it has them, else a copy laid out so."""
    size = tuple(t.shape)
    same = all(d == 1 or a == b for d, a, b in zip(size, t.stride(), stride))
    if same and (offset is None or t.storage_offset() == offset or t.numel() == 0):
        return t
    offset = offset or 0
    out = t.new_empty(_extent(size, stride, offset)).as_strided(size, stride, offset)
    out.copy_(t)
    return out


def restride_args(analysis, n):
    """(strides, offset) to restride the first input of layout-sensitive node n to, when
    PyTorch runs n; raises LookupError when the traced layout is not known."""
    src = n.args[0]
    lay = layout(analysis, src)
    if lay is None:
        raise LookupError(f"the memory layout of '{src.name}' is not recorded")
    names = [a.name for a in n.target._schema.arguments]
    i = names.index("storage_offset") if "storage_offset" in names else len(n.args)
    absolute = (n.args[i] if i < len(n.args) else n.kwargs.get("storage_offset")) is not None
    if absolute and lay[2] is None:
        raise LookupError(f"the storage offset of '{src.name}' is not known")
    return lay[1], lay[2] if absolute else None


def view_strides(old_size, old_stride, new_size):
    """The strides of ``x.view(new_size)`` for x of these sizes and strides, or None when
    that is not a view (a port of ATen's ``computeStride``)."""
    old_size, old_stride, new_size = list(old_size), list(old_stride), list(new_size)
    if not old_size:
        return [1] * len(new_size)
    if emit.numel(old_size) == 0:
        return None
    new_stride = [0] * len(new_size)
    view_d = len(new_size) - 1
    chunk_base_stride = old_stride[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_size) - 1, -1, -1):
        tensor_numel *= old_size[tensor_d]
        if tensor_d == 0 or (old_size[tensor_d - 1] != 1 and
                             old_stride[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_size[view_d] == 1):
                new_stride[view_d] = view_numel * chunk_base_stride
                view_numel *= new_size[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_stride[tensor_d - 1]
                tensor_numel = view_numel = 1
    return new_stride if view_d == -1 else None


def _same_strides(size, a, b):
    return a is not None and b is not None and all(n == 1 or x == y for n, x, y in zip(size, a, b))


class _Plan:
    """Where a view's elements sit in its input's memory block (module documentation):
    ``dims`` (the view's dimensions of size > 1 and nonzero stride), ``order`` (those by
    decreasing stride), ``blocks`` (the shape R of D[base : base + n_1 s_1]) and ``perm``
    (the input's dimensions in memory order)."""

    def __init__(self, ctx, xs, x_stride, size, stride, base, what):
        self.xs, self.size, self.base, self.n = xs, size, base, emit.numel(xs)
        x_dims = [d for d in range(len(xs)) if xs[d] != 1]
        if any(x_stride[d] == 0 for d in x_dims):
            raise ctx.unsupported(f"{what}: its input is a broadcast view")
        x_order = sorted(x_dims, key=lambda d: -x_stride[d])
        expect = 1
        for d in reversed(x_order):
            if x_stride[d] != expect:
                raise ctx.unsupported(f"{what}: its input does not fill one block of memory")
            expect *= xs[d]
        self.perm = x_order + [d for d in range(len(xs)) if d not in x_order]
        self.dims = [k for k in range(len(size)) if size[k] != 1 and stride[k] != 0]
        self.order = sorted(self.dims, key=lambda k: -stride[k])
        last = base + sum((size[k] - 1) * stride[k] for k in self.dims)
        if base < 0 or last >= self.n or any(stride[k] < 0 for k in self.dims):
            raise ctx.unsupported(f"{what} reaches outside its input")
        for prev, cur in zip(self.order, self.order[1:]):
            if stride[prev] % stride[cur] or stride[prev] // stride[cur] < size[cur]:
                raise ctx.unsupported(f"{what} is not a reshape, transpose or slice of it "
                                      "(overlapping or irregular strides)")
        o = self.order
        self.blocks = [size[o[0]]] + [stride[p] // stride[c] for p, c in zip(o, o[1:])] + [stride[o[-1]]] \
            if o else [1]
        self.total = emit.numel(self.blocks[:1]) * (stride[o[0]] if o else 1)
        self.want = [size[k] for k in o] + [1]


def _describe(size, stride, base, xs, x_stride):
    return (f"the view (sizes {size}, strides {stride}, offset {base:+d}) of a tensor of sizes "
            f"{xs} and strides {list(x_stride)}")


def _check(ctx, size, stride):
    size, stride = [int(v) for v in size], [int(v) for v in stride]
    if len(size) != len(stride):
        raise ctx.unsupported(f"sizes {size} and strides {stride} of different lengths")
    return size, stride


def as_strided(ctx, x, x_stride, size, stride, base):
    """``x.as_strided(size, stride, x.storage_offset() + base)``, with ``x_stride`` x's
    strides when traced (see the module documentation)."""
    xs = emit.shape(x)
    size, stride = _check(ctx, size, stride)
    if emit.numel(size) == 0:
        return x  # an empty result: the region makes it with torch.empty
    if base == 0 and _same_strides(size, stride, view_strides(xs, x_stride, size)):
        return emit.reshape(ctx, x, size)
    plan = _Plan(ctx, xs, x_stride, size, stride, base, _describe(size, stride, base, xs, x_stride))
    b = ctx.b
    flat = emit.reshape(ctx, emit.permute(ctx, x, plan.perm), [plan.n])
    if base + plan.total > plan.n:  # the last block is partial: pad what is never read
        flat = b.pad(flat, pads=[0, base + plan.total - plan.n], value=0.0)
    r = emit.reshape(ctx, emit.slice_axis(ctx, flat, 0, base, base + plan.total, 1), plan.blocks)
    if plan.want != plan.blocks:
        r = b.slice(r, axes=list(range(len(plan.blocks))), starts=[0] * len(plan.blocks), ends=plan.want)
    if plan.order:
        v = emit.reshape(ctx, r, plan.want[:-1])
        r = emit.permute(ctx, v, [plan.order.index(k) for k in sorted(plan.order)])
    v = emit.reshape(ctx, r, [size[k] if k in plan.dims else 1 for k in range(len(size))])
    return emit.expand(ctx, v, size)


def as_strided_scatter(ctx, x, src, x_stride, size, stride, base):
    """``x`` with ``src`` written into its view ``as_strided(size, stride, offset)`` (the
    inverse of :func:`as_strided`: src padded back into the blocks, selected by a mask of
    the same shape)."""
    xs = emit.shape(x)
    size, stride = _check(ctx, size, stride)
    if emit.numel(size) == 0:
        return x
    if any(stride[k] == 0 and size[k] > 1 for k in range(len(size))):
        raise ctx.unsupported(f"{_describe(size, stride, base, xs, x_stride)}: a broadcast view "
                              "written to (several elements to one place)")
    if base == 0 and _same_strides(size, stride, view_strides(xs, x_stride, size)):
        return emit.reshape(ctx, emit.cast(ctx, src, x.dtype), xs)  # the view is all of x
    plan = _Plan(ctx, xs, x_stride, size, stride, base, _describe(size, stride, base, xs, x_stride))
    b = ctx.b

    def spread(v):
        """v (the view's shape) at its places in x's memory block, zeros elsewhere."""
        if plan.order:
            v = emit.reshape(ctx, v, [size[k] for k in sorted(plan.order)])
            v = emit.permute(ctx, v, [sorted(plan.order).index(k) for k in plan.order])
        v = emit.reshape(ctx, v, plan.want)
        pads = []
        for have, full in zip(plan.want, plan.blocks):
            pads += [0, full - have]
        v = b.pad(v, pads=pads, value=0.0) if any(pads) else v
        v = emit.reshape(ctx, v, [plan.total])
        return b.pad(v, pads=[base, max(plan.n - base - plan.total, 0)], value=0.0) \
            if base or plan.n > base + plan.total else v

    placed = spread(emit.cast(ctx, src, x.dtype))
    mask = spread(emit.full(ctx, size, 1, "int32"))
    if emit.shape(placed)[0] > plan.n:  # the padding of a partial last block
        placed = b.slice(placed, axes=[0], starts=[0], ends=[plan.n])
        mask = b.slice(mask, axes=[0], starts=[0], ends=[plan.n])
    flat = emit.reshape(ctx, emit.permute(ctx, x, plan.perm), [plan.n])
    out = b.where(b.compare(mask, emit.scalar(ctx, 0, "int32"), op="ne"), placed, flat)
    out = emit.reshape(ctx, out, [xs[d] for d in plan.perm])
    return emit.permute(ctx, out, [plan.perm.index(d) for d in range(len(xs))])


def slice_scatter(ctx, x, src, d, start, end, step):
    """``x`` with ``x[..., start:end:step, ...]`` (on dimension d) replaced by ``src``:
    src spread to every step-th place (a new axis padded to ``step`` and merged), padded
    to x's extent, and selected by a mask built the same way."""
    size = emit.shape(x)[d]
    lo, hi, st = slice(start, end, step).indices(size)
    n = len(range(lo, hi, st))
    if st <= 0:
        raise ctx.unsupported(f"slice_scatter with step {step} (only positive steps)")
    if n == 0:
        return x
    if emit.shape(src)[d] != n:
        raise ctx.error(_cinn.ShapeError, f"slice_scatter: src has {emit.shape(src)[d]} "
                        f"entries on dim {d}, the slice {n}")
    b = ctx.b
    r = emit.rank(x)

    def spread(v):
        s = emit.shape(v)
        if st > 1:
            v = emit.reshape(ctx, v, s[:d + 1] + [1] + s[d + 1:])
            pads = [0] * (2 * (r + 1))
            pads[2 * (d + 1) + 1] = st - 1
            v = emit.reshape(ctx, b.pad(v, pads=pads, value=0.0), s[:d] + [n * st] + s[d + 1:])
        length = lo + emit.shape(v)[d]
        pads = [0] * (2 * r)
        pads[2 * d], pads[2 * d + 1] = lo, max(size - length, 0)
        v = b.pad(v, pads=pads, value=0.0) if any(pads) else v
        return emit.slice_axis(ctx, v, d, 0, size, 1)

    placed = spread(emit.cast(ctx, src, x.dtype))
    mask = spread(emit.full(ctx, emit.shape(src), 1, "int32"))
    return b.where(b.compare(mask, emit.scalar(ctx, 0, "int32"), op="ne"), placed, x)
