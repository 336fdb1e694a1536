"""Activation functions by Keras name, and the same as layers (``ReLU()``, ``Softmax()``, ...).

Each is an autograd_core op, so its derivative comes from the engine.
"""

from __future__ import annotations

from typing import Callable

import autograd_core as ag
from autograd_core import Tensor

from .layer import Layer


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
    if isinstance(fn, Activation):
        return fn.activation_name
    for key, value in _BY_NAME.items():
        if value is fn:
            return key
    return getattr(fn, "__name__", type(fn).__name__)


class Activation(Layer):
    """A layer applying an activation function: ``Activation("relu")``."""

    def __init__(self, activation: str | Callable, name: str | None = None) -> None:
        super().__init__(name)
        self.fn = get(activation)
        self.activation_name = name_of(self.fn)

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return repr(self.activation_name) if type(self) is Activation else ""


class ReLU(Activation):
    """max(x, 0) as a layer."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__("relu", name)


class Sigmoid(Activation):
    """The logistic function as a layer."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__("sigmoid", name)


class Tanh(Activation):
    """Hyperbolic tangent as a layer."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__("tanh", name)


class Softmax(Activation):
    """Softmax along ``axis`` as a layer."""

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__("softmax", name)
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return ag.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LeakyReLU(Activation):
    """x for x > 0, else ``negative_slope * x`` (Keras's layer default 0.3)."""

    def __init__(self, negative_slope: float = 0.3, name: str | None = None) -> None:
        super().__init__("leaky_relu", name)
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return ag.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
