"""``Model``: Keras's compile / fit / evaluate / predict for any layer that computes ``self(x)``.

``train_step(x, y)`` is the one place that runs forward, loss, ``zero_grad``, ``backward`` and
``optimizer.step``; ``fit`` is the epoch and batch loop around it, ``evaluate`` and
``predict`` the loops around ``test_step`` and ``predict_step``.

The machinery knows a model only through ``self(x)`` and a few hooks, so that a subclass
says what is particular to it and nothing more:

- ``forward(x)`` computes the output (``Sequential``: each layer in turn);
- ``build(input_shape)`` creates what needs the input's shape (``Layer``'s deferred build);
- ``_output_layer()`` names the layer whose activation ends the model, which ``compile``
  checks against the loss and which loss fusion reads; ``None`` (the default) means unknown:
  no checks, no fusion;
- ``_forward_logits(x)`` gives that layer's logits (needed only when the loss is fused);
- ``_n_outputs()`` gives the output width when known before training, so that the targets
  are checked before the first step (``None`` by default).

A functional model (``Model(inputs, outputs)``) answers these hooks from its graph
(``functional.Graph``). Training steps run inside ``training_scope(True)`` and the others
inside ``training_scope(False)``, so Dropout and BatchNormalization know which they are in.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from autograd_core import Tensor, get_default_dtype, no_grad
from autograd_core.errors import ShapeError

from .. import _seed
from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .. import optimizers as optim_mod
from ..callbacks import Callback, CallbackList, History, ProgbarLogger, progress
from ..layers import InputLayer, Layer, Module
from ..layers.base import _unique_name, training_scope
from . import _compile
from ._data import (
    Inputs,
    as_input,
    as_int,
    as_target,
    batches,
    check_batch_size,
    check_finite,
    check_not_empty,
    check_same_length,
    sample_weights,
    split_validation,
)
from .functional import Graph


class Model(Layer):
    """A layer that trains: ``compile``, then ``fit``, ``evaluate`` and ``predict``.

    Three ways to make one:

    - ``Sequential([...])``: a stack of layers;
    - functional: ``nn.Model(inputs, outputs)``, where ``inputs`` come from ``nn.Input(...)``
      and ``outputs`` from calling layers on them (several inputs or outputs, branches, and
      merges with ``Add`` and ``Concatenate``); the model runs the recorded calls in order;
    - a subclass that creates its layers in ``__init__`` (calling ``super().__init__()``)
      and computes in ``call(self, x, training=False)`` (Keras) or ``forward(self, x)``
      (PyTorch); ``training`` is passed only when the method takes it.

    Sequential and functional models whose output comes from a Dense or activation layer
    get ``compile``'s output-layer checks and loss fusion; a subclass does not.
    """

    _graph: Graph | None = None
    _initial_epoch: int | None = None
    # A list of arrays is several inputs (Keras), for a subclass or a functional model with
    # several; a Sequential and a one-input functional model read it as one array.
    _lists_are_inputs = True

    def __init__(
        self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs: Any
    ) -> None:
        if isinstance(inputs, str) and outputs is None and name is None:
            inputs, name = None, inputs  # Model("name"), the spelling before functional models
        functional = inputs is not None or outputs is not None
        if functional and (inputs is None or outputs is None):
            raise ValueError(
                "A functional model needs both: nn.Model(inputs, outputs), with inputs from "
                f"nn.Input(...). Received: inputs={inputs!r}, outputs={outputs!r}"
            )
        super().__init__(name or (_unique_name("Functional") if functional else None), **kwargs)
        if functional:
            self._graph = Graph(inputs, outputs, self.name)
            self.layers = self._graph.layers
            self._list_input = self._lists_are_inputs = not self._graph.single_input
            self.built = True
        self.stop_training = False
        self.fuse_loss = True
        self.jit = False
        self._jitted: dict[str, Any] = {}
        self.loss: losses_mod.Loss | None = None
        self.optimizer: optim_mod.Optimizer | None = None
        self.metrics: list[metrics_mod.Metric] = []
        self.history: History | None = None

    # --- hooks a subclass provides ---------------------------------------------------------

    def _output_layer(self) -> Layer | None:
        """The layer whose activation ends the model, or None when it is not known."""
        return None if self._graph is None else self._graph.output_layer()

    def _forward_logits(self, x: Any) -> Tensor:
        """The output layer's logits for ``x`` (called only when the loss is fused)."""
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} does not expose its output logits")
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        self._graph.check_inputs(xs, self.name)
        return self._graph.run(xs, logits=True)[0]

    def _n_outputs(self) -> int | None:
        """The width of the output when known before any call, else None."""
        graph = self._graph
        if graph is None or not graph.single_output:
            return None
        return graph.outputs[0].shape[-1] if graph.outputs[0].shape else None

    def build_from_data(self, x: Any) -> None:
        """Build for inputs like ``x`` (``fit``, ``evaluate`` and ``predict`` do this)."""
        if not self.built:
            if isinstance(x, Inputs):
                self.build([(None,) + tuple(a.shape[1:]) for a in x.arrays])
            else:
                self.build((None,) + tuple(x.shape[1:]))
            self.built = True

    def build(self, input_shape: Any) -> None:
        """Build for inputs of ``input_shape``; the shape is remembered, so that
        ``load_model`` can build a subclassed model the same way."""
        self._build_input_shape = _batchless(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape``: a functional model's from its graph, else
        found by running one sample through."""
        if self._graph is None:
            return super().compute_output_shape(input_shape)
        shapes = self._graph.output_shapes()
        return shapes[0] if self._graph.single_output else shapes

    # --- what a model is made of -----------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """A functional model runs its graph; a subclass's ``call`` runs otherwise."""
        graph = self._graph
        if graph is None:
            return super().forward(*args, **kwargs)
        x = args[0]
        xs = list(x) if not graph.single_input and isinstance(x, (list, tuple)) else [x]
        graph.check_inputs(xs, self.name)
        outs = graph.run(xs)
        return outs[0] if graph.single_output else outs

    @property
    def layers(self) -> list[Module]:
        """The model's layers: a Sequential's stack, a functional model's layers in the
        order they run (its InputLayers first), else the layers held as attributes."""
        own = self.__dict__.get("layers")
        if own is not None:
            return own
        return [m for _, m in self.named_children()]

    @layers.setter
    def layers(self, value: list[Module]) -> None:
        self.__dict__["layers"] = value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Sub-modules with their names; a functional model's layers by layer name."""
        if self._graph is None:
            yield from super().named_children()
            return
        for layer in self._graph.layers:
            if not isinstance(layer, InputLayer):
                yield layer.name, layer

    def get_layer(self, name: str | None = None, index: int | None = None) -> Module:
        """A layer by ``name`` or by position ``index`` in ``layers`` (Keras's)."""
        layers = self.layers
        if (name is None) == (index is None):
            raise ValueError(
                f"get_layer expects a layer name or an index, one of them. "
                f"Received: name={name!r}, index={index!r}"
            )
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"get_layer expects an integer index. Received: index={index!r}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: asked for the layer at index {index} but model "
                    f"{self.name!r} has {len(layers)} layers"
                )
            return layers[index]
        for layer in layers:
            if getattr(layer, "name", None) == name:
                return layer
        names = [getattr(layer, "name", type(layer).__name__) for layer in layers]
        raise ValueError(f"get_layer: no layer named {name!r}. The layers are {names}")

    def _summary_rows(self) -> list[tuple]:
        if self._graph is None:
            return super()._summary_rows()
        rows = self._graph.summary_rows()
        return [r[:3] for r in rows] if self._graph.sequential_like() else rows

    # --- compile ---------------------------------------------------------------------------

    def compile(
        self,
        optimizer: str | optim_mod.Optimizer = "rmsprop",
        loss: str | losses_mod.Loss | Callable | None = None,
        metrics: list[str | metrics_mod.Metric] | None = None,
        fuse_loss: bool = True,
        jit: bool = False,
    ) -> None:
        """Choose the loss, the optimizer and the metrics to train with.

        Args:
            optimizer: a name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``, Keras's
                defaults) or an ``nn.optim`` optimizer (its parameters may be left out).
            loss: a name, an ``nn.losses.Loss`` or a function ``f(y_true, y_pred)``.
            metrics: names such as ``"accuracy"``, or ``nn.metrics.Metric`` objects.
            fuse_loss: with a softmax or sigmoid output and a cross-entropy loss, compute the
                loss from the output layer's logits in one stable op (as Keras does).
            jit: run ``fit``, ``evaluate`` and ``predict`` through compiled steps
                (``ag.compile``): each step is traced once per batch shape, then replayed as
                plain numpy. The results are the same.

        Raises:
            ValueError: when the output layer does not fit the loss (a softmax or sigmoid
                output with ``from_logits=True``, raw logits with a probability loss).
        """
        if loss is None:
            raise ValueError("compile expects a loss, e.g. loss='binary_crossentropy'")
        if next(iter(self.named_children()), None) is None and not self.parameters():
            raise ValueError("compile: the model has no layers yet")
        self.loss = losses_mod.get(loss)
        _compile.check_output_fits_loss(self.loss, self._output_layer())
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
        self.jit = bool(jit)
        self._jitted = {}

    def _require_compiled(self, what: str) -> tuple[losses_mod.Loss, optim_mod.Optimizer]:
        if self.loss is None or self.optimizer is None:
            raise RuntimeError(f"{what}: call model.compile(loss=..., optimizer=...) first")
        return self.loss, self.optimizer

    def _fused(self) -> bool:
        """True when training computes the loss from the output layer's logits."""
        if not self.fuse_loss or self.loss is None:
            return False
        layer = self._output_layer()
        return layer is not None and _compile.fuses(self.loss, layer)

    # --- one step --------------------------------------------------------------------------

    def _forward_for_loss(self, x: Any) -> tuple[Tensor, bool]:
        """The model's output, or the output layer's logits when the loss is fused."""
        if not self._fused():
            return self(x), False
        return self._forward_logits(x), True

    def _loss_value(
        self, y: np.ndarray, out: Tensor, logits: bool, sample_weight: Any = None
    ) -> Tensor:
        loss, _ = self._require_compiled("the loss")
        if sample_weight is None:
            return loss.call_logits(y, out) if logits else loss(y, out)
        # Keras's weighting: per-sample losses times the weights, summed, divided by the
        # number of samples (not by the sum of the weights) for the default reduction
        return losses_mod.weighted(loss.per_sample(y, out, logits), sample_weight, loss.reduction)

    def _update_metrics(self, y: np.ndarray, out: np.ndarray, logits: bool) -> None:
        probs = None
        for m in self.metrics:
            if logits and not isinstance(m, _compile.LOGIT_METRICS):
                if probs is None:  # computed once, for the metrics that need probabilities
                    loss, _ = self._require_compiled("metrics")
                    probs = _compile.probabilities(out, loss.kind)
                m.update(y, probs, False)
            else:
                m.update(y, out, logits)

    def _with_penalties(self, loss: Tensor) -> Tensor:
        # the weight penalties of the regularizers (model.losses), added as Keras does
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def _as_tensors(self, x: Any) -> Any:
        """Input data as the Tensor (or list of Tensors) the model is called on."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, Inputs):
            return [Tensor(a) for a in x.arrays]
        if self._several(x):
            return [t if isinstance(t, Tensor) else Tensor(as_input(t)) for t in x]
        return Tensor(as_input(x))

    def _several(self, x: Any) -> bool:
        """True when ``x`` holds several inputs: a list for a model with several inputs, or
        a list of arrays for a subclass (whose ``call`` may take a list)."""
        if not isinstance(x, (list, tuple)) or not x:
            return False
        if self._list_input:
            return True
        return self._lists_are_inputs and all(isinstance(e, (np.ndarray, Tensor)) for e in x)

    def _convert_input(self, x: Any) -> Any:
        if self._several(x):
            return [t if isinstance(t, Tensor) else Tensor(as_input(t)) for t in x]
        return super()._convert_input(x)

    def _as_inputs(self, x: Any) -> Any:
        """Input data converted once: an array, or ``Inputs`` for a model with several."""
        if isinstance(x, Inputs):
            return x
        if self._several(x):
            return Inputs([as_input(a) for a in x])
        return as_input(x)

    def _logs(self, loss: float) -> dict[str, float]:
        logs = {"loss": loss}
        for m in self.metrics:
            logs[m.name] = m.result()
        return logs

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
        """One optimisation step on a batch: forward, loss, zero_grad, backward, step.

        ``sample_weight`` (one weight per sample) weights the loss as Keras does; the
        metrics are not weighted (Keras's ``metrics``, not ``weighted_metrics``).
        Returns the batch's loss and the running metrics of the epoch.
        """
        if self._jit_ready(x, sample_weight):
            loss, out, logits = self._jitted_step("train", self._train_core)(x, y)
        else:
            loss, out, logits = self._train_core(self._as_tensors(x), y, sample_weight)
        self._update_metrics(y, out.data, logits)
        return self._logs(float(loss.data))

    def _train_core(self, x: Any, y: Any, sample_weight: Any = None) -> tuple:
        """A training step's recorded work, eager or traced by a compiled step: forward,
        loss, zero_grad, backward, step."""
        _, optimizer = self._require_compiled("train_step")
        if type(x) is np.ndarray:  # a compiled step's batch
            x = self._input_tensor(x)
        with training_scope(True):
            out, logits = self._forward_for_loss(x)
            loss = self._loss_value(y, out, logits, sample_weight)
            if loss.size != 1:
                raise ShapeError(
                    f"train_step: the loss must be one number, but it has shape "
                    f"{tuple(loss.shape)}; use reduction='mean' or 'sum'"
                )
            loss = self._with_penalties(loss)
        if not optimizer.params:
            optimizer.bind(self.parameters())  # built on this first call
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss, out, logits

    # --- compiled steps (compile(jit=True)) ------------------------------------------------

    def _jit_ready(self, x: Any, sample_weight: Any = None) -> bool:
        # (weighted batches run eagerly: the compiled steps take no weights)
        return self.jit and type(x) is np.ndarray and sample_weight is None

    def _jitted_step(self, kind: str, core: Callable) -> Any:
        step = self._jitted.get(kind)
        if step is None:
            import autograd_core as ag

            step = self._jitted[kind] = ag.compile(core)
        return step

    def _input_tensor(self, x: np.ndarray) -> Tensor:
        # (an op when the dtype differs, so that a compiled step converts each new batch)
        dtype = get_default_dtype()
        return Tensor(x) if x.dtype == dtype else Tensor(x).astype(dtype)

    def _test_core(self, x: Any, y: Any, sample_weight: Any = None) -> tuple:
        if type(x) is np.ndarray:  # a compiled step's batch
            x = self._input_tensor(x)
        with training_scope(False):
            out, logits = self._forward_for_loss(x)
            loss = self._with_penalties(self._loss_value(y, out, logits, sample_weight))
        return loss, out, logits

    def _predict_core(self, x: Any) -> Any:
        if type(x) is np.ndarray:  # a compiled step's batch
            x = self._input_tensor(x)
        with training_scope(False):
            return self(x)

    def test_step(self, x: Any, y: np.ndarray, sample_weight: Any = None) -> float:
        """The loss on one batch (weight penalties included, as Keras; weighted by
        ``sample_weight`` when given), adding the batch to the metrics (``evaluate`` calls
        it without recording a graph)."""
        if self._jit_ready(x, sample_weight):
            loss, out, logits = self._jitted_step("test", self._test_core)(x, y)
        else:
            loss, out, logits = self._test_core(self._as_tensors(x), y, sample_weight)
        self._update_metrics(y, out.data, logits)
        return float(loss.data)

    def predict_step(self, x: Any) -> Any:
        """The model's outputs for one batch, as an array (a list of arrays for several)."""
        if self._jit_ready(x):
            out = self._jitted_step("predict", self._predict_core)(x)
        else:
            out = self._predict_core(self._as_tensors(x))
        return [o.data for o in out] if isinstance(out, list) else out.data

    # --- one batch, Keras's *_on_batch -----------------------------------------------------

    def _batch_result(self, logs: dict[str, float], return_dict: bool) -> Any:
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    def train_on_batch(
        self,
        x: Any,
        y: Any,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        *,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """One training step on ``(x, y)`` (in training mode); returns the loss, or ``[loss,
        metric, ...]`` with metrics, or a dict with ``return_dict=True`` (Keras's). With
        ``reset_metrics`` the metrics are those of this batch alone. ``sample_weight`` or
        ``class_weight`` weight the loss as in ``fit``."""
        self._require_compiled("train_on_batch")
        x, y, w = self._data("train_on_batch", x, y, sample_weight, class_weight=class_weight)
        if reset_metrics:
            for m in self.metrics:
                m.reset()
        return self._batch_result(self.train_step(x, y, w), return_dict)

    def test_on_batch(
        self,
        x: Any,
        y: Any,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        *,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """The loss (and metrics) on ``(x, y)`` in inference mode, without a graph, weighted
        by ``sample_weight`` (or ``class_weight``) when given; returns as
        ``train_on_batch``."""
        self._require_compiled("test_on_batch")
        x, y, w = self._data("test_on_batch", x, y, sample_weight, class_weight=class_weight)
        if reset_metrics:
            for m in self.metrics:
                m.reset()
        with no_grad():
            loss = self.test_step(x, y, w)
        return self._batch_result(self._logs(loss), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for ``x`` as one batch, in inference mode: an ndarray."""
        x = self._as_inputs(x)
        self.build_from_data(x)
        with no_grad():
            return self.predict_step(x)

    # --- data ------------------------------------------------------------------------------

    def _as_target(self, y: Any) -> np.ndarray:
        loss, _ = self._require_compiled("the targets")
        if self._graph is not None and not self._graph.single_output:
            raise ValueError(
                f"Model {self.name!r} has {len(self._graph.outputs)} outputs; fit, evaluate "
                f"and the *_on_batch methods take models with one output (predict and calling "
                f"the model take several). Join the outputs with nn.Concatenate, or train "
                f"with an explicit loop on model(x)"
            )
        return as_target(y, loss, self._n_outputs())

    # --- fit / evaluate / predict ----------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int | None = 32,
        validation_split: float = 0.0,
        validation_data: tuple | None = None,
        shuffle: bool = True,
        verbose: int | str = 1,
        callbacks: list[Callback] | None = None,
        seed: int | None = None,
        initial_epoch: int = 0,
        class_weight: dict | None = None,
        sample_weight: Any = None,
    ) -> History:
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches of ``batch_size``.

        ``validation_split`` holds out that fraction of the samples, drawn at random (with
        ``seed``), never looked at in training; ``validation_data=(x_val, y_val)`` or
        ``(x_val, y_val, val_sample_weight)`` gives the held-out set directly. ``shuffle``
        reorders the training samples every epoch. With ``seed`` the whole run (split and
        shuffles) is reproducible; without it nn's own generator is used (seeded by
        ``nn.set_seed``). ``verbose``: 0 silent, 1 (or ``"auto"``) a progress bar per epoch
        on a terminal and one line per epoch elsewhere, 2 one line per epoch
        (``nn.callbacks.ProgbarLogger``, added unless ``callbacks`` has one).
        ``initial_epoch`` is the epoch to start from (to resume a run).

        ``sample_weight`` (one weight per sample) or ``class_weight`` (a dict from class
        index to weight) weight the training loss as Keras does: each sample's loss times
        its weight, summed over the batch and divided by the batch's size (not by the sum
        of the weights). Metrics are not weighted.

        Returns:
            A ``History``; ``history.history`` holds per-epoch ``loss``, the metrics and
            their ``val_`` forms.

        Raises:
            ValueError: for a bad argument (its name and value in the message): a batch
                size or epoch count that is not a positive integer, empty data, ``x`` and
                ``y`` of different lengths, NaN or infinite values in the data.
        """
        _, optimizer = self._require_compiled("fit")
        verbose = 1 if verbose == "auto" else verbose  # Keras's default spelling
        epochs = as_int("fit", "epochs", epochs, minimum=0)
        batch_size = check_batch_size("fit", batch_size)
        initial_epoch = as_int("fit", "initial_epoch", initial_epoch, minimum=0)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(
                f"validation_split must be in [0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        x, y, w = self._data("fit", x, y, sample_weight)
        rng = _seed.make_rng(seed)
        val: tuple[Any, np.ndarray, np.ndarray | None] | None = None
        if validation_data is None and validation_split > 0.0:
            (x, y, w), val = split_validation(x, y, validation_split, rng, w)
        elif validation_data is not None:
            val = self._validation_data(validation_data)
        # class weights are for the training samples only (Keras)
        w = sample_weights("fit", w, class_weight, y) if class_weight is not None else w
        if not optimizer.params:
            optimizer.bind(self.parameters())

        history = History()
        # Keras's order: the progress bar first, so that the epoch's line comes before what
        # callbacks print, and History last, so that it records what callbacks add to the
        # logs (the learning rate of ReduceLROnPlateau and LearningRateScheduler)
        every = list(callbacks or []) + [history]
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in every):
            every.insert(0, ProgbarLogger(verbose))
        params = {"epochs": epochs, "steps": math.ceil(len(x) / batch_size), "verbose": verbose}
        cbs = CallbackList(every, self, params)
        self.history = history
        self.stop_training = False
        self.train()
        n = len(x)
        self._initial_epoch = None
        cbs.on_train_begin()
        # a callback restoring an interrupted run (BackupAndRestore) says where to resume
        initial_epoch = self._initial_epoch or initial_epoch
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            for m in self.metrics:
                m.reset()
            order = rng.permutation(n) if shuffle else None
            total, seen = 0.0, 0
            for b, idx in enumerate(batches(n, batch_size, order)):
                xb, yb = x[idx], y[idx]
                cbs.on_train_batch_begin(b)
                logs = self.train_step(xb, yb) if w is None else self.train_step(xb, yb, w[idx])
                total += logs["loss"] * len(xb)
                seen += len(xb)
                cbs.on_train_batch_end(b, logs)
                if self.stop_training:  # Keras stops within the epoch (TerminateOnNaN)
                    break
            epoch_logs = self._logs(total / max(seen, 1))
            if val is not None:
                val_logs = self._evaluate_loop(*val, max(batch_size, 256), 0)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                self.train()
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end()
        self.eval()
        return history

    def _validation_data(self, data: Any) -> tuple:
        """fit's ``validation_data``, ``(x, y)`` or ``(x, y, sample_weight)``, checked."""
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            n = f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""
            what = f"a {type(data).__name__}{n}"
            raise ValueError(
                f"fit expects validation_data as (x_val, y_val) or (x_val, y_val, "
                f"val_sample_weight). Received: validation_data={what}"
            )
        return self._data(
            "fit", data[0], data[1], data[2] if len(data) == 3 else None, "validation_data"
        )

    def _data(
        self,
        who: str,
        x: Any,
        y: Any,
        sample_weight: Any,
        name: str = "",
        class_weight: Any = None,
    ) -> tuple[Any, np.ndarray, np.ndarray | None]:
        """Inputs, targets and weights converted once and checked before any step: not
        empty, as many targets (and weights) as inputs, no NaN or infinity. ``name`` names
        a tuple holding them (``validation_data``) in the messages."""
        names = (f"{name}[0]", f"{name}[1]", f"{name}[2]") if name else ("x", "y", "sample_weight")
        x = self._as_inputs(x)
        check_not_empty(who, names[0], x)
        check_same_length(who, names[0], x, names[1], np.asarray(getattr(y, "data", y)))
        check_finite(who, names[0], x)
        self.build_from_data(x)
        y = self._as_target(y)
        check_finite(who, names[1], y)
        return x, y, sample_weights(who, sample_weight, class_weight, y, names[2])

    def _evaluate_loop(
        self, x: Any, y: np.ndarray, w: np.ndarray | None, batch_size: int, verbose: Any
    ) -> dict[str, float]:
        """The loss (weighted by the batches' sizes, as Keras) and metrics over checked data."""
        was_training = self.training
        self.eval()
        for m in self.metrics:
            m.reset()
        total, seen = 0.0, 0
        steps = math.ceil(len(x) / batch_size)
        with no_grad():
            for idx in progress(batches(len(x), batch_size), steps, "evaluate", verbose):
                xb, yb = x[idx], y[idx]
                loss = self.test_step(xb, yb) if w is None else self.test_step(xb, yb, w[idx])
                total += loss * len(xb)
                seen += len(xb)
        self.train(was_training)
        return self._logs(total / max(seen, 1))

    def evaluate(
        self,
        x: Any,
        y: Any,
        batch_size: int | None = 32,
        verbose: int = 0,
        sample_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """The loss (and metrics) on ``(x, y)``, in batches, without recording a graph; the
        loss weighted by ``sample_weight`` as in ``fit`` when given.

        Returns the loss alone when there are no metrics, else ``[loss, metric, ...]`` (as
        Keras), or a dict with ``return_dict=True``. Bad arguments raise as in ``fit``.
        """
        self._require_compiled("evaluate")
        batch_size = check_batch_size("evaluate", batch_size)
        x, y, w = self._data("evaluate", x, y, sample_weight)
        logs = self._evaluate_loop(x, y, w, batch_size, verbose)
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    def predict(self, x: Any, batch_size: int | None = 32, verbose: int = 0) -> Any:
        """The model's outputs for ``x`` as an ndarray, in batches, without a graph (a list
        of ndarrays for a model with several outputs). A batch size that is not a positive
        integer, or NaN or infinite inputs, raise a ValueError naming them."""
        batch_size = check_batch_size("predict", batch_size)
        x = self._as_inputs(x)
        check_finite("predict", "x", x)
        self.build_from_data(x)
        was_training = self.training
        self.eval()
        outs = []
        steps = math.ceil(len(x) / batch_size)
        with no_grad():
            for idx in progress(batches(len(x), batch_size), steps, "predict", verbose):
                outs.append(self.predict_step(x[idx]))
        self.train(was_training)
        if not outs:
            return np.zeros(
                (0,) + tuple(self.compute_output_shape((None,) + x.shape[1:])[1:]),
                dtype=get_default_dtype(),
            )
        if isinstance(outs[0], list):  # several outputs: each joined over the batches
            return [np.concatenate(parts, axis=0) for parts in zip(*outs, strict=True)]
        return np.concatenate(outs, axis=0)

    # --- saving ----------------------------------------------------------------------------

    def save(self, path: str, overwrite: bool = True) -> None:
        """Write the whole model to exactly ``path``, atomically: one safetensors file with
        the architecture (JSON in its metadata), the weights, the compile settings and the
        optimizer's state. ``nn.models.load_model(path)`` rebuilds it."""
        from ..saving import save_model

        _check_overwrite(path, overwrite)
        save_model(self, path)

    def save_weights(self, path: str, overwrite: bool = True) -> None:
        """Write the weights alone to exactly ``path`` (``load_weights`` reads them back
        into a model built in code)."""
        from ..saving import save_weights

        _check_overwrite(path, overwrite)
        save_weights(self, path)

    def get_config(self) -> dict[str, Any]:
        """A functional model's layers and graph (each layer call and what it was called
        on); a subclass's constructor arguments (``Layer.get_config``)."""
        if self._graph is None:
            return super().get_config()
        return {"name": self.name, "trainable": self.trainable, **self._graph.get_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A model from ``get_config``'s dict (a functional model's layers and graph rebuilt
        from registered classes), without its weights."""
        if "nodes" not in config:
            return super().from_config(config)
        from .functional import graph_from_config

        inputs, outputs = graph_from_config(config)
        model = cls(inputs, outputs, name=config.get("name"))
        if config.get("trainable") is False:
            model.trainable = False
        return model

    def draw(self, **kwargs: Any) -> Any:
        """The architecture as a diagram of layers of neurons (``nn.viz.draw_model``)."""
        from ..viz import draw_model

        return draw_model(self, **kwargs)


def _batchless(shape: Any) -> Any:
    """``shape`` (or a list of shapes) with the batch axis as None, as plain lists."""
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return [_batchless(s) for s in shape]
    shape = list(shape)
    return [None] + [None if n is None else int(n) for n in shape[1:]] if shape else []


def _check_overwrite(path: Any, overwrite: bool) -> None:
    import os

    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"save: {os.fspath(path)!r} exists and overwrite=False")
