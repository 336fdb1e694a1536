"""Elementwise arithmetic and functions: each forward with its VJP right below it.

Rules return gradients in the output's (broadcast) shape; the engine sums them back to each
input's shape, so no rule repeats that work.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..dtypes import as_dtype
from ..op import Tensor, _make, as_tensors, op, tangent_sum
from ..versions import each_other

Array = np.ndarray


def _constant_jvp(d: tuple, out: Tensor, *inputs: Tensor, **kwargs: Any) -> None:
    # a piecewise-constant op (floor, sign, x // y): its tangent is 0, given as None
    return None


# --- arithmetic -------------------------------------------------------------------------------


@op("add")
def add(x: Array, y: Array) -> Array:
    """x + y, broadcasting."""
    return x + y


@add.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x + y)/dx = 1, d(x + y)/dy = 1
    return g, g


@add.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d(x + y) = dx + dy
    dx, dy = d
    return tangent_sum(dx, dy)


@op("subtract")
def subtract(x: Array, y: Array) -> Array:
    """x - y, broadcasting."""
    return x - y


@subtract.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x - y)/dx = 1, d(x - y)/dy = -1
    return g, (-g if y._rg else None)


@subtract.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d(x - y) = dx - dy
    dx, dy = d
    return dx if dy is None else -dy if dx is None else dx - dy


@op("multiply")
def multiply(x: Array, y: Array) -> Array:
    """x * y, broadcasting."""
    return x * y


@multiply.vjp(reads=each_other)
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x * y)/dx = y, d(x * y)/dy = x
    return (g * y if x._rg else None), (g * x if y._rg else None)


multiply.jvp("multilinear")


@op("divide")
def divide(x: Array, y: Array) -> Array:
    """x / y, broadcasting."""
    return x / y


@divide.vjp(uses_out=True, reads=(1,))
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x / y)/dx = 1 / y, d(x / y)/dy = -x / y**2 = -out / y
    gx = g / y if x._rg else None
    gy = -(g * out) / y if y._rg else None
    return gx, gy


@divide.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d(x / y) = dx / y - x dy / y**2 = (dx - out dy) / y
    dx, dy = d
    if dy is None:
        return dx / y
    shift = out * dy
    return (-shift if dx is None else dx - shift) / y


@op("negative")
def negative(x: Array) -> Array:
    """-x."""
    return -x


@negative.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(-x)/dx = -1
    return (-g,)


negative.jvp("linear")


@op("power")
def power(x: Array, y: Array) -> Array:
    """x ** y, broadcasting."""
    return x**y


@power.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x**y)/dx = y * x**(y - 1);  d(x**y)/dy = x**y * log(x)
    gx = g * _power_slope_x(x, y) if x._rg else None
    gy = g * _power_slope_y(out, x, y) if y._rg else None
    return gx, gy


@power.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d(x**y) = y x**(y - 1) dx + x**y log(x) dy
    dx, dy = d
    tx = None if dx is None else dx * _power_slope_x(x, y)
    ty = None if dy is None else dy * _power_slope_y(out, x, y)
    return tangent_sum(tx, ty)


def _power_slope_x(x: Tensor, y: Tensor) -> Tensor:
    """d(x**y)/dx = y * x**(y - 1)."""
    # NOTE: at x == 0 and y == 0 the derivative is 0 (as PyTorch), not 0 * 0**-1 = nan:
    # those elements take the exponent 1 instead. At x == 0 with 0 < y < 1 it is inf
    # (as PyTorch), without numpy's divide-by-zero warning.
    e = y - 1.0
    both_zero = (x.data == 0.0) & (y.data == 0.0)
    if both_zero.any():
        e = where(both_zero, 1.0, e)
    with np.errstate(divide="ignore"):
        return y * x**e


def _power_slope_y(out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """d(x**y)/dy = x**y * log(x)."""
    # NOTE: at x == 0 as PyTorch: 0 for y >= 0 (the limit of x**y log x), -inf for y < 0
    # (x**y = inf times log 0 = -inf), without numpy's warnings; x < 0 has no real log: nan.
    positive = x > 0.0
    at_zero = where(y < 0.0, -np.inf, 0.0)
    safe_log = where(positive, log(where(positive, x, 1.0)), where(x == 0.0, at_zero, np.nan))
    return out * safe_log


@op("floor_divide")
def floor_divide(x: Array, y: Array) -> Array:
    """x // y, broadcasting (the quotient ``mod`` goes with); its gradient is 0."""
    return np.floor_divide(x, y)


@floor_divide.vjp
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x // y) = 0 almost everywhere (a step function of both)
    return (_zeros_like(g) if x._rg else None), (_zeros_like(g) if y._rg else None)


floor_divide.jvp(_constant_jvp)


@op("mod")
def mod(x: Array, y: Array) -> Array:
    """x % y with the sign of y, as ``np.mod`` (= ``np.remainder``), broadcasting."""
    return np.mod(x, y)


@mod.vjp
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # x % y = x - y * (x // y):  d/dx = 1, d/dy = -(x // y)  (PyTorch's remainder gradients)
    gy = -(g * floor_divide(x, y)) if y._rg else None
    return g, gy


@mod.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d(x % y) = dx - (x // y) dy
    dx, dy = d
    if dy is None:
        return dx
    shift = floor_divide(x, y) * dy
    return -shift if dx is None else dx - shift


remainder = mod


# --- functions --------------------------------------------------------------------------------


@op("exp")
def exp(x: Array) -> Array:
    """Elementwise e**x."""
    return np.exp(x)


@exp.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(e**x)/dx = e**x: reuse the forward output
    return (g * out,)


exp.jvp("self_adjoint")


@op("log")
def log(x: Array) -> Array:
    """Elementwise natural logarithm."""
    return np.log(x)


@log.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(log x)/dx = 1 / x
    return (g / x,)


log.jvp("self_adjoint")


@op("log1p")
def log1p(x: Array) -> Array:
    """Elementwise log(1 + x), accurate for small x."""
    return np.log1p(x)


@log1p.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(log(1 + x))/dx = 1 / (1 + x)
    return (g / (x + 1.0),)


log1p.jvp("self_adjoint")


@op("sqrt")
def sqrt(x: Array) -> Array:
    """Elementwise square root."""
    return np.sqrt(x)


@sqrt.vjp(uses_out=True, reads=())
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(sqrt x)/dx = 1 / (2 sqrt x): reuse the forward output
    # NOTE: inf at x == 0, as PyTorch, without numpy's divide-by-zero warning.
    with np.errstate(divide="ignore"):
        return (g * 0.5 / out,)


sqrt.jvp("self_adjoint")


@op("absolute")
def absolute(x: Array) -> Array:
    """Elementwise |x|."""
    return np.abs(x)


@absolute.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d|x|/dx = sign(x)   NOTE: 0 at x == 0, as PyTorch
    return (g * sign(x),)


absolute.jvp("self_adjoint")


@op("sign")
def sign(x: Array) -> Array:
    """Elementwise sign (-1, 0 or 1); its gradient is 0 (as PyTorch's)."""
    return np.sign(x)


@sign.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d sign(x)/dx = 0 (almost everywhere; PyTorch's 0 at x == 0 too)
    return (_zeros_like(g),)


sign.jvp(_constant_jvp)


@op("sin")
def sin(x: Array) -> Array:
    """Elementwise sine."""
    return np.sin(x)


@sin.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(sin x)/dx = cos x
    return (g * cos(x),)


sin.jvp("self_adjoint")


@op("cos")
def cos(x: Array) -> Array:
    """Elementwise cosine."""
    return np.cos(x)


@cos.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(cos x)/dx = -sin x
    return (-(g * sin(x)),)


cos.jvp("self_adjoint")


# --- more exponentials and logarithms ---------------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


@op("expm1")
def expm1(x: Array) -> Array:
    """Elementwise exp(x) - 1, accurate for small x."""
    return np.expm1(x)


@expm1.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(e**x - 1)/dx = e**x = out + 1
    return (g * (out + 1.0),)


expm1.jvp("self_adjoint")


@op("exp2")
def exp2(x: Array) -> Array:
    """Elementwise 2**x."""
    return np.exp2(x)


@exp2.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(2**x)/dx = 2**x log 2
    return (g * (out * _LN2),)


exp2.jvp("self_adjoint")


@op("log2")
def log2(x: Array) -> Array:
    """Elementwise base-2 logarithm."""
    return np.log2(x)


@log2.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d log2(x)/dx = 1 / (x log 2)
    with np.errstate(divide="ignore"):  # inf at x == 0, as log's
        return (g / (x * _LN2),)


log2.jvp("self_adjoint")


@op("log10")
def log10(x: Array) -> Array:
    """Elementwise base-10 logarithm."""
    return np.log10(x)


@log10.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d log10(x)/dx = 1 / (x log 10)
    with np.errstate(divide="ignore"):
        return (g / (x * _LN10),)


log10.jvp("self_adjoint")


@op("logaddexp")
def logaddexp(x: Array, y: Array) -> Array:
    """log(exp(x) + exp(y)), broadcasting, without overflow (as ``np.logaddexp``)."""
    return np.logaddexp(x, y)


@logaddexp.vjp
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d/dx = exp(x) / (exp(x) + exp(y)) = sigmoid(x - y);  d/dy = sigmoid(y - x)
    # NOTE: the stable sigmoid of the difference, not exp(x - out): x - y is exact where
    # out is rounded (|x| ~ 1e4 would cost 1e-12), and neither overflows for any |x - y|.
    from .activation import sigmoid  # (activation builds on this module)

    gx = g * sigmoid(x - y) if x._rg else None
    gy = g * sigmoid(y - x) if y._rg else None
    return gx, gy


@logaddexp.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d logaddexp(x, y) = sigmoid(x - y) dx + sigmoid(y - x) dy
    from .activation import sigmoid

    dx, dy = d
    tx = None if dx is None else dx * sigmoid(x - y)
    ty = None if dy is None else dy * sigmoid(y - x)
    return tangent_sum(tx, ty)


@op("reciprocal")
def reciprocal(x: Array) -> Array:
    """Elementwise 1 / x (integer division for integers, as ``np.reciprocal``)."""
    return np.reciprocal(x)


@reciprocal.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d(1/x)/dx = -1/x**2 = -out**2
    return (-(g * (out * out)),)


reciprocal.jvp("self_adjoint")


# --- trigonometric and hyperbolic -------------------------------------------------------------


@op("tan")
def tan(x: Array) -> Array:
    """Elementwise tangent."""
    return np.tan(x)


@tan.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d tan(x)/dx = 1 + tan(x)**2
    return (g * (1.0 + out * out),)


tan.jvp("self_adjoint")


@op("arcsin")
def arcsin(x: Array) -> Array:
    """Elementwise inverse sine, in [-pi/2, pi/2]."""
    return np.arcsin(x)


@arcsin.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arcsin(x)/dx = 1 / sqrt(1 - x**2)   NOTE: (1 - x)(1 + x) keeps digits near |x| = 1;
    # inf at |x| == 1, as PyTorch, without numpy's divide-by-zero warning
    with np.errstate(divide="ignore"):
        return (g / sqrt((1.0 - x) * (1.0 + x)),)


arcsin.jvp("self_adjoint")


@op("arccos")
def arccos(x: Array) -> Array:
    """Elementwise inverse cosine, in [0, pi]."""
    return np.arccos(x)


@arccos.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arccos(x)/dx = -1 / sqrt(1 - x**2)
    with np.errstate(divide="ignore"):
        return (-(g / sqrt((1.0 - x) * (1.0 + x))),)


arccos.jvp("self_adjoint")


@op("arctan")
def arctan(x: Array) -> Array:
    """Elementwise inverse tangent, in (-pi/2, pi/2)."""
    return np.arctan(x)


@arctan.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arctan(x)/dx = 1 / (1 + x**2)
    return (g / (1.0 + x * x),)


arctan.jvp("self_adjoint")


@op("arctan2")
def arctan2(x1: Array, x2: Array) -> Array:
    """The angle of the point (x2, x1) in (-pi, pi], broadcasting, as ``np.arctan2``."""
    return np.arctan2(x1, x2)


@arctan2.vjp
def _(g: Tensor, out: Tensor, x1: Tensor, x2: Tensor) -> tuple:
    # d/dx1 = x2 / (x1**2 + x2**2),  d/dx2 = -x1 / (x1**2 + x2**2)
    r2 = _safe_radius2(x1, x2)
    g1 = g * x2 / r2 if x1._rg else None
    g2 = -(g * x1) / r2 if x2._rg else None
    return g1, g2


@arctan2.jvp
def _(d: tuple, out: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    # d arctan2(x1, x2) = (x2 dx1 - x1 dx2) / (x1**2 + x2**2)
    d1, d2 = d
    t1 = None if d1 is None else x2 * d1
    t2 = None if d2 is None else x1 * d2
    return tangent_sum(t1, None if t2 is None else -t2) / _safe_radius2(x1, x2)


def _safe_radius2(x1: Tensor, x2: Tensor) -> Tensor:
    # NOTE: 0 at the origin, as PyTorch: both numerators are 0 there, over a safe 1.
    r2 = x1 * x1 + x2 * x2
    return where(r2 == 0.0, 1.0, r2)


@op("hypot")
def hypot(x1: Array, x2: Array) -> Array:
    """sqrt(x1**2 + x2**2), broadcasting, without overflow (as ``np.hypot``)."""
    return np.hypot(x1, x2)


@hypot.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x1: Tensor, x2: Tensor) -> tuple:
    # d/dx1 = x1 / hypot,  d/dx2 = x2 / hypot
    # NOTE: 0 at the origin (PyTorch gives nan): the subgradient of least norm, the choice
    # linalg.norm makes at 0 as well.
    r = where(out == 0.0, 1.0, out)
    return (g * x1 / r if x1._rg else None), (g * x2 / r if x2._rg else None)


@hypot.jvp
def _(d: tuple, out: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
    # d hypot(x1, x2) = (x1 dx1 + x2 dx2) / hypot   (0 at the origin, as the VJP)
    d1, d2 = d
    t1 = None if d1 is None else x1 * d1
    t2 = None if d2 is None else x2 * d2
    return tangent_sum(t1, t2) / where(out == 0.0, 1.0, out)


@op("sinh")
def sinh(x: Array) -> Array:
    """Elementwise hyperbolic sine."""
    return np.sinh(x)


@sinh.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d sinh(x)/dx = cosh(x)
    return (g * cosh(x),)


sinh.jvp("self_adjoint")


@op("cosh")
def cosh(x: Array) -> Array:
    """Elementwise hyperbolic cosine."""
    return np.cosh(x)


@cosh.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d cosh(x)/dx = sinh(x)
    return (g * sinh(x),)


cosh.jvp("self_adjoint")


@op("arcsinh")
def arcsinh(x: Array) -> Array:
    """Elementwise inverse hyperbolic sine."""
    return np.arcsinh(x)


@arcsinh.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arcsinh(x)/dx = 1 / sqrt(x**2 + 1)
    return (g / sqrt(x * x + 1.0),)


arcsinh.jvp("self_adjoint")


@op("arccosh")
def arccosh(x: Array) -> Array:
    """Elementwise inverse hyperbolic cosine (x >= 1)."""
    return np.arccosh(x)


@arccosh.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arccosh(x)/dx = 1 / sqrt(x**2 - 1) = 1 / sqrt((x - 1)(x + 1)); inf at x == 1
    with np.errstate(divide="ignore"):
        return (g / sqrt((x - 1.0) * (x + 1.0)),)


arccosh.jvp("self_adjoint")


@op("arctanh")
def arctanh(x: Array) -> Array:
    """Elementwise inverse hyperbolic tangent (|x| < 1)."""
    return np.arctanh(x)


@arctanh.vjp
def _(g: Tensor, out: Tensor, x: Tensor) -> tuple:
    # d arctanh(x)/dx = 1 / (1 - x**2) = 1 / ((1 - x)(1 + x)); inf at |x| == 1
    with np.errstate(divide="ignore"):
        return (g / ((1.0 - x) * (1.0 + x)),)


arctanh.jvp("self_adjoint")


# --- rounding (piecewise constant: gradient 0) ------------------------------------------------


@op("floor")
def floor(x: Array) -> Array:
    """Elementwise largest integer <= x; its gradient is 0."""
    return np.floor(x)


@op("ceil")
def ceil(x: Array) -> Array:
    """Elementwise smallest integer >= x; its gradient is 0."""
    return np.ceil(x)


@op("round")
def _round(x: Array, decimals: int = 0) -> Array:
    return np.round(x, decimals)


def round(x: Any, decimals: int = 0) -> Tensor:
    """Round to ``decimals`` decimals, halves to even (as ``np.round``); its gradient is 0."""
    return _round(x, decimals=int(decimals)) if decimals else _round(x)


def _step_vjp(g: Tensor, out: Tensor, x: Tensor, **kwargs: Any) -> tuple:
    # d floor(x)/dx = d ceil(x)/dx = d round(x)/dx = 0, except at the jumps (as PyTorch)
    return (_zeros_like(g),)


floor.vjp(_step_vjp)
ceil.vjp(_step_vjp)
_round.vjp(_step_vjp)
for _step in (floor, ceil, _round):
    _step.jvp(_constant_jvp)


def _zeros_like(g: Tensor) -> Tensor:
    """The gradient of a piecewise-constant op: zeros, a constant (its own derivative is 0)."""
    return _make(np.zeros(g.shape, dtype=g.dtype))


def square(x: Any) -> Tensor:
    """Elementwise x**2."""
    return multiply(x, x)


# --- selection --------------------------------------------------------------------------------


@op("clip")
def _clip(x: Array, lo: Any = None, hi: Any = None) -> Array:
    return np.clip(x, lo, hi)


@_clip.vjp
def _(g: Tensor, out: Tensor, x: Tensor, lo: Any = None, hi: Any = None) -> tuple:
    # d clip(x)/dx = 1 where lo <= x <= hi, else 0 (bounds inclusive, as PyTorch's clamp)
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x.data >= lo
    if hi is not None:
        inside &= x.data <= hi
    return (g * _make(inside),)


_clip.jvp("self_adjoint")


def clip(x: Any, lo: Any = None, hi: Any = None) -> Tensor:
    """Limit values to [lo, hi] (either may be None); the gradient is zero outside."""
    if lo is None and hi is None:
        raise ValueError("clip expects at least one of `lo` and `hi`. Received: both None")
    # lo > hi is allowed: every value becomes hi, with gradient 0 (numpy's and PyTorch's rule)
    if not isinstance(x, Tensor):
        x = as_tensors((x,))[0]
    if any(isinstance(b, Tensor) and b._rg for b in (lo, hi)):
        # a bound that requires grad gets the gradient where it is the result (torch.clamp)
        y = x if lo is None else where(x < lo, lo, x)
        return y if hi is None else where(y > hi, hi, y)
    return _clip(x, lo=_bound(lo, x.dtype), hi=_bound(hi, x.dtype))


def _bound(b: Any, dtype: np.dtype) -> Any:
    if isinstance(b, Tensor):
        b = b.data
    # a scalar bound is weak, like a Python scalar operand: np.float64(1e-7) keeps a float32
    # tensor float32 (numpy would promote the result to float64)
    if isinstance(b, np.generic) and dtype.kind == "f" and b.dtype.kind in "iuf":
        return dtype.type(b)
    return b


@op("where")
def _where(cond: Array, x: Array, y: Array) -> Array:
    return np.where(cond, x, y)


@_where.vjp(reads=(0,))
def _(g: Tensor, out: Tensor, cond: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d where(c, x, y)/dx = c, d/dy = not c
    zero = _make(np.zeros((), dtype=g.dtype))
    gx = where(cond, g, zero) if x._rg else None
    gy = where(cond, zero, g) if y._rg else None
    return None, gx, gy


@_where.jvp
def _(d: tuple, out: Tensor, cond: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d where(c, x, y) = where(c, dx, dy)
    _, dx, dy = d
    zero = _make(np.zeros((), dtype=out.dtype))
    return where(cond, zero if dx is None else dx, zero if dy is None else dy)


def where(cond: Any, x: Any, y: Any) -> Tensor:
    """Elements of ``x`` where ``cond`` holds, else of ``y`` (``cond`` is not differentiated)."""
    if not isinstance(cond, Tensor):
        cond = _make(np.asarray(cond))
    cond = cond if cond.dtype == bool else _make(cond.data.astype(bool))
    x, y = as_tensors((x, y))
    return _where(cond, x, y)


@op("maximum")
def maximum(x: Array, y: Array) -> Array:
    """Elementwise maximum; ties share the gradient equally (as PyTorch)."""
    return np.maximum(x, y)


@maximum.vjp
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d max(x, y)/dx = 1 where x > y, 1/2 where x == y, else 0
    share = _tie_share(x.data > y.data, x.data == y.data, g.dtype)
    return (g * _make(share) if x._rg else None), (g * _make(1.0 - share) if y._rg else None)


@maximum.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d max(x, y) = dx where x > y, dy where x < y, their mean at a tie
    return _shared_tangent(d, _tie_share(x.data > y.data, x.data == y.data, out.dtype))


@op("minimum")
def minimum(x: Array, y: Array) -> Array:
    """Elementwise minimum; ties share the gradient equally (as PyTorch)."""
    return np.minimum(x, y)


@minimum.vjp
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d min(x, y)/dx = 1 where x < y, 1/2 where x == y, else 0
    share = _tie_share(x.data < y.data, x.data == y.data, g.dtype)
    return (g * _make(share) if x._rg else None), (g * _make(1.0 - share) if y._rg else None)


@minimum.jvp
def _(d: tuple, out: Tensor, x: Tensor, y: Tensor) -> Tensor:
    # d min(x, y) = dx where x < y, dy where x > y, their mean at a tie
    return _shared_tangent(d, _tie_share(x.data < y.data, x.data == y.data, out.dtype))


def _tie_share(wins: Array, ties: Array, dtype: np.dtype) -> Array:
    return wins.astype(dtype) + 0.5 * ties.astype(dtype)


def _shared_tangent(d: tuple, share: Array) -> Tensor:
    dx, dy = d
    tx = None if dx is None else dx * _make(share)
    ty = None if dy is None else dy * _make(1.0 - share)
    return tangent_sum(tx, ty)


# --- dtype ------------------------------------------------------------------------------------


@op("astype")
def _astype(x: Array, dtype: np.dtype, copy: bool = False) -> Array:
    return x.astype(dtype, copy=copy)


@_astype.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, dtype: np.dtype, copy: bool = False) -> tuple:
    # the cast is the identity on values; the gradient goes back in the input's dtype
    return (astype(g, x.dtype),)


@_astype.jvp
def _(d: tuple, out: Tensor, x: Tensor, dtype: np.dtype, copy: bool = False) -> Tensor:
    # the tangent is cast as the values are
    return astype(d[0], dtype)


def astype(x: Any, dtype: Any, copy: bool = False) -> Tensor:
    """Convert to ``dtype``; differentiable between float dtypes, a cut to int or bool."""
    dtype = as_dtype(dtype, "astype")
    if not isinstance(x, Tensor):
        x = as_tensors((x,))[0]
    if dtype == x.dtype and not copy:
        return x
    if dtype.kind != "f":
        return _make(x.data.astype(dtype))  # an integer or boolean result carries no gradient
    return _astype(x, dtype=dtype, copy=copy)


# --- comparisons (boolean results, never recorded) --------------------------------------------


@op("less", differentiable=False)
def less(x: Array, y: Array) -> Array:
    """x < y."""
    return x < y


@op("less_equal", differentiable=False)
def less_equal(x: Array, y: Array) -> Array:
    """x <= y."""
    return x <= y


@op("greater", differentiable=False)
def greater(x: Array, y: Array) -> Array:
    """x > y."""
    return x > y


@op("greater_equal", differentiable=False)
def greater_equal(x: Array, y: Array) -> Array:
    """x >= y."""
    return x >= y


@op("equal", differentiable=False)
def equal(x: Array, y: Array) -> Array:
    """x == y."""
    return x == y


@op("not_equal", differentiable=False)
def not_equal(x: Array, y: Array) -> Array:
    """x != y."""
    return x != y


# --- tests of values (boolean results, never recorded) ----------------------------------------


@op("isfinite", differentiable=False)
def isfinite(x: Array) -> Array:
    """Elementwise: neither infinite nor nan."""
    return np.isfinite(x)


@op("isnan", differentiable=False)
def isnan(x: Array) -> Array:
    """Elementwise: nan."""
    return np.isnan(x)


@op("isinf", differentiable=False)
def isinf(x: Array) -> Array:
    """Elementwise: infinite (either sign)."""
    return np.isinf(x)


# --- logic (boolean results, never recorded) ---------------------------------------------------


@op("logical_and", differentiable=False)
def logical_and(x: Array, y: Array) -> Array:
    """Elementwise truth of x and y, broadcasting."""
    return np.logical_and(x, y)


@op("logical_or", differentiable=False)
def logical_or(x: Array, y: Array) -> Array:
    """Elementwise truth of x or y, broadcasting."""
    return np.logical_or(x, y)


@op("logical_xor", differentiable=False)
def logical_xor(x: Array, y: Array) -> Array:
    """Elementwise truth of exactly one of x and y, broadcasting."""
    return np.logical_xor(x, y)


@op("logical_not", differentiable=False)
def logical_not(x: Array) -> Array:
    """Elementwise truth of not x."""
    return np.logical_not(x)


# --- calling the ops ---------------------------------------------------------------------------

# NOTE: the forwards above that are one operator or one ufunc call run as that builtin when
# called (``Op.fast_forward``): the same numpy call, without a Python frame around it (an eighth
# of what a small op costs). ``forward`` stays the function above, which the compiler reads.
for _op, _builtin in (
    (add, operator.add),
    (subtract, operator.sub),
    (multiply, operator.mul),
    (divide, operator.truediv),
    (negative, operator.neg),
    (power, operator.pow),
    (less, operator.lt),
    (less_equal, operator.le),
    (greater, operator.gt),
    (greater_equal, operator.ge),
    (equal, operator.eq),
    (not_equal, operator.ne),
    (exp, np.exp),
    (log, np.log),
    (log1p, np.log1p),
    (sqrt, np.sqrt),
    (absolute, np.abs),
    (sign, np.sign),
    (sin, np.sin),
    (cos, np.cos),
):
    _op.fast_forward(_builtin)
del _op, _builtin
