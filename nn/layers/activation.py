"""The activations as layers: ``Activation("relu")``, ``ReLU()``, ``Softmax(axis=-1)``, ...

The functions themselves, by Keras name, are in ``nn.activations``.
"""

from __future__ import annotations

from typing import Callable

import autograd_core as ag
from autograd_core import Tensor

from ..activations import get, name_of
from .base import Layer


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
