"""The op table that drives ``test_ops.py`` (in the manner of PyTorch's OpInfo and JAX's
``LAX_GRAD_OPS``).

Each ``OpSpec`` names an op, its autograd_core callable, a NumPy reference, its arity, the
domain of each input and a hypothesis strategy for the input shapes and keyword arguments it
takes. Domains keep inputs where the op is smooth: positive for ``log``/``sqrt``, away from
kinks for ``relu``/``abs``/``clip``/``maximum``, free of ties for ``max``/``min``, so that
central differences are a valid oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import autograd_core as ag

MAX_DIMS = 3
MAX_SIDE = 3
EPS = 1e-6  # central-difference step (PyTorch's gradcheck default)

Shapes = tuple[tuple[int, ...], ...]
Domain = Callable[[np.ndarray], np.ndarray]


def _erf(x: np.ndarray) -> np.ndarray:
    """scipy's erf in numpy's result dtype: scipy has no float16 loops and answers float64
    where a numpy ufunc (and the op) keeps float16."""
    return special.erf(x).astype(np.result_type(x.dtype, np.float16))


def _expit(x: np.ndarray) -> np.ndarray:
    """scipy's logistic function in numpy's result dtype (float16 stays float16)."""
    return special.expit(x).astype(np.result_type(x.dtype, np.float16))


# --- input domains: each maps raw float64 values drawn from [-2, 2] into the op's domain -------


def real(x: np.ndarray) -> np.ndarray:
    """Any value: the op is smooth everywhere."""
    return x


def positive(x: np.ndarray) -> np.ndarray:
    """Values in [0.5, 2.5]: log, sqrt, fractional powers."""
    return np.abs(x) + 0.5


def nonzero(x: np.ndarray) -> np.ndarray:
    """|x| >= 0.5: divisors, and ops with a kink at 0 (relu, abs, leaky_relu)."""
    return np.where(x >= 0, x + 0.5, x - 0.5)


def on_grid(x: np.ndarray) -> np.ndarray:
    """Multiples of 1/2 (paired with ``off_grid``: the two never come closer than 1/4)."""
    return np.round(x * 2.0) / 2.0


def off_grid(x: np.ndarray) -> np.ndarray:
    """Multiples of 1/2 plus 1/4: at least 1/4 from every multiple of 1/2 (a clip bound, or
    an ``on_grid`` operand of maximum/minimum)."""
    return np.round(x * 2.0) / 2.0 + 0.25


def distinct(x: np.ndarray) -> np.ndarray:
    """Pairwise distinct values, 1/4 apart, in the order of the raw values (no ties for
    max/min, no constant slice for std)."""
    ranks = np.argsort(np.argsort(x, axis=None, kind="stable")).reshape(x.shape)
    return (ranks - x.size / 2.0) * 0.25


def unit(x: np.ndarray) -> np.ndarray:
    """Values in [-0.9, 0.9]: arcsin, arccos, arctanh, and tan away from its poles."""
    return x * 0.45


def above_one(x: np.ndarray) -> np.ndarray:
    """Values in [1.5, 3.5]: arccosh."""
    return np.abs(x) + 1.5


def divisor(x: np.ndarray) -> np.ndarray:
    """Divisors in {-2, -1, 1, 2}: with an ``off_grid`` dividend, x / y stays at least 1/8
    from every integer, where mod and floor_divide jump."""
    return np.where(x >= 0, 1.0, -1.0) * np.where(np.abs(x) > 1.0, 2.0, 1.0)


def beside_grid(x: np.ndarray) -> np.ndarray:
    """Multiples of 1/2 plus 0.02: at least 0.02 from where floor, ceil and round (to 0, 1
    or -1 decimals) jump."""
    return np.round(x * 2.0) / 2.0 + 0.02


def with_specials(x: np.ndarray) -> np.ndarray:
    """Some values replaced by inf, -inf and nan (isfinite, isnan)."""
    x = np.where(x > 1.5, np.inf, x)
    x = np.where(x < -1.5, -np.inf, x)
    return np.where(np.abs(x) < 0.2, np.nan, x)


def wide_off_grid(x: np.ndarray) -> np.ndarray:
    """Values in [-7.5, 8.5], 2 apart and at least 1/2 from 0, +-3 and 6 (the corners of
    relu6 and hard_sigmoid), on both sides of them."""
    return 2.0 * np.round(x * 2.0) + 0.5


def sparse(x: np.ndarray) -> np.ndarray:
    """Zeros where |x| < 1, else x (any, all, and prod's zeros)."""
    return np.where(np.abs(x) < 1.0, 0.0, x)


def _eye_like(x: np.ndarray) -> np.ndarray:
    return np.eye(x.shape[-2], x.shape[-1])


def spd(x: np.ndarray) -> np.ndarray:
    """Symmetric positive definite, eigenvalues in [1, 1 + 4n]: cholesky, solve, inv."""
    return x @ np.swapaxes(x, -1, -2) / x.shape[-1] + _eye_like(x)


def well_conditioned(x: np.ndarray) -> np.ndarray:
    """Strictly diagonally dominant, diagonal signs alternating (negative determinants too):
    inv, det, slogdet, solve."""
    n = x.shape[-1]
    signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    return x + np.diag(signs * (2.0 * n + 1.0))


def _orthonormal(x: np.ndarray) -> np.ndarray:
    # the Q of x plus a dominant diagonal: orthonormal columns, whatever x holds
    return np.linalg.qr(x + 3.0 * _eye_like(x))[0]


def distinct_eigenvalues(x: np.ndarray) -> np.ndarray:
    """Q diag(w) Q^T with eigenvalues 2 apart, negative ones too: eigh."""
    n = x.shape[-1]
    q = _orthonormal(x)
    w = 2.0 * (np.arange(n) - (n - 1) / 2.0)
    return (q * w) @ np.swapaxes(q, -1, -2)


def distinct_singular_values(x: np.ndarray) -> np.ndarray:
    """U diag(s) V^T with singular values 1 apart, the smallest 1: svd, norms."""
    m, n = x.shape[-2:]
    k = min(m, n)
    u = _orthonormal(x)[..., :, :k]
    v = _orthonormal(np.swapaxes(x, -1, -2))[..., :, :k]
    s = np.arange(k, 0, -1.0)
    return (u * s) @ np.swapaxes(v, -1, -2)


def full_rank(x: np.ndarray) -> np.ndarray:
    """A dominant diagonal on the leading square block: tall and wide qr."""
    return x + (2.0 * max(x.shape[-2:]) + 1.0) * _eye_like(x)


def binary_magnitudes(x: np.ndarray) -> np.ndarray:
    """Distinct powers of two with the signs of x: no zeros, and no two sums of different
    sets of magnitudes tie (the 1 and inf matrix norms take the largest row or column sum)."""
    ranks = np.argsort(np.argsort(x, axis=None, kind="stable")).reshape(x.shape)
    return np.where(x >= 0, 1.0, -1.0) * 2.0 ** (ranks - x.size / 2.0)


def boolean(x: np.ndarray) -> np.ndarray:
    """A boolean mask (the condition of ``where``): not differentiated."""
    return x > 0


# --- shapes and keyword arguments -------------------------------------------------------------


@dataclass(frozen=True)
class OpSpec:
    """One op of the table: callable, reference, arity, domains, shapes and kwargs."""

    name: str
    fn: Callable[..., ag.Tensor]  # fn(*tensors, **kwargs)
    ref: Callable[..., np.ndarray]  # ref(*arrays, **kwargs), the NumPy reference
    arity: int
    case: Callable[[], st.SearchStrategy]  # strategy of (input shapes, kwargs)
    domains: tuple[Domain, ...]
    eps: float = EPS
    keeps_dtype: bool = True  # float32 in, float32 out

    def __post_init__(self) -> None:
        if len(self.domains) != self.arity:
            raise ValueError(f"{self.name}: {len(self.domains)} domains for arity {self.arity}")

    def __repr__(self) -> str:
        return f"OpSpec({self.name})"


def _shape(min_dims: int = 0, min_side: int = 1, max_side: int = MAX_SIDE) -> st.SearchStrategy:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=MAX_DIMS, min_side=min_side, max_side=max_side
    )


def unary(min_dims: int = 0, **kwargs: st.SearchStrategy) -> Callable[[], st.SearchStrategy]:
    """One input of any small shape; each keyword drawn from its strategy."""
    return lambda: st.tuples(_shape(min_dims).map(lambda s: (s,)), st.fixed_dictionaries(kwargs))


def broadcasting(n: int, **kwargs: st.SearchStrategy) -> Callable[[], st.SearchStrategy]:
    """``n`` inputs with mutually broadcastable shapes."""
    shapes = hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=MAX_DIMS, max_side=MAX_SIDE
    )
    return lambda: st.tuples(shapes.map(lambda b: b.input_shapes), st.fixed_dictionaries(kwargs))


def matmul_shapes() -> st.SearchStrategy:
    """1-D, 2-D and batched operands with broadcast batch axes, from numpy's signature."""
    shapes = hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=2, max_side=MAX_SIDE
    )
    return st.tuples(shapes.map(lambda b: b.input_shapes), st.just({}))


def _axis_choices(ndim: int, allow_empty: bool) -> st.SearchStrategy:
    tuples = hnp.valid_tuple_axes(ndim, min_size=0 if allow_empty else 1)
    choices = [st.none(), tuples]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    return st.one_of(*choices)


@st.composite
def reduction(draw: Any, min_dims: int = 0, min_side: int = 1, ddof: bool = False) -> tuple:
    """One input, an ``axis`` (None, an int or a tuple, negatives included) and ``keepdims``."""
    shape = draw(_shape(min_dims, min_side))
    axis = draw(_axis_choices(len(shape), allow_empty=min_side == 1))
    kwargs = {"axis": axis, "keepdims": draw(st.booleans())}
    if ddof:
        axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
        n = math.prod(shape[a] for a in axes)
        kwargs["ddof"] = draw(st.sampled_from([0, 1] if n > 1 else [0]))
    return (shape,), kwargs


@st.composite
def cumulative_case(draw: Any) -> tuple:
    """One input and an ``axis``: None (flattened, as numpy), an int (negatives too), or 0 / -1
    for a 0-d input."""
    shape = draw(_shape())
    axes = [None, *range(-len(shape), len(shape))] if shape else [None, 0, -1]
    return (shape,), {"axis": draw(st.sampled_from(axes))}


@st.composite
def arg_case(draw: Any) -> tuple:
    """One input of at least one element, an ``axis`` (None or an int) and ``keepdims``."""
    shape = draw(_shape())
    axes = [None, *range(-len(shape), len(shape))] if shape else [None, 0, -1]
    return (shape,), {"axis": draw(st.sampled_from(axes)), "keepdims": draw(st.booleans())}


@st.composite
def along_axis(draw: Any) -> tuple:
    """One input of at least one dimension and an ``axis`` (softmax, log_softmax)."""
    shape = draw(_shape(min_dims=1))
    return (shape,), {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def reshape_case(draw: Any) -> tuple:
    """A shape and a new shape of the same size (with -1 sometimes)."""
    shape = draw(_shape())
    size = math.prod(shape)
    targets = [(size,), (-1,), shape[::-1], (1, *shape), (*shape, 1), (1, -1)]
    if size % 2 == 0:
        targets += [(2, -1), (-1, 2, 1)]
    return (shape,), {"shape": draw(st.sampled_from(targets))}


@st.composite
def transpose_case(draw: Any) -> tuple:
    """A shape and None or a permutation of its axes (sometimes written negative)."""
    shape = draw(_shape())
    ndim = len(shape)
    perm = draw(st.permutations(range(ndim)))
    if draw(st.booleans()):
        perm = [a - ndim if draw(st.booleans()) else a for a in perm]
    return (shape,), {"axes": draw(st.sampled_from([None, tuple(perm)]))}


@st.composite
def swapaxes_case(draw: Any) -> tuple:
    """A shape and two of its axes (possibly the same)."""
    shape = draw(_shape(min_dims=1))
    axis = st.integers(-len(shape), len(shape) - 1)
    return (shape,), {"axis1": draw(axis), "axis2": draw(axis)}


@st.composite
def squeeze_case(draw: Any) -> tuple:
    """A shape with some length-one axes, and None or some of those axes."""
    shape = draw(_shape(max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    choices = [st.none()]
    if ones:
        choices += [st.sampled_from(ones), st.sets(st.sampled_from(ones), min_size=1).map(tuple)]
    return (shape,), {"axis": draw(st.one_of(*choices))}


@st.composite
def expand_dims_case(draw: Any) -> tuple:
    """A shape and a position for a new axis."""
    shape = draw(_shape())
    return (shape,), {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}


@st.composite
def broadcast_to_case(draw: Any) -> tuple:
    """A shape and a larger shape it broadcasts to (new leading axes, stretched ones)."""
    shape = draw(_shape())
    stretched = tuple(draw(st.integers(1, MAX_SIDE)) if n == 1 else n for n in shape)
    lead = draw(st.lists(st.integers(1, MAX_SIDE), max_size=2))
    return (shape,), {"shape": (*lead, *stretched)}


@st.composite
def basic_index_case(draw: Any) -> tuple:
    """Ints, slices (negative steps too), None and Ellipsis."""
    shape = draw(_shape())
    index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return (shape,), {"index": index}


@st.composite
def int_array_index_case(draw: Any) -> tuple:
    """Integer arrays, negatives and duplicates included: one per axis, or one for axis 0."""
    shape = draw(_shape(min_dims=1))
    per_axis = hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
    )
    first_axis = hnp.arrays(
        np.intp, st.integers(1, 5), elements=st.integers(-shape[0], shape[0] - 1)
    )
    return (shape,), {"index": draw(st.one_of(per_axis, first_axis))}


@st.composite
def bool_mask_case(draw: Any) -> tuple:
    """A boolean mask over the leading axes (all of them or fewer)."""
    shape = draw(_shape(min_dims=1))
    k = draw(st.integers(1, len(shape)))
    return (shape,), {"index": draw(hnp.arrays(np.bool_, shape[:k]))}


@st.composite
def concatenate_case(draw: Any) -> tuple:
    """Three shapes equal except along ``axis``."""
    base = list(draw(_shape(min_dims=1)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    shapes = []
    for _ in range(3):
        base[axis] = draw(st.integers(1, MAX_SIDE))
        shapes.append(tuple(base))
    return tuple(shapes), {"axis": axis}


@st.composite
def stack_case(draw: Any) -> tuple:
    """Three equal shapes and the position of the new axis."""
    shape = draw(_shape())
    return (shape,) * 3, {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}


@st.composite
def clip_case(draw: Any) -> tuple:
    """One input and bounds on the multiples of 1/2 (the input domain keeps away from them)."""
    shape = draw(_shape())
    lo, hi = draw(st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None), (0.0, 0.0)]))
    return (shape,), {"lo": lo, "hi": hi}


@st.composite
def flip_case(draw: Any) -> tuple:
    """One input and an ``axis``: None, an int or a tuple of distinct axes."""
    shape = draw(_shape())
    return (shape,), {"axis": draw(_axis_choices(len(shape), allow_empty=True))}


@st.composite
def roll_case(draw: Any) -> tuple:
    """A shift (negative and beyond the length too) with axis None, an int, or a tuple of
    axes (repeats allowed: the shifts add)."""
    shape = draw(_shape())
    shift = st.integers(-4, 4)
    if not shape or draw(st.booleans()):
        return (shape,), {"shift": draw(shift), "axis": None}
    axis = st.integers(-len(shape), len(shape) - 1)
    if draw(st.booleans()):
        return (shape,), {"shift": draw(shift), "axis": draw(axis)}
    k = draw(st.integers(1, 3))
    return (shape,), {
        "shift": tuple(draw(shift) for _ in range(k)),
        "axis": tuple(draw(axis) for _ in range(k)),
    }


@st.composite
def tile_case(draw: Any) -> tuple:
    """Reps shorter, as long as, or longer than the number of dimensions (0 sometimes)."""
    shape = draw(_shape())
    reps = draw(st.lists(st.sampled_from([1, 2, 2, 3, 0]), min_size=0, max_size=4))
    return (shape,), {"reps": tuple(reps)}


@st.composite
def repeat_case(draw: Any) -> tuple:
    """Repeats as one count or one per element, along None (flattened) or an axis."""
    shape = draw(_shape())
    axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    n = math.prod(shape) if axis is None else shape[axis]
    if draw(st.booleans()):
        repeats: Any = draw(st.integers(0, 3))
    else:
        repeats = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return (shape,), {"repeats": repeats, "axis": axis}


@st.composite
def pad_case(draw: Any) -> tuple:
    """numpy's pad_width forms (an int, one pair, a pair per axis) and every mode."""
    shape = draw(_shape())
    width = st.integers(0, 3)
    form = draw(st.sampled_from(["int", "pair", "per_axis"] if shape else ["int", "pair"]))
    if form == "int":
        pad_width: Any = draw(width)
    elif form == "pair":
        pad_width = (draw(width), draw(width))
    else:
        pad_width = tuple((draw(width), draw(width)) for _ in shape)
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    kwargs = {"pad_width": pad_width, "mode": mode}
    if mode == "constant":
        kwargs["constant_values"] = draw(st.sampled_from([0.0, 1.5]))
    return (shape,), kwargs


@st.composite
def split_case(draw: Any) -> tuple:
    """A number of equal sections that divides the axis, or split indices (unsorted and
    beyond the end too, as numpy allows)."""
    shape = draw(_shape(min_dims=1, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    if draw(st.booleans()):
        sections: Any = draw(st.sampled_from([k for k in range(1, n + 1) if n % k == 0]))
    else:
        sections = draw(st.lists(st.integers(0, n + 1), min_size=1, max_size=3))
    return (shape,), {"indices_or_sections": sections, "axis": axis}


@st.composite
def moveaxis_case(draw: Any) -> tuple:
    """One axis or several, to other positions (negatives too)."""
    shape = draw(_shape(min_dims=1))
    ndim = len(shape)
    k = draw(st.integers(1, ndim))
    src = draw(st.permutations(range(ndim)))[:k]
    dst = draw(st.permutations(range(-ndim, 0)))[:k]
    if k == 1 and draw(st.booleans()):
        return (shape,), {"source": src[0], "destination": dst[0]}
    return (shape,), {"source": tuple(src), "destination": tuple(dst)}


@st.composite
def triangle_case(draw: Any) -> tuple:
    """A batch of matrices (or a vector, which numpy turns into a square) and a diagonal."""
    shape = draw(_shape(min_dims=1))
    return (shape,), {"k": draw(st.integers(-2, 2))}


@st.composite
def diag_case(draw: Any) -> tuple:
    """A vector (placed on a diagonal) or a matrix (its diagonal read), and which diagonal."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=MAX_SIDE))
    return (shape,), {"k": draw(st.integers(-2, 2))}


@st.composite
def diagonal_case(draw: Any) -> tuple:
    """At least two dimensions, an offset and two different axes."""
    shape = draw(_shape(min_dims=2))
    ndim = len(shape)
    axis1, axis2 = draw(st.permutations(range(ndim)))[:2]
    if draw(st.booleans()):
        axis1 -= ndim
    return (shape,), {"offset": draw(st.integers(-2, 2)), "axis1": axis1, "axis2": axis2}


@st.composite
def take_case(draw: Any) -> tuple:
    """Integer indices (any shape, negatives and repeats) along an axis or the flattened
    tensor, in each mode."""
    shape = draw(_shape())
    axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    n = math.prod(shape) if axis is None else shape[axis]
    mode = draw(st.sampled_from(["raise", "wrap", "clip"]))
    bound = st.integers(-n, n - 1) if mode == "raise" else st.integers(-2 * n, 2 * n)
    idx_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    indices = draw(hnp.arrays(np.intp, idx_shape, elements=bound))
    return (shape,), {"indices": indices, "axis": axis, "mode": mode}


@st.composite
def take_along_axis_case(draw: Any) -> tuple:
    """Indices of the input's number of dimensions: any length along ``axis``, and each other
    axis either the input's length or 1 (broadcast)."""
    shape = draw(_shape(min_dims=1))
    if draw(st.integers(0, 4)) == 0:
        indices = draw(
            hnp.arrays(np.intp, st.integers(1, 4), elements=st.integers(0, math.prod(shape) - 1))
        )
        return (shape,), {"indices": indices, "axis": None}
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    a = axis % len(shape)
    idx_shape = tuple(
        draw(st.integers(1, 4)) if d == a else draw(st.sampled_from([n, 1]))
        for d, n in enumerate(shape)
    )
    bound = st.integers(-shape[a], shape[a] - 1)
    return (shape,), {"indices": draw(hnp.arrays(np.intp, idx_shape, elements=bound)), "axis": axis}


@st.composite
def sort_case(draw: Any) -> tuple:
    """At least one dimension and an axis (None flattens)."""
    shape = draw(_shape(min_dims=1))
    return (shape,), {"axis": draw(st.sampled_from([None, *range(-len(shape), len(shape))]))}


def _einsum_sublist(einsum: Callable) -> Callable:
    def f(x: Any, y: Any, out: Any) -> Any:
        return einsum(x, [0, 1], y, [1, 2]) if out is None else einsum(x, [0, 1], y, [1, 2], out)

    return f


def _sym(a: np.ndarray) -> np.ndarray:
    return (a + np.swapaxes(a, -1, -2)) / 2.0


def _column_signs(v: Any) -> np.ndarray:
    # the sign of each column's largest entry: fixes the sign an eigen- or singular vector
    # is free to take, on both sides of the comparison
    v = np.asarray(v.data if isinstance(v, ag.Tensor) else v)
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    return np.sign(np.take_along_axis(v, idx, axis=-2))


def _eigenvectors(eigh: Callable) -> Callable:
    def f(x: Any) -> Any:
        v = eigh(x)[1]
        return v * _column_signs(v)

    return f


def _singular_vectors(svd: Callable, concatenate: Callable) -> Callable:
    def f(x: Any) -> Any:
        u, _, vh = svd(x, full_matrices=False)
        signs = _column_signs(u)
        batch = u.shape[:-2]
        return concatenate(
            [
                (u * signs).reshape(*batch, -1),
                (vh * np.swapaxes(signs, -1, -2)).reshape(*batch, -1),
            ],
            axis=-1,
        )

    return f


def _qr_part(qr: Callable, part: int) -> Callable:
    # Q and R with R's diagonal made positive: Householder QR flips a sign where a column
    # below the diagonal is exactly 0, which central differences would straddle
    def f(x: Any) -> Any:
        q, r = qr(x)
        k = min(x.shape[-2:])
        signs = np.sign(
            np.diagonal(np.asarray(r.data if isinstance(r, ag.Tensor) else r), axis1=-2, axis2=-1)
        )
        signs = np.where(signs == 0, 1.0, signs)[..., :k]
        return q * signs[..., None, :] if part == 0 else r * signs[..., :, None]

    return f


def _weighted_split(split: Callable, concatenate: Callable) -> Callable:
    # the pieces joined back, each scaled by its position, so that every piece is told apart
    def f(x: Any, indices_or_sections: Any, axis: int) -> Any:
        pieces = split(x, indices_or_sections, axis=axis)
        return concatenate([p * float(i + 1) for i, p in enumerate(pieces)], axis=axis)

    return f


EINSUM_FORMS = {
    1: [
        "ii->i",
        "ii",
        "ij->",
        "ij->ji",
        "ij->i",
        "iij->j",
        "...ij->...ji",
        "...",
        "i->",
        "ijk->kj",
    ],
    2: [
        "ij,jk->ik",
        "ij,jk",
        "i,j",
        "i,i",
        "ij,ij->ij",
        "...ij,...jk->...ik",
        "...i,...i->...",
        "ijk,jl->ilk",
        "ab,cb->ac",
        "ii,i->i",
        "bA,aB",
    ],
    3: ["bij,bjk,bkl->bil", "i,ij,j->", "ij,jk,kl", "...i,...i,i->..."],
}


@st.composite
def einsum_case(draw: Any, n: int) -> tuple:
    """Subscripts numpy's einsum takes (explicit and implicit outputs, repeated labels,
    ellipses with broadcast batch axes), shapes to fit, label sizes 1 to 3."""
    subscripts = draw(st.sampled_from(EINSUM_FORMS[n]))
    inputs = subscripts.split("->")[0].split(",")
    size = {c: draw(st.integers(1, MAX_SIDE)) for c in set(subscripts) if c.isalpha()}
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE))
    shapes = []
    for term in inputs:
        named = tuple(size[c] for c in term.replace("...", ""))
        if "..." in term:
            # this operand's batch: the full one, fewer leading axes, or ones that broadcast
            b = batch[draw(st.integers(0, len(batch))) :]
            b = tuple(1 if draw(st.integers(0, 3)) == 0 else m for m in b)
            shapes.append(b + named)
        else:
            shapes.append(named)
    return tuple(shapes), {"subscripts": subscripts}


@st.composite
def einsum_sublist_case(draw: Any) -> tuple:
    """numpy's sublist form: einsum(x, [0, 1], y, [1, 2], [0, 2]), with an output or not."""
    i, j, k = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    out = draw(st.sampled_from([[0, 2], [2, 0], None]))
    return ((i, j), (j, k)), {"out": out}


@st.composite
def tensordot_case(draw: Any) -> tuple:
    """Two operands and axes: an int N (the last N against the first N), or two lists."""
    a = draw(_shape())
    if draw(st.booleans()):
        n = draw(st.integers(0, len(a)))
        b = a[len(a) - n :] + draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE))
        return (a, b), {"axes": n}
    k = draw(st.integers(0, len(a)))
    axes_a = draw(st.permutations(range(len(a))))[:k]
    free_b = list(draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE)))
    order = draw(st.permutations(range(k + len(free_b))))
    b_shape = [0] * (k + len(free_b))
    axes_b = []
    for pos, slot in enumerate(order):
        if pos < k:
            b_shape[slot] = a[axes_a[pos]]
            axes_b.append(slot)
        else:
            b_shape[slot] = free_b[pos - k]
    return (a, tuple(b_shape)), {"axes": (list(axes_a), axes_b)}


@st.composite
def dot_case(draw: Any) -> tuple:
    """Every form of np.dot: scalars, vectors, matrices, N-D with 1-D, N-D with M-D."""
    n, m = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE))
    mid = draw(hnp.array_shapes(min_dims=0, max_dims=1, max_side=MAX_SIDE))
    forms = [
        ((), (n,)),
        ((n,), ()),
        ((n,), (n,)),
        ((m, n), (n,)),
        ((n,), (n, m)),
        ((m, n), (n, 2)),
        (lead + (n,), (n,)),
        (lead + (n,), mid + (n, m)),
    ]
    return draw(st.sampled_from(forms)), {}


@st.composite
def inner_case(draw: Any) -> tuple:
    """Operands sharing their last axis (or a scalar)."""
    n = draw(st.integers(1, MAX_SIDE))
    a = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE)) + (n,)
    b = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE)) + (n,)
    return draw(st.sampled_from([(a, b), ((), b), (a, ())])), {}


@st.composite
def two_shapes(draw: Any) -> tuple:
    """Two independent shapes (outer, kron)."""
    return (draw(_shape()), draw(_shape())), {}


@st.composite
def square_case(draw: Any, max_batch: int = 2) -> tuple:
    """A batch (up to two axes) of n x n matrices, n from 1 to 3."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=max_batch, max_side=2))
    n = draw(st.integers(1, MAX_SIDE))
    return (batch + (n, n),), {}


@st.composite
def matrix_case(draw: Any) -> tuple:
    """A batch of m x n matrices: square, tall and wide."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=1, max_side=2))
    m, n = draw(st.integers(1, MAX_SIDE + 1)), draw(st.integers(1, MAX_SIDE + 1))
    return (batch + (m, n),), {}


@st.composite
def solve_case(draw: Any) -> tuple:
    """a of shape (..., M, M) and b of shape (M,) or (..., M, K), batches broadcasting."""
    (a,), _ = draw(square_case())
    n = a[-1]
    if draw(st.booleans()):
        return (a, (n,)), {}
    batch = a[:-2][draw(st.integers(0, len(a) - 2)) :]
    batch = tuple(1 if draw(st.booleans()) else m for m in batch)
    return (a, batch + (n, draw(st.integers(1, MAX_SIDE)))), {}


@st.composite
def vector_norm_case(draw: Any) -> tuple:
    """A vector norm (numpy's ords and other p) over one axis, or all values for None."""
    shape = draw(_shape(min_dims=1))
    ord_ = draw(st.sampled_from([None, 2, 1, 3, 0.5, np.inf, -np.inf]))
    axis = draw(st.sampled_from([None] if len(shape) > 1 and ord_ is not None else [None, 0, -1]))
    if axis is None and ord_ is not None and len(shape) != 1:
        ord_ = None
    return (shape,), {"ord": ord_, "axis": axis, "keepdims": draw(st.booleans())}


@st.composite
def matrix_norm_case(draw: Any, ords: list) -> tuple:
    """A matrix norm of numpy's (None, fro, nuc, +-1, +-2, +-inf) over two axes."""
    (shape,), _ = draw(matrix_case())
    ord_ = draw(st.sampled_from(ords))
    nd = len(shape)
    axis = draw(st.sampled_from([(nd - 2, nd - 1), (-1, -2)] + ([None] if nd == 2 else [])))
    return (shape,), {"ord": ord_, "axis": axis, "keepdims": draw(st.booleans())}


# --- NumPy references written plainly (no stabilising tricks: inputs are small) --------------


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def _logsumexp(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))


def _reduce(name: str) -> Callable[..., np.ndarray]:
    f = getattr(np, name)
    return lambda x, axis, keepdims, **kw: f(x, axis=axis, keepdims=keepdims, **kw)


def _method(name: str) -> Callable[..., ag.Tensor]:
    return lambda x, axis, keepdims, **kw: getattr(x, name)(axis=axis, keepdims=keepdims, **kw)


R = (real,)
R2 = (real, real)


OP_SPECS: list[OpSpec] = [
    # arithmetic
    OpSpec("add", ag.add, np.add, 2, broadcasting(2), R2),
    OpSpec("add_operator", lambda x, y: x + y, np.add, 2, broadcasting(2), R2),
    OpSpec("subtract", lambda x, y: x - y, np.subtract, 2, broadcasting(2), R2),
    OpSpec("multiply", lambda x, y: x * y, np.multiply, 2, broadcasting(2), R2),
    OpSpec("divide", lambda x, y: x / y, np.divide, 2, broadcasting(2), (real, nonzero)),
    OpSpec(
        "power_tensor_exponent", lambda x, y: x**y, np.power, 2, broadcasting(2), (positive, real)
    ),
    OpSpec(
        "power_scalar_exponent",
        lambda x, p: ag.power(x, p),
        lambda x, p: x**p,
        1,
        unary(p=st.sampled_from([2.0, 3.0, 0.5, -1.5, 1.0])),
        (positive,),
    ),
    OpSpec(
        "power_integer_exponent",
        lambda x, p: x**p,
        lambda x, p: x**p,
        1,
        unary(p=st.sampled_from([2, 3])),
        R,
    ),
    OpSpec("negative", lambda x: -x, np.negative, 1, unary(), R),
    # elementwise functions
    OpSpec("exp", ag.exp, np.exp, 1, unary(), R),
    OpSpec("log", ag.log, np.log, 1, unary(), (positive,)),
    OpSpec("log1p", ag.log1p, np.log1p, 1, unary(), (positive,)),
    OpSpec("sqrt", lambda x: x.sqrt(), np.sqrt, 1, unary(), (positive,)),
    OpSpec("abs", ag.abs, np.abs, 1, unary(), (nonzero,)),
    OpSpec("sin", ag.sin, np.sin, 1, unary(), R),
    OpSpec("cos", ag.cos, np.cos, 1, unary(), R),
    OpSpec("tanh", lambda x: x.tanh(), np.tanh, 1, unary(), R),
    # more elementwise functions
    OpSpec("expm1", ag.expm1, np.expm1, 1, unary(), R),
    OpSpec("exp2", ag.exp2, np.exp2, 1, unary(), R),
    OpSpec("log2", ag.log2, np.log2, 1, unary(), (positive,)),
    OpSpec("log10", ag.log10, np.log10, 1, unary(), (positive,)),
    OpSpec("logaddexp", ag.logaddexp, np.logaddexp, 2, broadcasting(2), R2),
    OpSpec("reciprocal", ag.reciprocal, np.reciprocal, 1, unary(), (nonzero,)),
    OpSpec("tan", ag.tan, np.tan, 1, unary(), (unit,)),
    OpSpec("arcsin", ag.arcsin, np.arcsin, 1, unary(), (unit,)),
    OpSpec("arccos", ag.arccos, np.arccos, 1, unary(), (unit,)),
    OpSpec("arctan", ag.arctan, np.arctan, 1, unary(), R),
    OpSpec("arctan2", ag.arctan2, np.arctan2, 2, broadcasting(2), (nonzero, real)),
    OpSpec("hypot", ag.hypot, np.hypot, 2, broadcasting(2), (nonzero, real)),
    OpSpec("sinh", ag.sinh, np.sinh, 1, unary(), R),
    OpSpec("cosh", ag.cosh, np.cosh, 1, unary(), R),
    OpSpec("arcsinh", ag.arcsinh, np.arcsinh, 1, unary(), R),
    OpSpec("arccosh", ag.arccosh, np.arccosh, 1, unary(), (above_one,)),
    OpSpec("arctanh", ag.arctanh, np.arctanh, 1, unary(), (unit,)),
    OpSpec("erf", ag.erf, _erf, 1, unary(), R),
    OpSpec("sign", ag.sign, np.sign, 1, unary(), (nonzero,)),
    OpSpec("floor", ag.floor, np.floor, 1, unary(), (beside_grid,)),
    OpSpec("ceil", ag.ceil, np.ceil, 1, unary(), (beside_grid,)),
    OpSpec(
        "round",
        lambda x, decimals: ag.round(x, decimals),
        lambda x, decimals: np.round(x, decimals),
        1,
        unary(decimals=st.sampled_from([0, 1, -1])),
        (beside_grid,),
    ),
    OpSpec("mod", ag.mod, np.mod, 2, broadcasting(2), (off_grid, divisor)),
    OpSpec("mod_operator", lambda x, y: x % y, np.mod, 2, broadcasting(2), (off_grid, divisor)),
    OpSpec(
        "floor_divide",
        lambda x, y: x // y,
        np.floor_divide,
        2,
        broadcasting(2),
        (off_grid, divisor),
    ),
    # activations
    OpSpec("sigmoid", ag.sigmoid, lambda x: 1.0 / (1.0 + np.exp(-x)), 1, unary(), R),
    OpSpec("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0.0), 1, unary(), (nonzero,)),
    OpSpec(
        "leaky_relu",
        lambda x, s: ag.leaky_relu(x, s),
        lambda x, s: np.where(x > 0, x, s * x),
        1,
        unary(s=st.sampled_from([0.01, 0.2])),
        (nonzero,),
    ),
    OpSpec("softplus", ag.softplus, lambda x: np.log1p(np.exp(x)), 1, unary(), R),
    OpSpec(
        "gelu",
        ag.gelu,
        lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
        1,
        unary(),
        R,
    ),
    OpSpec(
        "gelu_tanh",
        lambda x: ag.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))),
        1,
        unary(),
        R,
    ),
    OpSpec("silu", ag.silu, lambda x: x * _expit(x), 1, unary(), R),
    OpSpec("swish", ag.swish, lambda x: x * _expit(x), 1, unary(), R),
    OpSpec(
        "elu",
        lambda x, alpha: ag.elu(x, alpha),
        lambda x, alpha: np.where(x > 0, x, alpha * (np.exp(x) - 1.0)),
        1,
        unary(alpha=st.sampled_from([1.0, 0.5])),
        (nonzero,),
    ),
    OpSpec(
        "selu",
        ag.selu,
        lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1.0)),
        1,
        unary(),
        (nonzero,),
    ),
    OpSpec("softsign", ag.softsign, lambda x: x / (1.0 + np.abs(x)), 1, unary(), (nonzero,)),
    OpSpec("log_sigmoid", ag.log_sigmoid, lambda x: np.log(_expit(x)), 1, unary(), R),
    OpSpec(
        "hard_sigmoid",
        ag.hard_sigmoid,
        lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
        1,
        unary(),
        (wide_off_grid,),
    ),
    OpSpec("relu6", ag.relu6, lambda x: np.clip(x, 0.0, 6.0), 1, unary(), (wide_off_grid,)),
    OpSpec("mish", ag.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), 1, unary(), R),
    OpSpec("softmax", lambda x, axis: ag.softmax(x, axis=axis), _softmax, 1, along_axis, R),
    OpSpec("log_softmax", lambda x, axis: x.log_softmax(axis=axis), _log_softmax, 1, along_axis, R),
    OpSpec(
        "logsumexp",
        lambda x, axis, keepdims: ag.logsumexp(x, axis, keepdims),
        _logsumexp,
        1,
        reduction,
        R,
    ),
    # selection
    OpSpec(
        "clip",
        lambda x, lo, hi: ag.clip(x, lo, hi),
        lambda x, lo, hi: np.clip(x, lo, hi),
        1,
        clip_case,
        (off_grid,),
    ),
    OpSpec("maximum", ag.maximum, np.maximum, 2, broadcasting(2), (off_grid, on_grid)),
    OpSpec("minimum", ag.minimum, np.minimum, 2, broadcasting(2), (on_grid, off_grid)),
    OpSpec("where", ag.where, np.where, 3, broadcasting(3), (boolean, real, real)),
    # reductions
    OpSpec(
        "sum", lambda x, axis, keepdims: ag.sum(x, axis, keepdims), _reduce("sum"), 1, reduction, R
    ),
    OpSpec("sum_method", _method("sum"), _reduce("sum"), 1, reduction, R),
    OpSpec("mean", _method("mean"), _reduce("mean"), 1, reduction, R),
    OpSpec("max", _method("max"), _reduce("max"), 1, reduction, (distinct,)),
    OpSpec(
        "min",
        lambda x, axis, keepdims: ag.min(x, axis, keepdims),
        _reduce("min"),
        1,
        reduction,
        (distinct,),
    ),
    OpSpec("var", _method("var"), _reduce("var"), 1, lambda: reduction(ddof=True), R),
    OpSpec(
        "std",
        _method("std"),
        _reduce("std"),
        1,
        lambda: reduction(min_dims=1, min_side=2, ddof=True),
        (distinct,),
    ),
    OpSpec("prod", _method("prod"), _reduce("prod"), 1, reduction, (nonzero,)),
    OpSpec(
        "prod_with_zeros",
        lambda x, axis, keepdims: ag.prod(x, axis, keepdims),
        _reduce("prod"),
        1,
        reduction,
        (sparse,),
    ),
    OpSpec("cumsum", lambda x, axis: ag.cumsum(x, axis), np.cumsum, 1, cumulative_case, R),
    OpSpec("cumprod", lambda x, axis: x.cumprod(axis), np.cumprod, 1, cumulative_case, (nonzero,)),
    OpSpec(
        "cumprod_with_zeros",
        lambda x, axis: ag.cumprod(x, axis),
        np.cumprod,
        1,
        cumulative_case,
        (sparse,),
    ),
    # linear algebra
    OpSpec("matmul", lambda x, y: x @ y, np.matmul, 2, matmul_shapes, R2),
    OpSpec("matmul_function", ag.matmul, np.matmul, 2, matmul_shapes, R2),
    OpSpec(
        "einsum_one_operand",
        lambda x, subscripts: ag.einsum(subscripts, x),
        lambda x, subscripts: np.einsum(subscripts, x),
        1,
        lambda: einsum_case(1),
        R,
    ),
    OpSpec(
        "einsum",
        lambda x, y, subscripts: ag.einsum(subscripts, x, y),
        lambda x, y, subscripts: np.einsum(subscripts, x, y),
        2,
        lambda: einsum_case(2),
        R2,
    ),
    OpSpec(
        "einsum_three_operands",
        lambda x, y, z, subscripts: ag.einsum(subscripts, x, y, z),
        lambda x, y, z, subscripts: np.einsum(subscripts, x, y, z),
        3,
        lambda: einsum_case(3),
        (real,) * 3,
    ),
    OpSpec(
        "einsum_sublists",
        _einsum_sublist(ag.einsum),
        _einsum_sublist(np.einsum),
        2,
        einsum_sublist_case,
        R2,
    ),
    OpSpec(
        "tensordot",
        lambda x, y, axes: ag.tensordot(x, y, axes),
        lambda x, y, axes: np.tensordot(x, y, axes),
        2,
        tensordot_case,
        R2,
    ),
    OpSpec("dot", ag.dot, np.dot, 2, dot_case, R2),
    OpSpec("dot_method", lambda x, y: x.dot(y), np.dot, 2, dot_case, R2),
    OpSpec("inner", ag.inner, np.inner, 2, inner_case, R2),
    OpSpec("outer", ag.outer, np.outer, 2, two_shapes, R2),
    OpSpec("kron", ag.kron, np.kron, 2, two_shapes, R2),
    OpSpec("inv", ag.linalg.inv, np.linalg.inv, 1, square_case, (well_conditioned,)),
    OpSpec("inv_spd", ag.linalg.inv, np.linalg.inv, 1, square_case, (spd,)),
    OpSpec("det", ag.linalg.det, np.linalg.det, 1, square_case, (well_conditioned,)),
    OpSpec(
        "slogdet",
        lambda x: ag.linalg.slogdet(x)[1],
        lambda x: np.linalg.slogdet(x)[1],
        1,
        square_case,
        (well_conditioned,),
    ),
    OpSpec("solve", ag.linalg.solve, np.linalg.solve, 2, solve_case, (well_conditioned, real)),
    OpSpec(
        "cholesky",
        ag.linalg.cholesky,
        lambda x: np.linalg.cholesky(_sym(x)),
        1,
        square_case,
        (spd,),
    ),
    OpSpec(
        "cholesky_upper",
        lambda x: ag.linalg.cholesky(x, upper=True),
        lambda x: np.linalg.cholesky(_sym(x), upper=True),
        1,
        square_case,
        (spd,),
    ),
    OpSpec(
        "eigh_eigenvalues",
        lambda x: ag.linalg.eigh(x)[0],
        lambda x: np.linalg.eigh(_sym(x))[0],
        1,
        square_case,
        (distinct_eigenvalues,),
    ),
    OpSpec(
        "eigh_eigenvectors",
        _eigenvectors(ag.linalg.eigh),
        _eigenvectors(lambda x: np.linalg.eigh(_sym(x))),
        1,
        square_case,
        (distinct_eigenvalues,),
    ),
    OpSpec(
        "svd_singular_values",
        lambda x: ag.linalg.svd(x, full_matrices=False)[1],
        lambda x: np.linalg.svd(x, full_matrices=False)[1],
        1,
        matrix_case,
        (distinct_singular_values,),
    ),
    OpSpec(
        "svd_compute_uv_false",
        lambda x: ag.linalg.svd(x, compute_uv=False),
        lambda x: np.linalg.svd(x, compute_uv=False),
        1,
        matrix_case,
        (distinct_singular_values,),
    ),
    OpSpec(
        "svd_singular_vectors",
        _singular_vectors(ag.linalg.svd, ag.concatenate),
        _singular_vectors(np.linalg.svd, np.concatenate),
        1,
        matrix_case,
        (distinct_singular_values,),
    ),
    OpSpec(
        "qr_q", _qr_part(ag.linalg.qr, 0), _qr_part(np.linalg.qr, 0), 1, matrix_case, (full_rank,)
    ),
    OpSpec(
        "qr_r", _qr_part(ag.linalg.qr, 1), _qr_part(np.linalg.qr, 1), 1, matrix_case, (full_rank,)
    ),
    OpSpec(
        "qr_mode_r",
        _qr_part(lambda x: (None, ag.linalg.qr(x, mode="r")), 1),
        _qr_part(lambda x: (None, np.linalg.qr(x, mode="r")), 1),
        1,
        matrix_case,
        (full_rank,),
    ),
    OpSpec(
        "vector_norm",
        lambda x, **kw: ag.linalg.norm(x, **kw),
        lambda x, **kw: np.linalg.norm(x, **kw),
        1,
        vector_norm_case,
        (binary_magnitudes,),
    ),
    OpSpec(
        "matrix_norm",
        lambda x, **kw: ag.linalg.norm(x, **kw),
        lambda x, **kw: np.linalg.norm(x, **kw),
        1,
        lambda: matrix_norm_case(["nuc", 2, -2]),
        (distinct_singular_values,),
    ),
    OpSpec(
        "matrix_norm_entrywise",
        lambda x, **kw: ag.linalg.norm(x, **kw),
        lambda x, **kw: np.linalg.norm(x, **kw),
        1,
        lambda: matrix_norm_case([None, "fro", 1, -1, np.inf, -np.inf]),
        (binary_magnitudes,),
    ),
    # shape
    OpSpec(
        "reshape",
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        1,
        reshape_case,
        R,
    ),
    OpSpec("transpose", lambda x, axes: ag.transpose(x, axes), np.transpose, 1, transpose_case, R),
    OpSpec("T", lambda x: x.T, lambda x: x.T, 1, unary(), R),
    OpSpec(
        "swapaxes",
        lambda x, axis1, axis2: x.swapaxes(axis1, axis2),
        np.swapaxes,
        1,
        swapaxes_case,
        R,
    ),
    OpSpec("squeeze", lambda x, axis: ag.squeeze(x, axis), np.squeeze, 1, squeeze_case, R),
    OpSpec(
        "expand_dims", lambda x, axis: x.expand_dims(axis), np.expand_dims, 1, expand_dims_case, R
    ),
    OpSpec(
        "broadcast_to",
        lambda x, shape: ag.broadcast_to(x, shape),
        np.broadcast_to,
        1,
        broadcast_to_case,
        R,
    ),
    OpSpec(
        "getitem_basic",
        lambda x, index: x[index],
        lambda x, index: x[index],
        1,
        basic_index_case,
        R,
    ),
    OpSpec(
        "getitem_int_arrays",
        lambda x, index: x[index],
        lambda x, index: x[index],
        1,
        int_array_index_case,
        R,
    ),
    OpSpec(
        "getitem_bool_mask",
        lambda x, index: ag.getitem(x, index),
        lambda x, index: x[index],
        1,
        bool_mask_case,
        R,
    ),
    OpSpec(
        "concatenate",
        lambda *xs, axis: ag.concatenate(xs, axis=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        3,
        concatenate_case,
        (real,) * 3,
    ),
    OpSpec(
        "stack",
        lambda *xs, axis: ag.stack(xs, axis=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        3,
        stack_case,
        (real,) * 3,
    ),
    OpSpec("flip", lambda x, axis: ag.flip(x, axis), np.flip, 1, flip_case, R),
    OpSpec("roll", lambda x, shift, axis: ag.roll(x, shift, axis), np.roll, 1, roll_case, R),
    OpSpec("tile", lambda x, reps: ag.tile(x, reps), np.tile, 1, tile_case, R),
    OpSpec(
        "repeat",
        lambda x, repeats, axis: x.repeat(repeats, axis),
        lambda x, repeats, axis: np.repeat(x, repeats, axis),
        1,
        repeat_case,
        R,
    ),
    OpSpec(
        "pad",
        lambda x, **kw: ag.pad(x, **kw),
        lambda x, **kw: np.pad(x, **kw),
        1,
        pad_case,
        R,
    ),
    OpSpec(
        "split",
        _weighted_split(ag.split, ag.concatenate),
        _weighted_split(np.split, np.concatenate),
        1,
        split_case,
        R,
    ),
    OpSpec(
        "moveaxis",
        lambda x, source, destination: ag.moveaxis(x, source, destination),
        np.moveaxis,
        1,
        moveaxis_case,
        R,
    ),
    OpSpec("tril", lambda x, k: ag.tril(x, k), lambda x, k: np.tril(x, k), 1, triangle_case, R),
    OpSpec("triu", lambda x, k: ag.triu(x, k), lambda x, k: np.triu(x, k), 1, triangle_case, R),
    OpSpec("diag", lambda x, k: ag.diag(x, k), lambda x, k: np.diag(x, k), 1, diag_case, R),
    OpSpec(
        "diagonal",
        lambda x, **kw: x.diagonal(**kw),
        lambda x, **kw: np.diagonal(x, **kw),
        1,
        diagonal_case,
        R,
    ),
    OpSpec(
        "trace",
        lambda x, **kw: ag.trace(x, **kw),
        lambda x, **kw: np.trace(x, **kw),
        1,
        diagonal_case,
        R,
    ),
    OpSpec(
        "take",
        lambda x, indices, axis, mode: x.take(indices, axis, mode),
        lambda x, indices, axis, mode: np.take(x, indices, axis=axis, mode=mode),
        1,
        take_case,
        R,
    ),
    OpSpec(
        "take_along_axis",
        lambda x, indices, axis: ag.take_along_axis(x, indices, axis),
        lambda x, indices, axis: np.take_along_axis(x, indices, axis=axis),
        1,
        take_along_axis_case,
        R,
    ),
    OpSpec(
        "sort",
        lambda x, axis: ag.sort(x, axis),
        lambda x, axis: np.sort(x, axis),
        1,
        sort_case,
        (distinct,),
    ),
    # dtype
    OpSpec(
        "astype_float64_copy",
        lambda x: ag.astype(x, np.float64, copy=True),
        lambda x: x.astype(np.float64, copy=True),
        1,
        unary(),
        R,
        keeps_dtype=False,
    ),
    # NOTE: rounding to float32 moves values by up to 1e-7 relative, which central differences
    # with eps=1e-6 would see as ~10% noise; a larger step measures the (unit) slope instead.
    OpSpec(
        "astype_float32",
        lambda x: x.astype(np.float32),
        lambda x: x.astype(np.float32),
        1,
        unary(),
        R,
        eps=1e-2,
    ),
]

SPECS_BY_NAME = {s.name: s for s in OP_SPECS}


# Ops with boolean or integer results: never recorded (forward checked against NumPy only).
ND_SPECS: list[OpSpec] = [
    OpSpec("isfinite", ag.isfinite, np.isfinite, 1, unary(), (with_specials,)),
    OpSpec("isnan", ag.isnan, np.isnan, 1, unary(), (with_specials,)),
    OpSpec("any", _method("any"), _reduce("any"), 1, reduction, (sparse,)),
    OpSpec(
        "all",
        lambda x, axis, keepdims: ag.all(x, axis, keepdims),
        _reduce("all"),
        1,
        reduction,
        (sparse,),
    ),
    OpSpec("argmax", _method("argmax"), _reduce("argmax"), 1, arg_case, R),
    OpSpec(
        "argsort",
        lambda x, axis: x.argsort(axis),
        lambda x, axis: np.argsort(x, axis, kind="stable"),
        1,
        sort_case,
        R,
    ),
    OpSpec(
        "argmin",
        lambda x, axis, keepdims: ag.argmin(x, axis, keepdims),
        _reduce("argmin"),
        1,
        arg_case,
        R,
    ),
]

ND_SPECS_BY_NAME = {s.name: s for s in ND_SPECS}
