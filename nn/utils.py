"""Small helpers with Keras's names."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import get_default_dtype


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = None) -> np.ndarray:
    """One-hot encode integer class labels: shape ``y.shape + (num_classes,)`` (Keras's
    ``to_categorical``); ``num_classes`` defaults to ``max(y) + 1``."""
    labels = np.asarray(y)
    if labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]  # Keras drops a trailing axis of length one
    if labels.dtype.kind == "f" and labels.size and not np.array_equal(labels, np.round(labels)):
        raise ValueError("to_categorical expects integer class labels. Received non-integer values")
    labels = labels.astype(np.intp)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must lie in [0, {num_classes}). Received "
            f"values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype or get_default_dtype())
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out
