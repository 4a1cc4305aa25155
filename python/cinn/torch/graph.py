"""What cinn.torch knows about a captured fx graph before partitioning it.

:class:`Analysis` holds, for one input signature, each node's recorded result
(:class:`TensorMeta` for tensors, :class:`PyValue` for Python values), the nodes whose
results are known while compiling (``static``: shapes, sizes, dtypes, arithmetic on them),
the nodes that must run in PyTorch because they write to memory others can see
(``impure``), and extra ordering edges that keep reads of a mutated tensor on the right
side of the write (``order_deps``).

torch.fx graphs (inference) get their results recorded by running the graph once on
copies of the inputs and buffers (:func:`record`); aten graphs from AOTAutograd carry
them in ``node.meta["tensor_meta"]`` (:func:`from_tensor_meta`).
"""

import dataclasses
import inspect
import operator

import torch
import torch.fx
from torch.nn.utils import stateless

_VIEW_METHODS = {
    "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "permute", "transpose",
    "t", "unsqueeze", "squeeze", "expand", "expand_as", "narrow", "select", "split", "chunk",
    "unbind", "detach", "contiguous", "as_strided", "diagonal", "movedim", "moveaxis",
    "swapaxes", "swapdims", "unfold", "to", "type", "type_as", "float", "double", "half", "int",
    "long", "bool", "byte", "char", "short", "cpu", "real", "imag", "__getitem__", "view_as_real",
}
_VIEW_FUNCTIONS = {
    torch.reshape, torch.flatten, torch.permute, torch.transpose, torch.t, torch.unsqueeze,
    torch.squeeze, torch.narrow, torch.select, torch.split, torch.chunk, torch.unbind,
    torch.detach, torch.movedim, torch.swapaxes, torch.diagonal, operator.getitem, getattr,
    torch.nn.functional.dropout,
}
_DROPOUT_MODULES = (torch.nn.Dropout, torch.nn.Dropout2d, torch.nn.Dropout1d, torch.nn.AlphaDropout)
_VIEW_MODULES = (torch.nn.Flatten, torch.nn.Unflatten, torch.nn.Identity) + _DROPOUT_MODULES

# In-place methods with no functional twin of the same meaning (or with randomness).
_NOT_FUNCTIONAL = {"copy_", "set_", "resize_", "resize_as_", "zero_", "fill_", "normal_",
                   "uniform_", "random_", "bernoulli_", "exponential_", "geometric_",
                   "cauchy_", "log_normal_", "requires_grad_", "share_memory_", "index_put_",
                   "masked_scatter_", "put_", "scatter_", "scatter_add_", "index_add_",
                   "index_copy_", "index_fill_", "masked_fill_", "retain_grad"}
_INPLACE_OPERATORS = {operator.iadd: operator.add, operator.isub: operator.sub,
                      operator.imul: operator.mul, operator.itruediv: operator.truediv,
                      operator.ifloordiv: operator.floordiv, operator.imod: operator.mod,
                      operator.ipow: operator.pow, operator.iand: operator.and_,
                      operator.ior: operator.or_, operator.ixor: operator.xor,
                      operator.imatmul: operator.matmul}

# Results that only read a tensor's metadata: known once the input signature is.
_SHAPE_METHODS = {"size", "dim", "numel", "nelement", "ndimension", "get_device", "is_contiguous",
                  "is_floating_point"}
_SHAPE_ATTRS = {"shape", "dtype", "ndim", "device", "is_cuda", "requires_grad", "layout"}


@dataclasses.dataclass(frozen=True)
class TensorMeta:
    """A tensor result: shape, dtype, device, requires_grad, whether contiguous."""
    shape: tuple
    dtype: torch.dtype
    device: torch.device
    requires_grad: bool = False
    contiguous: bool = True

    @staticmethod
    def of(t):
        return TensorMeta(tuple(t.shape), t.dtype, t.device, bool(t.requires_grad),
                          bool(t.is_contiguous()))

    @property
    def numel(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __str__(self):
        return f"{str(self.dtype).replace('torch.', '')}{list(self.shape)}"


@dataclasses.dataclass(frozen=True)
class PyValue:
    """A non-tensor result (its value from the recording run)."""
    value: object


class Empty:
    """A tensor with no elements (CINN does not compile those): a region produces it with
    torch.empty."""

    def __init__(self, meta):
        self.meta = meta
        self.shape = list(meta.shape)


class Results(tuple):
    """The results of a multi-result op (TensorMeta or None each), and the type PyTorch
    returns them in (a tuple, a list or a ``torch.return_types`` structseq)."""

    def __new__(cls, items, kind=tuple, complete=True):
        self = super().__new__(cls, items)
        self.kind = kind
        # False when only the leading results are known (an aten op returning a list,
        # whose unused trailing results have no getitem node to describe them)
        self.complete = complete
        return self


def leaves(v):
    """The leaves of nested lists, tuples and dicts (dict values), in order."""
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from leaves(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from leaves(x)
    else:
        yield v


def describe_value(v):
    if isinstance(v, torch.Tensor):
        return TensorMeta.of(v)
    if isinstance(v, (tuple, list)) and v and all(isinstance(x, torch.Tensor) or x is None for x in v):
        return Results([None if x is None else TensorMeta.of(x) for x in v], type(v))
    return PyValue(v)


def inlinable(v):
    """Whether v can be written into an fx graph as a constant."""
    if v is None or v is Ellipsis or isinstance(v, (bool, int, float, str, torch.dtype, torch.device,
                                                     torch.memory_format, torch.layout)):
        return True
    if isinstance(v, (tuple, list)):
        return all(inlinable(x) for x in v)
    if isinstance(v, slice):
        return all(inlinable(x) for x in (v.start, v.stop, v.step))
    return False


class Analysis:
    """One graph specialized to one input signature (see the module documentation)."""

    def __init__(self, gm, kind, meta, impure=None, order_deps=None):
        self.gm = gm
        self.root = gm
        self.kind = kind            # "fx" (torch-level, inference) or "aten" (AOTAutograd)
        self.meta = meta            # node -> TensorMeta | tuple | PyValue | None
        self.impure = dict(impure or {})
        self.order_deps = {k: set(v) for k, v in (order_deps or {}).items()}
        # storage offsets of the graph's inputs when traced (aten.as_strided reads them)
        self.storage_offsets = {}
        self.layouts = {}           # node -> (sizes, strides, offset): cinn.torch.strided.layout
        # Nodes whose result shape depends on tensor data (and everything downstream): their
        # recorded shapes hold for the recording run only, so they run in PyTorch and
        # their shapes are not constants. A fixpoint: a shape that stops being static makes
        # what it sizes dynamic in turn.
        self.dynamic = set()
        while True:
            self.static = _static_values(gm, meta, self.dynamic)
            dynamic = _dynamic_shapes(gm, meta, self.static)
            if dynamic == self.dynamic:
                break
            self.dynamic = dynamic

    def attr(self, qualname):
        obj = self.gm
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj


_DYNAMIC_SHAPE_FUNCTIONS = {torch.nonzero, torch.masked_select, torch.unique, torch.unique_consecutive,
                            torch.argwhere, torch.repeat_interleave}
_DYNAMIC_SHAPE_METHODS = {"nonzero", "masked_select", "unique", "unique_consecutive", "argwhere",
                          "repeat_interleave"}


def _dynamic_shapes(gm, meta, static):
    dynamic = set()
    for n in gm.graph.nodes:
        if n.op not in ("call_function", "call_method", "call_module") or n in static:
            continue
        inputs = n.all_input_nodes
        if any(i in dynamic for i in inputs) or \
                (n.op == "call_function" and n.target in _DYNAMIC_SHAPE_FUNCTIONS) or \
                (n.op == "call_method" and n.target in _DYNAMIC_SHAPE_METHODS) or \
                (n.op == "call_function" and n.target is torch.where and len(n.args) == 1):
            dynamic.add(n)
            continue
        # a boolean mask as an index, or a size computed from tensor data (x.item())
        for i in inputs:
            m = meta.get(i)
            if isinstance(m, TensorMeta) and m.dtype == torch.bool and n.target is operator.getitem \
                    and i is not n.args[0]:
                dynamic.add(n)
            elif isinstance(m, PyValue) and i not in static and isinstance(meta.get(n), (TensorMeta, tuple)):
                dynamic.add(n)
    return dynamic


def _static_values(gm, meta, dynamic=()):
    static = {}
    for n in gm.graph.nodes:
        m = meta.get(n)
        if not isinstance(m, PyValue) or not inlinable(m.value):
            continue
        if n.op in ("placeholder", "get_attr"):
            static[n] = m.value
            continue
        if n.op not in ("call_function", "call_method"):
            continue
        ok = True
        for i in n.all_input_nodes:
            if i in static:
                continue
            shape_query = (n.op == "call_method" and n.target in _SHAPE_METHODS) or \
                (n.op == "call_function" and n.target is getattr and len(n.args) > 1 and
                 n.args[1] in _SHAPE_ATTRS) or \
                (n.op == "call_function" and n.target in (torch.numel, len))
            if not (shape_query and isinstance(meta.get(i), TensorMeta) and i not in dynamic):
                ok = False
                break
        if ok:
            static[n] = m.value
    return static


# ---- torch.fx capture -----------------------------------------------------------------------

# Tensor factories that torch.fx would call once while tracing (no argument is a proxy) and
# bake in as a constant: the graph calls them instead, so each call gets a fresh tensor.
_FACTORIES = ("zeros", "ones", "full", "empty", "arange", "eye", "linspace", "logspace", "rand",
              "randn", "randint", "randperm")


class _Proxy(torch.fx.Proxy):
    """A proxy that records ``x += y`` as ``operator.iadd`` (torch.fx's own falls back to
    ``x = x + y``, losing the write to x)."""


for _op in _INPLACE_OPERATORS:  # x += y calls __iadd__, recorded as operator.iadd
    setattr(_Proxy, f"__{_op.__name__}__", lambda self, other, _op=_op: self.tracer.create_proxy(
        "call_function", _op, (self, other), {}))


class _Tracer(torch.fx.Tracer):
    """torch.fx's tracer, with what a module computes from its buffers, the tensors its
    forward creates and in-place operators recorded in the graph rather than run once while
    tracing: buffers are proxies (``self.b * 2`` is a node, not a constant), the factories in
    ``_FACTORIES`` are nodes, and ``x += y`` is ``operator.iadd``."""

    proxy_buffer_attributes = True

    def proxy(self, node):
        return _Proxy(node, self)

    def trace(self, root, concrete_args=None):
        originals = {name: getattr(torch, name) for name in _FACTORIES}

        def recorded(fn):
            def call(*args, **kwargs):
                return self.create_proxy("call_function", fn, args, kwargs)
            call.__name__ = fn.__name__
            return call
        try:
            for name, fn in originals.items():
                setattr(torch, name, recorded(fn))
            return super().trace(root, concrete_args)
        finally:
            for name, fn in originals.items():
                setattr(torch, name, fn)


def trace(fn):
    """A GraphModule of a module or function, traced by torch.fx (with :class:`_Tracer`);
    raises what tracing raises. Tensors the tracer still had to bake in (``torch.tensor``
    literals) are copied per call where the graph writes to them, so a call never sees
    another's writes."""
    tracer = _Tracer()
    g = tracer.trace(fn)
    name = type(fn).__name__ if isinstance(fn, torch.nn.Module) else fn.__name__
    gm = torch.fx.GraphModule(tracer.root, g, name)
    for n in list(gm.graph.nodes):
        if n.op != "get_attr" or not n.target.startswith("_tensor_constant"):
            continue
        if not any(_inplace_target(u, gm) is not None for u in n.users):
            continue
        with gm.graph.inserting_after(n):
            copy = gm.graph.call_method("clone", (n,))
        n.replace_all_uses_with(copy, delete_user_cb=lambda u: u is not copy)
    gm.recompile()
    return gm


def _is_view(n, root):
    if n.op == "call_method":
        return n.target in _VIEW_METHODS
    if n.op == "call_function":
        if n.target is getattr:
            return len(n.args) > 1 and n.args[1] in ("T", "mT", "H", "mH", "data", "real", "imag")
        return n.target in _VIEW_FUNCTIONS
    if n.op == "call_module":
        return isinstance(root.get_submodule(n.target), _VIEW_MODULES)
    return False


_DROPOUT_FUNCTIONS = {torch.nn.functional.dropout, torch.nn.functional.dropout1d, torch.nn.functional.dropout2d,
                      torch.nn.functional.alpha_dropout}


def _inactive_dropout(n, root):
    """An in-place dropout that changes nothing (eval mode, or p = 0)."""
    if n.op == "call_module":
        mod = root.get_submodule(n.target)
        return isinstance(mod, _DROPOUT_MODULES) and (not mod.training or mod.p == 0)
    if n.op == "call_function" and n.target in _DROPOUT_FUNCTIONS:
        p = n.kwargs.get("p", n.args[1] if len(n.args) > 1 else 0.5)
        training = n.kwargs.get("training", n.args[2] if len(n.args) > 2 else True)
        return training is False or p == 0
    return False


def _inplace_target(n, root):
    """(mutated argument node, functional rewrite or None) for an in-place node, else None.
    The rewrite is a function applied to the node to make it functional."""
    if _inactive_dropout(n, root):
        return None
    if n.op == "call_method" and n.target.endswith("_") and not n.target.endswith("__") and n.args:
        func = n.target[:-1]
        ok = n.target not in _NOT_FUNCTIONAL and hasattr(torch.Tensor, func)

        def rewrite(node, func=func):
            node.target = func
        return n.args[0], rewrite if ok else None
    if n.op == "call_function":
        if n.target is operator.setitem and n.args:  # y[1:3] = v
            return n.args[0], None
        if n.target in _INPLACE_OPERATORS:
            def rewrite(node):
                node.target = _INPLACE_OPERATORS[node.target]
            return n.args[0], rewrite
        if n.kwargs.get("inplace") is True and n.args:
            def rewrite(node):
                node.kwargs = {**node.kwargs, "inplace": False}
            return n.args[0], rewrite
        name = getattr(n.target, "__name__", "")
        if name.endswith("_") and not name.endswith("__") and n.args and \
                getattr(n.target, "__module__", "") in ("torch", "torch._C._VariableFunctions"):
            func = getattr(torch, name[:-1], None)
            ok = func is not None and name not in _NOT_FUNCTIONAL

            def rewrite(node, func=func):
                node.target = func
            return n.args[0], rewrite if ok else None
    if n.op == "call_module" and n.args:
        mod = root.get_submodule(n.target)
        if getattr(mod, "inplace", False) is True:
            return n.args[0], "module"  # the module mutates its input; converters ignore it
    return None


def order_around_write(n, m, order, deps):
    """Records that node `n`, which writes `m` in place, runs after the users of `m` that
    come before it and before those that come after it (deps[a] holds what a waits for)."""
    for u in m.users:
        if u is n:
            continue
        if order[u] < order[n]:
            deps.setdefault(n, set()).add(u)
        else:
            deps.setdefault(u, set()).add(n)


def functionalize(gm):
    """Makes in-place ops on private temporaries functional, in place on gm's graph.

    An in-place op on a tensor that nothing else can see (computed by the graph, not a view,
    and with no views) is rewritten into its functional twin, and the later reads of the
    tensor read the op's result. Other in-place ops (on inputs, parameters, views) stay and
    run in PyTorch: returns ``(impure, order_deps)``, the reason per such node and the
    ordering edges that keep the reads before and after the write in place."""
    graph = gm.graph
    order = {n: i for i, n in enumerate(graph.nodes)}
    impure, deps = {}, {}
    parent = {}

    def find(n):
        while parent.get(n, n) is not n:
            n = parent.get(n, n)
        return n

    for n in graph.nodes:
        if _is_view(n, gm) and n.args and isinstance(n.args[0], torch.fx.Node):
            parent[find(n)] = find(n.args[0])

    for n in list(graph.nodes):
        hit = _inplace_target(n, gm)
        if hit is None or not isinstance(hit[0], torch.fx.Node):
            continue
        v, rewrite = hit
        readers = [u for u in v.users if u is not n]
        before = {u for u in readers if order[u] < order[n]}
        # (an in-place op that stays in PyTorch returns its argument: `v` is then that tensor)
        private = v.op in ("call_function", "call_method", "call_module") and v not in impure \
            and not _is_view(v, gm) and not any(_is_view(u, gm) for u in readers)
        if private and rewrite is not None:
            for u in readers:
                if order[u] > order[n]:
                    u.replace_input_with(v, n)
            if rewrite == "module":
                deps.setdefault(n, set()).update(before)
            else:
                rewrite(n)
            continue
        # Visible to others: runs in PyTorch, between the reads before and after it, and so
        # do the views of the tensor (a copy in CINN would not see the write).
        parent[find(n)] = find(v)
        root_v = find(v)
        aliases = [m for m in graph.nodes if find(m) is root_v]
        while v in impure and _inplace_target(v, gm) is not None:  # (x += y) *= 2: x
            v = _inplace_target(v, gm)[0]
        if v.op == "placeholder":
            why = f"it modifies the input '{v.name}' in place"
        elif v.op == "get_attr":
            why = f"it modifies the attribute '{v.target}' in place"
        elif rewrite is None:
            why = f"it modifies '{v.name}' in place and has no functional twin"
        else:
            why = f"it modifies '{v.name}' in place, and '{v.name}' shares memory with a view"
        impure[n] = f"in-place op: {why}"
        for m in aliases:
            order_around_write(n, m, order, deps)
            if _is_view(m, gm) and m not in impure:
                impure[m] = f"it makes a view of a tensor that node '{n.name}' modifies in place"
    graph.lint()
    gm.recompile()
    return impure, deps


def aten_effects(gm):
    """(impure, order_deps) of an aten graph: in-place aten ops (schemas that write an
    argument) run in PyTorch, ordered between the reads before and after them.
    native_batch_norm's running-statistics update is not declared in its schema; its
    converter performs it."""
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    impure, deps = {}, {}
    for n in gm.graph.nodes:
        t = n.target
        if n.op != "call_function" or not isinstance(t, torch._ops.OpOverload) or not t._schema.is_mutable:
            continue
        written = [a for a, arg in zip(n.args, t._schema.arguments)
                   if arg.alias_info is not None and arg.alias_info.is_write and isinstance(a, torch.fx.Node)]
        if written and written[0].op == "placeholder":
            what = f"it writes the input '{written[0].name}'"
        elif written and written[0].op == "get_attr":
            what = f"it writes '{written[0].target}'"
        else:
            what = "it writes one of its arguments"
        impure[n] = f"in-place op {t}: {what}"
        for a in n.all_input_nodes:
            order_around_write(n, a, order, deps)
    return impure, deps


class _Recorder(torch.fx.Interpreter):
    """Runs an fx graph once and records each node's result, without side effects: module
    buffers are replaced by copies for the call, attributes that the graph modifies are
    copied, and the caller copies the inputs and restores the RNG state."""

    def __init__(self, gm, mutated_attrs):
        super().__init__(gm)
        self.meta = {}
        self._mutated_attrs = mutated_attrs

    def run_node(self, n):
        out = super().run_node(n)
        self.meta[n] = describe_value(out)
        return out

    def get_attr(self, target, args, kwargs):
        v = super().get_attr(target, args, kwargs)
        if target in self._mutated_attrs and isinstance(v, torch.Tensor):
            v = v.clone()
        return v

    def call_module(self, target, args, kwargs):
        mod = self.fetch_attr(target)
        buffers = {k: b.clone() for k, b in mod.named_buffers()}
        if not buffers:
            return mod(*args, **kwargs)
        return stateless.functional_call(mod, buffers, args, kwargs)


def record(gm, args, kwargs):
    """Each node's result (TensorMeta / tuple / PyValue) on these inputs."""
    mutated = {n.target for n in gm.graph.nodes if n.op == "get_attr" and
               any(_inplace_target(u, gm) is not None for u in n.users)}
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    clone = lambda t: t.detach().clone() if isinstance(t, torch.Tensor) else t  # noqa: E731
    bound = _bind(gm, [clone(a) for a in args], {k: clone(v) for k, v in kwargs.items()})
    rec = _Recorder(gm, mutated)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        rec.run(*bound)
    for n, v in zip(placeholders, bound):
        rec.meta[n] = describe_value(v)
    return rec.meta


def _bind(gm, args, kwargs):
    """Placeholder values in order, bound like a call of gm.forward (keywords by name,
    defaults filled in)."""
    bound = inspect.signature(gm.forward).bind(*args, **kwargs)
    bound.apply_defaults()
    return list(bound.arguments.values())


def from_tensor_meta(gm):
    """Node results of an aten graph from AOTAutograd (node.meta["tensor_meta"])."""
    meta = {}
    for n in gm.graph.nodes:
        meta[n] = _tm(n.meta.get("tensor_meta"))
    # multi-result ops carry no tensor_meta of their own: their getitem users do
    for n in gm.graph.nodes:
        if meta[n] is not None or n.op != "call_function" or not n.users:
            continue
        items = {u.args[1]: meta[u] for u in n.users
                 if u.target is operator.getitem and isinstance(u.args[1], int)}
        if len(items) != len(n.users):
            continue
        count = max(items) + 1
        complete = True
        if isinstance(n.target, torch._ops.OpOverload):
            returns = n.target._schema.returns
            count = max(count, len(returns))
            complete = not (len(returns) == 1 and isinstance(returns[0].type, torch.ListType))
        meta[n] = Results([items.get(i) for i in range(count)], tuple, complete)
    return meta


def storage_offsets(gm, example_inputs):
    """Storage offsets of a graph's placeholders, from the tensors it was traced with
    (aten.as_strided with an explicit offset needs its input's)."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    return {n: int(t.storage_offset()) for n, t in zip(placeholders, example_inputs)
            if isinstance(t, torch.Tensor)}


def _tm(tm):
    if tm is None:
        return None
    if hasattr(tm, "shape") and hasattr(tm, "dtype"):  # TensorMetadata (a NamedTuple)
        contiguous = getattr(tm, "memory_format", torch.contiguous_format) == torch.contiguous_format
        return TensorMeta(tuple(tm.shape), tm.dtype, torch.device("cpu"),
                          bool(getattr(tm, "requires_grad", False)), contiguous)
    if isinstance(tm, (tuple, list)):
        return tuple(_tm(t) for t in tm)
    return PyValue(tm)
