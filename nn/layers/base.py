"""``Module`` (parameters found from attributes, PyTorch style) and ``Layer`` (Keras-style build).

Also ``parameter`` and ``is_parameter``, the session-wide layer names (``dense``,
``dense_1``, ...), and the rule that says whether a layer runs in training mode.

A parameter is a plain autograd_core ``Tensor`` that requires grad and carries a ``name``,
so a model's graph draws and gradchecks like any other computation. A frozen parameter
(``layer.trainable = False``) stops requiring grad, so it gets no gradient and no optimizer
moves it (PyTorch's model); it is still listed by ``parameters()`` and saved. A buffer
(BatchNormalization's moving statistics) is state saved with the weights, never trained.

Training or inference (what Dropout and BatchNormalization ask), in this order:

1. the layer's own ``training=`` argument, when given;
2. else the ``training=`` of a call around it: a model or layer called with ``training=...``
   passes it to every layer it runs; ``fit`` and ``train_on_batch`` run their steps with
   ``training=True``, ``evaluate``, ``predict``, ``test_on_batch`` and ``predict_on_batch``
   with ``training=False`` (Keras);
3. else the layer's mode: ``train()`` / ``eval()`` set it on a module and everything inside
   (PyTorch). A new layer is in inference mode, as a Keras layer called directly is.
"""

from __future__ import annotations

import inspect
import re
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from autograd_core import Tensor, get_default_dtype, graph_scope, increment_version, no_grad
from autograd_core.errors import CompileError
from autograd_core.grad_mode import recording, tracing
from autograd_core.jit import add_guard, note_cleared, note_state, record_call, register_context

from .. import _seed, _tracking
from ._symbolic import call_layer, involves

# The training= of the innermost call that gave one (fit's steps give one too), else None.
_TRAINING: ContextVar[bool | None] = ContextVar("nn_training", default=None)
_TRAINING.set(None)  # (held by this context, a read is cached: see autograd_core.grad_mode)
register_context(_TRAINING.get)  # a compiled step is traced per training scope
_NONE: dict = {}


@contextmanager
def training_scope(training: bool) -> Iterator[None]:
    """Run the layers called inside in training (True) or inference (False) mode, unless a
    call inside gives its own ``training=``."""
    token = _TRAINING.set(bool(training))
    try:
        yield
    finally:
        _TRAINING.reset(token)


@contextmanager
def _no_scope() -> Iterator[None]:
    yield


def parameter(data: np.ndarray, name: str | None = None) -> Tensor:
    """A trainable Tensor: ``data`` in the default float dtype, ``requires_grad=True``, named."""
    arr = np.ascontiguousarray(data, dtype=get_default_dtype())
    return Tensor(arr, requires_grad=True, name=name)


def is_parameter(value: Any) -> bool:
    """True for what Module treats as a parameter: a leaf Tensor that requires grad."""
    return isinstance(value, Tensor) and value.requires_grad and value.is_leaf


class Module:
    """Base class of layers and models: ``__call__`` runs ``forward``.

    Sub-modules and parameters assigned as attributes, or held in lists and tuples, are found
    by ``parameters()`` and ``named_parameters()`` (attributes starting with ``_`` are private
    and skipped).
    """

    training: bool = False  # inference until train(): see the module docstring

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # --- discovery -------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names (``blocks.0`` for list items)."""
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if isinstance(value, Module):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{key}.{i}", item

    def _own_parameters(self) -> Iterator[tuple[str, Tensor]]:
        # a frozen parameter no longer requires grad: its attribute name says what it is
        frozen = self.__dict__.get("_param_keys", _NONE)
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if is_parameter(value) or (key in frozen and isinstance(value, Tensor)):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if is_parameter(item) or (f"{key}.{i}" in frozen and isinstance(item, Tensor)):
                        yield f"{key}.{i}", item

    def _own_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for key in self.__dict__.get("_buffer_keys", _NONE):
            value = self.__dict__.get(key)
            if isinstance(value, Tensor):
                yield key, value

    def _walk(
        self, own: Callable[[Module], Iterable[tuple[str, Tensor]]], prefix: str
    ) -> list[tuple[str, Tensor]]:
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        # An explicit walk in definition order: own tensors first, then each child's.
        order: list[tuple[str, Tensor]] = []
        while stack:
            pre, mod = stack.pop()
            for key, p in own(mod):
                if id(p) not in seen:
                    seen.add(id(p))
                    order.append((pre + key, p))
            children = list(mod.named_children())
            for key, child in reversed(children):
                stack.append((f"{pre}{key}.", child))
        return order

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(name, parameter)`` pairs, names dotted like PyTorch's (``fc1.bias``, ``0.kernel``);
        a parameter shared by two modules is listed once. Frozen parameters are included."""
        yield from self._walk(Module._own_parameters, prefix)

    def parameters(self) -> list[Tensor]:
        """The parameters (frozen ones included, as PyTorch), in a stable order.

        The list remembers this module: an optimizer built from it before some layer is built
        (a layer without ``input_dim`` builds on its first call) takes in that layer's
        parameters when they are made.
        """
        params = _tracking.ParameterList([p for _, p in self.named_parameters()], self)
        _tracking.listed(self, params)
        return params

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(name, buffer)`` pairs: state saved with the weights but not trained (PyTorch's
        buffers, Keras's non-trainable weights such as ``moving_mean``)."""
        yield from self._walk(Module._own_buffers, prefix)

    def buffers(self) -> list[Tensor]:
        """The buffers, in a stable order."""
        return [b for _, b in self.named_buffers()]

    def named_weights(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Parameters and buffers together, module by module: what ``state_dict`` and
        ``save`` hold."""
        yield from self._walk(lambda m: chain(m._own_parameters(), m._own_buffers()), prefix)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        stack: list[Module] = [self]
        while stack:
            mod = stack.pop()
            yield mod
            stack.extend(reversed([c for _, c in mod.named_children()]))

    def count_params(self) -> int:
        """Total number of scalar weights: parameters, frozen or not, and buffers (Keras)."""
        return int(sum(t.size for _, t in self.named_weights()))

    # --- training state --------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (set to None, as PyTorch's default)."""
        if tracing() is not None:  # inside ag.compile's trace: a step of the program
            note_cleared([p for _, p in self.named_parameters()])
            return record_call(self.zero_grad)
        for _, p in self.named_parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Put this module and its sub-modules in training mode (``eval()`` undoes it)."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put this module and its sub-modules in inference mode."""
        return self.train(False)

    @property
    def trainable(self) -> bool:
        """Whether training may change this module's parameters (Keras's flag).

        Setting it sets it on every module inside. ``False`` freezes the parameters: they
        stop requiring grad, so backward gives them no gradient and neither ``fit`` nor an
        optimizer's ``step`` moves them; ``summary()`` counts them as non-trainable.
        """
        return bool(self.__dict__.get("_trainable", True))

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for m in list(self.modules()):
            m._set_trainable(bool(value))

    def _set_trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = value
        keys = self.__dict__.setdefault("_param_keys", {})
        for key, p in list(self._own_parameters()):
            keys[key] = None  # found by name from now on, whether it requires grad or not
            if p.is_leaf:
                p.requires_grad = value

    # --- weights ---------------------------------------------------------------------------

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """A copy of every parameter's and buffer's array, keyed by ``named_weights`` names."""
        return OrderedDict((name, t.data.copy()) for name, t in self.named_weights())

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers, in place.

        Everything is checked before anything is written, so a missing or unexpected name, or
        a shape that does not match, raises a ``ValueError`` and changes nothing.
        """
        from ..saving import check_state

        weights = dict(self.named_weights())
        arrays = check_state(weights, state, strict, where=type(self).__name__)
        for name, arr in arrays.items():
            weights[name].data[...] = arr
        # a graph recorded before the load reads the old values: it must raise at backward
        increment_version(*(weights[name] for name in arrays))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights' arrays (parameters and buffers), in ``named_weights`` order
        (Keras's name)."""
        return [t.data.copy() for _, t in self.named_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set every weight from a list in ``get_weights`` order; checked before writing."""
        names = [name for name, _ in self.named_weights()]
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights expects {len(names)} arrays ({names}). Received: {len(weights)}"
            )
        self.load_state_dict(dict(zip(names, weights, strict=True)))

    def save(self, path: str) -> None:
        """Write the weights to exactly ``path`` (safetensors format, atomically); a model
        writes its architecture and optimizer state too (``Model.save``)."""
        from ..saving import save_weights

        save_weights(self, path)

    def save_weights(self, path: str) -> None:
        """Write the weights alone to exactly ``path`` (safetensors format, atomically)."""
        from ..saving import save_weights

        save_weights(self, path)

    def load(self, path: str) -> None:
        """Read the weights of a file written by ``save`` or ``save_weights`` into this
        module, in place; a damaged or mismatched file raises and changes nothing."""
        from ..saving import load_weights

        load_weights(self, path)

    def load_weights(self, path: str) -> None:
        """The same as ``load``: the weights of either kind of file, in place, checked
        first."""
        from ..saving import load_weights

        load_weights(self, path)

    # --- display ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The configuration shown inside ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for key, child in children:
            inner = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({key}): {inner}")
        return "\n".join(lines) + "\n)"

    def _summary_rows(self) -> list[tuple]:
        """(layer, output shape, parameter count[, connected to]) rows for ``summary``."""
        rows = []
        for key, child in self.named_children():
            rows.append((f"{key} ({type(child).__name__})", "?", child.count_params()))
        return rows

    def summary(self, print_fn: Callable[[str], Any] | None = None, line_length: int = 65) -> None:
        """Print a table of the layers, their output shapes and parameter counts (as Keras),
        then the total and how much of it trains."""
        rows = self._summary_rows()
        connected = any(len(r) > 3 for r in rows)  # functional models: where inputs come from
        # Keras's column widths, widened for long names
        w1 = max([27] + [len(r[0]) for r in rows]) + 2
        w2 = max([24] + [len(r[1]) for r in rows]) + 2
        w3 = max([9] + [len(f"{r[2]:,}") for r in rows]) + 2
        width = max(line_length, w1 + w2 + w3 + (max(len(r[3]) for r in rows) if connected else 0))
        name = getattr(self, "name", type(self).__name__)
        total = self.count_params()
        trainable = int(sum(p.size for _, p in self.named_parameters() if p.requires_grad))
        out = [f'Model: "{name}"', "_" * width]
        head = f"{'Layer (type)':<{w1}}{'Output Shape':<{w2}}"
        out.append(head + (f"{'Param #':<{w3}}Connected to" if connected else "Param #"))
        out.append("=" * width)
        for i, row in enumerate(rows):
            line = f"{row[0]:<{w1}}{row[1]:<{w2}}"
            line += f"{row[2]:<{w3},}{row[3]}" if connected else f"{row[2]:,}"
            out.append(line.rstrip())
            out.append("=" * width if i == len(rows) - 1 else "_" * width)
        if not rows:
            out.append("=" * width)
        out += [
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
            "_" * width,
        ]
        (print_fn or print)("\n".join(out))


_name_counts: dict[str, int] = {}


def _unique_name(cls_name: str) -> str:
    # Keras names layers dense, dense_1, dense_2, ... per class, for the whole session.
    base = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls_name)
    base = re.sub(r"([a-z])([A-Z])", r"\1_\2", base).lower()
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _takes_training(fn: Callable) -> bool:
    """True when ``fn`` accepts a ``training`` keyword (or any keyword)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in params)


def as_shape(shape: Any, who: str, arg: str) -> tuple:
    """``shape`` as a tuple of positive ints (None for a size not known); an int is a
    1-tuple. Raises ``ValueError`` naming ``who`` and the argument ``arg`` otherwise."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    ok = isinstance(shape, (tuple, list)) and all(
        n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0)
        for n in shape
    )
    if not ok:
        raise ValueError(
            f"{who} expects `{arg}` to be a tuple of positive integers (None for a size not "
            f"known), without the batch axis. Received: {arg}={shape!r}"
        )
    return tuple(None if n is None else int(n) for n in shape)


def _probe_shape(layer: Layer, input_shape: Any) -> Any:
    """The output shape of ``layer`` found by running it on zeros (unknown sizes taken as 1)."""

    def zeros(shape: tuple) -> Tensor:
        return Tensor(np.zeros([1 if n is None else n for n in shape], get_default_dtype()))

    def shape_of(t: Any, batch: Any) -> Any:
        if isinstance(t, (list, tuple)):
            return [shape_of(e, batch) for e in t]
        return (batch,) + tuple(t.shape[1:])

    if isinstance(input_shape, list):
        x: Any = [zeros(s) for s in input_shape]
        batch = input_shape[0][0] if input_shape else None
    else:
        x = zeros(tuple(input_shape))
        batch = input_shape[0] if len(input_shape) else None
    with no_grad(), training_scope(False):
        return shape_of(layer.forward(x), batch)


class Layer(Module):
    """A Module that creates its parameters in ``build`` once it knows its input's shape.

    ``__call__`` builds on the first call (Keras's deferred build), converts numpy input to a
    Tensor, runs ``forward`` and then any forward hooks. Called on a symbolic tensor (from
    ``nn.Input``) it records the call instead, for a functional model.

    Every layer takes ``name``, ``input_shape`` (the shape of one sample: with it the layer
    builds at once, and a ``Sequential`` whose first layer has it builds every layer) and
    ``trainable``. Define the computation as ``forward(self, x)`` or, Keras's spelling,
    ``call(self, inputs, training=False)``; ``training``, decided by the rule above, is
    passed only to methods that take it.
    """

    _forward_takes_training = True  # this class's forward hands training on to call
    _call_takes_training = False
    _list_input = False  # True for layers taking a list of inputs (Add, Concatenate, ...)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._forward_takes_training = _takes_training(cls.forward)
        cls._call_takes_training = _takes_training(cls.call)

    def __init__(
        self,
        name: str | None = None,
        rng: np.random.Generator | None = None,
        *,
        input_shape: Any = None,
        trainable: bool = True,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"A layer's name must be a string. Received: name={name!r}")
        self.name = name or _unique_name(type(self).__name__)
        self.built = False
        self._rng = rng
        self._forward_hooks: list[Callable] = []
        self._param_keys: dict[str, None] = {}
        self._buffer_keys: dict[str, None] = {}
        self._regularizers: dict[str, Callable] = {}
        self._batch_input_shape: tuple | None = None  # (None,) + one sample's shape
        self._input_shape_arg: tuple | None = None
        if input_shape is not None:
            self._input_shape_arg = as_shape(input_shape, type(self).__name__, "input_shape")
            self._batch_input_shape = (None,) + self._input_shape_arg
        if not trainable:
            self._trainable = False

    @property
    def rng(self) -> np.random.Generator:
        """The generator initializers draw from (nn's own, seeded by ``nn.set_seed``)."""
        return self._rng if self._rng is not None else _seed.get_rng()

    def build(self, input_shape: Any) -> None:
        """Create the parameters for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def _build_from_input_shape(self) -> None:
        """Build at once when the constructor was given ``input_shape`` (its last step)."""
        if self._batch_input_shape is not None and not self.built:
            self.build(self._batch_input_shape)
            self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape`` (batch axis may be None); unless a layer
        says, found by running it once on zeros of that shape."""
        return _probe_shape(self, input_shape)

    def register_forward_hook(self, hook: Callable[[Layer, Tensor, Tensor], Any]) -> Callable:
        """Call ``hook(layer, input, output)`` after each forward; returns a remover."""
        self._forward_hooks.append(hook)

        def remove() -> None:
            if hook in self._forward_hooks:  # removing twice is harmless
                self._forward_hooks.remove(hook)

        return remove

    def __call__(self, x: Any, training: bool | None = None) -> Any:
        if type(x) is not Tensor and not isinstance(x, Tensor):
            if involves(x):
                return call_layer(self, x, training)
            x = self._convert_input(x)
        if not self.built:
            self.build([tuple(t.shape) for t in x] if isinstance(x, list) else tuple(x.shape))
            self.built = True
        if tracing() is not None:
            self._traced_call()
        if training is not None or self._forward_takes_training:
            return self._call_training(x, training)
        if recording():
            # Tag the ops this layer records, so drawn graphs group them into one cluster.
            with graph_scope(owner=self):
                y = self.forward(x)
        else:
            y = self.forward(x)
        if self._forward_hooks:
            for hook in self._forward_hooks:
                hook(self, x, y)
        return y

    def _traced_call(self) -> None:
        """Inside ag.compile's trace: the program reads this layer's weights as the tensors
        it holds now, so it holds while the layer keeps them (a weight assigned a new tensor
        traces again); forward hooks, Python run on each call, are refused."""
        if self._forward_hooks:
            raise CompileError(
                f"ag.compile: layer {self.name!r} has forward hooks, Python that runs on each "
                f"call; a compiled step would skip them. Remove them (the handle's remove()) "
                f"or run this model eagerly"
            )
        d = self.__dict__
        keys = [*d.get("_param_keys", ()), *d.get("_buffer_keys", ())]
        if not keys:
            return
        objs: list = [d]
        parts = []
        for k in keys:
            objs += [k, d.get(k)]
            parts.append(f"{{0}}.get({{{len(objs) - 2}}}) is {{{len(objs) - 1}}}")
        held = [(k, d.get(k)) for k in keys]
        add_guard(
            lambda: all([d.get(k) is t for k, t in held]),
            f"{self.name} holds the same weight tensors",
            " and ".join(parts),
            tuple(objs),
        )

    def _call_training(self, x: Any, training: bool | None) -> Any:
        # A forward that takes training gets it decided (see the module docstring); a call
        # with training=... also passes it to the layers it runs (Keras's call context).
        kwargs = {"training": self._is_training(training)} if self._forward_takes_training else {}
        with training_scope(bool(training)) if training is not None else _no_scope():
            if recording():
                with graph_scope(owner=self):
                    y = self.forward(x, **kwargs)
            else:
                y = self.forward(x, **kwargs)
        for hook in self._forward_hooks:
            hook(self, x, y)
        return y

    def _convert_input(self, x: Any) -> Any:
        """Numpy input (or a list of inputs, for layers that take a list) as Tensors."""
        if self._list_input and isinstance(x, (list, tuple)):
            return [e if isinstance(e, Tensor) else self._convert_input(e) for e in x]
        a = np.asarray(x)
        dtype = get_default_dtype()
        if a.dtype == dtype or a.dtype.kind not in "biuf":
            return Tensor(np.asarray(a, dtype=dtype))
        # the conversion as an op, so that a compiled step converts each new batch
        return Tensor(a).astype(dtype)

    def _is_training(self, training: bool | None = None) -> bool:
        """Whether to run in training mode: the argument, else the call around, else the
        mode (see the module docstring)."""
        if training is not None:
            return bool(training)
        around = _TRAINING.get()
        if around is None:
            if tracing() is not None:  # ag.compile: the trace holds while the flag does
                mode = self.training
                add_guard(lambda: self.training == mode, f"{self.name}.training is {mode}")
            return self.training
        return around

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output: runs ``call`` (Keras's spelling) unless a subclass defines
        ``forward`` (PyTorch's)."""
        if type(self).call is Layer.call:
            raise NotImplementedError(
                f"{type(self).__name__} must define call(self, inputs) (Keras) or "
                f"forward(self, x) (PyTorch)"
            )
        training = kwargs.pop("training", None)
        if self._call_takes_training:
            kwargs["training"] = self._is_training(training)
        return self.call(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The computation in Keras's spelling, ``call(self, inputs, training=False)``."""
        raise NotImplementedError(f"{type(self).__name__} must define call() or forward()")

    # --- weights ---------------------------------------------------------------------------

    def _param(self, key: str, array: np.ndarray, regularizer: Callable | None = None) -> Tensor:
        """Make parameter ``key`` named ``<layer name>/<key>`` (shown in drawn graphs); it
        requires grad unless the layer is frozen, and ``regularizer`` adds its penalty to
        ``losses``."""
        p = parameter(array, name=f"{self.name}/{key}")
        if not self.trainable:
            p.requires_grad = False
        self.__dict__.setdefault("_param_keys", {})[key] = None
        if regularizer is not None:
            self.__dict__.setdefault("_regularizers", {})[key] = regularizer
        _tracking.created(p, self)
        note_state((p,))  # (built inside a compiled step's first call: read on later calls)
        return p

    def _buffer(self, key: str, array: np.ndarray) -> Tensor:
        """Make buffer ``key``: state in the default dtype, saved but never trained."""
        arr = np.ascontiguousarray(array, dtype=get_default_dtype())
        self.__dict__.setdefault("_buffer_keys", {})[key] = None
        t = Tensor(arr, name=f"{self.name}/{key}")
        note_state((t,))
        return t

    def add_weight(
        self,
        name: str | None = None,
        shape: Any = None,
        initializer: Any = "glorot_uniform",
        trainable: bool = True,
        regularizer: Any = None,
    ) -> Tensor:
        """Make a weight and keep it as attribute ``name`` (Keras's ``add_weight``, for
        custom layers' ``build``): a parameter, or a buffer when ``trainable=False``."""
        from .. import initializers, regularizers

        key = name or "variable"
        base, n = key, 0
        while key in self.__dict__ and not isinstance(self.__dict__[key], Tensor):
            n += 1
            key = f"{base}_{n}"
        arr = initializers.get(initializer)(as_shape(tuple(shape or ()), "add_weight", "shape"))
        if trainable:
            t = self._param(key, arr, regularizers.get(regularizer))
        else:
            t = self._buffer(key, arr)
        setattr(self, key, t)
        return t

    @property
    def weights(self) -> list[Tensor]:
        """Parameters and buffers (Keras's ``weights``)."""
        return [t for _, t in self.named_weights()]

    @property
    def trainable_weights(self) -> list[Tensor]:
        """The parameters that train (they require grad)."""
        return [p for _, p in self.named_parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        """Frozen parameters and the buffers."""
        frozen = [p for _, p in self.named_parameters() if not p.requires_grad]
        return frozen + self.buffers()

    @property
    def losses(self) -> list[Tensor]:
        """The weight penalties of every layer inside (``kernel_regularizer=`` and the
        like), each a scalar Tensor computed from the current weights (Keras's
        ``model.losses``); ``fit`` adds them to the training loss. Frozen weights add none."""
        out = []
        for m in self.modules():
            for key, reg in m.__dict__.get("_regularizers", _NONE).items():
                w = m.__dict__.get(key)
                if isinstance(w, Tensor) and w.requires_grad:
                    out.append(reg(w))
        return out

    # --- configuration ---------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments as JSON-able values: ``type(layer)(**config)``
        rebuilds the layer (without its weights)."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.__dict__.get("_input_shape_arg") is not None:
            config["input_shape"] = self._input_shape_arg
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new layer from ``get_config``'s dict."""
        return cls(**config)

    def graph_label(self) -> str:
        """The title of this layer's cluster in drawn graphs: ``Dense(784→512, relu)``."""
        units, n_in = getattr(self, "units", None), getattr(self, "input_dim", None)
        act = getattr(self, "activation_name", None)
        if units is not None:
            inner = f"{'?' if n_in is None else n_in}→{units}" + (f", {act}" if act else "")
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}({act})" if act else f"{self.name} ({type(self).__name__})"
