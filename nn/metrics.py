"""Metrics on numpy arrays: functions and running (per-epoch) Metric objects.

``"accuracy"`` picks its form from the shapes, as Keras does: one output column means binary
accuracy (threshold 0.5), integer labels mean sparse categorical accuracy (argmax), one-hot
targets mean categorical accuracy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _arr(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def _match_binary(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return t.reshape(p.shape) if t.size == p.size else t


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of predictions on the right side of ``threshold`` (probabilities)."""
    t, p = _arr(y_true), _arr(y_pred)
    return float(np.mean((p > threshold) == (_match_binary(t, p) > 0.5)))


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction where argmax of the prediction equals argmax of the one-hot target."""
    t, p = _arr(y_true), _arr(y_pred)
    return float(np.mean(p.argmax(axis=-1) == t.argmax(axis=-1)))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction where argmax of the prediction equals the integer label."""
    t, p = _arr(y_true), _arr(y_pred)
    return float(np.mean(p.argmax(axis=-1) == t.reshape(p.shape[:-1])))


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Binary, sparse or categorical accuracy, chosen from the shapes (as Keras)."""
    t, p = _arr(y_true), _arr(y_pred)
    kind = _accuracy_kind(t.shape, p.shape)
    return {
        "binary": binary_accuracy,
        "sparse": sparse_categorical_accuracy,
        "categorical": categorical_accuracy,
    }[kind](t, p)


def _accuracy_kind(t_shape: tuple, p_shape: tuple, loss_kind: str | None = None) -> str:
    if len(p_shape) == 0 or p_shape[-1] == 1 or loss_kind == "binary":
        return "binary"
    if loss_kind == "sparse" or len(t_shape) < len(p_shape) or t_shape[-1] == 1:
        return "sparse"
    return "categorical"


class Metric:
    """A running mean over batches: ``update(y_true, y_pred)``, ``result()``, ``reset()``."""

    name = "metric"

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            self.name = name
        self.reset()

    def reset(self) -> None:
        """Start a new epoch."""
        self.total, self.count = 0.0, 0

    def update(self, y_true: np.ndarray, y_pred: np.ndarray, logits: bool = False) -> None:
        """Add one batch. ``logits=True`` says ``y_pred`` holds the output layer's logits."""
        values = self.values(_arr(y_true), _arr(y_pred), logits)
        self.total += float(values.sum())
        self.count += int(values.size)

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        """Per-sample values (their mean is the metric)."""
        raise NotImplementedError

    def result(self) -> float:
        """The mean so far (nan before any update)."""
        return self.total / self.count if self.count else float("nan")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class BinaryAccuracy(Metric):
    """Accuracy of one probability per sample against 0/1 labels, at ``threshold``."""

    name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = float(threshold)
        super().__init__(name)

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        cut = self.threshold
        if logits:  # sigmoid(z) > t  <=>  z > log(t / (1 - t))
            cut = (
                math.log(cut / (1.0 - cut))
                if 0.0 < cut < 1.0
                else (-math.inf if cut <= 0 else math.inf)
            )
        return (p > cut) == (_match_binary(t, p) > 0.5)


class CategoricalAccuracy(Metric):
    """argmax of the prediction against argmax of the one-hot target."""

    name = "categorical_accuracy"

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        # softmax keeps the order, so logits have the same argmax
        return p.argmax(axis=-1) == t.argmax(axis=-1)


class SparseCategoricalAccuracy(Metric):
    """argmax of the prediction against the integer label."""

    name = "sparse_categorical_accuracy"

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        return p.argmax(axis=-1) == t.reshape(p.shape[:-1])


class Accuracy(Metric):
    """Keras's ``"accuracy"``: binary, sparse or categorical, chosen at the first batch."""

    name = "accuracy"

    def __init__(self, name: str | None = None, loss_kind: str | None = None) -> None:
        self.loss_kind = loss_kind
        self._impl: Metric | None = None
        super().__init__(name)

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        if self._impl is None:
            kind = _accuracy_kind(t.shape, p.shape, self.loss_kind)
            self._impl = {
                "binary": BinaryAccuracy,
                "sparse": SparseCategoricalAccuracy,
                "categorical": CategoricalAccuracy,
            }[kind]()
        return self._impl.values(t, p, logits)


class MeanSquaredError(Metric):
    """Mean squared error (on probabilities, not logits)."""

    name = "mse"

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        return np.square(p - t.reshape(p.shape))


class MeanAbsoluteError(Metric):
    """Mean absolute error (on probabilities, not logits)."""

    name = "mae"

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        return np.abs(p - t.reshape(p.shape))


_BY_NAME: dict[str, type[Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
}


def get(identifier: str | Metric, loss_kind: str | None = None) -> Metric:
    """A Metric object from a Keras name (named as given, as Keras's history keys) or itself."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown metric {identifier!r}. Use one of {sorted(_BY_NAME)} or "
                f"an nn.metrics.Metric object"
            )
        if cls is Accuracy:
            return Accuracy(identifier, loss_kind)
        return cls(identifier)
    raise TypeError(f"A metric must be a name or an nn.metrics.Metric. Received: {identifier!r}")
