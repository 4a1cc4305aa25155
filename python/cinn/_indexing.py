"""Element-wise indexing along one axis, shared by the importers (cinn.torch's gather /
scatter / scatter_add, cinn.onnx's GatherElements / ScatterElements).

``index`` has x's rank and is no larger than x on the other axes; its element at position
``(.., j, ..)`` (j on ``axis``) names x's element ``(.., index[.., j, ..], ..)``. Flattened
row-major, that element is at

    flat = index[.., j, ..] * stride[axis] + sum over the other axes d of pos_d * stride[d]

so gathering or scattering along an axis is a 1-D ``gather`` / ``scatter`` /
``scatter_add`` primitive over the flat x (the primitives' indices are 1-D). Negative
values count from the end of the axis. A value still out of range would name an element of
another line: :func:`positions` clamps it into the axis (gather: no out-of-bounds read) or
moves it past the end of the flat x, where the scatter primitives ignore it.
"""

import numpy as np


def positions(b, x_shape, index, axis, out_of_range):
    """The flat positions (int64, index's shape) described in the module documentation;
    ``out_of_range`` is ``"clamp"`` or ``"drop"``. ``b`` is the NetBuilder."""
    s, i = list(x_shape), list(index.shape)
    n = s[axis]
    strides = [int(np.prod(s[d + 1:], dtype=np.int64)) for d in range(len(s))]

    def const(v):
        return b.fill_constant(i, float(v), dtype="int64")

    v = index if index.dtype == "int64" else b.cast(index, dtype="int64")
    v = b.select(b.compare(v, const(0), op="lt"), b.add(v, const(n)), v)
    if out_of_range == "clamp":
        v = b.max(b.min(v, const(n - 1)), const(0))
    else:
        inside = b.logical_and(b.compare(v, const(0), op="ge"), b.compare(v, const(n), op="lt"))
        v = b.select(inside, v, const(int(np.prod(s, dtype=np.int64))))
    flat = b.mul(v, const(strides[axis]))
    for d in range(len(s)):
        if d != axis and i[d] > 1:
            flat = b.add(flat, b.mul(b.iota(i, axis=d, dtype="int64"), const(strides[d])))
    return flat


def take_along(b, x, index, axis):
    """numpy take_along_axis (torch.gather, ONNX GatherElements): out has index's shape."""
    flat = positions(b, x.shape, index, axis, "clamp")
    n = int(np.prod(index.shape, dtype=np.int64))
    out = b.gather(b.reshape(x, shape=[int(np.prod(x.shape, dtype=np.int64))]), b.reshape(flat, shape=[n]), axis=0)
    return b.reshape(out, shape=list(index.shape))


def scatter_along(b, x, index, updates, axis, add):
    """x with updates (index's shape) stored -- added when ``add`` -- at the elements index
    names along axis, in index order: repeated positions accumulate, or keep the last."""
    flat = positions(b, x.shape, index, axis, "drop")
    n = int(np.prod(index.shape, dtype=np.int64))
    flat_x = b.reshape(x, shape=[int(np.prod(x.shape, dtype=np.int64))])
    op = b.scatter_add if add else b.scatter
    out = op(flat_x, b.reshape(flat, shape=[n]), b.reshape(updates, shape=[n]), axis=0)
    return b.reshape(out, shape=list(x.shape))
