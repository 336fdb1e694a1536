"""Reductions over any axes, with keepdims: sum, mean, max, min, var, std, logsumexp."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..op import Tensor, _make, op
from ._axes import normalize_axes
from .elementwise import where
from .shape import _broadcast_to, _reshape

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
    shape = x.data.shape  # the arrays' shapes: cheaper than the Tensor properties
    return g if g.data.shape == shape else _broadcast_to(g, shape=shape)


def _as_tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor or isinstance(x, Tensor) else Tensor(x)


@op("sum")
def _sum(x: Array, axes: tuple, keepdims: bool) -> Array:
    return x.sum(axis=axes, keepdims=keepdims)  # the method skips np.sum's Python wrapper


@_sum.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d sum(x)/dx_i = 1: the gradient is copied along the reduced axes
    return (_expand(g, x, axes, keepdims),)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None), as ``np.sum``."""
    x = _as_tensor(x)
    if axis is None:  # the common case (a loss), without the general axis checks
        return _sum(x, axes=tuple(range(x.data.ndim)), keepdims=keepdims)
    return _sum(x, axes=normalize_axes(axis, x.ndim, "sum", x.shape), keepdims=keepdims)


@op("mean")
def _mean(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.mean(x, axis=axes, keepdims=keepdims)


@_mean.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d mean(x)/dx_i = 1 / n, n the number of elements reduced
    n = math.prod(x.shape[a] for a in axes)
    return (_expand(g / n, x, axes, keepdims),)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None), as ``np.mean``."""
    x = _as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "mean", x.shape)
    if x.size == 0 or any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"mean: cannot average over an empty axis of shape {x.shape}")
    return _mean(x, axes=axes, keepdims=keepdims)


def _extremum_vjp(g: Tensor, out: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    # d max(x)/dx_i = 1 at the maximum, 0 elsewhere   NOTE: ties share it equally, as
    # PyTorch's amax/amin, so the gradient still sums to g.
    kept = out.data if keepdims else out.data.reshape(_kept_shape(x.shape, axes))
    hit = x.data == kept
    share = hit / hit.sum(axis=axes, keepdims=True)
    return (_expand(g, x, axes, keepdims) * _make(share.astype(x.dtype)),)


@op("max")
def _max(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.max(x, axis=axes, keepdims=keepdims)


_max.vjp(_extremum_vjp, uses_out=True)


@op("min")
def _min(x: Array, axes: tuple, keepdims: bool) -> Array:
    return np.min(x, axis=axes, keepdims=keepdims)


_min.vjp(_extremum_vjp, uses_out=True)


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
    # NOTE: 0 where std == 0 (all values of the slice equal), as PyTorch: the formula is 0/0
    # there, and std's slope is 1 in every direction that spreads the values apart, so 0 is
    # the subgradient of least norm (sqrt(var) would give 0 * inf = nan).
    n = math.prod(x.shape[a] for a in axes)
    kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
    flat = kept.data == 0
    scale = where(flat, 0.0, 1.0 / (where(flat, 1.0, kept) * float(n - ddof)))
    d = x - mean(x, axes, keepdims=True)
    return (_expand(g, x, axes, keepdims) * d * scale,)


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


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, without overflow."""
    x = _as_tensor(x)
    return _logsumexp(x, axes=_reduce_nonempty("logsumexp", x, axis), keepdims=keepdims)


@op("argmax", differentiable=False)
def _argmax(x: Array, axis: Any) -> Array:
    return np.argmax(x, axis=axis)


@op("argmin", differentiable=False)
def _argmin(x: Array, axis: Any) -> Array:
    return np.argmin(x, axis=axis)


def argmax(x: Any, axis: int | None = None) -> Tensor:
    """Indices of the maxima along ``axis`` (of the flattened tensor when None)."""
    x = _as_tensor(x)
    if axis is not None:
        normalize_axes(axis, x.ndim, "argmax", x.shape)
    return _argmax(x, axis=axis)


def argmin(x: Any, axis: int | None = None) -> Tensor:
    """Indices of the minima along ``axis`` (of the flattened tensor when None)."""
    x = _as_tensor(x)
    if axis is not None:
        normalize_axes(axis, x.ndim, "argmin", x.shape)
    return _argmin(x, axis=axis)
