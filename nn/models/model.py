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
from ._data import Inputs, as_input, as_target, batches, split_validation
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

    def _loss_value(self, y: np.ndarray, out: Tensor, logits: bool) -> Tensor:
        loss, _ = self._require_compiled("the loss")
        return loss.call_logits(y, out) if logits else loss(y, out)

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

    def train_step(self, x: Any, y: Any) -> dict[str, float]:
        """One optimisation step on a batch: forward, loss, zero_grad, backward, step.

        Returns the batch's loss and the running metrics of the epoch.
        """
        _, optimizer = self._require_compiled("train_step")
        if self._jit_ready(x):
            loss_t, out_t, logits = self._jitted_step("train", self._train_core)(x, y)
            self._update_metrics(y, out_t.data, logits)
            return self._logs(float(loss_t.data))
        x = self._as_tensors(x)
        with training_scope(True):
            out, logits = self._forward_for_loss(x)
            loss = self._loss_value(y, out, logits)
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
        self._update_metrics(y, out.data, logits)
        return self._logs(float(loss.data))

    # --- compiled steps (compile(jit=True)) ------------------------------------------------

    def _jit_ready(self, x: Any) -> bool:
        return self.jit and type(x) is np.ndarray

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

    def _train_core(self, x: np.ndarray, y: Any) -> tuple:
        """What a compiled training step records: forward, loss, zero_grad, backward, step."""
        _, optimizer = self._require_compiled("train_step")
        with training_scope(True):
            out, logits = self._forward_for_loss(self._input_tensor(x))
            loss = self._loss_value(y, out, logits)
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

    def _test_core(self, x: np.ndarray, y: Any) -> tuple:
        with training_scope(False):
            out, logits = self._forward_for_loss(self._input_tensor(x))
            loss = self._with_penalties(self._loss_value(y, out, logits))
        return loss, out, logits

    def _predict_core(self, x: np.ndarray) -> Any:
        with training_scope(False):
            return self(self._input_tensor(x))

    def test_step(self, x: Any, y: np.ndarray) -> float:
        """The loss on one batch (weight penalties included, as Keras), adding the batch to
        the metrics (``evaluate`` calls it without recording a graph)."""
        if self._jit_ready(x):
            loss_t, out_t, logits = self._jitted_step("test", self._test_core)(x, y)
            self._update_metrics(y, out_t.data, logits)
            return float(loss_t.data)
        with training_scope(False):
            out, logits = self._forward_for_loss(self._as_tensors(x))
            loss = float(self._with_penalties(self._loss_value(y, out, logits)).data)
        self._update_metrics(y, out.data, logits)
        return loss

    def predict_step(self, x: Any) -> Any:
        """The model's outputs for one batch, as an array (a list of arrays for several)."""
        if self._jit_ready(x):
            out = self._jitted_step("predict", self._predict_core)(x)
            return [o.data for o in out] if isinstance(out, list) else out.data
        with training_scope(False):
            out = self(self._as_tensors(x))
        return [o.data for o in out] if isinstance(out, list) else out.data

    # --- one batch, Keras's *_on_batch -----------------------------------------------------

    def _batch_result(self, logs: dict[str, float], return_dict: bool) -> Any:
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    def train_on_batch(
        self, x: Any, y: Any, *, reset_metrics: bool = True, return_dict: bool = False
    ) -> Any:
        """One training step on ``(x, y)`` (in training mode); returns the loss, or ``[loss,
        metric, ...]`` with metrics, or a dict with ``return_dict=True`` (Keras's). With
        ``reset_metrics`` the metrics are those of this batch alone."""
        self._require_compiled("train_on_batch")
        x = self._as_inputs(x)
        self.build_from_data(x)
        y = self._as_target(y)
        if reset_metrics:
            for m in self.metrics:
                m.reset()
        return self._batch_result(self.train_step(x, y), return_dict)

    def test_on_batch(
        self, x: Any, y: Any, *, reset_metrics: bool = True, return_dict: bool = False
    ) -> Any:
        """The loss (and metrics) on ``(x, y)`` in inference mode, without a graph; returns
        as ``train_on_batch``."""
        self._require_compiled("test_on_batch")
        x = self._as_inputs(x)
        self.build_from_data(x)
        y = self._as_target(y)
        if reset_metrics:
            for m in self.metrics:
                m.reset()
        with no_grad():
            loss = self.test_step(x, y)
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
        generator is used (seeded by ``nn.set_seed``). ``verbose``: 0 silent, 1 (or ``"auto"``)
        a progress bar per epoch on a terminal and one line per epoch elsewhere, 2 one line
        per epoch (``nn.callbacks.ProgbarLogger``, added unless ``callbacks`` has one).

        Returns:
            A ``History``; ``history.history`` holds per-epoch ``loss``, the metrics and
            their ``val_`` forms.
        """
        _, optimizer = self._require_compiled("fit")
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
        x = self._as_inputs(x)
        if len(x) != len(np.asarray(getattr(y, "data", y))):
            raise ShapeError(
                f"fit: x has {len(x)} samples but y has "
                f"{len(np.asarray(getattr(y, 'data', y)))}; they must match"
            )
        self.build_from_data(x)
        y = self._as_target(y)
        rng = _seed.make_rng(seed)
        if validation_data is None and validation_split > 0.0:
            (x, y), validation_data = split_validation(x, y, validation_split, rng)
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            xv = self._as_inputs(validation_data[0])
            yv = self._as_target(validation_data[1])
        if not optimizer.params:
            optimizer.bind(self.parameters())

        history = History()
        every = [history] + list(callbacks or [])
        if verbose and not any(isinstance(cb, ProgbarLogger) for cb in every):
            # right after History, so that the epoch's line comes before what callbacks print
            every.insert(1, ProgbarLogger(verbose))
        params = {"epochs": epochs, "steps": math.ceil(len(x) / batch_size), "verbose": verbose}
        cbs = CallbackList(every, self, params)
        self.history = history
        self.stop_training = False
        self.train()
        n = len(x)
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            for m in self.metrics:
                m.reset()
            order = rng.permutation(n) if shuffle else None
            total, seen = 0.0, 0
            for b, idx in enumerate(batches(n, batch_size, order)):
                xb, yb = x[idx], y[idx]
                cbs.on_train_batch_begin(b)
                logs = self.train_step(xb, yb)
                total += logs["loss"] * len(xb)
                seen += len(xb)
                cbs.on_train_batch_end(b, logs)
            epoch_logs = self._logs(total / max(seen, 1))
            if validation_data is not None:
                val = self.evaluate(xv, yv, batch_size=max(batch_size, 256), return_dict=True)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
                self.train()
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
        x = self._as_inputs(x)
        self.build_from_data(x)
        y = self._as_target(y)
        if len(x) != len(y):
            raise ShapeError(f"evaluate: x has {len(x)} samples but y has {len(y)}")
        was_training = self.training
        self.eval()
        for m in self.metrics:
            m.reset()
        total, seen = 0.0, 0
        steps = math.ceil(len(x) / batch_size)
        with no_grad():
            for idx in progress(batches(len(x), batch_size), steps, "evaluate", verbose):
                xb, yb = x[idx], y[idx]
                total += self.test_step(xb, yb) * len(xb)
                seen += len(xb)
        self.train(was_training)
        logs = self._logs(total / max(seen, 1))
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """The model's outputs for ``x`` as an ndarray, in batches, without a graph (a list
        of ndarrays for a model with several outputs)."""
        x = self._as_inputs(x)
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

    def draw(self, **kwargs: Any) -> Any:
        """The architecture as a diagram of layers of neurons (``nn.viz.draw_model``)."""
        from ..viz import draw_model

        return draw_model(self, **kwargs)
