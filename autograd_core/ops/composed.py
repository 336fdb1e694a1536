"""numpy functions that are compositions of the engine's ops, with numpy's signatures.

They are what ``np.hstack(ts)``, ``np.diff(t)`` or ``np.linalg.multi_dot([a, t, b])`` run
when handed Tensors (``autograd_core.interop`` maps each numpy function to its namesake
here): no op of their own, so no derivative rule of their own either; their gradients,
first and higher order, and their tangents in forward mode are those of the ops they are
written with.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import ShapeError
from ..op import Tensor, as_tensors
from ._axes import normalize_axis
from .elementwise import astype, ceil, floor, isnan, logaddexp, power, where
from .indexing import take
from .linalg import matmul
from .reduce import cumprod, cumsum, max, mean, min, sum
from .shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    flip,
    reshape,
    split,
    swapaxes,
    transpose,
)


def _t(x: Any) -> Tensor:
    """A Tensor for an argument (an ndarray keeps its dtype)."""
    return x if isinstance(x, Tensor) else as_tensors((np.asarray(x),))[0]


# --- joining and splitting --------------------------------------------------------------------


def _atleast(x: Any, ndim: int) -> Tensor:
    # numpy's placements: (n,) -> (1, n) -> (1, n, 1); (m, n) -> (m, n, 1)
    x = _t(x)
    if x.ndim >= ndim:
        return x
    if ndim == 3:
        shape = {0: (1, 1, 1), 1: (1, x.size, 1), 2: (*x.shape, 1)}[x.ndim]
    else:
        shape = (1,) * (ndim - x.ndim) + x.shape
    return reshape(x, shape)


def _one_or_tuple(ts: list) -> Any:
    return ts[0] if len(ts) == 1 else tuple(ts)


def atleast_1d(*arys: Any) -> Any:
    """Each argument with at least one dimension, as ``np.atleast_1d``."""
    return _one_or_tuple([_atleast(a, 1) for a in arys])


def atleast_2d(*arys: Any) -> Any:
    """Each argument with at least two dimensions, as ``np.atleast_2d``."""
    return _one_or_tuple([_atleast(a, 2) for a in arys])


def atleast_3d(*arys: Any) -> Any:
    """Each argument with at least three dimensions, as ``np.atleast_3d``."""
    return _one_or_tuple([_atleast(a, 3) for a in arys])


def hstack(tup: Sequence[Any]) -> Tensor:
    """Join along the second axis (the first for 1-D), as ``np.hstack``."""
    ts = [_atleast(a, 1) for a in tup]
    return concatenate(ts, axis=0 if ts and ts[0].ndim == 1 else 1)


def vstack(tup: Sequence[Any]) -> Tensor:
    """Join as rows, as ``np.vstack``."""
    return concatenate([_atleast(a, 2) for a in tup], axis=0)


def dstack(tup: Sequence[Any]) -> Tensor:
    """Join along the third axis, as ``np.dstack``."""
    return concatenate([_atleast(a, 3) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Tensor:
    """Join 1-D tensors as columns (2-D ones as they are), as ``np.column_stack``."""
    ts = [_t(a) for a in tup]
    return concatenate([reshape(t, (t.size, 1)) if t.ndim < 2 else t for t in ts], axis=1)


def append(arr: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` after ``arr`` (both flattened when ``axis`` is None), as ``np.append``."""
    if axis is None:
        return concatenate([flatten(_t(arr)), flatten(_t(values))])
    return concatenate([arr, values], axis=axis)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into parts that may differ in length by one, as ``np.array_split``."""
    x = _t(ary)
    if not isinstance(indices_or_sections, (int, np.integer)):
        return split(x, indices_or_sections, axis)
    n, k = x.shape[normalize_axis(axis, x.ndim, "array_split", x.shape)], int(indices_or_sections)
    if k <= 0:
        raise ValueError(f"array_split: the number of sections must be > 0. Received: {k}")
    size, extra = divmod(n, k)
    bounds = np.cumsum([0] + extra * [size + 1] + (k - extra) * [size])
    return split(x, list(bounds[1:-1]), axis)


def _split_along(name: str, ary: Any, indices_or_sections: Any, axis: int, min_ndim: int) -> list:
    x = _t(ary)
    if x.ndim < min_ndim:
        raise ShapeError(f"{name} needs a tensor of {min_ndim} or more dimensions; got {x.shape}")
    return split(x, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along the second axis (the first for 1-D), as ``np.hsplit``."""
    x = _t(ary)
    return _split_along("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along the first axis, as ``np.vsplit``."""
    return _split_along("vsplit", ary, indices_or_sections, 0, 2)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along the third axis, as ``np.dsplit``."""
    return _split_along("dsplit", ary, indices_or_sections, 2, 3)


def unstack(x: Any, axis: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``axis``, as ``np.unstack``."""
    x = _t(x)
    a = normalize_axis(axis, x.ndim, "unstack", x.shape)
    lead = (slice(None),) * a
    return tuple(x[lead + (i,)] for i in range(x.shape[a]))


def broadcast_arrays(*args: Any) -> tuple[Tensor, ...]:
    """Every argument broadcast to their common shape, as ``np.broadcast_arrays``."""
    ts = [_t(a) for a in args]
    shape = np.broadcast_shapes(*[t.shape for t in ts])
    return tuple(t if t.shape == shape else broadcast_to(t, shape) for t in ts)


def meshgrid(*xi: Any, indexing: str = "xy") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D coordinate vectors, as ``np.meshgrid`` (dense)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'. Received: {indexing!r}")
    ts = [flatten(_t(x)) for x in xi]
    n = len(ts)
    shapes = [[1] * n for _ in ts]
    for i, t in enumerate(ts):
        shapes[i][i] = t.size
    if indexing == "xy" and n > 1:  # the first two axes swapped, as matplotlib's grids
        for s in shapes:
            s[0], s[1] = s[1], s[0]
    grids = [reshape(t, tuple(s)) for t, s in zip(ts, shapes, strict=True)]
    return broadcast_arrays(*grids)


# --- rearranging ------------------------------------------------------------------------------


def fliplr(m: Any) -> Tensor:
    """Reverse the columns, as ``np.fliplr``."""
    return flip(m, 1)


def flipud(m: Any) -> Tensor:
    """Reverse the rows, as ``np.flipud``."""
    return flip(m, 0)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, as ``np.rot90``."""
    x = _t(m)
    a, b = (normalize_axis(i, x.ndim, "rot90", x.shape) for i in axes)
    if a == b:
        raise ValueError(f"rot90: the two axes must differ. Received: axes={tuple(axes)}")
    k %= 4
    if k == 0:
        return x + 0.0 if x.dtype.kind == "f" else x
    if k == 2:
        return flip(flip(x, a), b)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    if k == 1:
        return transpose(flip(x, b), perm)
    return flip(transpose(x, perm), b)


def rollaxis(a: Any, axis: int, start: int = 0) -> Tensor:
    """Move ``axis`` to before position ``start``, as ``np.rollaxis``."""
    x = _t(a)
    n = x.ndim
    axis = normalize_axis(axis, n, "rollaxis", x.shape)
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise ValueError(f"rollaxis: start must be in [-{n}, {n}]. Received: start={start}")
    if axis < start:
        start -= 1
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return transpose(x, axes)


def copy(a: Any) -> Tensor:
    """A new Tensor holding a copy of the values, recorded (gradients flow through it), as
    ``np.copy``."""
    return astype(_t(a), _t(a).dtype, copy=True)


def real(val: Any) -> Tensor:
    """The real part: the tensor itself, since Tensors are real."""
    return _t(val)


def conjugate(x: Any) -> Tensor:
    """The complex conjugate: a copy, since Tensors are real."""
    return copy(x)


# --- elementwise ------------------------------------------------------------------------------

_DEGREE = math.pi / 180.0


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians, as ``np.deg2rad`` (= ``np.radians``)."""
    return _t(x) * _DEGREE


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees, as ``np.rad2deg`` (= ``np.degrees``)."""
    return _t(x) * (1.0 / _DEGREE)


def trunc(x: Any) -> Tensor:
    """Round towards zero, as ``np.trunc`` (= ``np.fix``); its gradient is 0."""
    x = _t(x)
    return where(x >= 0.0, floor(x), ceil(x))


def logaddexp2(x1: Any, x2: Any) -> Tensor:
    """log2(2**x1 + 2**x2), stable, as ``np.logaddexp2``."""
    ln2 = math.log(2.0)
    x, y = as_tensors((x1, x2))
    return logaddexp(x * ln2, y * ln2) * (1.0 / ln2)


def float_power(x1: Any, x2: Any) -> Tensor:
    """x1 ** x2 in float64, as ``np.float_power``."""
    x, y = as_tensors((x1, x2))
    return power(astype(x, np.float64), astype(y, np.float64))


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Tensor:
    """The choice of the first true condition at each element (``default`` where none is),
    as ``np.select``."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: condlist and choicelist must have the same length")
    if not condlist:
        raise ValueError("select: condlist needs at least one condition")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist), strict=True):
        out = where(cond, choice, out)
    return _t(out)


def polyval(p: Any, x: Any) -> Tensor:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's
    rule, as ``np.polyval``."""
    p, x = _t(p), _t(x)
    if p.ndim != 1:
        raise ShapeError(f"polyval: the coefficients must be 1-D; got shape {p.shape}")
    y = x * 0.0
    for i in range(p.shape[0]):
        y = y * x + p[i]
    return y


# --- reductions -------------------------------------------------------------------------------


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Peak to peak, max - min, as ``np.ptp``."""
    return max(a, axis, keepdims) - min(a, axis, keepdims)


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """The weighted mean over ``axis``, as ``np.average`` (1-D weights go along ``axis``)."""
    x = _t(a)
    if weights is None:
        avg = mean(x, axis, keepdims)
        count = x.size / avg.size if avg.size else 0.0
        return (avg, _t(np.full(avg.shape, count, avg.dtype))) if returned else avg
    w = _t(weights)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1:
            raise ShapeError(
                f"average: weights of shape {w.shape} for a tensor of shape {x.shape} need "
                f"an int axis and 1-D weights of that axis's length"
            )
        a_ = normalize_axis(axis, x.ndim, "average", x.shape)
        w = reshape(w, tuple(w.size if i == a_ else 1 for i in range(x.ndim)))
        w = broadcast_to(w, x.shape)
    total = sum(w, axis, keepdims)
    avg = sum(x * w, axis, keepdims) / total
    return (avg, total) if returned else avg


def nansum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The sum with nans counted as 0, as ``np.nansum``."""
    x = _t(a)
    return sum(where(isnan(x), 0.0, x), axis, keepdims)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The mean of the values that are not nan, as ``np.nanmean``."""
    x = _t(a)
    missing = isnan(x)
    count = np.sum(~missing.data, axis=axis, keepdims=keepdims)
    return sum(where(missing, 0.0, x), axis, keepdims) / count.astype(x.dtype)


def median(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The median along ``axis`` (of all values when None), as ``np.median``: the mean of
    the one or two middle values of a sort, so the gradient goes to those."""
    from .indexing import sort

    x = _t(a)
    if axis is None:
        s, ax = sort(flatten(x), axis=0), 0
    else:
        ax = normalize_axis(axis, x.ndim, "median", x.shape)
        s = sort(x, axis=ax)
    n = s.shape[ax]
    if n == 0:
        raise ShapeError(f"median of an empty axis (shape {x.shape})")
    out = mean(take(s, [(n - 1) // 2, n // 2], axis=ax), axis=ax)
    if keepdims:
        out = reshape(out, (1,) * x.ndim) if axis is None else expand_dims(out, ax)
    return out


def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th differences along ``axis``, as ``np.diff``."""
    x = _t(a)
    ax = normalize_axis(axis, x.ndim, "diff", x.shape)
    lead = (slice(None),) * ax
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The integral of ``y`` by the trapezoidal rule, as ``np.trapezoid``."""
    y = _t(y)
    ax = normalize_axis(axis, y.ndim, "trapezoid", y.shape)
    lead = (slice(None),) * ax
    mid = (y[lead + (slice(1, None),)] + y[lead + (slice(None, -1),)]) * 0.5
    if x is None:
        return sum(mid, ax) * dx
    d = diff(x, axis=-1 if _t(x).ndim == 1 else ax)
    if d.ndim == 1 and y.ndim > 1:
        d = reshape(d, tuple(d.size if i == ax else 1 for i in range(y.ndim)))
    return sum(mid * d, ax)


def cumulative_sum(x: Any, axis: int | None = None) -> Tensor:
    """Cumulative sum, as ``np.cumulative_sum`` (``axis`` needed beyond 1-D)."""
    return cumsum(x, _cumulative_axis("cumulative_sum", _t(x), axis))


def cumulative_prod(x: Any, axis: int | None = None) -> Tensor:
    """Cumulative product, as ``np.cumulative_prod`` (``axis`` needed beyond 1-D)."""
    return cumprod(x, _cumulative_axis("cumulative_prod", _t(x), axis))


def _cumulative_axis(name: str, x: Tensor, axis: int | None) -> int:
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis must be given for a tensor of shape {x.shape}")
        return 0
    return axis


# --- products ---------------------------------------------------------------------------------


def vdot(a: Any, b: Any) -> Tensor:
    """The dot product of the flattened tensors, as ``np.vdot`` (real)."""
    return sum(flatten(_t(a)) * flatten(_t(b)))


def vecdot(x1: Any, x2: Any, axis: int = -1) -> Tensor:
    """The dot product of vectors along ``axis``, broadcasting, as ``np.vecdot``."""
    x, y = as_tensors((x1, x2))
    return sum(x * y, axis=axis)


def matvec(x1: Any, x2: Any) -> Tensor:
    """Matrix times vector over the last axes, broadcasting, as ``np.matvec``."""
    x, v = as_tensors((x1, x2))
    return matmul(x, expand_dims(v, -1))[..., 0]


def vecmat(x1: Any, x2: Any) -> Tensor:
    """Vector times matrix over the last axes, broadcasting, as ``np.vecmat``."""
    v, x = as_tensors((x1, x2))
    return matmul(expand_dims(v, -2), x)[..., 0, :]


def cross(a: Any, b: Any, axis: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``axis``, broadcasting, as ``np.cross``."""
    from .shape import stack

    x, y = as_tensors((a, b))
    x, y = swapaxes(x, axis, -1), swapaxes(y, axis, -1)
    if x.shape[-1] != 3 or y.shape[-1] != 3:
        raise ShapeError(
            f"cross: the vectors must have 3 components along axis {axis}; got shapes "
            f"{x.shape} and {y.shape} (2-component vectors are not supported)"
        )
    x0, x1_, x2_ = x[..., 0], x[..., 1], x[..., 2]
    y0, y1, y2 = y[..., 0], y[..., 1], y[..., 2]
    c = stack([x1_ * y2 - x2_ * y1, x2_ * y0 - x0 * y2, x0 * y1 - x1_ * y0], axis=-1)
    return swapaxes(c, -1, axis)


def multi_dot(arrays: Sequence[Any]) -> Tensor:
    """The product of a chain of matrices (1-D ends as vectors), as
    ``np.linalg.multi_dot``, left to right."""
    if len(arrays) < 2:
        raise ValueError("multi_dot needs at least two arrays")
    out = _t(arrays[0])
    for m in arrays[1:]:
        out = matmul(out, m)
    return out


def matrix_power(a: Any, n: int) -> Tensor:
    """The ``n``-th power of a square matrix (of its inverse for ``n < 0``), by repeated
    squaring, as ``np.linalg.matrix_power``."""
    from .decompositions import inv

    x = _t(a)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"matrix_power needs square matrices; got shape {x.shape}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an integer. Received: n={n!r}")
    if n == 0:
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
        return _t(eye.copy())
    if n < 0:
        x, n = inv(x), -n
    while not n & 1:  # binary powering: x, x^2, x^4, ... times the bits of n
        x, n = matmul(x, x), n >> 1
    result = x
    n >>= 1
    while n:
        x = matmul(x, x)
        if n & 1:
            result = matmul(result, x)
        n >>= 1
    return result


def vector_norm(x: Any, keepdims: bool = False, axis: Any = None, ord: Any = 2) -> Tensor:
    """The vector norm over ``axis`` (an int, a tuple, or None for all values), as
    ``np.linalg.vector_norm``."""
    from .decompositions import norm

    t = _t(x)
    if axis is None:
        axes = list(range(t.ndim))
    else:
        given = axis if isinstance(axis, (tuple, list)) else (axis,)
        axes = [normalize_axis(a, t.ndim, "vector_norm", t.shape) for a in given]
    if len(axes) == 1:
        return norm(t, ord, axis=axes[0], keepdims=keepdims)
    out = norm(_merged(t, axes), ord, axis=-1)  # the values over ``axes`` as one vector
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else n for i, n in enumerate(t.shape)))
    return out


def _merged(t: Tensor, axes: list) -> Tensor:
    """``t`` with ``axes`` moved to the end and merged into one."""
    rest = [i for i in range(t.ndim) if i not in axes]
    moved = transpose(t, [*rest, *axes])
    return reshape(moved, tuple(t.shape[i] for i in rest) + (-1,))


def matrix_norm(x: Any, keepdims: bool = False, ord: Any = "fro") -> Tensor:
    """The matrix norm over the last two axes, as ``np.linalg.matrix_norm``."""
    from .decompositions import norm

    return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


__all__ = [
    "append",
    "array_split",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "average",
    "broadcast_arrays",
    "column_stack",
    "conjugate",
    "copy",
    "cross",
    "cumulative_prod",
    "cumulative_sum",
    "deg2rad",
    "diff",
    "dsplit",
    "dstack",
    "float_power",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "logaddexp2",
    "matrix_norm",
    "matrix_power",
    "matvec",
    "median",
    "meshgrid",
    "multi_dot",
    "nanmean",
    "nansum",
    "polyval",
    "ptp",
    "rad2deg",
    "real",
    "rollaxis",
    "rot90",
    "select",
    "trapezoid",
    "trunc",
    "unstack",
    "vdot",
    "vecdot",
    "vecmat",
    "vector_norm",
    "vsplit",
    "vstack",
]
