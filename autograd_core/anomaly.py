"""Anomaly mode: stop at the first operation whose output or gradient is NaN or infinite."""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from .errors import AutogradError
from .grad_mode import mode


class AnomalyError(AutogradError, FloatingPointError):
    """A NaN or an infinity appeared inside the graph while anomaly mode was on."""


class detect_anomaly:
    """Inside, each op records where it was created, and the first NaN or infinity in a forward
    output or a backward gradient raises ``AnomalyError`` naming the op and that place."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self._prev.append(mode.anomaly)
        mode.anomaly = self.check_nan
        return self

    def __exit__(self, *exc: object) -> None:
        mode.anomaly = self._prev.pop()


def _where_created(node: Any) -> str:
    """The user's line that created ``node`` (the last frame outside autograd_core)."""
    frames = node.trace or []
    for frame in reversed(frames):
        if "autograd_core" not in frame.filename.replace("\\", "/").split("/")[-2:-1]:
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
    return "(unknown place)"


def _bad(a: Any) -> str | None:
    arr = np.asarray(a)
    if arr.dtype.kind != "f":
        return None
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "infinity"
    return None


def check_forward(node: Any) -> None:
    """Remember where ``node`` was created; raise if its output is NaN or infinite."""
    node.trace = traceback.extract_stack()[:-3]
    outs = node.out if isinstance(node.out, tuple) else (node.out,)
    for o in outs:
        kind = _bad(o)
        if kind:
            raise AnomalyError(
                f"anomaly: the forward output of '{node.name}' contains {kind} (output shape "
                f"{np.shape(o)}; inputs {[tuple(t.shape) for t in node.inputs]}).\n"
                f"Created at:\n  {_where_created(node)}"
            )


def check_backward(node: Any, grads: Any) -> None:
    """Raise if a gradient computed by ``node``'s backward is NaN or infinite."""
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        kind = _bad(gi.data if hasattr(gi, "_node") else gi)
        if kind:
            raise AnomalyError(
                f"anomaly: the backward of '{node.name}' returned {kind} in the gradient of "
                f"input {i} (shape {np.shape(gi)}).\nThe op was created at:\n  "
                f"{_where_created(node)}"
            )
