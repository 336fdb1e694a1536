"""EarlyStopping, ModelCheckpoint, History, GradientFlow and ProgbarLogger."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

import nn
from nn import Dense, Sequential
from nn.callbacks import GradientFlowWarning


class _StubModel:
    """Just enough of a model for a callback: weights we can read and set."""

    def __init__(self):
        self.w = np.zeros(1)
        self.stop_training = False

    def state_dict(self):
        return {"w": self.w.copy()}

    def load_state_dict(self, d):
        self.w[...] = d["w"]


def _drive(cb, values, key="val_loss"):
    """Run ``cb`` over epochs whose monitored value is ``values[epoch]``; the stub's weight is
    set to the epoch number, so restored weights tell which epoch they came from."""
    model = _StubModel()
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        model.w[0] = epoch
        cb.on_epoch_end(epoch, {key: v})
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return model, ran


def test_early_stopping_waits_patience_epochs_then_stops():
    cb = nn.EarlyStopping(monitor="val_loss", patience=2)
    model, ran = _drive(cb, [1.0, 0.5, 0.6, 0.7, 0.4, 0.3])
    assert ran == 4 and model.stop_training and cb.stopped_epoch == 3
    assert model.w[0] == 3  # without restore_best_weights the last weights stay


def test_early_stopping_min_delta_and_max_mode():
    cb = nn.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.1)
    _, ran = _drive(cb, [1.0, 0.95, 0.9, 0.5])  # 0.95 is not better by more than 0.1
    assert ran == 2
    cb = nn.EarlyStopping(monitor="val_accuracy", patience=1)
    assert cb.mode == "max"
    _, ran = _drive(cb, [0.5, 0.6, 0.55, 0.9], key="val_accuracy")
    assert ran == 3


def test_restore_best_weights_when_stopping_and_when_training_just_ends():
    cb = nn.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    model, ran = _drive(cb, [1.0, 0.2, 0.5, 0.6])
    assert ran == 3 and model.w[0] == 1  # epoch 1 was best
    cb = nn.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model, ran = _drive(cb, [1.0, 0.2, 0.5, 0.6])
    assert ran == 4 and not model.stop_training and model.w[0] == 1


def test_early_stopping_names_the_missing_monitor():
    cb = nn.EarlyStopping(monitor="val_loss")
    with pytest.raises(ValueError, match="'val_loss'.*Available: \\['loss'\\]"):
        _drive(cb, [1.0], key="loss")


def test_model_checkpoint_keeps_the_best_weights(tmp_path):
    nn.set_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=nn.optim.SGD(lr=0.5))
    path = tmp_path / "best.safetensors"
    snapshots = []

    class Snap(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append((logs["val_loss"], model.state_dict()))

    ckpt = nn.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    model.fit(
        x, y, epochs=6, batch_size=16, validation_data=(x, y), verbose=0, callbacks=[Snap(), ckpt]
    )
    best_loss, best_weights = min(snapshots, key=lambda s: s[0])
    assert ckpt.best == pytest.approx(best_loss)
    saved = load_file(str(path))
    for k, v in best_weights.items():
        np.testing.assert_array_equal(saved[k], v)


def test_model_checkpoint_formats_the_path_per_epoch(tmp_path):
    model = Sequential([Dense(1, input_dim=1)])
    model.compile(loss="mse", optimizer="sgd")
    pattern = str(tmp_path / "w-{epoch:02d}.safetensors")
    model.fit(
        np.ones((4, 1)),
        np.ones((4, 1)),
        epochs=2,
        verbose=0,
        callbacks=[nn.ModelCheckpoint(pattern)],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-01.safetensors", "w-02.safetensors"]


@pytest.mark.parametrize("weights_only", [False, True])
def test_model_checkpoint_writes_a_whole_model_or_with_save_weights_only_the_weights(
    tmp_path, weights_only
):
    nn.set_seed(0)
    model = Sequential([Dense(3, input_dim=2, activation="relu"), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    path = str(tmp_path / "ckpt.safetensors")
    x, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    ckpt = nn.ModelCheckpoint(path, save_weights_only=weights_only)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    if weights_only:
        with pytest.raises(ValueError):
            nn.models.load_model(path)  # weights alone: no architecture to rebuild
        fresh = Sequential([Dense(3, input_dim=2, activation="relu"), Dense(1)])
        fresh.load_weights(path)
    else:
        fresh = nn.models.load_model(path)
        assert fresh.optimizer.iterations == model.optimizer.iterations == 2
    for a, b in zip(fresh.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_the_keras_callbacks_are_importable_from_nn_and_nn_callbacks():
    for name in [
        "ReduceLROnPlateau",
        "CSVLogger",
        "TerminateOnNaN",
        "LearningRateScheduler",
        "LambdaCallback",
        "BackupAndRestore",
        "ModelCheckpoint",
        "EarlyStopping",
    ]:
        assert getattr(nn, name) is getattr(nn.callbacks, name)


def test_early_stopping_in_fit_restores_best_weights():
    nn.set_seed(0)
    x = np.random.default_rng(1).standard_normal((32, 2)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    model = Sequential([Dense(1, input_dim=2, activation="sigmoid")])
    # a learning rate far too large makes the validation loss bounce
    model.compile(loss="binary_crossentropy", optimizer=nn.optim.SGD(lr=50.0))
    snaps = []

    class Snap(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snaps.append((logs["val_loss"], model.state_dict()))

    es = nn.EarlyStopping(patience=3, restore_best_weights=True)
    model.fit(
        x, y, epochs=20, batch_size=8, validation_data=(x, y), verbose=0, callbacks=[Snap(), es]
    )
    best = min(snaps, key=lambda s: s[0])[1]
    now = model.state_dict()
    assert all(np.array_equal(now[k], best[k]) for k in best)


# --- GradientFlow -----------------------------------------------------------------------------


def _flow_model(bias=0.0):
    nn.set_seed(0)
    return Sequential(
        [
            Dense(
                8, input_dim=2, activation="relu", bias_initializer=nn.initializers.Constant(bias)
            ),
            Dense(4, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )


def test_gradient_flow_records_per_layer_per_epoch():
    x, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    model = _flow_model()
    model.compile(loss="binary_crossentropy", optimizer="adam")
    flow = nn.GradientFlow()
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[flow])
    assert len(flow.records) == 3 * 3
    keys = {
        "epoch",
        "layer",
        "index",
        "weight_norm",
        "grad_norm",
        "grad_norm_max",
        "update_ratio",
        "dead_fraction",
    }
    assert all(set(r) == keys for r in flow.records)
    first = flow.records[0]
    assert first["layer"] == model.layers[0].name and first["epoch"] == 0
    w = np.sqrt(sum((p.data.astype(np.float64) ** 2).sum() for p in model.layers[0].parameters()))
    assert flow.records[6]["weight_norm"] == pytest.approx(w, rel=1e-5)
    assert all(r["grad_norm"] > 0 and 0 < r["update_ratio"] < 1 for r in flow.records)
    assert flow.records[2]["dead_fraction"] is None  # the sigmoid layer
    assert 0.0 <= flow.records[0]["dead_fraction"] <= 1.0
    assert list(flow.series("grad_norm")) == [layer.name for layer in model.layers]
    assert model.layers[0]._forward_hooks == []  # removed after training


def test_gradient_flow_detects_dead_relus_and_vanishing_gradients():
    x, y = nn.datasets.make_moons(100, seed=0)
    model = _flow_model(bias=-100.0)  # every first-layer unit is dead from the start
    model.compile(loss="binary_crossentropy", optimizer="adam")
    flow = nn.GradientFlow()
    with pytest.warns(GradientFlowWarning, match="vanishing gradients"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[flow])
    assert flow.records[0]["dead_fraction"] == 1.0
    assert flow.records[0]["grad_norm"] == 0.0


def test_gradient_flow_warns_on_nan_and_exploding_gradients():
    x, y = nn.datasets.make_moons(64, seed=0)
    model = _flow_model()
    # fit refuses NaN inputs, so the NaN comes from a weight: every gradient turns NaN
    model.layers[0].kernel.data[0, 0] = np.nan
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    # numpy itself warns about the nan; here only the callback's warning is under test
    with np.errstate(invalid="ignore"):
        with pytest.warns(GradientFlowWarning, match="nan or inf gradients"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[nn.GradientFlow()])
    nn.set_seed(0)
    model = Sequential([Dense(1, input_dim=2)])  # linear regression on huge targets
    model.compile(loss="mse", optimizer=nn.optim.SGD(lr=1e-9))
    with pytest.warns(GradientFlowWarning, match="exploding gradients"):
        model.fit(
            x[4:], y[4:] * 1e4, epochs=1, verbose=0, callbacks=[nn.GradientFlow(exploding=100.0)]
        )


# --- ProgbarLogger --------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def _fit_quietly_compiled():
    nn.set_seed(0)
    r = np.random.default_rng(0)
    x = r.standard_normal((40, 2)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model, x, y


def test_progress_off_a_terminal_is_one_line_per_epoch(capsys):
    model, x, y = _fit_quietly_compiled()
    model.fit(x, y, epochs=3, batch_size=8, validation_data=(x, y), verbose=1)
    out, err = capsys.readouterr()  # captured: stdout is not a terminal
    assert err == "" and "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 3 and [line.split(" - ")[0] for line in lines] == [
        "Epoch 1/3",
        "Epoch 2/3",
        "Epoch 3/3",
    ]
    assert re.fullmatch(
        r"Epoch 3/3 - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - "
        r"val_accuracy: \d\.\d{4}",
        lines[-1],
    )
    model.fit(x, y, epochs=2, batch_size=8, verbose="auto")  # Keras's spelling of 1
    assert len(capsys.readouterr().out.splitlines()) == 2
    model.evaluate(x, y, verbose=1)
    model.predict(x, verbose=1)
    assert capsys.readouterr() == ("", "")  # their bars too are for terminals only


def test_progress_on_a_terminal_is_a_bar_per_epoch(capsys):
    model, x, y = _fit_quietly_compiled()
    tty = _Terminal()
    bar = nn.callbacks.ProgbarLogger(stream=tty)
    model.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), verbose=0, callbacks=[bar])
    text = tty.getvalue()
    assert "\r" in text and "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "5/5" in text and "loss=" in text and "val_accuracy=" in text
    assert bar.params == {"epochs": 2, "steps": 5, "verbose": 0}
    assert capsys.readouterr() == ("", "")  # a given ProgbarLogger is the only display


def test_progress_on_stdout_decides_and_verbose_zero_is_silent(capsys, monkeypatch):
    model, x, y = _fit_quietly_compiled()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    model.fit(x, y, epochs=1, batch_size=8, verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "Epoch 1/1" in err and "\r" in err  # tqdm draws on stderr
    model.evaluate(x, y, verbose=1)
    assert "evaluate" in capsys.readouterr().err
    model.fit(x, y, epochs=1, batch_size=8, verbose=2)  # one line even on a terminal
    out, err = capsys.readouterr()
    assert out.startswith("Epoch 1/1 - loss: ") and out.count("\n") == 1 and err == ""
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert capsys.readouterr() == ("", "")
