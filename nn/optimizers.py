"""Optimizers (``nn.optim``): SGD, RMSprop, Adam, AdamW with Keras's update rules and defaults.

``step()`` updates each parameter's ``.data`` in place from its ``.grad``, with state arrays
allocated once and numpy ``out=`` arguments, outside any recorded graph, and advances the
parameters' version counters (``ag.increment_version``), so that a graph recorded before the
step raises at backward rather than using the new values. Gradients are only read (they may
be shared with other arrays), never written. ``zero_grad()`` sets them to None.

Weight decay is decoupled, as in Keras and AdamW: ``p -= lr * weight_decay * p`` before the
update.

An optimizer built from ``model.parameters()`` before every layer is built (a layer without
``input_dim`` makes its parameters on its first call) takes in the model's new parameters at
the step after they appear, their state starting then; one built from some other list of
them refuses, at that step, to leave them out (``nn._tracking``). Frozen parameters
(``trainable = False``) get no gradient, so a step skips them.

When there are several parameters of one dtype, averaging fewer than 20,000 elements, binding
them to an optimizer makes their ``.data`` views into one flat array (values unchanged), so
a step costs a handful of numpy calls instead of about ten per parameter. A parameter whose
``.data`` is later replaced, or a step where some gradient is None, takes the
per-parameter path.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from autograd_core import Tensor, increment_version
from autograd_core.grad_mode import tracing
from autograd_core.jit import note_cleared, record_call

from . import _tracking

# Parameters averaging fewer elements than this are updated through one flat buffer.
_FLAT_MEAN_SIZE = 20_000

# What _bind_flat keeps: the flat values, the flat gradients, each parameter's span, the views
# the parameters hold, and the optimizer's flat state.
_Flat = tuple[np.ndarray, np.ndarray, list[tuple[int, int]], list[np.ndarray], tuple]

# --- learning-rate schedules ------------------------------------------------------------------


class LearningRateSchedule:
    """A learning rate that depends on the step number: ``schedule(step) -> float``."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (Keras's formula);
    with ``staircase=True`` the exponent is rounded down."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
    ) -> None:
        if decay_steps <= 0:
            raise ValueError(
                f"ExponentialDecay expects decay_steps > 0. Received: decay_steps={decay_steps!r}"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.decay_rate = decay_steps, float(decay_rate)
        self.staircase = staircase

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``step <= boundaries[i]``, ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries: list[int], values: list[float]) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay needs one more value than boundaries. "
                f"Received: {len(boundaries)} boundaries, {len(values)} values"
            )
        self.boundaries, self.values = list(boundaries), [float(v) for v in values]

    def __call__(self, step: int) -> float:
        for b, v in zip(self.boundaries, self.values[:-1], strict=True):
            if step <= b:
                return v
        return self.values[-1]


# --- base class -------------------------------------------------------------------------------


class Optimizer:
    """Base class: holds the parameters, the learning rate (a number or a schedule) and the
    step count ``iterations``; subclasses write ``_update``.

    ``params`` may be left out and bound later (``compile`` does it), so that
    ``optimizer=nn.optim.Adam(learning_rate=0.01)`` works as in Keras.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        weight_decay: float = 0.0,
        learning_rate: Any = None,
    ) -> None:
        if learning_rate is not None:
            lr = learning_rate
        if not callable(lr):
            if not isinstance(lr, (int, float, np.floating, np.integer)) or lr < 0:
                raise ValueError(
                    f"{type(self).__name__} expects a non-negative learning rate "
                    f"or a schedule. Received: lr={lr!r}"
                )
            lr = float(lr)
        if weight_decay < 0:
            raise ValueError(
                f"{type(self).__name__} expects weight_decay >= 0. "
                f"Received: weight_decay={weight_decay!r}"
            )
        self.lr = lr
        self.weight_decay = float(weight_decay)
        self.iterations = 0
        self.params: list[Tensor] = []
        self._state: list[tuple] = []
        self._flat: _Flat | None = None
        self._owner: Any = None  # the module followed while some layer of it is unbuilt
        self._seen = _tracking.count()  # parameters made by layers when we last looked
        _tracking.register(self)
        if params is not None:
            self.bind(params)

    @property
    def learning_rate(self) -> Any:
        """Keras's name for ``lr``."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.lr = value

    def bind(self, params: Iterable[Tensor]) -> None:
        """Take the parameters to update (and allocate their state)."""
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} expects a list of parameters, such as "
                f"model.parameters(). Received: a single Tensor"
            )
        owner = params.module if isinstance(params, _tracking.ParameterList) else None
        params = list(params)
        if not params and (owner is None or not _tracking.incomplete(owner)):
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list; build the "
                f"model first (give the first layer input_dim)"
            )
        for i, p in enumerate(params):
            # a frozen parameter (trainable=False) is a float leaf that stopped requiring grad
            if not isinstance(p, Tensor) or not (
                p.requires_grad or (p.is_leaf and p.dtype.kind == "f")
            ):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is not a Tensor that "
                    f"requires grad. Received: {type(p).__name__}"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter appears twice in the list")
        self._owner = owner if owner is not None and _tracking.incomplete(owner) else None
        self._seen = _tracking.count()
        self.params = params
        self._flat = None
        self._state = []
        if not params:
            return
        dtype = params[0].data.dtype
        sizes = [p.data.size for p in params]
        if (
            len(params) > 1
            and sum(sizes) / len(params) < _FLAT_MEAN_SIZE
            and all(p.data.dtype == dtype for p in params)
        ):
            self._bind_flat(params, sizes, dtype)
        else:
            self._state = [self._init_state(p.data) for p in params]

    def _bind_flat(self, params: list[Tensor], sizes: list[int], dtype: np.dtype) -> None:
        # NOTE: for many small parameters the cost of a step is numpy's per-call overhead,
        # about ten calls per parameter. The parameters' data become views into one flat
        # array, so a step is ten calls in all (plus one copy per gradient). The per-parameter
        # state arrays are views into flat state arrays, so both paths share one state.
        flat = np.empty(sum(sizes), dtype=dtype)
        spans, off = [], 0
        for p, n in zip(params, sizes, strict=True):
            view = flat[off : off + n].reshape(p.data.shape)
            view[...] = p.data
            p.data = view
            spans.append((off, off + n))
            off += n
        state = self._init_state(flat)
        self._flat = (flat, np.empty_like(flat), spans, [p.data for p in params], state)
        self._state = [
            tuple(None if a is None else a[lo:hi].reshape(p.data.shape) for a in state)
            for p, (lo, hi) in zip(params, spans, strict=True)
        ]

    def _take_new_parameters(self) -> None:
        """Add the parameters the followed module made since the last look, keeping the
        state of the others; raises rather than leave out parameters it should update."""
        new = _tracking.new_parameters(self, self._seen)
        self._seen = _tracking.count()
        if new:
            owner, kept = self._owner, dict(zip(map(id, self.params), self._state, strict=True))
            self.bind(self.params + new)
            self._owner = owner
            for p, state in zip(self.params, self._state, strict=True):
                for old, fresh in zip(kept.get(id(p), ()), state, strict=False):
                    if old is not None and fresh is not None:
                        fresh[...] = old
        if self._owner is not None and not _tracking.incomplete(self._owner):
            self._owner = None  # every layer built: nothing more to follow

    def current_lr(self) -> float:
        """The learning rate for the coming step (a schedule is evaluated at ``iterations``)."""
        return float(self.lr(self.iterations)) if callable(self.lr) else self.lr

    def zero_grad(self) -> None:
        """Forget the gradients (set to None; the next backward writes fresh arrays)."""
        if tracing() is not None:  # inside ag.compile's trace: a step of the program
            note_cleared(self.params)
            return record_call(self.zero_grad)
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        if tracing() is not None:
            # inside ag.compile's trace: the update is one recorded call, made again on each
            # replay, so `iterations`, the state and the schedule advance as in eager mode
            return record_call(self.step)
        if self._seen != _tracking.count():  # layers made parameters since the last step
            self._take_new_parameters()
        if not self.params:
            raise ValueError(
                f"{type(self).__name__}.step: no parameters; pass them to the "
                f"constructor or compile a model with this optimizer"
            )
        lr = self.current_lr()
        self.iterations += 1
        wd = lr * self.weight_decay
        buffers = self._flat
        if buffers is not None and self._step_flat(buffers, lr, wd):
            return
        increment_version(*[p for p in self.params if p.grad is not None])
        for p, state in zip(self.params, self._state, strict=True):
            g = p.grad
            if g is None:
                continue
            if not isinstance(g, np.ndarray):
                g = g.data  # a Tensor gradient from create_graph=True: use its values
            w = p.data
            if wd:
                w *= 1.0 - wd
            self._update(w, g, state, lr)

    def _step_flat(self, buffers: _Flat, lr: float, wd: float) -> bool:
        """One update of the flat buffer; False (nothing done) unless every parameter has a
        gradient and still holds its view (else the per-parameter path runs)."""
        flat, gflat, spans, views, state = buffers
        params = self.params
        for p, view in zip(params, views, strict=True):
            if p.grad is None or p.data is not view:
                return False
        for p, (lo, hi) in zip(params, spans, strict=True):
            g = p.grad
            if not isinstance(g, np.ndarray):
                g = g.data
            gflat[lo:hi] = g.reshape(-1)
        increment_version(*params)
        if wd:
            flat *= 1.0 - wd
        self._update(flat, gflat, state, lr)
        return True

    def _init_state(self, w: np.ndarray) -> tuple:
        return (np.empty_like(w),)

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        raise NotImplementedError

    def state_arrays(self) -> list[tuple]:
        """The optimizer's per-parameter state (moments, velocities)."""
        return self._state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, params={len(self.params)})"


class SGD(Optimizer):
    """Gradient descent, with optional momentum: ``v <- momentum v - lr g; p <- p + v``
    (Nesterov: ``p <- p + momentum v - lr g``). Keras defaults: lr 0.01."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        learning_rate: Any = None,
    ) -> None:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD expects momentum in [0, 1]. Received: momentum={momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        super().__init__(params, lr, weight_decay, learning_rate)

    def _init_state(self, w: np.ndarray) -> tuple:
        # (velocity, scratch); the velocity starts at zero
        return (np.zeros_like(w), np.empty_like(w))

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        v, tmp = state
        if self.momentum == 0.0:
            np.multiply(g, lr, out=tmp)
            w -= tmp
            return
        v *= self.momentum
        np.multiply(g, lr, out=tmp)
        v -= tmp
        if self.nesterov:
            np.multiply(v, self.momentum, out=tmp)
            w += tmp
            np.multiply(g, lr, out=tmp)
            w -= tmp
        else:
            w += v


class RMSprop(Optimizer):
    """``a <- rho a + (1 - rho) g**2; p <- p - lr g / sqrt(a + eps)``, optionally centered and
    with momentum. Keras defaults: lr 0.001, rho 0.9, epsilon 1e-7."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float = 0.0,
        learning_rate: Any = None,
        eps: float | None = None,
    ) -> None:
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon = float(epsilon if eps is None else eps)
        self.centered = bool(centered)
        super().__init__(params, lr, weight_decay, learning_rate)

    def _init_state(self, w: np.ndarray) -> tuple:
        # (mean square, mean gradient or None, momentum buffer or None, scratch)
        return (
            np.zeros_like(w),
            np.zeros_like(w) if self.centered else None,
            np.zeros_like(w) if self.momentum else None,
            np.empty_like(w),
        )

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        a, mg, buf, tmp = state
        rho = self.rho
        # a += (1 - rho) (g**2 - a)  ==  rho a + (1 - rho) g**2, without a temporary
        np.multiply(g, g, out=tmp)
        tmp -= a
        tmp *= 1.0 - rho
        a += tmp
        if mg is not None:
            np.subtract(g, mg, out=tmp)
            tmp *= 1.0 - rho
            mg += tmp
            np.multiply(mg, mg, out=tmp)
            np.subtract(a, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(a, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        if buf is not None:
            buf *= self.momentum
            buf += tmp
            w -= buf
        else:
            w -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba), in Keras's form: ``m <- b1 m + (1 - b1) g``,
    ``v <- b2 v + (1 - b2) g**2``, ``p <- p - lr sqrt(1 - b2**t) / (1 - b1**t) m / (sqrt(v) +
    eps)``. Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
    ) -> None:
        if betas is not None:  # PyTorch's spelling
            beta_1, beta_2 = betas
        for key, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(
                    f"{type(self).__name__} expects {key} in [0, 1). Received: {key}={b!r}"
                )
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon if eps is None else eps)
        self.amsgrad = bool(amsgrad)
        super().__init__(params, lr, weight_decay, learning_rate)

    def _init_state(self, w: np.ndarray) -> tuple:
        # (first moment, second moment, max second moment for AMSGrad, scratch)
        return (
            np.zeros_like(w),
            np.zeros_like(w),
            np.zeros_like(w) if self.amsgrad else None,
            np.empty_like(w),
        )

    def step(self) -> None:
        t = self.iterations + 1
        # The bias corrections fold into one step size (Keras's alpha).
        self._alpha = math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        super().step()

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        m, v, vmax, tmp = state
        # m += (1 - b1) (g - m);  v += (1 - b2) (g**2 - v): no temporaries
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - self.beta_1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1.0 - self.beta_2
        v += tmp
        if vmax is not None:
            np.maximum(vmax, v, out=vmax)
            np.sqrt(vmax, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= lr * self._alpha
        w -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); Keras's default decay 0.004."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
    ) -> None:
        super().__init__(
            params, lr, beta_1, beta_2, epsilon, weight_decay, amsgrad, learning_rate, betas, eps
        )


_BY_NAME: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def get(identifier: str | Optimizer, params: Iterable[Tensor] | None = None) -> Optimizer:
    """An optimizer from its Keras name (with Keras's defaults) or an Optimizer object; binds
    ``params`` when the optimizer has none yet."""
    if isinstance(identifier, str):
        make = _BY_NAME.get(identifier.lower())
        if make is None:
            raise ValueError(
                f"Unknown optimizer {identifier!r}. Use one of {sorted(_BY_NAME)} "
                f"or an nn.optim optimizer object"
            )
        return make(params)
    if isinstance(identifier, Optimizer):
        if params is not None and not identifier.params:
            identifier.bind(params)
        return identifier
    raise TypeError(
        f"An optimizer must be a name or an nn.optim.Optimizer. Received: {identifier!r}"
    )
