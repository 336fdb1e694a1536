"""``Module`` (parameters found from attributes, PyTorch style) and ``Layer`` (Keras-style build).

Also ``parameter`` and ``is_parameter``, and the session-wide layer names (``dense``,
``dense_1``, ...).

A parameter is a plain autograd_core ``Tensor`` that requires grad and carries a ``name``,
so a model's graph draws and gradchecks like any other computation.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from autograd_core import Tensor, get_default_dtype, graph_scope
from autograd_core.grad_mode import recording

from .. import _seed


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

    training: bool = True

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
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if is_parameter(value):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if is_parameter(item):
                        yield f"{key}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(name, parameter)`` pairs, names dotted like PyTorch's (``fc1.bias``, ``0.kernel``);
        a parameter shared by two modules is listed once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        # An explicit walk in definition order: own parameters first, then each child's.
        order: list[tuple[str, Tensor]] = []
        while stack:
            pre, mod = stack.pop()
            for key, p in mod._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    order.append((pre + key, p))
            children = list(mod.named_children())
            for key, child in reversed(children):
                stack.append((f"{pre}{key}.", child))
        yield from order

    def parameters(self) -> list[Tensor]:
        """The trainable Tensors, in a stable order (ready for an optimizer)."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        stack: list[Module] = [self]
        while stack:
            mod = stack.pop()
            yield mod
            stack.extend(reversed([c for _, c in mod.named_children()]))

    def count_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.parameters()))

    # --- training state --------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (set to None, as PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Put this module and its sub-modules in training mode (``eval()`` undoes it)."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put this module and its sub-modules in inference mode."""
        return self.train(False)

    # --- weights ---------------------------------------------------------------------------

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """A copy of every parameter's array, keyed by ``named_parameters`` names."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters, in place.

        Everything is checked before anything is written, so a missing or unexpected name, or
        a shape that does not match, raises a ``ValueError`` and changes nothing.
        """
        from ..saving import check_state

        params = dict(self.named_parameters())
        arrays = check_state(params, state, strict, where=type(self).__name__)
        for name, arr in arrays.items():
            params[name].data[...] = arr

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters' arrays, in ``parameters()`` order (Keras's name)."""
        return [p.data.copy() for p in self.parameters()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set every parameter from a list in ``parameters()`` order; checked before writing."""
        names = [name for name, _ in self.named_parameters()]
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights expects {len(names)} arrays ({names}). Received: {len(weights)}"
            )
        self.load_state_dict(dict(zip(names, weights, strict=True)))

    def save(self, path: str) -> None:
        """Write the parameters to exactly ``path`` (safetensors format, atomically)."""
        from ..saving import save_weights

        save_weights(self, path)

    def load(self, path: str) -> None:
        """Read parameters saved by ``save`` into this module, in place; a damaged or
        mismatched file raises and changes nothing."""
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

    def _summary_rows(self) -> list[tuple[str, str, int]]:
        """(layer, output shape, parameter count) rows for ``summary``."""
        rows = []
        for key, child in self.named_children():
            rows.append((f"{key} ({type(child).__name__})", "?", child.count_params()))
        return rows

    def summary(self, print_fn: Callable[[str], Any] | None = None, line_length: int = 65) -> None:
        """Print a table of the layers, their output shapes and parameter counts (as Keras)."""
        rows = self._summary_rows()
        # Keras's column widths, widened for long names
        w1 = max([27] + [len(r[0]) for r in rows]) + 2
        w2 = max([24] + [len(r[1]) for r in rows]) + 2
        width = max(line_length, w1 + w2 + 10)
        name = getattr(self, "name", type(self).__name__)
        total = self.count_params()
        out = [f'Model: "{name}"', "_" * width]
        out.append(f"{'Layer (type)':<{w1}}{'Output Shape':<{w2}}Param #")
        out.append("=" * width)
        for i, (label, shape, count) in enumerate(rows):
            out.append(f"{label:<{w1}}{shape:<{w2}}{count:,}")
            out.append("=" * width if i == len(rows) - 1 else "_" * width)
        if not rows:
            out.append("=" * width)
        out += [
            f"Total params: {total:,}",
            f"Trainable params: {total:,}",
            "Non-trainable params: 0",
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


class Layer(Module):
    """A Module that creates its parameters in ``build`` once it knows its input's shape.

    ``__call__`` builds on the first call (Keras's deferred build), converts numpy input to a
    Tensor, runs ``forward`` and then any forward hooks.
    """

    def __init__(self, name: str | None = None, rng: np.random.Generator | None = None) -> None:
        self.name = name or _unique_name(type(self).__name__)
        self.built = False
        self._rng = rng
        self._forward_hooks: list[Callable] = []

    @property
    def rng(self) -> np.random.Generator:
        """The generator initializers draw from (nn's own, seeded by ``nn.set_seed``)."""
        return self._rng if self._rng is not None else _seed.get_rng()

    def build(self, input_shape: tuple) -> None:
        """Create the parameters for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The output shape for ``input_shape`` (batch axis may be None)."""
        return tuple(input_shape)

    def register_forward_hook(self, hook: Callable[[Layer, Tensor, Tensor], Any]) -> Callable:
        """Call ``hook(layer, input, output)`` after each forward; returns a remover."""
        self._forward_hooks.append(hook)

        def remove() -> None:
            if hook in self._forward_hooks:  # removing twice is harmless
                self._forward_hooks.remove(hook)

        return remove

    def __call__(self, x: Any) -> Tensor:
        if type(x) is not Tensor and not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=get_default_dtype()))
        if not self.built:
            self.build(tuple(x.shape))
            self.built = True
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

    def graph_label(self) -> str:
        """The title of this layer's cluster in drawn graphs: ``Dense(784→512, relu)``."""
        units, n_in = getattr(self, "units", None), getattr(self, "input_dim", None)
        act = getattr(self, "activation_name", None)
        if units is not None:
            inner = f"{'?' if n_in is None else n_in}→{units}" + (f", {act}" if act else "")
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}({act})" if act else f"{self.name} ({type(self).__name__})"

    def _param(self, key: str, array: np.ndarray) -> Tensor:
        """Make parameter ``key`` named ``<layer name>/<key>`` (shown in drawn graphs)."""
        return parameter(array, name=f"{self.name}/{key}")
