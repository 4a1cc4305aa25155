"""The tensor-expression DSL.

``placeholder`` declares an input, ``compute`` defines a tensor elementwise from its axes,
``reduce_axis`` with ``sum``/``max``/``min``/``prod`` express reductions, and ``lower``
turns a list of tensors into a :class:`cinn.LoweredFunc` (one ScheduleBlock per compute).
Indices and shapes are int64; Python ints and floats become constants that take the type
of the other operand (``A[i] * 2`` stays float32).
"""

import inspect as _inspect

from . import _cinn
from ._cinn import Expr, ReduceAxis, Tensor  # noqa: F401

__all__ = [
    "Var", "placeholder", "compute", "update", "reduce_axis", "sum", "max", "min", "prod", "lower",
    "select", "cast", "const", "call", "maximum", "minimum", "Tensor", "Expr", "ReduceAxis",
]


def Var(name):
    """A symbolic size (int64), bound from the arrays' shapes when a kernel is called."""
    return _cinn.size_var(name)


def placeholder(shape, dtype="float32", name="placeholder"):
    """An input tensor of the given shape (ints or ``Var``s) and dtype."""
    return _cinn.placeholder(_as_list(shape), dtype, name)


def compute(shape, fcompute, name="compute"):
    """The tensor ``T[i, j, ...] = fcompute(i, j, ...)``; axes take the lambda's parameter names."""
    shape = _as_list(shape)
    try:
        params = list(_inspect.signature(fcompute).parameters)
    except (TypeError, ValueError):
        params = []
    names = params if len(params) == len(shape) else []
    return _cinn.compute(shape, fcompute, name, names)


def update(into, shape, index, value, where=None, name="update"):
    """An update of the compute ``into`` in place (a scatter): for every point ``(i, ...)``
    of ``shape``, in order (the last axis fastest), where ``where(i, ...)`` holds,
    ``into[index(i, ...)] = value(i, ...)``. ``index`` returns one index per dimension of
    ``into`` and may read tensors (data-dependent positions: the points where one falls outside
    ``into`` are skipped); ``value`` may read ``into`` at that index, so equal positions accumulate
    (``value=lambda i: H[idx[i]] + w[i]``). Returns the updated tensor: it shares ``into``'s
    buffer, and readers (and ``lower``'s argument list) must use it rather than ``into``.
    Loops that reach the store only through loaded positions stay serial; the others can
    run in parallel."""
    return _cinn.update(into, _as_list(shape), lambda *a: _as_list(index(*a)), value, where, name)


def reduce_axis(range_, name="k"):
    """A reduction axis over ``range(extent)`` or ``(min, extent)``."""
    return _cinn.reduce_axis(range_, name)


def sum(expr, axis, where=None):  # noqa: A001 - mirrors numpy/TVM naming
    """Sum of ``expr`` over the reduce axis (or list of axes), optionally only where ``where``."""
    return _cinn.sum(expr, axis, where)


def max(expr, axis, where=None):  # noqa: A001
    """Maximum of ``expr`` over the reduce axes (identity: -inf, or the lowest integer)."""
    return _cinn.max(expr, axis, where)


def min(expr, axis, where=None):  # noqa: A001
    """Minimum of ``expr`` over the reduce axes (identity: +inf, or the highest integer)."""
    return _cinn.min(expr, axis, where)


def prod(expr, axis, where=None):
    """Product of ``expr`` over the reduce axes."""
    return _cinn.prod(expr, axis, where)


def lower(name, tensors):
    """Lowers ``tensors`` (inputs, then outputs, in calling order) into one function."""
    return _cinn.lower(name, list(tensors))


def select(cond, true_value, false_value):
    """``true_value`` where ``cond`` holds, else ``false_value``."""
    return _cinn.select(cond, true_value, false_value)


def cast(expr, dtype):
    """Converts ``expr`` to ``dtype``."""
    return _cinn.cast(expr, dtype)


def const(value, dtype="float32"):
    """A constant of the given dtype."""
    return _cinn.const(value, dtype)


def maximum(a, b):
    """Elementwise maximum of two expressions."""
    return _cinn.elem_max(a, b)


def minimum(a, b):
    """Elementwise minimum of two expressions."""
    return _cinn.elem_min(a, b)


def call(name, *args):
    """Calls the math intrinsic ``name``; unknown names raise UnsupportedOpError."""
    return _cinn.call(name, *args)


def _make_intrinsic(name):
    def f(*args):
        return _cinn.call(name, *args)

    f.__name__ = name
    f.__doc__ = f"The ``{name}`` math intrinsic, elementwise."
    return f


for _name in _cinn.intrinsic_names():
    globals()[_name] = _make_intrinsic(_name)
    __all__.append(_name)


def _as_list(shape):
    if isinstance(shape, (list, tuple)):
        return list(shape)
    return [shape]
