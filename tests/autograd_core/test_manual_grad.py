"""check_manual_grad: a hand-derived gradient against backward and central differences, with
the three values, the element and a hint a student can act on."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import GradcheckError, ManualGradError, Tensor, check_manual_grad

RNG = np.random.default_rng(0)
Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
Z0 = RNG.standard_normal(6)
X0, W0, B0 = RNG.standard_normal((5, 3)), RNG.standard_normal((3, 2)), RNG.standard_normal(2)
T = RNG.standard_normal((5, 2))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce(z):
    p = z.sigmoid()
    return -(Y * p.log() + (1 - Y) * (1 - p).log()).mean()


def dense(x, W, b):
    return 0.5 * (((x @ W + b).tanh() - T) ** 2).sum()


def _delta(x, W, b):
    a = np.tanh(x @ W + b)
    return (a - T) * (1 - a**2)


def test_a_right_gradient_passes_and_says_so():
    report = check_manual_grad(bce, lambda z: (_sigmoid(z) - Y) / len(Y), [Z0])
    assert report and report.ok and not report.failures
    assert report.message.startswith("✓ check_manual_grad(bce): your gradient agrees")
    assert "z: agrees (6 elements" in report.message
    assert report.value == pytest.approx(float(bce(Tensor(Z0)).data))
    assert "<pre" in report._repr_html_() and "#2ca02c" in report._repr_html_()


def test_a_missing_one_over_m_is_named_with_the_three_values():
    report = check_manual_grad(bce, lambda z: _sigmoid(z) - Y, [Z0])
    assert not report
    text = str(report)
    assert text.splitlines()[0] == "✗ check_manual_grad(bce): your gradient is wrong for z"
    (check,) = report.failures
    true = (_sigmoid(Z0) - Y) / 6
    k = check.element
    assert k == (int(np.argmax(np.abs(5 * true))),)  # the largest difference
    values = {
        name: float(v)
        for name, v in re.findall(r"^ +(yours|backward|finite differences) +(\S+)$", text, re.M)
    }
    np.testing.assert_allclose(values["yours"], 6 * true[k], rtol=1e-5)
    np.testing.assert_allclose(values["backward"], true[k], rtol=1e-5)
    np.testing.assert_allclose(values["finite differences"], true[k], rtol=1e-5)
    assert "500% of the true value" in text
    assert "6 × the true gradient at every element" in check.hint
    assert "Is a 1/6 missing? (6 is the length of axis 0 of z" in check.hint
    assert "#d62728" in report._repr_html_()


@pytest.mark.parametrize(
    "manual, hint",
    [
        (lambda z: (Y - _sigmoid(z)) / 6, "the sign is flipped"),
        (lambda z: (_sigmoid(z) - Y) / 12, "factor 2 missing"),
        (lambda z: 2 * (_sigmoid(z) - Y) / 6, "factor 2 too many"),
        (lambda z: np.zeros(6), "yours is zero everywhere"),
    ],
)
def test_recognisable_patterns_get_a_hint(manual, hint):
    report = check_manual_grad(bce, manual, [Z0])
    assert not report and hint in report.failures[0].hint


def test_the_same_offset_on_some_elements_is_named():
    z, y = RNG.standard_normal(4), np.array([0.0, 0.0, 1.0, 0.0])

    def ce(z):
        return -(y * z.log_softmax()).sum()

    def softmax(z):
        return np.exp(z) / np.exp(z).sum()

    (check,) = check_manual_grad(ce, lambda z: softmax(z) - 1, [z]).failures
    assert check.n_bad == 3 and "each off by the same -1: a constant term" in check.hint
    assert check_manual_grad(ce, lambda z: softmax(z) - y, [z])


def test_only_some_elements_wrong_where_the_function_is_flat():
    z = np.array([-1.5, 0.5, -0.3, 2.0])
    report = check_manual_grad(lambda z: (z.relu() ** 2).sum(), lambda z: 2 * z, [z])
    (check,) = report.failures
    assert check.n_bad == 2 and check.element in ((0,), (2,))
    assert "only 2 of 4 elements are wrong, where the true gradient is 0" in check.hint


def test_a_dense_layer_all_three_gradients_and_the_shape_mistakes():
    def right(x, W, b):
        d = _delta(x, W, b)
        return d @ W.T, x.T @ d, d.sum(axis=0)

    report = check_manual_grad(dense, right, [X0, W0, B0])
    assert report and [c.name for c in report.checks] == ["x", "W", "b"]

    def no_batch_sum(x, W, b):
        d = _delta(x, W, b)
        return d @ W.T, x.T @ d, d

    report = check_manual_grad(dense, no_batch_sum, [X0, W0, B0])
    assert [c.name for c in report.failures] == ["b"]
    assert "yours has shape (5, 2), but the input has shape (2,)" in str(report)
    assert "summed over axis 0 it is right" in report.failures[0].hint

    def transposed(x, W, b):
        d = _delta(x, W, b)
        return d @ W.T, d.T @ x, d.sum(axis=0)

    report = check_manual_grad(dense, transposed, [X0, W0, B0])
    assert [c.name for c in report.failures] == ["W"]
    assert "transposed: take .T" in report.failures[0].hint

    def column(x, W, b):
        d = _delta(x, W, b)
        return d @ W.T, x.T @ d, d.sum(axis=0).reshape(2, 1)

    report = check_manual_grad(dense, column, [X0, W0, B0])
    assert "only the shape is wrong (.reshape(2,))" in report.failures[0].hint


def test_square_values_transposed_in_place():
    A = RNG.standard_normal((3, 3))
    C = RNG.standard_normal((3, 3))
    report = check_manual_grad(lambda A: (A * C).sum(), lambda A: C.T, [A])
    assert "transposed (rows and columns swapped)" in report.failures[0].hint


def test_raise_exception_raises_the_library_assertion_error():
    with pytest.raises(ManualGradError) as info:
        check_manual_grad(bce, lambda z: _sigmoid(z) - Y, [Z0], raise_exception=True)
    assert isinstance(info.value, GradcheckError) and isinstance(info.value, AssertionError)
    assert info.value.report.failures[0].name == "z"
    check_manual_grad(bce, lambda z: (_sigmoid(z) - Y) / 6, [Z0], raise_exception=True)


def test_a_function_that_leaves_the_graph_is_told_apart_from_a_wrong_derivation():
    def leaky(z):  # .data leaves the recorded graph: backward misses the second term
        return (z * z).sum() + float((z.data**3).sum())

    report = check_manual_grad(leaky, lambda z: 2 * z + 3 * z**2, [Z0])
    assert not report
    assert "yours agrees with finite differences, but backward does not" in str(report)


def test_names_inputs_and_what_manual_grad_may_return():
    z = Tensor(Z0.copy(), name="logits")
    assert check_manual_grad(bce, lambda z: (_sigmoid(z) - Y) / 6, z).checks[0].name == "logits"
    report = check_manual_grad(bce, lambda z: (_sigmoid(z) - Y) / 6, [Z0], names=["z¹"])
    assert report.checks[0].name == "z¹"
    labels = np.array([0, 2, 1])
    logits = RNG.standard_normal((3, 4))

    def ce(z, labels):  # integer labels: passed through, not differentiated
        return ag.cross_entropy(z, labels)

    def by_hand(z, labels):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return (p - np.eye(4)[labels]) / 3

    assert check_manual_grad(ce, by_hand, [logits, labels])  # one gradient for one float input
    assert check_manual_grad(ce, lambda z, lab: (by_hand(z, lab), None), [logits, labels])
    skip = check_manual_grad(
        dense, lambda x, W, b: (None, x.T @ _delta(x, W, b), None), [X0, W0, B0]
    )
    assert skip and "x: no gradient given, not checked" in str(skip)
    with pytest.raises(ValueError, match="returned 2 gradients"):
        check_manual_grad(dense, lambda x, W, b: (x, W), [X0, W0, B0])
    with pytest.raises(TypeError, match="one gradient per input"):
        check_manual_grad(dense, lambda x, W, b: x, [X0, W0, B0])
    with pytest.raises(ValueError, match="must return a scalar"):
        check_manual_grad(lambda z: z * 2, lambda z: z, [Z0])


def test_gradcheck_reads_the_same_patterns():
    class HalfSquare(ag.Function):  # the backward misses the 2 of d(x²)/dx
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_arrays
            return grad * x

    report = ag.gradcheck(lambda x: HalfSquare.apply(x).sum(), [Tensor(Z0)], raise_exception=False)
    assert "a constant factor is wrong; a factor 2 missing" in report.message
    mine = check_manual_grad(lambda z: (z * z).sum(), lambda z: z, [Z0])
    assert "factor 2 missing" in mine.failures[0].hint
