"""Undoing broadcasting on a gradient: written once, used by the engine for every op."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ShapeError


def unbroadcast(g: Any, shape: tuple, what: str = "gradient") -> Any:
    """Sum ``g`` (an ndarray or a Tensor) over the axes broadcasting added or stretched, so
    that it has ``shape``.

    Broadcasting copies an input along new leading axes and along axes of length 1; the
    gradient of a copy is the sum of the copies' gradients.
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    # NOTE: sum without keepdims over the leading axes, so that the common case (a bias
    # gradient summed over the batch) is a fresh array, not a reshaped view that the engine
    # would have to copy again before handing it to a leaf.
    if lead == 1 and gshape[1:] == shape:  # the common case: a bias summed over the batch
        g = g.sum(axis=0)
        return np.asarray(g) if isinstance(g, np.generic) else g
    if lead < 0 or any([n != 1 and n != gshape[lead + i] for i, n in enumerate(shape)]):
        raise ShapeError(f"{what} of shape {tuple(gshape)} cannot be summed to shape {shape}")
    if lead:
        g = g.sum(axis=tuple(range(lead)))
        if isinstance(g, np.generic):  # a full reduction gives a numpy scalar
            g = np.asarray(g)
    axes = tuple([i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1])
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g
