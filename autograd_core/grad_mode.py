"""Gradient recording on or off, per thread: ``no_grad``, ``enable_grad``, ``set_grad_enabled``;
and ``graph_scope``, which labels the operations recorded inside it for drawing."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _Mode(threading.local):
    # Class attributes are the defaults every new thread starts from.
    enabled = True
    anomaly = False
    scope = None  # innermost open graph_scope, copied onto each recorded Node


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


class no_grad(set_grad_enabled):
    """Record nothing inside: ``with no_grad(): ...`` or ``@no_grad()``."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record again, also inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class graph_scope:
    """Tag the operations recorded inside with a label, so drawn graphs group them.

    ``with graph_scope("Dense(784→512, relu)"): y = layer.forward(x)``. Scopes nest; each
    ``with`` opens a new group, so calling the same layer twice gives two groups. Recording
    pays for this only a thread-local read per node.
    """

    __slots__ = ("_label", "parent", "owner")

    def __init__(self, label: str | None = None, owner: Any = None) -> None:
        self._label = label
        self.parent: graph_scope | None = None
        self.owner = owner  # what opened the scope (a layer), for tools that want more

    @property
    def label(self) -> str:
        """The group's title; asked of ``owner.graph_label()`` only when drawn (so a layer
        opening a scope per call pays nothing for it)."""
        if self._label is None:
            fn = getattr(self.owner, "graph_label", None)
            self._label = str(fn()) if callable(fn) else type(self.owner).__name__
        return self._label

    def __enter__(self) -> graph_scope:
        self.parent = mode.scope
        mode.scope = self
        return self

    def __exit__(self, *exc: object) -> None:
        mode.scope = self.parent

    def path(self) -> list[graph_scope]:
        """This scope and its enclosing ones, outermost first."""
        out = []
        s: graph_scope | None = self
        while s is not None:
            out.append(s)
            s = s.parent
        return out[::-1]

    def __repr__(self) -> str:
        return f"<graph_scope {self.label!r}>"
