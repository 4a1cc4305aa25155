"""cinn.torch: PyTorch modules and functions compiled by CINN, subgraph by subgraph.

::

    import torch, torchvision, cinn.torch
    model = torchvision.models.resnet18().eval()
    fast = cinn.torch.compile(model)                 # an nn.Module; options go to cinn.compile
    with torch.no_grad():
        logits = fast(torch.randn(1, 3, 224, 224))  # first call of a signature compiles
    print(fast.explain())                            # regions, kernels, what PyTorch ran and why

Inference (no gradients needed) is captured with torch.fx; training (inputs or
parameters requiring grad, gradients enabled) with functorch's AOTAutograd, forward and
backward. The captured graph is split into the largest regions CINN supports; each is
compiled by :func:`cinn.compile` and everything else runs in PyTorch, so any model runs.
Compiled regions are cached per input signature. CPU tensors cross into CINN and back
without copies (numpy views through the buffer protocol). ``freeze=True`` bakes the
parameters in as constants (inference). docs/torch.md has the details and the op tables.
"""

from . import ops_aten, ops_fx  # noqa: F401  (register the converters)
from .api import CompiledFunction, CompiledModule, compile  # noqa: F401,A004
from .report import Fallback, GraphReport, RegionInfo, Report, SignatureReport  # noqa: F401


def supported_ops():
    """The PyTorch calls cinn.torch converts: ``{"function": [...], "method": [...],
    "module": [...], "aten": [...]}`` (readable names, sorted)."""
    from .convert import aten, fx_function, fx_method, fx_module  # noqa: PLC0415

    def name(k):
        if isinstance(k, str):
            return f"Tensor.{k}"
        if isinstance(k, type):
            return f"nn.{k.__name__}"
        if hasattr(k, "overloadpacket") or type(k).__name__ == "OpOverloadPacket":
            return str(k)
        mod = getattr(k, "__module__", "") or ""
        mod = {"_operator": "operator", "torch.nn.functional": "F"}.get(
            mod, "torch" if mod in ("torch", "") or mod.startswith("torch.") else mod)
        return f"{mod}.{getattr(k, '__name__', repr(k))}"

    return {r.kind: sorted({name(k) for k in r.keys()}) for r in (fx_function, fx_method, fx_module, aten)}


__all__ = ["compile", "CompiledModule", "CompiledFunction", "Report", "SignatureReport", "GraphReport",
           "RegionInfo", "Fallback", "supported_ops"]
