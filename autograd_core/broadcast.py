"""Undoing broadcasting on a gradient: written once, used by the engine for every op."""

from __future__ import annotations

from typing import Any

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
    if lead < 0 or any(n != 1 and n != gshape[lead + i] for i, n in enumerate(shape)):
        raise ShapeError(f"{what} of shape {tuple(gshape)} cannot be summed to shape {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)
