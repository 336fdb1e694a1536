"""Dense (fully connected) layer; the activation layers are re-exported from activations."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_core import Tensor, is_grad_enabled, op
from autograd_core.errors import ShapeError
from autograd_core.tensor import _make

from . import activations, initializers
from .activations import Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .layer import Layer

__all__ = ["Dense", "Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "LeakyReLU", "linear"]


@op("linear")
def _linear(x: np.ndarray, w: np.ndarray, *b: np.ndarray) -> np.ndarray:
    # One node for x @ W + b: the sum is added in place into the product's fresh array.
    out = x @ w
    if b:
        out += b[0]
    return out


@_linear.vjp
def _(g: Tensor, out: Tensor, x: Tensor, w: Tensor, *b: Tensor) -> tuple:
    # d/dx = g @ W^T,  d/dW = x^T @ g,  d/db = sum of g over the batch axes
    units = w.shape[-1]
    if is_grad_enabled():  # recording the backward (create_graph): Tensor ops
        g2 = g.reshape(-1, units)
        gx = g @ w.T if x.requires_grad else None
        gw = x.reshape(-1, w.shape[0]).T @ g2 if w.requires_grad else None
        gb = tuple(g2.sum(axis=0) if t.requires_grad else None for t in b)
        return (gx, gw) + gb
    # NOTE: a plain backward needs no graph, so the products are plain numpy calls.
    ga = g.data
    g2 = ga.reshape(-1, units)
    gx = _make(ga @ w.data.T) if x.requires_grad else None
    gw = _make(x.data.reshape(-1, w.shape[0]).T @ g2) if w.requires_grad else None
    gb = tuple(_make(g2.sum(axis=0)) if t.requires_grad else None for t in b)
    return (gx, gw) + gb


def linear(x: Tensor, kernel: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ kernel + bias`` as one recorded op (what Dense computes before its activation)."""
    return _linear(x, kernel) if bias is None else _linear(x, kernel, bias)


class Dense(Layer):
    """Fully connected layer: ``activation(x @ kernel + bias)``.

    ``kernel`` has shape ``(input_dim, units)`` and ``bias`` shape ``(units,)``. With
    ``input_dim`` the parameters exist at once; without it they are made on the first call.
    """

    def __init__(
        self,
        units: int,
        activation: str | Callable | None = None,
        input_dim: int | None = None,
        use_bias: bool = True,
        kernel_initializer: str | Callable = "glorot_uniform",
        bias_initializer: str | Callable = "zeros",
        name: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(name, rng)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense expects a positive integer `units`. Received: units={units!r}")
        if input_dim is not None and (
            isinstance(input_dim, bool) or not isinstance(input_dim, (int, np.integer))
            or input_dim <= 0
        ):
            raise ValueError(
                f"Dense expects a positive integer `input_dim` (or None). "
                f"Received: input_dim={input_dim!r}"
            )
        self.units = int(units)
        self.input_dim = None if input_dim is None else int(input_dim)
        self.use_bias = bool(use_bias)
        self.activation = activations.get(activation)
        self.activation_name = activations.name_of(self.activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel: Tensor | None = None
        self.bias: Tensor | None = None
        if self.input_dim is not None:
            self.build((None, self.input_dim))
            self.built = True

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` and ``bias`` for inputs whose last axis has ``input_shape[-1]``."""
        input_dim = int(input_shape) if np.isscalar(input_shape) else int(input_shape[-1])
        self.input_dim = input_dim
        self.kernel = self._param(
            "kernel", self.kernel_initializer((input_dim, self.units), self.rng)
        )
        if self.use_bias:
            self.bias = self._param("bias", self.bias_initializer((self.units,), self.rng))
        self.built = True

    def logits(self, x: Tensor) -> Tensor:
        """The pre-activation ``x @ kernel + bias`` (used by fused losses)."""
        if x.shape[-1:] != (self.input_dim,):
            raise ShapeError(
                f"Dense layer {self.name!r} expects inputs whose last dimension is "
                f"{self.input_dim} (its input_dim). Received: input of shape {tuple(x.shape)}"
            )
        return linear(x, self.kernel, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.logits(x))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def extra_repr(self) -> str:
        parts = [f"units={self.units}"]
        if self.activation_name != "linear":
            parts.append(f"activation={self.activation_name!r}")
        if self.input_dim is not None:
            parts.append(f"input_dim={self.input_dim}")
        if not self.use_bias:
            parts.append("use_bias=False")
        return ", ".join(parts)
