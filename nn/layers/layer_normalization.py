"""LayerNormalization, with Keras's conventions."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.errors import ShapeError

from .. import initializers, regularizers
from .base import Layer
from .batch_normalization import check_axis, check_float


class LayerNormalization(Layer):
    """Normalise each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) +
    beta``, with the sample's mean and biased variance over those axes.

    ``axis`` is an int or a tuple of ints (the last axis by default); ``gamma`` and ``beta``
    have the shape of those axes. The same in training and inference.
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        if not axes or any(
            isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes
        ):
            raise ValueError(
                f"LayerNormalization expects `axis` to be an integer or a tuple of integers. "
                f"Received: axis={axis!r}"
            )
        self.axis: int | tuple[int, ...] = (
            int(axis) if not isinstance(axis, (tuple, list)) else tuple(int(a) for a in axes)
        )
        self.epsilon = check_float("LayerNormalization", "epsilon", epsilon, 0.0, None)
        self.center, self.scale = bool(center), bool(scale)
        self._init_config = {
            "beta_initializer": initializers.serialize(beta_initializer),
            "gamma_initializer": initializers.serialize(gamma_initializer),
        }
        self._inits = {key: initializers.get(value) for key, value in self._init_config.items()}
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma: Tensor | None = None
        self.beta: Tensor | None = None
        self._build_from_input_shape()

    def build(self, input_shape: Any) -> None:
        """Make ``gamma`` and ``beta`` with the shape of the normalised axes."""
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        resolved = sorted({check_axis("LayerNormalization", a, ndim, self.name) for a in axes})
        sizes = tuple(input_shape[a] for a in resolved)
        if None in sizes:
            raise ShapeError(
                f"LayerNormalization layer {self.name!r} needs the sizes of the axes it "
                f"normalises ({self.axis}). Received: input_shape={input_shape}"
            )
        self._ndim, self._axes, self._sizes = ndim, tuple(resolved), sizes
        self._broadcast = tuple(input_shape[i] if i in resolved else 1 for i in range(ndim))
        inits, rng = self._inits, self.rng
        if self.scale:
            self.gamma = self._param(
                "gamma", inits["gamma_initializer"](sizes, rng), self.gamma_regularizer
            )
        if self.center:
            self.beta = self._param(
                "beta", inits["beta_initializer"](sizes, rng), self.beta_regularizer
            )
        self.built = True

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != self._ndim or tuple(x.shape[a] for a in self._axes) != self._sizes:
            raise ShapeError(
                f"LayerNormalization layer {self.name!r} was built for inputs of {self._ndim} "
                f"axes with sizes {self._sizes} on axes {self._axes}. Received: input of "
                f"shape {tuple(x.shape)}"
            )
        mean = x.mean(axis=self._axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=self._axes, keepdims=True)
        y = centered / ag.sqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * self.gamma.reshape(self._broadcast)
        if self.beta is not None:
            y = y + self.beta.reshape(self._broadcast)
        return y

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._init_config,
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }

    def extra_repr(self) -> str:
        return f"axis={self.axis}, epsilon={self.epsilon}"
