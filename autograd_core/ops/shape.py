"""Shape and indexing: reshape, transpose, broadcast_to, indexing, concatenate, stack.

These move values around without changing them, so each VJP moves the gradient back.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import ShapeError
from ..op import Tensor, as_tensors, op
from ._axes import normalize_axes, normalize_axis

Array = np.ndarray


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --- reshape ----------------------------------------------------------------------------------


@op("reshape")
def _reshape(x: Array, shape: tuple) -> Array:
    return x.reshape(shape)


@_reshape.vjp
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple) -> tuple:
    # reshape moves no values: the gradient takes the input's shape back
    return (g.reshape(x.shape),)


def reshape(x: Any, shape: Any) -> Tensor:
    """The same data in a new shape; one dimension may be -1 (as ``np.reshape``)."""
    x = _as_tensor(x)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    known = math.prod(s for s in shape if s != -1)
    if (
        shape.count(-1) > 1
        or any(s < -1 for s in shape)
        or (x.size != known if -1 not in shape else (known == 0 or x.size % known))
    ):
        raise ShapeError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {shape}"
        )
    if shape == x.shape:
        return x
    return _reshape(x, shape=shape)


def flatten(x: Any) -> Tensor:
    """The data as one dimension."""
    return reshape(x, (-1,))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of length one (all of them when ``axis`` is None)."""
    x = _as_tensor(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes(axis, x.ndim, "squeeze", x.shape)
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(
                    f"squeeze: axis {a} of a tensor of shape {x.shape} has length "
                    f"{x.shape[a]}, not 1"
                )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert axes of length one at ``axis`` (as ``np.expand_dims``)."""
    x = _as_tensor(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


# --- transpose --------------------------------------------------------------------------------


@op("transpose")
def _transpose(x: Array, axes: tuple) -> Array:
    return np.transpose(x, axes)


@_transpose.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple) -> tuple:
    # the inverse permutation puts each gradient entry back where its value came from
    return (_transpose(g, axes=tuple(np.argsort(axes).tolist())),)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None), as ``np.transpose``."""
    x = _as_tensor(x)
    if axes is None:
        axes = tuple(range(x.ndim - 1, -1, -1))
    else:
        axes = tuple(int(a) for a in axes)
        if sorted(a % x.ndim if -x.ndim <= a < x.ndim else -1 for a in axes) != list(range(x.ndim)):
            raise ShapeError(
                f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
        axes = tuple(a % x.ndim for a in axes)
    if x.ndim < 2:
        return x
    return _transpose(x, axes=axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = _as_tensor(x)
    a = normalize_axis(axis1, x.ndim, "swapaxes", x.shape)
    b = normalize_axis(axis2, x.ndim, "swapaxes", x.shape)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


# --- reversing -------------------------------------------------------------------------------


@op("flip")
def _flip(x: Array, axes: tuple) -> Array:
    return np.flip(x, axes)


@_flip.vjp
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple) -> tuple:
    # flipping is its own inverse: the gradient is flipped back
    return (_flip(g, axes=axes),)


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None), as ``np.flip``."""
    x = _as_tensor(x)
    return _flip(x, axes=normalize_axes(axis, x.ndim, "flip", x.shape))


# --- broadcast_to -----------------------------------------------------------------------------


@op("broadcast_to")
def _broadcast_to(x: Array, shape: tuple) -> Array:
    # NOTE: np.broadcast_to costs ~5 µs (Python around nditer) and every reduction's VJP
    # comes here; a small result is cheaper to fill than to view.
    if math.prod(shape) <= 4096:
        out = np.empty(shape, x.dtype)
        out[...] = x  # raises numpy's broadcasting error for incompatible shapes
        return out
    return np.broadcast_to(x, shape)


@_broadcast_to.vjp
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple) -> tuple:
    # each input value was copied along the new axes: the engine sums the gradient back
    return (g,)


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Broadcast to ``shape``, as ``np.broadcast_to``."""
    x = _as_tensor(x)
    shape = tuple(int(s) for s in shape)
    if shape == x.shape:
        return x
    return _broadcast_to(x, shape=shape)


# --- indexing ---------------------------------------------------------------------------------


def _is_basic(index: tuple) -> bool:
    """True for ints, slices, None and Ellipsis only: each element is picked at most once."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in index)


def _normalize_index(index: Any) -> tuple:
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype.kind not in "biu":
            raise TypeError(
                f"getitem: an index array must hold integers or booleans. Received dtype {i.dtype}"
            )
        out.append(i)
    return tuple(out)


@op("getitem")
def _getitem(x: Array, index: tuple, basic: bool) -> Array:
    return x[index]


@_getitem.vjp
def _(g: Tensor, out: Tensor, x: Tensor, index: tuple, basic: bool) -> tuple:
    # each picked element gets its gradient back; elements picked twice get the sum
    return (_scatter_add(g, shape=x.shape, index=index, basic=basic),)


@op("scatter_add")
def _scatter_add(g: Array, shape: tuple, index: tuple, basic: bool) -> Array:
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


@_scatter_add.vjp
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple, index: tuple, basic: bool) -> tuple:
    # the adjoint of scattering is gathering
    return (_getitem(g, index=index, basic=basic),)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with numpy's basic and advanced (integer array, boolean mask) indexing."""
    x = _as_tensor(x)
    index = _normalize_index(index)
    return _getitem(x, index=index, basic=_is_basic(index))


# --- joining ----------------------------------------------------------------------------------


@op("concatenate")
def _concatenate(*xs: Array, axis: int) -> Array:
    return np.concatenate(xs, axis=axis)


@_concatenate.vjp
def _(g: Tensor, out: Tensor, *xs: Tensor, axis: int) -> tuple:
    # each input gets back the slice of the gradient where its values went
    grads: list[Tensor | None] = []
    start = 0
    for x in xs:
        stop = start + x.shape[axis]
        if x._rg:
            grads.append(g[(slice(None),) * axis + (slice(start, stop),)])
        else:
            grads.append(None)
        start = stop
    return tuple(grads)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``np.concatenate``."""
    ts = as_tensors(tuple(tensors))
    if not ts:
        raise ValueError("concatenate expects at least one tensor. Received: an empty sequence")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ShapeError("concatenate: zero-dimensional tensors cannot be concatenated")
    for t in ts:
        if t.ndim != ndim:
            raise ShapeError(
                f"concatenate: all tensors need the same number of dimensions. Received shapes "
                f"{[t.shape for t in ts]}"
            )
    axis = normalize_axis(axis, ndim, "concatenate", ts[0].shape)
    return _concatenate(*ts, axis=axis)


@op("stack")
def _stack(*xs: Array, axis: int) -> Array:
    return np.stack(xs, axis=axis)


@_stack.vjp
def _(g: Tensor, out: Tensor, *xs: Tensor, axis: int) -> tuple:
    # input i became slice i along the new axis
    lead = (slice(None),) * axis
    return tuple(g[lead + (i,)] if x._rg else None for i, x in enumerate(xs))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis, as ``np.stack``."""
    ts = as_tensors(tuple(tensors))
    if not ts:
        raise ValueError("stack expects at least one tensor. Received: an empty sequence")
    shapes = {t.shape for t in ts}
    if len(shapes) != 1:
        raise ShapeError(
            f"stack: all tensors need the same shape. Received shapes {[t.shape for t in ts]}"
        )
    axis = normalize_axis(axis, ts[0].ndim + 1, "stack", ts[0].shape)
    return _stack(*ts, axis=axis)
