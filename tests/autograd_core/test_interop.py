"""numpy's functions and ufuncs on Tensors: every op of the table through its NumPy reference
(numpy code handed Tensors), the operators of ndarrays, the ufunc methods, what is refused,
and numpy code written for arrays (an energy, a log-likelihood, geometry) made
differentiable by being handed Tensors."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Tensor
from tests.autograd_core.op_specs import ND_SPECS, OP_SPECS, OpSpec
from tests.autograd_core.test_ops import draw_case, is_float

# References that are not numpy code on their argument: a method numpy has and Tensor has
# not (``astype(..., copy=True)``).
NOT_NUMPY_CODE = {"astype_float64_copy"}
SPECS = [s for s in OP_SPECS if s.name not in NOT_NUMPY_CODE]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(max_examples=3)
@given(data=st.data())
def test_numpy_reference_on_tensors_is_the_op(spec: OpSpec, data: Any) -> None:
    """The table's NumPy reference, handed Tensors, records the op: same values as on arrays,
    and the op's own gradients."""
    arrays, kwargs, rng = draw_case(data, spec)
    expected = np.asarray(spec.ref(*arrays, **kwargs))
    ts = [Tensor(a, requires_grad=is_float(a)) for a in arrays]
    out = spec.ref(*ts, **kwargs)
    assert isinstance(out, Tensor) and out.requires_grad
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    own = [Tensor(a, requires_grad=is_float(a)) for a in arrays]
    spec.fn(*own, **kwargs).backward(g)
    for t, o in zip(ts, own, strict=True):
        if o.grad is not None:
            np.testing.assert_allclose(t.grad, o.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("spec", ND_SPECS, ids=[s.name for s in ND_SPECS])
@settings(max_examples=3)
@given(data=st.data())
def test_non_differentiable_numpy_functions_give_tensors(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, _ = draw_case(data, spec)
    out = spec.ref(*[Tensor(a, requires_grad=True) for a in arrays], **kwargs)
    assert isinstance(out, Tensor) and not out.requires_grad
    np.testing.assert_array_equal(out.data, spec.ref(*arrays, **kwargs))


def test_every_exported_op_with_a_numpy_name_is_in_the_table() -> None:
    """Derived from the names: an op exported under numpy's name needs nothing else."""
    names = set(ag.interop.supported())
    for name in ag.__all__:
        theirs = getattr(np, name, None)
        if isinstance(theirs, np.ufunc) or hasattr(theirs, "_implementation"):
            if name not in {"linspace"}:  # a creation function, not an op
                assert ag.interop.qualified_name(theirs) in names, name
    for name in ag.linalg.__all__:
        if callable(getattr(np.linalg, name, None)) and name[0].islower():
            assert f"np.linalg.{name}" in names, name


def test_the_brief_examples() -> None:
    rng = np.random.default_rng(0)
    t = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    u = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    a = rng.standard_normal((3, 2))
    results = {
        "sin": (np.sin(t), np.sin(t.data)),
        "sum": (np.sum(t, axis=0), np.sum(t.data, axis=0)),
        "concatenate": (np.concatenate([t, u]), np.concatenate([t.data, u.data])),
        "where": (np.where(t.data > 0, t, u), np.where(t.data > 0, t.data, u.data)),
        "einsum": (np.einsum("ij,jk", t, a), np.einsum("ij,jk", t.data, a)),
        "norm": (np.linalg.norm(t), np.linalg.norm(t.data)),
        "rmatmul": (a @ t, a @ t.data),
        "radd": (a.T + t, a.T + t.data),
        "maximum": (np.maximum(t, 0), np.maximum(t.data, 0)),
        "mean": (np.mean(t, axis=1, keepdims=True), np.mean(t.data, axis=1, keepdims=True)),
        "clip": (np.clip(t, -0.5, 0.5), np.clip(t.data, -0.5, 0.5)),
        "amax": (np.amax(t, axis=1), np.amax(t.data, axis=1)),
        "linalg.diagonal": (np.linalg.diagonal(t), np.linalg.diagonal(t.data)),
        "linalg.trace": (np.linalg.trace(t[:, :2]), np.linalg.trace(t.data[:, :2])),
        "matrix_transpose": (np.matrix_transpose(t), np.matrix_transpose(t.data)),
        "eigvalsh": (np.linalg.eigvalsh(t @ t.T), np.linalg.eigvalsh(t.data @ t.data.T)),
        "astype": (np.astype(t, np.float32), np.astype(t.data, np.float32)),
        "scalar": (np.float64(2.0) * t, 2.0 * t.data),
    }
    for name, (ours, theirs) in results.items():
        assert isinstance(ours, Tensor) and ours.requires_grad, name
        assert ours.dtype == np.asarray(theirs).dtype, name
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-12, err_msg=name)
    split = np.split(t, 3, axis=1)
    assert len(split) == 3 and all(isinstance(p, Tensor) and p.grad_fn for p in split)
    svd = np.linalg.svd(t, full_matrices=False)
    np.testing.assert_allclose(svd.S.data, np.linalg.svd(t.data, compute_uv=False))


def test_ndarray_operators_are_the_tensors_reflected_ones() -> None:
    a = np.array([1.0, -2.0, 3.0])
    x = Tensor(np.array([0.5, 1.5, -1.0]), requires_grad=True)
    for op in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__"):
        arr_side = getattr(np.abs(a), op)(x)  # the ndarray's operator
        reflected = getattr(x, op.replace("__", "__r", 1))(np.abs(a))
        assert isinstance(arr_side, Tensor)
        np.testing.assert_array_equal(arr_side.data, reflected.data)
        (g1,) = ag.gradients(arr_side.sum(), [x])
        (g2,) = ag.gradients(reflected.sum(), [x])
        np.testing.assert_array_equal(g1, g2)
    lt = a < x
    assert isinstance(lt, Tensor) and lt.dtype == bool and not lt.requires_grad
    np.testing.assert_array_equal(lt.data, a < x.data)
    # a numpy scalar is weak, as a Python one: float32 stays float32
    x32 = Tensor(np.ones(3, np.float32), requires_grad=True)
    assert (np.float64(0.5) * x32).dtype == np.float32


def test_ufunc_methods() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 4))
    x = Tensor(a, requires_grad=True)
    cases = [
        (np.add.reduce(x), np.add.reduce(a)),
        (np.add.reduce(x, axis=(0, 2), keepdims=True), np.add.reduce(a, (0, 2), keepdims=True)),
        (np.multiply.reduce(x, axis=None), np.multiply.reduce(a, axis=None)),
        (np.maximum.reduce(x, 1), np.maximum.reduce(a, 1)),
        (np.minimum.reduce(x, -1), np.minimum.reduce(a, -1)),
        (np.logaddexp.reduce(x, axis=2), np.logaddexp.reduce(a, axis=2)),
        (np.add.accumulate(x, axis=1), np.add.accumulate(a, axis=1)),
        (np.multiply.accumulate(x), np.multiply.accumulate(a)),
        (np.multiply.outer(x[0, 0], a[1]), np.multiply.outer(a[0, 0], a[1])),
        (np.subtract.outer(a[0, 0], x[1, 1]), np.subtract.outer(a[0, 0], a[1, 1])),
    ]
    for ours, theirs in cases:
        assert isinstance(ours, Tensor) and ours.requires_grad
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-12)
    report = ag.gradcheck(lambda t: np.logaddexp.reduce(np.multiply.outer(t[0], t[1]), 1), [x])
    assert report


def test_questions_numpy_code_asks_are_answered() -> None:
    x = Tensor(np.zeros((2, 3), np.float32))
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2
    assert np.size(x) == 6 and np.size(x, 1) == 3
    assert np.result_type(x, np.float64) == np.float64
    zeros = np.zeros_like(x)  # a creation function of a Tensor: a constant Tensor
    assert isinstance(zeros, Tensor) and zeros.dtype == np.float32 and not zeros.requires_grad


def test_what_numpy_functions_cannot_do_on_tensors_raises_a_type_error_naming_it() -> None:
    x = Tensor(np.linspace(0.1, 1.0, 6).reshape(2, 3), requires_grad=True)
    a = np.ones((2, 3))
    refused = {
        "np.fft.fft": lambda: np.fft.fft(x),
        "np.cbrt": lambda: np.cbrt(x),
        "np.allclose": lambda: np.allclose(x, a),
        "np.add.at": lambda: np.add.at(x, 0, 1.0),
        "np.maximum.accumulate": lambda: np.maximum.accumulate(x),
        "np.linspace": lambda: np.linspace(x[0, 0], x[0, 1]),
        "dtype=": lambda: np.sum(x, dtype=np.float32),
        "np.where(condition)": lambda: np.where(x > 0.5),
        "initial=": lambda: np.max(x, initial=0.0),
        "where=": lambda: np.add(x, 1.0, where=a > 0),
    }
    for name, call in refused.items():
        with pytest.raises(TypeError, match=name.replace("(", r"\(").replace(")", r"\)")):
            call()
    with pytest.raises(TypeError, match=r"np.add\(\.\.\., out=\.\.\.\)"):
        np.add(x, 1.0, out=np.empty((2, 3)))
    with pytest.raises(TypeError, match=r"np.sum\(\.\.\., out=\.\.\.\)"):
        np.sum(x, axis=0, out=np.empty(3))
    with pytest.raises(TypeError, match="out="):
        a += x  # an ndarray cannot hold a Tensor's graph


def test_asarray_and_array_are_the_way_out() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert np.asarray(x) is x.data  # shared, as np.asarray(an array)
    copy = np.array(x)
    assert isinstance(copy, np.ndarray) and not np.shares_memory(copy, x.data)
    copy[0] = 5.0
    assert x.data[0] == 1.0
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    np.testing.assert_allclose(np.exp(np.asarray(x)), np.exp([1.0, 2.0]))  # plain numpy
    with pytest.raises(ValueError):
        np.array(x, dtype=np.float32, copy=False)


def test_scipy_special_ufuncs_that_are_engine_ops() -> None:
    special = pytest.importorskip("scipy.special")
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    for theirs, ours in ((special.erf, ag.erf), (special.expit, ag.sigmoid)):
        out = theirs(x)
        assert isinstance(out, Tensor) and out.grad_fn is not None
        np.testing.assert_allclose(out.data, ours(x).data)
    with pytest.raises(TypeError, match="scipy.special.gamma"):
        special.gamma(x)


# --- numpy code written for arrays, handed Tensors --------------------------------------------


def spring_energy(positions: Any, rest_length: float = 1.0, mass: float = 2.0) -> Any:
    """A chain of springs between neighbouring particles, in gravity, plus a soft wall."""
    bonds = positions[1:] - positions[:-1]
    lengths = np.linalg.norm(bonds, axis=1)
    elastic = 0.5 * 10.0 * np.sum((lengths - rest_length) ** 2)
    gravity = mass * 9.81 * np.sum(positions[:, 2])
    wall = np.sum(np.exp(-positions[:, 2]))
    return elastic + gravity + wall


def lennard_jones(positions: Any) -> Any:
    """Pairwise Lennard-Jones energy of a small cluster."""
    n = len(positions)
    diff = positions[:, None, :] - positions[None, :, :]
    r2 = np.sum(diff**2, axis=-1) + np.eye(n)  # 1 on the diagonal, dropped below
    i, j = np.triu_indices(n, k=1)
    inv6 = 1.0 / r2[i, j] ** 3
    return np.sum(4.0 * (inv6**2 - inv6))


def gaussian_mixture_log_likelihood(params: Any, x: np.ndarray) -> Any:
    """log p(x) of a 1-D mixture: means, log standard deviations, logits of the weights."""
    means, log_sigmas, logits = params[0], params[1], params[2]
    log_weights = logits - np.log(np.sum(np.exp(logits)))
    z = (x[:, None] - means[None, :]) / np.exp(log_sigmas)
    log_pdf = -0.5 * z**2 - log_sigmas - 0.5 * np.log(2.0 * np.pi)
    return np.sum(np.logaddexp.reduce(log_pdf + log_weights, axis=1))


def logistic_log_likelihood(w: Any, features: np.ndarray, labels: np.ndarray) -> Any:
    logits = features @ w
    return np.sum(labels * logits - np.logaddexp(0.0, logits)) - 0.1 * np.dot(w, w)


def tetrahedron_geometry(vertices: Any) -> Any:
    """Volume (a determinant), surface (cross products as 2x2 determinants) and the
    smallest singular value of the edge matrix."""
    edges = vertices[1:] - vertices[0]
    volume = np.abs(np.linalg.det(edges)) / 6.0
    faces = [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    area = 0.0
    for a, b, c in faces:
        u, v = vertices[b] - vertices[a], vertices[c] - vertices[a]
        cross = np.stack(
            [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
        )
        area = area + 0.5 * np.linalg.norm(cross)
    smallest = np.linalg.svd(edges, compute_uv=False)[-1]
    return volume + area + smallest


def plane_fit_residual(points: Any) -> Any:
    """Least squares z = a x + b y + c through points, by the normal equations."""
    design = np.concatenate([points[:, :2], np.ones((len(points), 1))], axis=1)
    coef = np.linalg.solve(design.T @ design, design.T @ points[:, 2])
    return np.sum((design @ coef - points[:, 2]) ** 2)


NUMPY_CODE = {
    "spring_energy": (spring_energy, lambda r: r.standard_normal((5, 3))),
    "lennard_jones": (lennard_jones, lambda r: np.arange(12.0).reshape(4, 3) % 5 * 0.6),
    "gaussian_mixture": (
        lambda p: gaussian_mixture_log_likelihood(p, np.linspace(-2.0, 3.0, 7)),
        lambda r: r.standard_normal((3, 2)),
    ),
    "logistic": (
        lambda w: logistic_log_likelihood(
            w, np.arange(12.0).reshape(4, 3) / 6.0, np.array([0.0, 1.0, 1.0, 0.0])
        ),
        lambda r: r.standard_normal(3),
    ),
    "tetrahedron": (tetrahedron_geometry, lambda r: r.standard_normal((4, 3)) + np.eye(4, 3)),
    "plane_fit": (plane_fit_residual, lambda r: r.standard_normal((6, 3))),
}


@pytest.mark.parametrize("name", list(NUMPY_CODE))
def test_numpy_code_becomes_differentiable(name: str) -> None:
    f, make = NUMPY_CODE[name]
    a = make(np.random.default_rng(3))
    expected = f(a)  # the same code on arrays: plain numpy
    assert isinstance(expected, (np.ndarray, np.generic, float))
    x = Tensor(a, requires_grad=True)
    out = f(x)
    assert isinstance(out, Tensor) and out.shape == ()
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert ag.gradcheck(f, [x])
    assert ag.gradgradcheck(f, [x])


# --- numpy functions written with the engine's ops (ops/composed.py) --------------------------


def _positive(r: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.abs(r.standard_normal(shape)) + 0.5


def _weighted(parts: Any) -> Any:
    """Several outputs as one, each part scaled differently (so a swap would show)."""
    return np.concatenate([np.ravel(p) * (i + 1.0) for i, p in enumerate(parts)])


_NAN_MASK = np.array([[False, True, False], [False, False, False]])

# name -> (numpy code on its arguments, the arguments' shapes, positive arguments)
COMPOSED: dict[str, tuple[Callable, list[tuple], bool]] = {
    "atleast_1d": (lambda a: np.atleast_1d(a) * 2.0, [()], False),
    "atleast_2d": (lambda a, b: _weighted(np.atleast_2d(a, b)), [(), (3,)], False),
    "atleast_3d": (lambda a, b, c: _weighted(np.atleast_3d(a, b, c)), [(), (3,), (2, 3)], False),
    "hstack_1d": (lambda a, b: np.hstack([a, b]), [(2,), (3,)], False),
    "hstack_2d": (lambda a, b: np.hstack((a, b)), [(2, 3), (2, 1)], False),
    "vstack": (lambda a, b: np.vstack([a, b]), [(3,), (2, 3)], False),
    "dstack": (lambda a, b: np.dstack([a, b]), [(2, 3), (2, 3, 2)], False),
    "column_stack": (lambda a, b: np.column_stack([a, b]), [(3,), (3, 2)], False),
    "append": (lambda a, b: np.append(a, b), [(2, 2), (3,)], False),
    "append_axis": (lambda a, b: np.append(a, b, axis=0), [(2, 2), (1, 2)], False),
    "array_split": (lambda a: _weighted(np.array_split(a, 3)), [(7,)], False),
    "array_split_at": (lambda a: _weighted(np.array_split(a, [1, 3], axis=1)), [(2, 5)], False),
    "hsplit": (lambda a: _weighted(np.hsplit(a, 2)), [(2, 4, 2)], False),
    "vsplit": (lambda a: _weighted(np.vsplit(a, [1])), [(2, 4, 2)], False),
    "dsplit": (lambda a: _weighted(np.dsplit(a, 2)), [(2, 4, 2)], False),
    "unstack": (lambda a: _weighted(np.unstack(a, axis=1)), [(2, 3)], False),
    "broadcast_arrays": (lambda a, b: _weighted(np.broadcast_arrays(a, b)), [(3, 1), (4,)], False),
    "meshgrid_xy": (lambda a, b: _weighted(np.meshgrid(a, b)), [(3,), (2,)], False),
    "meshgrid_ij": (lambda a, b: _weighted(np.meshgrid(a, b, indexing="ij")), [(3,), (2,)], False),
    "fliplr": (np.fliplr, [(2, 3)], False),
    "flipud": (np.flipud, [(2, 3)], False),
    "rot90": (lambda a: _weighted([np.rot90(a, k) for k in range(4)]), [(2, 3)], False),
    "rot90_axes": (lambda a: _weighted([np.rot90(a, -1, (2, 0)), np.rot90(a, 3, (1, 2))]),
                   [(2, 3, 4)], False),
    "rollaxis": (lambda a: _weighted([np.rollaxis(a, 2), np.rollaxis(a, 0, 3)]),
                 [(2, 3, 4)], False),
    "copy": (lambda a: np.copy(a) * a, [(3,)], False),
    "real_conj": (lambda a: np.real(a) * np.conj(a) + np.conjugate(a), [(3,)], False),
    "degrees": (lambda a: np.deg2rad(a) + np.radians(a) * np.rad2deg(a) - np.degrees(a),
                [(2, 3)], False),
    "trunc_fix_rint": (lambda a: a * np.trunc(3 * a) + np.fix(2 * a) * np.rint(3 * a) * a,
                       [(2, 3)], False),
    "fabs": (np.fabs, [(2, 3)], False),
    "logaddexp2": (np.logaddexp2, [(2, 3), (3,)], False),
    "float_power": (np.float_power, [(2, 3), (3,)], True),
    "select": (lambda a, b: np.select([a > 0.5, a < -0.5], [a * b, b], default=a**2),
               [(3, 4), (3, 4)], False),
    "polyval": (np.polyval, [(4,), (5,)], False),
    "ptp": (lambda a: np.ptp(a, axis=1), [(3, 4)], False),
    "average": (lambda a: np.average(a, axis=0), [(3, 4)], False),
    "average_weights": (lambda a, w: np.average(a, axis=1, weights=w), [(2, 3), (3,)], True),
    "average_full_weights": (lambda a, w: _weighted(np.average(a, weights=w, returned=True)),
                             [(2, 3), (2, 3)], True),
    "nansum": (lambda a: np.nansum(np.where(_NAN_MASK, np.nan, a), axis=0), [(2, 3)], False),
    "nanmean": (lambda a: np.nanmean(np.where(_NAN_MASK, np.nan, a), 1, keepdims=True),
                [(2, 3)], False),
    "median_odd": (np.median, [(5,)], False),
    "median_even": (lambda a: np.median(a, axis=1, keepdims=True), [(3, 4)], False),
    "median_all": (np.median, [(2, 3)], False),
    "diff": (lambda a: np.diff(a, 2, axis=0), [(4, 3)], False),
    "trapezoid": (lambda y: np.trapezoid(y, dx=0.5), [(2, 5)], False),
    "trapezoid_x": (lambda y, x: np.trapezoid(y, x, axis=0), [(5, 2), (5,)], False),
    "cumulative_sum": (np.cumulative_sum, [(5,)], False),
    "cumulative_prod": (lambda a: np.cumulative_prod(a, axis=1), [(2, 3)], False),
    "vdot": (np.vdot, [(2, 3), (6,)], False),
    "vecdot": (np.vecdot, [(2, 3), (3,)], False),
    "linalg_vecdot": (lambda a, b: np.linalg.vecdot(a, b, axis=0), [(3, 2), (3, 1)], False),
    "matvec": (np.matvec, [(2, 3, 4), (4,)], False),
    "vecmat": (np.vecmat, [(4,), (2, 4, 3)], False),
    "cross": (np.cross, [(2, 3), (3,)], False),
    "cross_axis": (lambda a, b: np.cross(a, b, axis=0), [(3, 2), (3, 2)], False),
    "linalg_cross": (np.linalg.cross, [(2, 3), (2, 3)], False),
    "multi_dot": (lambda *ms: np.linalg.multi_dot(ms), [(3,), (3, 4), (4, 2), (2,)], False),
    "multi_dot_matrices": (lambda a, b, c: np.linalg.multi_dot([a, b, c]),
                           [(2, 3), (3, 4), (4, 2)], False),
    "matrix_power": (lambda a: _weighted([np.linalg.matrix_power(a + 3 * np.eye(3), n)
                                          for n in (0, 1, 3, -2)]), [(3, 3)], False),
    "vector_norm": (lambda a: _weighted([np.linalg.vector_norm(a),
                                         np.linalg.vector_norm(a, ord=3, axis=(0, 2)),
                                         np.linalg.vector_norm(a, axis=1, ord=1, keepdims=True),
                                         np.linalg.vector_norm(a, axis=(0, 1), keepdims=True)]),
                    [(2, 3, 2)], False),
    "matrix_norm": (lambda a: _weighted([np.linalg.matrix_norm(a),
                                         np.linalg.matrix_norm(a, ord="nuc"),
                                         np.linalg.matrix_norm(a, ord=1, keepdims=True)]),
                    [(2, 3, 4)], False),
}  # fmt: skip


@pytest.mark.parametrize("name", list(COMPOSED))
def test_numpy_functions_written_with_the_engines_ops(name: str) -> None:
    """Values as numpy's on arrays, a Tensor recorded, gradients and forward-mode tangents as
    central differences."""
    f, shapes, positive = COMPOSED[name]
    rng = np.random.default_rng(7)
    draw = _positive if positive else lambda r, s: r.standard_normal(s)
    arrays = [draw(rng, s) for s in shapes]
    expected = np.asarray(f(*arrays))
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*ts)
    assert isinstance(out, Tensor) and out.requires_grad, name
    assert out.shape == expected.shape and out.dtype == expected.dtype, name
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert ag.gradcheck(f, ts)
    # forward mode through the same ops: the central difference along a direction
    vs = [rng.standard_normal(a.shape) for a in arrays]
    _, tangent = ag.jvp(f, tuple(arrays), tuple(vs))
    eps = 1e-6
    plus = f(*[a + eps * v for a, v in zip(arrays, vs, strict=True)])
    minus = f(*[a - eps * v for a, v in zip(arrays, vs, strict=True)])
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_logic_and_copies_stay_tensors() -> None:
    x = Tensor(np.array([-1.0, 0.0, np.inf, 2.0]), requires_grad=True)
    for out, expected in (
        (np.logical_and(x > 0, np.isfinite(x)), [False, False, False, True]),
        (np.logical_or(x < 0, np.isinf(x)), [True, False, True, False]),
        (np.logical_xor(x > 0, x > 1), [False, False, False, False]),
        (np.logical_not(x), [False, True, False, False]),
    ):
        assert isinstance(out, Tensor) and out.dtype == bool and not out.requires_grad
        np.testing.assert_array_equal(out.data, expected)
    c = np.copy(x)
    assert isinstance(c, Tensor) and c.grad_fn is not None and not np.shares_memory(c.data, x.data)
    assert np.atleast_1d(Tensor(2.0)).shape == (1,)
    empty = np.empty_like(x)
    assert isinstance(empty, Tensor) and not empty.requires_grad


def test_what_the_compositions_refuse_names_it() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="np.diff: the argument prepend"):
        np.diff(x, prepend=0.0)
    with pytest.raises(TypeError, match="np.meshgrid: the argument sparse"):
        np.meshgrid(x[0], x[1], sparse=True)
    with pytest.raises(TypeError, match="np.cross: the argument axisa"):
        np.cross(x, x, axisa=0)
    with pytest.raises(ag.ShapeError, match="3 components"):
        np.cross(x[:, :2], x[:, :2])
