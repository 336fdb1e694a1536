"""Every op of the table in ``op_specs``: forward against NumPy, gradients (first and second
order) against central differences in float64, float32 kept; then the reflected operators,
comparisons and closed-form derivatives."""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core import Tensor
from tests.autograd_core.op_specs import (
    ND_SPECS,
    ND_SPECS_BY_NAME,
    OP_SPECS,
    SPECS_BY_NAME,
    OpSpec,
)

ATOL, RTOL = 1e-5, 1e-3
RAW = st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False)
SPEC_IDS = [s.name for s in OP_SPECS]


# --- helpers ----------------------------------------------------------------------------------


def draw_case(data: Any, spec: OpSpec) -> tuple[list[np.ndarray], dict, np.random.Generator]:
    """Draw input arrays (float64, inside the op's domain) and kwargs for ``spec``."""
    shapes, kwargs = data.draw(spec.case(), label="shapes, kwargs")
    arrays = [
        domain(data.draw(hnp.arrays(np.float64, shape, elements=RAW), label=f"raw input {i}"))
        for i, (shape, domain) in enumerate(zip(shapes, spec.domains, strict=True))
    ]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    return arrays, kwargs, rng


def is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


def numeric_vjp(
    f: Callable[..., np.ndarray], arrays: list[np.ndarray], i: int, g: np.ndarray, eps: float
) -> np.ndarray:
    """Central differences of ``sum(f(*arrays) * g)`` with respect to ``arrays[i]``."""
    x = np.array(arrays[i], dtype=np.float64, copy=True)
    args = list(arrays)
    args[i] = x
    out = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        saved = x[j]
        x[j] = saved + eps
        plus = np.sum(np.asarray(f(*args), dtype=np.float64) * g)
        x[j] = saved - eps
        minus = np.sum(np.asarray(f(*args), dtype=np.float64) * g)
        x[j] = saved
        out[j] = (plus - minus) / (2.0 * eps)
    return out


def assert_grad_close(analytic: Any, numeric: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(analytic, dtype=np.float64), numeric, atol=ATOL, rtol=RTOL, err_msg=what
    )


# --- the table: forward, gradient, second order, float32 -------------------------------------


@pytest.mark.parametrize("spec", OP_SPECS, ids=SPEC_IDS)
@settings(max_examples=20)
@given(data=st.data())
def test_forward_matches_numpy(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, _ = draw_case(data, spec)
    expected = spec.ref(*arrays, **kwargs)
    for requires_grad in (False, True):
        ts = [Tensor(a, requires_grad=requires_grad and is_float(a)) for a in arrays]
        out = spec.fn(*ts, **kwargs)
        assert isinstance(out, Tensor)
        assert out.shape == np.shape(expected)
        assert out.dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
        assert out.requires_grad == requires_grad
    # the inputs are never modified
    for t, a in zip(ts, arrays, strict=True):
        np.testing.assert_array_equal(t.data, a)


@pytest.mark.parametrize("spec", ND_SPECS, ids=[s.name for s in ND_SPECS])
@settings(max_examples=10)
@given(data=st.data())
def test_non_differentiable_op_matches_numpy_and_records_nothing(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, _ = draw_case(data, spec)
    expected = np.asarray(spec.ref(*arrays, **kwargs))
    ts = [Tensor(a, requires_grad=is_float(a)) for a in arrays]
    out = spec.fn(*ts, **kwargs)
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("spec", OP_SPECS, ids=SPEC_IDS)
@settings(max_examples=20)
@given(data=st.data())
def test_gradient_matches_central_differences(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, rng = draw_case(data, spec)
    ts = [Tensor(a, requires_grad=is_float(a)) for a in arrays]
    out = spec.fn(*ts, **kwargs)
    # a random upstream gradient checks every entry of the Jacobian at once
    g = rng.standard_normal(out.shape)
    out.backward(g)
    for i, (t, a) in enumerate(zip(ts, arrays, strict=True)):
        if not is_float(a):
            assert t.grad is None
            continue
        assert isinstance(t.grad, np.ndarray), f"input {i}: .grad is {type(t.grad).__name__}"
        assert t.grad.shape == a.shape and t.grad.dtype == a.dtype
        numeric = numeric_vjp(lambda *xs: spec.ref(*xs, **kwargs), arrays, i, g, spec.eps)
        assert_grad_close(t.grad, numeric, f"{spec.name}: gradient of input {i}")


MULTI = [s for s in OP_SPECS if s.arity > 1]


@pytest.mark.parametrize("spec", MULTI, ids=[s.name for s in MULTI])
@settings(max_examples=8)
@given(data=st.data())
def test_gradient_when_only_one_input_requires_grad(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, rng = draw_case(data, spec)
    floats = [i for i, a in enumerate(arrays) if is_float(a)]
    k = data.draw(st.sampled_from(floats), label="the input that requires grad")
    ts = [Tensor(a, requires_grad=i == k) for i, a in enumerate(arrays)]
    out = spec.fn(*ts, **kwargs)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    assert all(t.grad is None for i, t in enumerate(ts) if i != k)
    numeric = numeric_vjp(lambda *xs: spec.ref(*xs, **kwargs), arrays, k, g, spec.eps)
    assert_grad_close(ts[k].grad, numeric, f"{spec.name}: gradient of input {k} alone")


@pytest.mark.parametrize("spec", MULTI, ids=[s.name for s in MULTI])
@settings(max_examples=8)
@given(data=st.data())
def test_one_tensor_passed_as_every_input(spec: OpSpec, data: Any) -> None:
    """f(x, x): the gradients of both slots meet in one leaf."""
    arrays, kwargs, rng = draw_case(data, spec)
    if not all(is_float(a) and a.shape == arrays[0].shape for a in arrays):
        return  # the inputs of this case cannot be one tensor
    a = spec.domains[-1](spec.domains[0](arrays[0]))  # inside the domain of every slot
    x = Tensor(a, requires_grad=True)
    out = spec.fn(*[x] * spec.arity, **kwargs)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    numeric = numeric_vjp(lambda y: spec.ref(*[y] * spec.arity, **kwargs), [a], 0, g, spec.eps)
    assert_grad_close(x.grad, numeric, f"{spec.name}(x, x)")


@pytest.mark.parametrize(
    "spec", [s for s in OP_SPECS if s.eps == 1e-6], ids=[s.name for s in OP_SPECS if s.eps == 1e-6]
)
@settings(max_examples=8)
@given(data=st.data())
def test_second_derivative_matches_central_differences(spec: OpSpec, data: Any) -> None:
    """d/dx <v, J(x)^T g>, with the first derivative recorded by create_graph=True, against
    central differences of the (plain, first-order) analytic gradient."""
    arrays, kwargs, rng = draw_case(data, spec)
    idx = [i for i, a in enumerate(arrays) if is_float(a)]
    g = None
    vs = [rng.standard_normal(arrays[i].shape) for i in idx]

    def first_order(*xs: np.ndarray, create_graph: bool = False) -> tuple:
        nonlocal g
        ts = [Tensor(x, requires_grad=is_float(x)) for x in xs]
        out = spec.fn(*ts, **kwargs)
        if g is None:
            g = rng.standard_normal(out.shape)
        grads = ag.gradients(out, [ts[i] for i in idx], grad_output=g, create_graph=create_graph)
        return ts, grads

    ts, grads = first_order(*arrays, create_graph=True)
    s = ag.sum(ag.stack([ag.sum(gr * v) for gr, v in zip(grads, vs, strict=True)]))
    if s.requires_grad:
        analytic = ag.gradients(s, [ts[i] for i in idx])
    else:  # a linear op: its gradient does not depend on the inputs
        analytic = [np.zeros(arrays[i].shape) for i in idx]

    def directional(*xs: np.ndarray) -> np.ndarray:
        _, gs = first_order(*xs)
        return np.asarray(sum(np.sum(np.asarray(gr) * v) for gr, v in zip(gs, vs, strict=True)))

    for k, i in enumerate(idx):
        numeric = numeric_vjp(directional, arrays, i, np.ones(()), spec.eps)
        assert_grad_close(analytic[k], numeric, f"{spec.name}: second derivative, input {i}")


@pytest.mark.parametrize("spec", OP_SPECS, ids=SPEC_IDS)
@settings(max_examples=5)
@given(data=st.data())
def test_float32_stays_float32(spec: OpSpec, data: Any) -> None:
    arrays, kwargs, _ = draw_case(data, spec)
    ts = [
        Tensor(a.astype(np.float32), requires_grad=True) if is_float(a) else Tensor(a)
        for a in arrays
    ]
    out = spec.fn(*ts, **kwargs)
    if spec.keeps_dtype:
        assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=out.dtype))
    for t in ts:
        if t.requires_grad:
            assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


@pytest.mark.parametrize(
    "shapes",
    [
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((5, 2, 3), (3, 4)),
        ((2, 3), (5, 3, 4)),
        ((5, 1, 2, 3), (4, 3, 2)),
        ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)),
    ],
    ids=str,
)
def test_matmul_every_form(shapes: tuple) -> None:
    """The forms numpy's matmul takes: 1-D, 2-D, batched and broadcast batches."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s) for s in shapes)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = x @ y
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    assert_grad_close(x.grad, numeric_vjp(np.matmul, [a, b], 0, g, 1e-6), "matmul x")
    assert_grad_close(y.grad, numeric_vjp(np.matmul, [a, b], 1, g, 1e-6), "matmul y")


ELEMENTWISE = [
    s
    for s in OP_SPECS
    if s.name
    in {
        "add",
        "subtract",
        "multiply",
        "divide",
        "power_tensor_exponent",
        "negative",
        "exp",
        "log",
        "sqrt",
        "abs",
        "tanh",
        "sigmoid",
        "relu",
        "softplus",
        "maximum",
        "where",
        "matmul",
    }
]


@pytest.mark.parametrize("spec", ELEMENTWISE, ids=[s.name for s in ELEMENTWISE])
def test_empty_inputs(spec: OpSpec) -> None:
    """A zero-length axis flows through forward and backward (matmul: an empty batch)."""
    shapes = (
        [(0, 3), (3,), (2, 0, 1)][: spec.arity] if spec.name != "matmul" else [(0, 2, 3), (3, 4)]
    )
    arrays = [d(np.ones(s)) for s, d in zip(shapes, spec.domains, strict=True)]
    ts = [Tensor(a, requires_grad=is_float(a)) for a in arrays]
    out = spec.fn(*ts)
    expected = spec.ref(*arrays)
    assert out.shape == expected.shape and out.size == 0
    out.backward(np.ones(out.shape))
    for t in ts:
        if t.requires_grad:
            assert t.grad.shape == t.shape and not t.grad.any()


def test_getitem_duplicate_indices_accumulate() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x[np.array([0, 2, 0, 0, -1])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 2.0])


def test_table_covers_every_op_of_the_brief() -> None:
    wanted = {
        "add",
        "subtract",
        "multiply",
        "divide",
        "power_tensor_exponent",
        "power_scalar_exponent",
        "negative",
        "exp",
        "log",
        "log1p",
        "sqrt",
        "abs",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "softplus",
        "softmax",
        "log_softmax",
        "logsumexp",
        "clip",
        "maximum",
        "minimum",
        "where",
        "sum",
        "mean",
        "max",
        "min",
        "var",
        "std",
        "matmul",
        "reshape",
        "transpose",
        "swapaxes",
        "squeeze",
        "expand_dims",
        "broadcast_to",
        "getitem_basic",
        "getitem_int_arrays",
        "getitem_bool_mask",
        "concatenate",
        "stack",
        "astype_float32",
        # numpy's differentiable surface
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "arctan2",
        "sinh",
        "cosh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "expm1",
        "exp2",
        "log2",
        "log10",
        "logaddexp",
        "hypot",
        "reciprocal",
        "erf",
        "sign",
        "floor",
        "ceil",
        "round",
        "mod",
        "gelu",
        "gelu_tanh",
        "silu",
        "swish",
        "elu",
        "selu",
        "softsign",
        "log_sigmoid",
        "hard_sigmoid",
        "relu6",
        "mish",
        "prod",
        "prod_with_zeros",
        "cumsum",
        "cumprod",
        "cumprod_with_zeros",
        "flip",
        "roll",
        "tile",
        "repeat",
        "pad",
        "split",
        "moveaxis",
        "tril",
        "triu",
        "diag",
        "diagonal",
        "trace",
        "take",
        "take_along_axis",
        "sort",
        "einsum",
        "einsum_one_operand",
        "einsum_three_operands",
        "einsum_sublists",
        "tensordot",
        "dot",
        "inner",
        "outer",
        "kron",
        "inv",
        "det",
        "slogdet",
        "solve",
        "cholesky",
        "eigh_eigenvalues",
        "eigh_eigenvectors",
        "svd_singular_values",
        "svd_compute_uv_false",
        "svd_singular_vectors",
        "qr_q",
        "qr_r",
        "qr_mode_r",
        "vector_norm",
        "matrix_norm",
        "matrix_norm_entrywise",
    }
    assert wanted <= set(SPECS_BY_NAME), sorted(wanted - set(SPECS_BY_NAME))
    not_differentiable = {
        "isfinite",
        "isnan",
        "any",
        "all",
        "argmax",
        "argmin",
        "argsort",
    }
    assert not_differentiable <= set(ND_SPECS_BY_NAME), sorted(
        not_differentiable - set(ND_SPECS_BY_NAME)
    )


# --- reflected operators: numpy arrays and Python scalars on the left ------------------------

BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


@pytest.mark.parametrize("symbol", list(BINARY))
@settings(max_examples=10)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    data=st.data(),
)
def test_reflected_operator_with_array_on_the_left(symbol: str, shapes: Any, data: Any) -> None:
    f = BINARY[symbol]
    left_shape, right_shape = shapes.input_shapes
    a = data.draw(hnp.arrays(np.float64, left_shape, elements=st.floats(0.5, 2.0)))
    b = data.draw(hnp.arrays(np.float64, right_shape, elements=st.floats(0.5, 2.0)))
    t = Tensor(b, requires_grad=True)
    out = f(a, t)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, f(a, b), rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    assert_grad_close(t.grad, numeric_vjp(f, [a, b], 1, g, 1e-6), f"array {symbol} Tensor")


def test_reflected_matmul_with_array_on_the_left() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    t = Tensor(b, requires_grad=True)
    out = a @ t
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(t.grad, np.broadcast_to(a.sum(axis=0)[:, None], (3, 4)))


@pytest.mark.parametrize("symbol", list(BINARY))
@pytest.mark.parametrize("scalar", [3, 2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reflected_operator_with_python_scalar_on_the_left(
    symbol: str, scalar: float, dtype: type
) -> None:
    f = BINARY[symbol]
    b = np.array([[0.5, 1.0, 2.0], [1.5, 0.75, 1.25]])
    t = Tensor(b.astype(dtype), requires_grad=True)
    out = f(scalar, t)
    assert out.dtype == dtype and out.requires_grad
    np.testing.assert_allclose(out.data, f(scalar, b), rtol=1e-6)
    out.sum().backward()
    assert t.grad.dtype == dtype
    numeric = numeric_vjp(lambda y: f(scalar, y), [b], 0, np.ones(b.shape), 1e-6)
    assert_grad_close(t.grad, numeric, f"{scalar} {symbol} Tensor")


# --- comparisons ------------------------------------------------------------------------------

COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@pytest.mark.parametrize("symbol", list(COMPARE))
def test_comparisons_give_non_differentiable_bool_tensors(symbol: str) -> None:
    f = COMPARE[symbol]
    a = np.array([[0.0, 1.0, 2.0], [3.0, 1.0, -1.0]])
    b = np.array([1.0, 1.0, 1.0])
    t, u = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    for out, expected in [
        (f(t, u), f(a, b)),  # Tensor, Tensor
        (f(t, b), f(a, b)),  # Tensor, ndarray
        (f(a, u), f(a, b)),  # ndarray, Tensor (numpy hands over to the reflected method)
        (f(t, 1.0), f(a, 1.0)),  # Tensor, scalar
        (f(1.0, t), f(1.0, a)),  # scalar, Tensor
    ]:
        assert isinstance(out, Tensor)
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.data, expected)


def test_comparison_result_can_mask_a_differentiable_expression() -> None:
    x = Tensor(np.array([-1.0, 2.0, -3.0, 4.0]), requires_grad=True)
    (x * (x > 0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])


# --- closed forms -----------------------------------------------------------------------------


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@settings(max_examples=10)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=RAW))
def test_sigmoid_derivative_is_s_times_one_minus_s(a: np.ndarray) -> None:
    x = Tensor(a, requires_grad=True)
    x.sigmoid().sum().backward()
    s = _np_sigmoid(a)
    np.testing.assert_allclose(x.grad, s * (1.0 - s), rtol=1e-12, atol=1e-15)


@settings(max_examples=10)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=RAW))
def test_tanh_derivative_is_one_minus_t_squared(a: np.ndarray) -> None:
    x = Tensor(a, requires_grad=True)
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad, 1.0 - np.tanh(a) ** 2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n, k", [(1, 2), (4, 3), (7, 5)])
def test_softmax_cross_entropy_gradient_is_p_minus_y(n: int, k: int) -> None:
    rng = np.random.default_rng(n * k)
    z = rng.standard_normal((n, k)) * 3.0
    y = np.eye(k)[rng.integers(0, k, size=n)]
    logits = Tensor(z, requires_grad=True)
    loss = -(logits.log_softmax(axis=1) * y).sum(axis=1).mean()
    loss.backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (p - y) / n, rtol=1e-10, atol=1e-14)
    # and through softmax itself
    logits2 = Tensor(z, requires_grad=True)
    (-(logits2.softmax(axis=-1).log() * y).sum()).backward()
    np.testing.assert_allclose(logits2.grad, p - y, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("m", [1, 6])
def test_binary_cross_entropy_with_sigmoid_gradient_is_p_minus_y_over_m(m: int) -> None:
    rng = np.random.default_rng(m)
    z = rng.standard_normal(m) * 2.0
    y = rng.integers(0, 2, size=m).astype(np.float64)
    logits = Tensor(z, requires_grad=True)
    p = logits.sigmoid()
    loss = -(y * p.log() + (1.0 - y) * (1.0 - p).log()).mean()
    loss.backward()
    np.testing.assert_allclose(logits.grad, (_np_sigmoid(z) - y) / m, rtol=1e-10, atol=1e-14)


# --- numerical stability (a RuntimeWarning fails the test) ------------------------------------


def test_stable_ops_do_not_overflow_for_large_inputs() -> None:
    a = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    x = Tensor(a, requires_grad=True)
    out = x.sigmoid().sum() + ag.softplus(x).sum() + x.log_softmax().sum() + x.logsumexp()
    out = out + x.softmax().sum()
    out.backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(
        x.sigmoid().data, [0.0, _np_sigmoid(-30.0), 0.5, _np_sigmoid(30.0), 1.0], rtol=1e-12
    )
    np.testing.assert_allclose(ag.softplus(x).data[-1], 1000.0)
    np.testing.assert_allclose(x.logsumexp().data, 1000.0)
    # an all -inf slice has logsumexp -inf, quietly (as log(0))
    lse = ag.logsumexp(Tensor(np.array([[-np.inf, -np.inf], [0.0, -np.inf]])), axis=1)
    np.testing.assert_array_equal(lse.data, [-np.inf, 0.0])


# --- the surface: exports, methods, one definition per op name -------------------------------

NUMPY_SURFACE = """
tan arcsin arccos arctan arctan2 sinh cosh arcsinh arccosh arctanh expm1 exp2 log2 log10
logaddexp hypot reciprocal erf sign floor ceil round mod remainder floor_divide isfinite isnan
gelu silu swish elu selu softsign log_sigmoid hard_sigmoid relu6 mish
prod cumsum cumprod any all argmax argmin
flip roll tile repeat pad split moveaxis tril triu diag diagonal trace take take_along_axis
sort argsort einsum tensordot outer inner dot kron
zeros ones full zeros_like ones_like full_like eye arange linspace
""".split()
LINALG = "inv det slogdet solve cholesky eigh svd svdvals qr norm".split()
# the ndarray methods numpy has for these (ndarray.sort sorts in place, so it is left out)
METHODS = (
    "prod cumsum cumprod any all argmax argmin round repeat take diagonal trace argsort dot".split()
)


def test_every_new_function_is_exported_in_all_and_documented() -> None:
    for name in NUMPY_SURFACE:
        f = getattr(ag, name)
        assert name in ag.__all__, name
        assert (f.__doc__ or "").strip(), f"{name} has no docstring"
    for name in LINALG:
        f = getattr(ag.linalg, name)
        assert name in ag.linalg.__all__, name
        assert (f.__doc__ or "").strip(), f"linalg.{name} has no docstring"
    assert "linalg" in ag.__all__
    for name in [*METHODS, "sign"]:
        assert callable(getattr(Tensor, name)), name


def test_every_op_name_is_defined_once() -> None:
    import importlib
    import pkgutil

    import autograd_core.ops

    seen: dict = {}
    for info in pkgutil.iter_modules(autograd_core.ops.__path__):
        module = importlib.import_module(f"autograd_core.ops.{info.name}")
        for value in vars(module).values():
            if isinstance(value, ag.Op):
                seen.setdefault(value.name, set()).add(id(value))
    assert len(seen) > 100
    assert not {name for name, ops in seen.items() if len(ops) > 1}
