"""Anomaly mode: stop at the first operation whose output or gradient is NaN or infinite.

Inside ``detect_anomaly()`` every recorded op remembers the line of user code that created
it. Forward outputs are checked as they are made and gradients as the backward computes them;
the first NaN or infinity raises ``AnomalyError`` naming the op and that line. numpy's own
floating-point warnings (``log(0)``, ``0/0``) are silenced inside the block, because the
check reports the same event with more context.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import traceback
from typing import Any

import numpy as np

from ..errors import AutogradError
from ..grad_mode import anomaly_enabled, checking_anomalies

# the package root (autograd_core/), one level above this folder
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_state = threading.local()  # per thread, like grad mode: is NaN checking on?


class AnomalyError(AutogradError, FloatingPointError):
    """A NaN or an infinity appeared inside the graph while anomaly mode was on."""


class detect_anomaly:
    """Record where each op was created and raise ``AnomalyError`` at the first NaN or
    infinity in a forward output or a backward gradient (``torch.autograd.detect_anomaly``).

    With ``check_nan=False`` only the creation places are recorded (they then appear in
    gradcheck reports and drawn graphs), and nothing is checked.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list[tuple] = []

    def __enter__(self) -> detect_anomaly:
        errstate = None
        if self.check_nan:
            # NOTE: the check below reports a NaN or inf with the op's name; numpy's warning
            # for the same event would come first (and be an exception under -W error).
            errstate = np.errstate(divide="ignore", invalid="ignore", over="ignore")
            errstate.__enter__()
        self._prev.append((checking_anomalies(), _checking(), errstate))
        anomaly_enabled.set(True)
        _state.check_nan = self.check_nan
        return self

    def __exit__(self, *exc: object) -> None:
        anomaly, check_nan, errstate = self._prev.pop()
        anomaly_enabled.set(anomaly)
        _state.check_nan = check_nan
        if errstate is not None:
            errstate.__exit__(*exc)


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` in this thread."""
    return checking_anomalies()


def _checking() -> bool:
    return getattr(_state, "check_nan", False)


# --- where an op was created ------------------------------------------------------------------


def _capture_stack() -> traceback.StackSummary:
    """The current stack, outermost first, without reading source files yet (cheap)."""
    frames = []
    f = sys._getframe(1)
    while f is not None:
        frames.append(
            traceback.FrameSummary(
                f.f_code.co_filename, f.f_lineno, f.f_code.co_name, lookup_line=False
            )
        )
        f = f.f_back  # type: ignore[assignment]
    frames.reverse()
    return traceback.StackSummary.from_list(frames)


def _is_library(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def user_frame(node: Any) -> traceback.FrameSummary | None:
    """The innermost frame of ``node``'s creation stack that is user code, not autograd_core."""
    for frame in reversed(node.trace or ()):
        if not _is_library(frame.filename):
            return frame
    return None


def short_path(filename: str) -> str:
    """``filename`` relative to the working directory when inside it; a Jupyter cell as
    ``cell``; another temporary file by its base name."""
    full = os.path.abspath(filename)
    if os.path.basename(os.path.dirname(full)).startswith("ipykernel_"):
        return "cell"  # a Jupyter cell: its temporary file name means nothing to the reader
    cwd = os.getcwd() + os.sep
    if full.startswith(cwd):
        return full[len(cwd) :]
    if full.startswith(os.path.abspath(tempfile.gettempdir()) + os.sep) or filename.startswith("<"):
        return os.path.basename(filename)
    return filename


def where_created(node: Any) -> str | None:
    """``file:line in function: source line`` of the user code that created ``node``."""
    frame = user_frame(node)
    if frame is None:
        return None
    line = (frame.line or "").strip()
    text = f"{short_path(frame.filename)}:{frame.lineno} in {frame.name}"
    return f"{text}: {line}" if line else text


# --- the checks called by the engine ----------------------------------------------------------


def _bad(a: Any) -> str | None:
    arr = a.data if hasattr(a, "_node") else np.asarray(a)
    if arr.dtype.kind != "f":
        return None
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "infinity"
    return None


def _created_line(node: Any) -> str:
    place = where_created(node)
    return f"The op was created at {place}" if place else "The op's creation place is unknown"


def check_forward(node: Any) -> None:
    """Remember where ``node`` was created; raise if its output is NaN or infinite."""
    node.trace = _capture_stack()
    if not _checking():
        return
    outs = node.out if isinstance(node.out, tuple) else (node.out,)
    for o in outs:
        kind = _bad(o)
        if kind is None:
            continue
        shapes = ", ".join(str(tuple(t.shape)) for t in node.inputs)
        text = (
            f"anomaly: the forward output of '{node.name}' contains {kind} (output shape "
            f"{np.shape(o)}, input shapes {shapes}).\n{_created_line(node)}"
        )
        for i, t in enumerate(node.inputs):
            bad_in = _bad(t.data)
            if bad_in is not None:
                origin = "a leaf or constant" if t._node is None else f"'{t._node.name}'"
                text += f"\nIts input {i} already contained {bad_in} (it came from {origin})."
                break
        else:
            text += f"\nIts inputs were all finite: '{node.name}' made the {kind} itself."
        raise AnomalyError(text)


def check_backward(node: Any, grads: Any) -> None:
    """Raise if a gradient computed by ``node``'s backward is NaN or infinite."""
    if not _checking():
        return
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        kind = _bad(gi)
        if kind is not None:
            raise AnomalyError(
                f"anomaly: the backward of '{node.name}' returned {kind} in the gradient of "
                f"its input {i} (shape {np.shape(gi)}).\n"
                f"{_created_line(node)}"
            )
