"""Activation functions by Keras name: ``get("relu")``, ``name_of(fn)``.

Each is an autograd_core op, so its derivative comes from the engine. The same as layers
(``ReLU()``, ``Softmax()``, ...) live in ``nn.layers.activation`` and are re-exported here.
"""

from __future__ import annotations

from typing import Any, Callable

import autograd_core as ag
from autograd_core import Tensor


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's ``"linear"``, also what ``activation=None`` means)."""
    return x


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return ag.relu(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for large |x|."""
    return ag.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``."""
    return ag.softmax(x, axis)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x`` (Keras's default slope 0.2)."""
    return ag.leaky_relu(x, negative_slope)


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable for large |x|."""
    return ag.softplus(x)


_BY_NAME: dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
}


def get(identifier: str | Callable | None) -> Callable[[Tensor], Tensor]:
    """An activation from its name (None means linear), or ``identifier`` if callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(
                f"Unknown activation {identifier!r}. Use one of {sorted(_BY_NAME)} or a "
                f"callable taking and returning a Tensor"
            )
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"An activation must be a name or a callable. Received: {identifier!r}")


def name_of(fn: Callable) -> str:
    """The Keras name of an activation function or layer (its own name for other callables)."""
    from .layers.activation import Activation  # imported here: that module imports this one

    if isinstance(fn, Activation):
        return fn.activation_name
    for key, value in _BY_NAME.items():
        if value is fn:
            return key
    return getattr(fn, "__name__", type(fn).__name__)


# The activation layers, importable from here as before they had a module of their own. Loaded
# on first use: that module imports this one (for ``get`` and ``name_of``).
_LAYERS = ("Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "LeakyReLU")


def __getattr__(name: str) -> Any:
    if name in _LAYERS:
        from .layers import activation

        return getattr(activation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
