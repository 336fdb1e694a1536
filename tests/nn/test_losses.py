"""Losses: values against NumPy formulas and Keras's documented numbers, gradients against
central differences in float64, the fused ops against the plain ones, and label checks."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from nn import losses

EPS = 1e-7
rng = np.random.default_rng(0)


def _np_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)


def _np_log_softmax(z):
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- values -----------------------------------------------------------------------------------


def test_keras_documented_values():
    # The examples in Keras's documentation of each loss, with their published results.
    bce = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    assert bce.item() == pytest.approx(0.815, abs=1e-3)
    cce = losses.categorical_crossentropy(
        [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    )
    assert cce.item() == pytest.approx(1.177, abs=1e-3)
    scce = losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert scce.item() == pytest.approx(1.177, abs=1e-3)
    mse = losses.mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    assert mse.item() == pytest.approx(0.5)


def test_mse_and_reductions_match_numpy():
    y, p = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    per = ((y - p) ** 2).mean(axis=-1)
    np.testing.assert_allclose(losses.mse(y, p, reduction="none").data, per, rtol=1e-6)
    assert losses.mse(y, p, reduction="sum").item() == pytest.approx(per.sum(), rel=1e-6)
    assert losses.mse(y, p).item() == pytest.approx(per.mean(), rel=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        losses.mse(y, p, reduction="avg")


def test_binary_crossentropy_probabilities_and_logits_match_numpy():
    y = (rng.random((8, 1)) > 0.5).astype(np.float64)
    z = rng.standard_normal((8, 1)) * 3
    p = _np_sigmoid(z)
    got = losses.binary_crossentropy(y, Tensor(p), reduction="none").data
    np.testing.assert_allclose(got, _np_bce(y, p), rtol=1e-10)
    stable = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    got = losses.binary_crossentropy(y, Tensor(z), from_logits=True, reduction="none").data
    np.testing.assert_allclose(got, stable.mean(axis=-1), rtol=1e-10)
    # probabilities at 0 or 1 are clipped: a finite loss of -log(1e-7), as Keras
    edge = losses.binary_crossentropy([[1.0]], Tensor(np.array([[0.0]]))).item()
    assert edge == pytest.approx(-np.log(EPS), rel=1e-6)


def test_categorical_crossentropies_match_numpy():
    z = rng.standard_normal((7, 4)) * 2
    labels = rng.integers(0, 4, 7)
    onehot = np.eye(4)[labels]
    ref = -(onehot * _np_log_softmax(z)).sum(-1)
    p = np.exp(_np_log_softmax(z))
    for got in (
        losses.categorical_crossentropy(onehot, Tensor(z), from_logits=True, reduction="none"),
        losses.categorical_crossentropy(onehot, Tensor(p), reduction="none"),
        losses.sparse_categorical_crossentropy(labels, Tensor(z), True, reduction="none"),
        losses.sparse_categorical_crossentropy(labels, Tensor(p), reduction="none"),
        losses.softmax_cross_entropy(onehot, Tensor(z), reduction="none"),
        losses.sparse_softmax_cross_entropy(labels, Tensor(z), reduction="none"),
    ):
        np.testing.assert_allclose(got.data, ref, rtol=1e-9)


def test_logits_forms_are_stable_for_huge_logits():
    # filterwarnings=error: an overflow inside would fail the test
    z = Tensor(np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32), requires_grad=True)
    loss = losses.categorical_crossentropy([[0, 1, 0]], z, from_logits=True)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(2000.0)
    assert np.all(np.isfinite(z.grad))
    b = Tensor(np.array([[800.0], [-800.0]], dtype=np.float32), requires_grad=True)
    loss = losses.binary_crossentropy([[0.0], [1.0]], b, from_logits=True)
    loss.backward()
    assert loss.item() == pytest.approx(800.0) and np.all(np.isfinite(b.grad))


def test_float32_predictions_give_float32_losses_whatever_the_target_dtype():
    p = Tensor(np.full((4, 1), 0.3, dtype=np.float32), requires_grad=True)
    for fn in (losses.mse, losses.binary_crossentropy):
        loss = fn(np.array([0, 1, 1, 0], dtype=np.float64), p)
        assert loss.dtype == np.float32
        loss.backward()
        assert p.grad.dtype == np.float32
        p.grad = None


# --- gradients --------------------------------------------------------------------------------


CASES = [
    ("mse", lambda y, p: losses.mse(y, p), "real"),
    ("bce", lambda y, p: losses.binary_crossentropy(y, p), "prob"),
    ("bce_logits", lambda y, p: losses.binary_crossentropy(y, p, from_logits=True), "real"),
    ("cce", lambda y, p: losses.categorical_crossentropy(y, p), "simplex"),
    ("cce_logits", lambda y, p: losses.categorical_crossentropy(y, p, from_logits=True), "real"),
    ("scce", lambda y, p: losses.sparse_categorical_crossentropy(y.argmax(-1), p), "simplex"),
    (
        "scce_logits",
        lambda y, p: losses.sparse_categorical_crossentropy(y.argmax(-1), p, from_logits=True),
        "real",
    ),
    ("fused_softmax", lambda y, p: losses.softmax_cross_entropy(y, p), "real"),
    ("fused_sparse", lambda y, p: losses.sparse_softmax_cross_entropy(y.argmax(-1), p), "real"),
    ("fused_sigmoid", lambda y, p: losses.sigmoid_cross_entropy(y, p), "real"),
    (
        "sum_reduction",
        lambda y, p: losses.categorical_crossentropy(y, p, from_logits=True, reduction="sum"),
        "real",
    ),
]


@pytest.mark.parametrize("name, fn, domain", CASES, ids=[c[0] for c in CASES])
def test_loss_gradients_match_central_differences(name, fn, domain, numgrad):
    r = np.random.default_rng(5)
    z = r.standard_normal((5, 3))
    if domain == "prob":
        z = _np_sigmoid(z)
    elif domain == "simplex":
        z = np.exp(_np_log_softmax(z))
    y = np.eye(3)[r.integers(0, 3, 5)]
    if name.startswith(("bce", "fused_sigmoid")):
        y = (r.random((5, 3)) > 0.5).astype(np.float64)
    x = Tensor(z.copy(), requires_grad=True)
    fn(y, x).backward()
    expected = numgrad(lambda: fn(y, Tensor(z)).data, z)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5, atol=1e-7)


def test_textbook_gradients_softmax_and_sigmoid_minus_target():
    # dL/dz = (softmax(z) - y) / m and (sigmoid(z) - y) / m for the batch mean
    z = rng.standard_normal((4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    t = Tensor(z, requires_grad=True)
    losses.softmax_cross_entropy(y, t).backward()
    np.testing.assert_allclose(t.grad, (np.exp(_np_log_softmax(z)) - y) / 4, rtol=1e-12)
    zb, yb = rng.standard_normal((4, 1)), np.array([[1.0], [0.0], [1.0], [0.0]])
    tb = Tensor(zb, requires_grad=True)
    losses.sigmoid_cross_entropy(yb, tb).backward()
    np.testing.assert_allclose(tb.grad, (_np_sigmoid(zb) - yb) / 4, rtol=1e-12)


def test_fused_softmax_second_derivatives_match_the_plain_path():
    z0 = rng.standard_normal((3, 4))
    y = np.eye(4)[[1, 0, 3]]
    v = rng.standard_normal((3, 4))
    results = []
    for fn in (
        lambda t: -(y * ag.log_softmax(t, -1)).sum(axis=-1).mean(),  # composed
        lambda t: losses.softmax_cross_entropy(y, t),
        lambda t: losses.categorical_crossentropy(y, t, from_logits=True),
        lambda t: losses.sparse_softmax_cross_entropy(y.argmax(-1), t),
    ):
        t = Tensor(z0.copy(), requires_grad=True)
        (g,) = ag.gradients(fn(t), [t], create_graph=True)
        (hv,) = ag.gradients((g * v).sum(), [t])
        results.append((g.data, hv))
    for g, hv in results[1:]:
        np.testing.assert_allclose(g, results[0][0], rtol=1e-12)
        np.testing.assert_allclose(hv, results[0][1], rtol=1e-10, atol=1e-14)


def test_fused_softmax_can_run_backward_twice_with_retain_graph():
    t = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    loss = losses.sparse_softmax_cross_entropy([0, 2], t)
    loss.backward(retain_graph=True)
    first = t.grad.copy()
    loss.backward()
    np.testing.assert_allclose(t.grad, 2 * first)


def test_soft_targets_that_require_grad_get_gradients(numgrad):
    z = rng.standard_normal((2, 3))
    y0 = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    y = Tensor(y0.copy(), requires_grad=True)
    losses.softmax_cross_entropy(y, Tensor(z)).backward()
    expected = numgrad(lambda: losses.softmax_cross_entropy(y0, Tensor(z)).data, y0)
    np.testing.assert_allclose(y.grad, expected, rtol=1e-6)


# --- label checks -----------------------------------------------------------------------------


def test_sparse_labels_out_of_range_are_refused():
    p = Tensor(np.full((3, 4), 0.25, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\[0, 4\).*Received label 4.*1-based"):
        losses.sparse_categorical_crossentropy([1, 2, 4], p)
    with pytest.raises(ValueError, match="Received label -1"):
        losses.sparse_categorical_crossentropy([1, -1, 0], p, from_logits=True)
    with pytest.raises(ValueError, match="whole numbers"):
        losses.sparse_categorical_crossentropy([0.5, 1, 2], p)
    with pytest.raises(ValueError, match="One-hot targets need categorical"):
        losses.sparse_categorical_crossentropy(np.eye(4)[:3], p)


def test_categorical_shape_mismatches_are_refused():
    p = Tensor(np.full((3, 4), 0.25, dtype=np.float32))
    with pytest.raises(ValueError, match=r"4 outputs but the targets have 3 columns"):
        losses.categorical_crossentropy(np.eye(3), p)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.array([0, 1, 3]), p)


def test_binary_targets_outside_unit_interval_are_refused():
    p = Tensor(np.full((3, 1), 0.5, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\].*from -1"):
        losses.binary_crossentropy(np.array([-1.0, 1.0, 0.0]), p)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.binary_crossentropy(np.array([[2], [1], [0]]), p, from_logits=True)


@pytest.mark.parametrize("as_tensor", [False, True], ids=["array", "Tensor"])
@pytest.mark.parametrize(
    "call",
    [
        lambda y, p: losses.binary_crossentropy(y, p),
        lambda y, p: losses.binary_crossentropy(y, p, from_logits=True),
        lambda y, p: losses.BinaryCrossentropy().call_logits(y, p),
        lambda y, p: losses.categorical_crossentropy(y, p),
        lambda y, p: losses.categorical_crossentropy(y, p, from_logits=True),
        lambda y, p: losses.CategoricalCrossentropy().call_logits(y, p),
    ],
    ids=["bce", "bce-logits", "bce-fused", "cce", "cce-logits", "cce-fused"],
)
def test_every_target_check_raises_on_every_call(call, as_tensor):
    # the checks run on every call, also after a good call with the same arrays (nothing
    # is remembered about an array its owner may change in place)
    p = Tensor(np.full((3, 2), 0.5, dtype=np.float32), requires_grad=True)
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    wrap = Tensor if as_tensor else (lambda a: a)
    call(wrap(y), p).backward()
    y[1, 0] = 2.0  # in place, in the very array that passed
    with pytest.raises(ValueError, match=r"\[0, 1\].*to 2\.0"):
        call(wrap(y), p)
    y[1, 0] = -0.5
    with pytest.raises(ValueError, match=r"\[0, 1\].*from -0\.5"):
        call(wrap(y), p)
    y[1, 0] = 1.0
    with pytest.raises(ValueError, match=r"y_true has shape \(3, 3\).*\(3, 2\)"):
        call(wrap(np.zeros((3, 3), np.float32)), p)
    with pytest.raises(ValueError, match=r"y_true has shape \(2, 2\)"):
        call(wrap(y[:2]), p)
    call(wrap(y), p)  # and good targets pass again


def test_mse_shape_checks_raise_for_arrays_and_tensors():
    p = Tensor(np.zeros((4, 2), dtype=np.float32))
    for wrap in (np.asarray, Tensor):
        with pytest.raises(ValueError, match=r"mse: y_true has shape \(4, 3\)"):
            losses.mse(wrap(np.zeros((4, 3), np.float32)), p)
    q = Tensor(np.zeros((4, 1), dtype=np.float32))
    t = Tensor(np.zeros((4, 2), dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"mse: y_true has shape \(4, 2\)"):
        losses.mse(t, q)  # a target that requires grad is checked too


def test_no_silent_broadcast_between_column_and_row_shapes():
    p = Tensor(np.zeros((5, 1), dtype=np.float32))
    # (5,) against (5, 1) is aligned to (5, 1), as Keras does, not broadcast to (5, 5)
    assert losses.mse(np.ones(5), p).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"\(5, 2\)"):
        losses.mse(np.ones((5, 2)), p)


def test_loss_lookup_by_name_object_and_function():
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert losses.get(losses.binary_crossentropy).kind == "binary"
    obj = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert losses.get(obj) is obj
    custom = losses.get(lambda y, p: ((p - y) ** 2).sum())
    assert custom(np.ones(2), Tensor(np.zeros(2))).item() == 2.0
    with pytest.raises(ValueError, match="Unknown loss 'crossentropy'"):
        losses.get("crossentropy")


def test_fused_sparse_softmax_is_one_node_with_the_textbook_gradient():
    z = rng.standard_normal((3, 4))
    t = Tensor(z.copy(), requires_grad=True)
    loss = losses.sparse_softmax_cross_entropy([0, 3, 1], t)
    assert loss.grad_fn.name == "softmax_cross_entropy"  # the mean is inside the op
    assert loss.grad_fn.parents == (None, None)
    loss.backward()
    expected = (np.exp(_np_log_softmax(z)) - np.eye(4)[[0, 3, 1]]) / 3
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12)


def _composed_bce(y, p):
    q = p.clip(EPS, 1 - EPS)
    return -(y * q.log() + (1.0 - y) * (1.0 - q).log()).mean(axis=-1).mean()


def test_binary_crossentropy_op_matches_the_composed_formula_to_second_order():
    # probabilities inside and outside the clip range [1e-7, 1 - 1e-7]
    p0 = np.array([[0.2, 0.9], [1e-9, 0.5], [1.0, 0.7]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    v = rng.standard_normal(p0.shape)
    results = []
    for fn in (_composed_bce, losses.binary_crossentropy):
        t = Tensor(p0.copy(), requires_grad=True)
        loss = fn(y, t)
        (g,) = ag.gradients(loss, [t], create_graph=True)
        (hv,) = ag.gradients((g * v).sum(), [t])
        results.append((loss.item(), g.data, hv))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-10)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-8)
    assert results[1][1][1, 0] == 0.0 and results[1][1][2, 0] == 0.0  # clipped: no gradient
    plain = Tensor(p0.copy(), requires_grad=True)
    losses.binary_crossentropy(y, plain).backward()  # the numpy backward path
    np.testing.assert_allclose(plain.grad, results[0][1], rtol=1e-10)
