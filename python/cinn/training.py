"""Compiled training steps: :func:`train_step`.

::

    b = cinn.NetBuilder("mlp")
    x = b.input([64, 784], name="x"); y = b.input([64], "int64", name="y")
    w = b.input([784, 10], name="w")
    loss = b.cross_entropy(b.matmul(x, w), y)
    step = cinn.train_step(b.build([loss]), loss, params={"w": w0},
                           optimizer=cinn.optim.SGD(lr=0.1, momentum=0.9))
    for xb, yb in batches:
        loss_value, = step(x=xb, y=yb)   # step.params["w"] is updated in place

The forward pass, the gradients (:func:`cinn.grad`) and the optimizer update are one
program compiled into one executable: fusion and the memory plan see the whole step, and
every parameter, optimizer state and updated buffer lives in one array that the step
overwrites in place. See ``docs/autodiff.md``.
"""

import numpy as np

from . import _cinn
from .frontend import compile as _compile
from .optim import Optimizer


_LR = "optimizer.lr"  # the step program's learning-rate input (frontend/train_step.h)


def _name(key):
    return key if isinstance(key, str) else getattr(key, "name", None)


class TrainStep:
    """One compiled training step. Call it with the data inputs (by name); it runs forward,
    backward and the optimizer update, overwrites the parameters, optimizer state and
    buffers in place, and returns ``[loss, other outputs...]`` (the program's outputs other
    than the loss and the buffer updates). Not thread-safe: the state is shared."""

    def __init__(self, program, executable, state, params, buffers):
        self.program = program
        self.executable = executable
        self._state = state  # input name -> owned array
        self._params = params  # names of the trained inputs
        self._buffers = buffers  # names of the updated buffers
        # Outputs after the first aliased one are the state's new values.
        self._num_results = min(o for o, _ in program.aliases)
        aliased = {i for _, i in program.aliases}
        self._names = [n for n, _, _ in program.inputs]
        self.data_names = [n for k, n in enumerate(self._names) if k not in aliased and n not in state]
        self._outputs = [None] * len(program.outputs)
        for o, i in program.aliases:
            self._outputs[o] = state[self._names[i]]

    @property
    def state(self):
        """Every array the step updates in place, by input name: parameters, optimizer
        state (``"<param>.<slot>"``, ``"optimizer.step"``, ``"optimizer.lr"``), buffers and
        random keys
        (``[seed, steps taken]``). The arrays are live:
        modify them in place (``step.state["w"][...] = w0``) to reset the model."""
        return dict(self._state)

    @property
    def lr(self):
        """The learning rate of the next step. Assign to change it between steps (a
        schedule) without recompiling: ``step.lr = 0.1 * base_lr``."""
        return float(self._state[_LR])

    @lr.setter
    def lr(self, value):
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise _cinn.Error(f"train step: the learning rate must be a finite number >= 0, got {value}")
        self._state[_LR][...] = value

    @property
    def params(self):
        """The trained parameters (live arrays), by name."""
        return {k: self._state[k] for k in self._params}

    @property
    def buffers(self):
        """The updated buffers (live arrays), by name."""
        return {k: self._state[k] for k in self._buffers}

    def __call__(self, **data):
        unknown = [k for k in data if k not in self.data_names]
        if unknown:
            raise _cinn.ExecutionError(
                f"train step: unknown data input '{unknown[0]}'; the data inputs are: {', '.join(self.data_names)}"
                + ("" if unknown[0] not in self._state else " (parameters and state live in step.state)"))
        missing = [n for n in self.data_names if n not in data]
        if missing:
            raise _cinn.ExecutionError(f"train step: missing data input '{missing[0]}'")
        inputs = [self._state[n] if n in self._state else data[n] for n in self._names]
        return self.executable._c.run(inputs, self._outputs)[:self._num_results]


def train_step(program, loss, params, optimizer, buffers=None, updates=None, rng=None, target=None,
               **compile_options):
    """Compiles one training step of ``program``: the gradient of ``loss`` with respect to
    ``params``, then ``optimizer``'s update of each parameter.

    ``params`` maps each trained input (name or :class:`Value`) to its initial value.
    ``buffers`` maps inputs that are state but not trained (batch_norm's running mean and
    variance) to their initial values, and ``updates`` maps the same inputs to the program
    outputs that replace them after each step. ``rng`` maps the random keys of the program
    (int64 ``[2]`` inputs feeding ``dropout`` or ``random_uniform``) to integer seeds: the
    key starts at ``[seed, 0]`` and its second word counts the steps, so each step draws a
    new mask and the same seed replays the same run. ``optimizer`` is a :mod:`cinn.optim`
    optimizer. ``target`` and ``compile_options`` are :func:`cinn.compile`'s. Returns a
    :class:`TrainStep` owning copies of the initial values.

    Errors: a parameter or buffer that is not a floating-point input, an update of another
    shape or dtype, initial values of the wrong shape, buffers without updates.
    """
    if not isinstance(optimizer, Optimizer):
        raise _cinn.Error(f"train_step: optimizer must be a cinn.optim optimizer, got {type(optimizer).__name__}")
    if not isinstance(params, dict) or not params:
        raise _cinn.Error("train_step: params must be a dict from inputs (names or Values) to initial values")
    buffers = dict(buffers or {})
    updates = dict(updates or {})
    buffer_names = {_name(k): k for k in buffers}
    update_names = {_name(k): k for k in updates}
    if set(buffer_names) != set(update_names):
        extra = sorted(set(buffer_names) ^ set(update_names))[0]
        raise _cinn.Error(f"train_step: '{extra}' must be in both buffers (its initial value) and updates "
                          "(its new value each step)")
    rng = dict(rng or {})
    for k, seed in rng.items():
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise _cinn.Error(f"train_step: the seed of the random key '{_name(k)}' must be an integer, "
                              f"got {type(seed).__name__}")
    step_prog = _cinn.train_step(program, loss, list(params), optimizer.settings(),
                                 [(k, updates[update_names[_name(k)]]) for k in buffers], list(rng))
    types = {n: (shape, dtype) for n, shape, dtype in step_prog.inputs}
    state = {}
    for key, init in list(params.items()) + list(buffers.items()):
        name = _name(key)
        shape, dtype = types[name]
        arr = np.array(init, dtype=dtype, copy=True, order="C")
        if list(arr.shape) != list(shape):
            raise _cinn.ShapeError(f"train_step: the initial value of '{name}' must have shape {list(shape)}, "
                                   f"got {list(arr.shape)}")
        state[name] = arr
    for key, seed in rng.items():
        state[_name(key)] = np.array([seed, 0], dtype=np.int64)
    state[_LR] = np.array(optimizer.lr, dtype=np.float32)
    names = [n for n, _, _ in step_prog.inputs]
    for _, i in step_prog.aliases:
        n = names[i]
        if n not in state:  # optimizer state starts at zeros, the step count at 0
            shape, dtype = types[n]
            state[n] = np.zeros(shape, dtype=dtype)
    exe = _compile(step_prog, target, **compile_options)
    return TrainStep(step_prog, exe, state, [_name(k) for k in params], list(buffer_names))


__all__ = ["TrainStep", "train_step"]
