"""``nn.unfused()``: layers record the operations the textbooks write, one by one.

By default a ``Dense`` layer is one recorded node (``linear_relu``, ``linear_sigmoid``, ...):
fast, and stable. Inside ``with nn.unfused():`` it records ``matmul``, ``add`` and its
activation as three ops, so a drawn graph or ``explain_backward`` shows the chain rule
``dL/dW = x^T (dL/da * g'(z))`` step by step. The gradients are the same either way.

The switch lives in a context variable, like autograd_core's grad mode: it holds for the
thread (or asyncio task) that opened the block, and other threads keep the default.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

from autograd_core.jit import register_context

F = TypeVar("F", bound=Callable[..., Any])

_fused: ContextVar[bool] = ContextVar("nn.fused", default=True)
_fused.set(True)  # (held by this context, a read is cached: see autograd_core.grad_mode)
register_context(_fused.get)  # a compiled step is traced per mode

__all__ = ["unfused", "is_fused"]


def is_fused() -> bool:
    """True (the default) when layers record one fused op each in this thread."""
    return _fused.get()


class unfused:
    """Record each layer's operations one by one inside: ``with nn.unfused(): ...``.

    Also a decorator (``@nn.unfused()``). Blocks nest; leaving one restores what was there.
    The fused training losses of ``fit`` (a sigmoid or softmax output folded into the
    cross-entropy) are decided by ``compile(fuse_loss=...)``, not by this switch.
    """

    def __init__(self) -> None:
        self._tokens: list[Any] = []

    def __enter__(self) -> unfused:
        self._tokens.append(_fused.set(False))
        return self

    def __exit__(self, *exc: object) -> None:
        _fused.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with unfused():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "nn.unfused()"
