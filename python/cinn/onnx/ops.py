"""ONNX operators -> NetBuilder ops.

``CONVERTERS[op_type](ctx, inputs, attrs)`` emits the operator on ``ctx.b`` and returns its
results; ``inputs`` holds a ``cinn.Value`` or a numpy array (known while importing) per
ONNX input, ``None`` for an omitted optional one. ``FOLDERS[op_type]`` evaluates the
operator with numpy when every input is known (shape arithmetic: ``Shape -> Gather ->
Concat -> Reshape`` chains in exported models). Semantics follow the ONNX operator
specification, opsets 7-17; where an opset moved an attribute to an input, both forms are
read.
"""

import math

import numpy as np

from .. import _cinn, _indexing, _pooling

CONVERTERS = {}
FOLDERS = {}


def converter(*names):
    def register(fn):
        for n in names:
            CONVERTERS[n] = fn
        return fn
    return register


def folder(*names):
    def register(fn):
        for n in names:
            FOLDERS[n] = fn
        return fn
    return register


def _shape(x):
    return list(x.shape)


def _reshaped(ctx, x, new):
    """x reshaped to `new`: folded for a constant (numpy) value, else a reshape node."""
    if isinstance(x, np.ndarray):
        return x.reshape(new)
    return ctx.b.reshape(x, shape=new)


def _rank(x):
    return len(x.shape)


def _dtype(x):
    return str(x.dtype)


def _axis(a, rank, inclusive=False):
    """Axis `a` of a rank-`rank` tensor, made non-negative. Outside [-rank, rank) (Flatten's
    [-rank, rank] when `inclusive`) it is a ShapeError, which the importer prefixes with the
    node: wrapped around once more it would silently pick another axis."""
    a = int(a)
    if not -rank <= a < rank + (1 if inclusive else 0):
        raise _cinn.ShapeError(f"axis {a} is out of range for a rank-{rank} tensor")
    return a + rank if a < 0 else a


def _axes(axes, rank):
    """_axis of each of `axes` (in their order); an axis given twice is a ShapeError."""
    out = [_axis(a, rank) for a in axes]
    if len(set(out)) != len(out):
        raise _cinn.ShapeError(f"axes {list(axes)} name an axis twice (rank {rank})")
    return out


def _ints(ctx, x, what):
    return [int(v) for v in np.asarray(ctx.known(x, what)).reshape(-1)]


def _unsupported(ctx, msg):
    return ctx.error(_cinn.UnsupportedOpError, msg)


def _input_or_attr(ctx, inputs, index, attrs, name, since, default=None):
    """An argument that opset `since` moved from attribute `name` to input `index`."""
    if ctx.opset >= since:
        if len(inputs) > index and inputs[index] is not None:
            return _ints(ctx, inputs[index], name)
        return default
    return attrs.get(name, default)


# ---- elementwise ----------------------------------------------------------------------

_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log",
          "Sqrt": "sqrt", "Abs": "abs", "Neg": "neg", "Erf": "erf", "Floor": "floor",
          "Ceil": "ceil", "Sin": "sin", "Cos": "cos", "Not": "logical_not",
          "Softsign": "softsign", "HardSwish": "hard_swish", "IsNaN": "isnan"}

_NP_UNARY = {"Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil,
             "Sqrt": np.sqrt, "Not": np.logical_not, "Sign": np.sign, "Exp": np.exp,
             "Log": np.log, "Relu": lambda x: np.maximum(x, 0).astype(x.dtype)}


def _unary(op):
    def conv(ctx, inputs, attrs):
        return getattr(ctx.b, op)(ctx.value(inputs[0]))
    return conv


for _onnx_name, _op in _UNARY.items():
    converter(_onnx_name)(_unary(_op))


@converter("Sign")
def _sign(ctx, inputs, attrs):
    # NaN stays NaN (np.sign, the specification's reference); NetBuilder's sign gives 0
    # there, as torch.sign does.
    x = ctx.value(inputs[0])
    s = ctx.b.sign(x)
    return s if _is_int(x) else ctx.b.where(ctx.b.isnan(x), x, s)


def _np_unary(fn):
    def fold(ctx, inputs, attrs):
        return np.asarray(fn(inputs[0])).astype(inputs[0].dtype)
    return fold


for _onnx_name, _fn in _NP_UNARY.items():
    folder(_onnx_name)(_np_unary(_fn))


@converter("Round")
def _round(ctx, inputs, attrs):
    return ctx.b.round(ctx.value(inputs[0]))  # both round halves to even


@converter("Identity")
def _identity(ctx, inputs, attrs):
    return inputs[0]


folder("Identity")(lambda ctx, inputs, attrs: inputs[0])


@converter("Reciprocal")
def _reciprocal(ctx, inputs, attrs):
    return ctx.b.reciprocal(ctx.value(inputs[0]))


@converter("LeakyRelu")
def _leaky_relu(ctx, inputs, attrs):
    return ctx.b.leaky_relu(ctx.value(inputs[0]), alpha=attrs.get("alpha", 0.01))


@converter("Elu")
def _elu(ctx, inputs, attrs):
    return ctx.b.elu(ctx.value(inputs[0]), alpha=attrs.get("alpha", 1.0))


@converter("Celu")
def _celu(ctx, inputs, attrs):
    alpha = attrs.get("alpha", 1.0)
    x = ctx.value(inputs[0])
    b = ctx.b
    neg = b.mul(b.sub(b.exp(b.div(x, alpha)), 1.0), alpha)
    return b.add(b.relu(x), b.min(neg, 0.0))


@converter("Selu")
def _selu(ctx, inputs, attrs):
    alpha = attrs.get("alpha", 1.67326319217681884765625)
    gamma = attrs.get("gamma", 1.05070102214813232421875)
    x = ctx.value(inputs[0])
    return ctx.b.mul(ctx.b.elu(x, alpha=alpha), gamma)


@converter("ThresholdedRelu")
def _thresholded_relu(ctx, inputs, attrs):
    x = ctx.value(inputs[0])
    b = ctx.b
    return b.where(b.greater(x, attrs.get("alpha", 1.0)), x, b.zeros_like(x))


@converter("HardSigmoid")
def _hard_sigmoid(ctx, inputs, attrs):
    alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
    x = ctx.value(inputs[0])
    return ctx.b.clip(ctx.b.add(ctx.b.mul(x, alpha), beta), min=0.0, max=1.0)


@converter("Softplus")
def _softplus(ctx, inputs, attrs):
    return ctx.b.softplus(ctx.value(inputs[0]))


@converter("PRelu")
def _prelu(ctx, inputs, attrs):
    x, slope = ctx.value(inputs[0]), ctx.value(inputs[1])
    b = ctx.b
    return b.where(b.less(x, 0.0), b.mul(x, slope), x)


@converter("Clip")
def _clip(ctx, inputs, attrs):
    if ctx.opset >= 11:
        lo = None if len(inputs) < 2 or inputs[1] is None else ctx.known(inputs[1], "min")
        hi = None if len(inputs) < 3 or inputs[2] is None else ctx.known(inputs[2], "max")
        lo = -math.inf if lo is None else float(lo)
        hi = math.inf if hi is None else float(hi)
    else:
        lo, hi = attrs.get("min", -math.inf), attrs.get("max", math.inf)
    x = ctx.value(inputs[0])
    if _dtype(x).startswith(("int", "uint")):
        b = ctx.b
        if lo != -math.inf:
            x = b.max(x, lo)
        if hi != math.inf:
            x = b.min(x, hi)
        return x
    return ctx.b.clip(x, min=lo, max=hi)


_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Equal": "equal",
           "Less": "less", "Greater": "greater", "LessOrEqual": "less_equal",
           "GreaterOrEqual": "greater_equal", "And": "logical_and", "Or": "logical_or",
           "Xor": "logical_xor"}
_NP_BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal,
              "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
              "GreaterOrEqual": np.greater_equal, "And": np.logical_and,
              "Or": np.logical_or, "Xor": np.logical_xor}


def _binary(op):
    def conv(ctx, inputs, attrs):
        return getattr(ctx.b, op)(ctx.value(inputs[0]), ctx.value(inputs[1]))
    return conv


for _onnx_name, _op in _BINARY.items():
    converter(_onnx_name)(_binary(_op))


def _np_binary(fn):
    def fold(ctx, inputs, attrs):
        a, b = inputs
        r = np.asarray(fn(a, b))
        return r if r.dtype == np.bool_ else r.astype(a.dtype)
    return fold


for _onnx_name, _fn in _NP_BINARY.items():
    folder(_onnx_name)(_np_binary(_fn))


def _is_int(v):
    return _dtype(v).startswith(("int", "uint"))


@converter("Pow")
def _pow(ctx, inputs, attrs):
    # The exponent may have another type than the base; the result has the base's.
    b = ctx.b
    x, y = ctx.value(inputs[0]), ctx.value(inputs[1])
    if _is_int(x):
        out = b.pow(b.cast(x, "float64"), b.cast(y, "float64"))
        return b.cast(b.round(out), _dtype(x))
    if _dtype(y) != _dtype(x):
        y = b.cast(y, _dtype(x))
    return b.pow(x, y)


@converter("Div")
def _div(ctx, inputs, attrs):
    b = ctx.b
    x, y = ctx.value(inputs[0]), ctx.value(inputs[1])
    q = b.div(x, y)
    if not _is_int(x):
        return q
    # ONNX integer division truncates toward zero; cinn's floors.
    inexact = b.not_equal(b.mod(x, y), b.zeros_like(b.mod(x, y)))
    signs_differ = b.logical_xor(b.less(x, 0), b.less(y, 0))
    return b.where(b.logical_and(inexact, signs_differ), b.add(q, 1), q)


@folder("Div")
def _fold_div(ctx, inputs, attrs):
    a, b = inputs
    if a.dtype.kind in "iu":
        return (np.trunc(a / b)).astype(a.dtype)
    return (a / b).astype(a.dtype)


@converter("Mod")
def _mod(ctx, inputs, attrs):
    b = ctx.b
    x, y = ctx.value(inputs[0]), ctx.value(inputs[1])
    if attrs.get("fmod", 0):
        # C fmod: the sign follows x.  Integers: x - trunc(x / y) * y. Floats: the floored
        # remainder of |x| and |y| (exact, and there the same as the truncated one: an
        # infinite y leaves x), with x's sign; x - trunc(x / y) * y would lose it to
        # rounding once x / y is large.
        if _is_int(x):
            return b.sub(x, b.mul(_div(ctx, [x, y], {}), y))
        r = b.mod(b.abs(x), b.abs(y))
        return b.where(b.less(x, 0.0), b.neg(r), r)
    if not _is_int(x):
        raise _unsupported(ctx, "Mod of floats needs fmod=1 (the specification)")
    return b.mod(x, y)


def _variadic(op, np_fn):
    def conv(ctx, inputs, attrs):
        vals = [ctx.value(v) for v in inputs if v is not None]
        out = vals[0]
        for v in vals[1:]:
            out = getattr(ctx.b, op)(out, v)
        return out

    def fold(ctx, inputs, attrs):
        out = inputs[0]
        for v in inputs[1:]:
            out = np_fn(out, v).astype(inputs[0].dtype)
        return out
    return conv, fold


for _onnx_name, (_op, _fn) in {"Max": ("max", np.maximum), "Min": ("min", np.minimum),
                               "Sum": ("add", np.add)}.items():
    _c, _f = _variadic(_op, _fn)
    converter(_onnx_name)(_c)
    folder(_onnx_name)(_f)


@converter("Mean")
def _mean(ctx, inputs, attrs):
    vals = [ctx.value(v) for v in inputs]
    out = vals[0]
    for v in vals[1:]:
        out = ctx.b.add(out, v)
    return ctx.b.div(out, float(len(vals)))


@converter("Where")
def _where(ctx, inputs, attrs):
    return ctx.b.where(*[ctx.value(v) for v in inputs])


@folder("Where")
def _fold_where(ctx, inputs, attrs):
    return np.where(*inputs).astype(inputs[1].dtype)


@converter("Cast")
def _cast(ctx, inputs, attrs):
    from .importer import _DTYPES  # noqa: PLC0415
    to = attrs["to"]
    if to not in _DTYPES:
        raise ctx.error(_cinn.DTypeError, f"Cast to element type {to}, which CINN does not support")
    return ctx.b.cast(ctx.value(inputs[0]), _DTYPES[to])


@folder("Cast")
def _fold_cast(ctx, inputs, attrs):
    from .importer import _DTYPES  # noqa: PLC0415
    if attrs["to"] not in _DTYPES:
        raise ctx.error(_cinn.DTypeError, f"Cast to element type {attrs['to']}, which CINN does not support")
    return inputs[0].astype(_DTYPES[attrs["to"]])


# ---- constants and shapes ---------------------------------------------------------------

@converter("Constant")
def _constant(ctx, inputs, attrs):
    if "value" in attrs:
        return attrs["value"]
    for name, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                        ("value_int", np.int64), ("value_ints", np.int64)):
        if name in attrs:
            return np.asarray(attrs[name], dtype=dtype)
    raise _unsupported(ctx, f"Constant with attribute(s) {sorted(attrs)} is not supported")


@converter("Shape")
def _shape_op(ctx, inputs, attrs):
    s = np.asarray(_shape(inputs[0]), dtype=np.int64)
    rank = len(s)
    start = attrs.get("start", 0)
    end = attrs.get("end", rank)
    return s[slice(start, end)]


folder("Shape")(_shape_op)


@converter("Size")
def _size(ctx, inputs, attrs):
    return np.asarray(int(np.prod(_shape(inputs[0]))), dtype=np.int64)


folder("Size")(_size)


@converter("ConstantOfShape")
def _constant_of_shape(ctx, inputs, attrs):
    shape = _ints(ctx, inputs[0], "input")
    v = attrs.get("value", np.zeros((1,), np.float32))
    return np.full(shape, v.reshape(-1)[0], dtype=v.dtype)


folder("ConstantOfShape")(_constant_of_shape)


@converter("Range")
def _range(ctx, inputs, attrs):
    start, limit, delta = [ctx.known(v, n) for v, n in zip(inputs, ("start", "limit", "delta"))]
    return np.arange(start, limit, delta, dtype=np.asarray(start).dtype)


folder("Range")(_range)


@converter("Reshape")
def _reshape(ctx, inputs, attrs):
    x = inputs[0]
    shape = _input_or_attr(ctx, inputs, 1, attrs, "shape", 5)
    old = _shape(x)
    allowzero = attrs.get("allowzero", 0)
    new = [old[i] if d == 0 and not allowzero else d for i, d in enumerate(shape)]
    return _reshaped(ctx, x, new)


folder("Reshape")(_reshape)


@converter("Flatten")
def _flatten(ctx, inputs, attrs):
    x = inputs[0]
    s = _shape(x)
    axis = _axis(attrs.get("axis", 1), len(s), inclusive=True)
    new = [int(np.prod(s[:axis])), int(np.prod(s[axis:]))]
    return _reshaped(ctx, x, new)


folder("Flatten")(_flatten)


def _squeeze_axes(ctx, inputs, attrs):
    return _input_or_attr(ctx, inputs, 1, attrs, "axes", 13)


@converter("Squeeze")
def _squeeze(ctx, inputs, attrs):
    x = inputs[0]
    s = _shape(x)
    axes = _squeeze_axes(ctx, inputs, attrs)
    axes = [i for i, d in enumerate(s) if d == 1] if axes is None else _axes(axes, len(s))
    for a in axes:
        if s[a] != 1:
            raise ctx.error(_cinn.ShapeError, f"cannot squeeze axis {a} of size {s[a]}")
    new = [d for i, d in enumerate(s) if i not in axes]
    return _reshaped(ctx, x, new)


folder("Squeeze")(_squeeze)


@converter("Unsqueeze")
def _unsqueeze(ctx, inputs, attrs):
    x = inputs[0]
    axes = _squeeze_axes(ctx, inputs, attrs)
    rank = len(_shape(x)) + len(axes)
    axes = sorted(_axes(axes, rank))
    new = list(_shape(x))
    for a in axes:
        new.insert(a, 1)
    return _reshaped(ctx, x, new)


folder("Unsqueeze")(_unsqueeze)


@converter("Transpose")
def _transpose(ctx, inputs, attrs):
    x = inputs[0]
    perm = attrs.get("perm", list(reversed(range(_rank(x)))))
    if isinstance(x, np.ndarray):
        return np.transpose(x, perm)
    return ctx.b.transpose(x, perm=perm)


folder("Transpose")(_transpose)


@converter("Concat")
def _concat(ctx, inputs, attrs):
    vals = [v for v in inputs if v is not None]
    vals = [v for v in vals if 0 not in _shape(v)] or vals[:1]  # empty operands add nothing
    axis = attrs["axis"]
    if all(isinstance(v, np.ndarray) for v in vals):
        return np.concatenate(vals, axis=axis)
    vals = [ctx.value(v) for v in vals]
    return vals[0] if len(vals) == 1 else ctx.b.concat(vals, axis=axis)


folder("Concat")(_concat)


@converter("Split")
def _split(ctx, inputs, attrs):
    x = inputs[0]
    axis = _axis(attrs.get("axis", 0), _rank(x))
    split = _input_or_attr(ctx, inputs, 1, attrs, "split", 13)
    n_out = len(ctx.node.output)
    size = _shape(x)[axis]
    if split is None:
        if size % n_out:
            raise ctx.error(_cinn.ShapeError, f"axis {axis} of size {size} does not split "
                            f"into {n_out} equal parts")
        split = [size // n_out] * n_out
    if isinstance(x, np.ndarray):
        return np.split(x, np.cumsum(split)[:-1], axis=axis)
    outs = ctx.b.split(x, split if len(split) > 1 else [1], axis=axis)
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


folder("Split")(_split)


@converter("Slice")
def _slice(ctx, inputs, attrs):
    x = inputs[0]
    rank = _rank(x)
    if ctx.opset >= 10:
        starts = _ints(ctx, inputs[1], "starts")
        ends = _ints(ctx, inputs[2], "ends")
        axes = _ints(ctx, inputs[3], "axes") if len(inputs) > 3 and inputs[3] is not None else None
        steps = _ints(ctx, inputs[4], "steps") if len(inputs) > 4 and inputs[4] is not None else None
    else:
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    axes = list(range(len(starts))) if axes is None else _axes(axes, rank)
    steps = [1] * len(starts) if steps is None else steps
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.error(_cinn.ShapeError, f"starts, ends, axes and steps must have one entry per sliced "
                        f"axis, got {len(starts)}, {len(ends)}, {len(axes)} and {len(steps)}")
    index = [slice(None)] * rank
    for a, s, e, st in zip(axes, starts, ends, steps):
        if st == 0:
            raise ctx.error(_cinn.ShapeError, f"step 0 on axis {a}")
        index[a] = slice(s, e, st)
    if isinstance(x, np.ndarray):
        return x[tuple(index)]
    s = _shape(x)
    py_axes, py_starts, py_ends, py_steps = [], [], [], []
    for a in axes:
        lo, hi, st = index[a].indices(s[a])
        n = len(range(lo, hi, st))
        if n <= 0:
            raise ctx.error(_cinn.ShapeError, f"empty slice on axis {a}")
        # Python's resolved bounds; a backward slice through the first element ends at -1,
        # which CINN's slice (numpy's rule) would read as the last: -s - 1 instead.
        last = lo + (n - 1) * st
        py_axes.append(a)
        py_starts.append(lo)
        py_ends.append(last + 1 if st > 0 else (last - 1 if last > 0 else -s[a] - 1))
        py_steps.append(st)
    return ctx.b.slice(x, axes=py_axes, starts=py_starts, ends=py_ends, strides=py_steps)


folder("Slice")(_slice)


@converter("Gather")
def _gather(ctx, inputs, attrs):
    x, idx = inputs
    axis = _axis(attrs.get("axis", 0), _rank(x))
    if isinstance(x, np.ndarray) and isinstance(idx, np.ndarray):
        return np.take(x, idx, axis=axis)
    if isinstance(idx, np.ndarray) and idx.ndim == 0:
        i = int(idx) + (_shape(x)[axis] if int(idx) < 0 else 0)
        v = ctx.b.slice(ctx.value(x), axes=[axis], starts=[i], ends=[i + 1])
        return ctx.b.reshape(v, shape=[d for k, d in enumerate(_shape(x)) if k != axis])
    return ctx.b.gather(ctx.value(x), ctx.value(idx), axis=axis)


folder("Gather")(_gather)


@converter("GatherElements")
def _gather_elements(ctx, inputs, attrs):
    """numpy take_along_axis (negative indices count from the end; out-of-range ones, which
    ONNX leaves undefined, are clamped to the axis: cinn._indexing)."""
    x, idx = inputs
    axis = _axis(attrs.get("axis", 0), _rank(x))
    if isinstance(x, np.ndarray) and isinstance(idx, np.ndarray):
        return np.take_along_axis(x, np.where(idx < 0, idx + x.shape[axis], idx), axis=axis)
    _check_elements_index(ctx, x, idx, axis)
    return _indexing.take_along(ctx.b, ctx.value(x), ctx.value(idx), axis)


folder("GatherElements")(_gather_elements)


def _check_elements_index(ctx, x, idx, axis):
    if _rank(idx) != _rank(x) or any(i > n for d, (i, n) in enumerate(zip(_shape(idx), _shape(x))) if d != axis):
        raise ctx.error(_cinn.ShapeError, f"indices {_shape(idx)} must have data's rank and be no larger than "
                                          f"data {_shape(x)} but on axis {axis}")


@converter("ScatterElements", "Scatter")
def _scatter_elements(ctx, inputs, attrs):
    """data with updates stored (reduction 'none') or added ('add') at the elements indices
    names along axis, in index order (cinn._indexing): of repeated indices, which ONNX
    leaves undefined for 'none', the last stays; out-of-range ones are ignored."""
    x, idx, upd = inputs
    reduction = attrs.get("reduction", "none")
    if isinstance(reduction, bytes):
        reduction = reduction.decode()
    if reduction not in ("none", "add"):
        raise _unsupported(ctx, f"reduction '{reduction}' is not supported (only 'none' and 'add')")
    axis = _axis(attrs.get("axis", 0), _rank(x))
    _check_elements_index(ctx, x, idx, axis)
    if _shape(upd) != _shape(idx):
        raise ctx.error(_cinn.ShapeError, f"updates {_shape(upd)} must have the shape of indices {_shape(idx)}")
    return _indexing.scatter_along(ctx.b, ctx.value(x), ctx.value(idx), ctx.value(upd), axis, reduction == "add")


@converter("Expand")
def _expand(ctx, inputs, attrs):
    x = inputs[0]
    shape = _ints(ctx, inputs[1], "shape")
    # bidirectional broadcasting: the result is broadcast(x.shape, shape)
    out = list(np.broadcast_shapes(tuple(_shape(x)), tuple(shape)))
    if isinstance(x, np.ndarray):
        return np.broadcast_to(x, out).copy()
    if out == _shape(x):
        return x
    return ctx.b.broadcast_to(x, shape=out)


folder("Expand")(_expand)


@converter("Tile")
def _tile(ctx, inputs, attrs):
    x = inputs[0]
    reps = _ints(ctx, inputs[1], "repeats")
    if isinstance(x, np.ndarray):
        return np.tile(x, reps)
    return ctx.b.tile(x, repeats=reps)


folder("Tile")(_tile)


@converter("Pad")
def _pad(ctx, inputs, attrs):
    x = inputs[0]
    mode = attrs.get("mode", "constant")
    if mode != "constant":
        raise _unsupported(ctx, f"Pad mode '{mode}' is not supported (only 'constant')")
    rank = _rank(x)
    if ctx.opset >= 11:
        pads = _ints(ctx, inputs[1], "pads")
        value = 0.0
        if len(inputs) > 2 and inputs[2] is not None:
            value = float(np.asarray(ctx.known(inputs[2], "constant_value")).reshape(-1)[0])
        axes = list(range(rank))
        if len(inputs) > 3 and inputs[3] is not None:
            axes = _axes(_ints(ctx, inputs[3], "axes"), rank)
    else:
        pads, value, axes = attrs["pads"], attrs.get("value", 0.0), list(range(rank))
    k = len(axes)
    full = [0] * (2 * rank)
    for i, a in enumerate(axes):
        full[2 * a], full[2 * a + 1] = pads[i], pads[k + i]
    if not any(full):
        return x
    return ctx.b.pad(ctx.value(x), pads=full, value=value)


# ---- matmul and convolution --------------------------------------------------------------

@converter("MatMul")
def _matmul(ctx, inputs, attrs):
    b = ctx.b
    x, y = ctx.value(inputs[0]), ctx.value(inputs[1])
    xs, ys = _shape(x), _shape(y)
    if len(xs) == 1:
        x = b.reshape(x, shape=[1, xs[0]])
    if len(ys) == 1:
        y = b.reshape(y, shape=[ys[0], 1])
    out = b.matmul(x, y)
    if len(xs) == 1 or len(ys) == 1:
        s = _shape(out)
        drop = []
        if len(ys) == 1:
            drop.append(len(s) - 1)
        if len(xs) == 1:
            drop.append(len(s) - 2)
        out = b.reshape(out, shape=[d for i, d in enumerate(s) if i not in drop])
    return out


@converter("Gemm")
def _gemm(ctx, inputs, attrs):
    b = ctx.b
    a, w = ctx.value(inputs[0]), ctx.value(inputs[1])
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    y = b.matmul(a, w, transpose_x=bool(attrs.get("transA", 0)),
                 transpose_y=bool(attrs.get("transB", 0)))
    if alpha != 1.0:
        y = b.mul(y, alpha)
    if len(inputs) > 2 and inputs[2] is not None and beta != 0.0:
        c = inputs[2]
        if beta != 1.0:
            c = np.asarray(c * beta, dtype=c.dtype) if isinstance(c, np.ndarray) else b.mul(c, beta)
        y = b.add(y, ctx.value(c))
    return y


def _spatial_pads(ctx, attrs, in_hw, kernel, strides, dilations, ceil_mode=False):
    """[(before, after)] per spatial axis from pads / auto_pad (and ceil_mode)."""
    n = len(kernel)
    auto = attrs.get("auto_pad", "NOTSET")
    out = []
    for d in range(n):
        eff = (kernel[d] - 1) * dilations[d] + 1
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            o = -(-in_hw[d] // strides[d])
            total = max(0, (o - 1) * strides[d] + eff - in_hw[d])
            small, big = total // 2, total - total // 2
            out.append((small, big) if auto == "SAME_UPPER" else (big, small))
        elif auto == "VALID":
            out.append((0, 0))
        elif auto == "NOTSET":
            pads = attrs.get("pads", [0] * (2 * n))
            out.append((pads[d], pads[n + d]))
        else:
            raise _unsupported(ctx, f"auto_pad '{auto}'")
    if ceil_mode:
        for d in range(n):
            lo, hi = out[d]
            out[d] = (lo, hi + _pooling.ceil_extra(in_hw[d], kernel[d], strides[d], (lo, hi), dilations[d]))
    return out


def _to_2d(ctx, x, what):
    """NC[W] -> NC1W for 1-D operators; returns (x, squeeze) or raises for 3-D."""
    r = _rank(x)
    if r == 4:
        return x, False
    if r == 3:
        s = _shape(x)
        return ctx.b.reshape(ctx.value(x), shape=[s[0], s[1], 1, s[2]]), True
    raise _unsupported(ctx, f"{what} on a rank-{r} input (only 1-D and 2-D: rank 3 or 4)")


@converter("Conv")
def _conv(ctx, inputs, attrs):
    b = ctx.b
    x, squeeze = _to_2d(ctx, ctx.value(inputs[0]), "Conv")
    w = inputs[1]
    if squeeze:
        ws = _shape(w)
        w = w.reshape(ws[0], ws[1], 1, ws[2]) if isinstance(w, np.ndarray) else \
            b.reshape(w, shape=[ws[0], ws[1], 1, ws[2]])
        attrs = _lift_1d(attrs)
    w = ctx.value(w)
    kernel = _shape(w)[2:]
    strides = attrs.get("strides", [1, 1])
    dil = attrs.get("dilations", [1, 1])
    group = attrs.get("group", 1)
    pads = _spatial_pads(ctx, attrs, _shape(x)[2:], kernel, strides, dil)
    sym = [p[0] for p in pads]
    if any(p[0] != p[1] for p in pads):
        x = b.pad(x, pads=[0, 0, 0, 0, pads[0][0], pads[0][1], pads[1][0], pads[1][1]])
        sym = [0, 0]
    y = b.conv2d(x, w, stride=strides, padding=sym, dilation=dil, groups=group)
    if len(inputs) > 2 and inputs[2] is not None:
        bias = inputs[2]
        o = _shape(bias)[0]
        bias = bias.reshape(1, o, 1, 1) if isinstance(bias, np.ndarray) else \
            b.reshape(bias, shape=[1, o, 1, 1])
        y = b.add(y, ctx.value(bias))
    if squeeze:
        s = _shape(y)
        y = b.reshape(y, shape=[s[0], s[1], s[3]])
    return y


def _lift_1d(attrs):
    out = dict(attrs)
    for k, one in (("strides", 1), ("dilations", 1), ("kernel_shape", 1)):
        if k in out:
            out[k] = [one] + list(out[k])
    if "pads" in out:
        out["pads"] = [0, out["pads"][0], 0, out["pads"][1]]
    return out


def _pool(ctx, inputs, attrs, kind):
    b = ctx.b
    x, squeeze = _to_2d(ctx, ctx.value(inputs[0]), f"{kind} pooling")
    if squeeze:
        attrs = _lift_1d(attrs)
    kernel = attrs["kernel_shape"]
    strides = attrs.get("strides", [1, 1])
    dil = attrs.get("dilations", [1, 1])
    if any(d != 1 for d in dil):
        raise _unsupported(ctx, f"pooling with dilations {dil}")
    if attrs.get("storage_order", 0):
        raise _unsupported(ctx, "MaxPool with storage_order=1")
    ceil = bool(attrs.get("ceil_mode", 0))
    hw = _shape(x)[2:]
    pads = _spatial_pads(ctx, attrs, hw, kernel, strides, dil)
    full = _spatial_pads(ctx, attrs, hw, kernel, strides, dil, ceil_mode=ceil)
    include = bool(attrs.get("count_include_pad", 0))
    dtype = _dtype(x)
    if kind == "max" and _is_int(x):  # exact in float64 for every integer type here
        x = b.cast(x, "float64")
    legal = all(p[0] == p[1] and 2 * p[0] <= k for p, k in zip(full, kernel))
    if legal and (kind == "max" or full == pads or not include):
        y = b.pool2d(x, kind, kernel=kernel, stride=strides, padding=[p[0] for p in full],
                     exclusive=not include)
    else:
        # Windows pool2d cannot express (asymmetric or over-half padding, ceil_mode): pad
        # explicitly and pool without padding. An average divides the window sums by the
        # window counts of what it may count: the input (exclusive), or the input and the
        # explicit pads but not ceil_mode's extension (count_include_pad, as the
        # specification's reference does): a constant factor (cinn._pooling).
        hw_pads = [0, 0, 0, 0, full[0][0], full[0][1], full[1][0], full[1][1]]
        value = -math.inf if kind == "max" else 0.0
        xp = b.pad(x, pads=hw_pads, value=value)
        y = b.pool2d(xp, kind, kernel=kernel, stride=strides, padding=[0, 0], exclusive=False)
        if kind == "avg":
            out = _shape(y)[2:]
            factor = _pooling.avg_factors(out, kernel, strides, hw, pads, include)
            y = b.mul(y, ctx.value(factor.reshape([1, 1] + out).astype(dtype)))
    if _dtype(y) != dtype:
        y = b.cast(y, dtype)
    if squeeze:
        s = _shape(y)
        y = b.reshape(y, shape=[s[0], s[1], s[3]])
    return y


@converter("MaxPool")
def _max_pool(ctx, inputs, attrs):
    if len(ctx.node.output) > 1 and ctx.node.output[1]:
        raise _unsupported(ctx, "MaxPool's Indices output is not supported")
    return _pool(ctx, inputs, attrs, "max")


@converter("AveragePool")
def _avg_pool(ctx, inputs, attrs):
    return _pool(ctx, inputs, attrs, "avg")


@converter("GlobalAveragePool")
def _global_avg_pool(ctx, inputs, attrs):
    x = ctx.value(inputs[0])
    return ctx.b.mean(x, axis=list(range(2, _rank(x))), keepdim=True)


@converter("GlobalMaxPool")
def _global_max_pool(ctx, inputs, attrs):
    x = ctx.value(inputs[0])
    return ctx.b.amax(x, axis=list(range(2, _rank(x))), keepdim=True)


# ---- normalization, softmax, reductions -------------------------------------------------

@converter("BatchNormalization")
def _batch_norm(ctx, inputs, attrs):
    if attrs.get("training_mode", 0) or len([o for o in ctx.node.output if o]) > 1:
        raise _unsupported(ctx, "BatchNormalization in training mode (several outputs) is not "
                           "supported; export the model in eval mode")
    x, scale, bias, mean, var = inputs
    b = ctx.b
    eps = attrs.get("epsilon", 1e-5)
    if all(isinstance(v, np.ndarray) for v in (scale, bias, mean, var)):
        # y = x * k + c per channel, k and c computed here once
        k = (scale / np.sqrt(var.astype(np.float64) + eps)).astype(scale.dtype)
        c = (bias - mean * k).astype(scale.dtype)
        shape = [1, -1] + [1] * (_rank(x) - 2)
        return b.add(b.mul(ctx.value(x), ctx.value(k.reshape(shape))), ctx.value(c.reshape(shape)))
    return b.batch_norm(*[ctx.value(v) for v in inputs], epsilon=eps)


@converter("InstanceNormalization")
def _instance_norm(ctx, inputs, attrs):
    return ctx.b.instance_norm(*[ctx.value(v) for v in inputs], epsilon=attrs.get("epsilon", 1e-5))


@converter("LayerNormalization")
def _layer_norm(ctx, inputs, attrs):
    b = ctx.b
    x = ctx.value(inputs[0])
    rank = _rank(x)
    axis = _axis(attrs.get("axis", -1), rank)
    norm_shape = _shape(x)[axis:]
    scale = ctx.value(inputs[1])
    if _shape(scale) != norm_shape:
        scale = b.broadcast_to(scale, shape=norm_shape)
    if len(inputs) > 2 and inputs[2] is not None:
        bias = ctx.value(inputs[2])
        if _shape(bias) != norm_shape:
            bias = b.broadcast_to(bias, shape=norm_shape)
    else:
        bias = ctx.value(np.zeros(norm_shape, dtype=_dtype(x)))
    eps = attrs.get("epsilon", 1e-5)
    if len([o for o in ctx.node.output if o]) == 1:
        return b.layer_norm(x, scale, bias, epsilon=eps, begin_norm_axis=axis)
    # Mean and InvStdDev wanted too (shape: x's with the normalized axes kept as 1)
    axes = list(range(axis, rank))
    mean = b.mean(x, axis=axes, keepdim=True)
    d = b.sub(x, mean)
    inv = b.rsqrt(b.add(b.mean(b.mul(d, d), axis=axes, keepdim=True), eps))
    return [b.add(b.mul(b.mul(d, inv), scale), bias), mean, inv]


def _softmax_like(op):
    def conv(ctx, inputs, attrs):
        b = ctx.b
        x = ctx.value(inputs[0])
        rank = _rank(x)
        if ctx.opset >= 13:
            return getattr(b, op)(x, axis=[_axis(attrs.get("axis", -1), rank)])
        # opsets < 13: the input coerced to 2-D at `axis` (default 1), softmax over the rows
        axis = _axis(attrs.get("axis", 1), rank)
        s = _shape(x)
        flat = b.reshape(x, shape=[int(np.prod(s[:axis])), int(np.prod(s[axis:]))])
        return b.reshape(getattr(b, op)(flat, axis=[1]), shape=s)
    return conv


converter("Softmax")(_softmax_like("softmax"))
converter("LogSoftmax")(_softmax_like("log_softmax"))


def _reduce_axes(ctx, inputs, attrs, input_since):
    rank = _rank(inputs[0])
    axes = _input_or_attr(ctx, inputs, 1, attrs, "axes", input_since)
    if axes is None or len(axes) == 0:
        if attrs.get("noop_with_empty_axes", 0):
            return None
        return list(range(rank))
    return sorted(_axes(axes, rank))


def _reduction(fn, input_since=18):
    def conv(ctx, inputs, attrs):
        axes = _reduce_axes(ctx, inputs, attrs, input_since)
        x = ctx.value(inputs[0])
        if axes is None:
            return x
        return fn(ctx.b, x, axes, bool(attrs.get("keepdims", 1)))
    return conv


def _sum(b, x, axes, keep):
    return b.sum(x, axis=axes, keepdim=keep)


def _mean_reduce(b, x, axes, keep):
    return b.mean(x, axis=axes, keepdim=keep)


converter("ReduceSum")(_reduction(_sum, input_since=13))
converter("ReduceMean")(_reduction(_mean_reduce))
converter("ReduceMax")(_reduction(lambda b, x, a, k: b.amax(x, axis=a, keepdim=k)))
converter("ReduceMin")(_reduction(lambda b, x, a, k: b.amin(x, axis=a, keepdim=k)))
converter("ReduceProd")(_reduction(lambda b, x, a, k: b.prod(x, axis=a, keepdim=k)))
converter("ReduceSumSquare")(_reduction(lambda b, x, a, k: b.sum(b.mul(x, x), axis=a, keepdim=k)))
converter("ReduceL1")(_reduction(lambda b, x, a, k: b.sum(b.abs(x), axis=a, keepdim=k)))
converter("ReduceL2")(_reduction(lambda b, x, a, k: b.sqrt(b.sum(b.mul(x, x), axis=a, keepdim=k))))
converter("ReduceLogSum")(_reduction(lambda b, x, a, k: b.log(b.sum(x, axis=a, keepdim=k))))
converter("ReduceLogSumExp")(_reduction(lambda b, x, a, k: b.logsumexp(x, axis=a, keepdim=k)))


@folder("ReduceProd")
def _fold_reduce_prod(ctx, inputs, attrs):
    axes = _reduce_axes(ctx, inputs, attrs, 18)
    x = inputs[0]
    if axes is None:
        return x
    return np.prod(x, axis=tuple(axes), keepdims=bool(attrs.get("keepdims", 1))).astype(x.dtype)


def _arg(kind):
    def conv(ctx, inputs, attrs):
        b = ctx.b
        x = ctx.value(inputs[0])
        axis = _axis(attrs.get("axis", 0), _rank(x))
        keep = bool(attrs.get("keepdims", 1))
        if not attrs.get("select_last_index", 0):
            return getattr(b, "arg" + kind)(x, axis=[axis], keepdim=keep)
        # the last extremum: the first one of the reversed axis, counted from the end
        i = getattr(b, "arg" + kind)(b.flip(x, axis=[axis]), axis=[axis], keepdim=keep)
        return b.sub(b.full_like(i, _shape(x)[axis] - 1), i)
    return conv


converter("ArgMax")(_arg("max"))
converter("ArgMin")(_arg("min"))


@converter("Dropout")
def _dropout(ctx, inputs, attrs):
    # Inference: the identity (a mask output, if used, is all true).
    x = inputs[0]
    if ctx.opset >= 12 and len(inputs) > 2 and inputs[2] is not None:
        if bool(np.asarray(ctx.known(inputs[2], "training_mode"))):
            raise _unsupported(ctx, "Dropout with training_mode=true")
    outs = [x]
    if len(ctx.node.output) > 1 and ctx.node.output[1]:
        outs.append(np.ones(_shape(x), dtype=np.bool_))
    return outs


@converter("Upsample", "Resize")
def _resize(ctx, inputs, attrs):
    x = ctx.value(inputs[0])
    mode = attrs.get("mode", "nearest")
    if mode != "nearest" or _rank(x) != 4:
        raise _unsupported(ctx, f"{ctx.node.op_type} with mode '{mode}' on rank {_rank(x)} "
                           "(only nearest-neighbour 2-D upsampling by integer factors)")
    s = _shape(x)
    scales = None
    if ctx.node.op_type == "Upsample":
        scales = attrs.get("scales") if ctx.opset < 9 else list(ctx.known(inputs[1], "scales"))
    elif ctx.opset < 11:
        # Resize-10 is Upsample-9 renamed: inputs (X, scales), source pixel i // factor.
        scales = [float(v) for v in ctx.known(inputs[1], "scales")]
    else:
        # With integer factors, asymmetric + floor and half_pixel + round_prefer_* all read
        # source pixel i // factor; the other transformations do not.
        ctm = attrs.get("coordinate_transformation_mode", "half_pixel")
        nearest = attrs.get("nearest_mode", "round_prefer_floor")
        ok = (ctm == "asymmetric" and nearest == "floor") or \
            (ctm in ("half_pixel", "pytorch_half_pixel") and nearest.startswith("round_prefer"))
        if not ok:
            raise _unsupported(ctx, f"Resize with coordinate_transformation_mode '{ctm}' and "
                               f"nearest_mode '{nearest}'")
        if len(inputs) > 3 and inputs[3] is not None and ctx.known(inputs[3], "sizes").size:
            sizes = _ints(ctx, inputs[3], "sizes")
            scales = [o / i for o, i in zip(sizes, s)]
        elif len(inputs) > 2 and inputs[2] is not None:
            scales = [float(v) for v in ctx.known(inputs[2], "scales")]
    if scales is None or len(scales) != 4 or scales[0] != 1 or scales[1] != 1 or \
            any(float(f) != int(f) or f < 1 for f in scales[2:]):
        raise _unsupported(ctx, f"{ctx.node.op_type} with scales {scales} (only integer factors "
                           "on the two spatial axes)")
    return ctx.b.upsample_nearest2d(x, scale_factor=[int(scales[2]), int(scales[3])])
