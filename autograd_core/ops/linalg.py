"""Products: matmul, einsum, tensordot, dot, inner, outer, kron."""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..op import Tensor, _make, as_tensors, op
from ..versions import each_other
from ._axes import normalize_axis
from .shape import reshape, transpose

Array = np.ndarray


@op("matmul")
def matmul(x: Array, y: Array) -> Array:
    """Matrix product with numpy's rules: 1-D, 2-D and batched (broadcast) operands."""
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul does not take scalars; use * for scaling")
    return np.matmul(x, y)


@matmul.vjp(reads=each_other)
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x @ y)/dx = g @ y^T, d(x @ y)/dy = x^T @ g  (batch axes are summed by the engine)
    if x.ndim >= 2 and y.ndim >= 2:
        return (g @ y.mT if x._rg else None), (x.mT @ g if y._rg else None)
    # NOTE: numpy treats a 1-D x as a row (1, k) and a 1-D y as a column (k, 1), then drops
    # that axis from the result; redo the promotion on g and undo it on the gradients.
    x2 = x.reshape(1, -1) if x.ndim == 1 else x
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    if x.ndim == 1 and y.ndim == 1:
        g2 = g.reshape(1, 1)
    elif x.ndim == 1:
        g2 = g.expand_dims(-2)
    else:
        g2 = g.expand_dims(-1)
    gx = g2 @ y2.mT if x._rg else None  # (..., 1, k) for a 1-D x: the engine sums it to (k,)
    gy = None
    if y._rg:
        gy = x2.mT @ g2
        if y.ndim == 1:
            gy = gy.squeeze(-1)
    return gx, gy


# --- einsum -----------------------------------------------------------------------------------

_LETTERS = string.ascii_letters  # numpy's labels: a-z are 0-25 in the sublist form, A-Z 26-51


@op("einsum")
def _einsum(*operands: Array, subscripts: str, optimize: Any = False) -> Array:
    return np.einsum(subscripts, *operands, optimize=optimize)


@_einsum.vjp
def _(g: Tensor, out: Tensor, *operands: Tensor, subscripts: str, optimize: Any = False) -> tuple:
    # d/dx_i of sum(g * einsum(x_0, ..., x_n)) is einsum(g, the other operands) with x_i's
    # subscripts as the output: each element of x_i meets the same products it entered
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    used = set(subscripts) - {",", "-", ">"}
    fresh = (c for c in _LETTERS if c not in used)
    grads: list = []
    for i, x in enumerate(operands):
        if not x._rg:
            grads.append(None)
            continue
        subs = [output]
        args = [g]
        for j, (t, y) in enumerate(zip(terms, operands, strict=True)):
            if j != i:
                subs.append(t)
                args.append(y)
        # a label repeated in x_i's term (a diagonal, as in "ii->i") cannot be an output
        # label twice: each repeat gets a label of its own, tied to the first by an identity
        term = ""
        for pos, c in enumerate(terms[i]):
            if c in term:
                d = next(fresh)
                n = x.shape[pos]
                subs.append(c + d)
                args.append(_make(np.eye(n, dtype=x.dtype)))
                term += d
            else:
                term += c
        # a label only x_i has was summed inside it: the gradient is the same along it
        present = set("".join(subs))
        for pos, c in enumerate(term):
            if c not in present:
                subs.append(c)
                args.append(_make(np.ones(x.shape[pos], dtype=x.dtype)))
        grads.append(_einsum(*args, subscripts=",".join(subs) + "->" + term, optimize=optimize))
    return tuple(grads)


def _sublist_subscripts(args: tuple) -> tuple[str, list]:
    """numpy's other form, einsum(x, [0, 1], y, [1, 2], [0, 2]), as a subscripts string."""

    def letters(sub: Any) -> str:
        out = ""
        for s in sub:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(_LETTERS):
                out += _LETTERS[int(s)]
            else:
                raise ValueError(f"einsum: a subscript must be an int in [0, 52). Received {s!r}")
        return out

    operands = list(args[0::2])
    terms = [letters(sub) for sub in args[1::2]]
    subscripts = ",".join(terms[: len(operands)])
    if len(args) % 2:  # an output sublist at the end
        operands = operands[:-1]
        subscripts = ",".join(terms) + "->" + letters(args[-1])
    return subscripts, operands


def _normalize_subscripts(subscripts: str, shapes: list) -> str:
    """Explicit subscripts ("ij,jk->ik") with each ellipsis written out as letters."""
    subscripts = subscripts.replace(" ", "")
    explicit = "->" in subscripts
    inputs, output = subscripts.split("->") if explicit else (subscripts, "")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: {len(terms)} operand subscripts in {subscripts!r} for {len(shapes)} operands"
        )
    for t in (*terms, output):
        rest = t.replace("...", "", 1)
        if not all(c in _LETTERS for c in rest):
            raise ValueError(
                f"einsum: subscripts are letters, with at most one '...' per operand. "
                f"Received {subscripts!r}"
            )
    used = set(subscripts)
    spare = [c for c in _LETTERS if c not in used]
    # the ellipsis of each operand stands for its leading axes, aligned on the right
    counts = []
    for t, shape in zip(terms, shapes, strict=True):
        named = len(t.replace("...", ""))
        n = len(shape) - named if "..." in t else 0
        if n < 0 or ("..." not in t and named != len(shape)):
            raise ShapeError(
                f"einsum: subscripts {t!r} do not fit an operand of shape {tuple(shape)}"
            )
        counts.append(n)
    width = max(counts, default=0)
    if width > len(spare):
        raise ValueError("einsum: too many dimensions for the 52 available subscript letters")
    ellipsis = "".join(spare[:width])
    terms = [t.replace("...", ellipsis[width - n :]) for t, n in zip(terms, counts, strict=True)]
    if explicit:
        if "..." in output:
            output = output.replace("...", ellipsis)
        elif width and any(c not in output for c in ellipsis):
            # numpy's rule: the broadcast axes must appear in an explicit output
            raise ValueError(
                f"einsum: the operands have broadcast ('...') axes, so the output "
                f"{output!r} needs a '...' too. Received {subscripts!r}"
            )
    else:  # numpy's implicit output: the broadcast axes, then the labels seen once, sorted
        letters = "".join(terms)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        output = ellipsis + "".join(once)
    return ",".join(terms) + "->" + output


def einsum(*args: Any, optimize: Any = False) -> Tensor:
    """Einstein summation with numpy's subscripts, as ``np.einsum``: explicit ("ij,jk->ik")
    or implicit ("ij,jk") output, "..." for broadcast axes, or the sublist form
    ``einsum(x, [0, 1], y, [1, 2])``. The gradient of each operand is another einsum."""
    if not args:
        raise ValueError("einsum expects subscripts and at least one operand")
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _sublist_subscripts(args)
    if not operands:
        raise ValueError(f"einsum: no operands for subscripts {subscripts!r}")
    ts = as_tensors(tuple(operands))
    normalized = _normalize_subscripts(subscripts, [t.shape for t in ts])
    if optimize is False:
        return _einsum(*ts, subscripts=normalized)
    return _einsum(*ts, subscripts=normalized, optimize=optimize)


# --- products built from matmul ---------------------------------------------------------------


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """Sum of products over ``axes`` of ``a`` and ``b``: the last N of ``a`` with the first
    N of ``b`` for an int N, or the two given lists, as ``np.tensordot``."""
    a, b = as_tensors((a, b))
    axes_a: list
    axes_b: list
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ShapeError(
                f"tensordot: axes={n} for shapes {a.shape} and {b.shape}; at most "
                f"{min(a.ndim, b.ndim)} axes can be summed"
            )
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        given_a, given_b = axes
        axes_a = [given_a] if isinstance(given_a, (int, np.integer)) else list(given_a)
        axes_b = [given_b] if isinstance(given_b, (int, np.integer)) else list(given_b)
        if len(axes_a) != len(axes_b):
            raise ShapeError(
                f"tensordot: {len(axes_a)} axes of the first operand against {len(axes_b)} "
                f"of the second. Received axes={axes!r}"
            )
        axes_a = [normalize_axis(x, a.ndim, "tensordot", a.shape) for x in axes_a]
        axes_b = [normalize_axis(x, b.ndim, "tensordot", b.shape) for x in axes_b]
    for i, j in zip(axes_a, axes_b, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(
                f"tensordot: shapes {a.shape} and {b.shape} do not match on the summed axes "
                f"{tuple(axes_a)} and {tuple(axes_b)}"
            )
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    k = math.prod(a.shape[i] for i in axes_a)
    # as numpy does: the summed axes together, then one matrix product
    left = transpose(a, free_a + axes_a).reshape(-1, k)
    right = transpose(b, axes_b + free_b).reshape(k, -1)
    shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    return reshape(matmul(left, right), shape)


def dot(a: Any, b: Any) -> Tensor:
    """numpy's dot: a product for 0-d operands, matmul for 1-D and 2-D ones, else a sum
    over the last axis of ``a`` and the second-to-last of ``b`` (the last, for a 1-D b)."""
    a, b = as_tensors((a, b))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [0 if b.ndim == 1 else -2]))


def inner(a: Any, b: Any) -> Tensor:
    """Sum of products over the last axes of ``a`` and ``b``, as ``np.inner``."""
    a, b = as_tensors((a, b))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a: Any, b: Any) -> Tensor:
    """out[i, j] = a[i] * b[j] of the flattened operands, as ``np.outer``."""
    a, b = as_tensors((a, b))
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def kron(a: Any, b: Any) -> Tensor:
    """Kronecker product: blocks of ``b`` scaled by each element of ``a``, as ``np.kron``."""
    a, b = as_tensors((a, b))
    ndim = max(a.ndim, b.ndim)
    sa = (1,) * (ndim - a.ndim) + a.shape
    sb = (1,) * (ndim - b.ndim) + b.shape
    # a's axes interleaved with b's: element (i, j) of an axis is position i * len_b + j
    left = reshape(a, tuple(n for m in sa for n in (m, 1)))
    right = reshape(b, tuple(n for m in sb for n in (1, m)))
    return reshape(left * right, tuple(m * n for m, n in zip(sa, sb, strict=True)))
