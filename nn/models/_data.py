"""The data side of fit, evaluate and predict: arrays converted once, then cut into batches."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from autograd_core import get_default_dtype

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
    x: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(train, validation)``: ``fraction`` of the samples, drawn at random, held out.

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
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])
