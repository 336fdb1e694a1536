"""The public contract of autograd_core (API.md), pinned where an audit against PyTorch found a
difference: each expected value is exact or comes from NumPy, never from the code under test."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag


def test_grad_of_a_later_argument_sees_every_array_as_a_tensor() -> None:
    # torch.func.grad(f, argnums=1) hands f tensors for all arguments; so do we: x.sin() must
    # work although x, a numpy array, is not the differentiated argument.
    x = np.array([0.5, 1.0, 2.0])
    y = np.array([1.0, -2.0, 3.0])

    def f(x, y):
        return (x.sin() * y * y).sum()

    g = ag.grad(f, argnums=1)(x, y)
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, 2.0 * np.sin(x) * y)
    value, (gx, gy) = ag.value_and_grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(value, np.sum(np.sin(x) * y * y))
    np.testing.assert_allclose(gx, np.cos(x) * y * y)
    np.testing.assert_allclose(gy, 2.0 * np.sin(x) * y)


def test_jacobian_and_hessian_of_a_later_argument() -> None:
    x = np.array([1.0, 2.0])
    y = np.array([3.0, -1.0])
    jac = ag.jacobian(lambda x, y: x.exp() * y, argnums=1)(x, y)
    np.testing.assert_allclose(jac, np.diag(np.exp(x)))
    hess = ag.hessian(lambda x, y: (x.exp() * y * y).sum(), argnums=1)(x, y)
    np.testing.assert_allclose(hess, np.diag(2.0 * np.exp(x)))


def test_no_grad_and_enable_grad_decorate_without_parentheses() -> None:
    x = ag.Tensor(np.ones(2), requires_grad=True)

    @ag.no_grad
    def off(t: ag.Tensor) -> ag.Tensor:
        return t * 2.0

    @ag.enable_grad
    def on(t: ag.Tensor) -> ag.Tensor:
        return t * 2.0

    assert off.__name__ == "off"
    assert not off(x).requires_grad
    assert (x * 2.0).requires_grad  # the mode is back on after the call
    with ag.no_grad():
        assert on(x).requires_grad
        assert not (x * 2.0).requires_grad


def test_power_gradient_at_zero_follows_pytorch() -> None:
    # d(x**y)/dx is 0 where y == 0 (even at x == 0), and inf at x == 0 for 0 < y < 1
    x = ag.Tensor(np.array([0.0, 0.0, 0.0, 2.0]), requires_grad=True)
    y = ag.Tensor(np.array([2.0, 0.0, 0.5, 1.0]), requires_grad=True)
    (x**y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, np.inf, 1.0])
    # d/dy = x**y * log(x): 0 at x == 0, log(2) * 2 at x == 2
    np.testing.assert_allclose(y.grad, [0.0, 0.0, 0.0, 2.0 * np.log(2.0)])
    z = ag.Tensor(np.array([0.0, 3.0]), requires_grad=True)
    (z**0.0).sum().backward()
    np.testing.assert_array_equal(z.grad, [0.0, 0.0])


def test_sqrt_gradient_at_zero_is_inf_without_a_warning() -> None:
    # filterwarnings=error turns numpy's divide-by-zero warning into a failure here
    x = ag.Tensor(np.array([0.0, 4.0]), requires_grad=True)
    x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])
    w = ag.Tensor(np.array([0.0, 4.0]), requires_grad=True)
    (w**0.5).sum().backward()
    np.testing.assert_array_equal(w.grad, [np.inf, 0.25])


def test_clip_with_numpy_scalar_bounds_keeps_float32() -> None:
    x = ag.Tensor(np.array([-2.0, 0.5, 3.0], dtype=np.float32), requires_grad=True)
    y = x.clip(np.float64(-1.0), np.float64(1.0))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, np.array([-1.0, 0.5, 1.0], dtype=np.float32))
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
    assert ag.clip(np.array([0.5], dtype=np.float32), np.float64(0.0), 1.0).dtype == np.float32


def test_the_four_contract_errors_name_the_operation_and_the_shapes_or_dtypes() -> None:
    a = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        a + ag.Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        a @ a
    y = (a.exp() * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"'sum' \(output shape \(\), dtype float64\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"backward.*\(2, 3\)"):
        (a * 2.0).backward()
    with pytest.raises(TypeError, match=r"requires_grad.*int64.*\(3,\)"):
        ag.Tensor(np.arange(3), requires_grad=True)


def test_numpy_integer_axes_are_accepted_as_numpy_does() -> None:
    a = np.arange(6.0).reshape(2, 3)
    x = ag.Tensor(a, requires_grad=True)
    ax = np.int64(1)
    np.testing.assert_array_equal(x.sum(axis=ax).data, a.sum(axis=1))
    np.testing.assert_array_equal(x.max(axis=(np.int32(0), -1)).data, a.max(axis=(0, 1)))
    np.testing.assert_allclose(x.softmax(axis=np.int64(0)).data.sum(axis=0), [1.0, 1.0, 1.0])
    s = ag.stack([x, x], axis=np.int64(2))
    assert s.shape == (2, 3, 2)
    x.mean(axis=np.int64(0)).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 0.5))
    with pytest.raises(ag.AxisError, match=r"sum: axis must be None, an integer or a tuple"):
        x.sum(axis=1.5)


def test_clip_with_lo_above_hi_gives_hi_like_numpy() -> None:
    a = np.array([-1.0, 2.0, 5.0])
    x = ag.Tensor(a, requires_grad=True)
    y = x.clip(4.0, 1.0)
    np.testing.assert_array_equal(y.data, np.clip(a, 4.0, 1.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_clip_bounds_that_require_grad_receive_their_gradient() -> None:
    # as torch.clamp: x gets 1 inside [lo, hi] (bounds inclusive), each bound where it wins
    x = ag.Tensor(np.array([-2.0, 0.0, 0.5, 3.0]), requires_grad=True)
    lo = ag.Tensor(np.array(0.0), requires_grad=True)
    hi = ag.Tensor(np.array([1.0, 1.0, 1.0, 2.0]), requires_grad=True)
    y = x.clip(lo, hi)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.5, 2.0])
    (y * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 3.0, 0.0])
    np.testing.assert_array_equal(lo.grad, 1.0)
    np.testing.assert_array_equal(hi.grad, [0.0, 0.0, 0.0, 4.0])


def test_a_dtype_that_is_not_numeric_raises_dtype_error_naming_the_call() -> None:
    x = ag.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ag.DTypeError, match=r"astype expects a numeric dtype.*'foo'"):
        x.astype("foo")
    with pytest.raises(ag.DTypeError, match=r"astype expects a numeric dtype"):
        x.astype(str)
    with pytest.raises(ag.DTypeError, match=r"Tensor expects a numeric dtype.*'foo'"):
        ag.Tensor([1.0], dtype="foo")
    assert ag.Tensor([1.5], dtype="float64").dtype == np.float64
    assert x.astype("int32").dtype == np.int32


def test_backward_with_a_non_numeric_grad_names_backward_and_the_shape() -> None:
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ag.DTypeError, match=r"backward: grad must be numbers.*\(2, 3\)"):
        (x * 2.0).backward("abc")
    with pytest.raises(ag.DTypeError, match=r"backward: grad must be numbers"):
        (x * 2.0).backward([[1.0, 2.0], [3.0]])
    assert x.grad is None


def test_custom_function_on_float32_may_return_a_float64_gradient() -> None:
    class Step(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.maximum(x, 0.0)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_arrays
            return grad * np.where(x > 0, 1.0, 0.0)  # float64 mask: PyTorch casts it back

    t = ag.Tensor([-1.0, 2.0, 3.0], requires_grad=True)  # a list: float32
    (Step.apply(t) * 3.0).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, [0.0, 3.0, 3.0])
