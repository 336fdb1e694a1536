"""Fused linear and logits losses: values match the composed ops, gradients match central
differences in float64, and the errors name the op and the shapes."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def numeric_grad(f, arrays, i, eps=1e-6):
    """Central differences of the scalar f(*arrays) with respect to arrays[i]."""
    x = arrays[i]
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + eps
        plus = f(*arrays)
        x[idx] = keep - eps
        minus = f(*arrays)
        x[idx] = keep
        out[idx] = (plus - minus) / (2 * eps)
    return out


def check_grads(fn, arrays, weights):
    """Analytic gradients of sum(fn(...) * weights) against central differences."""
    ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    (fn(*ts) * weights).sum().backward()

    def value(*arrs):
        return float((fn(*[Tensor(a) for a in arrs]).data * weights).sum())

    for i, t in enumerate(ts):
        num = numeric_grad(value, [a.copy() for a in arrays], i)
        np.testing.assert_allclose(t.grad, num, rtol=1e-3, atol=1e-5)


rng = np.random.default_rng(0)


def test_linear_matches_composition_and_central_differences():
    x, k, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    np.testing.assert_allclose(ag.linear(Tensor(x), Tensor(k), Tensor(b)).data, x @ k + b)
    check_grads(ag.linear, [x, k, b], rng.standard_normal((4, 5)))
    check_grads(lambda x, k: ag.linear(x, k), [x, k], rng.standard_normal((4, 5)))


def test_linear_relu_matches_composition_and_central_differences():
    x, k, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    out = ag.linear(Tensor(x), Tensor(k), Tensor(b), activation="relu")
    np.testing.assert_allclose(out.data, np.maximum(x @ k + b, 0))
    w = rng.standard_normal((4, 5))
    check_grads(lambda x, k, b: ag.linear(x, k, b, activation="relu"), [x, k, b], w)
    check_grads(lambda x, k: ag.linear(x, k, activation="relu"), [x, k], w)


def test_linear_second_derivatives_match_central_differences():
    x, k = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    v = rng.standard_normal((3, 4))
    xt, kt = Tensor(x.copy(), requires_grad=True), Tensor(k.copy(), requires_grad=True)
    # f = sum(tanh(x K) * v); differentiate the gradient's squared norm again
    gx, gk = ag.gradients((ag.linear(xt, kt).tanh() * v).sum(), [xt, kt], create_graph=True)
    ((gx * gx).sum() + (gk * gk).sum()).backward()

    def norm2(x, k):
        d = (1 - np.tanh(x @ k) ** 2) * v
        return float(((d @ k.T) ** 2).sum() + ((x.T @ d) ** 2).sum())

    np.testing.assert_allclose(xt.grad, numeric_grad(norm2, [x.copy(), k.copy()], 0), atol=1e-5)
    np.testing.assert_allclose(kt.grad, numeric_grad(norm2, [x.copy(), k.copy()], 1), atol=1e-5)


def test_linear_float32_stays_float32_and_bias_grad_is_its_own_array():
    x = Tensor(rng.standard_normal((6, 3)).astype(np.float32))
    k = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    out = ag.linear(x, k, b)
    out.sum().backward()
    assert out.dtype == np.float32 and k.grad.dtype == np.float32
    assert b.grad.base is None and b.grad.flags.writeable
    np.testing.assert_allclose(b.grad, [6.0, 6.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_log_softmax_and_central_differences(reduction):
    z = rng.standard_normal((5, 4)) * 3
    y = rng.integers(0, 4, 5)
    picked = -np.log(np.exp(z) / np.exp(z).sum(1, keepdims=True))[np.arange(5), y]
    expected = {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]
    np.testing.assert_allclose(ag.cross_entropy(Tensor(z), y, reduction).data, expected)
    w = rng.standard_normal(5) if reduction == "none" else 1.0
    check_grads(lambda z: ag.cross_entropy(z, y, reduction), [z], w)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_formula_and_central_differences(reduction):
    z = rng.standard_normal((6, 1)) * 4
    y = rng.integers(0, 2, (6, 1)).astype(np.float64)
    p = 1 / (1 + np.exp(-z))
    per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(
        ag.binary_cross_entropy_with_logits(Tensor(z), Tensor(y), reduction).data, expected
    )
    w = rng.standard_normal((6, 1)) if reduction == "none" else 1.0
    check_grads(lambda z, y: ag.binary_cross_entropy_with_logits(z, y, reduction), [z, y], w)


def test_bce_with_logits_is_stable_for_large_logits():
    z = Tensor(np.array([[800.0], [-800.0]]), requires_grad=True)
    loss = ag.binary_cross_entropy_with_logits(z, np.array([[0.0], [1.0]]))
    loss.backward()
    np.testing.assert_allclose(loss.data, 800.0)
    np.testing.assert_allclose(z.grad, [[0.5], [-0.5]])


def test_cross_entropy_second_derivative_matches_central_differences():
    z = rng.standard_normal((3, 4))
    y = np.array([0, 3, 1])
    t = Tensor(z.copy(), requires_grad=True)
    (gz,) = ag.gradients(ag.cross_entropy(t, y), [t], create_graph=True)
    v = rng.standard_normal((3, 4))
    (gz * v).sum().backward()

    def directional(zz):
        s = np.exp(zz - zz.max(1, keepdims=True))
        s /= s.sum(1, keepdims=True)
        return float(((s - np.eye(4)[y]) / 3 * v).sum())

    np.testing.assert_allclose(t.grad, numeric_grad(directional, [z.copy()], 0), atol=1e-6)


def test_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"linear: .*\(4, 3\).*\(2, 5\)"):
        ag.linear(np.ones((4, 3)), np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"linear: .*bias of shape \(5,\)"):
        ag.linear(np.ones((4, 3)), np.ones((3, 5)), np.ones(4))
    with pytest.raises(ValueError, match="linear: activation must be None, 'relu', 'sigmoid'"):
        ag.linear(np.ones((4, 3)), np.ones((3, 5)), activation="softmax")
    with pytest.raises(TypeError, match="cross_entropy: labels must be integers"):
        ag.cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        ag.cross_entropy(np.ones((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="reduction must be one of"):
        ag.cross_entropy(np.ones((2, 3)), [0, 1], reduction="avg")
    with pytest.raises(ValueError, match=r"targets must have the shape of the logits"):
        ag.binary_cross_entropy_with_logits(np.ones((2, 1)), np.ones(2))
