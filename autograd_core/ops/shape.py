"""Shape and indexing: reshape, transpose, flip, broadcast_to, indexing, concatenate, stack,
moveaxis, roll, tile, repeat, pad, split.

These move values around without changing them, so each VJP moves the gradient back.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import AxisError, ShapeError
from ..op import Tensor, _make, as_tensors, op
from ._axes import normalize_axes, normalize_axis

Array = np.ndarray


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# --- reshape ----------------------------------------------------------------------------------


@op("reshape", view=True)
def _reshape(x: Array, shape: tuple) -> Array:
    return x.reshape(shape)


@_reshape.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple) -> tuple:
    # reshape moves no values: the gradient takes the input's shape back
    return (g.reshape(x.shape),)


_reshape.jvp("linear")


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


@op("transpose", view=True)
def _transpose(x: Array, axes: tuple) -> Array:
    return np.transpose(x, axes)


@_transpose.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, axes: tuple) -> tuple:
    # the inverse permutation puts each gradient entry back where its value came from
    return (_transpose(g, axes=tuple(np.argsort(axes).tolist())),)


_transpose.jvp("linear")


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


_flip.jvp("linear")


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None), as ``np.flip``."""
    x = _as_tensor(x)
    return _flip(x, axes=normalize_axes(axis, x.ndim, "flip", x.shape))


# --- broadcast_to -----------------------------------------------------------------------------


@op("broadcast_to", view=True)
def _broadcast_to(x: Array, shape: tuple) -> Array:
    # NOTE: np.broadcast_to costs ~5 µs (Python around nditer) and every reduction's VJP
    # comes here; a small result is cheaper to fill than to view.
    if math.prod(shape) <= 4096:
        out = np.empty(shape, x.dtype)
        out[...] = x  # raises numpy's broadcasting error for incompatible shapes
        return out
    return np.broadcast_to(x, shape)


@_broadcast_to.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple) -> tuple:
    # each input value was copied along the new axes: the engine sums the gradient back
    return (g,)


_broadcast_to.jvp("linear")


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


@op("getitem", view=True)
def _getitem(x: Array, index: tuple, basic: bool) -> Array:
    return x[index]


@_getitem.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, index: tuple, basic: bool) -> tuple:
    # each picked element gets its gradient back; elements picked twice get the sum
    return (_scatter_add(g, shape=x.shape, index=index, basic=basic),)


_getitem.jvp("linear")


@op("scatter_add")
def _scatter_add(g: Array, shape: tuple, index: tuple, basic: bool) -> Array:
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


@_scatter_add.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, shape: tuple, index: tuple, basic: bool) -> tuple:
    # the adjoint of scattering is gathering
    return (_getitem(g, index=index, basic=basic),)


_scatter_add.jvp("linear")


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with numpy's basic and advanced (integer array, boolean mask) indexing."""
    x = _as_tensor(x)
    index = _normalize_index(index)
    return _getitem(x, index=index, basic=_is_basic(index))


@op("setitem")
def _setitem(x: Array, value: Array, index: tuple, basic: bool) -> Array:
    # the functional form of `x[index] = value` (the in-place one writes x's array instead)
    out = x.copy()
    out[index] = value
    return out


@_setitem.vjp(reads=())
def _(g: Tensor, out: Tensor, x: Tensor, value: Tensor, index: tuple, basic: bool) -> tuple:
    # the old values at `index` were overwritten: their gradient is 0 there, 1 elsewhere;
    # the value's is the gradient at `index` (summed by the engine where it was broadcast)
    gx = None
    if x._rg:
        gx = _setitem(g, _make(np.zeros((), dtype=g.dtype)), index=index, basic=basic)
    gv = None
    if value._rg:
        gv = _getitem(g, index=index, basic=basic)
        if value.ndim > gv.ndim:  # numpy drops a value's leading axes of length 1
            gv = gv.reshape((1,) * (value.ndim - gv.ndim) + gv.shape)
    return gx, gv


# linear in (x, value) together: the tangent is dx with dv written at `index`
_setitem.jvp("linear")


# --- joining ----------------------------------------------------------------------------------


@op("concatenate")
def _concatenate(*xs: Array, axis: int) -> Array:
    return np.concatenate(xs, axis=axis)


@_concatenate.vjp(reads=())
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


_concatenate.jvp("linear")


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


@_stack.vjp(reads=())
def _(g: Tensor, out: Tensor, *xs: Tensor, axis: int) -> tuple:
    # input i became slice i along the new axis
    lead = (slice(None),) * axis
    return tuple(g[lead + (i,)] if x._rg else None for i, x in enumerate(xs))


_stack.jvp("linear")


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


# --- moving, rolling, tiling, repeating -------------------------------------------------------


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions, the others keeping their order (as ``np.moveaxis``)."""
    x = _as_tensor(x)
    given_src: list = [source] if isinstance(source, (int, np.integer)) else list(source)
    given_dst: list = (
        [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    )
    if len(given_src) != len(given_dst):
        raise AxisError(
            f"moveaxis: source and destination need as many axes. Received: "
            f"source={source!r}, destination={destination!r}"
        )
    src = [normalize_axis(a, x.ndim, "moveaxis", x.shape) for a in given_src]
    dst = [normalize_axis(a, x.ndim, "moveaxis", x.shape) for a in given_dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise AxisError(
            f"moveaxis: repeated axis in source={source!r} or destination={destination!r}"
        )
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(x, order)


@op("roll")
def _roll(x: Array, shift: Any, axis: Any) -> Array:
    return np.roll(x, shift, axis)


@_roll.vjp
def _(g: Tensor, out: Tensor, x: Tensor, shift: Any, axis: Any) -> tuple:
    # rolling moves each value; rolling back by -shift returns each gradient to its place
    back = -shift if isinstance(shift, int) else tuple(-s for s in shift)
    return (_roll(g, shift=back, axis=axis),)


_roll.jvp("linear")


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements cyclically by ``shift`` along ``axis`` (of the flattened tensor when
    None), as ``np.roll``; several shifts and axes (repeats allowed) add up."""
    x = _as_tensor(x)
    if axis is None:
        if not isinstance(shift, (int, np.integer)):
            raise ShapeError(f"roll: axis=None takes a single integer shift. Received: {shift!r}")
        return _roll(x, shift=int(shift), axis=None)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shifts = (shift,) if isinstance(shift, (int, np.integer)) else tuple(shift)
    try:
        pairs = np.broadcast(np.asarray(shifts), np.asarray(axes))
    except ValueError:
        raise ShapeError(
            f"roll: shift {shift!r} and axis {axis!r} do not broadcast together"
        ) from None
    shift_t, axis_t = [], []
    for s, a in pairs:
        shift_t.append(int(s))
        axis_t.append(normalize_axis(int(a), x.ndim, "roll", x.shape))
    return _roll(x, shift=tuple(shift_t), axis=tuple(axis_t))


@op("tile")
def _tile(x: Array, reps: tuple) -> Array:
    return np.tile(x, reps)


@_tile.vjp
def _(g: Tensor, out: Tensor, x: Tensor, reps: tuple) -> tuple:
    # every copy of an element gets a share: split each axis into (copy, element) and sum
    # over the copies (numpy puts the copy index outside)
    d = max(len(reps), x.ndim)
    full_reps = (1,) * (d - len(reps)) + reps
    full_shape = (1,) * (d - x.ndim) + x.shape
    split = tuple(n for pair in zip(full_reps, full_shape, strict=True) for n in pair)
    summed = g.reshape(split).sum(axis=tuple(range(0, 2 * d, 2)))
    return (summed.reshape(x.shape),)


_tile.jvp("linear")


def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis, as ``np.tile``."""
    x = _as_tensor(x)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    if not all(isinstance(r, (int, np.integer)) and r >= 0 for r in reps):
        raise ShapeError(f"tile: reps must be non-negative integers. Received: reps={reps!r}")
    return _tile(x, reps=tuple(int(r) for r in reps))


@op("repeat")
def _repeat(x: Array, repeats: Any, axis: int) -> Array:
    return np.repeat(x, repeats, axis)


@_repeat.vjp
def _(g: Tensor, out: Tensor, x: Tensor, repeats: Any, axis: int) -> tuple:
    # each element's copies, side by side along the axis, give it the sum of their gradients
    if isinstance(repeats, int):
        n = x.shape[axis]
        split = (*x.shape[:axis], n, repeats, *x.shape[axis + 1 :])
        return (g.reshape(split).sum(axis=axis + 1),)
    source = np.repeat(np.arange(x.shape[axis]), repeats)
    index = (slice(None),) * axis + (source,)
    return (_scatter_add(g, shape=x.shape, index=index, basic=False),)


_repeat.jvp("linear")


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element) along
    ``axis`` (of the flattened tensor when None), as ``np.repeat``."""
    x = _as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        normalize_axis(axis, 0, "repeat", (), scalar_ok=True)
        x, axis = reshape(x, (1,)), 0
    else:
        axis = normalize_axis(axis, x.ndim, "repeat", x.shape)
    counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or (counts < 0).any() or counts.ndim > 1:
        raise ShapeError(
            f"repeat: repeats must be a non-negative integer or a 1-D sequence of them. "
            f"Received: repeats={repeats!r}"
        )
    if counts.ndim == 0 or counts.size == 1:
        return _repeat(x, repeats=int(counts.reshape(())), axis=axis)
    if counts.size != x.shape[axis]:
        raise ShapeError(
            f"repeat: {counts.size} counts for axis {axis} of length {x.shape[axis]} "
            f"(shape {x.shape}); give one count per element"
        )
    return _repeat(x, repeats=counts, axis=axis)


# --- padding and splitting --------------------------------------------------------------------

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@op("pad")
def _pad(x: Array, pad_width: tuple, mode: str, constant_values: Any = 0) -> Array:
    width = pad_width or 0  # a 0-d input has no pairs (numpy reads () as floats)
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=constant_values)
    return np.pad(x, width, mode=mode)  # type: ignore[call-overload]


@_pad.vjp
def _(
    g: Tensor, out: Tensor, x: Tensor, pad_width: tuple, mode: str, constant_values: Any = 0
) -> tuple:
    # constant: the input sits in the middle, and the padding does not depend on it
    if mode == "constant" or x.ndim == 0:
        inner = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape, strict=True))
        return (g[inner],)
    # the other modes copy input values outwards, axis by axis: padded position i on axis d
    # holds the value at source[d][i], so each input gets the sum over its copies
    # (np.pad itself, on the positions 0..n-1, gives that map)
    source = [
        np.pad(np.arange(n), w, mode=mode)  # type: ignore[call-overload]
        for n, w in zip(x.shape, pad_width, strict=True)
    ]
    return (_scatter_add(g, shape=x.shape, index=np.ix_(*source), basic=False),)


@_pad.jvp
def _(
    d: tuple, out: Tensor, x: Tensor, pad_width: tuple, mode: str, constant_values: Any = 0
) -> Tensor:
    # the padding copies values of x (or is a constant): the tangent is padded the same way,
    # with zeros for a constant
    return _pad(d[0], pad_width=pad_width, mode=mode)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """Pad with ``pad_width`` (numpy's forms: an int, (before, after), or a pair per axis)
    in ``mode`` "constant" (``constant_values``, not differentiated), "edge", "reflect",
    "symmetric" or "wrap", as ``np.pad``."""
    x = _as_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}. Received: mode={mode!r}")
    width = np.asarray(pad_width.data if isinstance(pad_width, Tensor) else pad_width)
    try:
        if width.dtype.kind not in "iu":
            raise ValueError
        pairs = np.broadcast_to(width, (x.ndim, 2))
    except ValueError:
        raise ShapeError(
            f"pad: pad_width must be integers: one, (before, after), or one pair per axis of "
            f"a tensor of shape {x.shape}. Received: pad_width={pad_width!r}"
        ) from None
    if (pairs < 0).any():
        raise ShapeError(f"pad: pad_width cannot be negative. Received: pad_width={pad_width!r}")
    widths = tuple((int(b), int(a)) for b, a in pairs)
    if mode == "constant":
        values = constant_values.data if isinstance(constant_values, Tensor) else constant_values
        return _pad(x, pad_width=widths, mode=mode, constant_values=values)
    return _pad(x, pad_width=widths, mode=mode)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into a list of tensors along ``axis``: into N equal parts for an int N, or at
    the given indices, as ``np.split``."""
    x = _as_tensor(x)
    a = normalize_axis(axis, x.ndim, "split", x.shape)
    n = x.shape[a]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ShapeError(
                f"split: axis {a} of length {n} (shape {x.shape}) does not split into "
                f"{k} equal parts"
            )
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), n]
    lead = (slice(None),) * a
    return [
        getitem(x, lead + (slice(start, stop),))
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    ]
