"""Gradient recording on or off, per thread: ``no_grad``, ``enable_grad``, ``set_grad_enabled``;
and ``graph_scope``, which labels the operations recorded inside it for drawing.

The state lives in context variables: each thread starts from the defaults (recording on,
no scope, no anomaly mode), and so does each asyncio task, which starts from a copy of its
creator's state. Every op reads them, so they are read as ``grad_enabled.get()``: a
thread-local attribute costs three times as much.
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: whether operations are recorded
grad_enabled: ContextVar[bool] = ContextVar("autograd_core.grad_enabled", default=True)
#: the innermost open ``graph_scope``, copied onto each recorded Node
current_scope: ContextVar[Any] = ContextVar("autograd_core.graph_scope", default=None)
#: whether ``detect_anomaly`` is on (ops then record where they were created)
anomaly_enabled: ContextVar[bool] = ContextVar("autograd_core.anomaly", default=False)
#: the trace ``autograd_core.jit`` is recording in this thread, or None (see ``jit.trace``)
active_trace: ContextVar[Any] = ContextVar("autograd_core.trace", default=None)

# NOTE: the readers every op calls, bound once. Called as ``grad_enabled.get()`` on a name
# imported from here, the method is looked up and bound on every call (CPython compiles an
# attribute of an imported name as a module attribute), which made each recorded op 8% dearer.
recording = grad_enabled.get
open_scope = current_scope.get
checking_anomalies = anomaly_enabled.get
tracing = active_trace.get

# NOTE: a ContextVar caches the value it last read only when the context holds one for it; a
# variable left at its default is looked up in the context's mapping at every read (three of
# those per recorded op). So the context this module is imported in holds the defaults: the
# values read are the same, and read from the cache. (Other threads start from an empty
# context and read the defaults, as before.)
for _var in (grad_enabled, current_scope, anomaly_enabled, active_trace):
    _var.set(_var.get())
del _var


def is_grad_enabled() -> bool:
    """True when operations are being recorded in this thread."""
    return recording()


class _GradMode:
    """Recording on or off for a ``with`` block or, as a decorator, for a function."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = bool(enabled)
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(grad_enabled.get())
        grad_enabled.set(self._enabled)

    def __exit__(self, *exc: object) -> None:
        grad_enabled.set(self._prev.pop())

    def __call__(self, func: F) -> F:
        enabled = self._enabled
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(func, enabled)  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = grad_enabled.get()
            grad_enabled.set(enabled)
            try:
                return func(*args, **kwargs)
            finally:
                grad_enabled.set(prev)

        return wrapper  # type: ignore[return-value]


def _wrap_generator(func: Callable, enabled: bool) -> Callable:
    """A generator function whose every step (up to each ``yield``) runs in the mode, and
    whose caller runs in its own mode between the steps (PyTorch does the same)."""

    @functools.wraps(func)
    def generator(*args: Any, **kwargs: Any) -> Any:
        gen = func(*args, **kwargs)

        def step(method: Callable, *arg: Any) -> Any:
            prev = grad_enabled.get()
            grad_enabled.set(enabled)
            try:
                return method(*arg)
            finally:
                grad_enabled.set(prev)

        try:
            response = step(gen.send, None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    step(gen.close)
                    raise
                except BaseException as e:  # thrown in by the caller: pass it on
                    response = step(gen.throw, e)
                else:
                    response = step(gen.send, request)
        except StopIteration as stop:
            return stop.value

    return generator


class set_grad_enabled(_GradMode):
    """Turn recording on or off: at once when called (``set_grad_enabled(False)``, as in
    PyTorch), or for a ``with`` block, or for a function as a decorator."""

    def __init__(self, enabled: bool) -> None:
        super().__init__(enabled)
        self._before = grad_enabled.get()
        grad_enabled.set(self._enabled)

    def __enter__(self) -> None:
        # the call already switched the mode: leaving the block restores the one before it
        self._prev.append(self._before)
        grad_enabled.set(self._enabled)

    def __call__(self, func: F) -> F:
        grad_enabled.set(self._before)  # a decorator only switches while the function runs
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
        self.parent = current_scope.get()
        current_scope.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        current_scope.set(self.parent)

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
