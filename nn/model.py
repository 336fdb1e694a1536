"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict.

``train_step(x, y)`` is the one place that runs forward, loss, ``zero_grad``, ``backward`` and
``optimizer.step``; ``fit`` is the epoch and batch loop around it.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np
from tqdm import tqdm

from autograd_core import Tensor, get_default_dtype, no_grad
from autograd_core.errors import ShapeError

from . import _seed
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optim_mod
from .callbacks import Callback, CallbackList, History
from .layers import Activation, Dense, Layer, Module

# Output activations that produce probabilities, and the loss kinds that need them.
_PROB_ACTIVATIONS = {"binary": ("sigmoid",), "categorical": ("softmax",), "sparse": ("softmax",)}
_NOT_PROBABILITIES = ("linear", "relu", "tanh", "leaky_relu", "softplus")


def _shape_text(shape: tuple | None) -> str:
    if shape is None:
        return "? (unbuilt)"
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + ")"


class Sequential(Layer):
    """Layers applied one after the other: ``Sequential([Dense(4, input_dim=2), ...])``.

    If the first layer knows its input size (``input_dim``) every layer is built at once, so
    ``model.parameters()`` is ready for an optimizer; otherwise the model builds on its first
    call (or ``model.build((None, features))``).
    """

    def __init__(self, layers: Iterable[Module] | None = None, name: str | None = None) -> None:
        super().__init__(name)
        self.layers: list[Module] = []
        self.stop_training = False
        self.fuse_loss = True
        self.loss: losses_mod.Loss | None = None
        self.optimizer: optim_mod.Optimizer | None = None
        self.metrics: list[metrics_mod.Metric] = []
        self.history: History | None = None
        for layer in layers or []:
            self.add(layer)

    # --- structure -------------------------------------------------------------------------

    def add(self, layer: Module) -> None:
        """Append a layer (built at once when the input size is known)."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add expects a layer (an nn.Module). Received: {layer!r}")
        self.layers.append(layer)
        shape = self._input_shape()
        if shape is not None:
            self.build(shape)

    def named_children(self):  # type: ignore[override]
        """The layers, named by position (``0``, ``1``, ...) as PyTorch's Sequential."""
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def _input_shape(self) -> tuple | None:
        first = self.layers[0] if self.layers else None
        dim = getattr(first, "input_dim", None)
        return (None, dim) if dim is not None else None

    def build(self, input_shape: tuple) -> None:
        """Build every layer for inputs of ``input_shape`` (batch axis first, may be None)."""
        shape = tuple(input_shape)
        for layer in self.layers:
            if isinstance(layer, Layer):
                if not layer.built:
                    layer.build(shape)
                    layer.built = True
                shape = layer.compute_output_shape(shape)
            else:
                with no_grad():
                    probe = np.zeros((1,) + tuple(shape[1:]), dtype=get_default_dtype())
                    shape = (None,) + tuple(layer(Tensor(probe)).shape[1:])
        self.built = bool(self.layers)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise ValueError("output shape unknown for a layer that is not a nn.Layer")
            shape = layer.compute_output_shape(shape)
        return shape

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def _summary_rows(self) -> list[tuple[str, str, int]]:
        shape = self._input_shape()
        rows = []
        for layer in self.layers:
            known = shape is not None and isinstance(layer, Layer)
            shape = layer.compute_output_shape(shape) if known else None
            label = f"{getattr(layer, 'name', '?')} ({type(layer).__name__})"
            rows.append((label, _shape_text(shape), layer.count_params()))
        return rows

    def build_from_data(self, x: np.ndarray) -> None:
        """Build for inputs like ``x`` (``fit`` and ``predict`` do this when needed)."""
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]))

    # --- compile ---------------------------------------------------------------------------

    def compile(
        self,
        optimizer: str | optim_mod.Optimizer = "rmsprop",
        loss: str | losses_mod.Loss | Callable | None = None,
        metrics: list[str | metrics_mod.Metric] | None = None,
        fuse_loss: bool = True,
    ) -> None:
        """Choose the loss, the optimizer and the metrics to train with.

        Args:
            optimizer: a name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``, Keras's
                defaults) or an ``nn.optim`` optimizer (its parameters may be left out).
            loss: a name, an ``nn.losses.Loss`` or a function ``f(y_true, y_pred)``.
            metrics: names such as ``"accuracy"``, or ``nn.metrics.Metric`` objects.
            fuse_loss: with a softmax or sigmoid output and a cross-entropy loss, compute the
                loss from the output layer's logits in one stable op (as Keras does).

        Raises:
            ValueError: when the output layer does not fit the loss (a softmax or sigmoid
                output with ``from_logits=True``, raw logits with a probability loss).
        """
        if loss is None:
            raise ValueError("compile expects a loss, e.g. loss='binary_crossentropy'")
        if not self.layers:
            raise ValueError("compile: the model has no layers yet")
        self.loss = losses_mod.get(loss)
        self._check_output_fits_loss()
        self.metrics = [metrics_mod.get(m, self.loss.kind) for m in (metrics or [])]
        if self.built:
            self.optimizer = optim_mod.get(optimizer, self.parameters())
        else:
            self.optimizer = optim_mod.get(optimizer) if isinstance(optimizer, str) else optimizer
        if not isinstance(self.optimizer, optim_mod.Optimizer):
            raise TypeError(
                f"compile: optimizer must be a name or an nn.optim optimizer. "
                f"Received: {optimizer!r}"
            )
        self.fuse_loss = bool(fuse_loss)

    def _output_activation(self) -> tuple[str | None, Layer | None]:
        last = self.layers[-1]
        if isinstance(last, (Dense, Activation)):
            return last.activation_name, last
        return None, None

    def _check_output_fits_loss(self) -> None:
        """The classic mistakes: probabilities into a logits loss, logits into a
        probability loss, softmax over a single unit."""
        act, last = self._output_activation()
        if act is None:
            return
        loss = self.loss
        where = f"the last layer {last.name!r} ({type(last).__name__})"
        if act == "softmax" and isinstance(last, Dense) and last.units == 1:
            raise ValueError(
                f"compile: {where} applies softmax to a single unit, which always "
                f"outputs 1. For two classes use Dense(1, activation='sigmoid') "
                f"with binary_crossentropy, or Dense(2, activation='softmax')"
            )
        if loss.kind not in _PROB_ACTIVATIONS:
            return
        if loss.from_logits and act in ("softmax", "sigmoid"):
            raise ValueError(
                f"compile: loss {loss.name} has from_logits=True, which expects raw scores, "
                f"but {where} applies a {act}: its outputs are probabilities already. Remove "
                f"the activation (activation=None) or use from_logits=False"
            )
        if not loss.from_logits and act in _NOT_PROBABILITIES:
            want = _PROB_ACTIVATIONS[loss.kind][0]
            what = "raw logits (no activation)" if act == "linear" else f"{act} outputs"
            raise ValueError(
                f"compile: loss {loss.name} expects probabilities, but {where} gives {what}. "
                f"Use activation={want!r} on the last layer, or the loss with "
                f"from_logits=True"
            )

    def _fused(self) -> bool:
        """True when training computes the loss from the output layer's logits."""
        if not self.fuse_loss or self.loss is None or self.loss.from_logits:
            return False
        if type(self.loss) not in (
            losses_mod.BinaryCrossentropy,
            losses_mod.CategoricalCrossentropy,
            losses_mod.SparseCategoricalCrossentropy,
        ):
            return False
        act, last = self._output_activation()
        if act not in _PROB_ACTIVATIONS[self.loss.kind] or last._forward_hooks:
            return False
        return getattr(last, "axis", -1) == -1

    # --- one step --------------------------------------------------------------------------

    def _forward_for_loss(self, x: Tensor) -> tuple[Tensor, bool]:
        """The model's output, or the output layer's logits when the loss is fused."""
        if not self._fused():
            return self(x), False
        h = x
        for layer in self.layers[:-1]:
            h = layer(h)
        last = self.layers[-1]
        if isinstance(last, Dense):
            if not last.built:
                last.build(tuple(h.shape))
            return last.logits(h), True
        return h, True  # a Softmax/Sigmoid layer: its input is the logits

    def _loss_value(self, y: np.ndarray, out: Tensor, logits: bool) -> Tensor:
        return self.loss.call_logits(y, out) if logits else self.loss(y, out)

    def _update_metrics(self, y: np.ndarray, out: np.ndarray, logits: bool) -> None:
        probs = None
        for m in self.metrics:
            if logits and not isinstance(m, _LOGIT_METRICS):
                if probs is None:
                    probs = _probabilities(out, self.loss.kind)
                m.update(y, probs, False)
            else:
                m.update(y, out, logits)

    def train_step(self, x: Any, y: Any) -> dict[str, float]:
        """One optimisation step on a batch: forward, loss, zero_grad, backward, step.

        Returns the batch's loss and the running metrics of the epoch.
        """
        self._require_compiled("train_step")
        if not isinstance(x, Tensor):
            x = Tensor(self._as_input(x))
        out, logits = self._forward_for_loss(x)
        loss = self._loss_value(y, out, logits)
        if loss.size != 1:
            raise ShapeError(
                f"train_step: the loss must be one number, but it has shape "
                f"{tuple(loss.shape)}; use reduction='mean' or 'sum'"
            )
        if not self.optimizer.params:
            self.optimizer.bind(self.parameters())  # built on this first call
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._update_metrics(y, out.data, logits)
        logs = {"loss": float(loss.data)}
        for m in self.metrics:
            logs[m.name] = m.result()
        return logs

    # --- data ------------------------------------------------------------------------------

    @staticmethod
    def _as_input(x: Any) -> np.ndarray:
        arr = np.asarray(getattr(x, "data", x))
        if arr.dtype != get_default_dtype():
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"inputs must be numeric. Received dtype {arr.dtype}")
            arr = arr.astype(get_default_dtype())
        return arr

    def _as_target(self, y: Any, n_outputs: int | None) -> np.ndarray:
        """Targets converted once: integer labels for sparse CE, the default float dtype
        otherwise, checked against the output layer so a mistake fails before training."""
        arr = np.asarray(getattr(y, "data", y))
        kind = self.loss.kind
        if n_outputs is not None:
            shape = (len(arr), n_outputs)
            if kind == "sparse":
                return losses_mod.sparse_labels(self.loss.name, arr, shape)
            if kind in ("binary", "categorical", "mse"):
                losses_mod._same_rank(self.loss.name, arr, _Shape(shape))  # raises on mismatch
        if kind in ("binary", "categorical"):
            losses_mod.check_probability_targets(self.loss.name, arr)
        # Built-in losses get float targets once here, not per batch; a custom loss keeps
        # integer labels as they are.
        convert = "biuf" if kind in ("binary", "categorical", "mse") else "f"
        if kind != "sparse" and arr.dtype != get_default_dtype() and arr.dtype.kind in convert:
            arr = arr.astype(get_default_dtype())
        return arr

    def _n_outputs(self) -> int | None:
        shape = self._input_shape()
        if shape is None:
            return None
        try:
            return self.compute_output_shape(shape)[-1]
        except ValueError:
            return None

    def _require_compiled(self, what: str) -> None:
        if self.loss is None or self.optimizer is None:
            raise RuntimeError(f"{what}: call model.compile(loss=..., optimizer=...) first")

    # --- fit / evaluate / predict ----------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int = 32,
        validation_split: float = 0.0,
        validation_data: tuple | None = None,
        shuffle: bool = True,
        verbose: int | str = 1,
        callbacks: list[Callback] | None = None,
        seed: int | None = None,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches of ``batch_size``.

        ``validation_split`` holds out that fraction of the samples, drawn at random (with
        ``seed``), never looked at in training; ``validation_data=(x_val, y_val)`` gives the
        held-out set directly. ``shuffle`` reorders the training samples every epoch. With
        ``seed`` the whole run (split and shuffles) is reproducible; without it nn's own
        generator is used (seeded by ``nn.set_seed``). ``verbose``: 0 silent, 1 a progress bar
        per epoch, 2 one line per epoch.

        Returns:
            A ``History``; ``history.history`` holds per-epoch ``loss``, the metrics and
            their ``val_`` forms.
        """
        self._require_compiled("fit")
        verbose = 1 if verbose == "auto" else verbose  # Keras's default spelling
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"fit expects a non-negative integer epochs. Received: {epochs!r}")
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"fit expects a positive integer batch_size. Received: batch_size={batch_size!r}"
            )
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(
                f"validation_split must be in [0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        x = self._as_input(x)
        if len(x) != len(np.asarray(getattr(y, "data", y))):
            raise ShapeError(
                f"fit: x has {len(x)} samples but y has "
                f"{len(np.asarray(getattr(y, 'data', y)))}; they must match"
            )
        self.build_from_data(x)
        y = self._as_target(y, self._n_outputs())
        rng = _seed.make_rng(seed)
        if validation_data is None and validation_split > 0.0:
            order = rng.permutation(len(x))
            n_val = int(round(len(x) * validation_split))
            if n_val == 0 or n_val == len(x):
                raise ValueError(
                    f"validation_split={validation_split} of {len(x)} samples "
                    f"leaves an empty training or validation set"
                )
            val_idx, train_idx = np.sort(order[-n_val:]), order[:-n_val]
            validation_data = (x[val_idx], y[val_idx])
            x, y = x[np.sort(train_idx)], y[np.sort(train_idx)]
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            xv = self._as_input(validation_data[0])
            yv = self._as_target(validation_data[1], self._n_outputs())
        if not self.optimizer.params:
            self.optimizer.bind(self.parameters())

        history = History()
        history.params = {
            "epochs": epochs,
            "steps": math.ceil(len(x) / batch_size),
            "verbose": verbose,
        }
        cbs = CallbackList([history] + list(callbacks or []), self)
        self.history = history
        self.stop_training = False
        self.train()
        n = len(x)
        n_batches = math.ceil(n / batch_size)
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            for m in self.metrics:
                m.reset()
            order = rng.permutation(n) if shuffle else None
            bar = None
            if verbose == 1:
                bar = tqdm(
                    total=n_batches,
                    desc=f"Epoch {epoch + 1}/{epochs}",
                    unit="batch",
                    leave=True,
                    dynamic_ncols=True,
                )
            total, seen = 0.0, 0
            for b in range(n_batches):
                if order is None:
                    xb, yb = (
                        x[b * batch_size : (b + 1) * batch_size],
                        y[b * batch_size : (b + 1) * batch_size],
                    )
                else:
                    idx = order[b * batch_size : (b + 1) * batch_size]
                    xb, yb = x[idx], y[idx]
                cbs.on_train_batch_begin(b)
                logs = self.train_step(xb, yb)
                total += logs["loss"] * len(xb)
                seen += len(xb)
                cbs.on_train_batch_end(b, logs)
                if bar is not None:
                    bar.update(1)
                    if b % 10 == 0 or b == n_batches - 1:
                        bar.set_postfix(_postfix({**logs, "loss": total / seen}), refresh=False)
            epoch_logs = {"loss": total / max(seen, 1)}
            for m in self.metrics:
                epoch_logs[m.name] = m.result()
            if validation_data is not None:
                val = self.evaluate(xv, yv, batch_size=max(batch_size, 256), return_dict=True)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
                self.train()
            if bar is not None:
                bar.set_postfix(_postfix(epoch_logs), refresh=True)
                bar.close()
            elif verbose == 2:
                print(
                    f"Epoch {epoch + 1}/{epochs} - "
                    + " - ".join(f"{k}: {v:.4f}" for k, v in epoch_logs.items())
                )
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end()
        self.eval()
        return history

    def evaluate(
        self, x: Any, y: Any, batch_size: int = 32, verbose: int = 0, return_dict: bool = False
    ) -> Any:
        """The loss (and metrics) on ``(x, y)``, in batches, without recording a graph.

        Returns the loss alone when there are no metrics, else ``[loss, metric, ...]`` (as
        Keras), or a dict with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        x = self._as_input(x)
        self.build_from_data(x)
        y = self._as_target(y, self._n_outputs())
        if len(x) != len(y):
            raise ShapeError(f"evaluate: x has {len(x)} samples but y has {len(y)}")
        was_training = self.training
        self.eval()
        for m in self.metrics:
            m.reset()
        total, seen = 0.0, 0
        steps = range(0, len(x), batch_size)
        with no_grad():
            for start in tqdm(steps, desc="evaluate", disable=verbose != 1, unit="batch"):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                out, logits = self._forward_for_loss(Tensor(xb))
                total += float(self._loss_value(yb, out, logits).data) * len(xb)
                seen += len(xb)
                self._update_metrics(yb, out.data, logits)
        self.train(was_training)
        logs = {"loss": total / max(seen, 1)}
        for m in self.metrics:
            logs[m.name] = m.result()
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """The model's outputs for ``x`` as an ndarray, in batches, without a graph."""
        x = self._as_input(x)
        self.build_from_data(x)
        was_training = self.training
        self.eval()
        outs = []
        with no_grad():
            for start in tqdm(
                range(0, len(x), batch_size), desc="predict", disable=verbose != 1, unit="batch"
            ):
                outs.append(self(Tensor(x[start : start + batch_size])).data)
        self.train(was_training)
        if not outs:
            return np.zeros(
                (0,) + tuple(self.compute_output_shape((None,) + x.shape[1:])[1:]),
                dtype=get_default_dtype(),
            )
        return np.concatenate(outs, axis=0)

    def draw(self, **kwargs: Any) -> Any:
        """The architecture as a diagram of layers of neurons (``nn.viz.draw_model``)."""
        from .viz import draw_model

        return draw_model(self, **kwargs)

    def extra_repr(self) -> str:
        return ""


_LOGIT_METRICS = (
    metrics_mod.BinaryAccuracy,
    metrics_mod.CategoricalAccuracy,
    metrics_mod.SparseCategoricalAccuracy,
    metrics_mod.Accuracy,
)


class _Shape:
    """Stands in for a Tensor where only ``.shape`` and ``.ndim`` are read."""

    def __init__(self, shape: tuple) -> None:
        self.shape, self.ndim = tuple(shape), len(shape)


def _probabilities(z: np.ndarray, kind: str) -> np.ndarray:
    if kind == "binary":
        return np.exp(-np.logaddexp(0.0, -z))  # stable sigmoid
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _postfix(logs: dict) -> dict:
    return {k: f"{v:.4f}" for k, v in logs.items()}
