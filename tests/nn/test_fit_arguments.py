"""fit / evaluate / predict / *_on_batch: sample and class weights (Keras's normalisation),
validation_data with weights, shuffle and initial_epoch, and the bad-argument errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from autograd_core.errors import ShapeError
from nn import Dense, Sequential


def _data(n=12, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 2)).astype(np.float32)
    y = r.integers(0, 3, n)
    return x, y


def _model(optimizer="sgd", metrics=None):
    nn.set_seed(0)
    model = Sequential([Dense(3, input_dim=2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=metrics)
    return model


def _per_sample_ce(model, x, y):
    p = model.predict(x).astype(np.float64)
    return -np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))


# --- weights ------------------------------------------------------------------------------


def test_weighted_loss_divides_by_the_number_of_samples_as_keras():
    x, y = _data()
    w = np.linspace(0.0, 2.0, len(y))
    model = _model()
    ref = np.sum(w * _per_sample_ce(model, x, y)) / len(y)  # not / w.sum()
    assert model.test_on_batch(x, y, w) == pytest.approx(ref, rel=1e-5)
    assert model.evaluate(x, y, batch_size=5, sample_weight=w) == pytest.approx(
        # evaluate's loss: the batches' weighted losses averaged by batch size
        (
            np.sum(w[:5] * _per_sample_ce(model, x[:5], y[:5]))
            + np.sum(w[5:10] * _per_sample_ce(model, x[5:10], y[5:10]))
            + np.sum(w[10:] * _per_sample_ce(model, x[10:], y[10:]))
        )
        / len(y),
        rel=1e-5,
    )
    # weights of one are the unweighted loss
    assert model.test_on_batch(x, y, np.ones(len(y))) == pytest.approx(model.test_on_batch(x, y))


def test_weighted_train_step_equals_the_hand_written_weighted_gradient_step():
    x, y = _data()
    w = np.linspace(0.5, 1.5, len(y)).astype(np.float32)
    model = _model(optimizer=nn.optim.SGD(learning_rate=0.1))
    manual = copy.deepcopy(model)
    model.train_on_batch(x, y, sample_weight=w)
    per = nn.losses.sparse_categorical_crossentropy(y, manual(Tensor(x)), reduction="none")
    loss = (per * Tensor(w)).sum() / len(y)
    loss.backward()
    for p in manual.parameters():
        p.data -= 0.1 * p.grad
    for a, b in zip(model.parameters(), manual.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-5, atol=1e-6)


def test_class_weight_is_a_sample_weight_looked_up_by_label():
    x, y = _data()
    cw = {0: 2.0, 1: 0.5}  # class 2 missing: weight 1.0, as Keras
    a, b = _model(), _model()
    a.train_on_batch(x, y, class_weight=cw)
    b.train_on_batch(x, y, sample_weight=np.array([cw.get(int(c), 1.0) for c in y]))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-6)
    # one-hot targets are looked up by their argmax
    onehot = Sequential([Dense(3, input_dim=2, activation="softmax")])
    onehot.compile(loss="categorical_crossentropy", optimizer="sgd")
    ref = np.sum(np.array([cw.get(int(c), 1.0) for c in y]) * _per_sample_ce(onehot, x, y)) / 12
    assert onehot.test_on_batch(x, np.eye(3)[y], class_weight=cw) == pytest.approx(ref, rel=1e-5)
    h1 = _model().fit(x, y, epochs=2, batch_size=4, class_weight=cw, shuffle=False, verbose=0)
    sw = np.array([cw.get(int(c), 1.0) for c in y])
    h2 = _model().fit(x, y, epochs=2, batch_size=4, sample_weight=sw, shuffle=False, verbose=0)
    assert h1.history["loss"] == pytest.approx(h2.history["loss"])
    with pytest.raises(ValueError, match="cannot both be given"):
        _model().fit(x, y, class_weight=cw, sample_weight=sw, verbose=0)
    with pytest.raises(TypeError, match="Received: class_weight=\\[1, 2\\]"):
        _model().fit(x, y, class_weight=[1, 2], verbose=0)


def test_validation_data_with_sample_weights():
    x, y = _data()
    xv, yv = _data(seed=1)
    wv = np.linspace(0.0, 1.0, len(yv))
    model = _model()
    hist = model.fit(x, y, epochs=1, validation_data=(xv, yv, wv), verbose=0)
    assert hist.history["val_loss"][0] == pytest.approx(
        model.evaluate(xv, yv, sample_weight=wv), rel=1e-6
    )
    with pytest.raises(ValueError, match="validation_data as \\(x_val, y_val\\)"):
        model.fit(x, y, validation_data=(xv,), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[2\] needs one weight per sample"):
        model.fit(x, y, validation_data=(xv, yv, wv[:3]), verbose=0)


def test_sample_weight_follows_validation_split_and_shuffle():
    x, y = _data(n=20)
    w = np.zeros(len(y))  # zero weights: the training loss is 0 and nothing moves
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    hist = model.fit(x, y, epochs=2, batch_size=4, sample_weight=w, validation_split=0.25,
                     verbose=0, seed=0)  # fmt: skip
    assert hist.history["loss"] == [0.0, 0.0] and hist.history["val_loss"][0] == 0.0
    assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters(), strict=True))


def test_shuffle_false_and_initial_epoch():
    x, y = _data()
    a = _model().fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0, seed=0)
    b = _model().fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0, seed=1)
    assert a.history["loss"] == b.history["loss"]  # no shuffling: the seed does not matter
    seen = []
    cb = nn.callbacks.Callback()
    cb.on_epoch_begin = lambda epoch, logs=None: seen.append(epoch)
    h = _model().fit(x, y, epochs=5, initial_epoch=np.int64(2), verbose=0, callbacks=[cb])
    assert seen == [2, 3, 4] and h.epoch == [2, 3, 4] and len(h.history["loss"]) == 3


# --- bad arguments: one per case ------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2.5, "32", True])
def test_fit_rejects_a_bad_batch_size(bad):
    x, y = _data()
    with pytest.raises(
        ValueError, match=f"positive integer batch_size. Received: batch_size={bad!r}"
    ):
        _model().fit(x, y, batch_size=bad, verbose=0)


@pytest.mark.parametrize("method", ["evaluate", "predict"])
@pytest.mark.parametrize("bad", [0, -1])
def test_evaluate_and_predict_reject_a_bad_batch_size(method, bad):
    x, y = _data()
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(ValueError, match=f"{method} expects a positive integer batch_size. "
                       f"Received: batch_size={bad}"):  # fmt: skip
        getattr(_model(), method)(*args, batch_size=bad)


def test_numpy_integers_are_integers():
    x, y = _data()
    model = _model()
    hist = model.fit(x, y, epochs=np.int64(2), batch_size=np.int32(5), verbose=0)
    assert len(hist.history["loss"]) == 2
    assert model.predict(x, batch_size=np.int64(5)).shape == (12, 3)
    assert isinstance(model.evaluate(x, y, batch_size=np.uint8(5)), float)
    assert model.predict(x, batch_size=None).shape == (12, 3)  # None is Keras's 32


def test_bad_epochs_and_initial_epoch():
    x, y = _data()
    with pytest.raises(ValueError, match="Received: epochs=-1"):
        _model().fit(x, y, epochs=-1, verbose=0)
    with pytest.raises(ValueError, match="Received: epochs=1.5"):
        _model().fit(x, y, epochs=1.5, verbose=0)
    with pytest.raises(ValueError, match="Received: initial_epoch=-2"):
        _model().fit(x, y, initial_epoch=-2, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_empty_data_is_refused(method):
    model = _model()
    with pytest.raises(ValueError, match=r"at least one sample, but x is empty. "
                       r"Received: x of shape \(0, 2\)"):  # fmt: skip
        kwargs = {"verbose": 0} if method == "fit" else {}
        getattr(model, method)(np.zeros((0, 2)), np.zeros(0, dtype=int), **kwargs)


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_x_and_y_of_different_lengths(method):
    x, y = _data()
    with pytest.raises(ShapeError, match="x has 12 samples but y has 11"):
        getattr(_model(), method)(x, y[:-1])


def test_nan_in_x_is_refused_before_training_with_its_index():
    x, y = _data()
    x[7, 1] = np.nan
    model = _model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"fit: x holds NaN or infinite values \(1 of them\); "
                       r"the first is nan at index \(7, 1\)"):  # fmt: skip
        model.fit(x, y, verbose=0)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_inf_in_regression_targets_is_refused():
    x = np.ones((5, 2))
    y = np.array([[0.0], [1.0], [np.inf], [2.0], [-np.inf]])
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(ValueError, match=r"y holds NaN or infinite values \(2 of them\); the "
                       r"first is inf at index \(2, 0\)"):  # fmt: skip
        model.fit(x, y, verbose=0)


def test_non_finite_validation_data_weights_and_predict_inputs():
    x, y = _data()
    bad = x.copy()
    bad[3, 0] = np.inf
    model = _model()
    with pytest.raises(ValueError, match=r"validation_data\[0\] holds NaN.*index \(3, 0\)"):
        model.fit(x, y, validation_data=(bad, y), verbose=0)
    w = np.ones(12)
    w[5] = np.nan
    with pytest.raises(ValueError, match=r"sample_weight holds NaN.*at index 5"):
        model.fit(x, y, sample_weight=w, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x holds NaN.*index \(3, 0\)"):
        model.evaluate(bad, y)
    with pytest.raises(ValueError, match=r"predict: x holds NaN.*index \(3, 0\)"):
        model.predict(bad)


def test_finite_values_too_large_to_sum_are_accepted():
    # the quick check sums the data; a sum that overflows must not be taken for an inf
    x = np.full((4, 2), 3e38, dtype=np.float32)
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(loss="mse", optimizer="sgd")
    with np.errstate(over="ignore", invalid="ignore"):
        assert model.predict(x).shape == (4, 1)


def test_sample_weight_of_the_wrong_length():
    x, y = _data()
    with pytest.raises(ShapeError, match=r"sample_weight needs one weight per sample \(12\). "
                       r"Received: sample_weight of shape \(5,\)"):  # fmt: skip
        _model().fit(x, y, sample_weight=np.ones(5), verbose=0)
