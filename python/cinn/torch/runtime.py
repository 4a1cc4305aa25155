"""Compiling the regions of a partitioned graph and running them between PyTorch nodes.

:func:`compile_graph` turns an :class:`~cinn.torch.graph.Analysis` into a new
``torch.fx.GraphModule`` in which each region is one call of a :class:`CinnRegion`
module (a ``cinn.Executable``) and every other node is the original PyTorch call, plus a
:class:`GraphReport` of what happened.

Tensors cross the boundary without copies on the CPU: a contiguous CPU tensor is handed to
CINN as the numpy view ``t.detach().numpy()`` (same memory, the buffer protocol) and each
result comes back as ``torch.from_numpy(array)`` (same memory); bfloat16 tensors, which
numpy lacks, go through DLPack both ways. A non-contiguous input is
made contiguous first, and counted (``CinnRegion.copies``).
"""

import dataclasses
import operator
import time

import numpy as np
import torch
import torch.fx

from .. import _cinn
from ..frontend import compile as _compile
from ..tuning import tune as _tune
from . import strided
from .convert import Context, convert, support_reason, target_name
from .graph import Empty
from .partition import CALLS, partition


class StaleRegion(Exception):
    """A region met a tensor of another shape or dtype than it was compiled for (a
    parameter replaced or converted after compiling): the caller recompiles."""


@dataclasses.dataclass
class RegionInfo:
    """One compiled region: its nodes (name, target), kernels (``Executable.fusion_groups``),
    number of inputs and outputs, compile time and compile-cache status."""
    name: str
    nodes: list
    kernels: list
    inputs: int
    outputs: int
    compile_s: float
    cache: str


@dataclasses.dataclass
class Fallback:
    """A node PyTorch runs, and why."""
    node: str
    target: str
    reason: str


@dataclasses.dataclass
class GraphReport:
    """What became of one captured graph."""
    kind: str
    regions: list
    fallbacks: list
    module: object = None

    @property
    def contiguous_copies(self):
        """Non-contiguous inputs the regions have copied so far (all calls)."""
        if self.module is None:
            return 0
        return sum(m.copies for m in self.module.modules() if isinstance(m, CinnRegion))


def _as_tensor(out):
    """An executable's output as a tensor sharing its memory: a numpy array, or a
    DeviceArray (bfloat16)."""
    return torch.from_numpy(out) if isinstance(out, np.ndarray) else torch.from_dlpack(out)


class CinnRegion(torch.nn.Module):
    """Runs one compiled region: PyTorch tensors in, PyTorch tensors out (see the module
    documentation). Results are listed in ``slots``: ``("exe", k)`` the executable's k-th
    output, ``("input", i)`` a copy of input i (a region that returns its input),
    ``("empty", meta)`` an empty tensor."""

    def __init__(self, name, exe, expected, slots, mutations, frozen=(), index_checks=()):
        super().__init__()
        self.region_name = name
        self.exe = exe
        self._expected = expected      # [(shape, dtype)] per input
        self._slots = slots
        self._mutations = mutations    # [(input index, exe output index)]
        self.frozen = list(frozen)     # [(qualname, tensor)] baked in as constants
        self._index_checks = list(index_checks)  # [(input index, size, negative ok, what)]
        self.copies = 0                # non-contiguous inputs made contiguous
        self.calls = 0

    def forward(self, *tensors):
        arrays = []
        for i, (t, (shape, dtype)) in enumerate(zip(tensors, self._expected)):
            if t.dtype != dtype or tuple(t.shape) != shape or t.device.type != "cpu":
                raise StaleRegion(f"{self.region_name}: input {i} is {t.dtype}{list(t.shape)} on "
                                  f"{t.device}, compiled for {dtype}{list(shape)}")
            if not t.is_contiguous():
                t = t.contiguous()
                self.copies += 1
            if t.is_neg() or t.is_conj():
                t = t.resolve_neg().resolve_conj()
            # numpy has no bfloat16: such tensors go through DLPack (results: host DeviceArrays)
            arrays.append(t.detach() if t.dtype == torch.bfloat16 else t.detach().numpy())
        for i, size, negative, what in self._index_checks:
            if tensors[i].numel():
                lo, hi = (int(v) for v in torch.aminmax(tensors[i]))
                if hi >= size or lo < (-size if negative else 0):
                    raise IndexError(f"{what}: index {hi if hi >= size else lo} is out of range for a "
                                     f"dimension of size {size}")
        outs = self.exe(*arrays) if self.exe is not None else []
        self.calls += 1
        results = []
        for kind, x in self._slots:
            if kind == "exe":
                results.append(_as_tensor(outs[x]))
            elif kind == "input":
                results.append(tensors[x].clone())
            else:
                results.append(torch.empty(x.shape, dtype=x.dtype))
        if self._mutations:
            with torch.no_grad():
                for i, k in self._mutations:
                    tensors[i].copy_(_as_tensor(outs[k]))
        return tuple(results)

    def extra_repr(self):
        kernels = len(self.exe.fusion_groups) if self.exe is not None else 0
        return (f"{self.region_name}: {len(self._expected)} inputs, {len(self._slots)} outputs, "
                f"{kernels} kernels")


_RESULT_TYPES = {"tuple": tuple, "list": list}  # by name: fx graphs hold no classes


def _pick(results, slots, kind="tuple"):
    """The results of a multi-result node, rebuilt as the type PyTorch returns."""
    items = [None if s is None else results[s] for s in slots]
    return _RESULT_TYPES[kind](items)


class _Built:
    def __init__(self, module, keys, node_slots, info):
        self.module = module
        self.keys = keys
        self.node_slots = node_slots
        self.info = info


def _build_region(analysis, nodes, name, freeze, target, options):
    ctx = Context(name, analysis, freeze)
    for n in nodes:
        convert(ctx, n)
    inside = set(nodes)
    static = analysis.static
    exported = [n for n in nodes if any(u not in inside and u not in static for u in n.users)]
    input_index = {id(v): i for i, (_, v, _) in enumerate(ctx.inputs)}
    slots, outputs, slot_of = [], [], {}

    def slot(v):
        if v is None:
            return None
        if isinstance(v, Empty):
            slots.append(("empty", v.meta))
            return len(slots) - 1
        if id(v) not in slot_of:
            if id(v) in input_index:
                slots.append(("input", input_index[id(v)]))
            else:
                slots.append(("exe", len(outputs)))
                outputs.append(v)
            slot_of[id(v)] = len(slots) - 1
        return slot_of[id(v)]

    node_slots = {}
    for n in exported:
        v = ctx.env[n]
        node_slots[n] = tuple(slot(x) for x in v) if isinstance(v, tuple) else slot(v)
    keys = [k for k, _, _ in ctx.inputs]
    mutations = []
    for key, v in ctx.mutations:
        mutations.append((keys.index(key), len(outputs)))
        outputs.append(v)
    t0 = time.perf_counter()
    options = dict(options)
    trials = options.pop("tune", None)
    exe = None
    if outputs:
        program = ctx.b.build(outputs)
        if trials:
            # The same options as the compile below, so the tuned kernels are the compiled ones.
            _tune(program, target=target, trials=trials, progress=False, **options)
        exe = _compile(program, target=target, **options)
    compile_s = time.perf_counter() - t0
    if exe is not None and len(exe.input_names) != len(keys):
        raise _cinn.InternalError(f"cinn.torch: region {name} has {len(keys)} inputs, its "
                                  f"executable {len(exe.input_names)}")
    expected = [(tuple(m.shape), m.dtype) for _, _, m in ctx.inputs]
    checks = [(keys.index(key), size, negative, what) for key, size, negative, what in ctx.index_checks]
    module = CinnRegion(name, exe, expected, slots, mutations, ctx.frozen, checks)
    info = RegionInfo(name, [(n.name, target_name(n, analysis.root)) for n in nodes],
                      list(exe.fusion_groups) if exe is not None else [], len(keys), len(outputs),
                      compile_s, exe.cache_status if exe is not None else "none")
    return _Built(module, keys, node_slots, info)


def _split_graph(analysis, units, built):
    root = analysis.root
    g = torch.fx.Graph()
    env, attrs = {}, {}

    def get_attr(qualname):
        key = ("attr", qualname)
        if key not in env:
            env[key] = g.get_attr(qualname)
            attrs[qualname] = analysis.attr(qualname)
        return env[key]

    def load(n):
        if n in analysis.static:
            return analysis.static[n]
        if n.op == "get_attr":
            return get_attr(n.target)
        return env[n]

    for n in analysis.gm.graph.nodes:
        if n.op == "placeholder":
            env[n] = g.node_copy(n)
    for u in units:
        if not u.region:
            n = u.nodes[0]
            if n.target in strided.LAYOUT_SENSITIVE:
                # its input may come from a region (contiguous) or be laid out unlike the
                # traced tensor: give it the traced layout back
                try:
                    stride, offset = strided.restride_args(analysis, n)
                except LookupError as e:
                    raise _cinn.UnsupportedOpError(f"cinn.torch: PyTorch cannot run node '{n.name}' "
                                                   f"({n.target}) apart from its input: {e}") from None
                src = n.args[0]
                fixed = g.call_function(strided.restride, (load(src), tuple(stride), offset))
                env[n] = g.node_copy(n, lambda m, src=src, fixed=fixed: fixed if m is src else load(m))
            else:
                env[n] = g.node_copy(n, load)
            if n.op == "call_module":
                attrs[n.target] = root.get_submodule(n.target)
            continue
        b = built[id(u)]
        args = tuple(load(k[1]) if k[0] == "node" else get_attr(k[1]) for k in b.keys)
        call = g.call_module(b.info.name, args)
        attrs[b.info.name] = b.module
        for n, s in b.node_slots.items():
            if isinstance(s, tuple):
                kind = getattr(analysis.meta.get(n), "kind", tuple)
                name = f"{kind.__module__}.{kind.__qualname__}" if kind not in (tuple, list) else kind.__name__
                _RESULT_TYPES.setdefault(name, kind)
                env[n] = g.call_function(_pick, (call, s, name))
            elif s is not None:
                env[n] = g.call_function(operator.getitem, (call, s))
    for n in analysis.gm.graph.nodes:
        if n.op == "output":
            g.node_copy(n, load)
    return torch.fx.GraphModule(attrs, g)


def compile_graph(analysis, kind, freeze, target, options, prefix="cinn_region"):
    """(GraphModule running the regions and the PyTorch nodes, GraphReport)."""
    graph = analysis.gm.graph
    root = analysis.root
    supported, reasons = set(), {}
    for n in graph.nodes:
        if n.op not in CALLS or n in analysis.static:
            continue
        r = support_reason(analysis, n)
        if r is None:
            supported.add(n)
        else:
            reasons[n] = r
    while True:
        units, demoted = partition(analysis, supported)
        built, failed = {}, False
        for i, u in enumerate(x for x in units if x.region):
            try:
                built[id(u)] = _build_region(analysis, u.nodes, f"{prefix}_{i}", freeze, target, options)
            except _cinn.Error as e:
                # The region as a whole did not compile: PyTorch runs its nodes.
                for n in u.nodes:
                    supported.discard(n)
                    reasons[n] = f"its region ({len(u.nodes)} nodes) failed to compile: {e}"
                failed = True
                break
        if not failed:
            reasons.update(demoted)
            break
    gm = _split_graph(analysis, units, built)
    fallbacks = [Fallback(n.name, target_name(n, root), reasons[n]) for n in graph.nodes if n in reasons]
    regions = [built[id(u)].info for u in units if u.region]
    return gm, GraphReport(kind, regions, fallbacks, gm)
