"""Ops at the points where a naive formula breaks: zero spread, zero bases, 0-d axes, and
the numerical traps of the wider op set. Expected values follow PyTorch where it defines
them (checked against torch 2.13), else the mathematics; every one is exact or from NumPy.

``filterwarnings = error`` (pyproject) turns any numpy RuntimeWarning into a failure here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

# --- std and var at zero spread ---------------------------------------------------------------


@pytest.mark.parametrize("ddof", [0, 1])
def test_std_gradient_is_zero_at_zero_spread_as_pytorch(ddof: int) -> None:
    # before: sqrt's inf times var's 0 gave nan; torch.std gives 0 (its subgradient)
    x = Tensor(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    x.std(axis=1, ddof=ddof).sum().backward()
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
    a = np.array([1.0, 2.0, 4.0])
    expected = (a - a.mean()) / ((3 - ddof) * a.std(ddof=ddof))
    np.testing.assert_allclose(x.grad[1], expected, rtol=1e-12)


def test_std_second_derivative_is_finite_at_zero_spread() -> None:
    x = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    (gx,) = ag.gradients(x.std(), [x], create_graph=True)
    (hx,) = ag.gradients(gx.sum(), [x])
    np.testing.assert_array_equal(gx.data, [0.0, 0.0, 0.0])
    assert np.all(np.isfinite(hx))


def test_var_gradient_is_zero_at_zero_spread() -> None:
    x = Tensor(np.full((2, 3), 5.0), requires_grad=True)
    x.var(axis=0, ddof=1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


# --- power at a zero base -----------------------------------------------------------------------


def test_power_exponent_gradient_at_zero_base_follows_pytorch() -> None:
    # d(0**y)/dy: -inf for y < 0 (inf * log 0), 0 for y >= 0; before: nan with a warning
    b = Tensor(np.zeros(4), requires_grad=True)
    e = Tensor(np.array([-1.0, -0.5, 0.0, 2.0]), requires_grad=True)
    with np.errstate(divide="ignore"):  # numpy's own forward warns for 0 ** -1
        y = b**e
    y.sum().backward()
    np.testing.assert_array_equal(e.grad, [-np.inf, -np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(b.grad, [-np.inf, -np.inf, 0.0, 0.0])
    # a scalar zero base, as in torch.tensor(0.0) ** e
    e2 = Tensor(np.array([-2.0, 3.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        y2 = 0.0**e2
    y2.sum().backward()
    np.testing.assert_array_equal(e2.grad, [-np.inf, 0.0])


# --- 0-d tensors take axis 0 and -1 where numpy does ------------------------------------------


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize(
    "name", ["squeeze", "sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax"]
)
def test_zero_dimensional_tensors_take_axis_zero_and_minus_one(name: str, axis: int) -> None:
    # before: Tensor(3.0).squeeze(0) raised a bare IndexError, softmax an AxisError
    x = Tensor(np.float64(3.0), requires_grad=True)
    out = getattr(ag, name)(x, axis)
    assert out.shape == ()
    expected = {"softmax": 1.0, "log_softmax": 0.0}.get(name, 3.0)
    np.testing.assert_allclose(out.data, expected)
    out.backward()
    np.testing.assert_allclose(x.grad, 0.0 if name in ("softmax", "log_softmax") else 1.0)
    if name in ("squeeze", "sum", "max", "min"):
        np.testing.assert_array_equal(out.data, getattr(np, name)(np.float64(3.0), axis))


def test_zero_dimensional_tensor_methods_and_bad_axes() -> None:
    x = Tensor(np.float64(3.0), requires_grad=True)
    assert x.squeeze(0).shape == () and x.sum(axis=-1).shape == ()
    assert x.softmax(0).shape == () and x.expand_dims(-1).shape == (1,)
    with pytest.raises(ag.AxisError, match=r"squeeze: axis 1 is out of range for a 0-d"):
        x.squeeze(1)
    with pytest.raises(ag.AxisError, match=r"softmax: axis 1 is out of range"):
        x.softmax(1)


# --- sign ------------------------------------------------------------------------------------


def test_sign_is_differentiable_with_gradient_zero() -> None:
    # before: sign was not recorded, so x.grad stayed None; torch.sign gives zeros
    x = Tensor(np.array([-1.5, 0.0, 2.0]), requires_grad=True)
    y = ag.sign(x)
    assert y.requires_grad
    np.testing.assert_array_equal(y.data, [-1.0, 0.0, 1.0])
    (y * x).sum().backward()  # d(sign(x) x)/dx = sign(x): the product rule's other term
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


# --- elementwise functions at their edges ------------------------------------------------------


def test_logaddexp_for_inputs_up_to_1e4_is_exact_without_warnings() -> None:
    a = np.array([1e4, -1e4, 1e4, -1e4, 1e4, 0.0])
    b = np.array([-1e4, 1e4, 1e4, -1e4, 1e4 - 1.0, -1e4])
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = ag.logaddexp(x, y)
    np.testing.assert_array_equal(out.data, np.logaddexp(a, b))
    out.sum().backward()
    s = 1.0 / (1.0 + np.exp(-1.0))  # sigmoid(1): x - y is exactly 1 in the fifth pair
    np.testing.assert_allclose(x.grad, [1.0, 0.0, 0.5, 0.5, s, 1.0], rtol=1e-15)
    np.testing.assert_allclose(y.grad, [0.0, 1.0, 0.5, 0.5, 1.0 - s, 0.0], rtol=1e-15)
    # second order: d2/dx2 logaddexp = s (1 - s), finite everywhere
    x2 = Tensor(a, requires_grad=True)
    (gx,) = ag.gradients(ag.logaddexp(x2, b).sum(), [x2], create_graph=True)
    (hx,) = ag.gradients(gx.sum(), [x2])
    np.testing.assert_allclose(hx, [0.0, 0.0, 0.25, 0.25, s * (1.0 - s), 0.0], atol=1e-15)


def test_hypot_and_arctan2_gradients_at_the_origin_are_zero() -> None:
    # arctan2 as PyTorch (0, 0); hypot as norm's subgradient at 0 (PyTorch: nan)
    for f in (ag.hypot, ag.arctan2):
        x, y = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
        f(x, y).sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.0])
        np.testing.assert_array_equal(y.grad, [0.0, 0.0])


def test_inverse_functions_at_the_ends_of_their_domains_give_inf_without_warnings() -> None:
    # as sqrt at 0 (and PyTorch): the slope is infinite there
    for f, at, expected in [
        (ag.arcsin, [1.0, -1.0], [np.inf, np.inf]),
        (ag.arccos, [1.0, -1.0], [-np.inf, -np.inf]),
        (ag.arccosh, [1.0], [np.inf]),
        (ag.log2, [0.0], [np.inf]),
    ]:
        x = Tensor(np.array(at), requires_grad=True)
        with np.errstate(divide="ignore"):  # numpy's own forward warns for log2(0)
            y = f(x)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, expected)


def test_mod_gradients_follow_pytorch_remainder() -> None:
    # torch.remainder(a, b): d/da = 1, d/db = -floor(a / b); values as np.mod (sign of b)
    a, b = np.array([5.0, -5.0, 5.0, 2.5]), np.array([3.0, 3.0, -3.0, 0.5])
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = x % y
    np.testing.assert_array_equal(out.data, np.mod(a, b))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [-1.0, 2.0, 2.0, -5.0])
    # reflected: a scalar or an array on the left
    z = Tensor(np.array([3.0, -2.0]), requires_grad=True)
    np.testing.assert_array_equal((7.0 % z).data, np.mod(7.0, [3.0, -2.0]))
    np.testing.assert_array_equal((np.array([7.0, 7.0]) // z).data, [2.0, -4.0])


def test_round_floor_ceil_and_sign_pass_zero_gradients() -> None:
    a = np.array([-1.25, 0.5, 1.5, 2.675])
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.round().data, np.round(a))
    np.testing.assert_array_equal(x.round(2).data, np.round(a, 2))
    out = ag.floor(x) + ag.ceil(x) + ag.round(x, 1) + x.sign()
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def test_isfinite_and_isnan_take_any_tensor_and_record_nothing() -> None:
    a = np.array([1.0, np.inf, -np.inf, np.nan])
    x = Tensor(a, requires_grad=True)
    for f, ref in [(ag.isfinite, np.isfinite), (ag.isnan, np.isnan)]:
        out = f(x)
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.data, ref(a))


# --- activations -------------------------------------------------------------------------------


def test_log_sigmoid_for_inputs_up_to_1e4_is_exact_without_warnings() -> None:
    x = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]), requires_grad=True)
    out = ag.log_sigmoid(x)
    np.testing.assert_allclose(out.data, [-1e4, -50.0, -np.log(2.0), -np.exp(-50.0), 0.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0, 0.5, np.exp(-50.0), 0.0], rtol=1e-14)
    (gx,) = ag.gradients(ag.log_sigmoid(x).sum(), [x], create_graph=True)
    (hx,) = ag.gradients(gx.sum(), [x])  # -sigmoid(x) sigmoid(-x), finite everywhere
    # (sigmoid's rule, s (1 - s), rounds 1.9e-22 to 0 at |x| = 50: an absolute 1e-22)
    np.testing.assert_allclose(hx, [0.0, -np.exp(-50.0), -0.25, -np.exp(-50.0), 0.0], atol=1e-21)


@pytest.mark.parametrize(
    "name", ["gelu", "silu", "elu", "selu", "softsign", "log_sigmoid", "mish", "hard_sigmoid"]
)
def test_activations_for_large_inputs_stay_finite_without_warnings(name: str) -> None:
    x = Tensor(np.array([-1e4, -30.0, 30.0, 1e4]), requires_grad=True)
    out = getattr(ag, name)(x)
    assert np.all(np.isfinite(out.data))
    out.sum().backward()
    assert np.all(np.isfinite(x.grad))
    if name in ("gelu", "silu", "mish"):  # x for x >> 0, 0 for x << 0
        np.testing.assert_allclose(out.data[[0, 3]], [0.0, 1e4], atol=1e-300)


def test_hard_sigmoid_is_keras_3s_and_relu6_corners_have_gradient_zero() -> None:
    # Keras 3: 0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between (= relu6(x + 3) / 6)
    a = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0])
    x = Tensor(a, requires_grad=True)
    out = ag.hard_sigmoid(x)
    np.testing.assert_allclose(out.data, [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [0, 0, 1 / 6, 1 / 6, 1 / 6, 0, 0])  # as PyTorch
    y = Tensor(np.array([-1.0, 0.0, 3.0, 6.0, 7.0]), requires_grad=True)
    r = ag.relu6(y)
    np.testing.assert_array_equal(r.data, [0.0, 0.0, 3.0, 6.0, 6.0])
    r.sum().backward()
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 1.0, 0.0, 0.0])  # as PyTorch


def test_gelu_values_match_pytorch_in_both_forms() -> None:
    a = np.array([-1.0, 0.5, 2.0])
    exact = ag.gelu(Tensor(a)).data
    approx = ag.gelu(Tensor(a), approximate=True).data
    # torch.nn.functional.gelu(x) and gelu(x, approximate="tanh"), float64
    np.testing.assert_allclose(
        exact, [-0.15865525393145702, 0.34573123063700656, 1.9544997361036416]
    )
    np.testing.assert_allclose(
        approx, [-0.15880800939172324, 0.34571400982514394, 1.954597694087775]
    )
    np.testing.assert_array_equal(ag.gelu(Tensor(a), approximate="tanh").data, approx)
    with pytest.raises(ValueError, match=r"gelu expects approximate"):
        ag.gelu(Tensor(a), approximate="fast")


# --- products with zeros --------------------------------------------------------------------------


def _hessian(f, a: np.ndarray) -> np.ndarray:
    """The Hessian of the scalar ``f`` at ``a``, row by row through create_graph."""
    x = Tensor(a, requires_grad=True)
    (gx,) = ag.gradients(f(x), [x], create_graph=True)
    flat = gx.reshape(-1)
    rows = [ag.gradients(flat[i], [x], retain_graph=True)[0] for i in range(a.size)]
    return np.stack([np.asarray(r).reshape(-1) for r in rows])


@pytest.mark.parametrize(
    "a, grad",
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
        ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),  # exactly one zero (torch.prod: the same)
        ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),  # several zeros
    ],
)
def test_prod_gradient_with_zeros(a: list, grad: list) -> None:
    x = Tensor(np.array(a), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, grad)
    # the Hessian of x0 x1 x2 is the product of the other two off the diagonal
    v = np.array(a)
    expected = np.array([[0.0, v[2], v[1]], [v[2], 0.0, v[0]], [v[1], v[0], 0.0]])
    np.testing.assert_allclose(_hessian(lambda t: t.prod(), v), expected)


def test_prod_over_several_axes_with_zeros_and_keepdims() -> None:
    a = np.array([[[0.0, 2.0], [3.0, 1.0]], [[1.0, 2.0], [0.0, 0.0]]])
    x = Tensor(a, requires_grad=True)
    out = x.prod(axis=(0, 2), keepdims=True)
    np.testing.assert_array_equal(out.data, np.prod(a, axis=(0, 2), keepdims=True))
    out.sum().backward()
    expected = np.zeros_like(a)
    expected[0, 0, 0] = 2.0 * 1.0 * 2.0  # the only zero of its slice
    np.testing.assert_array_equal(x.grad, expected)


def test_prod_of_an_underflowing_product_keeps_its_gradient() -> None:
    a = np.array([1e-200, 1e-200])  # the product underflows to 0 with no zero factor
    x = Tensor(a, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, [1e-200, 1e-200])


@pytest.mark.parametrize(
    "a", [[2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0], [1.5, -2.0, 0.5]]
)
def test_cumprod_gradient_and_hessian_with_zeros(a: list) -> None:
    v = np.array(a)
    w = np.arange(1.0, v.size + 1.0)  # a weighted sum: every output counts differently
    x = Tensor(v, requires_grad=True)
    (x.cumprod() * w).sum().backward()
    n = v.size
    expected = [
        sum(w[k] * np.prod(np.delete(v[: k + 1], i)) for k in range(i, n)) for i in range(n)
    ]
    np.testing.assert_allclose(x.grad, expected)
    hess = _hessian(lambda t: (t.cumprod() * w).sum(), v)
    exact = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                keep = [m for m in range(n) if m not in (i, j)]
                exact[i, j] = sum(
                    w[k] * np.prod(v[[m for m in keep if m <= k]]) for k in range(max(i, j), n)
                )
    np.testing.assert_allclose(hess, exact, atol=1e-12)


def test_cumprod_gradient_matches_pytorch_with_one_zero() -> None:
    x = Tensor(np.array([2.0, 0.0, 3.0, 4.0]), requires_grad=True)
    x.cumprod(0).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 32.0, 0.0, 0.0])  # torch.cumprod: the same


def test_cumsum_and_cumprod_flatten_for_axis_none_and_take_0d_tensors() -> None:
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(ag.cumsum(x).data, np.cumsum(a))
    np.testing.assert_array_equal(x.cumprod(axis=-1).data, np.cumprod(a, axis=-1))
    s = Tensor(np.float64(2.0), requires_grad=True)
    out = ag.cumsum(s, 0)
    assert out.shape == np.cumsum(np.float64(2.0), axis=0).shape == (1,)
    out.sum().backward()
    assert s.grad.shape == () and s.grad == 1.0


def test_argmax_and_argmin_keepdims_as_numpy() -> None:
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    x = Tensor(a, requires_grad=True)
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            for name in ("argmax", "argmin"):
                out = getattr(x, name)(axis, keepdims=keepdims)
                expected = getattr(np, name)(a, axis=axis, keepdims=keepdims)
                assert out.shape == expected.shape and not out.requires_grad
                np.testing.assert_array_equal(out.data, expected)
    with pytest.raises(ag.AxisError, match=r"argmax: axis 2 is out of range.*\(2, 3\)"):
        x.argmax(2)
    with pytest.raises(ValueError, match=r"argmin: an empty tensor"):
        ag.argmin(Tensor(np.zeros((0, 2))))


# --- shape and indexing ---------------------------------------------------------------------------


def test_sort_scatters_the_gradient_back_through_the_permutation() -> None:
    x = Tensor(np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 5.0]]), requires_grad=True)
    out = ag.sort(x, axis=1)
    np.testing.assert_array_equal(out.data, [[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    (out * np.array([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[30.0, 10.0, 20.0], [20.0, 10.0, 30.0]])
    # ties: a stable order, as argsort(kind="stable") reports it
    t = Tensor(np.array([1.0, 1.0, 0.0]), requires_grad=True)
    (ag.sort(t) * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 3.0, 1.0])
    np.testing.assert_array_equal(t.argsort().data, [2, 0, 1])


def test_split_returns_a_list_of_tensors_each_with_its_gradient() -> None:
    x = Tensor(np.arange(6.0), requires_grad=True)
    parts = ag.split(x, 3)
    assert isinstance(parts, list) and [p.shape for p in parts] == [(2,), (2,), (2,)]
    (parts[0].sum() + 2.0 * parts[2].sum()).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0, 0.0, 2.0, 2.0])
    assert [p.shape for p in ag.split(x, [1, 4])] == [(1,), (3,), (2,)]
    with pytest.raises(ag.ShapeError, match=r"split: axis 0 of length 6 .*4 equal parts"):
        ag.split(x, 4)


def test_pad_modes_match_numpy_and_bad_arguments_name_pad() -> None:
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(a, requires_grad=True)
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
        np.testing.assert_array_equal(
            ag.pad(x, ((1, 2), (3, 0)), mode).data, np.pad(a, ((1, 2), (3, 0)), mode)
        )
    ag.pad(x, 2, "edge").sum().backward()
    np.testing.assert_array_equal(x.grad.sum(), np.pad(a, 2, "edge").size)  # every copy counted
    with pytest.raises(ValueError, match=r"pad: mode must be one of"):
        ag.pad(x, 1, "mean")
    with pytest.raises(ag.ShapeError, match=r"pad: pad_width.*\(2, 3\)"):
        ag.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ag.ShapeError, match=r"pad: pad_width cannot be negative"):
        ag.pad(x, -1)


def test_indexing_errors_name_the_op_and_the_shape() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ag.IndexingError, match=r"take.*\(2, 3\)"):
        x.take(7, axis=1)
    with pytest.raises(ag.IndexingError, match=r"take: indices must be integers"):
        x.take(np.array([0.5]))
    with pytest.raises(ag.AxisError, match=r"diagonal: axis1 and axis2 must differ"):
        x.diagonal(0, 1, 1)
    with pytest.raises(ag.ShapeError, match=r"take_along_axis: .*\(3,\).*\(2, 3\)"):
        ag.take_along_axis(x, np.array([0, 1, 2]), axis=1)
    with pytest.raises(ag.ShapeError, match=r"repeat: 2 counts for axis 1 of length 3"):
        x.repeat([1, 2], axis=1)
    with pytest.raises(ag.AxisError, match=r"moveaxis: axis 2 is out of range.*\(2, 3\)"):
        ag.moveaxis(x, 2, 0)
    with pytest.raises(ag.ShapeError, match=r"diag: input must be 1-D or 2-D.*\(1, 2, 3\)"):
        ag.diag(Tensor(np.ones((1, 2, 3))))


def test_diag_trace_and_triangles_on_small_cases() -> None:
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    m = ag.diag(v, 1)
    np.testing.assert_array_equal(m.data, np.diag([1.0, 2.0], 1))
    (m * np.arange(9.0).reshape(3, 3)).sum().backward()
    np.testing.assert_array_equal(v.grad, [1.0, 5.0])
    a = np.arange(12.0).reshape(3, 4)
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.trace(1).data, np.trace(a, 1))
    x.trace(-1).backward()
    np.testing.assert_array_equal(x.grad, np.eye(3, 4, -1))
    t = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)  # numpy: a 1-D input -> square
    ag.tril(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 2.0, 1.0])


def test_zero_dimensional_take_and_repeat_follow_numpy() -> None:
    s = Tensor(np.float64(2.0), requires_grad=True)
    assert ag.take(s, 0, axis=0).shape == np.take(np.float64(2.0), 0, axis=0).shape
    out = s.repeat(3, axis=0)
    assert out.shape == np.repeat(np.float64(2.0), 3, axis=0).shape == (3,)
    out.sum().backward()
    assert s.grad == 3.0


# --- linear algebra: the numerical traps ----------------------------------------------------------


def _rotation(n: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def _central(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f at a, entry by entry."""
    out = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = eps
        out[i] = (f(a + e) - f(a - e)) / (2.0 * eps)
    return out


def _sym(a: np.ndarray) -> np.ndarray:
    return (a + a.T) / 2.0


REPEATED = [
    ("identity", np.eye(3)),
    ("one pair", (_rotation(3, 0) * [1.0, 1.0, 3.0]) @ _rotation(3, 0).T),  # equal to rounding
    ("triple", 2.0 * np.eye(3)),
]


@pytest.mark.parametrize("name, a", REPEATED, ids=[r[0] for r in REPEATED])
def test_eigh_gradient_of_eigenvalue_losses_at_repeated_eigenvalues(
    name: str, a: np.ndarray
) -> None:
    x = Tensor(a, requires_grad=True)
    w, _ = ag.linalg.eigh(x)
    (w * w).sum().backward()  # = ||A||_F^2, gradient 2A
    np.testing.assert_allclose(x.grad, 2.0 * a, atol=1e-12)
    y = Tensor(a, requires_grad=True)
    w2, v2 = ag.linalg.eigh(y)
    (w2.sum() + 0.0 * v2.sum()).backward()  # eigenvectors in the graph, with gradient 0
    np.testing.assert_allclose(y.grad, np.eye(3), atol=1e-12)


def test_eigh_gradient_of_an_eigenspace_projector_at_a_repeated_eigenvalue() -> None:
    # the projector onto the eigenspace of the double eigenvalue does not depend on the basis
    # eigh picks in it: its gradient exists (and is what central differences measure)
    q = _rotation(3, 1)
    a = (q * [1.0, 1.0, 3.0]) @ q.T
    g = _sym(np.random.default_rng(2).standard_normal((3, 3)))

    def loss_np(m: np.ndarray) -> float:
        v = np.linalg.eigh(_sym(m))[1][:, :2]
        return float(np.sum(g * (v @ v.T)))

    x = Tensor(a, requires_grad=True)
    v = ag.linalg.eigh(x).eigenvectors[:, :2]
    (ag.Tensor(g) * (v @ v.T)).sum().backward()
    np.testing.assert_allclose(x.grad, _central(loss_np, a), atol=1e-7)


def test_eigh_warns_where_the_loss_depends_on_the_basis_of_an_eigenspace() -> None:
    x = Tensor(np.eye(3), requires_grad=True)
    _, v = ag.linalg.eigh(x)
    with pytest.warns(
        ag.DegenerateGradientWarning, match=r"eigh: the gradient through the eigenvectors"
    ):
        v[0, 1].backward()  # turning the basis in the (0, 1) plane changes it at first order
    # with distinct eigenvalues the same loss is fine, quietly
    y = Tensor(np.diag([1.0, 2.0, 3.0]) + 0.1, requires_grad=True)
    ag.linalg.eigh(y)[1][0, 0].backward()
    assert np.all(np.isfinite(y.grad))


def test_svd_gradients_at_repeated_singular_values() -> None:
    q = _rotation(3, 3)  # all singular values 1
    x = Tensor(q, requires_grad=True)
    ag.linalg.svd(x, full_matrices=False).S.sum().backward()  # the nuclear norm: U V^T = q
    np.testing.assert_allclose(x.grad, q, atol=1e-12)
    # the polar factor U V^T does not depend on the bases chosen (U and V turn together)
    a = (_rotation(3, 4) * [2.0, 2.0, 1.0]) @ _rotation(3, 5).T
    g = np.random.default_rng(6).standard_normal((3, 3))

    def polar_np(m: np.ndarray) -> float:
        u, _, vh = np.linalg.svd(m)
        return float(np.sum(g * (u @ vh)))

    y = Tensor(a, requires_grad=True)
    u, _, vh = ag.linalg.svd(y, full_matrices=False)
    (ag.Tensor(g) * (u @ vh)).sum().backward()
    np.testing.assert_allclose(y.grad, _central(polar_np, a), atol=1e-7)
    # a loss of one singular vector is not defined there: a warning, not a silent number
    z = Tensor(q, requires_grad=True)
    with pytest.warns(
        ag.DegenerateGradientWarning, match=r"svd: the gradient through the singular vectors"
    ):
        ag.linalg.svd(z, full_matrices=False).U[0, 0].backward()


def test_svd_full_matrices_gradient_only_through_the_first_min_m_n_columns() -> None:
    a = np.random.default_rng(7).standard_normal((4, 2))
    x = Tensor(a, requires_grad=True)
    u, s, vh = ag.linalg.svd(x)  # numpy's default: full_matrices=True
    assert u.shape == (4, 4) and vh.shape == (2, 2)
    np.testing.assert_allclose((u[:, :2] * s) @ vh, a, atol=1e-12)
    (s.sum() + u[:, :2].sum() * 0.0).backward()
    assert np.all(np.isfinite(x.grad))
    y = Tensor(a, requires_grad=True)
    with pytest.raises(
        ag.BackwardError, match=r"svd: full_matrices=True.*\(4, 2\).*full_matrices=False"
    ):
        ag.linalg.svd(y)[0][:, 3].sum().backward()


@pytest.mark.parametrize("ord_", [None, 2, 1, 3, 0.5, np.inf])
def test_vector_norm_gradient_at_zero_is_zero_without_warnings(ord_: Any) -> None:
    # as PyTorch's linalg.vector_norm (its subgradient at 0)
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    out = ag.linalg.norm(x, ord_, axis=1)
    np.testing.assert_array_equal(out.data, [0.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    y = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    ag.linalg.norm(y).backward()  # fro over everything, a zero row in it
    np.testing.assert_allclose(y.grad, [[0.0, 0.0], [0.6, 0.8]])
    z = Tensor(np.zeros((2, 2)), requires_grad=True)
    ag.linalg.norm(z, "fro").backward()
    np.testing.assert_array_equal(z.grad, np.zeros((2, 2)))


def test_det_of_singular_matrices_is_zero_with_the_adjugate_as_gradient() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    d = ag.linalg.det(x)
    assert d.item() == 0.0
    d.backward()
    np.testing.assert_allclose(x.grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)  # adj(A)^T
    # a 3 x 3 of rank 2: the gradient is the cofactor matrix
    b = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.5], [1.0, 0.0, 1.0]])
    b[1] = 2.0 * b[0]
    cof = np.array(
        [
            [(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(b, i, 0), j, 1)) for j in range(3)]
            for i in range(3)
        ]
    )
    y = Tensor(b, requires_grad=True)
    ag.linalg.det(y).backward()
    np.testing.assert_allclose(y.grad, cof, atol=1e-12)
    assert np.all(np.isfinite(y.grad))
    # its second derivative too: against central differences of the (polynomial) gradient

    def grad_at(m: np.ndarray) -> np.ndarray:
        t = Tensor(m, requires_grad=True)
        ag.linalg.det(t).backward()
        return t.grad

    v = np.random.default_rng(8).standard_normal((3, 3))
    t = Tensor(b, requires_grad=True)
    (gt,) = ag.gradients(ag.linalg.det(t), [t], create_graph=True)
    (h,) = ag.gradients((gt * v).sum(), [t])
    np.testing.assert_allclose(h, _central(lambda m: float(np.sum(grad_at(m) * v)), b), atol=1e-6)
    # the zero matrix: value 0, gradient 0
    z = Tensor(np.zeros((3, 3)), requires_grad=True)
    ag.linalg.det(z).backward()
    np.testing.assert_array_equal(z.grad, np.zeros((3, 3)))


def test_det_second_derivative_at_the_identity_is_exact() -> None:
    # d2 det(I)[E, F] = tr(E) tr(F) - tr(E F): through det * inv, not an SVD of equal values
    x = Tensor(np.eye(3), requires_grad=True)
    (g,) = ag.gradients(ag.linalg.det(x), [x], create_graph=True)
    v = np.random.default_rng(9).standard_normal((3, 3))
    (h,) = ag.gradients((g * v).sum(), [x])
    np.testing.assert_allclose(h, np.trace(v) * np.eye(3) - v.T, atol=1e-12)


def test_cholesky_of_a_matrix_that_is_not_positive_definite_names_the_op_and_shape() -> None:
    a = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
    with pytest.raises(
        ag.LinAlgError, match=r"cholesky: .*not positive definite.*\(1,\).*\(2, 3, 3\)"
    ) as info:
        ag.linalg.cholesky(Tensor(a, requires_grad=True))
    assert isinstance(info.value, ValueError) and isinstance(info.value, np.linalg.LinAlgError)
    with pytest.raises(ag.LinAlgError, match=r"inv: the matrix is singular.*\(2, 2\)"):
        ag.linalg.inv(Tensor(np.ones((2, 2))))
    with pytest.raises(ag.LinAlgError, match=r"det: expects square matrices.*\(2, 3\)"):
        ag.linalg.det(Tensor(np.ones((2, 3))))


def test_linalg_results_are_numpys_named_tuples_batched_as_numpy() -> None:
    rng = np.random.default_rng(10)
    a = rng.standard_normal((2, 3, 3))
    s = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    w, v = ag.linalg.eigh(Tensor(s))
    res = ag.linalg.eigh(Tensor(s))
    assert res.eigenvalues.shape == (2, 3) and res.eigenvectors.shape == (2, 3, 3)
    np.testing.assert_allclose(w.data, np.linalg.eigh(s).eigenvalues)
    sign_, logdet = ag.linalg.slogdet(Tensor(a, requires_grad=True))
    assert not sign_.requires_grad and logdet.requires_grad
    np.testing.assert_array_equal(sign_.data, np.linalg.slogdet(a).sign)
    u, sv, vh = ag.linalg.svd(Tensor(a), full_matrices=False)
    np.testing.assert_allclose((u.data * sv.data[..., None, :]) @ vh.data, a, atol=1e-12)
    q, r = ag.linalg.qr(Tensor(rng.standard_normal((2, 4, 3))))
    assert q.shape == (2, 4, 3) and r.shape == (2, 3, 3)
    x = Tensor(a, requires_grad=True)
    logdet2 = ag.linalg.slogdet(x).logabsdet
    logdet2.sum().backward()
    np.testing.assert_allclose(x.grad, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10)


def test_erf_is_accurate_to_1e_15_over_the_whole_real_line() -> None:
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(11)
    x = np.concatenate(
        [
            np.linspace(-7.0, 7.0, 200_001),
            rng.standard_normal(20_000) * 1e3,
            np.geomspace(1e-300, 1e308, 2_000),
            -np.geomspace(1e-300, 1e308, 2_000),
            [0.0, -0.0, np.inf, -np.inf, 5e-324],
        ]
    )
    got, ref = ag.erf(Tensor(x)).data, special.erf(x)
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(float).tiny)
    assert rel.max() <= 1e-15
    assert np.signbit(ag.erf(Tensor(np.array(-0.0))).data)
    assert np.isnan(ag.erf(Tensor(np.array(np.nan))).data)
    assert ag.erf(Tensor(np.array([0.5], dtype=np.float32))).dtype == np.float32


@pytest.mark.parametrize(
    "fn, formula",
    [
        (
            lambda x: ag.gelu(x, approximate=True),
            lambda x: 0.5 * x * (1.0 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        ),
        (ag.log_sigmoid, lambda x: -np.log1p(np.exp(-x))),
        (ag.silu, lambda x: x / (1.0 + np.exp(-x))),
    ],
    ids=["gelu_tanh", "log_sigmoid", "silu"],
)
@pytest.mark.parametrize("dtype", [np.int32, np.uint8])
def test_activations_of_integer_arrays_compute_in_float(fn: Any, formula: Any, dtype) -> None:
    # x**3 of an int32 wraps around; -|x| of a uint8 does too: both must not reach the result
    x = np.array([1, 7, 200], dtype=dtype)
    out = fn(Tensor(x))
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out.data, formula(x.astype(np.float64)), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", ["erf", "gelu", "silu", "log_sigmoid", "gelu_tanh"])
def test_float16_activations_stay_float16(name: str) -> None:
    fn = {"gelu_tanh": lambda x: ag.gelu(x, approximate=True)}.get(name) or getattr(ag, name)
    assert fn(Tensor(np.linspace(-2, 2, 5).astype(np.float16))).dtype == np.float16
