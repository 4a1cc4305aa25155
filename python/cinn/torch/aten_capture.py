"""Inference capture with make_fx, for what torch.fx cannot trace.

torch.fx.symbolic_trace runs ``forward`` on proxies, so Python that needs a real value
stops it: unpacking ``x.size()`` (``b, c, h, w = x.size()`` in torchvision's ShuffleNet,
``n, c, h, w = x.shape`` in its ViT), iterating over a tensor, builtins. make_fx
(``torch.fx.experimental.proxy_tensor``) instead runs ``forward`` once on the example
inputs and records the aten ops that reach the dispatcher: sizes are Python ints, Python
branches on them are taken, and the graph is an aten graph specialized to this input
signature -- one more entry of the per-signature cache, converted by the aten converters
that also serve AOTAutograd's graphs.

What the graph must never be specialized to is tensor *values*, because a signature is
reused for other values. make_fx (tracing_mode "real") raises when Python asks a traced
tensor for its value through the dispatcher (``bool(t)``, ``t.item()``, ``torch.equal``);
:class:`_ValueGuard` also refuses the reads that bypass it (``t.tolist()``, ``t.numpy()``,
``np.asarray(t)``, ``t.data_ptr()``); and a graph holding an op whose result *size*
depends on tensor data (``x[mask]``, ``nonzero``, ``unique``, ...) is refused too, since
make_fx writes the sizes derived from it into later ops as constants. Such calls run
eagerly, with the reason in ``explain()``.

Parameters and buffers: a module runs through ``functional_call`` with copies of its
parameters and buffers as traced inputs (tracing runs the real ops, and must not update
batch-norm statistics or consume the RNG), and those inputs then become ``get_attr``
nodes naming the module's live tensors -- program inputs, as on the torch.fx path, so
``optimizer.step()`` or ``load_state_dict`` is seen by the next call; constants only with
``freeze=True``. In-place ops are removed by functorch's ``functionalize``: writes to
temporaries become their functional twins, and a write to an input, parameter or buffer
becomes one ``aten.copy_`` at the end of the graph, which PyTorch runs.
"""

import inspect
import operator
import warnings

import torch
import torch.fx
from torch.nn.utils import stateless
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from . import graph

A = torch.ops.aten


class CaptureError(Exception):
    """make_fx cannot capture the call for every input of its signature (the message
    says why)."""


# Python-level reads of tensor values that the dispatcher does not see (and those it sees,
# for a clearer message than make_fx's).
_VALUE_READS = {
    torch.Tensor.tolist: "Tensor.tolist", torch.Tensor.numpy: "Tensor.numpy",
    torch.Tensor.__array__: "np.asarray(tensor)", torch.Tensor.data_ptr: "Tensor.data_ptr",
    torch.Tensor.item: "Tensor.item", torch.Tensor.__bool__: "bool(tensor)",
    torch.Tensor.__int__: "int(tensor)", torch.Tensor.__float__: "float(tensor)",
    torch.Tensor.__index__: "a tensor used as an index or count",
    torch.Tensor.__complex__: "complex(tensor)", torch.equal: "torch.equal",
    torch.allclose: "torch.allclose", torch.is_nonzero: "torch.is_nonzero",
}


class _ValueGuard(TorchFunctionMode):
    """Raises CaptureError on a Python read of a tensor's value while tracing."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        what = _VALUE_READS.get(func)
        if what is not None:
            raise CaptureError(f"{what} reads a tensor's value in Python (data-dependent "
                               "control flow or a value baked into the graph)")
        return func(*args, **(kwargs or {}))


def _packets(*names):
    return {getattr(A, n) for n in names if hasattr(A, n)}


# Ops whose result size depends on tensor data (torch 1.13 tags only some of them).
_DATA_SIZED = _packets("nonzero", "nonzero_numpy", "argwhere", "masked_select", "_unique", "_unique2",
                       "unique_dim", "unique_consecutive", "unique_dim_consecutive", "bincount")


def _data_sized(n):
    t = n.target
    if not isinstance(t, torch._ops.OpOverload):
        return False
    if t.overloadpacket in _DATA_SIZED or t is A.repeat_interleave.Tensor:
        return True
    if t.overloadpacket is A.index and len(n.args) > 1:
        # indexing with a boolean (or uint8) mask: as many results as true entries
        for i in n.args[1] or ():
            tm = i.meta.get("tensor_meta") if isinstance(i, torch.fx.Node) else None
            if tm is not None and tm.dtype in (torch.bool, torch.uint8):
                return True
    return False


def _removable(n):
    """An unused node whose removal changes nothing (not in-place, not random)."""
    if n.users or n.op not in ("call_function", "get_attr"):
        return False
    if n.op == "get_attr":
        return True
    if n.target is operator.getitem:
        return True
    t = n.target
    return isinstance(t, torch._ops.OpOverload) and not t._schema.is_mutable and \
        torch.Tag.nondeterministic_seeded not in t.tags


def _leaf_names(fn, args, kwargs):
    """A readable name per pytree leaf of (args, kwargs), in pytree order."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    names = []

    def add(name, value):
        leaves = pytree.tree_flatten(value)[0]
        names.extend([name] if len(leaves) == 1 else [f"{name}_{i}" for i in range(len(leaves))])

    for i, a in enumerate(args):
        add(params[i] if i < len(params) and params[i] not in ("self",) else f"arg{i}", a)
    for k, v in kwargs.items():
        add(k, v)
    return names


def _state_names(module):
    """Qualified names of every parameter and buffer, tied ones under each of their names."""
    names, tensors = [], []
    for prefix, m in module.named_modules(remove_duplicate=False):
        for table in (m._parameters, m._buffers):
            for k, t in table.items():
                if t is not None:
                    names.append(f"{prefix}.{k}" if prefix else k)
                    tensors.append(t)
    return names, tensors


class Capture:
    """One make_fx capture: ``analysis`` (the aten graph and its recorded results) and
    :meth:`inputs`, the graph's inputs for a call of the signature."""

    def __init__(self, analysis, spec, tensor_leaves):
        self.analysis = analysis
        self._spec = spec
        self._tensor_leaves = tensor_leaves

    def inputs(self, args, kwargs):
        leaves, spec = pytree.tree_flatten((args, kwargs))
        if spec != self._spec:
            raise CaptureError("the call's arguments are structured unlike the captured ones")
        return [leaves[i] for i in self._tensor_leaves]


def capture(fn, module, args, kwargs, decompositions=None):
    """A :class:`Capture` of ``fn(*args, **kwargs)`` (``fn`` is ``module`` for a module),
    run once on copies of the inputs, parameters and buffers, with the RNG state restored.
    Raises :class:`CaptureError` when a graph for these inputs would not hold for other
    values of the signature, and what make_fx raises when it cannot trace."""
    from functorch.experimental import functionalize  # noqa: PLC0415
    from torch.fx.experimental.proxy_tensor import make_fx  # noqa: PLC0415

    leaves, spec = pytree.tree_flatten((args, kwargs))
    tensor_leaves = [i for i, v in enumerate(leaves) if isinstance(v, torch.Tensor)]
    state_names, state = _state_names(module) if module is not None else ([], [])
    copies = {}

    def copy(t):  # one copy per tensor object: aliases stay aliases
        if id(t) not in copies:
            copies[id(t)] = t.detach().clone()
        return copies[id(t)]

    examples = [copy(t) for t in state] + [copy(leaves[i]) for i in tensor_leaves]
    n_state = len(state)

    def run(*tensors):
        vals = list(leaves)
        for i, t in zip(tensor_leaves, tensors[n_state:]):
            vals[i] = t
        a, k = pytree.tree_unflatten(vals, spec)
        with _ValueGuard():
            if module is None:
                return fn(*a, **k)
            with warnings.catch_warnings():
                # tied weights arrive under each of their names (as functionalize's wrappers,
                # distinct objects); every one becomes a read of the same live tensor
                warnings.filterwarnings("ignore", "functional_call was passed multiple values for tied")
                return stateless.functional_call(module, dict(zip(state_names, tensors[:n_state])),
                                                 tuple(a), k)

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        traced = make_fx(functionalize(run), decomposition_table=decompositions or {})(*examples)

    # The parameters and buffers, traced as inputs, become reads of the live tensors.
    g = torch.fx.Graph()
    env, attrs = {}, {}
    names = _leaf_names(fn if module is None else module.forward, args, kwargs)
    placeholders = [n for n in traced.graph.nodes if n.op == "placeholder"]
    for i, n in enumerate(placeholders):
        if i < n_state:
            env[n] = g.get_attr(state_names[i])
            attrs[state_names[i]] = state[i]
        else:
            env[n] = g.placeholder(names[tensor_leaves[i - n_state]])
            env[n].meta = dict(n.meta)
    for n in traced.graph.nodes:
        if n.op == "placeholder":
            continue
        env[n] = g.node_copy(n, env.__getitem__)
        if n.op == "get_attr":  # tensors make_fx found outside the inputs (closures, constants)
            if n.target in attrs:
                raise CaptureError(f"a constant of the trace is named like the parameter '{n.target}'")
            attrs[n.target] = getattr(traced, n.target)
    for n in g.nodes:  # before dead code goes: a size read from a result leaves it unused
        if _data_sized(n):
            raise CaptureError(f"{n.target} returns a tensor whose size depends on tensor data, and "
                               "make_fx would bake that size into the graph")
    for n in reversed(list(g.nodes)):
        if _removable(n):
            g.erase_node(n)
    g.lint()
    gm = torch.fx.GraphModule(attrs, g)
    impure, deps = graph.aten_effects(gm)
    analysis = graph.Analysis(gm, "aten", graph.from_tensor_meta(gm), impure, deps)
    analysis.storage_offsets = graph.storage_offsets(gm, [leaves[i] for i in tensor_leaves])
    return Capture(analysis, spec, tensor_leaves)

