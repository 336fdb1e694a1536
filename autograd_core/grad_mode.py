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


class set_grad_enabled:
    """Turn recording on or off; usable as a context manager or a decorator."""

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


class _BareDecorator(set_grad_enabled):
    # ``@no_grad`` without parentheses decorates too, as in PyTorch: called on a function,
    # the class returns the wrapped function instead of an instance.
    _mode_value = False

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is None:
            return super().__new__(cls)
        return cls()(func)

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(self._mode_value)


class no_grad(_BareDecorator):
    """Record nothing inside: ``with no_grad(): ...``, ``@no_grad()`` or ``@no_grad``."""

    _mode_value = False


class enable_grad(_BareDecorator):
    """Record again, also inside a ``no_grad`` block (``@enable_grad`` decorates too)."""

    _mode_value = True
