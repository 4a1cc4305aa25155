""":func:`compile` and the callables it returns."""

import copy
import inspect

import torch

from .. import _cinn
from ..frontend import _options
from . import graph, runtime
from .report import Report, SignatureReport

_OPTIONS = ["options", *_cinn.CompileOptions.fields]


def _signature_of(v):
    """A hashable description of one argument: tensors by shape, dtype, device and
    requires_grad; containers element-wise; other values by value (or identity)."""
    if isinstance(v, torch.Tensor):
        return ("T", tuple(v.shape), v.dtype, v.device, v.requires_grad)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__,) + tuple(_signature_of(x) for x in v)
    if isinstance(v, dict):
        return ("dict",) + tuple((k, _signature_of(v[k])) for k in sorted(v, key=repr))
    try:
        hash(v)
        return ("V", type(v).__name__, v)
    except TypeError:
        return ("id", id(v))


def _readable(args, kwargs):
    def one(v):
        if isinstance(v, torch.Tensor):
            rg = ", requires_grad" if v.requires_grad else ""
            dev = "" if v.device.type == "cpu" else f", {v.device}"
            return f"Tensor{list(v.shape)} {str(v.dtype).replace('torch.', '')}{dev}{rg}"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(one(x) for x in v) + "]"
        return repr(v)
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _tensors(v):
    return (x for x in graph.leaves(v) if isinstance(x, torch.Tensor))


class _Entry:
    """One input signature: how calls run (``run(args, kwargs)``) and its report."""

    def __init__(self, signature, mode, run, graphs=(), reason=None, frozen=()):
        self.report = SignatureReport(signature, mode, graphs, reason)
        self.run = run
        self.frozen = list(frozen)   # [(tensor, version)] baked into regions as constants

    def stale(self):
        return any(t._version != v for t, v in self.frozen)


class Engine:
    """Compiles and runs a module or function per input signature (see :func:`compile`)."""

    def __init__(self, fn, module, target, freeze, options):
        self.fn = fn
        self.module = module
        self.target = target
        self.freeze = freeze
        self.options = options
        self.name = type(module).__name__ if module is not None else getattr(fn, "__name__", "function")
        self._traces = {}     # module training flags -> (GraphModule, impure, order_deps) or error text
        self._entries = {}
        self.compiles = 0     # signatures compiled (including recompiles)

    def rebound(self, fn, module):
        """A new engine for `fn` / `module` with this one's target and options, nothing
        compiled yet."""
        return Engine(fn, module, self.target, self.freeze, self.options)

    # ---- calls ---------------------------------------------------------------------------

    def _state(self):
        # Every submodule's training flag, walked over `_modules` directly: Module.modules()
        # builds a qualified name per submodule, 0.6 ms per call for MobileNetV2's 213.
        if self.module is None:
            return ()
        flags, stack, seen = [], [self.module], set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            flags.append(m.training)
            stack.extend(c for c in reversed(m._modules.values()) if c is not None)
        return tuple(flags)

    def _needs_grad(self, args, kwargs):
        if not torch.is_grad_enabled():
            return False
        if any(t.requires_grad for t in _tensors((args, kwargs))):
            return True
        if self.module is None or self.freeze:
            return False
        return any(p.requires_grad for p in self.module.parameters())

    def key(self, args, kwargs):
        return (_signature_of(args), _signature_of(kwargs), self._state(), self._needs_grad(args, kwargs))

    def __call__(self, *args, **kwargs):
        key = self.key(args, kwargs)
        entry = self._entries.get(key)
        if entry is None or entry.stale():
            entry = self._compile(key, args, kwargs, rebuilt=entry is not None)
        try:
            return entry.run(args, kwargs)
        except runtime.StaleRegion as e:
            # a parameter changed shape or dtype since compiling: compile again
            entry = self._compile(key, args, kwargs, rebuilt=True, note=str(e))
        try:
            return entry.run(args, kwargs)
        except runtime.StaleRegion as e:
            raise _cinn.InternalError(f"cinn.torch: {self.name}: a region compiled just now does "
                                      f"not fit its inputs ({e})") from None

    def entry(self, args, kwargs):
        """The entry for these inputs, compiling if needed (without running the compiled
        code; training signatures run once, see :meth:`CompiledModule.explain`)."""
        key = self.key(args, kwargs)
        entry = self._entries.get(key)
        if entry is None or entry.stale():
            entry = self._compile(key, args, kwargs, rebuilt=entry is not None)
        return entry

    def report(self, entries=None):
        entries = list(self._entries.values()) if entries is None else entries
        return Report(self.name, [e.report for e in entries])

    # ---- compiling -------------------------------------------------------------------------

    def _check_arguments(self, args, kwargs):
        target = self.module.forward if self.module is not None else self.fn
        try:
            sig = inspect.signature(target)
        except (TypeError, ValueError):
            return
        try:
            sig.bind(*args, **kwargs)
        except TypeError as e:
            params = [p for p in sig.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            wanted = ", ".join(p.name + ("" if p.default is p.empty else "=...") for p in params)
            raise _cinn.Error(f"cinn.torch: {self.name} takes ({wanted}), called with "
                              f"{len(args)} positional and {len(kwargs)} keyword argument(s): {e}") from None

    def _compile(self, key, args, kwargs, rebuilt=False, note=None):
        self._check_arguments(args, kwargs)
        self.compiles += 1
        signature = _readable(args, kwargs)
        need_grad = key[-1]
        reason = self._eager_reason(args, kwargs, need_grad)
        if reason is not None:
            entry = self._eager(signature, reason)
        elif need_grad:
            from .training import compile_training  # noqa: PLC0415 (imports functorch)
            entry = compile_training(self, signature, args, kwargs)
        else:
            entry = self._compile_inference(signature, args, kwargs)
        if rebuilt:
            entry.report.notes.append("recompiled: " + (note or "frozen parameters were modified in place"))
        self._entries[key] = entry
        return entry

    def _eager_reason(self, args, kwargs, need_grad):
        for t in _tensors((args, kwargs)):
            if t.device.type != "cpu":
                return (f"an input is on {t.device}; cinn.torch exchanges CPU tensors (CUDA tensors "
                        "need the DLPack exchange, not available yet)")
        if self.module is not None:
            for p in list(self.module.parameters()) + list(self.module.buffers()):
                if p.device.type != "cpu":
                    return f"a parameter or buffer is on {p.device}; cinn.torch exchanges CPU tensors"
        if need_grad and self.freeze:
            return ("freeze=True compiles inference only (parameters are constants), and an "
                    "input requires grad with gradients enabled")
        return None

    def _eager(self, signature, reason):
        return _Entry(signature, "eager", lambda a, k: self.fn(*a, **k), reason=reason)

    def _trace(self):
        state = self._state()
        t = self._traces.get(state)
        traceable = self.module is not None or inspect.isfunction(self.fn) or inspect.ismethod(self.fn)
        if t is None and not traceable:
            t = (f"torch.fx traces Python functions and nn.Modules, and {self.name} is a "
                 f"{type(self.fn).__name__}")
        if t is None:
            try:
                gm = graph.trace(self.fn)
                impure, deps = graph.functionalize(gm)
                t = (gm, impure, deps)
            except Exception as e:  # fx raises many kinds (TraceError, TypeError, ...)
                t = f"torch.fx cannot trace it ({type(e).__name__}: {e})"
            self._traces[state] = t
        return t

    def _compile_inference(self, signature, args, kwargs):
        traced = self._trace()
        if isinstance(traced, str):
            return self._compile_make_fx(signature, args, kwargs, traced)
        gm, impure, deps = traced
        try:
            meta = graph.record(gm, args, kwargs)
        except Exception as e:
            # the captured graph fails on these inputs: PyTorch itself decides (it raises the
            # model's own error if the inputs are wrong)
            return self._eager(signature, f"the captured graph fails on these inputs ({type(e).__name__}: {e})")
        analysis = graph.Analysis(gm, "fx", meta, impure, deps)
        freeze = self.freeze and (self.module is None or not self.module.training)
        split, report = runtime.compile_graph(analysis, "inference (torch.fx)", freeze, self.target,
                                              self.options)
        frozen = [(t, t._version) for m in split.modules() if isinstance(m, runtime.CinnRegion)
                  for _, t in m.frozen]
        entry = _Entry(signature, "inference", lambda a, k: split(*a, **k), [report], frozen=frozen)
        entry.report.capture = "torch.fx"
        if self.freeze and not freeze:
            entry.report.notes.append("freeze=True ignored: the module is in training mode")
        return entry

    def _compile_make_fx(self, signature, args, kwargs, fx_failure):
        """The inference entry when torch.fx cannot trace: make_fx on these inputs (see
        :mod:`cinn.torch.aten_capture`), or eager PyTorch when that fails too."""
        from . import aten_capture  # noqa: PLC0415 (imports functorch)
        from .training import DECOMPOSITIONS  # noqa: PLC0415
        try:
            cap = aten_capture.capture(self.fn, self.module, args, kwargs, DECOMPOSITIONS)
        except Exception as e:  # make_fx raises many kinds; the model's own errors too
            why = str(e) if isinstance(e, aten_capture.CaptureError) else f"{type(e).__name__}: {e}"
            return self._eager(signature, f"{fx_failure}, and make_fx cannot capture it either ({why}); "
                               "data-dependent control flow and Python values computed from tensors "
                               "need eager PyTorch")
        freeze = self.freeze and (self.module is None or not self.module.training)
        try:
            split, report = runtime.compile_graph(cap.analysis, "inference (make_fx)", freeze, self.target,
                                                  self.options)
        except _cinn.Error as e:
            return self._eager(signature, f"{fx_failure}; its make_fx graph cannot be run in parts ({e})")
        frozen = [(t, t._version) for m in split.modules() if isinstance(m, runtime.CinnRegion)
                  for _, t in m.frozen]
        entry = _Entry(signature, "inference", lambda a, k: split(*cap.inputs(a, k)), [report],
                       frozen=frozen)
        entry.report.capture = "make_fx"
        entry.report.notes.append(f"{fx_failure}: captured with make_fx instead, an aten graph "
                                  "specialized to this input signature")
        if self.freeze and not freeze:
            entry.report.notes.append("freeze=True ignored: the module is in training mode")
        return entry


class CompiledModule(torch.nn.Module):
    """An ``nn.Module`` running its wrapped module through CINN (see :func:`compile`).

    Parameters, buffers and submodules are the wrapped module's own (``parameters()``,
    ``state_dict()`` and ``load_state_dict()`` use its names; ``.train()``/``.eval()``
    reach it), so optimizers and checkpoints work on either object. Other attributes are
    looked up on the wrapped module."""

    def __init__(self, module, engine):
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_engine", engine)

    @property
    def original(self):
        """The wrapped module."""
        return self._orig_mod

    def forward(self, *args, **kwargs):
        return self._engine(*args, **kwargs)

    def explain(self, *args, **kwargs):
        """A :class:`~cinn.torch.report.Report`: for these inputs (compiled first if needed)
        or, with no arguments, for every signature compiled so far. A training signature
        (inputs or parameters requiring grad) is captured by running one forward and
        backward on copies of the inputs; the module's buffers, the parameters'
        ``.grad`` and the RNG state are restored afterwards."""
        return _explain(self._engine, args, kwargs)

    def named_parameters(self, prefix="", recurse=True, **kw):
        return self._orig_mod.named_parameters(prefix=prefix, recurse=recurse, **kw)

    def named_buffers(self, prefix="", recurse=True, **kw):
        return self._orig_mod.named_buffers(prefix=prefix, recurse=recurse, **kw)

    def state_dict(self, *args, **kwargs):
        return self._orig_mod.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True):
        return self._orig_mod.load_state_dict(state_dict, strict)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    def __repr__(self):
        return f"cinn.torch.CompiledModule({self._orig_mod!r})"

    def __deepcopy__(self, memo):
        # A copy of the wrapped module, compiled afresh on its first call (the compiled
        # regions hold the original's tensors; the compile cache makes recompiling cheap).
        module = copy.deepcopy(self._orig_mod, memo)
        return CompiledModule(module, self._engine.rebound(module, module))


class CompiledFunction:
    """A function running through CINN (see :func:`compile`)."""

    def __init__(self, fn, engine):
        self.__wrapped__ = fn
        self._engine = engine
        self.__name__ = getattr(fn, "__name__", "function")
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args, **kwargs):
        return self._engine(*args, **kwargs)

    def __deepcopy__(self, memo):
        return CompiledFunction(self.__wrapped__, self._engine.rebound(self.__wrapped__, None))

    def explain(self, *args, **kwargs):
        """See :meth:`CompiledModule.explain`."""
        return _explain(self._engine, args, kwargs)


def _explain(engine, args, kwargs):
    if not args and not kwargs:
        return engine.report()
    key = engine.key(args, kwargs)
    if key not in engine._entries and key[-1]:
        from .training import capture_training  # noqa: PLC0415
        capture_training(engine, args, kwargs)
    return engine.report([engine.entry(args, kwargs)])


def compile(module_or_fn, target=None, freeze=False, tune=None, **options):  # noqa: A001
    """Runs a PyTorch module or function through CINN; returns a
    :class:`CompiledModule` (for an ``nn.Module``) or :class:`CompiledFunction` that
    behaves like the original.

    Each new input signature (shapes, dtypes, devices, requires_grad, the module's
    train/eval state) is captured and compiled on its first call; later calls with it
    reuse the compiled regions. Without gradients (``torch.no_grad()``, or nothing that
    requires grad) the graph is captured with torch.fx; with gradients, the forward and
    backward graphs are captured with functorch's AOTAutograd. The graph is partitioned
    into regions CINN compiles and ops PyTorch runs (``explain()`` lists both).

    ``target``: a :class:`cinn.Target` (default: the host CPU). ``freeze``: bake the
    parameters and buffers in as constants (like ``torch.jit.freeze``), so that
    ``cinn.compile`` folds batch normalization into the convolutions; inference only, and
    a region is recompiled when a frozen tensor is modified in place. ``options`` go to
    :func:`cinn.compile`: a :class:`cinn.CompileOptions` as ``options=``, or its fields
    (``fusion``, ``opt_level``, ``cache``, ``schedule_params``, ``database``, ...).

    ``tune``: a number of trials; each region is then tuned with :func:`cinn.tune` into
    ``database`` (required) when it is first compiled, and compiled with what it found
    (``docs/tuning.md``). Regions already tuned in that database continue where they
    stopped.
    """
    if not callable(module_or_fn):
        raise _cinn.Error(f"cinn.torch.compile: expected an nn.Module or a function, got "
                          f"{type(module_or_fn).__name__}")
    if target is not None and not isinstance(target, _cinn.Target):
        raise _cinn.Error(f"cinn.torch.compile: target must be a cinn.Target, got {type(target).__name__}")
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise _cinn.Error(f"cinn.torch.compile: unknown option '{unknown[0]}'; the options of "
                          f"cinn.compile are: {', '.join(_OPTIONS)}")
    compile_options = _options(options.pop("options", None), options, "cinn.torch.compile")
    options = {"options": compile_options}
    if tune is not None:
        if not isinstance(tune, int) or isinstance(tune, bool) or tune < 1:
            raise _cinn.Error(f"cinn.torch.compile: tune must be a positive number of trials, got {tune!r}")
        if compile_options.database is None:
            raise _cinn.Error("cinn.torch.compile: tune= needs database= (where the measurements go)")
        options["tune"] = tune
    if isinstance(module_or_fn, (CompiledModule, CompiledFunction)):
        raise _cinn.Error("cinn.torch.compile: this is already compiled")
    if isinstance(module_or_fn, torch.nn.Module):
        engine = Engine(module_or_fn, module_or_fn, target, bool(freeze), options)
        return CompiledModule(module_or_fn, engine)
    engine = Engine(module_or_fn, None, target, bool(freeze), options)
    return CompiledFunction(module_or_fn, engine)
