"""Keras's training-control callbacks: ReduceLROnPlateau, LearningRateScheduler,
TerminateOnNaN, LambdaCallback, CSVLogger and BackupAndRestore."""

from __future__ import annotations

import csv
import types

import numpy as np
import pytest

import nn
from nn import Dense, Sequential
from nn.callbacks import (
    BackupAndRestore,
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)


def _data(n=32, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(int)


def _model(optimizer=None):
    nn.set_seed(0)
    model = Sequential([Dense(4, input_dim=2, activation="relu"), Dense(2, activation="softmax")])
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=optimizer or nn.optim.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def _drive(cb, values, lr=1.0, monitor="val_loss"):
    """Run a callback's epoch hooks over a given series of monitored values."""
    model = types.SimpleNamespace(optimizer=nn.optim.SGD(learning_rate=lr), stop_training=False)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: v})
        lrs.append(model.optimizer.learning_rate)
    return lrs


def test_reduce_lr_on_plateau_follows_keras_patience_cooldown_and_min_lr():
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    # worked by hand with Keras's rule (the epoch after a reduction sits in cooldown)
    lrs = _drive(cb, [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0])
    assert lrs == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2])
    # min_delta: an improvement smaller than it does not count
    cb = ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.01)
    assert _drive(cb, [1.0, 0.995, 0.98]) == pytest.approx([1.0, 0.1, 0.1])
    # "acc" in the name: bigger is better
    cb = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    assert _drive(cb, [0.5, 0.6, 0.55], monitor="val_accuracy") == pytest.approx([1, 1, 0.5])
    defaults = ReduceLROnPlateau()
    assert (defaults.monitor, defaults.factor, defaults.patience, defaults.min_delta) == (
        "val_loss",
        0.1,
        10,
        1e-4,
    )
    assert (defaults.cooldown, defaults.min_lr, defaults.mode) == (0, 0.0, "auto")
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_on_plateau_in_fit_records_the_learning_rate():
    x, y = _data()
    model = _model(nn.optim.SGD(learning_rate=0.0))  # nothing changes: a plateau
    model.optimizer.learning_rate = 1e-12
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    hist = model.fit(x, y, epochs=4, verbose=0, shuffle=False, callbacks=[cb])
    assert hist.history["learning_rate"] == pytest.approx([1e-12, 5e-13, 2.5e-13, 1.25e-13])
    with pytest.warns(UserWarning, match="monitors 'val_loss'"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau()])


def test_learning_rate_scheduler_sets_the_rate_each_epoch(capsys):
    x, y = _data()
    seen = []
    model = _model(nn.optim.SGD(learning_rate=0.1))
    spy = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.lr))
    hist = model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1), spy],
    )
    assert seen == pytest.approx([0.05, 0.025, 0.0125])
    assert hist.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert (
        "Epoch 2: LearningRateScheduler setting learning rate to 0.025" in capsys.readouterr().out
    )
    # a one-argument schedule gets the epoch alone
    model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda e: 0.3 / (e + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.15)
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda e: "fast")])


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    x, y = _data()
    model = _model(nn.optim.SGD(learning_rate=0.1))
    model.layers[0].kernel.data[0, 0] = np.inf  # the loss turns NaN after the first step
    losses = []
    spy = LambdaCallback(on_train_batch_end=lambda b, logs: losses.append(logs["loss"]))
    with np.errstate(all="ignore"):
        hist = model.fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[TerminateOnNaN(), spy])
    # it stops within the epoch, right after the first bad batch (8 batches an epoch)
    assert len(losses) == 2 and np.isfinite(losses[0]) and np.isnan(losses[1])
    assert hist.epoch == [0] and model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_lambda_callback_calls_each_hook():
    x, y = _data()
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_train_end=lambda logs: calls.append(("train_end",)),
    )
    _model().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[cb])
    one_epoch = [("batch_begin", 0), ("batch_end", 0), ("batch_begin", 1), ("batch_end", 1)]
    assert calls == (
        [("train_begin", {}), ("epoch_begin", 0)]
        + one_epoch
        + [("epoch_end", 0, ["accuracy", "loss"]), ("epoch_begin", 1)]
        + one_epoch
        + [("epoch_end", 1, ["accuracy", "loss"]), ("train_end",)]
    )
    with pytest.raises(TypeError, match="unexpected hooks"):
        LambdaCallback(on_epoch_ends=print)


def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_keras_columns_and_appends(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    hist = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert float(rows[2][2]) == pytest.approx(hist.history["loss"][1])
    # append: no second header; a new file without validation gets NA val_ columns (Keras)
    model.fit(
        x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path, append=True)]
    )
    assert len(_read_csv(path)) == 4 and _read_csv(path)[3][0] == "0"
    other = tmp_path / "semi.csv"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(other, separator=";")])
    rows = _read_csv(other, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][3:] == ["NA", "NA"]


def test_csv_logger_leaves_a_valid_file_when_training_crashes(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"

    class Crash(nn.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=5, verbose=0, callbacks=[CSVLogger(path), Crash()])
    rows = _read_csv(path)
    assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows)


class _Crash(nn.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("power cut")


def test_backup_and_restore_resumes_at_the_right_epoch_with_weights_and_optimizer(tmp_path):
    x, y = _data()
    backup = tmp_path / "backup"
    snapshots = {}

    class Snap(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots[epoch] = (self.model.state_dict(), self.model.optimizer.state_dict())

    first = _model()
    with pytest.raises(RuntimeError, match="power cut"):
        first.fit(
            x, y, epochs=6, verbose=0, callbacks=[BackupAndRestore(backup), Snap(), _Crash(3)]
        )
    assert (backup / "latest.safetensors").exists()
    # a fresh process: a new model, compiled again, fitted again with the same callback
    second = _model()
    started = []

    class Check(nn.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not started:  # at the resumed epoch, before any step: epoch 2's end state
                weights, opt = snapshots[2]
                now = self.model.state_dict()
                assert all(np.array_equal(weights[k], now[k]) for k in weights)
                now_opt = self.model.optimizer.state_dict()
                assert all(np.array_equal(opt[k], now_opt[k]) for k in opt)
                assert self.model.optimizer.iterations == 3  # one batch per epoch
            started.append(epoch)

    hist = second.fit(x, y, epochs=6, verbose=0, callbacks=[BackupAndRestore(backup), Check()])
    assert started == [3, 4, 5] and hist.epoch == [3, 4, 5]
    assert not backup.exists()  # deleted once training ended normally
    # without a backup, fit starts from the beginning
    seen = []
    spy = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(backup), spy])
    assert seen == [0, 1]


def test_backup_every_n_batches_and_keeping_the_checkpoint(tmp_path):
    x, y = _data()
    backup = tmp_path / "b"
    cb = BackupAndRestore(backup, save_freq=3, delete_checkpoint=False)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb])  # 4 batches an epoch
    assert (backup / "latest.safetensors").exists()  # kept
    again = _model()
    seen = []
    spy = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))
    # the last backup was at batch 6 of 8, in epoch 1: that epoch runs again
    again.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb, spy])
    assert seen == [1]
    with pytest.raises(ValueError, match="Received: save_freq=0"):
        BackupAndRestore(backup, save_freq=0)
