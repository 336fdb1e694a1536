"""Dense (fully connected) layer."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd_core import Tensor, linear
from autograd_core.errors import ShapeError

from .. import activations, initializers, regularizers
from ..fusion import _fused, is_fused
from .base import Layer

# NOTE: the switch's reader, bound once (as autograd_core.grad_mode does for grad mode):
# every call of every Dense reads it
_fused_now = _fused.get

# relu, sigmoid and tanh run inside the linear op (one graph node per layer)
_FUSED = ("relu", "sigmoid", "tanh")


def _positive_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value > 0)


class Dense(Layer):
    """Fully connected layer: ``activation(x @ kernel + bias)``.

    ``kernel`` has shape ``(input_dim, units)`` and ``bias`` shape ``(units,)``. With
    ``input_dim`` (or Keras's ``input_shape=(input_dim,)``) the parameters exist at once;
    without it they are made on the first call. ``kernel_regularizer`` and
    ``bias_regularizer`` (``nn.regularizers.L1/L2/L1L2``, ``"l1"``, ``"l2"``) add their
    penalties to ``losses``.
    """

    def __init__(
        self,
        units: int,
        activation: str | Callable | None = None,
        input_dim: int | None = None,
        use_bias: bool = True,
        kernel_initializer: str | Callable = "glorot_uniform",
        bias_initializer: str | Callable = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        name: str | None = None,
        rng: np.random.Generator | None = None,
        *,
        input_shape: Any = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(name, rng, input_shape=input_shape, trainable=trainable)
        if not _positive_int(units):
            raise ValueError(f"Dense expects a positive integer `units`. Received: units={units!r}")
        if input_dim is not None and not _positive_int(input_dim):
            raise ValueError(
                f"Dense expects a positive integer `input_dim` (or None). "
                f"Received: input_dim={input_dim!r}"
            )
        shape = self._batch_input_shape
        if shape is not None:
            if not shape[1:] or shape[-1] is None:
                raise ValueError(
                    f"Dense needs the size of the last axis of its input. "
                    f"Received: input_shape={shape[1:]!r}"
                )
            if input_dim is not None and input_dim != shape[-1]:
                raise ValueError(
                    f"Dense got input_dim={input_dim} and input_shape={shape[1:]!r}, which "
                    f"disagree; give one of them"
                )
        self._input_dim_arg = None if input_dim is None else int(input_dim)
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
        self._init_config = (
            initializers.serialize(kernel_initializer),
            initializers.serialize(bias_initializer),
        )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel: Tensor | None = None
        self.bias: Tensor | None = None
        if self.input_dim is not None:
            self._batch_input_shape = self._batch_input_shape or (None, self.input_dim)
        self._build_from_input_shape()

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` and ``bias`` for inputs whose last axis has ``input_shape[-1]``."""
        last: Any = input_shape if np.isscalar(input_shape) else input_shape[-1]
        if last is None:
            raise ValueError(
                f"Dense layer {self.name!r} needs the size of the last axis of its input. "
                f"Received: input_shape={input_shape!r}"
            )
        input_dim = int(last)
        self.input_dim = input_dim
        self.kernel = self._param(
            "kernel",
            self.kernel_initializer((input_dim, self.units), self.rng),
            self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self._param(
                "bias", self.bias_initializer((self.units,), self.rng), self.bias_regularizer
            )
        self.built = True

    def logits(self, x: Tensor) -> Tensor:
        """The pre-activation ``x @ kernel + bias`` (used by fused losses)."""
        self._check_input(x)
        if not is_fused():  # nn.unfused(): matmul and add as two recorded ops
            z = x @ self.kernel
            return z if self.bias is None else z + self.bias
        return linear(x, self.kernel, self.bias)

    def _check_input(self, x: Tensor) -> None:
        xs = x._data.shape  # (the slot: the `data` property costs a call)
        if not xs or xs[-1] != self.input_dim:
            raise ShapeError(
                f"Dense layer {self.name!r} expects inputs whose last dimension is "
                f"{self.input_dim} (its input_dim). Received: input of shape {tuple(x.shape)}"
            )

    def forward(self, x: Tensor) -> Tensor:
        if self._fused_activation is not None and _fused_now():
            xs = x._data.shape  # (_check_input's test, without the call)
            if not xs or xs[-1] != self.input_dim:
                self._check_input(x)  # raises
            return linear(x, self.kernel, self.bias, self._fused_activation)
        return self.activation(self.logits(x))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if not input_shape or (
            self.input_dim is not None and input_shape[-1] not in (None, self.input_dim)
        ):
            raise ShapeError(
                f"Dense layer {self.name!r} expects inputs whose last dimension is "
                f"{self.input_dim} (its input_dim). Received: input of shape {input_shape}"
            )
        return input_shape[:-1] + (self.units,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            units=self.units,
            activation=self.activation_name,
            use_bias=self.use_bias,
            kernel_initializer=self._init_config[0],
            bias_initializer=self._init_config[1],
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        if self._input_dim_arg is not None:
            config["input_dim"] = self._input_dim_arg
        return config

    def extra_repr(self) -> str:
        parts = [f"units={self.units}"]
        if self.activation_name != "linear":
            parts.append(f"activation={self.activation_name!r}")
        if self.input_dim is not None:
            parts.append(f"input_dim={self.input_dim}")
        if not self.use_bias:
            parts.append("use_bias=False")
        return ", ".join(parts)
