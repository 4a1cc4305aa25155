"""Partitioning a graph into regions that CINN compiles and nodes that PyTorch runs.

The graph's call nodes (the ones whose results are not known while compiling) form a DAG,
with the extra ordering edges of in-place ops. Nodes are visited in topological order; a
supported node joins the regions of its inputs (one or several, merging them), or the most
recent region when none of its inputs comes from one, whenever that keeps the graph of
units -- regions and PyTorch nodes -- acyclic: a merged unit S is legal iff no unit outside
S is both reachable from S and reaches S. Each region is therefore convex (no path leaves
it and comes back), and the units can run in one topological order.
"""

import heapq

CALLS = ("call_function", "call_method", "call_module")


class Unit:
    """A region (compiled by CINN) or one node run by PyTorch."""

    __slots__ = ("nodes", "region", "preds", "succs", "first")

    def __init__(self, node, region):
        self.nodes = [node]
        self.region = region
        self.preds = set()
        self.succs = set()
        self.first = None

    def __repr__(self):
        kind = "region" if self.region else "torch"
        return f"<{kind} {[n.name for n in self.nodes]}>"


def _reach(starts, step, exclude, stop=None):
    """Units reachable from `starts` through `step` (succs or preds), `exclude`d ones
    skipped; returns early (with the hit) once a unit in `stop` is reached."""
    seen = set()
    todo = [u for s in starts for u in step(s) if u not in exclude]
    while todo:
        u = todo.pop()
        if u in seen:
            continue
        if stop is not None and u in stop:
            return seen, u
        seen.add(u)
        todo.extend(x for x in step(u) if x not in exclude and x not in seen)
    return seen, None


def _legal(members, preds):
    """Whether merging the units `members` with a new node whose input units are `preds`
    keeps the unit graph acyclic."""
    ms = set(members)
    forward, _ = _reach(ms, lambda u: u.succs, ms)
    if not forward:
        return True
    direct = [u for u in preds if u not in ms]
    if any(u in forward for u in direct):
        return False
    _, hit = _reach(list(ms) + direct, lambda u: u.preds, ms, stop=forward)
    return hit is None


def _merge(units):
    keep = units[0]
    for u in units[1:]:
        keep.nodes.extend(u.nodes)
        for p in u.preds:
            p.succs.discard(u)
            if p is not keep:
                p.succs.add(keep)
                keep.preds.add(p)
        for s in u.succs:
            s.preds.discard(u)
            if s is not keep:
                s.preds.add(keep)
                keep.succs.add(s)
    keep.preds -= set(units)
    keep.succs -= set(units)
    return keep


def partition(analysis, supported):
    """(units in execution order, demoted): the units are the regions (``unit.region``,
    nodes in graph order) and the nodes PyTorch runs; `supported` is the set of nodes CINN
    can convert, `demoted` maps supported nodes that PyTorch runs anyway to the reason."""
    static = analysis.static
    graph = analysis.gm.graph
    nodes = [n for n in graph.nodes if n.op in CALLS and n not in static]
    index = {n: i for i, n in enumerate(graph.nodes)}
    unit_of = {}
    demoted = {}
    last_region = None
    for n in nodes:
        inputs = [i for i in n.all_input_nodes if i in unit_of]
        inputs += [d for d in analysis.order_deps.get(n, ()) if d in unit_of]
        preds = {unit_of[i] for i in inputs}
        unit = None
        ok = n in supported
        # A node reading a tuple (getitem of a multi-result op) must join its producer's
        # region: regions exchange tensors, not tuples.
        tuple_inputs = [i for i in n.all_input_nodes if isinstance(analysis.meta.get(i), tuple)]
        tuples = {unit_of[i] for i in tuple_inputs if i in unit_of}
        outside = [i for i in tuple_inputs if i not in unit_of]
        if ok and outside:  # a graph input that is a list of tensors: PyTorch unpacks it
            ok = False
            demoted[n] = f"its input '{outside[0].name}' is a tuple or list of tensors"
        elif ok and tuples:
            torch_side = [i for i in n.all_input_nodes
                          if i in unit_of and unit_of[i] in tuples and not unit_of[i].region]
            if torch_side:
                ok = False
                demoted[n] = f"its input '{torch_side[0].name}' runs in PyTorch"
            elif not _legal(list(tuples), preds):
                ok = False
                demoted[n] = "it cannot join the region of the op whose results it reads"
            else:
                unit = _merge(list(tuples))
        elif ok:
            candidates = sorted((u for u in preds if u.region), key=lambda u: -max(index[m] for m in u.nodes))
            if not candidates and last_region is not None:
                candidates = [last_region]
            chosen = []
            for u in candidates:
                if _legal(chosen + [u], preds):
                    chosen.append(u)
            if chosen:
                unit = _merge(chosen)
        if unit is not None:
            unit.nodes.append(n)
            for m in unit.nodes:
                unit_of[m] = unit
        else:
            unit = Unit(n, region=ok)
        unit_of[n] = unit
        if unit.region:
            last_region = unit
        preds = {unit_of[i] for i in inputs}  # units merged just now are `unit`
        for p in preds:
            if p is not unit:
                p.succs.add(unit)
                unit.preds.add(p)
    units = {id(u): u for u in unit_of.values()}.values()
    for u in units:
        u.nodes.sort(key=index.__getitem__)
        u.first = index[u.nodes[0]]
    return _toposort(list(units)), demoted


def _toposort(units):
    """Kahn's algorithm, ready units taken in the order of their first node."""
    waiting = {id(u): len(u.preds) for u in units}
    ready = [(u.first, id(u), u) for u in units if not u.preds]
    heapq.heapify(ready)
    out = []
    while ready:
        _, _, u = heapq.heappop(ready)
        out.append(u)
        for s in u.succs:
            waiting[id(s)] -= 1
            if waiting[id(s)] == 0:
                heapq.heappush(ready, (s.first, id(s), s))
    if len(out) != len(units):  # cannot happen for legal merges; guard the invariant
        raise RuntimeError("cinn.torch: the partition has a cycle (internal error)")
    return out
