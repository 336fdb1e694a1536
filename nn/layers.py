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


def _linear_grads(dz: Tensor, x: Tensor, w: Tensor, b: tuple) -> tuple:
    """Gradients of ``x @ W + b`` given ``dz``, the gradient at its output."""
    # d/dx = dz @ W^T,  d/dW = x^T @ dz,  d/db = sum of dz over the batch axes
    units = w.shape[-1]
    if is_grad_enabled():  # recording the backward (create_graph): Tensor ops
        dz2 = dz.reshape(-1, units)
        gx = dz @ w.T if x.requires_grad else None
        gw = x.reshape(-1, w.shape[0]).T @ dz2 if w.requires_grad else None
        return (gx, gw) + tuple(dz2.sum(axis=0) if t.requires_grad else None for t in b)
    # NOTE: a plain backward needs no graph, so the products are plain numpy calls.
    d = dz.data
    d2 = d.reshape(-1, units)
    gx = _make(d @ w.data.T) if x.requires_grad else None
    gw = _make(x.data.reshape(-1, w.shape[0]).T @ d2) if w.requires_grad else None
    return (gx, gw) + tuple(_make(d2.sum(axis=0)) if t.requires_grad else None for t in b)


def _affine(x: np.ndarray, w: np.ndarray, b: tuple) -> np.ndarray:
    out = x @ w
    if b:
        out += b[0]  # in place, into the product's fresh array
    return out


@op("linear")
def _linear(x: np.ndarray, w: np.ndarray, *b: np.ndarray) -> np.ndarray:
    return _affine(x, w, b)


@_linear.vjp
def _(g: Tensor, out: Tensor, x: Tensor, w: Tensor, *b: Tensor) -> tuple:
    return _linear_grads(g, x, w, b)


# Dense with an elementwise activation is one node: the activation runs in place on x @ W + b
# and its derivative is taken from the output (as each activation's own rule does).
@op("linear_relu")
def _linear_relu(x: np.ndarray, w: np.ndarray, *b: np.ndarray) -> np.ndarray:
    z = _affine(x, w, b)
    return np.maximum(z, 0, out=z)


@_linear_relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, w: Tensor, *b: Tensor) -> tuple:
    # relu' = 1 where the output is positive, else 0 (0 at 0, as PyTorch)
    return _linear_grads(g * _make(out.data > 0), x, w, b)


@op("linear_sigmoid")
def _linear_sigmoid(x: np.ndarray, w: np.ndarray, *b: np.ndarray) -> np.ndarray:
    z = _affine(x, w, b)
    # NOTE: sigmoid(z) = exp(-softplus(-z)): stable for large |z|, no overflow warning
    np.logaddexp(0, np.negative(z, out=z), out=z)
    return np.exp(np.negative(z, out=z), out=z)


@_linear_sigmoid.vjp
def _(g: Tensor, out: Tensor, x: Tensor, w: Tensor, *b: Tensor) -> tuple:
    # sigmoid' = s (1 - s), from the output s
    return _linear_grads(g * out * (1.0 - out), x, w, b)


@op("linear_tanh")
def _linear_tanh(x: np.ndarray, w: np.ndarray, *b: np.ndarray) -> np.ndarray:
    z = _affine(x, w, b)
    return np.tanh(z, out=z)


@_linear_tanh.vjp
def _(g: Tensor, out: Tensor, x: Tensor, w: Tensor, *b: Tensor) -> tuple:
    # tanh' = 1 - t**2, from the output t
    return _linear_grads(g * (1.0 - out * out), x, w, b)


_FUSED = {"relu": _linear_relu, "sigmoid": _linear_sigmoid, "tanh": _linear_tanh}


def linear(
    x: Tensor, kernel: Tensor, bias: Tensor | None = None, activation: str | None = None
) -> Tensor:
    """``activation(x @ kernel + bias)`` as one recorded op; ``activation`` is None, "relu",
    "sigmoid" or "tanh" (what Dense computes)."""
    fn = _linear if activation is None else _FUSED.get(activation)
    if fn is None:
        raise ValueError(f"linear fuses relu, sigmoid or tanh. Received: activation={activation!r}")
    return fn(x, kernel) if bias is None else fn(x, kernel, bias)


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
            isinstance(input_dim, bool)
            or not isinstance(input_dim, (int, np.integer))
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
        # relu, sigmoid and tanh run inside the linear op (one graph node per layer)
        self._fused_activation = (
            self.activation_name
            if self.activation_name in _FUSED
            and self.activation is activations.get(self.activation_name)
            else None
        )
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
        self._check_input(x)
        return linear(x, self.kernel, self.bias)

    def _check_input(self, x: Tensor) -> None:
        if x.shape[-1:] != (self.input_dim,):
            raise ShapeError(
                f"Dense layer {self.name!r} expects inputs whose last dimension is "
                f"{self.input_dim} (its input_dim). Received: input of shape {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        if self._fused_activation is not None:
            self._check_input(x)
            return linear(x, self.kernel, self.bias, self._fused_activation)
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
