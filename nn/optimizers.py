"""Optimizers (``nn.optim``): SGD, RMSprop, Adam, AdamW, Adagrad, Adamax and Nadam with Keras's
update rules and defaults.

``step()`` updates each parameter's ``.data`` in place from its ``.grad``, with state arrays
allocated once and numpy ``out=`` arguments, outside any recorded graph, and advances the
parameters' version counters (``ag.increment_version``), so that a graph recorded before the
step raises at backward rather than using the new values. Gradients are only read (they may
be shared with other arrays), never written. ``zero_grad()`` sets them to None.

Every optimizer takes Keras's ``weight_decay``, ``clipnorm``, ``clipvalue`` and
``global_clipnorm``. Weight decay is decoupled, as in Keras and AdamW: ``p -= lr *
weight_decay * p`` before the update. Clipping reshapes the gradients before the update
(the ``.grad`` arrays themselves are left alone): ``clipnorm`` scales each parameter's
gradient to an L2 norm of at most ``clipnorm``, ``global_clipnorm`` scales all of them by one
factor so that their joint norm is at most ``global_clipnorm``, ``clipvalue`` clips each
element to ``[-clipvalue, clipvalue]``; only one of the three may be set (Keras's rule).

Copies and pickles: ``copy.deepcopy`` and ``pickle`` of an optimizer (alone, or inside the
model that holds it) rebuild its flat binding over the copied parameters, so the copy keeps
training them, from the same state.

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


def _is_number(value: Any) -> bool:
    """A real number (numpy's included), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


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


class CosineDecay(LearningRateSchedule):
    """Keras 3's cosine decay, with an optional linear warmup first.

    Without ``warmup_target``: ``lr(step) = initial_learning_rate * ((1 - alpha) * c +
    alpha)`` with ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``.

    With ``warmup_target``: for ``step < warmup_steps`` the rate rises linearly,
    ``initial_learning_rate + (warmup_target - initial_learning_rate) * step /
    warmup_steps``; then it decays as above from ``warmup_target`` over ``decay_steps`` more
    steps (``step - warmup_steps`` in place of ``step``), to ``alpha * warmup_target``, and
    stays there.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str | None = None,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        for key, value in (("initial_learning_rate", initial_learning_rate), ("alpha", alpha)):
            if not _is_number(value):
                raise ValueError(f"CosineDecay expects a number {key}. Received: {key}={value!r}")
        if not _is_number(decay_steps) or not decay_steps > 0:
            raise ValueError(
                f"CosineDecay expects decay_steps > 0. Received: decay_steps={decay_steps!r}"
            )
        if not _is_number(warmup_steps) or not warmup_steps >= 0:
            raise ValueError(
                f"CosineDecay expects warmup_steps >= 0. Received: warmup_steps={warmup_steps!r}"
            )
        if warmup_target is not None and not _is_number(warmup_target):
            raise ValueError(
                f"CosineDecay expects a number warmup_target (or None). "
                f"Received: warmup_target={warmup_target!r}"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.alpha = decay_steps, float(alpha)
        self.name = "CosineDecay" if name is None else name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = warmup_steps

    def _decayed(self, step: float, start: float) -> float:
        c = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * c + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._decayed(min(step, self.decay_steps), self.initial_learning_rate)
        at = min(step, self.decay_steps + self.warmup_steps)
        if at < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + rise * at / self.warmup_steps
        return self._decayed(at - self.warmup_steps, self.warmup_target)

    def __repr__(self) -> str:
        return (
            f"CosineDecay(initial_learning_rate={self.initial_learning_rate!r}, "
            f"decay_steps={self.decay_steps!r}, alpha={self.alpha!r}, "
            f"warmup_target={self.warmup_target!r}, warmup_steps={self.warmup_steps!r})"
        )


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
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        who = type(self).__name__
        if _is_number(params) or isinstance(params, LearningRateSchedule):
            # Keras's first argument is the learning rate: Adam(0.01) means that
            if learning_rate is not None:
                raise TypeError(
                    f"{who} got a learning rate twice: as its first argument ({params!r}) and "
                    f"as learning_rate={learning_rate!r}"
                )
            params, learning_rate = None, params
        if learning_rate is not None:
            lr = learning_rate
        if not callable(lr):
            if not _is_number(lr) or not lr >= 0:
                raise ValueError(
                    f"{who} expects a non-negative learning rate or a schedule. Received: lr={lr!r}"
                )
            lr = float(lr)
        weight_decay = 0.0 if weight_decay is None else weight_decay
        if not _is_number(weight_decay) or not weight_decay >= 0:
            raise ValueError(
                f"{who} expects weight_decay >= 0. Received: weight_decay={weight_decay!r}"
            )
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {k: v for k, v in clips.items() if v is not None}
        if len(given) > 1:
            raise ValueError(
                f"{who}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        for key, value in given.items():
            if not _is_number(value) or not value >= 0:
                raise ValueError(f"{who} expects {key} >= 0. Received: {key}={value!r}")
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        # What step() clips by, or None; 0 switches clipping off, as in Keras.
        self._clip: tuple[str, float] | None = next(
            ((k, float(v)) for k, v in given.items() if v > 0), None
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
        if isinstance(self.lr, LearningRateSchedule) and not callable(value):
            # Keras's rule: a schedule decides the rate; replace it with another schedule
            raise TypeError(
                f"{type(self).__name__} was made with a LearningRateSchedule as its learning "
                f"rate, so a number cannot be set. Received: learning_rate={value!r}"
            )
        if not callable(value) and (not _is_number(value) or not value >= 0):
            raise ValueError(
                f"{type(self).__name__} expects a non-negative learning rate or a schedule. "
                f"Received: learning_rate={value!r}"
            )
        self.lr = value if callable(value) else float(value)

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
        pairs = []
        for p, state in zip(self.params, self._state, strict=True):
            g = p.grad
            if g is None:
                continue
            if not isinstance(g, np.ndarray):
                g = g.data  # a Tensor gradient from create_graph=True: use its values
            pairs.append((p.data, g, state))
        if self._clip is not None:
            pairs = self._clipped(pairs)
        for w, g, state in pairs:
            if wd:
                w *= 1.0 - wd
            self._update(w, g, state, lr)

    def _clipped(self, pairs: list[tuple]) -> list[tuple]:
        """``pairs`` with clipped gradients (new arrays: the ``.grad`` arrays stay as they are)."""
        how, limit = self._clip  # type: ignore[misc]
        if how == "clipvalue":
            return [(w, np.clip(g, -limit, limit), s) for w, g, s in pairs]
        norms = [math.sqrt(float(np.vdot(g, g))) for _, g, _ in pairs]
        if how == "global_clipnorm":
            total = math.sqrt(sum(n * n for n in norms))
            norms = [total] * len(pairs)
        # Keras's clip_by_norm: g * limit / max(norm, limit), so a gradient within the limit
        # is unchanged
        return [
            (w, g * (limit / n) if n > limit else g, s)
            for (w, g, s), n in zip(pairs, norms, strict=True)
        ]

    def _clip_flat(self, gflat: np.ndarray, spans: list[tuple[int, int]]) -> None:
        """Clip the flat gradient buffer in place (it is the optimizer's own copy)."""
        how, limit = self._clip  # type: ignore[misc]
        if how == "clipvalue":
            np.clip(gflat, -limit, limit, out=gflat)
            return
        if how == "global_clipnorm":
            norm = math.sqrt(float(np.vdot(gflat, gflat)))
            if norm > limit:
                gflat *= limit / norm
            return
        starts = [lo for lo, _ in spans]
        norms = np.sqrt(np.add.reduceat(np.square(gflat, dtype=np.float64), starts))
        scale = limit / np.maximum(norms, limit)
        gflat *= np.repeat(scale, [hi - lo for lo, hi in spans]).astype(gflat.dtype)

    def _step_flat(self, buffers: _Flat, lr: float, wd: float) -> bool:
        """One update of the flat buffer; False (nothing done) unless every parameter has a
        gradient and still holds its view (else the per-parameter path runs)."""
        flat, gflat, spans, views, state = buffers
        params = self.params
        grads = []
        for p, view in zip(params, views, strict=True):
            g = p.grad
            if g is None or p._data is not view:
                return False
            grads.append(g if isinstance(g, np.ndarray) else g.data)
        # the gradients side by side, in the parameters' order (their spans tile `gflat`)
        np.concatenate(grads, axis=None, out=gflat)
        # NOTE: every parameter holds a view of `flat` (checked above) and views share one
        # version, so bumping the first bumps them all; `increment_version(*params)` walked
        # every view and cost about a tenth of W1's update.
        increment_version(params[0])
        if self._clip is not None:
            self._clip_flat(gflat, spans)
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

    # --- saving and copying ------------------------------------------------------------------

    def _scalars(self) -> dict[str, float]:
        """State beyond the per-parameter arrays (a subclass adds its own)."""
        out = {"iterations": float(self.iterations)}
        if not callable(self.lr):
            out["learning_rate"] = self.lr
        return out

    def _load_scalars(self, values: dict[str, float]) -> None:
        self.iterations = int(values["iterations"])
        if "learning_rate" in values and not callable(self.lr):
            self.lr = float(values["learning_rate"])

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the optimizer's state: ``"iterations"``, the learning rate when it is a
        number, and ``"{i}.{slot}"`` for parameter ``i``'s moments (``"0.momentum"``, ...)."""
        out = {k: np.asarray(v, dtype=np.float64) for k, v in self._scalars().items()}
        for i, state in enumerate(self._state):
            for j, slot in self._named_slots():
                if state[j] is not None:
                    out[f"{i}.{slot}"] = state[j].copy()
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Put back what ``state_dict`` returned, in place; checked whole before anything is
        written, so a state from another model or optimizer raises and changes nothing."""
        who = type(self).__name__
        expected = self.state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        if missing or unexpected:
            raise ValueError(
                f"{who}.load_state_dict: the state does not fit this optimizer and its "
                f"{len(self.params)} parameters. Missing: {missing[:5]}; unexpected: "
                f"{unexpected[:5]}"
            )
        for key, arr in expected.items():
            if np.shape(state[key]) != arr.shape:
                raise ValueError(
                    f"{who}.load_state_dict: {key!r} has shape {np.shape(state[key])}, "
                    f"expected {arr.shape}"
                )
        for i, st in enumerate(self._state):
            for j, slot in self._named_slots():
                if st[j] is not None:
                    st[j][...] = state[f"{i}.{slot}"]
        self._load_scalars({k: float(np.asarray(state[k])) for k in self._scalars()})

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # The flat buffer is the parameters' memory; a copy of it would not be the copied
        # parameters' memory, so only whether there was one travels, and it is rebuilt.
        state["_flat"] = self._flat is not None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        flat = state.pop("_flat")
        self.__dict__.update(state)
        self._flat = None
        _tracking.register(self)
        if flat and self.params:
            kept = self._state
            sizes = [p.data.size for p in self.params]
            self._bind_flat(self.params, sizes, self.params[0].data.dtype)
            for fresh, old in zip(self._state, kept, strict=True):
                for a, b in zip(fresh, old, strict=True):
                    if a is not None and b is not None:
                        a[...] = b

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, params={len(self.params)})"

    # --- configuration and state, for saving (nn.saving) ----------------------------------

    # The name of each array of a parameter's state, as ``_init_state`` orders them; None
    # marks scratch space, which is not saved. A subclass that does not say has every array
    # saved, named slot_0, slot_1, ...
    slot_names: tuple[str | None, ...] | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (Keras's names; ``learning_rate`` may be a schedule),
        read from the attributes of the same names: ``type(opt).from_config(config)``
        makes the same optimizer, without parameters or state."""
        import inspect

        config: dict[str, Any] = {}
        for name in list(inspect.signature(type(self).__init__).parameters)[1:]:
            if name not in ("params", "lr") and hasattr(self, name):
                config[name] = getattr(self, name)
        config["learning_rate"] = self.lr
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """An optimizer from ``get_config``'s dict (parameters bound later)."""
        return cls(**config)

    def _named_slots(self) -> list[tuple[int, str]]:
        width = len(self._state[0]) if self._state else 0
        names = self.slot_names or tuple(f"slot_{i}" for i in range(width))
        return [(i, n) for i, n in enumerate(names) if n is not None]

    def get_state(self) -> dict[str, Any]:
        """``iterations`` and, per parameter, a copy of its state arrays by slot name
        (``"momentum"``, ``"velocity"``, ...), and any other scalar state (Nadam's momentum
        product): what ``set_state`` takes back."""
        slots = []
        if self.slot_names is not None or self.iterations:
            for state in self._state:
                slots.append(
                    {n: state[i].copy() for i, n in self._named_slots() if state[i] is not None}
                )
        return {
            "iterations": int(self.iterations),
            "slots": slots,
            "scalars": self._extra_scalars(),
        }

    def _extra_scalars(self) -> dict[str, float]:
        # state beyond iterations, the slots and the configured learning rate (Nadam's
        # momentum product)
        return {
            k: float(v)
            for k, v in self._scalars().items()
            if k not in ("iterations", "learning_rate")
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what ``get_state`` returned, into the bound parameters' state arrays (in
        place). Everything is checked before anything is written.

        Raises:
            ValueError: the state does not fit: another number of parameters, other slots,
                other shapes, or a bad ``iterations``.
        """
        who = type(self).__name__
        iterations, slots = state.get("iterations"), state.get("slots", [])
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)):
            raise ValueError(
                f"{who}.set_state: iterations must be an integer. Received: {iterations!r}"
            )
        if iterations < 0:
            raise ValueError(f"{who}.set_state: iterations must be >= 0. Received: {iterations}")
        if not isinstance(slots, list) or (slots and len(slots) != len(self._state)):
            got = len(slots) if isinstance(slots, list) else type(slots).__name__
            raise ValueError(
                f"{who}.set_state: the state is for {got} parameters; this optimizer has "
                f"{len(self._state)}"
            )
        if not slots and iterations and self._state:
            raise ValueError(f"{who}.set_state: the state has no arrays after {iterations} steps")
        writes = []
        for k, (arrays, own) in enumerate(zip(slots, self._state, strict=False)):
            want = {n: own[i] for i, n in self._named_slots() if own[i] is not None}
            if not isinstance(arrays, dict) or set(arrays) != set(want):
                have = sorted(arrays) if isinstance(arrays, dict) else arrays
                raise ValueError(
                    f"{who}.set_state: parameter {k} has slots {have}; expected {sorted(want)}"
                )
            for n, target in want.items():
                arr = np.asarray(arrays[n])
                if arr.shape != target.shape or arr.dtype.kind != "f":
                    raise ValueError(
                        f"{who}.set_state: slot {n!r} of parameter {k} has shape {arr.shape} "
                        f"and dtype {arr.dtype}; expected shape {target.shape}, floats"
                    )
                writes.append((target, arr))
        scalars = state.get("scalars", {})
        expected = set(self._extra_scalars())
        if (
            not isinstance(scalars, dict)
            or set(scalars) != expected
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in scalars.values())
        ):
            raise ValueError(
                f"{who}.set_state: the scalar state should hold finite numbers for "
                f"{sorted(expected)}. Received: {scalars!r}"
            )
        for target, arr in writes:
            target[...] = arr
        self._load_scalars({**scalars, "iterations": int(iterations)})


class SGD(Optimizer):
    """Gradient descent, with optional momentum: ``v <- momentum v - lr g; p <- p + v``
    (Nesterov: ``p <- p + momentum v - lr g``). Keras defaults: lr 0.01."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD expects momentum in [0, 1]. Received: momentum={momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    slot_names = ("momentum", None)

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
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon = float(epsilon if eps is None else eps)
        self.centered = bool(centered)
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    slot_names = ("velocity", "average_gradient", "momentum", None)

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
        weight_decay: float | None = 0.0,
        amsgrad: bool = False,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
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
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    slot_names = ("momentum", "velocity", "velocity_hat", None)

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
        weight_decay: float | None = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
            amsgrad,
            learning_rate,
            betas,
            eps,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), in Keras's form: ``a <- a + g**2``, ``p <- p - lr g / sqrt(a +
    epsilon)``, the accumulator ``a`` starting at ``initial_accumulator_value``. Keras
    defaults: lr 0.001, initial_accumulator_value 0.1, epsilon 1e-7.

    PyTorch's ``Adagrad`` adds its epsilon outside the square root and starts the
    accumulator at 0: with ``epsilon=0`` here and ``initial_accumulator_value=0.1`` there,
    both compute the same steps."""

    slot_names = ("accumulator", None)

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if not _is_number(initial_accumulator_value) or not initial_accumulator_value >= 0:
            raise ValueError(
                f"Adagrad expects initial_accumulator_value >= 0. "
                f"Received: initial_accumulator_value={initial_accumulator_value!r}"
            )
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon if eps is None else eps)
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    def _init_state(self, w: np.ndarray) -> tuple:
        # (accumulated squared gradients, scratch)
        return (np.full_like(w, self.initial_accumulator_value), np.empty_like(w))

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        a, tmp = state
        np.multiply(g, g, out=tmp)
        a += tmp
        np.add(a, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        w -= tmp


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7.1), Adam with the infinity norm, in Keras's form:
    ``m <- b1 m + (1 - b1) g``, ``u <- max(b2 u, |g|)``, ``p <- p - lr m / ((1 - b1**t) (u +
    epsilon))``. Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.

    PyTorch's ``Adamax`` puts its epsilon inside the maximum (``max(b2 u, |g| + eps)``): with
    ``epsilon=0`` both compute the same steps."""

    slot_names = ("momentum", "norm", None)

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        self.beta_1, self.beta_2 = _betas(type(self).__name__, beta_1, beta_2, betas)
        self.epsilon = float(epsilon if eps is None else eps)
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    def _init_state(self, w: np.ndarray) -> tuple:
        # (first moment, exponentially weighted infinity norm, scratch)
        return (np.zeros_like(w), np.zeros_like(w), np.empty_like(w))

    def step(self) -> None:
        # the bias correction of m folds into the step size
        self._scale = 1.0 / (1.0 - self.beta_1 ** (self.iterations + 1))
        super().step()

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        m, u, tmp = state
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - self.beta_1
        m += tmp
        u *= self.beta_2
        np.abs(g, out=tmp)
        np.maximum(u, tmp, out=u)
        np.add(u, self.epsilon, out=tmp)
        np.divide(m, tmp, out=tmp)
        tmp *= lr * self._scale
        w -= tmp


class Nadam(Optimizer):
    """Nadam (Dozat), Adam with Nesterov momentum, in Keras 3's form. With ``mu_t = b1 (1 -
    0.5 * 0.96**t)`` and ``P_t = mu_1 ... mu_t``: ``m <- b1 m + (1 - b1) g``,
    ``v <- b2 v + (1 - b2) g**2``, ``m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g /
    (1 - P_t)``, ``v_hat = v / (1 - b2**t)``, ``p <- p - lr m_hat / (sqrt(v_hat) + epsilon)``.
    Keras defaults: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.

    Keras 3 decays the momentum coefficient as ``0.96**t``; Keras 2 and PyTorch's ``NAdam``
    as ``0.96**(0.004 t)`` (PyTorch's ``momentum_decay=0.004``), so PyTorch's
    ``NAdam(momentum_decay=1.0)`` computes the same steps as this one."""

    slot_names = ("momentum", "velocity", None, None)

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        lr: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.0,
        learning_rate: Any = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        *,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        self.beta_1, self.beta_2 = _betas(type(self).__name__, beta_1, beta_2, betas)
        self.epsilon = float(epsilon if eps is None else eps)
        self.u_product = 1.0  # P_t, the product of the momentum coefficients so far
        super().__init__(
            params,
            lr,
            weight_decay,
            learning_rate,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )

    def _init_state(self, w: np.ndarray) -> tuple:
        # (first moment, second moment, two scratch arrays)
        return (np.zeros_like(w), np.zeros_like(w), np.empty_like(w), np.empty_like(w))

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def step(self) -> None:
        t = self.iterations + 1
        mu, mu_next = self._mu(t), self._mu(t + 1)
        product = self.u_product * mu
        # the coefficients of m and g in m_hat, and of v in v_hat
        self._coef = (
            mu_next / (1.0 - product * mu_next),
            (1.0 - mu) / (1.0 - product),
            1.0 / (1.0 - self.beta_2**t),
        )
        super().step()
        self.u_product = product

    def _update(self, w: np.ndarray, g: np.ndarray, state: tuple, lr: float) -> None:
        m, v, tmp, num = state
        c_m, c_g, c_v = self._coef
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - self.beta_1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1.0 - self.beta_2
        v += tmp
        np.multiply(g, c_g, out=tmp)
        np.multiply(m, c_m, out=num)
        num += tmp  # m_hat
        np.multiply(v, c_v, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        np.divide(num, tmp, out=num)
        num *= lr
        w -= num

    def _scalars(self) -> dict[str, float]:
        return {**super()._scalars(), "u_product": self.u_product}

    def _load_scalars(self, values: dict[str, float]) -> None:
        super()._load_scalars(values)
        self.u_product = values["u_product"]


def _betas(
    who: str, beta_1: float, beta_2: float, betas: tuple[float, float] | None
) -> tuple[float, float]:
    """The two decay rates (or PyTorch's ``betas`` pair), each checked to lie in [0, 1)."""
    if betas is not None:
        beta_1, beta_2 = betas
    for key, b in (("beta_1", beta_1), ("beta_2", beta_2)):
        if not _is_number(b) or not 0.0 <= b < 1.0:
            raise ValueError(f"{who} expects {key} in [0, 1). Received: {key}={b!r}")
    return float(beta_1), float(beta_2)


_BY_NAME: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
    "adamax": Adamax,
    "nadam": Nadam,
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
