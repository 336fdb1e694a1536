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
    if ndim == 0:
        # NOTE: as numpy's reductions, a 0-d tensor takes axis 0 or -1 (it has nothing to
        # reduce): no axes at all
        for a in axes:
            if not isinstance(a, int) or a not in (0, -1):
                raise AxisError(
                    f"{name}: axis {a!r} is out of range for a 0-d tensor (valid axes are 0 and -1)"
                )
        return ()
    out = []
    for a in axes:
        if not isinstance(a, int) or not -ndim <= a < ndim:
            raise AxisError(
                f"{name}: axis {a!r} is out of range for a tensor of shape {tuple(shape)} "
                f"(valid axes are {-ndim} to {ndim - 1})"
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise AxisError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_axis(axis: int, ndim: int, name: str, shape: tuple, scalar_ok: bool = False) -> int:
    """A single axis, negatives allowed, as a non-negative int. With ``scalar_ok``, a 0-d
    tensor takes axis 0 or -1 (as numpy's ``squeeze``, ``cumsum`` or ``take`` do), given as 0."""
    if _is_int(axis):
        axis = int(axis)  # a numpy integer (from np.argmax, np.arange) is accepted too
    if scalar_ok and ndim == 0 and isinstance(axis, int) and axis in (0, -1):
        return 0
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise AxisError(
            f"{name}: axis {axis!r} is out of range for a tensor of shape {tuple(shape)} "
            f"(valid axes are {-ndim} to {ndim - 1})"
        )
    return axis % ndim


def _is_int(a: Any) -> bool:
    # numpy integers count, as in numpy; bools do not
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))
