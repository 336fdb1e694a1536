"""The activations as layers: ``Activation("relu")``, ``ReLU()``, ``Softmax(axis=-1)``, ...

The functions themselves, by Keras name, are in ``nn.activations``.
"""

from __future__ import annotations

from typing import Any, Callable

import autograd_core as ag
from autograd_core import Tensor

from ..activations import get, name_of
from .base import Layer


class Activation(Layer):
    """A layer applying an activation function: ``Activation("relu")``, for any name in
    ``nn.activations`` (or a function of a Tensor)."""

    def __init__(self, activation: str | Callable, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.fn = get(activation)
        self.activation_name = name_of(self.fn)
        self._build_from_input_shape()

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if type(self) is Activation:
            config["activation"] = self.activation_name
        return config

    def extra_repr(self) -> str:
        return repr(self.activation_name) if type(self) is Activation else ""


class ReLU(Activation):
    """max(x, 0) as a layer."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("relu", name, **kwargs)


class Sigmoid(Activation):
    """The logistic function as a layer."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("sigmoid", name, **kwargs)


class Tanh(Activation):
    """Hyperbolic tangent as a layer."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("tanh", name, **kwargs)


class Softmax(Activation):
    """Softmax along ``axis`` as a layer."""

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("softmax", name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Softmax expects an integer `axis`. Received: axis={axis!r}")
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return ag.softmax(x, self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LeakyReLU(Activation):
    """x for x > 0, else ``negative_slope * x`` (Keras's layer default 0.3)."""

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("leaky_relu", name, **kwargs)
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return ag.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
