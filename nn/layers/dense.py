"""Dense (fully connected) layer."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_core import Tensor, linear
from autograd_core.errors import ShapeError

from .. import activations, initializers
from ..fusion import is_fused
from .base import Layer

# relu, sigmoid and tanh run inside the linear op (one graph node per layer)
_FUSED = ("relu", "sigmoid", "tanh")


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
        last: Any = input_shape if np.isscalar(input_shape) else input_shape[-1]
        input_dim = int(last)
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
        if not is_fused():  # nn.unfused(): matmul and add as two recorded ops
            z = x @ self.kernel
            return z if self.bias is None else z + self.bias
        return linear(x, self.kernel, self.bias)

    def _check_input(self, x: Tensor) -> None:
        if x.data.shape[-1:] != (self.input_dim,):
            raise ShapeError(
                f"Dense layer {self.name!r} expects inputs whose last dimension is "
                f"{self.input_dim} (its input_dim). Received: input of shape {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        if self._fused_activation is not None and is_fused():
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
