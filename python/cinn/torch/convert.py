"""Converting fx nodes to NetBuilder ops: the converter registries and the
:class:`Context` a converter sees.

A converter is registered for a key -- a function (``torch.relu``, ``operator.add``,
``torch.ops.aten.convolution.default`` or its overload packet), a method name
(``"view"``), or an ``nn.Module`` class -- and called like the PyTorch call it converts,
with ``ctx`` first (and the module object second for modules)::

    @fx_function(torch.relu, F.relu)
    def _relu(ctx, x, inplace=False):
        return ctx.b.relu(x)

Tensor arguments arrive as ``cinn.Value``; arguments known while compiling (Python
numbers, shapes computed from ``x.size()``, dtypes) as Python values. A converter returns
a ``cinn.Value`` or a tuple of them (``None`` for results it does not compute), checked
against the shapes and dtypes PyTorch produced for the node. A case it cannot express
raises ``ctx.unsupported(...)``: the node then runs in PyTorch.
"""

import re

import numpy as np
import torch
import torch.fx

from .. import _cinn
from ..frontend import NetBuilder
from . import emit
from .graph import Empty, PyValue, TensorMeta, leaves


class Registry:
    """Converters by key (see the module documentation)."""

    def __init__(self, kind):
        self.kind = kind
        self._table = {}

    def __call__(self, *keys):
        def register(fn):
            for k in keys:
                self._table[k] = fn
            return fn
        return register

    def get(self, key):
        try:
            return self._table.get(key)
        except TypeError:  # an unhashable target
            return None

    def keys(self):
        return list(self._table)


fx_function = Registry("function")
fx_method = Registry("method")
fx_module = Registry("module")
aten = Registry("aten")


def lookup(node, root):
    """The converter for an fx node, or None."""
    if node.op == "call_function":
        t = node.target
        if isinstance(t, torch._ops.OpOverload):
            return aten.get(t) or aten.get(t.overloadpacket)
        return fx_function.get(t)
    if node.op == "call_method":
        return fx_method.get(node.target)
    if node.op == "call_module":
        return fx_module.get(type(root.get_submodule(node.target)))
    return None


def target_name(node, root=None):
    """A readable name for what a node calls: ``torch.relu``, ``Tensor.view``,
    ``aten.convolution.default``, ``nn.Conv2d``."""
    t = node.target
    if node.op == "call_function":
        if isinstance(t, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            return str(t)
        mod = getattr(t, "__module__", None) or ""
        name = getattr(t, "__name__", repr(t))
        if mod in ("_operator", "operator"):
            mod = "operator"
        elif mod.startswith("torch.nn.functional"):
            mod = "F"
        elif mod in ("torch", "") or mod.startswith("torch."):
            mod = "torch"
        return f"{mod}.{name}"
    if node.op == "call_method":
        return f"Tensor.{t}"
    if node.op == "call_module":
        if root is not None:
            try:
                return f"nn.{type(root.get_submodule(t)).__name__}"
            except AttributeError:
                pass
        return "module"
    return node.op


def describe(node, root=None):
    return f"node '{node.name}' ({target_name(node, root)})"


def _ident(name):
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if s and not s[0].isdigit() else "v" + s


class Context:
    """What a converter sees while one region (or one node, for the support check) is
    built: ``b`` (the NetBuilder), ``node`` (the fx node converted now), its recorded
    result (``out_meta``, ``out_dtype``), and the values of other nodes.

    Values from outside the region become program inputs on first use: ``("node", n)``
    for an fx node's tensor, ``("attr", qualname)`` for a parameter or buffer (a constant
    instead when ``freeze`` is set)."""

    def __init__(self, name, analysis, freeze=False, scratch=False):
        self.b = NetBuilder(_ident(name))
        self.scratch = scratch
        self.analysis = analysis
        self.freeze = freeze
        self.env = {}
        self.inputs = []            # [(key, Value, TensorMeta)] in program input order
        self._input_by_key = {}
        self._key_of = {}           # id(Value) -> input key
        self.mutations = []         # [(input key, new Value)]
        self.frozen = []            # [(qualname, tensor)] baked in as constants
        self.index_checks = []      # [(input key, size, negative indices allowed, what)]
        self._transposed = {}       # id(Value) -> (Value, source Value)
        self.node = None

    # ---- errors -------------------------------------------------------------------------

    def where(self):
        kind = "aten" if self.analysis.kind == "aten" else "fx"
        return f"{kind} {describe(self.node, self.analysis.root)}" if self.node is not None else "cinn.torch"

    def unsupported(self, msg):
        return _cinn.UnsupportedOpError(f"{self.where()}: {msg}")

    def error(self, kind, msg):
        return kind(f"{self.where()}: {msg}")

    # ---- the node's recorded result ------------------------------------------------------------

    @property
    def out_meta(self):
        return self.analysis.meta[self.node]

    @property
    def out_dtype(self):
        m = self.out_meta
        if isinstance(m, tuple):
            m = next((x for x in m if isinstance(x, TensorMeta)), None)
        if not isinstance(m, TensorMeta):
            raise self.unsupported("its result is not a tensor")
        dt = emit.cinn_dtype(m.dtype)
        if dt is None:
            raise self.error(_cinn.DTypeError, f"its result has dtype {m.dtype}, which CINN does not support")
        return dt

    # ---- values ---------------------------------------------------------------------------------

    def input(self, key, meta, label):
        v = self._input_by_key.get(key)
        if v is not None:
            return v
        if meta.numel == 0:
            return Empty(meta)
        dt = emit.cinn_dtype(meta.dtype)
        if dt is None:
            raise self.error(_cinn.DTypeError, f"input '{label}' has dtype {meta.dtype}, which CINN "
                             "does not support")
        if meta.device.type != "cpu":
            raise self.unsupported(f"input '{label}' is on {meta.device} (cinn.torch exchanges CPU tensors)")
        v = self.b.input(list(meta.shape), dt, name=f"in{len(self.inputs)}_{_ident(label)}"[:60])
        self.inputs.append((key, v, meta))
        self._input_by_key[key] = v
        self._key_of[id(v)] = key
        return v

    def check_indices(self, ids, size, negative, what):
        """Integer indices ``ids`` into a dimension of ``size`` (from ``-size`` when
        ``negative``): when they are an input of the region, the region checks their range
        at every call and raises IndexError as PyTorch does (the compiled gather clamps
        them). Indices computed inside the region are not checked (docs/torch.md)."""
        key = self._key_of.get(id(ids))
        if key is not None:
            self.index_checks.append((key, int(size), bool(negative), f"{self.where()}: {what}"))

    def arg(self, n):
        """The value of fx node n as an argument of the node being converted."""
        if n in self.env:
            return self.env[n]
        a = self.analysis
        if n in a.static:
            return a.static[n]
        if n.op == "get_attr":
            obj = a.attr(n.target)
            if isinstance(obj, torch.Tensor):
                return self.param(n.target)
            raise self.unsupported(f"attribute '{n.target}' is a {type(obj).__name__}")
        m = a.meta.get(n)
        if isinstance(m, TensorMeta):
            return self.input(("node", n), m, n.name)
        if self.scratch and isinstance(m, tuple):
            # the support check of one node: a tuple producer joins its readers' region
            return tuple(None if x is None else self.input(("node", n, i), x, f"{n.name}_{i}")
                         for i, x in enumerate(m))
        what = f"a Python {type(m.value).__name__}" if isinstance(m, PyValue) else "not a tensor"
        raise self.unsupported(f"argument '{n.name}' is {what} that PyTorch computes at run time")

    def param(self, qualname):
        """A parameter or buffer of the captured module, by qualified name."""
        t = self.analysis.attr(qualname)
        if not isinstance(t, torch.Tensor):
            raise self.unsupported(f"'{qualname}' is not a tensor")
        meta = TensorMeta.of(t)
        if self.freeze:
            key = ("const", qualname)
            v = self._input_by_key.get(key)
            if v is None:
                if emit.cinn_dtype(t.dtype) is None:
                    raise self.error(_cinn.DTypeError, f"'{qualname}' has dtype {t.dtype}, which CINN "
                                     "does not support")
                v = self.constant_of(t)
                self._input_by_key[key] = v
                self.frozen.append((qualname, t))
            return v
        return self.input(("attr", qualname), meta, qualname)

    def constant(self, array):
        return self.b.constant(np.ascontiguousarray(array))

    def constant_of(self, t):
        """A copy of tensor `t` as a constant (bfloat16, which numpy lacks, is stored widened
        to float32 and cast back: exact)."""
        t = t.detach().cpu()
        if t.dtype == torch.bfloat16:
            return self.b.cast(self.b.constant(np.array(t.float().numpy(), copy=True)), "bfloat16")
        return self.b.constant(np.array(t.numpy(), copy=True))

    def mutate(self, value, new_value):
        """Records that the op writes `new_value` into the tensor passed as `value` (a
        program input): the region copies it there after running."""
        key = self._key_of.get(id(value))
        if key is None:
            raise self.unsupported("it updates a tensor in place that is not an input of the region")
        if any(k == key for k, _ in self.mutations):
            # the second update would have to read the first one's result
            raise self.unsupported("a second in-place update of the same tensor in one region")
        if list(new_value.shape) != list(value.shape) or new_value.dtype != value.dtype:
            new_value = emit.cast(self, emit.reshape(self, new_value, list(value.shape)), value.dtype)
        self.mutations.append((key, new_value))

    def note_transpose(self, out, src):
        """`out` is `src` with its two dimensions swapped (matmul then reads src with a
        transpose flag instead)."""
        self._transposed[id(out)] = (out, src)
        return out

    def transposed_source(self, v):
        entry = self._transposed.get(id(v))
        return entry[1] if entry is not None and entry[0] is v else None


def convert(ctx, node):
    """Converts one fx node into ctx (its arguments from ctx.env, inputs or constants)."""
    a = ctx.analysis
    ctx.node = node
    conv = lookup(node, a.root)
    if conv is None:
        raise ctx.unsupported(f"CINN has no converter for {target_name(node, a.root)}")
    meta = a.meta.get(node)
    if isinstance(meta, TensorMeta) and meta.numel == 0:
        ctx.env[node] = Empty(meta)  # an empty result: nothing to compute
        return ctx.env[node]
    args = torch.fx.node.map_arg(node.args, ctx.arg)
    kwargs = torch.fx.node.map_arg(node.kwargs, ctx.arg)
    empty = next((v for v in leaves((args, kwargs)) if isinstance(v, Empty)), None)
    if empty is not None and not getattr(conv, "takes_empty", False):  # e.g. a sum over a 0-size dim
        raise ctx.unsupported(f"an argument has no elements (shape {empty.shape}) but the result "
                              "does; CINN compiles no empty tensors")
    try:
        if node.op == "call_module":
            out = conv(ctx, a.root.get_submodule(node.target), *args, **kwargs)
        else:
            out = conv(ctx, *args, **kwargs)
    except _cinn.Error:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise ctx.unsupported(f"arguments not understood ({type(e).__name__}: {e})") from None
    ctx.env[node] = _match(ctx, out, a.meta.get(node))
    return ctx.env[node]


def _match(ctx, out, meta):
    """`out` checked against PyTorch's recorded result."""
    if isinstance(meta, TensorMeta):
        if meta.numel == 0:
            return Empty(meta)
        if not emit.is_value(out):
            raise ctx.unsupported(f"the converter returned {type(out).__name__} where PyTorch "
                                  f"returns a tensor")
        want = emit.cinn_dtype(meta.dtype)
        if want is None:
            raise ctx.error(_cinn.DTypeError, f"its result has dtype {meta.dtype}, which CINN does "
                            "not support")
        if list(out.shape) != list(meta.shape) or out.dtype != want:
            raise ctx.unsupported(f"the converter computed {out.dtype}{list(out.shape)} but PyTorch "
                                  f"returns {want}{list(meta.shape)}")
        if meta.device.type != "cpu":
            raise ctx.unsupported(f"its result is on {meta.device} (cinn.torch exchanges CPU tensors)")
        return out
    if isinstance(meta, tuple):
        complete = getattr(meta, "complete", True)
        if not isinstance(out, (tuple, list)) or len(out) < len(meta) or (complete and len(out) != len(meta)):
            raise ctx.unsupported(f"the converter returned {type(out).__name__} where PyTorch returns "
                                  f"{len(meta)} results")
        return tuple(None if m is None else _match(ctx, o, m) for o, m in zip(out, meta))
    if meta is None:
        return None
    raise ctx.unsupported("PyTorch returns a Python value, not a tensor")


def support_reason(analysis, node):
    """None when `node` converts on its own; else why it runs in PyTorch."""
    reason = analysis.impure.get(node)
    if reason is not None:
        return reason
    if node in analysis.dynamic:
        return "its result's shape depends on tensor data (or on a tensor whose shape does)"
    ctx = Context("check", analysis, scratch=True)
    try:
        convert(ctx, node)
    except _cinn.Error as e:
        msg = str(e)
        prefix = ctx.where() + ": "
        return msg[len(prefix):] if msg.startswith(prefix) else msg
    except Exception as e:  # a converter bug must not take the model down: run it in torch
        return f"the converter failed ({type(e).__name__}: {e})"
    return None
