"""Picking and placing elements: take, take_along_axis, sort, argsort, diagonals and triangles.

Each op gathers values from its input, so its VJP scatters the gradient back (summing where
an element was picked twice), and the scatter's own VJP gathers again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AxisError, IndexingError, ShapeError
from ..op import Tensor, op
from ._axes import normalize_axis
from .reduce import sum
from .shape import _as_tensor, _scatter_add, reshape

Array = np.ndarray


def _index_array(name: str, indices: Any) -> np.ndarray:
    """Integer indices as an ndarray (a Tensor, list or number), else a clear error."""
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise IndexingError(f"{name}: indices must be integers. Received dtype {idx.dtype}")
    return idx


# --- take -------------------------------------------------------------------------------------


@op("take")
def _take(x: Array, indices: Array, axis: int) -> Array:
    return np.take(x, indices, axis=axis)


@_take.vjp
def _(g: Tensor, out: Tensor, x: Tensor, indices: Array, axis: int) -> tuple:
    # each picked element gets its gradient back; picked twice, the sum
    index = (slice(None),) * axis + (indices,)
    return (_scatter_add(g, shape=x.shape, index=index, basic=False),)


_take.jvp("linear")


def take(x: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Tensor:
    """Elements at ``indices`` along ``axis`` (of the flattened tensor when None), as
    ``np.take``; ``mode`` "raise" (negative indices count from the end), "wrap" or "clip"."""
    x = _as_tensor(x)
    idx = _index_array("take", indices)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif x.ndim == 0:  # numpy takes axis 0 or -1 of a 0-d array
        normalize_axis(axis, 0, "take", (), scalar_ok=True)
        x, axis = reshape(x, (1,)), 0
    else:
        axis = normalize_axis(axis, x.ndim, "take", x.shape)
    n = x.shape[axis]
    if mode == "wrap":
        idx = idx % n if n else idx
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip'. Received: mode={mode!r}")
    return _take(x, indices=idx, axis=axis)


def _along_axis(indices: Array, shape: tuple, axis: int) -> tuple:
    """The integer-array index that picks ``indices`` along ``axis`` and every position on
    the other axes: what ``np.take_along_axis`` reads, and where its gradient goes back."""
    ndim = len(shape)
    index: list = []
    for d in range(ndim):
        if d == axis:
            index.append(indices)
        else:
            index.append(np.arange(shape[d]).reshape([-1 if e == d else 1 for e in range(ndim)]))
    return tuple(index)


@op("take_along_axis")
def _take_along_axis(x: Array, indices: Array, axis: int) -> Array:
    return np.take_along_axis(x, indices, axis=axis)


@_take_along_axis.vjp
def _(g: Tensor, out: Tensor, x: Tensor, indices: Array, axis: int) -> tuple:
    # a gather: scatter the gradient back, adding where an index repeats
    index = _along_axis(indices, x.shape, axis)
    return (_scatter_add(g, shape=x.shape, index=index, basic=False),)


_take_along_axis.jvp("linear")


def take_along_axis(x: Any, indices: Any, axis: int | None = -1) -> Tensor:
    """Elements at ``indices`` (same number of dimensions as ``x``) along ``axis``, as
    ``np.take_along_axis`` (the flattened tensor and 1-D indices when None)."""
    x = _as_tensor(x)
    idx = _index_array("take_along_axis", indices)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    else:
        axis = normalize_axis(axis, x.ndim, "take_along_axis", x.shape)
    if idx.ndim != x.ndim:
        raise ShapeError(
            f"take_along_axis: indices need as many dimensions as the tensor. Received "
            f"indices of shape {idx.shape} for a tensor of shape {x.shape}"
        )
    return _take_along_axis(x, indices=idx, axis=axis)


# --- sorting ----------------------------------------------------------------------------------


@op("sort")
def _sort(x: Array, axis: int) -> Array:
    return np.sort(x, axis=axis, kind="stable")


@_sort.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axis: int) -> tuple:
    # sorting permutes: each value's gradient goes back to where the value came from
    # NOTE: the permutation of a stable sort, so equal values keep their order; any order of
    # ties gives the same values, and this one is the one np.argsort(kind="stable") reports
    order = np.argsort(x.data, axis=axis, kind="stable")
    index = _along_axis(order, x.shape, axis)
    return (_scatter_add(g, shape=x.shape, index=index, basic=True),)  # a permutation


@_sort.jvp
def _(d: tuple, out: Tensor, x: Tensor, axis: int) -> Tensor:
    # each tangent goes along with its value, through the permutation of the (stable) sort
    order = np.argsort(x.data, axis=axis, kind="stable")
    return _take_along_axis(d[0], indices=order, axis=axis)


def _sort_axis(name: str, x: Tensor, axis: int | None) -> tuple:
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, normalize_axis(axis, x.ndim, name, x.shape)


def sort(x: Any, axis: int | None = -1, kind: str | None = None) -> Tensor:
    """A sorted copy along ``axis`` (of the flattened tensor when None), as ``np.sort``;
    differentiable: each gradient goes back through the permutation. ``kind`` is accepted
    for numpy's signature; the sort is always stable."""
    x, a = _sort_axis("sort", _as_tensor(x), axis)
    return _sort(x, axis=a)


@op("argsort", differentiable=False)
def _argsort(x: Array, axis: int) -> Array:
    return np.argsort(x, axis=axis, kind="stable")


def argsort(x: Any, axis: int | None = -1, kind: str | None = None) -> Tensor:
    """The indices that sort along ``axis`` (stable: ties keep their order), as
    ``np.argsort``; not differentiable."""
    x, a = _sort_axis("argsort", _as_tensor(x), axis)
    return _argsort(x, axis=a)


# --- diagonals and triangles ------------------------------------------------------------------


def _diagonal_positions(shape: tuple, offset: int, axis1: int, axis2: int) -> tuple:
    n1, n2 = shape[axis1], shape[axis2]
    rows = np.arange(max(0, -offset), max(0, min(n1, n2 - offset)))
    return rows, rows + offset


@op("diagonal")
def _diagonal(x: Array, offset: int, axis1: int, axis2: int) -> Array:
    # a copy: np.diagonal's result is a read-only view
    return np.diagonal(x, offset, axis1, axis2).copy()


@_diagonal.vjp
def _(g: Tensor, out: Tensor, x: Tensor, offset: int, axis1: int, axis2: int) -> tuple:
    # each diagonal element goes back to its place; the rest of the input gets 0
    return (_diag_embed(g, shape=x.shape, offset=offset, axis1=axis1, axis2=axis2),)


_diagonal.jvp("linear")


@op("diag_embed")
def _diag_embed(g: Array, shape: tuple, offset: int, axis1: int, axis2: int) -> Array:
    out = np.zeros(shape, dtype=g.dtype)
    rows, cols = _diagonal_positions(shape, offset, axis1, axis2)
    # a view with the two axes last, where np.diagonal puts the diagonal
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = g
    return out


@_diag_embed.vjp
def _(
    g: Tensor, out: Tensor, x: Tensor, shape: tuple, offset: int, axis1: int, axis2: int
) -> tuple:
    # the adjoint of placing on a diagonal is reading it
    return (_diagonal(g, offset=offset, axis1=axis1, axis2=axis2),)


_diag_embed.jvp("linear")


def _diagonal_axes(name: str, x: Tensor, axis1: int, axis2: int) -> tuple:
    if x.ndim < 2:
        raise ShapeError(f"{name}: needs at least 2 dimensions. Received shape {x.shape}")
    a = normalize_axis(axis1, x.ndim, name, x.shape)
    b = normalize_axis(axis2, x.ndim, name, x.shape)
    if a == b:
        raise AxisError(f"{name}: axis1 and axis2 must differ. Received: {axis1}, {axis2}")
    return a, b


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the matrices on ``axis1`` and ``axis2``, as a last axis
    (as ``np.diagonal``)."""
    x = _as_tensor(x)
    a, b = _diagonal_axes("diagonal", x, axis1, axis2)
    return _diagonal(x, offset=int(offset), axis1=a, axis2=b)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the ``offset`` diagonal, as ``np.trace``."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(v: Any, k: int = 0) -> Tensor:
    """The ``k``-th diagonal of a 2-D tensor, or a 2-D tensor with a 1-D one on its ``k``-th
    diagonal, as ``np.diag``."""
    v = _as_tensor(v)
    k = int(k)
    if v.ndim == 1:
        n = v.shape[0] + abs(k)
        return _diag_embed(v, shape=(n, n), offset=k, axis1=0, axis2=1)
    if v.ndim == 2:
        return _diagonal(v, offset=k, axis1=0, axis2=1)
    raise ShapeError(f"diag: input must be 1-D or 2-D. Received shape {v.shape}")


@op("tril")
def _tril(x: Array, k: int) -> Array:
    return np.tril(x, k)


@_tril.vjp
def _(g: Tensor, out: Tensor, x: Tensor, k: int) -> tuple:
    # keeping a triangle is a mask: the gradient keeps the same triangle
    return (_tril(g, k=k),)


_tril.jvp("linear")


@op("triu")
def _triu(x: Array, k: int) -> Array:
    return np.triu(x, k)


@_triu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, k: int) -> tuple:
    # the same mask, upper triangle
    return (_triu(g, k=k),)


_triu.jvp("linear")


def _triangle_input(name: str, x: Any) -> Tensor:
    x = _as_tensor(x)
    if x.ndim == 0:
        raise ShapeError(f"{name}: needs at least 1 dimension. Received shape ()")
    return x


def tril(x: Any, k: int = 0) -> Tensor:
    """The lower triangle (at and below the ``k``-th diagonal) of the last two axes, zeros
    above, as ``np.tril`` (a 1-D input gives a square matrix, as numpy's)."""
    return _tril(_triangle_input("tril", x), k=int(k))


def triu(x: Any, k: int = 0) -> Tensor:
    """The upper triangle (at and above the ``k``-th diagonal) of the last two axes, as
    ``np.triu``."""
    return _triu(_triangle_input("triu", x), k=int(k))
