"""The report :meth:`cinn.torch.CompiledModule.explain` returns."""

from .runtime import Fallback, GraphReport, RegionInfo  # noqa: F401


class SignatureReport:
    """What was compiled for one input signature: ``mode`` ("inference", "training", or
    "eager" when the whole call runs in PyTorch), ``capture`` (how the graph was captured:
    "torch.fx" or "make_fx" for inference, "AOTAutograd" for training; None when eager),
    ``reason`` (why eager), ``notes`` (why make_fx, recompiles, ...), and the ``graphs``
    (:class:`GraphReport`: inference; or forward and, once a backward ran, backward)."""

    def __init__(self, signature, mode, graphs, reason=None, notes=(), capture=None):
        self.signature = signature
        self.mode = mode
        self.capture = capture
        self.graphs = list(graphs)
        self.reason = reason
        self.notes = list(notes)


class Report:
    """The regions CINN compiled, their kernels, and every node that runs in PyTorch with
    the reason, per input signature. ``str(report)`` is a readable summary;
    ``regions``, ``fallbacks`` and ``signatures`` give the details."""

    def __init__(self, name, signatures):
        self.name = name
        self.signatures = list(signatures)

    @property
    def graphs(self):
        return [g for s in self.signatures for g in s.graphs]

    @property
    def regions(self):
        """Every compiled region (:class:`RegionInfo`)."""
        return [r for g in self.graphs for r in g.regions]

    @property
    def fallbacks(self):
        """Every node that runs in PyTorch (:class:`Fallback`: node, target, reason); a
        signature that runs eagerly as a whole counts as one entry with node ``"*"``."""
        out = [f for g in self.graphs for f in g.fallbacks]
        out += [Fallback("*", "the whole call", s.reason) for s in self.signatures if s.mode == "eager"]
        return out

    @property
    def kernels(self):
        return [k for r in self.regions for k in r.kernels]

    def __str__(self):
        lines = [f"cinn.torch: {self.name}: {len(self.signatures)} input signature(s)"]
        if not self.signatures:
            lines.append("  nothing compiled yet: call the model, or pass inputs to explain()")
        for s in self.signatures:
            how = f" (captured by {s.capture})" if s.capture else ""
            lines.append(f"- {s.signature}: {s.mode}{how}")
            if s.mode == "eager":
                lines.append(f"    runs in PyTorch: {s.reason}")
            for note in s.notes:
                lines.append(f"    note: {note}")
            for g in s.graphs:
                ops = sum(len(r.nodes) for r in g.regions)
                lines.append(f"  {g.kind} graph: {len(g.regions)} region(s) with {ops} ops in CINN, "
                             f"{len(g.fallbacks)} op(s) in PyTorch")
                for r in g.regions:
                    lines.append(f"    {r.name}: {len(r.nodes)} ops -> {len(r.kernels)} kernels, "
                                 f"{r.inputs} inputs, {r.outputs} outputs, compiled in {r.compile_s:.2f} s "
                                 f"(cache {r.cache})")
                    names = [k["name"] for k in r.kernels]
                    if names:
                        more = f", ... ({len(names) - 8} more)" if len(names) > 8 else ""
                        shown = ", ".join(names[:8]) + more
                        lines.append(f"      kernels: {shown}")
                for f in g.fallbacks:
                    lines.append(f"    PyTorch runs node '{f.node}' ({f.target}): {f.reason}")
                if g.contiguous_copies:
                    lines.append(f"    non-contiguous inputs copied so far: {g.contiguous_copies}")
        return "\n".join(lines)

    __repr__ = __str__
