"""CINN: a neural-network compiler for x86 CPUs and NVIDIA GPUs.

The kernel DSL lives in :mod:`cinn.lang`; :func:`build` compiles a lowered function for a
target and returns a callable :class:`Kernel` that runs on numpy arrays::

    import numpy as np, cinn
    from cinn import lang

    n = lang.Var("n")
    A = lang.placeholder((n,), "float32", "A")
    B = lang.compute((n,), lambda i: lang.exp(A[i]) * 2.0, "B")
    kern = cinn.build(lang.lower("scale_exp", [A, B]), target=cinn.Target.x86())
    b = kern(np.random.rand(1000).astype("float32"))   # outputs allocated and returned

Errors are :class:`Error` and its subclasses (:class:`ShapeError`, :class:`DTypeError`,
:class:`UnsupportedOpError`, :class:`ScheduleError`, :class:`CompileError`,
:class:`ExecutionError`).
"""

import os as _os
import warnings as _warnings

from . import _cinn
from ._cinn import (  # noqa: F401
    CompileError,
    DeviceArray,
    DTypeError,
    Error,
    ExecutionError,
    Expr,
    InternalError,
    Kernel,
    Loop,
    LoweredFunc,
    Schedule,
    ScheduleError,
    ShapeError,
    Target,
    UnsupportedOpError,
    cuda_device_available,
    num_threads,
    nvrtc_available,
    set_num_threads,
    tuning_knobs,
)
from . import lang  # noqa: F401
from ._cinn import Program, Value  # noqa: F401
from ._cinn import CompileOptions  # noqa: F401
from .frontend import Executable, NetBuilder, compile, grad, load  # noqa: F401,A004
from . import optim  # noqa: F401
from .training import TrainStep, train_step  # noqa: F401
from .tuning import TuneReport, tune, tune_kernel  # noqa: F401


def build(func, target=None, precise_math=False, opt_level=3, database=None):
    """Compiles a :class:`LoweredFunc` or a :class:`Schedule` for ``target`` (default: the
    host x86 CPU).

    Returns a :class:`Kernel`. Call it with every argument array (outputs are written in
    place) or with the inputs only (outputs are allocated and returned). Arrays must be
    C-contiguous with the declared dtype and shape; they are used without copies.
    ``precise_math`` maps exp/log/tanh/... to libm instead of vectorizable approximations.
    ``database``: a tuning database written by :func:`cinn.tune_kernel`; ``func`` (a
    :class:`LoweredFunc`, unscheduled) is built with the fastest schedule recorded for it
    there, or as it is, with a warning, when the database has none (or its record does not
    replay).
    """
    if database is not None:
        if not isinstance(func, LoweredFunc):
            raise Error("build: database= takes the unscheduled LoweredFunc (lang.lower), "
                        f"got {type(func).__name__}")
        try:
            best = _cinn.best_schedule(func, target, _os.fspath(database))
        except ScheduleError as e:  # a record that does not replay on this function
            _warnings.warn(f"build: the tuning record for '{func.name}' in {_os.fspath(database)} "
                           f"does not replay ({e}); building it unscheduled", stacklevel=2)
            best = None
        else:
            if best is None:
                _warnings.warn(f"build: no tuning record for '{func.name}' in {_os.fspath(database)}; "
                               "building it unscheduled", stacklevel=2)
        if best is not None:
            func = best
    if isinstance(func, Schedule):
        func = func.func
    return _cinn.build(func, target, precise_math, opt_level)


def c_source(func):
    """Readable C99 source of a :class:`LoweredFunc` or :class:`Schedule` (the C backend).

    Its ABI is the kernel's: ``void name(void** args, const int64_t* sizes)``.
    """
    if isinstance(func, Schedule):
        func = func.func
    return _cinn.c_source(func)


__all__ = [
    "NetBuilder", "Program", "Value", "Executable", "CompileOptions", "compile", "load", "grad", "optim", "train_step",
    "TrainStep",
    "build", "c_source", "lang", "Target", "Expr", "Kernel", "LoweredFunc", "Schedule", "Loop", "Error", "ShapeError",
    "DTypeError", "UnsupportedOpError", "ScheduleError", "CompileError", "ExecutionError",
    "InternalError", "set_num_threads", "num_threads", "nvrtc_available", "cuda_device_available",
    "tuning_knobs", "tune", "tune_kernel", "TuneReport",
]


def __getattr__(name):
    # cinn.onnx, cinn.torch and cinn.mlir are imported on first use (the first two import
    # onnx / torch).
    if name in ("onnx", "torch", "mlir"):
        import importlib  # noqa: PLC0415
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'cinn' has no attribute '{name}'")
