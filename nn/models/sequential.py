"""``Sequential``: a stack of layers, each applied to the output of the one before.

What is particular to a stack lives here: its layers (``add``, ``pop``, indexing), building
them one after the other, the summary's rows, and which layer is the output layer (the last,
for ``compile``'s checks and loss fusion). Training comes from ``Model``.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from autograd_core import Tensor, get_default_dtype, no_grad

from ..layers import Dense, InputLayer, Layer, Module
from ..layers._symbolic import SymbolicTensor, shape_text
from ..layers.base import as_shape
from .model import Model


def _shape_text(shape: tuple | None) -> str:
    return "? (unbuilt)" if shape is None else shape_text(shape)


class Sequential(Model):
    """Layers applied one after the other: ``Sequential([Dense(4, input_dim=2), ...])``.

    If the input's shape is known (the first layer's ``input_dim`` or ``input_shape``, or an
    ``nn.Input(shape)`` first in the list) every layer is built at once, so
    ``model.parameters()`` is ready for an optimizer; otherwise the model builds on its first
    call (or ``model.build((None, features))``).
    """

    _lists_are_inputs = False  # one input: a list is rows of it

    def __init__(
        self, layers: Iterable[Any] | None = None, name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.layers = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    # --- structure -------------------------------------------------------------------------

    def add(self, layer: Any) -> None:
        """Append a layer (built at once when the input shape is known). An ``nn.Input``
        (or ``InputLayer``) first gives the input shape."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self.layers or self._input_layer is not None:
                raise ValueError(
                    f"Sequential {self.name!r}: an Input can only come first, before any layer"
                )
            self._input_layer = layer
            return
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add expects a layer (an nn.Module). Received: {layer!r}")
        name = getattr(layer, "name", None)
        if name is not None and any(getattr(other, "name", None) == name for other in self.layers):
            raise ValueError(
                f"Sequential {self.name!r} already has a layer named {name!r}; the layers of "
                f"a model need unique names (give name=...), and a layer cannot be added twice"
            )
        self.layers.append(layer)
        shape = self._input_shape()
        if shape is not None:
            self.build(shape)

    def pop(self) -> Module:
        """Remove the last layer and return it (Keras's ``pop``)."""
        if not self.layers:
            raise IndexError("Sequential.pop: the model has no layers to remove")
        return self.layers.pop()

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by position (``0``, ``1``, ...) as PyTorch's Sequential."""
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    # --- building --------------------------------------------------------------------------

    def _input_shape(self) -> tuple | None:
        if self._input_layer is not None:
            return tuple(self._input_layer.output.shape)
        first = self.layers[0] if self.layers else None
        shape = getattr(first, "_batch_input_shape", None)
        if shape is not None:
            return tuple(shape)
        dim = getattr(first, "input_dim", None)
        return (None, dim) if dim is not None else None

    def build(self, input_shape: Any) -> None:
        """Build every layer for inputs of ``input_shape`` (batch axis first, may be None)."""
        shape = tuple(input_shape)
        self._build_input_shape = [None] + list(shape[1:])  # kept in get_config
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

    def compute_output_shape(self, input_shape: Any) -> Any:
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

    # --- configuration ---------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The name, the layers (each ``{"class_name", "registered_name", "config"}``, an
        ``Input`` first when it was given) and the input shape it was built for."""
        from ..saving import serialize_layer

        layers = ([self._input_layer] if self._input_layer is not None else []) + self.layers
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [serialize_layer(layer) for layer in layers],
            "build_input_shape": self.__dict__.get("_build_input_shape"),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """A Sequential from ``get_config``'s dict, its layers made from registered classes
        (without weights) and built when the input shape is known."""
        from ..saving import SerializationError, deserialize_layer

        entries = config.get("layers", [])
        if not isinstance(entries, list):
            raise SerializationError(
                f"Sequential config: `layers` must be a list. Received: {entries!r}"
            )
        model = cls(name=config.get("name"))
        for i, entry in enumerate(entries):
            model.add(deserialize_layer(entry, f"layer {i} of Sequential {model.name!r}"))
        shape = config.get("build_input_shape")
        if shape is not None and not model.built and model.layers:
            model.build(
                (None,) + tuple(as_shape(list(shape)[1:], "Sequential", "build_input_shape"))
            )
        if config.get("trainable") is False:
            model.trainable = False
        return model

    # --- what Model asks of a subclass -----------------------------------------------------

    def _output_layer(self) -> Layer | None:
        last = self.layers[-1] if self.layers else None
        return last if isinstance(last, Layer) else None

    def _forward_logits(self, x: Tensor) -> Tensor:
        h = x
        for layer in self.layers[:-1]:
            h = layer(h)
        last = self.layers[-1]
        if isinstance(last, Dense):
            if not last.built:
                last.build(tuple(h.shape))
            return last.logits(h)
        return h  # a Softmax/Sigmoid layer: its input is the logits

    def _n_outputs(self) -> int | None:
        shape = self._input_shape()
        if shape is None:
            return None
        try:
            return self.compute_output_shape(shape)[-1]
        except ValueError:
            return None

    def _summary_rows(self) -> list[tuple]:
        shape = self._input_shape()
        rows = []
        for layer in self.layers:
            if shape is not None and isinstance(layer, Layer):
                shape = layer.compute_output_shape(shape)
            else:
                shape = None  # unknown from here on
            label = f"{getattr(layer, 'name', '?')} ({type(layer).__name__})"
            rows.append((label, _shape_text(shape), layer.count_params()))
        return rows
