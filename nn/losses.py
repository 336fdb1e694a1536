"""Losses as functions ``loss(y_true, y_pred)`` (Keras's order) and as Keras-style objects.

Every loss is built from autograd_core ops. The cross-entropies are autograd_core's fused
ops: from logits, ``ag.softmax_cross_entropy`` and ``ag.binary_cross_entropy_with_logits``
compute the loss in one stable pass with the textbook gradients ``softmax(z) - y`` and
``sigmoid(z) - y`` (training uses them for a softmax or sigmoid output layer, as Keras does
internally); from probabilities, ``ag.binary_cross_entropy`` clips to ``[eps, 1 - eps]`` with
``eps = 1e-7``, as Keras.

Reductions: ``"mean"`` (Keras's ``"sum_over_batch_size"``, the default), ``"sum"`` and
``"none"`` (one value per sample). Each sample's loss is first averaged over the last axis
(``mse``, ``binary_crossentropy``) or summed over classes (categorical).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.errors import ShapeError
from autograd_core.jit import record_call
from autograd_core.tensor import _make

EPSILON = 1e-7
_lowest, _highest = np.minimum.reduce, np.maximum.reduce
_REDUCTIONS = {
    "mean": "mean",
    "sum_over_batch_size": "mean",
    "sum": "sum",
    "none": "none",
    None: "none",
}


# --- argument handling ------------------------------------------------------------------------


def _pred(y_pred: Any) -> Tensor:
    if isinstance(y_pred, Tensor):
        return y_pred
    a = np.asarray(y_pred)
    if a.dtype.kind in "biuf" and a.dtype != ag.get_default_dtype():
        return Tensor(a).astype(ag.get_default_dtype())  # an op, for compiled steps
    return Tensor(np.asarray(a, dtype=ag.get_default_dtype()))


def _target_array(y_true: Any) -> np.ndarray:
    return y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)


def _same_rank(name: str, t: np.ndarray, p: Tensor | np.ndarray) -> np.ndarray:
    """``t`` reshaped to ``p``'s shape when they differ only by a trailing axis of length one
    (Keras's squeeze-or-expand); any other difference is an error, never a silent broadcast."""
    if t.shape == p.shape:
        return t
    if t.ndim == p.ndim - 1 and p.shape[-1] == 1 and t.shape == p.shape[:-1]:
        return t.reshape(p.shape)
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1 and t.shape[:-1] == p.shape:
        return t.reshape(p.shape)
    hint = ""
    if name == "categorical_crossentropy" and t.ndim == p.ndim - 1:
        hint = (
            " Integer class labels need sparse_categorical_crossentropy, or one-hot encode "
            "them first"
        )
    elif p.ndim >= 1 and t.ndim == p.ndim and t.shape[-1] != p.shape[-1]:
        hint = f" The model has {p.shape[-1]} outputs but the targets have {t.shape[-1]} columns"
    raise ShapeError(
        f"{name}: y_true has shape {t.shape} but y_pred has shape {tuple(p.shape)}; they must "
        f"match.{hint}"
    )


def _target(name: str, y_true: Any, p: Tensor) -> Tensor:
    """The target as a Tensor of ``p``'s shape and dtype (a float64 target never promotes a
    float32 loss)."""
    if isinstance(y_true, Tensor) and y_true.requires_grad:
        if y_true.shape != p.shape:
            _same_rank(name, y_true.data, p)  # raises unless only a trailing 1 differs
            return y_true.reshape(p.shape)
        return y_true
    if isinstance(y_true, Tensor) and y_true.shape == p.shape and y_true.dtype == p.dtype:
        return y_true  # as given, so that its name shows in drawn graphs
    t = _same_rank(name, _target_array(y_true), p)
    if t.dtype != p.dtype:
        return _make(t).astype(p.dtype)  # an op: a compiled step converts each new batch
    return _make(t)


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    how = _REDUCTIONS.get(reduction) if isinstance(reduction, (str, type(None))) else None
    if how is None:
        raise ValueError(
            f"reduction must be 'mean', 'sum' or 'none'. Received: reduction={reduction!r}"
        )
    if how == "mean":
        return per_sample.mean()
    if how == "sum":
        return per_sample.sum()
    return per_sample


def check_probability_targets(name: str, t: np.ndarray) -> None:
    """Raise unless every target lies in [0, 1] (binary and categorical cross-entropy)."""
    # NOTE: the ufuncs' reductions directly: t.min() and t.max() each go through a Python
    # wrapper in numpy, and every loss call checks its targets
    if (
        t.size
        and t.dtype.kind in "iuf"
        and (_lowest(t, axis=None) < 0 or _highest(t, axis=None) > 1)
    ):
        raise ValueError(
            f"{name}: targets must lie in [0, 1] (0/1 labels or probabilities). Received "
            f"values from {t.min()} to {t.max()}. Class indices need "
            f"sparse_categorical_crossentropy; other values need rescaling"
        )


def sparse_labels(name: str, y_true: Any, p_shape: tuple) -> np.ndarray:
    """Integer labels of shape ``p_shape[:-1]``, checked to lie in ``[0, classes)``."""
    t = _target_array(y_true)
    if t.shape == p_shape[:-1] + (1,):
        t = t.reshape(p_shape[:-1])
    if t.shape != p_shape[:-1]:
        hint = ""
        if t.shape == p_shape:
            hint = " One-hot targets need categorical_crossentropy"
        raise ShapeError(
            f"{name}: expected integer labels of shape {p_shape[:-1]} for predictions of "
            f"shape {p_shape}. Received: y_true of shape {t.shape}.{hint}"
        )
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or not np.array_equal(t, np.round(t)):
            raise ValueError(
                f"{name}: labels must be whole numbers (class indices). "
                f"Received non-integer values such as {t.ravel()[:3]}"
            )
        t = t.astype(np.intp)
    elif t.dtype.kind not in "iub":
        raise ValueError(f"{name}: labels must be integers. Received dtype {t.dtype}")
    classes = p_shape[-1]
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= classes:
            bad = hi if hi >= classes else lo
            hint = " (1-based labels? subtract 1)" if hi == classes and lo >= 1 else ""
            raise ValueError(
                f"{name}: labels must lie in [0, {classes}) since y_pred has {classes} classes "
                f"in its last dimension. Received label {bad}{hint}"
            )
    return t


# --- the losses on logits (fused ops of autograd_core) ---------------------------------------


def _softmax_ce(logits: Tensor, targets: Tensor, reduction: str) -> Tensor:
    """``ag.softmax_cross_entropy`` with nn's reductions (the mean in the op itself)."""
    if _REDUCTIONS.get(reduction) == "mean":
        return ag.softmax_cross_entropy(logits, targets, "mean")
    return _reduce(ag.softmax_cross_entropy(logits, targets, "none"), reduction)


def softmax_cross_entropy(y_true: Any, logits: Any, reduction: str = "mean") -> Tensor:
    """Categorical cross-entropy of one-hot (or soft) targets given logits, as one op."""
    z = _pred(logits)
    y = _target("categorical_crossentropy", y_true, z)
    record_call(check_probability_targets, "categorical_crossentropy", y)
    return _softmax_ce(z, y, reduction)


def sparse_softmax_cross_entropy(y_true: Any, logits: Any, reduction: str = "mean") -> Tensor:
    """Sparse categorical cross-entropy of integer labels given logits, as one op."""
    z = _pred(logits)
    labels = record_call(sparse_labels, "sparse_categorical_crossentropy", y_true, tuple(z.shape))
    return _softmax_ce(z, _make(labels), reduction)


def sigmoid_cross_entropy(y_true: Any, logits: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of 0/1 targets given logits, as one op."""
    z = _pred(logits)
    y = _target("binary_crossentropy", y_true, z)
    record_call(check_probability_targets, "binary_crossentropy", y)
    return binary_crossentropy(y, z, from_logits=True, reduction=reduction)


# --- the losses -------------------------------------------------------------------------------


def mse(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error, ``mean((y_true - y_pred)**2)`` over the last axis, then reduced."""
    p = _pred(y_pred)
    y = _target("mse", y_true, p)
    d = p - y
    if reduction in ("mean", "sum_over_batch_size"):
        return (d * d).mean()  # rows have equal length: the mean of the per-sample means
    per_sample = (d * d).mean(axis=-1) if p.ndim else d * d
    return _reduce(per_sample, reduction)


mean_squared_error = mse


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean"
) -> Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` averaged over the last axis, then reduced.

    With ``from_logits=True``, ``y_pred`` are logits z and the loss is the stable
    ``softplus(z) - z y``; otherwise probabilities clipped to ``[1e-7, 1 - 1e-7]``.
    """
    p = _pred(y_pred)
    y = _target("binary_crossentropy", y_true, p)
    record_call(check_probability_targets, "binary_crossentropy", y)
    # Each form is one op with its own derivative rule (fewer graph nodes, same values).
    # Rows have equal length, so the mean of the per-sample means is the op's own mean.
    mean = reduction in ("mean", "sum_over_batch_size")
    if from_logits:
        per_elem = ag.binary_cross_entropy_with_logits(p, y, "mean" if mean else "none")
    else:
        per_elem = ag.binary_cross_entropy(p, y, "mean" if mean else "none", eps=EPSILON)
    if mean:
        return per_elem
    return _reduce(per_elem.mean(axis=-1) if p.ndim else per_elem, reduction)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean"
) -> Tensor:
    """``-sum(y * log p)`` over classes for one-hot (or soft) targets, then reduced.

    With ``from_logits=True`` the stable ``-sum(y * log_softmax(z))`` (the fused
    ``softmax_cross_entropy`` op); otherwise the probabilities are renormalised to sum to one
    and clipped to ``[1e-7, 1 - 1e-7]`` (Keras).
    """
    p = _pred(y_pred)
    y = _target("categorical_crossentropy", y_true, p)
    record_call(check_probability_targets, "categorical_crossentropy", y)
    if from_logits:
        return _softmax_ce(p, y, reduction)
    q = p / p.sum(axis=-1, keepdims=True)
    logp = q.clip(EPSILON, 1.0 - EPSILON).log()
    return _reduce(-(y * logp).sum(axis=-1), reduction)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean"
) -> Tensor:
    """``-log p[label]`` for integer labels in ``[0, classes)``, then reduced.

    With ``from_logits=True`` the stable ``-log_softmax(z)[label]`` (the fused
    ``softmax_cross_entropy`` op); otherwise probabilities, renormalised and clipped as in
    ``categorical_crossentropy``.
    """
    p = _pred(y_pred)
    labels = record_call(sparse_labels, "sparse_categorical_crossentropy", y_true, tuple(p.shape))
    if from_logits:
        return _softmax_ce(p, _make(labels), reduction)
    q = p / p.sum(axis=-1, keepdims=True)
    logp = q.clip(EPSILON, 1.0 - EPSILON).log()
    picked = ag.take_along_axis(logp, labels.reshape(labels.shape + (1,)), axis=-1)
    return _reduce(-picked.reshape(labels.shape), reduction)


# --- regression, hinge and distribution losses (Keras's formulas) ------------------------------


def _elementwise(
    name: str, y_true: Any, y_pred: Any, fn: Callable, reduction: str, over: str = "mean"
) -> Tensor:
    """``fn(y, p)`` elementwise, then the mean (or the sum) over the last axis, then reduced."""
    p = _pred(y_pred)
    y = _target(name, y_true, p)
    per_elem = fn(y, p)
    if not p.ndim:
        return _reduce(per_elem, reduction)
    if over == "mean" and _REDUCTIONS.get(reduction) == "mean":
        return per_elem.mean()  # rows have equal length: the mean of the per-sample means
    per_sample = per_elem.mean(axis=-1) if over == "mean" else per_elem.sum(axis=-1)
    return _reduce(per_sample, reduction)


def mae(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error, ``mean(abs(y_pred - y_true))`` over the last axis, then reduced."""
    return _elementwise("mae", y_true, y_pred, lambda y, p: (p - y).abs(), reduction)


mean_absolute_error = mae


def huber(y_true: Any, y_pred: Any, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """Huber loss, Keras's formula: with ``x = y_pred - y_true``, ``0.5 * x**2`` where
    ``|x| <= delta`` and ``delta * |x| - 0.5 * delta**2`` elsewhere, averaged over the last
    axis, then reduced."""
    if not isinstance(delta, (int, float, np.integer, np.floating)) or not delta > 0:
        raise ValueError(f"huber expects delta > 0. Received: delta={delta!r}")
    d = float(delta)

    def fn(y: Tensor, p: Tensor) -> Tensor:
        x = p - y
        a = x.abs()
        return ag.where(a <= d, 0.5 * x * x, d * a - 0.5 * d * d)

    return _elementwise("huber", y_true, y_pred, fn, reduction)


def _hinge_labels(t: np.ndarray, dtype: Any) -> np.ndarray:
    # Keras's convert_binary_labels_to_hinge: when every label is 0 or 1, 2 * y - 1
    if t.size and np.all((t == 0) | (t == 1)):
        t = 2.0 * t - 1.0
    return t.astype(dtype, copy=False)


def hinge(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Hinge loss, ``mean(maximum(1 - y_true * y_pred, 0))`` over the last axis, then reduced.

    Labels are -1 or 1; when every label of the batch is 0 or 1 they are first mapped to
    -1 and 1 (``2 * y - 1``), as Keras does.
    """
    p = _pred(y_pred)
    y = _target("hinge", y_true, p)
    if not y.requires_grad:
        # (a decision on the labels' values: recorded, so a compiled step decides per batch)
        y = _make(record_call(_hinge_labels, y, p.dtype))
    return _elementwise("hinge", y, p, lambda y, p: (1.0 - y * p).relu(), reduction)


def kl_divergence(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Kullback-Leibler divergence, ``sum(y_true * log(y_true / y_pred))`` over the last axis,
    both clipped to ``[1e-7, 1]`` first (Keras), then reduced."""

    def fn(y: Tensor, p: Tensor) -> Tensor:
        t = y.clip(EPSILON, 1.0)
        return t * (t / p.clip(EPSILON, 1.0)).log()

    return _elementwise("kl_divergence", y_true, y_pred, fn, reduction, over="sum")


def log_cosh(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """``mean(log(cosh(y_pred - y_true)))`` over the last axis, then reduced.

    NOTE: computed as ``x + softplus(-2 x) - log(2)`` (Keras's form), which never forms
    ``cosh(x)``, so it stays finite for large ``|x|`` where ``cosh`` overflows.
    """
    log2 = math.log(2.0)

    def fn(y: Tensor, p: Tensor) -> Tensor:
        x = p - y
        return x + ag.softplus(-2.0 * x) - log2

    return _elementwise("log_cosh", y_true, y_pred, fn, reduction)


def poisson(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Poisson loss, ``mean(y_pred - y_true * log(y_pred + 1e-7))`` over the last axis, then
    reduced (Keras's formula; ``y_pred`` is a rate, so it should be positive)."""
    return _elementwise(
        "poisson", y_true, y_pred, lambda y, p: p - y * (p + EPSILON).log(), reduction
    )


# --- sample weights ---------------------------------------------------------------------------


def weighted(values: Tensor, sample_weight: Any, reduction: str | None = "mean") -> Tensor:
    """Per-sample loss ``values`` weighted by ``sample_weight`` and reduced as Keras does.

    ``"mean"`` (Keras's ``"sum_over_batch_size"``) is ``sum(w * values) / values.size``: the
    weighted sum divided by the number of values, not by the sum of the weights; ``"sum"``
    is ``sum(w * values)``; ``"none"`` gives ``w * values``.
    """
    how = _REDUCTIONS.get(reduction) if isinstance(reduction, (str, type(None))) else None
    if how is None:
        raise ValueError(
            f"reduction must be 'mean', 'sum' or 'none'. Received: reduction={reduction!r}"
        )
    w = np.asarray(getattr(sample_weight, "data", sample_weight))
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric. Received dtype {w.dtype}")
    w = w.astype(values.dtype)
    if values.ndim == 0:
        raise ValueError(
            "sample_weight needs one loss value per sample, but the loss returned a single "
            "number; return per-sample values from the loss function"
        )
    n = values.shape[0]
    if w.ndim > 1 and w.shape[1:] == (1,) * (w.ndim - 1):
        w = w.reshape(-1)
    if w.ndim == 0:
        w = np.full(n, w, dtype=w.dtype)
    if w.shape[0] != n or (w.ndim > 1 and w.shape != tuple(values.shape)):
        raise ShapeError(
            f"sample_weight has shape {w.shape} but the loss has {tuple(values.shape)} values; "
            f"give one weight per sample. Received: sample_weight of shape {w.shape}"
        )
    if w.ndim == 1 and values.ndim > 1:
        w = w.reshape((n,) + (1,) * (values.ndim - 1))
    scaled = values * _make(w)
    if how == "none":
        return scaled
    total = scaled.sum()
    return total / values.size if how == "mean" else total


# --- Keras-style loss objects ------------------------------------------------------------------


class Loss:
    """A configured loss: ``loss(y_true, y_pred)``, or ``loss(y_true, y_pred, sample_weight)``
    (Keras's weighting: see ``weighted``); ``kind`` tells training how to pair it with the
    output layer (``"mse"``, ``"regression"``, ``"binary"``, ``"categorical"``,
    ``"sparse"``)."""

    kind = "other"
    name = "loss"

    def __init__(self, from_logits: bool = False, reduction: str = "mean") -> None:
        self.from_logits = bool(from_logits)
        _reduce(_make(np.zeros(1, dtype=np.float32)), reduction)  # validates the name
        self.reduction = reduction

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        if sample_weight is None:
            return self.call(y_true, y_pred)
        return weighted(self.per_sample(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        """The loss value as a Tensor."""
        raise NotImplementedError

    def call_logits(self, y_true: Any, logits: Any) -> Tensor:
        """The same loss computed from the output layer's logits (the fused op)."""
        raise NotImplementedError(f"{type(self).__name__} has no logits form")

    def per_sample(self, y_true: Any, y_pred: Any, logits: bool = False) -> Tensor:
        """One loss value per sample (reduction ``"none"``), from the output layer's logits
        when ``logits``; a loss written as a function returns what the function does."""
        if logits:
            raise NotImplementedError(f"{type(self).__name__} has no logits form")
        return self.call(y_true, y_pred)

    def __repr__(self) -> str:
        extra = ", from_logits=True" if self.from_logits else ""
        return f"{type(self).__name__}(reduction={self.reduction!r}{extra})"


class _Builtin(Loss):
    """A loss of this module: ``_fn(y_true, y_pred, reduction)`` computes it, and
    ``_fn_logits`` from logits where it has that form."""

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        raise NotImplementedError

    def _fn_logits(self, y_true: Any, logits: Any, reduction: str) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no logits form")

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self._fn(y_true, y_pred, self.reduction)

    def call_logits(self, y_true: Any, logits: Any) -> Tensor:
        return self._fn_logits(y_true, logits, self.reduction)

    def per_sample(self, y_true: Any, y_pred: Any, logits: bool = False) -> Tensor:
        if logits:
            return self._fn_logits(y_true, y_pred, "none")
        return self._fn(y_true, y_pred, "none")


class MeanSquaredError(_Builtin):
    """Mean squared error."""

    kind, name = "mse", "mse"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return mse(y_true, y_pred, reduction)


class BinaryCrossentropy(_Builtin):
    """Binary cross-entropy for 0/1 targets (probabilities, or logits with from_logits)."""

    kind, name = "binary", "binary_crossentropy"

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return binary_crossentropy(y_true, y_pred, self.from_logits, reduction)

    def _fn_logits(self, y_true: Any, logits: Any, reduction: str) -> Tensor:
        return sigmoid_cross_entropy(y_true, logits, reduction)


class CategoricalCrossentropy(_Builtin):
    """Cross-entropy for one-hot targets."""

    kind, name = "categorical", "categorical_crossentropy"

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return categorical_crossentropy(y_true, y_pred, self.from_logits, reduction)

    def _fn_logits(self, y_true: Any, logits: Any, reduction: str) -> Tensor:
        return softmax_cross_entropy(y_true, logits, reduction)


class SparseCategoricalCrossentropy(_Builtin):
    """Cross-entropy for integer class labels."""

    kind, name = "sparse", "sparse_categorical_crossentropy"

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits, reduction)

    def _fn_logits(self, y_true: Any, logits: Any, reduction: str) -> Tensor:
        return sparse_softmax_cross_entropy(y_true, logits, reduction)


class MeanAbsoluteError(_Builtin):
    """Mean absolute error (``mae``)."""

    kind, name = "regression", "mean_absolute_error"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return mae(y_true, y_pred, reduction)


class Huber(_Builtin):
    """Huber loss with threshold ``delta`` (``huber``)."""

    kind, name = "regression", "huber"

    def __init__(self, delta: float = 1.0, reduction: str = "mean") -> None:
        huber(np.zeros(1), np.zeros(1), delta)  # validates delta
        self.delta = float(delta)
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return huber(y_true, y_pred, self.delta, reduction)

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta!r}, reduction={self.reduction!r})"


class Hinge(_Builtin):
    """Hinge loss for -1/1 labels (0/1 labels are mapped to them) (``hinge``)."""

    kind, name = "regression", "hinge"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return hinge(y_true, y_pred, reduction)


class KLDivergence(_Builtin):
    """Kullback-Leibler divergence between target and predicted distributions
    (``kl_divergence``)."""

    kind, name = "regression", "kl_divergence"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return kl_divergence(y_true, y_pred, reduction)


class LogCosh(_Builtin):
    """Logarithm of the hyperbolic cosine of the error (``log_cosh``)."""

    kind, name = "regression", "log_cosh"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return log_cosh(y_true, y_pred, reduction)


class Poisson(_Builtin):
    """Poisson loss for count targets and positive predicted rates (``poisson``)."""

    kind, name = "regression", "poisson"

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(False, reduction)

    def _fn(self, y_true: Any, y_pred: Any, reduction: str) -> Tensor:
        return poisson(y_true, y_pred, reduction)


class _FunctionLoss(Loss):
    """Wraps a user function ``f(y_true, y_pred) -> Tensor``."""

    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.fn = fn
        self.name = getattr(fn, "__name__", "loss")

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self.fn(y_true, y_pred)


_BY_NAME: dict[str, Callable[[], Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "hinge": Hinge,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "log_cosh": LogCosh,
    "logcosh": LogCosh,
    "poisson": Poisson,
}
_BY_FUNCTION: dict[Callable, Callable[[], Loss]] = {
    mse: MeanSquaredError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    mae: MeanAbsoluteError,
    huber: Huber,
    hinge: Hinge,
    kl_divergence: KLDivergence,
    log_cosh: LogCosh,
    poisson: Poisson,
}


def get(identifier: str | Loss | Callable) -> Loss:
    """A Loss object from a Keras name, a Loss, or a function ``f(y_true, y_pred)``."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        make = _BY_NAME.get(identifier.lower())
        if make is None:
            raise ValueError(
                f"Unknown loss {identifier!r}. Use one of {sorted(_BY_NAME)}, a "
                f"nn.losses.Loss object or a function f(y_true, y_pred)"
            )
        return make()
    if callable(identifier):
        make = _BY_FUNCTION.get(identifier)
        return make() if make is not None else _FunctionLoss(identifier)
    raise TypeError(f"A loss must be a name, a Loss or a callable. Received: {identifier!r}")
