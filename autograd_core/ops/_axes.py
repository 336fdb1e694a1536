"""Axis arguments checked once, with an error that names the op and the shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AxisError


def normalize_axes(axis: Any, ndim: int, name: str, shape: tuple) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes: tuple
    if _is_int(axis):
        axes = (int(axis),)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(int(a) if _is_int(a) else a for a in axis)
    else:
        raise AxisError(
            f"{name}: axis must be None, an integer or a tuple of integers. Received: axis={axis!r}"
        )
    out = []
    for a in axes:
        if (
            not isinstance(a, int)
            or not -ndim <= a < max(ndim, 1)
            or (ndim == 0 and a not in (0, -1))
        ):
            raise AxisError(
                f"{name}: axis {a!r} is out of range for a tensor of shape {tuple(shape)} "
                f"(valid axes are {-ndim} to {ndim - 1})"
            )
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise AxisError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_axis(axis: int, ndim: int, name: str, shape: tuple) -> int:
    """A single axis, negatives allowed, as a non-negative int."""
    if _is_int(axis):
        axis = int(axis)  # a numpy integer (from np.argmax, np.arange) is accepted too
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise AxisError(
            f"{name}: axis {axis!r} is out of range for a tensor of shape {tuple(shape)} "
            f"(valid axes are {-ndim} to {ndim - 1})"
        )
    return axis % ndim


def _is_int(a: Any) -> bool:
    # numpy integers count, as in numpy; bools do not
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))
