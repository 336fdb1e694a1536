"""The regression, hinge and distribution losses (mae, huber, hinge, kl_divergence, log_cosh,
poisson): values against NumPy transcriptions of Keras's formulas, names and classes,
reductions and sample weights, gradients against central differences in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import losses

EPS = 1e-7


def _np_mae(y, p):
    return np.abs(p - y).mean(axis=-1)


def _np_huber(y, p, delta=1.0):
    x = p - y
    a = np.abs(x)
    return np.where(a <= delta, 0.5 * x**2, delta * a - 0.5 * delta**2).mean(axis=-1)


def _np_hinge(y, p):
    if np.all((y == 0) | (y == 1)):
        y = 2 * y - 1
    return np.maximum(1 - y * p, 0).mean(axis=-1)


def _np_kld(y, p):
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return (y * np.log(y / p)).sum(axis=-1)


def _np_log_cosh(y, p):
    return np.log(np.cosh(p - y)).mean(axis=-1)


def _np_poisson(y, p):
    return (p - y * np.log(p + EPS)).mean(axis=-1)


r = np.random.default_rng(0)
Y_REAL, P_REAL = r.standard_normal((6, 4)) * 2, r.standard_normal((6, 4)) * 2
Y_SIGN = np.where(r.random((6, 4)) > 0.5, 1.0, -1.0)
Y_DIST = r.dirichlet(np.ones(4), 6)
P_DIST = r.dirichlet(np.ones(4), 6)
Y_COUNT = r.poisson(2.0, (6, 4)).astype(float)
P_RATE = r.uniform(0.2, 3.0, (6, 4))

# name, function, class, numpy reference, y_true, y_pred
CASES = [
    ("mae", losses.mae, losses.MeanAbsoluteError, _np_mae, Y_REAL, P_REAL),
    ("huber", losses.huber, losses.Huber, _np_huber, Y_REAL, P_REAL),
    ("hinge", losses.hinge, losses.Hinge, _np_hinge, Y_SIGN, P_REAL),
    ("kl_divergence", losses.kl_divergence, losses.KLDivergence, _np_kld, Y_DIST, P_DIST),
    ("log_cosh", losses.log_cosh, losses.LogCosh, _np_log_cosh, Y_REAL, P_REAL),
    ("poisson", losses.poisson, losses.Poisson, _np_poisson, Y_COUNT, P_RATE),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, fn, cls, ref, y, p", CASES, ids=IDS)
def test_values_match_the_keras_formula(name, fn, cls, ref, y, p):
    per = ref(y, p)
    assert fn(y, p).item() == pytest.approx(per.mean(), rel=1e-6)
    assert fn(y, p, reduction="sum").item() == pytest.approx(per.sum(), rel=1e-6)
    np.testing.assert_allclose(fn(y, p, reduction="none").data, per, rtol=1e-6)
    assert cls()(y, p).item() == pytest.approx(per.mean(), rel=1e-6)
    assert type(losses.get(name)) is cls and type(losses.get(fn)) is cls


@pytest.mark.parametrize("name, fn, cls, ref, y, p", CASES, ids=IDS)
def test_sample_weights_follow_keras(name, fn, cls, ref, y, p):
    w = np.linspace(0.0, 2.0, len(y))
    # Keras's sum_over_batch_size: sum(w * loss) / number of samples
    assert cls()(y, p, sample_weight=w).item() == pytest.approx(
        np.sum(w * ref(y, p)) / len(y), rel=1e-6
    )


@pytest.mark.parametrize("name, fn, cls, ref, y, p", CASES, ids=IDS)
def test_gradients_match_central_differences(name, fn, cls, ref, y, p, numgrad, float64):
    z = p.astype(np.float64).copy()
    x = Tensor(z.copy(), requires_grad=True)
    fn(y, x).backward()
    expected = numgrad(lambda: fn(y, Tensor(z)).data, z)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5, atol=1e-7)


def test_names_and_aliases():
    assert losses.mean_absolute_error is losses.mae
    assert type(losses.get("mean_absolute_error")) is losses.MeanAbsoluteError
    assert type(losses.get("kld")) is losses.KLDivergence
    assert type(losses.get("logcosh")) is losses.LogCosh
    assert losses.Huber().delta == 1.0 and "delta=2.5" in repr(losses.Huber(delta=2.5))


def test_huber_delta():
    y, p = np.zeros((1, 3)), np.array([[0.5, 2.0, -3.0]])
    # delta 2: 0.5 * 0.25, 0.5 * 4, 2 * 3 - 2
    assert losses.huber(y, p, delta=2.0).item() == pytest.approx((0.125 + 2.0 + 4.0) / 3)
    assert losses.Huber(delta=2.0)(y, p).item() == pytest.approx((0.125 + 2.0 + 4.0) / 3)
    with pytest.raises(ValueError, match="Received: delta=0"):
        losses.Huber(delta=0)


def test_hinge_maps_zero_one_labels_to_minus_one_one():
    p = np.array([[0.3, -0.8, 1.5]])
    assert losses.hinge(np.array([[1, 0, 1]]), p).item() == pytest.approx(
        losses.hinge(np.array([[1, -1, 1]]), p).item()
    )
    # Keras's documented example: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]]
    value = losses.hinge([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).item()
    assert value == pytest.approx(1.3, abs=1e-6)


def test_kl_divergence_clips_as_keras():
    # zeros in either distribution: clipped to 1e-7, never log(0)
    y, p = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    assert losses.kl_divergence(y, p).item() == pytest.approx(
        EPS * math.log(EPS / 1.0) + 1.0 * math.log(1.0 / EPS), rel=1e-5
    )


def test_log_cosh_is_stable_for_large_errors():
    y = np.zeros((1, 3))
    p = np.array([[1e4, -2e4, 800.0]])  # cosh overflows float64 above about 710
    x = Tensor(p.copy(), requires_grad=True)
    loss = losses.log_cosh(y, x)
    loss.backward()
    assert loss.item() == pytest.approx(np.mean(np.abs(p) - math.log(2.0)), rel=1e-9)
    np.testing.assert_allclose(x.grad, np.tanh(p) / 3)


def test_poisson_documented_value():
    # Keras's docstring: y_true [[0, 1], [0, 0]], y_pred [[1, 1], [0, 0]] -> 0.5
    value = losses.poisson([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).item()
    assert value == pytest.approx(0.5, abs=1e-6)


def test_a_regression_model_trains_with_each_loss_by_name():
    x = np.linspace(-1, 1, 32).reshape(-1, 1)
    y = 2 * x + 1
    for name in ("mae", "huber", "log_cosh"):
        nn.set_seed(0)
        model = nn.Sequential([nn.Dense(1, input_dim=1)])
        model.compile(loss=name, optimizer=nn.optim.Adam(learning_rate=0.1))
        hist = model.fit(x, y, epochs=30, batch_size=8, verbose=0, seed=0)
        assert hist.history["loss"][-1] < 0.3 * hist.history["loss"][0], name
