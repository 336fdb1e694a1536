"""Axis arguments checked once, with an error that names the op and the shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AxisError


def _as_int(a: Any) -> Any:
    # numpy integers (from argmax, shape arithmetic) are axes too; bools are not
    return int(a) if isinstance(a, np.integer) else a


def normalize_axes(axis: Any, ndim: int, name: str, shape: tuple) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = _as_int(a)
        in_range = -ndim <= a < max(ndim, 1) if isinstance(a, int) else False
        if not in_range or (ndim == 0 and a not in (0, -1)):
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
    axis = _as_int(axis)
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise AxisError(
            f"{name}: axis {axis!r} is out of range for a tensor of shape {tuple(shape)} "
            f"(valid axes are {-ndim} to {ndim - 1})"
        )
    return axis % ndim
