"""Metrics on numpy arrays: functions and running (per-epoch) Metric objects.

``"accuracy"`` picks its form from the shapes, as Keras does: one output column means binary
accuracy (threshold 0.5), integer labels mean sparse categorical accuracy (argmax), one-hot
targets mean categorical accuracy.

Every Metric accumulates over the batches it is given (``update`` or Keras's
``update_state``) until ``reset`` (``reset_state``): the means keep a running sum and count,
``Precision``, ``Recall`` and ``AUC`` running confusion counts, so ``result()`` after several
batches equals the metric of all of them together.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _arr(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def _match_binary(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return t.reshape(p.shape) if t.size == p.size else t


def _sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    w = np.asarray(getattr(sample_weight, "data", sample_weight), dtype=np.float64)
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.size != n:
        raise ValueError(
            f"sample_weight needs one weight per sample ({n}). "
            f"Received: sample_weight of shape {w.shape}"
        )
    return w.reshape(n)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


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
        self.total = 0.0
        self.count: float = 0  # the number of values, or the sum of their weights

    def update(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        logits: bool = False,
        sample_weight: Any = None,
    ) -> None:
        """Add one batch. ``logits=True`` says ``y_pred`` holds the output layer's logits;
        ``sample_weight`` (one weight per sample) makes the mean a weighted one."""
        values = self.values(_arr(y_true), _arr(y_pred), logits)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += int(values.size)
            return
        # each sample's mean, weighted (Keras's MeanMetricWrapper: sum(w * v) / sum(w))
        per = values.reshape(len(values), -1).mean(axis=1) if values.ndim else values.reshape(1)
        w = _sample_weight(sample_weight, len(per))
        self.total += float(np.sum(w * per))
        self.count += float(np.sum(w))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Keras's spelling of ``update`` (``y_pred`` holds probabilities or values)."""
        self.update(y_true, y_pred, False, sample_weight)

    def reset_state(self) -> None:
        """Keras's spelling of ``reset``."""
        self.reset()

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


def _in_top_k(labels: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    # Keras's in_top_k: the label's score is in the top k when fewer than k scores are
    # strictly greater (ties at the boundary count as in); a NaN score is never in
    at = np.take_along_axis(p, labels.reshape(-1, 1).astype(np.intp), axis=-1)
    at = np.where(np.isnan(at), -np.inf, at)
    return (p > at).sum(axis=-1) < k


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> float:
    """Fraction where the one-hot target's class is among the ``k`` highest scores."""
    t, p = _arr(y_true), _arr(y_pred)
    return float(np.mean(_in_top_k(t.argmax(axis=-1), p.reshape(-1, p.shape[-1]), k)))


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> float:
    """Fraction where the integer label is among the ``k`` highest scores."""
    t, p = _arr(y_true), _arr(y_pred)
    return float(np.mean(_in_top_k(t.reshape(-1), p.reshape(-1, p.shape[-1]), k)))


def _check_k(k: Any) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top-k accuracy expects a positive integer k. Received: k={k!r}")
    return int(k)


class TopKCategoricalAccuracy(Metric):
    """Whether the one-hot target's class is among the ``k`` highest predictions (Keras's
    tie rule: in when fewer than ``k`` scores are strictly higher)."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = _check_k(k)
        super().__init__(name)

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        # softmax keeps the order, so logits rank the classes the same
        return _in_top_k(t.argmax(axis=-1).reshape(-1), p.reshape(-1, p.shape[-1]), self.k)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Whether the integer label is among the ``k`` highest predictions."""

    name = "sparse_top_k_categorical_accuracy"

    def values(self, t: np.ndarray, p: np.ndarray, logits: bool) -> np.ndarray:
        return _in_top_k(t.reshape(-1), p.reshape(-1, p.shape[-1]), self.k)


class _Confusion(Metric):
    """Running true/false positive/negative counts at one or more thresholds (Keras's
    confusion-matrix metrics): labels count as positive when non-zero, predictions when
    above the threshold; every element counts (the outputs are flattened)."""

    def __init__(
        self,
        thresholds: Any,
        name: str | None,
        class_id: int | None = None,
        from_logits: bool = False,
    ) -> None:
        self.thresholds = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
        self.class_id = class_id
        self.from_logits = bool(from_logits)
        super().__init__(name)

    def reset(self) -> None:
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def _prepare(self, t: np.ndarray, p: np.ndarray, logits: bool) -> tuple:
        p = p.astype(np.float64)
        if logits or self.from_logits:
            p = _sigmoid(p)
        t = _match_binary(t, p)
        if t.shape != p.shape:
            raise ValueError(
                f"{type(self).__name__}: y_true has shape {t.shape} but y_pred has shape "
                f"{p.shape}; they must match"
            )
        if self.class_id is not None:
            t, p = t[..., self.class_id], p[..., self.class_id]
        return t, p

    def update(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        logits: bool = False,
        sample_weight: Any = None,
    ) -> None:
        t, p = self._prepare(_arr(y_true), _arr(y_pred), logits)
        n = len(t) if t.ndim else 1
        if sample_weight is None:
            w = np.ones(p.size)
        else:  # each sample's weight for each of its elements
            w = np.repeat(_sample_weight(sample_weight, n), max(p.size // max(n, 1), 1))
        pos = (t != 0).reshape(-1)
        p = p.reshape(-1)
        tp, fp = (
            _weight_above(p[pos], w[pos], self.thresholds),
            _weight_above(p[~pos], w[~pos], self.thresholds),
        )
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += w[pos].sum() - tp
        self.true_negatives += w[~pos].sum() - fp


def _weight_above(p: np.ndarray, w: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold, the total weight of the predictions strictly above it."""
    order = np.argsort(p, kind="stable")
    p, w = p[order], w[order]
    below = np.concatenate([[0.0], np.cumsum(w)])  # weight of the first i predictions
    # predictions <= threshold are the first searchsorted(..., side="right") ones
    return below[-1] - below[np.searchsorted(p, thresholds, side="right")]


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Keras's divide_no_nan: 0 where the denominator is 0
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)


class _CountingMetric(Metric):
    """A metric read off running confusion counts (``self._counts``, a ``_Confusion``)."""

    _counts: _Confusion

    def reset(self) -> None:
        self._counts.reset()

    def update(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        logits: bool = False,
        sample_weight: Any = None,
    ) -> None:
        self._counts.update(y_true, y_pred, logits, sample_weight)


class Precision(_CountingMetric):
    """``tp / (tp + fp)`` over every batch so far: a prediction is positive above
    ``thresholds`` (0.5), a label when non-zero; 0 when nothing was predicted positive."""

    name = "precision"

    def __init__(
        self,
        thresholds: float | list[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
    ) -> None:
        if top_k is not None:
            raise NotImplementedError("Precision(top_k=...) is not supported; use thresholds")
        self._counts = _Confusion(0.5 if thresholds is None else thresholds, None, class_id)
        self.thresholds, self.class_id = thresholds, class_id
        super().__init__(name)

    def _ratio(self) -> np.ndarray:
        c = self._counts
        return _divide(c.true_positives, c.true_positives + c.false_positives)

    def result(self) -> Any:
        r = self._ratio()
        return r.tolist() if isinstance(self.thresholds, (list, tuple, np.ndarray)) else float(r[0])

    @property
    def true_positives(self) -> np.ndarray:
        """The running true-positive count per threshold."""
        return self._counts.true_positives


class Recall(Precision):
    """``tp / (tp + fn)`` over every batch so far: a prediction is positive above
    ``thresholds`` (0.5), a label when non-zero; 0 when there were no positive labels."""

    name = "recall"

    def _ratio(self) -> np.ndarray:
        c = self._counts
        return _divide(c.true_positives, c.true_positives + c.false_negatives)


class AUC(_CountingMetric):
    """Area under the ROC curve (``curve="ROC"``, the default) or the precision-recall curve
    (``curve="PR"``), from confusion counts at ``num_thresholds`` thresholds accumulated over
    every batch so far, as Keras computes it.

    The thresholds are ``-1e-7``, ``i / (num_thresholds - 1)`` for ``i = 1 ..
    num_thresholds - 2`` and ``1 + 1e-7``. ``summation_method="interpolation"`` sums
    trapezoids under the ROC curve, and under the PR curve uses the interpolation of Davis
    and Goadrich (2006), as Keras; ``"minoring"`` and ``"majoring"`` take the lower or upper
    Riemann sums.
    """

    name = "auc"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        thresholds: Any = None,
        from_logits: bool = False,
    ) -> None:
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC expects curve 'ROC' or 'PR'. Received: curve={curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"AUC expects summation_method 'interpolation', 'minoring' or 'majoring'. "
                f"Received: summation_method={summation_method!r}"
            )
        self.curve, self.summation_method = str(curve).upper(), summation_method
        if thresholds is not None:
            inner = sorted(float(v) for v in np.atleast_1d(thresholds))
            self.num_thresholds = len(inner) + 2
        else:
            if isinstance(num_thresholds, bool) or not isinstance(
                num_thresholds, (int, np.integer)
            ):
                num_thresholds = -1
            if num_thresholds <= 1:
                raise ValueError(
                    f"AUC expects num_thresholds > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            n = self.num_thresholds
            inner = [(i + 1) / (n - 1) for i in range(n - 2)]
        eps = 1e-7
        self.thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self._counts = _Confusion(self.thresholds, None, None, from_logits)
        super().__init__(name)

    @property
    def true_positives(self) -> np.ndarray:
        """The running true-positive count per threshold."""
        return self._counts.true_positives

    def _interpolate_pr(self) -> float:
        c, n = self._counts, self.num_thresholds
        tp, fp, fn = c.true_positives, c.false_positives, c.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        slope = _divide(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[: n - 1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[: n - 1], np.maximum(p[1:], 0)), 1.0)
        # precision is a line in the number of predicted positives between two thresholds:
        # integrating it against recall gives the log term
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        terms = _divide(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
        return float(terms.sum())

    def result(self) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr()
        c, n = self._counts, self.num_thresholds
        tp, fp, tn, fn = c.true_positives, c.false_positives, c.true_negatives, c.false_negatives
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        else:
            x, y = recall, _divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[: n - 1], y[1:])
        else:
            heights = np.maximum(y[: n - 1], y[1:])
        return float(np.sum((x[: n - 1] - x[1:]) * heights))


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
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
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
        return cls(name=identifier)
    raise TypeError(f"A metric must be a name or an nn.metrics.Metric. Received: {identifier!r}")
