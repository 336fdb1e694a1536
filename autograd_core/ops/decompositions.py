"""numpy.linalg's functions, batched over leading axes as numpy batches them: inv, det,
slogdet, solve, cholesky, eigh, svd, svdvals, qr and norm, each with its VJP below it.

A decomposition with several results (eigh, svd, qr, slogdet) is one op whose output packs
them side by side on a last axis; the function returns the pieces, cut out and reshaped
with recorded ops. The decomposition runs once, and every rule is written on Tensors (the
pieces of the op's own output among them), so second derivatives are exact.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np

from ..errors import BackwardError, DegenerateGradientWarning, LinAlgError, ShapeError
from ..op import Tensor, _make, as_tensors, op
from ._axes import normalize_axes, normalize_axis
from .elementwise import absolute, power, sign, where
from .indexing import diagonal, tril
from .reduce import _expand, _kept_shape, _others_product
from .reduce import max as _amax
from .reduce import min as _amin
from .reduce import sum as _sum
from .shape import _as_tensor, concatenate, expand_dims, moveaxis, reshape

Array = np.ndarray


class SlogdetResult(NamedTuple):
    """``slogdet``'s results, named as numpy names them."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """``eigh``'s results: eigenvalues in ascending order, eigenvectors as columns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    """``svd``'s results: ``a = (U * S[..., None, :]) @ Vh``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    """``qr``'s results: ``a = Q @ R``."""

    Q: Tensor
    R: Tensor


# --- helpers ----------------------------------------------------------------------------------


def _matrices(name: str, a: Any, square: bool = True) -> Tensor:
    """``a`` as a Tensor holding (a batch of) matrices, else an error naming ``name``."""
    a = _as_tensor(a)
    if a.ndim < 2:
        raise LinAlgError(
            f"{name}: expects matrices in the last two axes. Received shape {a.shape}"
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise LinAlgError(
            f"{name}: expects square matrices in the last two axes. Received shape {a.shape}"
        )
    if a.dtype.kind not in "f":
        a = _make(a.data.astype(np.float64))  # numpy computes integer input in float64
    return a


def _mT(a: Array) -> Array:
    return np.swapaxes(a, -1, -2)


def _symmetrized(a: Array) -> Array:
    # NOTE: eigh and cholesky read (a + a^T) / 2, as JAX does: the same as numpy's result
    # for a symmetric input (numpy reads one triangle), and a function of every entry, so
    # the gradient is symmetric and agrees with central differences entry by entry.
    return (a + _mT(a)) * 0.5


def _pack(batch: tuple, *parts: Array) -> Array:
    """The results of a decomposition side by side on one last axis."""
    return np.concatenate([p.reshape(*batch, -1) for p in parts], axis=-1)


def _unpack(packed: Tensor, shapes: list[tuple]) -> list[Tensor]:
    """The pieces of a packed output (or of its gradient), each in its own shape."""
    batch = packed.shape[:-1]
    pieces = []
    start = 0
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(reshape(packed[..., start : start + size], batch + shape))
        start += size
    return pieces


def _eye(n: int, dtype: np.dtype) -> Tensor:
    return _make(np.eye(n, dtype=dtype))


def _diag_matrix(v: Tensor) -> Tensor:
    """A batch of diagonal matrices from a batch of vectors."""
    return expand_dims(v, -1) * _eye(v.shape[-1], v.dtype)


def _batch_where(a: Array, bad: Array) -> str:
    """' (matrix (1, 0) of the batch)' for the first bad matrix of a batch, else ''."""
    if a.ndim <= 2 or not bad.any():
        return ""
    return f" (matrix {tuple(int(i) for i in np.argwhere(bad)[0])} of the batch)"


def _inverse_gaps(
    name: str, gap: Tensor, coupling: Tensor, scale: Array, size: Array, n: int, what: str
) -> Tensor:
    """1 / gap, elementwise, for the pairs (i, j) of a spectrum, except where gap is
    (nearly) 0: there 0 when ``coupling`` (what multiplies 1 / gap) is (nearly) 0 too, next
    to ``size`` (the largest term it is made of), and a DegenerateGradientWarning (and nan,
    or the exact but huge 1 / gap) when it is not. ``scale``: the largest value."""
    eps = np.finfo(gap.dtype).eps
    # eigenvalues and singular values are accurate to about n * eps * |largest|: closer
    # than a few times that, two of them are equal as far as the numbers can tell
    tol = 8.0 * n * eps * np.maximum(scale, np.finfo(gap.dtype).tiny)
    close = np.abs(gap.data) <= tol[..., None, None]
    floor = math.sqrt(eps) * np.maximum(size, np.finfo(gap.dtype).tiny)[..., None, None]
    loose = np.abs(coupling.data) > floor
    bad = close & loose
    if bad.any():
        warnings.warn(
            f"{name}: the gradient through the {what} of (nearly) equal values is not "
            f"defined: the loss depends on the choice of basis within their subspace"
            f"{_batch_where(gap.data, bad.any(axis=(-2, -1)))}. Those terms are nan, "
            f"or huge where the values differ by rounding only. A loss of the values alone, "
            f"or of the subspaces they span, has a gradient",
            DegenerateGradientWarning,
            stacklevel=4,
        )
    dropped = close & ~bad
    undefined = bad & (gap.data == 0)
    special = dropped | undefined
    if not special.any():
        return 1.0 / gap
    filler = _make(np.where(undefined, np.nan, 0.0).astype(gap.dtype))
    with np.errstate(divide="ignore", over="ignore"):
        return where(special, filler, 1.0 / where(special, 1.0, gap))


# --- inverse, determinants, solve -------------------------------------------------------------


def _call(name: str, f: Any, a: Array, what: str) -> Any:
    try:
        return f(a)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: {what}. Received shape {a.shape}") from None


@op("inv")
def _inv(a: Array) -> Array:
    return _call("inv", np.linalg.inv, a, "the matrix is singular")


@_inv.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor) -> tuple:
    # d inv(A) = -inv(A) dA inv(A):  grad A = -inv(A)^T g inv(A)^T
    t = out.mT
    return (-(t @ g @ t),)


@_inv.jvp
def _(d: tuple, out: Tensor, a: Tensor) -> Tensor:
    # d inv(A) = -inv(A) dA inv(A)
    return -(out @ d[0] @ out)


def inv(a: Any) -> Tensor:
    """The inverse of (a batch of) square matrices, as ``np.linalg.inv``."""
    return _inv(_matrices("inv", a))


@op("det")
def _det(a: Array) -> Array:
    return np.linalg.det(a)


@_det.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor) -> tuple:
    # d det(A)/dA = adj(A)^T  (= det(A) inv(A)^T for an invertible A)
    # NOTE: det * inv where every matrix is far from singular (then the second derivative,
    # through inv, is exact everywhere); else the adjugate from an SVD, which is finite and
    # exact at a singular matrix too, where inv does not exist (its second derivative is
    # exact while the singular values are distinct).
    return (g[..., None, None] * _det_slope(a, out),)


@_det.jvp
def _(d: tuple, out: Tensor, a: Tensor) -> Tensor:
    # d det(A) = tr(adj(A) dA) = sum(adj(A)^T * dA)
    return _sum(_det_slope(a, out) * d[0], (-2, -1))


def _det_slope(a: Tensor, out: Tensor) -> Tensor:
    """d det(A)/dA = adj(A)^T."""
    if _far_from_singular(a.data, out.data):
        return out[..., None, None] * inv(a).mT
    return _adjugate(a).mT


def _far_from_singular(a: Array, d: Array) -> bool:
    # |det| over the product of the column lengths (Hadamard's bound): 1 for orthogonal
    # columns, 0 for dependent ones, and blind to the scale of each column
    lengths = np.sqrt(np.sum(a * a, axis=-2))
    bound = np.prod(lengths, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return bool(np.all(np.abs(d) > 1e-6 * bound) and np.all(bound > 0))


def _adjugate(a: Tensor) -> Tensor:
    """adj(A) = det(U) det(V) V diag(p) U^T for A = U diag(s) V^T, p_i = prod_{j != i} s_j."""
    u, s, vh = svd(a, full_matrices=False)
    # det(U) det(V) is +-1 and constant where the SVD is smooth
    orientation = np.sign(np.linalg.det(u.data) * np.linalg.det(vh.data)).astype(a.dtype)
    p = _others_product(s, (s.ndim - 1,))  # exact when one or several s_j are 0
    adj = (vh.mT * expand_dims(p, -2)) @ u.mT
    return adj * _make(orientation[..., None, None])


def det(a: Any) -> Tensor:
    """Determinant of (a batch of) square matrices, as ``np.linalg.det``; its gradient is
    the transposed adjugate, finite at singular matrices."""
    return _det(_matrices("det", a))


@op("slogdet")
def _slogdet(a: Array) -> Array:
    sign_, logabsdet = np.linalg.slogdet(a)
    return np.stack([sign_, logabsdet], axis=-1)


@_slogdet.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor) -> tuple:
    # d log|det A|/dA = inv(A)^T; the sign is piecewise constant (gradient 0)
    if (out.data[..., 0] == 0).any():
        raise LinAlgError(
            f"slogdet: the gradient of log|det| at a singular matrix is infinite. Received "
            f"shape {a.shape}"
        )
    return (g[..., 1:2, None] * inv(a).mT,)


@_slogdet.jvp
def _(d: tuple, out: Tensor, a: Tensor) -> Tensor:
    # d log|det A| = tr(inv(A) dA); the sign's tangent is 0
    if (out.data[..., 0] == 0).any():
        raise LinAlgError(
            f"slogdet: the derivative of log|det| at a singular matrix is infinite. Received "
            f"shape {a.shape}"
        )
    dlog = _sum(inv(a).mT * d[0], (-2, -1))[..., None]
    return concatenate([_make(np.zeros(dlog.shape, dlog.dtype)), dlog], axis=-1)


def slogdet(a: Any) -> SlogdetResult:
    """``(sign, logabsdet)`` of the determinant, as ``np.linalg.slogdet``: ``sign`` is not
    differentiable, ``logabsdet`` is (its gradient is ``inv(a)^T``)."""
    packed = _slogdet(_matrices("slogdet", a))
    return SlogdetResult(_make(packed.data[..., 0]), packed[..., 1])


@op("solve")
def _solve(a: Array, b: Array) -> Array:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"solve: the matrix is singular. Received shape {a.shape}") from None


@_solve.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple:
    # x = inv(A) b:  grad b = inv(A)^T g,  grad A = -(grad b) x^T
    vector = b.ndim == 1  # numpy's rule: only a 1-D b is a vector
    gcol = expand_dims(g, -1) if vector else g
    gb = _solve(a.mT, gcol)
    xcol = expand_dims(out, -1) if vector else out
    ga = -(gb @ xcol.mT) if a._rg else None
    if vector:
        gb = gb[..., 0]
    return ga, (gb if b._rg else None)


@_solve.jvp
def _(d: tuple, out: Tensor, a: Tensor, b: Tensor) -> Tensor:
    # x = inv(A) b:  dx = inv(A) (db - dA x)
    da, db = d
    vector = b.ndim == 1
    rhs = None if db is None else expand_dims(db, -1) if vector else db
    if da is not None:
        shift = da @ (expand_dims(out, -1) if vector else out)
        rhs = -shift if rhs is None else rhs - shift
    dx = _solve(a, rhs)
    return dx[..., 0] if vector else dx


def solve(a: Any, b: Any) -> Tensor:
    """The solution x of ``a @ x = b``, as ``np.linalg.solve``: b of shape (M,) is a vector,
    (..., M, K) a batch of matrices; batch axes broadcast."""
    a = _matrices("solve", a)
    (b,) = as_tensors((b,))
    if b.ndim == 0 or b.shape[-2 if b.ndim > 1 else 0] != a.shape[-1]:
        raise ShapeError(
            f"solve: b must have shape ({a.shape[-1]},) or (..., {a.shape[-1]}, K) for a of "
            f"shape {a.shape}. Received shape {b.shape}"
        )
    return _solve(a, b)


# --- cholesky ---------------------------------------------------------------------------------


@op("cholesky")
def _cholesky(a: Array, upper: bool = False) -> Array:
    s = _symmetrized(a)
    try:
        low = np.linalg.cholesky(s)
    except np.linalg.LinAlgError:
        bad = np.array([not _is_pd(m) for m in s.reshape(-1, *s.shape[-2:])])
        where_bad = _batch_where(s, bad.reshape(s.shape[:-2]))
        raise LinAlgError(
            f"cholesky: the matrix is not positive definite{where_bad}. Received shape {a.shape}"
        ) from None
    return _mT(low) if upper else low


def _is_pd(m: Array) -> bool:
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return True


@_cholesky.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor, upper: bool = False) -> tuple:
    # A = L L^T:  grad A = sym(L^-T Phi(L^T gL) L^-1), Phi = the lower triangle with half
    # the diagonal, sym(X) = (X + X^T) / 2 (the input is read symmetrized)
    low, gl = (out.mT, g.mT) if upper else (out, g)
    p = low.mT @ gl
    phi = tril(p) - p * (_eye(p.shape[-1], p.dtype) * 0.5)
    z = _solve(low.mT, phi)  # L^-T Phi
    gs = _solve(low.mT, z.mT).mT  # L^-T Phi L^-1
    return ((gs + gs.mT) * 0.5,)


@_cholesky.jvp
def _(d: tuple, out: Tensor, a: Tensor, upper: bool = False) -> Tensor:
    # S = L L^T:  dL = L Phi(L^-1 dS L^-T), Phi = the lower triangle with half the diagonal,
    # dS = (dA + dA^T) / 2 (the input is read symmetrized)
    low = out.mT if upper else out
    ds = (d[0] + d[0].mT) * 0.5
    y = _solve(low, ds)  # L^-1 dS
    x = _solve(low, y.mT).mT  # L^-1 dS L^-T
    dlow = low @ (tril(x) - x * (_eye(x.shape[-1], x.dtype) * 0.5))
    return dlow.mT if upper else dlow


def cholesky(a: Any, upper: bool = False) -> Tensor:
    """Lower (or with ``upper=True`` upper) Cholesky factor of symmetric positive definite
    matrices, as ``np.linalg.cholesky``. Raises ``LinAlgError`` (a ValueError) naming the
    shape when a matrix is not positive definite."""
    a = _matrices("cholesky", a)
    return _cholesky(a, upper=True) if upper else _cholesky(a)


# --- eigh -------------------------------------------------------------------------------------


@op("eigh")
def _eigh(a: Array) -> Array:
    w, v = np.linalg.eigh(_symmetrized(a))
    return _pack(a.shape[:-2], w, v)


@_eigh.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor) -> tuple:
    # A = V diag(w) V^T:  grad A = V (diag(gw) + F * (K - K^T) / 2) V^T,  K = V^T gV,
    # F_ij = 1 / (w_j - w_i) off the diagonal (symmetric: the input is read symmetrized)
    n = a.shape[-1]
    gw, gv = _unpack(g, [(n,), (n, n)])
    w, v = _unpack(out, [(n,), (n, n)])
    inner = _diag_matrix(gw)
    if gv.data.any():
        k = v.mT @ gv
        skew = (k - k.mT) * 0.5
        gap = expand_dims(w, -2) - expand_dims(w, -1)  # gap_ij = w_j - w_i
        scale = np.abs(w.data).max(axis=-1)
        # NOTE: for (nearly) equal w_i, w_j the term is 0/0 when the loss does not depend
        # on the basis chosen in their eigenspace (skew_ij = 0): it is taken as 0, exact
        # for losses of the eigenvalues and of the eigenspaces (their projectors). A matrix
        # function rebuilt as V f(w) V^T is basis-free too, but there the 0/0 has the limit
        # f'(w) (V^T G V)_ij, which these numbers cannot tell: at exactly equal eigenvalues
        # its gradient misses that term (PyTorch and JAX give nan there).
        size = np.abs(k.data).max(axis=(-2, -1))
        f = _inverse_gaps("eigh", gap, skew, scale, size, n, "eigenvectors")
        inner = inner + f * skew
    return (v @ inner @ v.mT,)


@_eigh.jvp
def _(d: tuple, out: Tensor, a: Tensor) -> Tensor:
    # S = V diag(w) V^T, K = V^T dS V:  dw = diag(K),  dV = V (F * K) with
    # F_ij = 1 / (w_j - w_i) off the diagonal and 0 on it (dS = (dA + dA^T) / 2)
    n = a.shape[-1]
    w, v = _unpack(out, [(n,), (n, n)])
    k = v.mT @ ((d[0] + d[0].mT) * 0.5) @ v
    dw = diagonal(k, 0, -2, -1)
    off = k * _make(1.0 - np.eye(n, dtype=k.dtype))
    gap = expand_dims(w, -2) - expand_dims(w, -1)  # gap_ij = w_j - w_i
    scale = np.abs(w.data).max(axis=-1)
    size = np.abs(k.data).max(axis=(-2, -1))
    # NOTE: for (nearly) equal w_i, w_j the term is 0/0 when the perturbation does not
    # split them (K_ij = 0): taken as 0, as in the VJP
    f = _inverse_gaps("eigh", gap, off, scale, size, n, "eigenvectors")
    dv = v @ (f * off)
    return concatenate([dw, reshape(dv, dv.shape[:-2] + (n * n,))], axis=-1)


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, as
    ``np.linalg.eigh``.

    The input is read symmetrized, (a + a^T) / 2 (JAX's choice), so both triangles count
    and ``UPLO`` (accepted for numpy's signature) changes nothing; for a symmetric input the
    results are numpy's. Gradients through eigenvectors of (nearly) equal eigenvalues exist
    only for losses that do not depend on the basis within their eigenspace: losses of the
    eigenvalues and of the eigenspaces (projectors) get exact gradients; a loss that does
    depend on the basis gets a ``DegenerateGradientWarning``. At exactly equal eigenvalues a
    matrix function rebuilt from them, ``v @ diag(f(w)) @ v.T``, loses the part of its
    gradient within the eigenspace: compute such functions on the matrix itself.
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U'. Received: UPLO={UPLO!r}")
    a = _matrices("eigh", a)
    n = a.shape[-1]
    w, v = _unpack(_eigh(a), [(n,), (n, n)])
    return EighResult(w, v)


# --- svd --------------------------------------------------------------------------------------


@op("svd")
def _svd(a: Array, full_matrices: bool = False) -> Array:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _pack(a.shape[:-2], s, u, vh)


@_svd.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor, full_matrices: bool = False) -> tuple:
    m, n = a.shape[-2:]
    k = min(m, n)
    shapes = _svd_shapes(m, n, full_matrices)
    gs, gu, gvh = _unpack(g, shapes)
    s, u, vh = _unpack(out, shapes)
    if full_matrices and (m != n):
        # the columns of U (rows of Vh) beyond min(m, n) complete a basis in any way at all
        if gu.data[..., :, k:].any() or gvh.data[..., k:, :].any():
            raise BackwardError(
                f"svd: full_matrices=True with shape {a.shape}: the gradient through the "
                f"columns of U or rows of Vh beyond min(m, n) = {k} is not defined (they are "
                f"any orthonormal completion); use full_matrices=False"
            )
        u, gu = u[..., :, :k], gu[..., :, :k]
        vh, gvh = vh[..., :k, :], gvh[..., :k, :]
    return (_svd_grad(gs, gu, gvh, s, u, vh, m, n),)


@_svd.jvp
def _(d: tuple, out: Tensor, a: Tensor, full_matrices: bool = False) -> Tensor:
    m, n = a.shape[-2:]
    k = min(m, n)
    s, u, vh = _unpack(out, _svd_shapes(m, n, full_matrices))
    full = full_matrices and m != n
    if full:
        u, vh = u[..., :, :k], vh[..., :k, :]
    ds, du, dvh = _svd_tangent(d[0], s, u, vh, m, n)
    if full:
        # NOTE: the columns of U (rows of Vh) beyond min(m, n) complete a basis in any way at
        # all: their tangent is not defined, and is nan (the backward raises instead when
        # they are needed; here it cannot know). Slice them off, or use full_matrices=False.
        if m > n:
            du = concatenate([du, _nan(du.shape[:-1] + (m - k,), du.dtype)], axis=-1)
        else:
            dvh = concatenate([dvh, _nan(dvh.shape[:-2] + (n - k, n), dvh.dtype)], axis=-2)
    batch = a.shape[:-2]
    return concatenate([reshape(t, batch + (-1,)) for t in (ds, du, dvh)], axis=-1)


def _nan(shape: tuple, dtype: np.dtype) -> Tensor:
    return _make(np.full(shape, np.nan, dtype=dtype))


def _svd_tangent(
    da: Tensor, s: Tensor, u: Tensor, vh: Tensor, m: int, n: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The tangents of S, U and Vh (reduced) of A = U diag(S) Vh, given that of A."""
    # P = U^T dA V:  dS = diag(P),  dU = U Cu + (I - U U^T) dA V S^-1,
    # dV = V Cv + (I - V V^T) dA^T U S^-1, with, off the diagonal,
    # Cu_ij = (P_ij s_j + s_i P_ji) / (s_j^2 - s_i^2),
    # Cv_ij = (s_i P_ij + P_ji s_j) / (s_j^2 - s_i^2)
    # NOTE: written, as the VJP, as sym / (2 (s_j - s_i)) +- skew / (2 (s_i + s_j)) with
    # sym = P + P^T (0 off the diagonal for a perturbation that keeps equal values equal),
    # skew = P - P^T: each 0/0 in a term of its own
    k = min(m, n)
    v = vh.mT
    p = u.mT @ da @ v
    ds = diagonal(p, 0, -2, -1)
    off = _make(1.0 - np.eye(k, dtype=p.dtype))
    sym, skew = (p + p.mT) * off, p - p.mT
    scale = s.data.max(axis=-1) if k else np.zeros(s.shape[:-1], s.dtype)
    size = np.maximum(np.abs(sym.data), np.abs(skew.data)).max(axis=(-2, -1), initial=0.0)
    sj, si = expand_dims(s, -2), expand_dims(s, -1)
    args = (scale, size, max(m, n), "singular vectors")
    first = _inverse_gaps("svd", sj - si, sym, *args) * sym
    second = _inverse_gaps("svd", sj + si, skew, *args) * skew
    du = u @ ((first + second) * 0.5)
    dv = v @ ((first - second) * 0.5)
    if m > k:  # U has fewer columns than rows: the part of dA V outside U
        dav = da @ v
        rest = dav - u @ (u.mT @ dav)
        du = du + rest * _inverse_values(s, rest, scale, float(np.abs(dav.data).max()), m, -2)
    if n > k:
        dau = da.mT @ u
        rest = dau - v @ (v.mT @ dau)
        dv = dv + rest * _inverse_values(s, rest, scale, float(np.abs(dau.data).max()), n, -2)
    return ds, du, dv.mT


def _svd_shapes(m: int, n: int, full_matrices: bool) -> list[tuple]:
    k = min(m, n)
    if full_matrices:
        return [(k,), (m, m), (n, n)]
    return [(k,), (m, k), (k, n)]


def _svd_grad(
    gs: Tensor, gu: Tensor, gvh: Tensor, s: Tensor, u: Tensor, vh: Tensor, m: int, n: int
) -> Tensor:
    """The gradient of A = U diag(S) Vh (reduced), given those of U, S and Vh."""
    # grad A = U (diag(gS) + J) Vh + (I - U U^T) gU S^-1 Vh + U S^-1 gVh (I - V V^T), with
    # J_ij = (a_ij s_j + s_i b_ij) / (s_j^2 - s_i^2), a = KU - KU^T, b = KV - KV^T,
    # KU = U^T gU, KV = V^T gV, written as
    # J_ij = (a + b)_ij / (2 (s_j - s_i)) + (a - b)_ij / (2 (s_i + s_j))
    # NOTE: the split puts each 0/0 of (nearly) equal singular values in its own term: the
    # first vanishes for a loss that turns U and V together within their subspace without
    # change (a + b = 0 there: U V^T, the polar factor, and the matrix itself, so
    # det's adjugate and norms), the second only when s_i + s_j = 0.
    k = min(m, n)
    inner = _diag_matrix(gs)
    scale = s.data.max(axis=-1) if k else np.zeros(s.shape[:-1], s.dtype)
    ku = u.mT @ gu if gu.data.any() else None
    kv = vh @ gvh.mT if gvh.data.any() else None  # V^T gV with V = Vh^T, gV = gVh^T
    if ku is not None or kv is not None:
        zeros = _make(np.zeros(s.shape + s.shape[-1:], dtype=s.dtype))
        a_ = ku - ku.mT if ku is not None else zeros
        b_ = kv - kv.mT if kv is not None else zeros
        both, diff = a_ + b_, a_ - b_
        size = np.maximum(np.abs(a_.data), np.abs(b_.data)).max(axis=(-2, -1))
        sj, si = expand_dims(s, -2), expand_dims(s, -1)
        args = (scale, size, max(m, n), "singular vectors")
        first = _inverse_gaps("svd", sj - si, both, *args)
        second = _inverse_gaps("svd", sj + si, diff, *args)
        inner = inner + (first * both + second * diff) * 0.5
    grad = u @ inner @ vh
    if m > k and ku is not None:  # U has fewer columns than rows: the part of gU outside it
        rest = gu - u @ ku
        size = float(np.abs(gu.data).max())
        grad = grad + (rest * _inverse_values(s, rest, scale, size, m, -2)) @ vh
    if n > k and kv is not None:
        rest = gvh - (gvh @ vh.mT) @ vh
        size = float(np.abs(gvh.data).max())
        grad = grad + u @ (rest * _inverse_values(s, rest.mT, scale, size, n, -1))
    return grad


def _inverse_values(
    s: Tensor, part: Tensor, scale: Array, size: float, n: int, axis: int
) -> Tensor:
    """1 / s broadcast along ``axis`` of ``part``, for s = 0 either 0 (where the column of
    ``part`` it scales is 0 next to ``size``) or nan, with a warning."""
    eps = np.finfo(s.dtype).eps
    zero = s.data <= 8.0 * n * eps * np.maximum(scale, np.finfo(s.dtype).tiny)[..., None]
    inv_s = expand_dims(s, axis)
    if not zero.any():
        return 1.0 / inv_s
    reach = np.abs(part.data).max(axis=-2)  # per singular value: is its column needed?
    bad = zero & (reach > math.sqrt(eps) * max(size, np.finfo(s.dtype).tiny))
    if bad.any():
        warnings.warn(
            "svd: the gradient through the singular vectors of a zero singular value of a "
            "non-square matrix is not defined: the loss depends on which vector completes "
            "the basis. Those terms are nan",
            DegenerateGradientWarning,
            stacklevel=5,
        )
    special = np.expand_dims(zero, axis)
    filler = _make(np.where(np.expand_dims(bad, axis), np.nan, 0.0).astype(s.dtype))
    return where(special, filler, 1.0 / where(special, 1.0, inv_s))


@op("svdvals")
def _svdvals(a: Array) -> Array:
    return np.linalg.svd(a, compute_uv=False)


@_svdvals.vjp
def _(g: Tensor, out: Tensor, a: Tensor) -> tuple:
    # d s_i = u_i^T dA v_i:  grad A = U diag(g) Vh, with U and Vh recorded from a (an SVD op
    # of its own, so the second derivative flows through them)
    u, _, vh = svd(a, full_matrices=False)
    return ((u * expand_dims(g, -2)) @ vh,)


@_svdvals.jvp
def _(d: tuple, out: Tensor, a: Tensor) -> Tensor:
    # d s_i = u_i^T dA v_i
    u, _, vh = svd(a, full_matrices=False)
    return _sum(u * (d[0] @ vh.mT), -2)


def svdvals(a: Any) -> Tensor:
    """Singular values, descending (as ``np.linalg.svdvals``)."""
    return _svdvals(_matrices("svdvals", a, square=False))


def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """Singular value decomposition ``a = (U * S[..., None, :]) @ Vh``, as ``np.linalg.svd``.

    ``full_matrices=False`` is the differentiable path for every shape; with True (numpy's
    default) the extra columns of U (rows of Vh) of a non-square matrix have no gradient
    (backward raises if one is needed). ``compute_uv=False`` returns the singular values
    alone. ``hermitian`` is accepted for numpy's signature; the general SVD is computed (a
    valid SVD, whose signs may differ from numpy's for that case). Gradients through
    singular vectors of (nearly) equal singular values: as for ``eigh``.
    """
    a = _matrices("svd", a, square=False)
    if not compute_uv:
        return _svdvals(a)
    m, n = a.shape[-2:]
    full = bool(full_matrices) and m != n
    packed = _svd(a, full_matrices=True) if full else _svd(a)
    s, u, vh = _unpack(packed, _svd_shapes(m, n, full))
    return SVDResult(u, s, vh)


# --- qr ---------------------------------------------------------------------------------------


@op("qr")
def _qr(a: Array, mode: str = "reduced") -> Array:
    q, r = np.linalg.qr(a, mode=mode)  # type: ignore[call-overload]
    return _pack(a.shape[:-2], q, r)


def _qr_shapes(m: int, n: int, mode: str) -> list[tuple]:
    k = min(m, n)
    return [(m, m), (m, n)] if mode == "complete" else [(m, k), (k, n)]


@_qr.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, a: Tensor, mode: str = "reduced") -> tuple:
    m, n = a.shape[-2:]
    k = min(m, n)
    gq, gr = _unpack(g, _qr_shapes(m, n, mode))
    q, r = _unpack(out, _qr_shapes(m, n, mode))
    if mode == "complete" and m > n:
        if gq.data[..., :, n:].any():
            raise BackwardError(
                f"qr: mode='complete' with shape {a.shape}: the gradient through the columns "
                f"of Q beyond {n} is not defined (they complete the basis in any way); use "
                f"mode='reduced'"
            )
        q, gq, r, gr = q[..., :, :n], gq[..., :, :n], r[..., :n, :], gr[..., :n, :]
    if m >= n:
        return (_qr_grad(gq, gr, q, r),)
    # a wide A = [X | Y]: X = Q U is a square QR, Y = Q V; V = Q^T Y feeds back into Q
    u = r[..., :, :k]
    gu, gv = gr[..., :, :k], gr[..., :, k:]
    y = a[..., :, k:]
    gx = _qr_grad(gq + y @ gv.mT, gu, q, u)
    return (concatenate([gx, q @ gv], axis=-1),)


@_qr.jvp
def _(d: tuple, out: Tensor, a: Tensor, mode: str = "reduced") -> Tensor:
    m, n = a.shape[-2:]
    k = min(m, n)
    q, r = _unpack(out, _qr_shapes(m, n, mode))
    (da,) = d
    if mode == "complete" and m > n:
        dq, dr = _qr_tangent(da, q[..., :, :n], r[..., :n, :])
        # NOTE: the columns of Q beyond n complete the basis in any way: their tangent is not
        # defined (nan, as svd's); R's rows below n are 0 whatever A is
        dq = concatenate([dq, _nan(dq.shape[:-1] + (m - n,), dq.dtype)], axis=-1)
        dr = concatenate([dr, _make(np.zeros(dr.shape[:-2] + (m - n, n), dr.dtype))], axis=-2)
    elif m >= n:
        dq, dr = _qr_tangent(da, q, r)
    else:  # a wide A = [X | Y]: X = Q U is a square QR, Y = Q V, so dV = Q^T (dY - dQ V)
        dq, du = _qr_tangent(da[..., :, :k], q, r[..., :, :k])
        dv = q.mT @ (da[..., :, k:] - dq @ r[..., :, k:])
        dr = concatenate([du, dv], axis=-1)
    batch = a.shape[:-2]
    return concatenate([reshape(dq, batch + (-1,)), reshape(dr, batch + (-1,))], axis=-1)


def _qr_tangent(da: Tensor, q: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
    """The tangents of Q and R of A = QR (m >= n), given that of A."""
    # C = Q^T dA R^-1 splits into a skew part Q^T dQ = Omega and an upper triangular part
    # dR R^-1 = C - Omega, with Omega = tril(C, -1) - tril(C, -1)^T; then
    # dQ = dA R^-1 - Q (C - Omega)
    dar = _solve(r.mT, da.mT).mT  # dA R^-1
    c = q.mT @ dar
    low = tril(c, -1)
    upper = c - (low - low.mT)
    return dar - q @ upper, upper @ r


def _qr_grad(gq: Tensor, gr: Tensor, q: Tensor, r: Tensor) -> Tensor:
    """The gradient of A = QR (m >= n, Q with orthonormal columns, R upper triangular)."""
    # C = Q^T dA R^-1 splits into skew (Q^T dQ) and upper triangular (dR R^-1) parts, so
    # grad A = (gQ + Q X) R^-T with N = Q^T gQ - gR R^T and X = -N + tril(N - N^T, -1)
    nmat = q.mT @ gq - gr @ r.mT
    x = tril(nmat - nmat.mT, -1) - nmat
    b = gq + q @ x
    return _solve(r, b.mT).mT  # b R^-T


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition ``a = Q @ R``, as ``np.linalg.qr``: ``mode`` "reduced" (Q with
    min(m, n) columns), "complete" (square Q; its extra columns have no gradient) or "r"
    (R alone). Full-rank matrices, tall or wide."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r'. Received: mode={mode!r}")
    a = _matrices("qr", a, square=False)
    m, n = a.shape[-2:]
    forward_mode = "complete" if mode == "complete" else "reduced"
    packed = _qr(a, mode=forward_mode) if forward_mode != "reduced" else _qr(a)
    q, r = _unpack(packed, _qr_shapes(m, n, forward_mode))
    return r if mode == "r" else QRResult(q, r)


# --- norm -------------------------------------------------------------------------------------


@op("vector_norm")
def _vector_norm(x: Array, ord: float, axes: tuple, keepdims: bool) -> Array:
    if ord == 2.0:
        return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))
    return np.sum(np.abs(x) ** ord, axis=axes, keepdims=keepdims) ** (1.0 / ord)


@_vector_norm.vjp(uses_out=True)
def _(g: Tensor, out: Tensor, x: Tensor, ord: float, axes: tuple, keepdims: bool) -> tuple:
    # d ||x||_p/dx_i = sign(x_i) |x_i|^(p-1) / ||x||^(p-1)   (x_i / ||x|| for p = 2)
    return (_expand(g, x, axes, keepdims) * _norm_slope(out, x, ord, axes, keepdims),)


@_vector_norm.jvp
def _(d: tuple, out: Tensor, x: Tensor, ord: float, axes: tuple, keepdims: bool) -> Tensor:
    # d ||x||_p = sum(d||x||_p/dx_i dx_i)
    slope = _norm_slope(out, x, ord, axes, keepdims)
    return _sum(slope * d[0], axes, keepdims)


def _norm_slope(out: Tensor, x: Tensor, ord: float, axes: tuple, keepdims: bool) -> Tensor:
    """d ||x||_p/dx_i for every element of x."""
    # NOTE: 0 for an all-zero slice, as PyTorch: the subgradient of least norm at 0 (and
    # 0 for a zero x_i when p < 1, where the slope is infinite)
    kept = out if keepdims else out.reshape(_kept_shape(x.shape, axes))
    zero = kept.data == 0
    safe = where(zero, 1.0, kept) if zero.any() else kept
    if ord == 2.0:
        slope = x / safe
    else:
        mag = absolute(x)
        if ord < 1.0 and (x.data == 0).any():
            mag = where(x.data == 0, 1.0, mag)
        slope = sign(x) * power(mag, ord - 1.0) / power(safe, ord - 1.0)
    if zero.any():
        slope = where(zero, 0.0, slope)
    return slope


def _vector(x: Tensor, ord: Any, axes: tuple, keepdims: bool) -> Tensor:
    if ord is None or ord == 2:
        return _vector_norm(x, ord=2.0, axes=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm takes a number")
    if ord == math.inf:
        return _amax(absolute(x), axes, keepdims)
    if ord == -math.inf:
        return _amin(absolute(x), axes, keepdims)
    if ord == 0:  # the number of nonzero elements: piecewise constant, no gradient
        return _make(np.sum(x.data != 0, axis=axes, keepdims=keepdims).astype(x.dtype))
    if ord == 1:
        return _sum(absolute(x), axes, keepdims)
    return _vector_norm(x, ord=float(ord), axes=axes, keepdims=keepdims)


def _matrix(x: Tensor, ord: Any, row: int, col: int, keepdims: bool) -> Tensor:
    if ord is None or ord == "fro":
        return _vector_norm(x, ord=2.0, axes=tuple(sorted((row, col))), keepdims=keepdims)
    if ord in (1, -1, math.inf, -math.inf):
        # 1: the largest column sum of |x|, inf: the largest row sum (-1, -inf: smallest)
        summed, over = (row, col) if ord in (1, -1) else (col, row)
        sums = _sum(absolute(x), summed, keepdims=True)
        pick = _amax if ord in (1, math.inf) else _amin
        result = pick(sums, over, keepdims=True)
    elif ord in ("nuc", 2, -2):
        s = svdvals(moveaxis(x, (row, col), (-2, -1)))
        if ord == "nuc":
            result = _sum(s, -1)
        else:
            result = (_amax if ord == 2 else _amin)(s, -1)
        for a in sorted((row, col)):
            result = expand_dims(result, a)
    else:
        raise ValueError(
            f"norm: invalid norm order {ord!r} for matrices; numpy's are None, 'fro', 'nuc', "
            f"1, -1, 2, -2, inf and -inf"
        )
    if keepdims:
        return result
    return reshape(result, tuple(n for i, n in enumerate(result.shape) if i not in (row, col)))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Vector or matrix norm, as ``np.linalg.norm``: vector norms over one axis (ord None or
    2, 1, inf, -inf, 0, or any p), matrix norms over two ("fro", "nuc", 1, -1, 2, -2, inf,
    -inf); with ``axis=None``, the 2-norm of all the values for ord None, else a 1-D or 2-D
    input's. The gradient at 0 is 0 (PyTorch's subgradient)."""
    x = _as_tensor(x)
    if x.dtype.kind != "f":
        x = _make(x.data.astype(np.float64))
    if axis is None:
        if ord is None:
            return _vector_norm(x, ord=2.0, axes=tuple(range(x.ndim)), keepdims=keepdims)
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise ShapeError(
                f"norm: ord={ord!r} with axis=None needs a 1-D or 2-D input. Received shape "
                f"{x.shape}; give axis"
            )
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        a = normalize_axis(axes[0], x.ndim, "norm", x.shape)
        return _vector(x, ord, (a,), keepdims)
    if len(axes) == 2:
        row = normalize_axis(axes[0], x.ndim, "norm", x.shape)
        col = normalize_axis(axes[1], x.ndim, "norm", x.shape)
        if row == col:
            raise ShapeError(f"norm: the two axes must differ. Received axis={axis!r}")
        return _matrix(x, ord, row, col, keepdims)
    normalize_axes(axes, x.ndim, "norm", x.shape)  # a clear error for bad axes first
    raise ShapeError(f"norm: axis must name one axis or two. Received axis={axis!r}")
