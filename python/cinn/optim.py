"""Optimizers for :func:`cinn.train_step`, with PyTorch's formulas and defaults
(``torch.optim.SGD``, ``Adam``, ``AdamW``).

An optimizer here is a description: :func:`cinn.train_step` compiles its update into the
training step, next to the forward and backward passes, and keeps its per-parameter state
(PyTorch's ``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``) in buffers updated in place.
The learning rate is part of the compiled step; a new rate means a new step (see
``docs/autodiff.md``).
"""

from . import _cinn


class Optimizer:
    kind = None

    def settings(self):
        """The settings passed to the compiler."""
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items() if k != "kind")
        return f"cinn.optim.{type(self).__name__}({args})"


def _check(name, value, low=0.0):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= low:
        raise _cinn.Error(f"optimizer: {name} must be a number >= {low}, got {value!r}")
    return float(value)


class SGD(Optimizer):
    """``p -= lr * d`` with ``g = grad + weight_decay * p``, ``buf = momentum * buf + (1 -
    dampening) * g`` (``buf = g`` at the first step, as ``torch.optim.SGD``), ``d = g +
    momentum * buf`` (Nesterov) or ``buf``, or ``d = g`` without momentum."""

    def __init__(self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.lr = _check("lr", lr)
        self.momentum = _check("momentum", momentum)
        self.dampening = _check("dampening", dampening)
        self.weight_decay = _check("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise _cinn.Error("optimizer: Nesterov momentum needs momentum > 0")

    def settings(self):
        return {"kind": "sgd", "lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "weight_decay": self.weight_decay, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``); ``weight_decay`` adds ``weight_decay * p`` to the
    gradient."""

    _default_decay = 0.0

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=None):
        self.lr = _check("lr", lr)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise _cinn.Error(f"optimizer: betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _check("eps", eps)
        self.weight_decay = _check("weight_decay", self._default_decay if weight_decay is None else weight_decay)

    def settings(self):
        return {"kind": "adam", "lr": self.lr, "beta1": self.betas[0], "beta2": self.betas[1],
                "eps": self.eps, "weight_decay": self.weight_decay}


class AdamW(Adam):
    """AdamW (``torch.optim.AdamW``): the parameter decays by ``lr * weight_decay`` before
    the Adam step."""

    _default_decay = 0.01

    def settings(self):
        return dict(super().settings(), kind="adamw")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
