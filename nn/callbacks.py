"""Callbacks for ``fit``: History, ProgbarLogger, EpochTimer, EarlyStopping, ModelCheckpoint,
GradientFlow, and Keras's ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN,
LambdaCallback, CSVLogger and BackupAndRestore.

``fit`` calls, on each callback, ``on_train_begin``, then per epoch ``on_epoch_begin``,
``on_train_batch_begin`` / ``on_train_batch_end`` around every step, ``on_epoch_end`` with the
epoch's logs, and finally ``on_train_end`` (Keras's order and names). A callback can stop
training by setting ``model.stop_training = True``. ``self.params`` holds fit's ``epochs``,
``steps`` (batches per epoch) and ``verbose``.
"""

from __future__ import annotations

import csv
import inspect
import json
import math
import os
import shutil
import sys
import time
import warnings
from typing import Any, Callable, Iterable, TextIO

import numpy as np
from safetensors.numpy import load as safetensors_load
from safetensors.numpy import save as safetensors_save
from tqdm import tqdm


class Callback:
    """Base class; every hook does nothing by default."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by ``fit`` before training with ``epochs``, ``steps`` and ``verbose``."""
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """After the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Before each epoch (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """After each epoch, with its loss, metrics and ``val_`` values."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Before each training step."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """After each training step (gradients are still in ``.grad``)."""


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(
        self, callbacks: list[Callback], model: Any, params: dict[str, Any] | None = None
    ) -> None:
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be nn.callbacks.Callback objects. Received: {cb!r}"
                )
            cb.set_model(model)
            cb.set_params(params if params is not None else {})
        self.callbacks = callbacks
        # Batch hooks cost a call per step; skip the callbacks that do not override them.
        self._batch = [
            cb
            for cb in callbacks
            if type(cb).on_train_batch_begin is not Callback.on_train_batch_begin
            or type(cb).on_train_batch_end is not Callback.on_train_batch_end
        ]

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        targets = self._batch if "batch" in hook else self.callbacks

        def call(*args: Any) -> None:
            for cb in targets:
                getattr(cb, hook)(*args)

        return call


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]``, ``["val_accuracy"]``, ..."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class EpochTimer(Callback):
    """Measures the seconds each epoch takes: ``timer.seconds``, one entry per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Start the clock."""
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Stop it."""
        self.seconds.append(time.perf_counter() - self._start)


def _on_terminal(stream: Any) -> bool:
    """True when ``stream`` is an interactive terminal, where a bar redraws in place."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


def _postfix(logs: dict) -> dict:
    return {k: f"{v:.4f}" for k, v in logs.items()}


class ProgbarLogger(Callback):
    """``fit``'s progress display (Keras's name); ``fit`` adds one unless it is given one.

    ``verbose=1`` (or ``"auto"``): on a terminal, a tqdm bar per epoch with the running loss
    and metrics; elsewhere (a log file, CI, a notebook saved as text, which would keep every
    redraw of a bar as a fragment) one line per epoch, as with 2. ``verbose=2``: one line per
    epoch, ``Epoch 3/10 - loss: 0.1234 - accuracy: 0.9500 - val_loss: ...``. ``verbose=0``:
    nothing.

    ``stream``: where to write, and whose ``isatty()`` decides. By default the lines go to
    ``sys.stdout`` and the bar to ``sys.stderr`` (as tqdm's do), and stdout decides.
    """

    def __init__(self, verbose: int | str = 1, stream: TextIO | None = None) -> None:
        super().__init__()
        self.verbose = 1 if verbose == "auto" else verbose
        self.stream = stream
        self._bar_mode = False
        self._bar: Any = None
        self._loss_sum, self._steps_seen = 0.0, 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Choose between the bar and the lines, for the stream as it is now."""
        self._bar_mode = self.verbose == 1 and _on_terminal(
            sys.stdout if self.stream is None else self.stream
        )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Open the epoch's bar."""
        if self._bar_mode:
            self._bar = tqdm(
                total=self.params.get("steps"),
                desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                unit="batch",
                leave=True,
                dynamic_ncols=True,
                file=self.stream,
            )
            self._loss_sum, self._steps_seen = 0.0, 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Advance the bar; every tenth step, show the running loss and metrics."""
        if self._bar is None:
            return
        logs = logs or {}
        self._loss_sum += logs.get("loss", 0.0)
        self._steps_seen += 1
        self._bar.update(1)
        if batch % 10 == 0 or batch == self.params.get("steps", 0) - 1:
            # Every batch but the last is full, so the mean over steps is the mean over
            # samples wherever it shows; the epoch's own logs replace it at the end.
            mean = self._loss_sum / self._steps_seen
            self._bar.set_postfix(_postfix({**logs, "loss": mean}), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Close the bar with the epoch's logs, or write the epoch's line."""
        logs = logs or {}
        if self._bar is not None:
            self._bar.set_postfix(_postfix(logs), refresh=True)
            self._bar.close()
            self._bar = None
        elif self.verbose in (1, 2):
            values = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
            line = f"Epoch {epoch + 1}/{self.params.get('epochs')} - {values}"
            print(line, file=sys.stdout if self.stream is None else self.stream, flush=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Close a bar left open by a stop in the middle of an epoch."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress(iterable: Iterable, total: int, desc: str, verbose: int | str) -> Iterable:
    """``iterable``, drawn as a tqdm bar when ``verbose`` is 1 and stdout is a terminal
    (``evaluate`` and ``predict``); elsewhere as it is, since a bar would leave fragments."""
    if verbose not in (1, "auto") or not _on_terminal(sys.stdout):
        return iterable
    return tqdm(iterable, total=total, desc=desc, unit="batch")


def _mode_for(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode != "auto":
        return mode
    # Keras's rule: accuracies and AUCs grow, everything else (losses) shrinks.
    return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"


def _monitored(logs: dict | None, monitor: str, who: str) -> float:
    logs = logs or {}
    if monitor not in logs:
        raise ValueError(
            f"{who} monitors {monitor!r}, which this fit does not log. Available: "
            f"{sorted(logs)}. (val_ values need validation_data or validation_split)"
        )
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs. With ``restore_best_weights=True`` the best epoch's weights are put back when
    training ends, whether it stopped early or ran all its epochs."""

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.min_delta = abs(float(min_delta))
        self.mode = _mode_for(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.best_weights: dict | None = None

    def _better(self, current: float, reference: float) -> bool:
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            # A baseline must be beaten before improvements reset the patience (Keras).
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (``model.save``: architecture, weights and optimizer state in one
    safetensors file, atomically; with ``save_weights_only=True`` the weights alone, through
    ``save_weights``) after each epoch, or only when ``monitor`` improves with
    ``save_best_only=True``, so the file holds the best model. ``filepath`` may hold
    ``{epoch}`` and log names, as ``"w-{epoch:02d}-{val_loss:.2f}"``."""

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only = save_best_only
        self.save_weights_only = bool(save_weights_only)
        self.mode = _mode_for(monitor, mode)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            if self.verbose:
                print(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best, self.best_epoch = current, epoch
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class GradientFlowWarning(UserWarning):
    """Gradients that are nan or inf, vanishing or exploding during training."""


class GradientFlow(Callback):
    """Record, per layer and per epoch, how gradients flow through the network.

    Each record (a dict in ``records``) holds ``epoch``, ``layer`` (the layer's name),
    ``index`` (its position), ``weight_norm`` (at the end of the epoch), ``grad_norm`` (mean
    over the epoch's steps of the L2 norm of the layer's gradient), ``grad_norm_max``,
    ``update_ratio`` (mean of ‖Δw‖ / ‖w‖ per step), and ``dead_fraction`` (for ReLU layers:
    the fraction of units that output 0 for every sample of the epoch; None otherwise).

    A ``GradientFlowWarning`` is issued (once per layer and kind) when a gradient is nan or
    inf, when a layer's mean gradient norm falls below ``vanishing`` or rises above
    ``exploding``.
    """

    def __init__(
        self,
        vanishing: float = 1e-7,
        exploding: float = 1e3,
        track_updates: bool = True,
        warn: bool = True,
    ) -> None:
        super().__init__()
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        self.track_updates, self.warn = track_updates, warn
        self.records: list[dict[str, Any]] = []
        self._removers: list = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        layers = getattr(model, "layers", None)
        if layers is None:
            layers = [m for _, m in model.named_children()]
        self._layers = []
        for i, layer in enumerate(layers):
            params = layer.parameters()
            relu = _is_relu(layer)
            if not params and not relu:
                continue
            entry = {
                "index": i,
                "name": getattr(layer, "name", str(i)),
                "params": params,
                "relu": relu,
                "before": [np.empty_like(p.data) for p in params],
            }
            self._layers.append(entry)
            if relu and hasattr(layer, "register_forward_hook"):
                self._removers.append(layer.register_forward_hook(self._hook_for(entry)))
        self._warned: set = set()

    def _hook_for(self, entry: dict) -> Any:
        def hook(layer: Any, x: Any, y: Any) -> None:
            if not layer.training:
                return  # only training batches count (not validation or predict)
            active = (y.data > 0).reshape(-1, y.shape[-1]).any(axis=0)
            entry["alive"] = active if entry.get("alive") is None else entry["alive"] | active

        return hook

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for e in self._layers:
            e.update(gsum=0.0, gmax=0.0, rsum=0.0, steps=0, nan=False, alive=None)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.track_updates:
            for e in self._layers:
                for buf, p in zip(e["before"], e["params"], strict=True):
                    np.copyto(buf, p.data)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for e in self._layers:
            if not e["params"]:
                continue
            gsq = 0.0
            for p in e["params"]:
                if p.grad is not None:
                    g = np.asarray(getattr(p.grad, "data", p.grad)).ravel()
                    gsq += float(np.dot(g, g))
            gnorm = math.sqrt(gsq) if math.isfinite(gsq) else math.nan
            if not math.isfinite(gnorm):
                e["nan"] = True
            e["gsum"] += gnorm
            e["gmax"] = max(e["gmax"], gnorm) if math.isfinite(gnorm) else math.nan
            if self.track_updates:
                dsq = wsq = 0.0
                for buf, p in zip(e["before"], e["params"], strict=True):
                    d = (p.data - buf).ravel()
                    w = p.data.ravel()
                    dsq += float(np.dot(d, d))
                    wsq += float(np.dot(w, w))
                e["rsum"] += math.sqrt(dsq) / math.sqrt(wsq) if wsq > 0 else math.nan
            e["steps"] += 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for e in self._layers:
            steps = max(e["steps"], 1)
            wsq = sum(float(np.vdot(p.data, p.data)) for p in e["params"])
            alive = e["alive"]
            record = {
                "epoch": epoch,
                "layer": e["name"],
                "index": e["index"],
                "weight_norm": math.sqrt(wsq) if e["params"] else None,
                "grad_norm": e["gsum"] / steps if e["params"] else None,
                "grad_norm_max": e["gmax"] if e["params"] else None,
                "update_ratio": (e["rsum"] / steps if self.track_updates and e["params"] else None),
                "dead_fraction": (1.0 - float(alive.mean())) if alive is not None else None,
            }
            self.records.append(record)
            if self.warn and e["params"]:
                self._check(record, e["nan"])

    def _check(self, record: dict, nan: bool) -> None:
        name, g = record["layer"], record["grad_norm"]
        problem = None
        if nan or not math.isfinite(g):
            problem = (
                "nan",
                f"layer {name!r}: nan or inf gradients in epoch "
                f"{record['epoch'] + 1}; lower the learning rate, check the "
                f"inputs for nan, or use a from_logits loss",
            )
        elif g < self.vanishing:
            problem = (
                "vanishing",
                f"layer {name!r}: vanishing gradients (mean norm {g:.3g} "
                f"< {self.vanishing:g}) in epoch {record['epoch'] + 1}; "
                f"dead ReLUs or saturated sigmoids? Try he_normal "
                f"initialisation or ReLU activations",
            )
        elif g > self.exploding:
            problem = (
                "exploding",
                f"layer {name!r}: exploding gradients (mean norm {g:.3g} "
                f"> {self.exploding:g}) in epoch {record['epoch'] + 1}; "
                f"lower the learning rate or scale the inputs",
            )
        if problem is not None and (name, problem[0]) not in self._warned:
            self._warned.add((name, problem[0]))
            warnings.warn(problem[1], GradientFlowWarning, stacklevel=2)

    def on_train_end(self, logs: dict | None = None) -> None:
        for remove in self._removers:
            remove()
        self._removers = []

    def series(self, key: str) -> dict[str, list]:
        """``{layer name: [value per epoch]}`` for one record field, ready to plot."""
        out: dict[str, list] = {}
        for r in self.records:
            out.setdefault(r["layer"], []).append(r[key])
        return out


def _is_relu(layer: Any) -> bool:
    return getattr(layer, "activation_name", None) == "relu"


# --- Keras's training-control callbacks -------------------------------------------------------


def _learning_rate(model: Any, who: str) -> float:
    lr = model.optimizer.learning_rate
    if callable(lr):
        raise TypeError(
            f"{who} sets the optimizer's learning rate, but it is a schedule ({lr!r}); give the "
            f"optimizer a number as its learning rate"
        )
    return float(lr)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more
    than ``min_delta`` for ``patience`` epochs (Keras's rule), never below ``min_lr``; then
    wait ``cooldown`` epochs before counting again. ``mode="auto"`` maximises a monitor
    whose name holds ``"acc"`` and minimises anything else."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}")
        if not factor < 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor}"
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.verbose, self.mode, self.min_delta = verbose, mode, float(min_delta)
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)
        self._reset()

    def _reset(self) -> None:
        self._maximise = self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)
        self.best = -math.inf if self._maximise else math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _improved(self, current: float) -> bool:
        if self._maximise:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def in_cooldown(self) -> bool:
        """True while the epochs after a reduction are still being waited out."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _learning_rate(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ReduceLROnPlateau monitors {self.monitor!r}, which this fit does not log. "
                f"Available: {sorted(logs)}",
                stacklevel=2,
            )
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = logs["learning_rate"]
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)`` for a one-argument function), ``epoch`` counting from 0."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a function of the epoch. "
                f"Received: schedule={schedule!r}"
            )
        self.schedule, self.verbose = schedule, verbose
        self._two = _takes_two(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        lr = _learning_rate(self.model, "LearningRateScheduler")
        new = self.schedule(epoch, lr) if self._two else self.schedule(epoch)
        try:
            new = float(new)
        except (TypeError, ValueError):
            raise ValueError(
                f'The output of the "schedule" function should be a float. Got: {new!r}'
            ) from None
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model, "LearningRateScheduler")


def _takes_two(fn: Callable) -> bool:
    """True when ``fn`` can be called with two positional arguments."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    try:
        sig.bind(0, 0.0)
    except TypeError:
        return False
    return True


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch,
    logs)``, ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``
    (``on_batch_begin`` / ``on_batch_end`` are the same), ``on_train_begin(logs)`` and
    ``on_train_end(logs)``; each is optional."""

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Callable,
    ) -> None:
        super().__init__()
        aliases = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}
        unknown = sorted(set(kwargs) - set(aliases))
        if unknown:
            raise TypeError(f"LambdaCallback got unexpected hooks {unknown}")
        fns = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for alias, hook in aliases.items():
            if kwargs.get(alias) is not None:
                fns[hook] = kwargs[alias]
        self._fns = fns

    def on_train_begin(self, logs: dict | None = None) -> None:
        fn = self._fns["on_train_begin"]
        if fn is not None:
            fn(logs if logs is not None else {})

    def on_train_end(self, logs: dict | None = None) -> None:
        fn = self._fns["on_train_end"]
        if fn is not None:
            fn(logs if logs is not None else {})

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        fn = self._fns["on_epoch_begin"]
        if fn is not None:
            fn(epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        fn = self._fns["on_epoch_end"]
        if fn is not None:
            fn(epoch, logs if logs is not None else {})

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        fn = self._fns["on_train_batch_begin"]
        if fn is not None:
            fn(batch, logs if logs is not None else {})

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        fn = self._fns["on_train_batch_end"]
        if fn is not None:
            fn(batch, logs if logs is not None else {})


class CSVLogger(Callback):
    """Write each epoch's logs as a row of ``filename``: ``epoch`` (from 0), then the log
    names in sorted order (with ``val_`` columns, ``NA`` when there is no validation set, as
    Keras). ``append=True`` continues an existing file without writing its header again.
    Each row is written and the file closed at once, so a crash leaves a valid file of the
    epochs so far."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None
        self._header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.keys = None
        exists = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._header = not (self.append and exists)
        if not self.append:
            with open(self.filename, "w", newline=""):
                pass  # a new run starts an empty file

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]
        row = {"epoch": epoch}
        row.update({k: _csv_value(logs.get(k, "NA")) for k in self.keys})
        with open(self.filename, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if self._header:
                writer.writeheader()
                self._header = False
            writer.writerow(row)


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    arr = np.asarray(value)
    if arr.ndim:  # a list of values (a metric at several thresholds)
        return "[" + ", ".join(map(str, arr.ravel().tolist())) + "]"
    return value


class BackupAndRestore(Callback):
    """Back up the model's weights and its optimizer's state in ``backup_dir`` at the end
    of every epoch (``save_freq="epoch"``) or every ``save_freq`` batches, so that a run
    that was interrupted (an exception, a killed process) resumes when ``fit`` is called
    again with this callback: the weights and optimizer state come back and training
    continues at the epoch after the last one backed up. When training ends normally the
    backup is deleted (``delete_checkpoint=True``)."""

    _FILE = "latest.safetensors"

    def __init__(
        self, backup_dir: str, save_freq: str | int = "epoch", delete_checkpoint: bool = True
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore needs a backup_dir. Received: {backup_dir!r}")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, (int, np.integer))
            or save_freq <= 0
        ):
            raise ValueError(
                f"BackupAndRestore expects save_freq 'epoch' or a positive integer (batches). "
                f"Received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, self._FILE)
        self._epoch, self._batches = 0, 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._epoch, self._batches = 0, 0
        if not os.path.exists(self._path):
            return
        with open(self._path, "rb") as f:
            data = f.read()
        arrays = safetensors_load(data)
        meta = json.loads(_st_metadata(data).get("nn_backup", "{}"))
        model, opt = self.model, self.model.optimizer
        model.load_state_dict(_part(arrays, "model/", model.state_dict()))
        if opt is not None and opt.params:
            opt.load_state_dict(_part(arrays, "opt/", opt.state_dict()))
        self.model._initial_epoch = int(meta.get("epoch", 0))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not isinstance(self.save_freq, int):
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch)  # mid-epoch: this epoch is run again on resuming

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch + 1)

    def _save(self, next_epoch: int) -> None:
        arrays = {f"model/{k}": np.ascontiguousarray(v) for k, v in self.model.state_dict().items()}
        opt = self.model.optimizer
        if opt is not None:
            for k, v in opt.state_dict().items():
                arrays[f"opt/{k}"] = np.ascontiguousarray(v)
        meta = {"nn_backup": json.dumps({"epoch": next_epoch})}
        os.makedirs(self.backup_dir, exist_ok=True)
        # written beside, then renamed: a crash while saving leaves the previous backup
        tmp = self._path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(safetensors_save(arrays, metadata=meta))
        os.replace(tmp, self._path)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _part(arrays: dict[str, np.ndarray], prefix: str, like: dict) -> dict[str, np.ndarray]:
    """The arrays saved under ``prefix``, in the shapes of ``like`` (safetensors stores a
    0-d array, such as a step count, with shape (1,))."""
    out = {}
    for key, arr in arrays.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            ref = like.get(name)
            fits = ref is not None and np.size(ref) == arr.size
            out[name] = arr.reshape(np.shape(ref)) if fits and ref is not None else arr
    return out


def _st_metadata(data: bytes) -> dict[str, str]:
    # a safetensors file starts with the length of its JSON header, then the header
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]).get("__metadata__", {}) or {}
