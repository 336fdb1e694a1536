"""Gradient recording on or off, per thread: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Mode(threading.local):
    # Class attributes are the defaults every new thread starts from.
    enabled = True
    anomaly = False


mode = _Mode()


def is_grad_enabled() -> bool:
    """True when operations are being recorded in this thread."""
    return mode.enabled


class _GradMode:
    """Recording on or off for a ``with`` block or, as a decorator, for a function."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = bool(enabled)
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(mode.enabled)
        mode.enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        mode.enabled = self._prev.pop()

    def __call__(self, func: F) -> F:
        enabled = self._enabled

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = mode.enabled
            mode.enabled = enabled
            try:
                return func(*args, **kwargs)
            finally:
                mode.enabled = prev

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_GradMode):
    """Turn recording on or off: at once when called (``set_grad_enabled(False)``, as in
    PyTorch), or for a ``with`` block, or for a function as a decorator."""

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled)
        self._before = mode.enabled
        mode.enabled = self._enabled

    def __enter__(self) -> None:
        # the call already switched the mode: leaving the block restores the one before it
        self._prev.append(self._before)
        mode.enabled = self._enabled

    def __call__(self, func: F) -> F:
        mode.enabled = self._before  # a decorator only switches while the function runs
        return super().__call__(func)


class no_grad(_GradMode):
    """Record nothing inside: ``with no_grad(): ...``, ``@no_grad()`` or ``@no_grad``."""

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is not None:  # used bare, as ``@no_grad``
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Record again, also inside a ``no_grad`` block (``@enable_grad`` works bare too)."""

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is not None:
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(True)
