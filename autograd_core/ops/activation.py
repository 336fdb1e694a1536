"""Activation functions and the softmax family, each with its VJP below the forward."""

from __future__ import annotations

import numpy as np

from ..op import Tensor, _make, op
from ._axes import normalize_axis

Array = np.ndarray


def _stable_sigmoid(x: Array) -> Array:
    # NOTE: 1 / (1 + exp(-x)) overflows for x << 0; with e = exp(-|x|) in (0, 1] both
    # branches, 1 / (1 + e) and e / (1 + e), are exact and never overflow.
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


@op("sigmoid")
def sigmoid(x: Array) -> Array:
    """Elementwise logistic function 1 / (1 + exp(-x)), stable for large |x|."""
    return _stable_sigmoid(x)


@sigmoid.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d sigmoid(x)/dx = s * (1 - s): reuse the forward output
    return (g * out * (1.0 - out),)


@op("tanh")
def tanh(x: Array) -> Array:
    """Elementwise hyperbolic tangent."""
    return np.tanh(x)


@tanh.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d tanh(x)/dx = 1 - tanh(x)**2
    return (g * (1.0 - out * out),)


@op("relu")
def relu(x: Array) -> Array:
    """Elementwise max(x, 0)."""
    return np.maximum(x, 0)


@relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d relu(x)/dx = 1 for x > 0, else 0   NOTE: 0 at x == 0, as PyTorch
    return (g * _make(x.data > 0),)


@op("leaky_relu")
def _leaky_relu(x: Array, negative_slope: float = 0.01) -> Array:
    return np.where(x > 0, x, x * negative_slope)


@_leaky_relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, negative_slope: float = 0.01) -> tuple:
    # d/dx = 1 for x > 0, else negative_slope
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(g.dtype)
    return (g * _make(slope),)


@op("softplus")
def softplus(x: Array) -> Array:
    """Elementwise log(1 + exp(x)), stable for large |x|."""
    return np.logaddexp(0.0, x)


@softplus.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d softplus(x)/dx = sigmoid(x)
    return (g * sigmoid(x),)


@op("softmax")
def _softmax(x: Array, axis: int) -> Array:
    # NOTE: shifting by the max keeps exp() from overflowing; the result is unchanged.
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


@_softmax.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d softmax: s * (g - sum(g * s))  along the axis
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


@op("log_softmax")
def _log_softmax(x: Array, axis: int) -> Array:
    # NOTE: x - logsumexp(x) directly, rather than log(softmax(x)), which gives -inf when
    # a probability underflows to 0.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@_log_softmax.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d log_softmax: g - softmax(x) * sum(g)  along the axis, with softmax = exp(out)
    return (g - out.exp() * g.sum(axis=axis, keepdims=True),)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Elementwise x for x > 0, else negative_slope * x."""
    return _leaky_relu(x, negative_slope=float(negative_slope))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, max-shifted so it never overflows."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return _softmax(x, axis=normalize_axis(axis, x.ndim, "softmax", x.shape, scalar_ok=True))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed as x - logsumexp(x)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    axis = normalize_axis(axis, x.ndim, "log_softmax", x.shape, scalar_ok=True)
    return _log_softmax(x, axis=axis)
