"""The graph compiler's Python front: :class:`NetBuilder`, :func:`compile`, :class:`Executable`.

``NetBuilder`` has one method per registered op (primitive or composite), generated from
the op registry: inputs come first (positionally), then the op's attributes with their
defaults, so ``b.reduce(x, "sum", axis=[1])`` or ``b.matmul(x, w, transpose_y=True)``.
``help(cinn.NetBuilder.matmul)`` shows an op's inputs, attributes and documentation.
A Python number given where an op expects a tensor becomes a constant of the other
operand's dtype (``b.mul(x, 0.5)``).
"""

import inspect
import numbers

import numpy as np

from . import _cinn


class NetBuilder:
    """Builds a :class:`Program` op by op; every method returns the new value (or a tuple
    of values for ops with several results)."""

    def __init__(self, name="program"):
        self._core = _cinn.NetBuilderCore(name)
        self.name = name

    def input(self, shape, dtype="float32", name=None):
        """A named program input of the given shape and dtype."""
        if name is None:
            raise _cinn.Error("NetBuilder.input: every input needs a name (name=...)")
        return self._core.input(list(shape), dtype, name)

    def build(self, outputs):
        """The :class:`Program` computing ``outputs`` (a value or a list of values)."""
        if isinstance(outputs, _cinn.Value):
            outputs = [outputs]
        return self._core.build(list(outputs))

    def call(self, op, inputs, **attrs):
        """Applies op ``op`` by name; returns the list of its results."""
        return self._core.call(op, list(inputs), attrs)

    def vjp(self, op, inputs, cotangents, **attrs):
        """The vector-Jacobian product of op ``op`` (by name) applied to ``inputs`` with
        ``attrs``: the gradients of its inputs given ``cotangents``, one per result of the
        op (``None``: zero). Returns one value per input, ``None`` for integer and boolean
        inputs. The op's registered gradient rule builds them (a composite without one is
        differentiated through its decomposition), exactly as :func:`cinn.grad` would; the
        forward application is added too and removed as dead code if nothing reads it.
        Importers map a framework's backward ops onto this, e.g.
        ``dx, dw = b.vjp("conv2d", [x, w], [dy], stride=[2, 2], padding=[1, 1])``."""
        return self._core.vjp(op, list(inputs), list(cotangents), attrs)

    def _constant(self, value, like, op):
        if like.dtype.startswith(("int", "uint")):
            # A number that is not a value of the integer dtype it adopts would change: x * 1.5
            # computing x * 1 on int32, u + 300 computing u + 44 on uint8.
            info = np.iinfo(like.dtype)
            if isinstance(value, numbers.Integral):
                exact = info.min <= value <= info.max and float(value) == value
            else:
                exact = float(value).is_integer() and info.min <= value <= info.max
            if not exact:
                raise _cinn.DTypeError(
                    f"op '{op}': the number {value!r} is not a value of {like.dtype}, the dtype of its "
                    f"tensor operand{' (or is not exact as a float64)' if isinstance(value, numbers.Integral) else ''}; "
                    f"cast the operand (b.cast) to a dtype that holds it")
        c = self._core.call("fill_constant", [], {"shape": [], "value": float(value), "dtype": like.dtype})
        return c[0]


def _make_method(schema):
    name = schema["name"]
    inputs = schema["inputs"]
    attrs = schema["attrs"]
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    # Inputs, then attributes, all positional-or-keyword; optional inputs default to None.
    # A required attribute after a defaulted parameter (an optional input) becomes
    # keyword-only, and so does everything after it, to keep the signature valid.
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    seen_default = False
    for in_name, _variadic, optional in inputs:
        params.append(inspect.Parameter(in_name, kind, default=None if optional else inspect.Parameter.empty))
        seen_default = seen_default or optional
    for a_name, _kind, default, has_default, _doc in attrs:
        if not has_default and seen_default:
            kind = inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(
            a_name, kind, default=default if has_default else inspect.Parameter.empty))
        seen_default = seen_default or has_default
    sig = inspect.Signature(params)

    def method(self, *args, **kwargs):
        try:
            bound = sig.bind(self, *args, **kwargs)
        except TypeError as e:
            raise _cinn.Error(f"op '{name}': {e}") from None
        values = []
        omitted = None  # the first optional input left out: no later one may be given
        for in_name, variadic, optional in inputs:
            v = bound.arguments.get(in_name)
            if optional and v is None:
                omitted = omitted or in_name
                continue
            if omitted is not None:
                raise _cinn.Error(f"op '{name}': input '{in_name}' is given but the optional "
                                  f"input '{omitted}' before it is not")
            values.extend(list(v) if variadic else [v])
        # A Python number becomes a constant of the first tensor operand's dtype, preferring
        # a non-bool one (where(cond, x, 0.0) takes x's dtype, not cond's).
        tensors = [v for v in values if isinstance(v, _cinn.Value)]
        like = next((v for v in tensors if v.dtype != "bool"), tensors[0] if tensors else None)
        for i, v in enumerate(values):
            if isinstance(v, numbers.Number) and not isinstance(v, bool) and like is not None:
                values[i] = self._constant(v, like, name)
            elif not isinstance(v, _cinn.Value):
                raise _cinn.Error(f"op '{name}': input {i} must be a cinn.Value, got {type(v).__name__}")
        attr_values = {a[0]: bound.arguments[a[0]] for a in attrs if a[0] in bound.arguments}
        outs = self._core.call(name, values, attr_values)
        return outs[0] if len(outs) == 1 else tuple(outs)

    lines = [schema["doc"] or name, ""]
    if inputs:
        lines.append("Inputs: " + ", ".join(n + ("..." if v else "") + (" (optional)" if o else "")
                                            for n, v, o in inputs))
    for a_name, kind, default, has_default, doc in attrs:
        d = f" = {default!r}" if has_default else " (required)"
        lines.append(f"  {a_name}: {kind}{d}" + (f" -- {doc}" if doc else ""))
    kind = "composite (decomposed into primitives)" if schema["composite"] else \
        f"primitive, pattern {schema['pattern']}"
    lines.append(f"Op '{name}': {kind}.")
    method.__name__ = name
    method.__qualname__ = f"NetBuilder.{name}"
    method.__doc__ = "\n".join(lines)
    method.__signature__ = sig
    return method


for _schema in _cinn.op_schemas():
    if not hasattr(NetBuilder, _schema["name"]):
        setattr(NetBuilder, _schema["name"], _make_method(_schema))


_DLPACK_CUDA = 2


def _as_array(name, a):
    """Input `a` as the runtime takes it: arrays as they are; host tensors that speak DLPack
    (``__dlpack__``: torch CPU tensors, ...) as a numpy view of the same memory; bfloat16
    tensors and tensors in GPU memory (torch CUDA tensors) as they are, for the runtime to
    read through DLPack."""
    if isinstance(a, np.ndarray) or not hasattr(a, "__dlpack__"):
        return a
    try:
        on_gpu = a.__dlpack_device__()[0] == _DLPACK_CUDA
    except (AttributeError, RuntimeError, TypeError, ValueError, BufferError):
        on_gpu = False  # from_dlpack below says what is wrong
    if on_gpu:
        return a
    if "bfloat16" in str(getattr(a, "dtype", "")):
        return a  # numpy has no bfloat16: the runtime reads it through DLPack
    try:
        return np.from_dlpack(a)
    except (RuntimeError, TypeError, ValueError, BufferError) as e:
        raise _cinn.ExecutionError(
            f"input '{name}': cannot read this {type(a).__name__} as a host array through DLPack "
            f"({e}); pass a CPU tensor that does not require grad (tensor.detach().cpu())") from None


class Executable:
    """A compiled program. Call it with the inputs by position or as keyword arguments
    (numpy arrays, or CPU tensors of other libraries through DLPack, without copies); it
    returns the list of outputs (numpy arrays). numpy has no bfloat16: bfloat16 inputs are
    tensors that export DLPack (``torch.bfloat16`` CPU tensors) and bfloat16 outputs are
    host :class:`DeviceArray` s, which ``torch.from_dlpack`` wraps without a copy.

    An executable compiled for ``Target.cuda()`` also takes tensors in GPU memory (torch CUDA
    tensors, through DLPack; all inputs alike): it then runs without copies and returns
    :class:`DeviceArray` outputs, which ``torch.from_dlpack`` wraps without a copy."""

    def __init__(self, compiled):
        self._c = compiled
        self.input_names = list(compiled.input_names)

    def _arrays(self, args):
        return [_as_array(n, a) for n, a in zip(self.input_names, args)]

    def _inputs(self, args, kwargs):
        """The inputs given by position or by name, as arrays in declaration order."""
        if args and kwargs:
            raise _cinn.ExecutionError("pass the inputs either all by position or all by name")
        if args:
            if len(args) != len(self.input_names):
                raise _cinn.ExecutionError(
                    f"expected {len(self.input_names)} inputs ({', '.join(self.input_names)}), got {len(args)}")
            return self._arrays(args)
        unknown = [k for k in kwargs if k not in self.input_names]
        if unknown:
            raise _cinn.ExecutionError(
                f"unknown input '{unknown[0]}'; the program's inputs are: {', '.join(self.input_names)}")
        missing = [n for n in self.input_names if n not in kwargs]
        if missing:
            raise _cinn.ExecutionError(f"missing input '{missing[0]}'")
        return self._arrays([kwargs[n] for n in self.input_names])

    def __call__(self, *args, **kwargs):
        return self._c.run(self._inputs(args, kwargs))

    def profile(self, *args, repeat=10, **kwargs):
        """Times every kernel launch: runs ``repeat`` times on the inputs (by position or by
        name, as a call) and returns one dict per launch, in launch order: ``kernel`` (name),
        ``ms`` (fastest time), ``ops`` (the fused ops) and ``share`` (of the summed times).
        The device is synchronized after each launch; time whole runs with ``exe(...)``."""
        arrays = self._inputs(args, kwargs)
        if repeat < 1:
            raise _cinn.ExecutionError(f"profile: repeat must be at least 1, got {repeat}")
        seconds = self._c.profile(arrays, repeat)
        ops = {g["name"]: g["ops"] for g in self._c.kernels}
        total = sum(seconds) or 1.0
        return [{"kernel": k, "ms": s * 1e3, "ops": ops.get(k, []), "share": s / total}
                for k, s in zip(self._c.launches, seconds)]

    @property
    def fusion_groups(self):
        """The kernels: a list of dicts with name, pattern, ops, inputs, outputs, schedule
        (``"default"``, or ``"tuned"`` when it came from a tuning database: the fastest
        measured, which is the default rules' schedule where those won) and function
        (the compiled function it launches: its own name, or that of an earlier kernel whose
        loops are the same up to names, which was scheduled and compiled once for both)."""
        return self._c.kernels

    def source(self):
        """The generated code (LLVM IR for x86, CUDA C for CUDA; empty when loaded from an
        artifact)."""
        return self._c.source

    @property
    def target(self):
        """The target compiled for, as text."""
        return self._c.target

    def save(self, dir):
        """Saves a self-contained artifact to directory ``dir``: the kernels (x86: a shared
        library; CUDA: CUBIN and PTX), the launch and memory plan, constants and the input
        and output signature. :func:`cinn.load` (or the runtime-only ``cinn_run``) loads it in
        any process, without the compiler."""
        self._c.save(str(dir))

    @property
    def loop_ir(self):
        """The scheduled loop IR of every kernel."""
        return self._c.loop_ir

    @property
    def primitive_graph(self):
        """The graph after decomposition into primitive ops and the graph passes."""
        return self._c.primitive_graph

    @property
    def cache_status(self):
        """How the compile cache served this compile: "off", "miss" (compiled and stored),
        "hit" (loaded) or "rebuilt" (an invalid entry was replaced)."""
        return self._c.cache_status

    @property
    def cache_path(self):
        """The compile cache entry read or written ("" if none)."""
        return self._c.cache_path

    @property
    def arena_bytes(self):
        """Bytes of intermediate memory one call uses (after buffer reuse)."""
        return self._c.arena_bytes

    def to_dot(self):
        """The fusion groups as a Graphviz digraph (one cluster per kernel)."""
        lines = ["digraph fusion {", "  rankdir=TB;"]
        producer = {}
        for k in self._c.kernels:
            for o in k["outputs"]:
                producer[o] = k["name"]
        for k in self._c.kernels:
            label = "\\n".join([k["name"], k["pattern"]] + k["ops"])
            lines.append(f'  "{k["name"]}" [shape=box, label="{label}"];')
            for i in k["inputs"]:
                src = producer.get(i)
                if src is None:
                    lines.append(f'  "{i}" [shape=ellipse];')
                    src = i
                lines.append(f'  "{src}" -> "{k["name"]}" [label="{i}"];')
        lines.append("}")
        return "\n".join(lines)


def _options(options, fields, who):
    """``options`` (a :class:`CompileOptions` or None for the defaults) with ``fields``
    changed: the options a compile entry point was given."""
    if options is None:
        return _cinn.CompileOptions(**fields)
    if not isinstance(options, _cinn.CompileOptions):
        raise _cinn.Error(f"{who}: options must be a cinn.CompileOptions, got {type(options).__name__}")
    return options.replace(**fields)


def compile(program, target=None, *, options=None, **fields):
    """Compiles a :class:`Program` for ``target`` (default: the host x86 CPU).

    ``options`` is a :class:`CompileOptions` (default: all its defaults); keyword ``fields``
    change single fields of it, so ``compile(p, fusion=False)`` is
    ``compile(p, options=CompileOptions(fusion=False))``. The fields: ``fusion``,
    ``opt_level``, ``precise_math``, ``fold_constants``, ``cache``, ``cache_dir``,
    ``dump_dir``, ``schedule_params`` and ``database`` (see :class:`CompileOptions`).

    With ``cache`` on, a later compile of the same program, in any process, loads the
    result from the disk cache instead of compiling. With a tuning ``database`` written by
    :func:`cinn.tune`, each kernel with a record there gets its fastest measured schedule
    instead of the default rules (its ``fusion_groups`` entry says ``"schedule": "tuned"``).
    """
    return Executable(_cinn.compile_program(program, target, _options(options, fields, "compile")))


def load(dir):
    """The :class:`Executable` saved in directory ``dir`` by :meth:`Executable.save`. Raises
    ``ExecutionError`` for a missing, corrupted or incompatible artifact."""
    return Executable(_cinn.load_artifact(str(dir)))


def grad(program, loss, wrt):
    """The :class:`Program` computing ``loss`` and its gradients with respect to ``wrt``.

    ``loss`` is a scalar floating-point value: one of the outputs passed to
    :meth:`NetBuilder.build` (or its output index). ``wrt`` lists program inputs (their
    :class:`Value` or their names). The new program's outputs are ``[loss, d loss / d wrt[0],
    ..., d loss / d wrt[-1]]`` followed by the program's other outputs, in order.

    Gradients come from each op's registered VJP rule, forward and backward in one graph
    (see ``docs/autodiff.md``). An input the loss does not depend on gets zeros; integer
    and boolean values carry no gradient. A non-scalar loss, a ``wrt`` that is not a
    floating-point program input, or an op without a rule raise :class:`cinn.Error`
    subclasses.
    """
    if isinstance(wrt, (_cinn.Value, str)):
        raise _cinn.Error("grad: wrt must be a list of inputs (cinn.Values or names)")
    return _cinn.grad(program, loss, list(wrt))
