"""Reductions over any axes, with keepdims: sum, mean, max, min, var, std, logsumexp, prod,
any, all, argmax, argmin; and the cumulative sums and products."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dtypes import as_float
from ..op import Tensor, _make, op
from ._axes import normalize_axes, normalize_axis
from .elementwise import where
from .shape import _broadcast_to, _flip, _reshape, concatenate, flip, reshape, transpose

Array = np.ndarray


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    """The output shape with keepdims=True: reduced axes become 1."""
    return tuple([1 if i in axes else n for i, n in enumerate(shape)])


def _expand(g: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    """The gradient of a reduction spread back over the reduced axes of ``x``."""
    # the internal ops directly: the public reshape/broadcast_to re-validate their arguments.
    # Reduced leading axes need no reshape: broadcasting puts them back by itself.
    # (axes are sorted and distinct, so they are the leading ones when the last is len - 1)
    if not keepdims and axes and axes[-1] != len(axes) - 1:
        g = _reshape(g, shape=_kept_shape(x.shape, axes))
    shape = x._data.shape  # the arrays' shapes: cheaper than the Tensor properties
    return g if g._data.shape == shape else _broadcast_to(g, shape=shape)


def _as_tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor or isinstance(x, Tensor) else Tensor(x)


_add_reduce: Any = np.add.reduce  # (numpy's stubs reject a tuple of axes here)


@op("sum")
def _sum(x: Array, axes: tuple, keepdims: bool) -> Array:
    # NOTE: the ufunc's reduction itself: np.sum and the ndarray.sum method both reach it
    # through a Python wrapper (numpy's _methods._sum), and every loss comes through here
    return _add_reduce(x, axes, None, None, keepdims)


@_sum.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d sum(x)/dx_i = 1: the gradient is copied along the reduced axes
    return (_expand(g, x, axes, keepdims),)


_sum.jvp("linear")


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None), as ``np.sum``."""
    x = _as_tensor(x)
    if axis is None:  # the common case (a loss), without the general axis checks
        return _sum(x, axes=tuple(range(x._data.ndim)), keepdims=keepdims)
    return _sum(x, axes=normalize_axes(axis, x.ndim, "sum", x.shape), keepdims=keepdims)


@op("mean")
def _mean(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.mean(x, axis=axes, keepdims=keepdims)


@_mean.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d mean(x)/dx_i = 1 / n, n the number of elements reduced
    n = math.prod(x.shape[a] for a in axes)
    return (_expand(g / n, x, axes, keepdims),)


_mean.jvp("linear")


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None), as ``np.mean``."""
    x = _as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "mean", x.shape)
    if x.size == 0 or 0 in [x.shape[a] for a in axes]:
        raise ValueError(f"mean: cannot average over an empty axis of shape {x.shape}")
    return _mean(x, axes=axes, keepdims=keepdims)


def _extremum_vjp(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d max(x)/dx_i = 1 at the maximum, 0 elsewhere
    return (_expand(g, x, axes, keepdims) * _extremum_share(out, x, axes, keepdims),)


def _extremum_jvp(d: tuple, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    # d max(x) = the tangent at the maximum (the mean of those at tied maxima)
    return _sum(d[0] * _extremum_share(out, x, axes, keepdims), axes=axes, keepdims=keepdims)


def _extremum_share(out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    """The share of each element in the slope of its slice's maximum (or minimum)."""
    # NOTE: ties share it equally, as PyTorch's amax/amin, so the gradient still sums to g.
    kept = out.data if keepdims else out.data.reshape(_kept_shape(x.shape, axes))
    hit = x.data == kept
    share = hit / hit.sum(axis=axes, keepdims=True)
    return _make(share.astype(x.dtype))


@op("max")
def _max(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.max(x, axis=axes, keepdims=keepdims)


_max.vjp(_extremum_vjp, uses_out=True)
_max.jvp(_extremum_jvp)


@op("min")
def _min(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.min(x, axis=axes, keepdims=keepdims)


_min.vjp(_extremum_vjp, uses_out=True)
_min.jvp(_extremum_jvp)


def _reduce_nonempty(name: str, x: Tensor, axis: Any) -> tuple:
    axes = normalize_axes(axis, x.ndim, name, x.shape)
    if x.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    return axes


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (all axes when None), as ``np.max``."""
    x = _as_tensor(x)
    return _max(x, axes=_reduce_nonempty("max", x, axis), keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (all axes when None), as ``np.min``."""
    x = _as_tensor(x)
    return _min(x, axes=_reduce_nonempty("min", x, axis), keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis``, as ``np.var`` (``ddof=1`` for the unbiased estimate)."""
    x = _as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "var", x.shape)
    n = math.prod(x.shape[a] for a in axes)
    if n - ddof <= 0:
        raise ValueError(f"var: {n} elements with ddof={ddof} leave no degrees of freedom")
    d = x - mean(x, axes, keepdims=True)
    return sum(d * d, axes, keepdims) / (n - ddof)


@op("std")
def _std(x: Array, axes: tuple, keepdims: bool, ddof: int) -> Array:
    return np.std(x, axis=axes, keepdims=keepdims, ddof=ddof)


@_std.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool, ddof: int) -> tuple:
    # d std(x)/dx_i = (x_i - mean(x)) / ((n - ddof) * std(x))
    return (_expand(g, x, axes, keepdims) * _std_slope(out, x, axes, keepdims, ddof),)


@_std.jvp
def _(d: tuple, out: Tensor, x: Tensor, axes: tuple, keepdims: bool, ddof: int) -> Tensor:
    # d std = sum((x_i - mean(x)) dx_i) / ((n - ddof) * std)
    slope = _std_slope(out, x, axes, keepdims, ddof)
    return _sum(d[0] * slope, axes=axes, keepdims=keepdims)


def _std_slope(out: Tensor, x: Tensor, axes: tuple, keepdims: bool, ddof: int) -> Tensor:
    """d std(x)/dx_i, for every element of x."""
    # NOTE: 0 where std == 0 (all values of the slice equal), as PyTorch: the formula is 0/0
    # there, and std's slope is 1 in every direction that spreads the values apart, so 0 is
    # the subgradient of least norm (sqrt(var) would give 0 * inf = nan).
    n = math.prod(x.shape[a] for a in axes)
    kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
    flat = kept.data == 0
    scale = where(flat, 0.0, 1.0 / (where(flat, 1.0, kept) * float(n - ddof)))
    return (x - mean(x, axes, keepdims=True)) * scale


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis``, as ``np.std``; its gradient is 0 where every value
    of a slice is equal (as PyTorch's)."""
    x = _as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "std", x.shape)
    n = math.prod(x.shape[a] for a in axes)
    if n - ddof <= 0:
        raise ValueError(f"std: {n} elements with ddof={ddof} leave no degrees of freedom")
    return _std(x, axes=axes, keepdims=keepdims, ddof=ddof)


@op("logsumexp")
def _logsumexp(x: Array, axes: tuple, keepdims: bool) -> Array:
    # NOTE: shift by the max so exp() cannot overflow; an all -inf slice gives -inf.
    x = as_float(x)  # (an unsigned integer's x - max wraps around)
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
    with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf slice, as documented
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else out.reshape([n for i, n in enumerate(out.shape) if i not in axes])


@_logsumexp.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d logsumexp(x)/dx_i = exp(x_i - logsumexp(x)) = softmax(x)_i
    kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
    return (_expand(g, x, axes, keepdims) * (x - kept).exp(),)


@_logsumexp.jvp
def _(d: tuple, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    # d logsumexp(x) = sum(softmax(x)_i dx_i)
    kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
    return _sum(d[0] * (x - kept).exp(), axes=axes, keepdims=keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, without overflow."""
    x = _as_tensor(x)
    return _logsumexp(x, axes=_reduce_nonempty("logsumexp", x, axis), keepdims=keepdims)


@op("argmax", differentiable=False)
def _argmax(x: Array, axis: Any, keepdims: bool) -> Array:
    return np.argmax(x, axis=axis, keepdims=keepdims)


@op("argmin", differentiable=False)
def _argmin(x: Array, axis: Any, keepdims: bool) -> Array:
    return np.argmin(x, axis=axis, keepdims=keepdims)


def _arg_axis(name: str, x: Tensor, axis: Any) -> Any:
    if axis is None:
        if x.size == 0:
            raise ValueError(f"{name}: an empty tensor of shape {x.shape} has no {name[3:]}imum")
        return None
    if x.ndim == 0:
        normalize_axes(axis, 0, name, ())  # 0 or -1, as numpy
        return axis
    a = normalize_axis(axis, x.ndim, name, x.shape)
    if x.shape[a] == 0:
        raise ValueError(f"{name}: axis {axis} of a tensor of shape {x.shape} is empty")
    return a


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Indices of the maxima along ``axis`` (of the flattened tensor when None); not
    differentiable. ``keepdims`` keeps the reduced axis (every axis for None) as length 1."""
    x = _as_tensor(x)
    return _argmax(x, axis=_arg_axis("argmax", x, axis), keepdims=bool(keepdims))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Indices of the minima along ``axis`` (of the flattened tensor when None); not
    differentiable."""
    x = _as_tensor(x)
    return _argmin(x, axis=_arg_axis("argmin", x, axis), keepdims=bool(keepdims))


# --- logical reductions (boolean results, never recorded) -------------------------------------
# (any and all are numpy's names: below this point the builtins are not used in this module)


@op("any", differentiable=False)
def _any(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.any(x, axis=axes, keepdims=keepdims)


@op("all", differentiable=False)
def _all(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.all(x, axis=axes, keepdims=keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is true (nonzero), as ``np.any``; not differentiable."""
    x = _as_tensor(x)
    return _any(x, axes=normalize_axes(axis, x.ndim, "any", x.shape), keepdims=bool(keepdims))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is true (nonzero), as ``np.all``; not
    differentiable."""
    x = _as_tensor(x)
    return _all(x, axes=normalize_axes(axis, x.ndim, "all", x.shape), keepdims=bool(keepdims))


# --- products ---------------------------------------------------------------------------------


@op("prod")
def _prod(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.prod(x, axis=axes, keepdims=keepdims)


@_prod.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d prod(x)/dx_i = the product of the other elements of x_i's slice
    return (_expand(g, x, axes, keepdims) * _prod_slope(out, x, axes, keepdims),)


@_prod.jvp
def _(d: tuple, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    # d prod(x) = sum(dx_i * the product of the others)
    return _sum(d[0] * _prod_slope(out, x, axes, keepdims), axes=axes, keepdims=keepdims)


def _prod_slope(out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    """For each element, the product of the other elements of its slice over ``axes``."""
    if out.data.all():
        kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
        return kept / x
    # NOTE: a zero product (a zero in the slice, or an underflow) makes prod / x_i 0/0 or 0:
    # multiply the products of the elements before and after i instead (exact with one zero
    # or several, and written in ops, so the second derivative is exact too).
    return _others_product(x, axes)


def _others_product(x: Tensor, axes: tuple) -> Tensor:
    """For each element, the product of the other elements of its slice over ``axes``."""
    rest = [a for a in range(x.ndim) if a not in axes]
    perm = (*rest, *axes)
    moved = transpose(x, perm)
    lead = moved.shape[: len(rest)]
    flat = reshape(moved, (*lead, -1))  # the reduced elements on one last axis
    one = _make(np.ones((*lead, 1), dtype=x.dtype))
    before = concatenate([one, cumprod(flat[..., :-1], axis=-1)], axis=-1)
    after = flip(concatenate([one, cumprod(flip(flat, -1)[..., :-1], axis=-1)], axis=-1), -1)
    others = reshape(before * after, moved.shape)
    return transpose(others, tuple(np.argsort(perm).tolist()))


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (all axes when None), as ``np.prod``; the gradient is exact
    with zeros in a slice."""
    x = _as_tensor(x)
    return _prod(x, axes=normalize_axes(axis, x.ndim, "prod", x.shape), keepdims=keepdims)


# --- cumulative sums and products -------------------------------------------------------------


def _reverse_cumsum(v: Tensor, axis: int) -> Tensor:
    """sum of v[k] for k >= i along ``axis``: the adjoint of a cumulative sum."""
    return _flip(_cumsum(_flip(v, axes=(axis,)), axis=axis), axes=(axis,))


@op("cumsum")
def _cumsum(x: Array, axis: int) -> Array:
    return np.cumsum(x, axis=axis)


@_cumsum.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d cumsum(x)_k/dx_i = 1 for k >= i: the gradient is the reversed cumulative sum of g
    return (_reverse_cumsum(g, axis),)


_cumsum.jvp("linear")


@op("cumprod")
def _cumprod(x: Array, axis: int) -> Array:
    return np.cumprod(x, axis=axis)


@_cumprod.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # d cumprod(x)_k/dx_i = prod(x_j for j <= k, j != i) for k >= i, so
    # grad_i = sum_{k >= i} g_k out_k / x_i  where x_i != 0
    # (as PyTorch: a product that underflows to 0 with no zero factor loses its digits here)
    return (_cumprod_grad(g, x, out, axis),)


@_cumprod.jvp
def _(d: tuple, out: Tensor, x: Tensor, axis: int) -> Tensor:
    # d cumprod(x)_k = sum_{i <= k} dx_i prod_{j <= k, j != i} x_j
    return _cumprod_tangent(d[0], x, out, axis)


def _cumprod_grad(g: Tensor, x: Tensor, out: Tensor, axis: int) -> Tensor:
    """The gradient of ``out = cumprod(x)``, exact with zeros, in ops (for the second order)."""
    zero = x.data == 0
    if not zero.any():
        return _reverse_cumsum(g * out, axis) / x
    # NOTE: with zeros, split each slice at its first zero z (as PyTorch). Before z the
    # formula above holds (x_i != 0 there, and out_k = 0 from z on). At z, x_z's own factor
    # is left out by putting a 1 in its place. After z every product holds the factor x_z:
    # x_z times the same gradient for the slice with that 1, which has one zero fewer. The
    # value there is 0, but its derivative by x_z is not: keeping the factor keeps the
    # second derivative exact.
    n = x.shape[axis]
    first = np.where(zero.any(axis=axis, keepdims=True), zero.argmax(axis=axis, keepdims=True), n)
    index = np.arange(n).reshape([n if a == axis else 1 for a in range(x.ndim)])
    before, at = index < first, index == first
    head = _reverse_cumsum(g * out, axis) / where(before, x, 1.0)
    lifted = where(at, 1.0, x)  # x with each slice's first zero replaced by 1
    lifted_out = cumprod(lifted, axis)
    at_zero = _reverse_cumsum(g * lifted_out, axis)
    x_at_zero = sum(where(at, x, 0.0), (axis,), keepdims=True)
    after = x_at_zero * _cumprod_grad(g, lifted, lifted_out, axis)
    return where(before, head, where(at, at_zero, after))


def _cumprod_tangent(dx: Tensor, x: Tensor, out: Tensor, axis: int) -> Tensor:
    """The tangent of ``out = cumprod(x)``, exact with zeros, in ops (for the second order)."""
    zero = x.data == 0
    if not zero.any():
        return out * _cumsum(dx / x, axis=axis)
    # NOTE: with zeros, split each slice at its first zero z, as _cumprod_grad does. Before z
    # the formula above holds. From z on, every product holds the factor x_z: the terms
    # without it are dx_z times the products with x_z replaced by 1, and those with it are
    # x_z times the same tangent for the slice with that 1 (one zero fewer, and dx_z
    # dropped): 0 in value, but not in its derivative by x_z.
    n = x.shape[axis]
    first = np.where(zero.any(axis=axis, keepdims=True), zero.argmax(axis=axis, keepdims=True), n)
    index = np.arange(n).reshape([n if a == axis else 1 for a in range(x.ndim)])
    before, at = index < first, index == first
    head = out * _cumsum(dx / where(before, x, 1.0), axis=axis)
    lifted = where(at, 1.0, x)
    lifted_out = cumprod(lifted, axis)
    x_at_zero = sum(where(at, x, 0.0), (axis,), keepdims=True)
    dx_at_zero = sum(where(at, dx, 0.0), (axis,), keepdims=True)
    rest = _cumprod_tangent(where(at, 0.0, dx), lifted, lifted_out, axis)
    return where(before, head, dx_at_zero * lifted_out + x_at_zero * rest)


def _cumulative_axis(name: str, x: Tensor, axis: Any) -> tuple:
    if axis is None:  # numpy flattens
        return reshape(x, (-1,)), 0
    if x.ndim == 0:  # numpy takes axis 0 or -1 and gives shape (1,)
        normalize_axes(axis, 0, name, ())
        return reshape(x, (1,)), 0
    return x, normalize_axis(axis, x.ndim, name, x.shape)


def cumsum(x: Any, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor when None), as ``np.cumsum``."""
    x, a = _cumulative_axis("cumsum", _as_tensor(x), axis)
    return _cumsum(x, axis=a)


def cumprod(x: Any, axis: int | None = None) -> Tensor:
    """Cumulative product along ``axis`` (of the flattened tensor when None), as
    ``np.cumprod``; the gradient is exact with zeros."""
    x, a = _cumulative_axis("cumprod", _as_tensor(x), axis)
    return _cumprod(x, axis=a)
