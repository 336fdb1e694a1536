"""The data side of fit, evaluate and predict: arrays converted once, then cut into batches."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from autograd_core import get_default_dtype
from autograd_core.errors import ShapeError

from .. import losses as losses_mod


def batches(n: int, batch_size: int, order: np.ndarray | None = None) -> Iterator[Any]:
    """Index each mini-batch of ``n`` samples: ``x[idx]`` for every ``idx`` yielded.

    Without ``order`` the batches are consecutive slices (views, no copy); with it (a
    permutation of ``range(n)``, a new one per epoch when shuffling) they are consecutive
    runs of ``order``. The last batch holds what is left, so it may be smaller.
    """
    if order is None:
        for start in range(0, n, batch_size):
            yield slice(start, start + batch_size)
    else:
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]


class Inputs:
    """The input arrays of a model with several inputs, cut into batches together: ``len``
    is the number of samples, ``inputs[idx]`` the same samples of each array."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"the model's inputs must have as many samples each. Received: {lengths}"
            )
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, idx: Any) -> Inputs:
        return Inputs([a[idx] for a in self.arrays])

    @property
    def shape(self) -> tuple:
        """The first input's shape."""
        return self.arrays[0].shape


def as_input(x: Any) -> np.ndarray:
    """``x`` (an array, a list or a Tensor) as an array of the default float dtype."""
    arr = np.asarray(getattr(x, "data", x))
    if arr.dtype != get_default_dtype():
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"inputs must be numeric. Received dtype {arr.dtype}")
        arr = arr.astype(get_default_dtype())
    return arr


def as_target(y: Any, loss: losses_mod.Loss, n_outputs: int | None) -> np.ndarray:
    """Targets converted once: integer labels for sparse CE, the default float dtype
    otherwise, checked against the output width so a mistake fails before training."""
    arr = np.asarray(getattr(y, "data", y))
    kind = loss.kind
    if n_outputs is not None:
        shape = (len(arr), n_outputs)
        if kind == "sparse":
            return losses_mod.sparse_labels(loss.name, arr, shape)
        if kind in ("binary", "categorical", "mse", "regression"):
            # raises on a mismatch; broadcast_to gives the shape without allocating it
            losses_mod._same_rank(loss.name, arr, np.broadcast_to(np.float32(0), shape))
    if kind in ("binary", "categorical"):
        losses_mod.check_probability_targets(loss.name, arr)
    # Built-in losses get float targets once here, not per batch; a custom loss keeps
    # integer labels as they are.
    convert = "biuf" if kind in ("binary", "categorical", "mse", "regression") else "f"
    if kind != "sparse" and arr.dtype != get_default_dtype() and arr.dtype.kind in convert:
        arr = arr.astype(get_default_dtype())
    return arr


def split_validation(
    x: Any, y: np.ndarray, fraction: float, rng: np.random.Generator, w: np.ndarray | None = None
) -> tuple[tuple, tuple]:
    """``((x, y, w), (x_val, y_val, w_val))``: ``fraction`` of the samples, drawn at random,
    held out (with their sample weights ``w`` when given, else ``None`` for both).

    Both parts keep the samples' original order.
    """
    order = rng.permutation(len(x))
    n_val = int(round(len(x) * fraction))
    if n_val == 0 or n_val == len(x):
        raise ValueError(
            f"validation_split={fraction} of {len(x)} samples "
            f"leaves an empty training or validation set"
        )
    val_idx, train_idx = np.sort(order[-n_val:]), np.sort(order[:-n_val])
    return (
        (x[train_idx], y[train_idx], None if w is None else w[train_idx]),
        (x[val_idx], y[val_idx], None if w is None else w[val_idx]),
    )


# --- argument checks (Keras's "Received: name=value") -----------------------------------------


def as_int(who: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int: Python and numpy integers at least ``minimum`` (not bools)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        ok = False
    else:
        ok = bool(value >= minimum)
    if not ok:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{who} expects {what} {name}. Received: {name}={value!r}")
    return int(value)


def check_batch_size(who: str, batch_size: Any) -> int:
    """A positive integer batch size; ``None`` means 32 (Keras's default)."""
    return 32 if batch_size is None else as_int(who, "batch_size", batch_size)


def check_not_empty(who: str, name: str, data: Any) -> None:
    """Raise when ``data`` holds no samples (a loss over nothing would read 0.0)."""
    if len(data) == 0:
        raise ValueError(
            f"{who} needs at least one sample, but {name} is empty. "
            f"Received: {name} of shape {tuple(data.shape)}"
        )


def check_same_length(who: str, name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Raise when ``a`` and ``b`` hold different numbers of samples."""
    if len(a) != len(b):
        raise ShapeError(
            f"{who}: {name_a} has {len(a)} samples but {name_b} has {len(b)}; they must match. "
            f"Received: {name_a} of shape {tuple(a.shape)}, {name_b} of shape {tuple(b.shape)}"
        )


def check_finite(who: str, name: str, data: Any) -> None:
    """Raise when ``data`` (an array or ``Inputs``) holds NaN or an infinity, naming the
    first bad index; a NaN there would silently turn the loss and every weight into NaN."""
    if isinstance(data, Inputs):
        for i, arr in enumerate(data.arrays):
            check_finite(who, f"{name}[{i}]", arr)
        return
    arr = np.asarray(data)
    if arr.dtype.kind not in "fc" or not arr.size:
        return
    # NOTE: one sum finds any NaN or infinity without a boolean copy of the data; only when
    # it is not finite (or finite values overflow it) is the array searched.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum()):
            return
    bad = np.argwhere(~np.isfinite(arr))
    if not len(bad):
        return
    idx = tuple(int(i) for i in bad[0])
    where = idx[0] if len(idx) == 1 else idx
    raise ValueError(
        f"{who}: {name} holds NaN or infinite values ({len(bad)} of them); the first is "
        f"{arr[idx]} at index {where}. Remove or replace them before training. "
        f"Received: {name}[{where}]={arr[idx]}"
    )


def sample_weights(
    who: str, sample_weight: Any, class_weight: Any, y: np.ndarray, name: str = "sample_weight"
) -> np.ndarray | None:
    """Per-sample weights from ``sample_weight`` or from ``class_weight`` (a dict from class
    index to weight, looked up by each sample's label: its argmax for one-hot targets, its
    rounded value otherwise, 1.0 for a class not in the dict, as Keras does); None when
    neither is given."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError(
            f"{who}: sample_weight and class_weight cannot both be given; fold the class "
            f"weights into sample_weight. Received: class_weight={class_weight!r}"
        )
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(
                f"{who} expects class_weight as a dict {{class index: weight}}. "
                f"Received: class_weight={class_weight!r}"
            )
        labels = np.asarray(y)
        if labels.ndim > 1:
            labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
        labels = np.round(labels).astype(np.int64).reshape(len(y), -1)[:, 0]
        table = {int(k): float(v) for k, v in class_weight.items()}
        w = np.array([table.get(int(c), 1.0) for c in labels], dtype=get_default_dtype())
        check_finite(who, "class_weight", w)
        return w
    if sample_weight is None:
        return None
    w = np.asarray(getattr(sample_weight, "data", sample_weight))
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must be numeric. Received dtype {w.dtype}")
    if w.ndim == 0 or len(w) != len(y):
        raise ShapeError(
            f"{who}: {name} needs one weight per sample ({len(y)}). "
            f"Received: {name} of shape {w.shape}"
        )
    w = w.astype(get_default_dtype(), copy=False)
    check_finite(who, name, w)
    return w
