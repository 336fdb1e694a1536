"""BatchNormalization, with Keras's conventions."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.errors import ShapeError

from .. import initializers, regularizers
from .base import Layer


def check_float(who: str, key: str, value: Any, low: float, high: float | None) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, ...)`` when ``high`` is None)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = bool(low <= value <= high) if high is not None else bool(value > low)
    if not ok:
        where = f"in [{low}, {high}]" if high is not None else f"greater than {low}"
        raise ValueError(f"{who} expects `{key}` {where}. Received: {key}={value!r}")
    return float(value)


def check_axis(who: str, axis: Any, ndim: int, name: str) -> int:
    """``axis`` of an input of ``ndim`` axes as a non-negative index, never the batch axis."""
    if (
        isinstance(axis, bool)
        or not isinstance(axis, (int, np.integer))
        or not -ndim <= axis < ndim
    ):
        raise ShapeError(
            f"{who} layer {name!r} has axis={axis!r}, which an input of {ndim} axes lacks"
        )
    axis = int(axis) % ndim
    if axis == 0:
        raise ShapeError(
            f"{who} layer {name!r}: axis={axis} is the batch axis; normalise over a feature "
            f"axis (the default -1 is the last)"
        )
    return axis


class BatchNormalization(Layer):
    """Normalise each feature over the batch: ``gamma * (x - mean) / sqrt(var + epsilon) +
    beta``.

    In training (``fit``, or ``training=True``) ``mean`` and ``var`` are the batch's mean
    and biased variance, and the moving statistics follow them:
    ``moving_mean = moving_mean * momentum + batch_mean * (1 - momentum)``, the same for
    ``moving_variance`` with the batch's biased variance (Keras's rule; PyTorch's
    ``BatchNorm1d`` takes the unbiased one there and writes its momentum as ``1 - momentum``).
    In inference (``evaluate``, ``predict``, a direct call) the moving statistics are used.

    ``gamma`` and ``beta`` train; ``moving_mean`` and ``moving_variance`` are buffers (saved,
    counted as non-trainable). With ``trainable = False`` the layer runs in inference mode
    even in training, as in Keras, so frozen statistics stay frozen. ``axis`` is the feature
    axis; every other axis is averaged over.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(
                f"BatchNormalization expects an integer `axis`. Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.momentum = check_float("BatchNormalization", "momentum", momentum, 0.0, 1.0)
        self.epsilon = check_float("BatchNormalization", "epsilon", epsilon, 0.0, None)
        self.center, self.scale = bool(center), bool(scale)
        self._init_config = {
            key: initializers.serialize(value)
            for key, value in (
                ("beta_initializer", beta_initializer),
                ("gamma_initializer", gamma_initializer),
                ("moving_mean_initializer", moving_mean_initializer),
                ("moving_variance_initializer", moving_variance_initializer),
            )
        }
        self._inits = {key: initializers.get(value) for key, value in self._init_config.items()}
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma: Tensor | None = None
        self.beta: Tensor | None = None
        self.moving_mean: Any = None  # buffers, made by build
        self.moving_variance: Any = None
        self._build_from_input_shape()

    def build(self, input_shape: Any) -> None:
        """Make ``gamma``, ``beta`` and the moving statistics, one per feature."""
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        axis = check_axis("BatchNormalization", self.axis, ndim, self.name)
        n = input_shape[axis]
        if n is None:
            raise ShapeError(
                f"BatchNormalization layer {self.name!r} needs the size of axis {self.axis} "
                f"of its input. Received: input_shape={input_shape}"
            )
        self._ndim, self._feature_axis = ndim, axis
        self._reduce = tuple(i for i in range(ndim) if i != axis)
        self._broadcast = tuple(n if i == axis else 1 for i in range(ndim))
        inits, rng = self._inits, self.rng
        if self.scale:
            self.gamma = self._param(
                "gamma", inits["gamma_initializer"]((n,), rng), self.gamma_regularizer
            )
        if self.center:
            self.beta = self._param(
                "beta", inits["beta_initializer"]((n,), rng), self.beta_regularizer
            )
        self.moving_mean = self._buffer("moving_mean", inits["moving_mean_initializer"]((n,), rng))
        self.moving_variance = self._buffer(
            "moving_variance", inits["moving_variance_initializer"]((n,), rng)
        )
        self.built = True

    def forward(self, x: Tensor, training: bool | None = None) -> Tensor:
        if x.ndim != self._ndim or x.shape[self._feature_axis] != self.moving_mean.shape[0]:
            raise ShapeError(
                f"BatchNormalization layer {self.name!r} was built for inputs of {self._ndim} "
                f"axes with {self.moving_mean.shape[0]} features on axis {self.axis}. "
                f"Received: input of shape {tuple(x.shape)}"
            )
        shape = self._broadcast
        if self._is_training(training) and self.trainable:
            mean = x.mean(axis=self._reduce, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=self._reduce, keepdims=True)
            # (a recorded call: a compiled step updates the statistics on each replay)
            ag.record_call(self._update_moving, mean, var)
            y = centered / ag.sqrt(var + self.epsilon)
            if self.gamma is not None:
                y = y * self.gamma.reshape(shape)
        else:
            # (x - moving_mean) * gamma / sqrt(moving_variance + epsilon): one scale per feature
            inv = 1.0 / ag.sqrt(self.moving_variance.reshape(shape) + self.epsilon)
            factor = inv if self.gamma is None else self.gamma.reshape(shape) * inv
            y = (x - self.moving_mean.reshape(shape)) * factor
        if self.beta is not None:
            y = y + self.beta.reshape(shape)
        return y

    def _update_moving(self, mean: np.ndarray, var: np.ndarray) -> None:
        """``moving = moving * momentum + batch * (1 - momentum)`` for the batch's mean and
        biased variance, in place: the layer's only change of state."""
        m = self.momentum
        for stat, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
            arr = stat.data
            arr *= m
            arr += (1.0 - m) * batch.reshape(-1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._init_config,
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }

    def extra_repr(self) -> str:
        return f"axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"
