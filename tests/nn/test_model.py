"""Sequential: compile / fit / evaluate / predict, train_step, guards and reproducibility."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import Dense, ReLU, Sequential, Softmax


def _blobs(n=120, classes=3, seed=0):
    r = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])[:classes]
    y = r.integers(0, classes, n)
    return (centers[y] + 0.4 * r.standard_normal((n, 2))).astype(np.float32), y


def _classifier(out=3, act="softmax", seed=0):
    nn.set_seed(seed)
    return Sequential([Dense(8, input_dim=2, activation="relu"), Dense(out, activation=act)])


def test_fit_evaluate_predict_on_three_blobs():
    x, y = _blobs()
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=16, validation_split=0.25, verbose=0, seed=1)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 30 for v in hist.history.values()) and hist.epoch == list(range(30))
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    loss, acc = model.evaluate(x, y)
    probs = model.predict(x, batch_size=7)
    assert isinstance(probs, np.ndarray) and probs.shape == (120, 3)
    assert probs.dtype == np.float32
    assert acc == pytest.approx(np.mean(probs.argmax(1) == y))
    ref = -np.log(np.clip(probs[np.arange(120), y], 1e-7, 1)).mean()
    assert loss == pytest.approx(ref, rel=1e-4)
    assert acc > 0.9


def test_one_hot_targets_and_categorical_accuracy():
    x, y = _blobs()
    model = _classifier()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, np.eye(3)[y], epochs=20, verbose=0, seed=0)
    logs = model.evaluate(x, np.eye(3)[y], return_dict=True)
    assert logs["accuracy"] == pytest.approx(np.mean(model.predict(x).argmax(1) == y))


def test_binary_accuracy_uses_threshold_one_half():
    x, y = _blobs(classes=2)
    model = _classifier(out=1, act="sigmoid")
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, epochs=5, verbose=0, seed=0)
    _, acc = model.evaluate(x, y)
    assert acc == pytest.approx(np.mean((model.predict(x)[:, 0] > 0.5) == y))


def test_fused_output_loss_trains_exactly_like_the_plain_path():
    x, y = _blobs()
    results = []
    for fuse in (True, False):
        model = _classifier(seed=4)
        model.compile(
            loss="sparse_categorical_crossentropy",
            optimizer="sgd",
            metrics=["accuracy"],
            fuse_loss=fuse,
        )
        assert model._fused() is fuse
        h = model.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=2)
        results.append((h.history, model.state_dict()))
    (h1, w1), (h2, w2) = results
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    assert h1["accuracy"] == h2["accuracy"]
    for k in w1:
        np.testing.assert_allclose(w1[k], w2[k], rtol=1e-4, atol=1e-6)


def test_fused_sigmoid_and_softmax_layer_paths_match_plain_train_step():
    x, y = _blobs(classes=2)
    for layers, loss in (
        (
            lambda: [Dense(4, input_dim=2, activation="tanh"), Dense(1, activation="sigmoid")],
            "binary_crossentropy",
        ),
        (lambda: [Dense(4, input_dim=2), ReLU(), Dense(2), Softmax()], "categorical_crossentropy"),
    ):
        target = y if loss == "binary_crossentropy" else np.eye(2)[y]
        steps = []
        for fuse in (True, False):
            nn.set_seed(7)
            model = Sequential(layers())
            model.compile(loss=loss, optimizer="sgd", fuse_loss=fuse)
            assert model._fused() is fuse
            logs = model.train_step(x, target.astype(np.float32))
            steps.append((logs["loss"], [p.grad.copy() for p in model.parameters()]))
        assert steps[0][0] == pytest.approx(steps[1][0], rel=1e-6)
        for ga, gb in zip(steps[0][1], steps[1][1], strict=True):
            np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-7)


def test_train_step_is_the_one_place_that_steps():
    x, y = _blobs(n=50)
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    calls = []
    original = model.train_step
    model.train_step = lambda xb, yb: calls.append(len(xb)) or original(xb, yb)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert calls == [16, 16, 16, 2] * 2
    assert model.optimizer.iterations == 8


def test_same_seed_same_training_and_different_seed_differs():
    x, y = _blobs()
    weights = []
    for seed in (5, 5, 6):
        model = _classifier(seed=0)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        model.fit(x, y, epochs=2, batch_size=10, validation_split=0.2, verbose=0, seed=seed)
        weights.append(model.state_dict()["0.kernel"])
    assert np.array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2])


def test_validation_split_holds_out_a_shuffled_slice():
    # Sorted labels: Keras's "last rows" split would hold out class 1 only.
    x = np.linspace(-1, 1, 100).reshape(-1, 1).astype(np.float32)
    y = (np.arange(100) >= 50).astype(np.int64)
    seen = []

    def spy_loss(y_true, y_pred):  # records the labels of each batch it is given
        seen.append(np.asarray(y_true).ravel().copy())
        return nn.losses.mse(y_true, y_pred)

    nn.set_seed(0)
    model = Sequential([Dense(1, input_dim=1, activation="sigmoid")])
    model.compile(loss=spy_loss, optimizer="sgd")
    model.fit(x, y, epochs=1, batch_size=100, validation_split=0.2, verbose=0, seed=0)
    train, held = seen  # one training batch, then the validation pass
    assert len(train) == 80 and len(held) == 20
    assert 0 < held.mean() < 1  # both classes held out
    order = np.random.default_rng(0).permutation(100)
    np.testing.assert_array_equal(held, y[np.sort(order[-20:])])
    seen.clear()
    model.fit(x, y, epochs=1, batch_size=100, validation_split=0.2, verbose=0, seed=0)
    np.testing.assert_array_equal(seen[1], held)  # the same seed, the same split


def test_compile_refuses_probabilities_into_a_logits_loss():
    model = _classifier(act="softmax")
    loss = nn.losses.SparseCategoricalCrossentropy(from_logits=True)
    with pytest.raises(ValueError, match="from_logits=True.*applies a softmax"):
        model.compile(loss=loss, optimizer="adam")
    model = _classifier(out=1, act="sigmoid")
    with pytest.raises(ValueError, match="applies a sigmoid"):
        model.compile(loss=nn.losses.BinaryCrossentropy(from_logits=True), optimizer="adam")


def test_compile_refuses_raw_logits_into_a_probability_loss():
    model = _classifier(act=None)
    with pytest.raises(ValueError, match="raw logits.*activation='softmax'.*from_logits=True"):
        model.compile(loss="categorical_crossentropy", optimizer="adam")
    model = _classifier(out=1, act="relu")
    with pytest.raises(ValueError, match="relu outputs.*'sigmoid'"):
        model.compile(loss="binary_crossentropy", optimizer="adam")
    model = _classifier(out=1, act="softmax")
    with pytest.raises(ValueError, match="single unit"):
        model.compile(loss="binary_crossentropy", optimizer="adam")
    # the right pairing compiles, and logits with a from_logits loss are fine
    _classifier(act=None).compile(
        loss=nn.losses.CategoricalCrossentropy(from_logits=True), optimizer="adam"
    )


def test_fit_checks_labels_before_training_and_changes_nothing():
    x, y = _blobs()
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"\[0, 3\).*label 3"):
        model.fit(x, y + 1, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="One-hot targets need categorical"):
        model.fit(x, np.eye(3)[y], epochs=1, verbose=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    with pytest.raises(ValueError, match="3 outputs but the targets have 4 columns"):
        model.fit(x, np.eye(4)[y], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(x, y, epochs=1, verbose=0)
    binary = _classifier(out=1, act="sigmoid")
    binary.compile(loss="binary_crossentropy", optimizer="adam")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary.fit(x, y, epochs=1, verbose=0)  # labels 0..2 for a binary model
    with pytest.raises(ValueError, match="120 samples but y has 119"):
        model.fit(x, np.eye(3)[y][:-1], verbose=0)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_deferred_build_and_optimizer_object_without_parameters():
    x, y = _blobs()
    nn.set_seed(0)
    model = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer=nn.optim.Adam(learning_rate=0.01)
    )
    assert model.parameters() == []
    model.fit(x.astype(np.float64), y, epochs=2, verbose=0)
    assert [p.shape for p in model.parameters()] == [(2, 8), (8,), (8, 3), (3,)]
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.optimizer.params == model.parameters()


def test_progress_bar_and_verbose_two(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the bar is for terminals
    x, y = _blobs(n=40)
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss=" in err and "accuracy=" in err
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr()
    assert "Epoch 1/1 - loss:" in out.out and out.err == ""
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_mse_regression_and_evaluate_without_metrics():
    nn.set_seed(1)
    x = np.random.default_rng(0).uniform(-1, 1, (200, 1))
    y = np.sin(3 * x)
    model = Sequential([Dense(16, input_dim=1, activation="tanh"), Dense(1)])
    model.compile(loss="mse", optimizer=nn.optim.Adam(lr=0.02), metrics=["mae"])
    h = model.fit(x, y, epochs=60, batch_size=32, verbose=0, seed=0)
    assert h.history["loss"][-1] < 0.02
    model.compile(loss="mse", optimizer="adam")
    assert isinstance(model.evaluate(x, y), float)


def test_uncompiled_model_and_bad_arguments_are_explained():
    model = _classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros(2))
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.zeros((2, 2)), np.zeros(2), batch_size=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.zeros((2, 2)), np.zeros(2), validation_split=1.5)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile(loss="mse", optimizer="adamm")


def test_a_training_step_stays_in_float32():
    # float64 data and one-hot targets must not promote the float32 graph (dtype drift)
    x, y = _blobs()
    for loss, target in (
        ("sparse_categorical_crossentropy", y),
        ("categorical_crossentropy", np.eye(3)[y]),
    ):
        model = _classifier()
        model.compile(loss=loss, optimizer="adam")
        model.fit(x.astype(np.float64), target, epochs=1, verbose=0)
        assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
        out, logits = model._forward_for_loss(Tensor(x[:4]))
        assert logits and out.dtype == np.float32
        assert model._loss_value(target[:4], out, logits).dtype == np.float32


# --- Model: the machinery without Sequential ----------------------------------------------------


class _TwoLayers(nn.Model):
    """A user's model: layers as attributes, the computation in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = Dense(8, input_dim=2, activation="relu")
        self.scores = Dense(3, input_dim=8)

    def forward(self, x):
        return self.scores(self.hidden(x))


def test_a_model_subclass_with_forward_compiles_and_fits():
    x, y = _blobs()
    nn.set_seed(0)
    model = _TwoLayers()
    assert isinstance(model, nn.models.Model) and not isinstance(model, Sequential)
    assert [p.shape for p in model.parameters()] == [(2, 8), (8,), (8, 3), (3,)]
    loss = nn.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(loss=loss, optimizer=nn.optim.Adam(learning_rate=0.05), metrics=["accuracy"])
    assert not model._fused()  # the output layer is unknown: no fusion
    hist = model.fit(x, y, epochs=15, batch_size=16, validation_split=0.25, verbose=0, seed=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.optimizer.params == model.parameters()
    _, acc = model.evaluate(x, y)
    assert acc > 0.9
    scores = model.predict(x, batch_size=50)
    assert scores.shape == (120, 3) and scores.dtype == np.float32
    assert acc == pytest.approx(np.mean(scores.argmax(1) == y))
    assert model.predict(x[:0]).shape == (0, 3)


def test_a_model_subclass_gets_no_output_layer_checks_and_needs_layers():
    model = _TwoLayers()
    # raw scores into a probability loss: refused for a Sequential, not checked here
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")

    class Empty(nn.Model):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="no layers"):
        Empty().compile(loss="mse", optimizer="sgd")


# --- batches ------------------------------------------------------------------------------------


def test_batches_are_slices_in_order_or_runs_of_a_permutation():
    from nn.models._data import batches

    assert list(batches(7, 3)) == [slice(0, 3), slice(3, 6), slice(6, 9)]
    assert list(batches(6, 3)) == [slice(0, 3), slice(3, 6)]
    assert list(batches(0, 3)) == []
    order = np.array([4, 0, 6, 2, 1, 5, 3])
    got = [idx.tolist() for idx in batches(7, 3, order)]
    assert got == [[4, 0, 6], [2, 1, 5], [3]]
    x = np.arange(7) * 10
    assert np.concatenate([x[i] for i in batches(7, 2)]).tolist() == x.tolist()


def test_fit_evaluate_and_predict_see_every_sample_once_per_pass():
    x, y = _blobs(n=23)
    model = _classifier()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    sizes: list[int] = []
    step = model.train_step
    model.train_step = lambda xb, yb: sizes.append(len(xb)) or step(xb, yb)
    model.fit(x, y, epochs=2, batch_size=5, verbose=0, seed=0)
    assert sizes == [5, 5, 5, 5, 3] * 2
    seen: list[np.ndarray] = []
    model.predict_step = lambda xb: seen.append(xb) or np.zeros((len(xb), 3), np.float32)
    assert model.predict(x, batch_size=10).shape == (23, 3)
    assert [len(b) for b in seen] == [10, 10, 3]
    np.testing.assert_array_equal(np.concatenate(seen), x)
    losses: list[int] = []
    test = model.test_step
    model.test_step = lambda xb, yb: losses.append(len(xb)) or test(xb, yb)
    model.evaluate(x, y, batch_size=20)
    assert losses == [20, 3]
