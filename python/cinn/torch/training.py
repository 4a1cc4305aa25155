"""Training through cinn.torch: forward and backward graphs captured with functorch's
AOTAutograd and compiled like inference graphs.

AOTAutograd traces the module (its parameters and buffers passed as inputs) into one
joint forward-backward aten graph, splits it into a forward graph (which also returns the
tensors the backward needs) and a backward graph, and calls ``fw_compiler`` /
``bw_compiler`` with each. Both are partitioned and compiled by
:func:`cinn.torch.runtime.compile_graph`; the results are wired into autograd by
AOTAutograd (a ``torch.autograd.Function``), so ``loss.backward()`` runs the compiled
backward and accumulates ``.grad`` of the module's parameters as eager PyTorch does.

Backward ops that torch 1.13 can decompose into simpler aten ops are decomposed
(:data:`DECOMPOSITIONS`); convolution and max/avg-pooling backward use CINN's own
gradient rules (``NetBuilder.vjp``).

Two fixes around torch 1.13's AOTAutograd: its ``aot_function`` keeps one trace whatever
the input shapes, so one AOT callable is made per input signature; and tracing runs the
module's Python code, which updates batch-norm buffers (``num_batches_tracked``) outside
the graph, so buffers are restored after tracing and ``num_batches_tracked`` is advanced by
one per training call, as eager mode does.
"""

import torch
from functorch.compile import make_boxed_func
from torch._decomp import get_decompositions

from . import graph, runtime

A = torch.ops.aten

# Backward (and a few forward) ops replaced by their torch 1.13 decompositions into
# simpler aten ops before the graphs reach cinn.torch.
DECOMPOSITIONS = get_decompositions([
    A.native_batch_norm_backward, A.native_layer_norm_backward, A._softmax_backward_data,
    A._log_softmax_backward_data, A.gelu_backward, A.hardtanh_backward, A.sigmoid_backward,
    A.tanh_backward, A.silu_backward, A.hardswish_backward, A.hardsigmoid_backward,
    A.leaky_relu_backward, A.elu_backward, A.softplus_backward, A.mse_loss_backward,
    A.native_dropout_backward, A.select_backward, A.slice_backward, A.nll_loss_forward,
    A.nll_loss_backward, A.mse_loss, A.var_mean, A.addcmul, A.addcdiv,
])


class _Graphs:
    """The compilers handed to AOTAutograd for one signature, and their reports."""

    def __init__(self, engine, restore):
        self.engine = engine
        self.reports = []
        self._restore = restore

    def compiler(self, kind):
        def compile_aten(gm, example_inputs):
            if kind == "forward":
                self._restore()  # undo what tracing the module's Python did to its buffers
            try:
                impure, deps = graph.aten_effects(gm)
                analysis = graph.Analysis(gm, "aten", graph.from_tensor_meta(gm), impure, deps)
                analysis.storage_offsets = graph.storage_offsets(gm, example_inputs)
                split, report = runtime.compile_graph(analysis, f"{kind} (AOTAutograd)", False,
                                                      self.engine.target, self.engine.options,
                                                      prefix=f"cinn_{kind}")
            except Exception as e:  # never take training down: PyTorch runs the aten graph
                self.reports.append(runtime.GraphReport(f"{kind} (AOTAutograd)", [], [runtime.Fallback(
                    "*", "the whole graph", f"compiling it failed ({type(e).__name__}: {e})")]))
                run = gm.forward
            else:
                self.reports.append(report)
                run = split.forward
            return make_boxed_func(_once_differentiable(run) if kind == "backward" else run)
        return compile_aten


_DOUBLE_BACKWARD = (
    b"cinn.torch: cannot differentiate the gradients of a compiled training graph (double backward: "
    b"torch.autograd.grad(..., create_graph=True) and then a backward through its result, as a gradient "
    b"penalty does); the compiled backward does not record how its gradients depend on the inputs. "
    b"Run the steps that need gradients of gradients on the uncompiled model.")


def _once_differentiable(backward):
    """The backward graph's function whose gradients, when autograd records (create_graph=True),
    require grad as eager ones would, but raise when differentiated (as PyTorch's
    ``once_differentiable``, whatever the inputs): without this they would not require grad,
    and a loss built from them would silently miss those terms."""
    def run(*args):
        with torch.no_grad():
            outs = backward(*args)
        if not torch.is_grad_enabled():
            return outs
        outs = list(outs)
        at = [i for i, t in enumerate(outs) if isinstance(t, torch.Tensor) and t.is_floating_point()]
        if at:
            leaves = []
            for i in at:
                leaf = outs[i].detach()
                leaf.requires_grad = True
                leaves.append(leaf)
            wrapped = torch._C._functions.DelayedError(_DOUBLE_BACKWARD, len(leaves))(*leaves)
            if isinstance(wrapped, torch.Tensor):
                wrapped = (wrapped,)
            for i, t in zip(at, wrapped):
                outs[i] = t
        return outs
    return run


def _batch_norms(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            and m.training and m.track_running_stats and m.num_batches_tracked is not None]


def compile_training(engine, signature, args, kwargs):
    """An entry running the module / function through AOTAutograd with CINN compilers."""
    from functorch.compile import aot_function, aot_module  # noqa: PLC0415
    from .api import _Entry  # noqa: PLC0415

    module = engine.module
    saved = {}
    if module is not None:
        saved = {k: b.detach().clone() for k, b in module.named_buffers()}

    def restore():
        if module is not None:
            with torch.no_grad():
                for k, b in module.named_buffers():
                    if k in saved:
                        b.copy_(saved[k])

    graphs = _Graphs(engine, restore)
    kw = dict(fw_compiler=graphs.compiler("forward"), bw_compiler=graphs.compiler("backward"),
              decompositions=DECOMPOSITIONS)
    compiled = aot_module(module, **kw) if module is not None else aot_function(engine.fn, **kw)
    state = {"traced": False}

    def run(a, k):
        bns = _batch_norms(module) if module is not None else []
        counts = [int(m.num_batches_tracked) for m in bns]
        try:
            out = compiled(*a, **k)
        except runtime.StaleRegion:
            raise
        except Exception as e:
            if state["traced"]:
                raise
            # AOTAutograd could not capture the module: PyTorch runs it (and raises the
            # model's own error if the inputs are wrong)
            restore()
            entry.report.mode = "eager"
            entry.report.capture = None
            entry.report.reason = f"AOTAutograd cannot capture it ({type(e).__name__}: {e})"
            entry.run = lambda a2, k2: engine.fn(*a2, **k2)
            return engine.fn(*a, **k)
        if not state["traced"]:
            state["traced"] = True
            tensors = list(graph.leaves((a, k)))
            if module is not None:
                tensors += list(module.parameters()) + list(module.buffers())
            _forget_tracing(tensors)
        with torch.no_grad():
            for m, c in zip(bns, counts):
                m.num_batches_tracked.fill_(c + 1)
        return out

    entry = _Entry(signature, "training", run)
    entry.report.capture = "AOTAutograd"
    entry.report.graphs = graphs.reports  # filled as AOTAutograd compiles forward and backward
    return entry


def _forget_tracing(tensors):
    """Drops the tracing state torch 1.13's make_fx leaves in the __dict__ of traced
    tensors (a weak-keyed map whose values keep their keys, the tracers, alive): with it,
    ``copy.deepcopy`` of the module fails after the first training call."""
    try:
        from torch.fx.experimental.proxy_tensor import proxy_slot  # noqa: PLC0415
    except ImportError:  # other torch versions: nothing to clean
        return
    for t in tensors:
        if isinstance(t, torch.Tensor):
            t.__dict__.pop(proxy_slot, None)


def capture_training(engine, args, kwargs):
    """Compiles a training signature for explain(): one forward and backward on copies of
    the inputs; buffers, parameter gradients and the RNG state are restored afterwards."""
    module = engine.module
    params = list(module.parameters()) if module is not None else []
    grads = [p.grad for p in params]
    buffers = {k: b.detach().clone() for k, b in module.named_buffers()} if module is not None else {}

    def copy(v):
        if isinstance(v, torch.Tensor):
            return v.detach().clone().requires_grad_(v.requires_grad)
        if isinstance(v, (list, tuple)):
            return type(v)(copy(x) for x in v)
        if isinstance(v, dict):
            return {k: copy(x) for k, x in v.items()}
        return v

    with torch.random.fork_rng(devices=[]):
        try:
            out = engine(*copy(args), **copy(kwargs))
            outs = [o for o in graph.leaves(out) if isinstance(o, torch.Tensor) and o.requires_grad]
            if outs:
                torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])
        finally:
            for p, g in zip(params, grads):
                p.grad = g
            if module is not None:
                with torch.no_grad():
                    for k, b in module.named_buffers():
                        if k in buffers:
                            b.copy_(buffers[k])
