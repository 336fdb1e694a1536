"""Activation functions and the softmax family, each with its VJP below the forward."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dtypes import as_float
from ..op import Tensor, _make, op
from ._axes import normalize_axis
from .elementwise import absolute, exp, where
from .special import erf

Array = np.ndarray


def _stable_sigmoid(x: Array) -> Array:
    # NOTE: 1 / (1 + exp(-x)) overflows for x << 0; with e = exp(-|x|) in (0, 1] both
    # branches, 1 / (1 + e) and e / (1 + e), are exact and never overflow.
    x = as_float(x)  # (-|x| of an unsigned integer wraps around)
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


@op("sigmoid")
def sigmoid(x: Array) -> Array:
    """Elementwise logistic function 1 / (1 + exp(-x)), stable for large |x|."""
    return _stable_sigmoid(x)


@sigmoid.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d sigmoid(x)/dx = s * (1 - s): reuse the forward output
    return (g * out * (1.0 - out),)


sigmoid.jvp("self_adjoint")


@op("tanh")
def tanh(x: Array) -> Array:
    """Elementwise hyperbolic tangent."""
    return np.tanh(x)


@tanh.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d tanh(x)/dx = 1 - tanh(x)**2
    return (g * (1.0 - out * out),)


tanh.jvp("self_adjoint")


@op("relu")
def relu(x: Array) -> Array:
    """Elementwise max(x, 0)."""
    return np.maximum(x, 0)


@relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d relu(x)/dx = 1 for x > 0, else 0   NOTE: 0 at x == 0, as PyTorch
    return (relu_grad(g, x),)


@op("relu_grad")
def relu_grad(g: Array, x: Array) -> Array:
    """``g`` where ``x > 0``, else 0: the gradient through a ReLU (x its input or output)."""
    return g * (x > 0)


@relu_grad.vjp(reads=(1,))
def _(gg: Tensor, out: Tensor, g: Tensor, x: Tensor) -> tuple:
    # linear in g, with the same mask; the mask is constant in x (almost everywhere)
    return relu_grad(gg, x), None


@relu_grad.jvp
def _(d: tuple, out: Tensor, g: Tensor, x: Tensor) -> Any:
    # linear in g; the mask does not move with x (almost everywhere)
    dg, _ = d
    return None if dg is None else relu_grad(dg, x)


relu.jvp("self_adjoint")


@op("leaky_relu")
def _leaky_relu(x: Array, negative_slope: float = 0.01) -> Array:
    return np.where(x > 0, x, x * negative_slope)


@_leaky_relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, negative_slope: float = 0.01) -> tuple:
    # d/dx = 1 for x > 0, else negative_slope
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(g.dtype)
    return (g * _make(slope),)


_leaky_relu.jvp("self_adjoint")


@op("softplus")
def softplus(x: Array) -> Array:
    """Elementwise log(1 + exp(x)), stable for large |x|."""
    return np.logaddexp(0.0, x)


@softplus.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d softplus(x)/dx = sigmoid(x)
    return (g * sigmoid(x),)


softplus.jvp("self_adjoint")


@op("softmax")
def _softmax(x: Array, axis: int) -> Array:
    # NOTE: shifting by the max keeps exp() from overflowing; the result is unchanged.
    x = as_float(x)  # (an unsigned integer's x - max wraps around)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


@_softmax.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d softmax: s * (g - sum(g * s))  along the axis
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


_softmax.jvp("self_adjoint")  # J = diag(s) - s s^T is symmetric


@op("log_softmax")
def _log_softmax(x: Array, axis: int) -> Array:
    # NOTE: x - logsumexp(x) directly, rather than log(softmax(x)), which gives -inf when
    # a probability underflows to 0.
    x = as_float(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@_log_softmax.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d log_softmax: g - softmax(x) * sum(g)  along the axis, with softmax = exp(out)
    return (g - out.exp() * g.sum(axis=axis, keepdims=True),)


@_log_softmax.jvp
def _(d: tuple, out: Tensor, x: Tensor, axis: int) -> Tensor:
    # d log_softmax = dx - sum(softmax(x) * dx)  along the axis
    (dx,) = d
    return dx - (out.exp() * dx).sum(axis=axis, keepdims=True)


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


# --- more activations (Keras's and PyTorch's) --------------------------------------------------

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
# NOTE: tanh(sqrt(2/pi) (x + 0.044715 x**3)) is exactly +-1 in float64 for |x| >= 10, so the
# tanh form cubes x clipped there: the same result, and no overflow of x**3 in float16.
_GELU_SATURATED = 10.0
# SELU's constants, from Klambauer et al. (2017), as in PyTorch and Keras
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@op("gelu")
def _gelu(x: Array, approximate: bool = False) -> Array:
    x = as_float(x)  # (x**3 of a large integer wraps around)
    if approximate:
        xc = np.clip(x, -_GELU_SATURATED, _GELU_SATURATED)
        inner = _SQRT_2_OVER_PI * (xc + _GELU_CUBIC * (xc * xc * xc))
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + erf.forward(x * _SQRT_HALF))


@_gelu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, approximate: bool = False) -> tuple:
    if approximate:
        # gelu = x/2 (1 + t), t = tanh(k (x + c x**3)):
        # d/dx = (1 + t)/2 + x/2 (1 - t**2) k (1 + 3 c x**2)
        # (x clipped as in the forward: there t = +-1 and the slope is 0 either way)
        xc = x.clip(-_GELU_SATURATED, _GELU_SATURATED)
        x2 = xc * xc
        t = tanh((xc + x2 * xc * _GELU_CUBIC) * _SQRT_2_OVER_PI)
        slope = (1.0 - t * t) * ((1.0 + x2 * (3.0 * _GELU_CUBIC)) * _SQRT_2_OVER_PI)
        return (g * ((1.0 + t) * 0.5 + x * slope * 0.5),)
    # gelu = x Phi(x):  d/dx = Phi(x) + x phi(x), Phi the normal CDF, phi its density
    cdf = (1.0 + erf(x * _SQRT_HALF)) * 0.5
    pdf = exp(-(x * x) * 0.5) * _INV_SQRT_2PI
    return (g * (cdf + x * pdf),)


_gelu.jvp("self_adjoint")


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF (with the erf);
    ``approximate=True`` gives the tanh form, as PyTorch's ``approximate="tanh"``."""
    if isinstance(approximate, str):  # PyTorch spells it "none" / "tanh"
        if approximate not in ("none", "tanh"):
            raise ValueError(
                f"gelu expects approximate=False/True (or 'none'/'tanh'). "
                f"Received: approximate={approximate!r}"
            )
        approximate = approximate == "tanh"
    return _gelu(x, approximate=True) if approximate else _gelu(x)


@op("silu")
def silu(x: Array) -> Array:
    """Elementwise x * sigmoid(x) (also called swish)."""
    return x * _stable_sigmoid(x)


@silu.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(x s)/dx = s + x s (1 - s) = s (1 + x (1 - s)),  s = sigmoid(x)
    s = sigmoid(x)
    return (g * (s * (1.0 + x * (1.0 - s))),)


silu.jvp("self_adjoint")


swish = silu


@op("elu")
def _elu(x: Array, alpha: float = 1.0) -> Array:
    # NOTE: expm1 of the negative part only: exp() of a large positive x would overflow
    # (and warn) in the branch np.where throws away.
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@_elu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, alpha: float = 1.0) -> tuple:
    # d elu/dx = 1 for x > 0, else alpha * exp(x)   (alpha at x == 0, as PyTorch)
    positive = x.data > 0
    return (g * where(positive, 1.0, exp(where(positive, 0.0, x)) * alpha),)


_elu.jvp("self_adjoint")


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, else alpha * (exp(x) - 1)."""
    return _elu(x, alpha=float(alpha)) if alpha != 1.0 else _elu(x)


@op("selu")
def selu(x: Array) -> Array:
    """Scaled ELU, scale * elu(x, alpha) with the self-normalising constants."""
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


@selu.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d selu/dx = scale for x > 0, else scale * alpha * exp(x)
    positive = x.data > 0
    slope = where(positive, _SELU_SCALE, exp(where(positive, 0.0, x)) * (_SELU_SCALE * _SELU_ALPHA))
    return (g * slope,)


selu.jvp("self_adjoint")


@op("softsign")
def softsign(x: Array) -> Array:
    """Elementwise x / (1 + |x|)."""
    return x / (1.0 + np.abs(x))


@softsign.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d softsign/dx = 1 / (1 + |x|)**2
    d = absolute(x) + 1.0
    return (g / (d * d),)


softsign.jvp("self_adjoint")


@op("log_sigmoid")
def log_sigmoid(x: Array) -> Array:
    """Elementwise log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    # NOTE: min(x, 0) - log1p(exp(-|x|)): exp never sees a positive argument, and
    # log(sigmoid(x)) would give log(0) = -inf for x << 0
    x = as_float(x)  # (-|x| of an unsigned integer wraps around)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@log_sigmoid.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d log(sigmoid(x))/dx = 1 - sigmoid(x) = sigmoid(-x)  (exactly 0 or 1 at |x| = 1e4)
    return (g * sigmoid(-x),)


log_sigmoid.jvp("self_adjoint")


@op("hard_sigmoid")
def hard_sigmoid(x: Array) -> Array:
    """Piecewise-linear sigmoid, Keras 3's: relu6(x + 3) / 6 (0 below -3, 1 above 3)."""
    return np.minimum(np.maximum(x + 3.0, 0), 6.0) / 6.0


@hard_sigmoid.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d/dx = 1/6 for -3 < x < 3, else 0   NOTE: 0 at the corners, as PyTorch's hardsigmoid
    inside = (x.data > -3.0) & (x.data < 3.0)
    return (g * _make((inside / 6.0).astype(g.dtype)),)


hard_sigmoid.jvp("self_adjoint")


@op("relu6")
def relu6(x: Array) -> Array:
    """Elementwise min(max(x, 0), 6)."""
    return np.minimum(np.maximum(x, 0), 6)


@relu6.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d relu6/dx = 1 for 0 < x < 6, else 0   NOTE: 0 at both corners, as PyTorch
    return (g * _make((x.data > 0) & (x.data < 6)),)


relu6.jvp("self_adjoint")


@op("mish")
def mish(x: Array) -> Array:
    """Elementwise x * tanh(softplus(x))."""
    return x * np.tanh(np.logaddexp(0.0, x))


@mish.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d/dx x tanh(sp(x)) = t + x (1 - t**2) sigmoid(x),  t = tanh(softplus(x))
    t = tanh(softplus(x))
    return (g * (t + x * (1.0 - t * t) * sigmoid(x)),)


mish.jvp("self_adjoint")
