"""``Input(shape)``: where a functional model starts, and ``InputLayer``, the layer behind it."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor, get_default_dtype

from ._symbolic import Node, SymbolicTensor
from .base import Layer, as_shape


class InputLayer(Layer):
    """The layer an ``Input`` comes from: it holds the shape of one sample and the dtype.

    It has no parameters; a functional model hands it the data it is called on. In a
    ``Sequential`` it gives the input shape, so every layer builds at once.
    """

    def __init__(
        self,
        shape: Any = None,
        dtype: Any = None,
        name: str | None = None,
        *,
        input_shape: Any = None,
        **kwargs: Any,
    ) -> None:
        if shape is None:  # Keras 2 spelled it input_shape
            shape, input_shape = input_shape, None
        if shape is None:
            raise ValueError(
                "InputLayer expects the shape of one sample, e.g. shape=(784,). "
                "Received: shape=None"
            )
        super().__init__(name, input_shape=shape, **kwargs)
        self.shape: tuple = self._input_shape_arg or ()
        try:
            self.dtype = np.dtype(dtype or get_default_dtype())
        except TypeError:
            raise ValueError(f"InputLayer: unknown dtype. Received: dtype={dtype!r}") from None
        self.built = True
        node = Node(self, [], False, None, 0)
        self._inbound_nodes = [node]
        self.output = SymbolicTensor((None,) + tuple(self.shape), self.dtype, self.name, node)
        node.outputs.append(self.output)

    def forward(self, x: Tensor) -> Tensor:
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("input_shape", None)
        return {**config, "shape": self.shape, "dtype": self.dtype.name}

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


def Input(  # noqa: N802 - Keras's name for this function
    shape: Any = None, dtype: Any = None, name: str | None = None, batch_shape: Any = None
) -> SymbolicTensor:
    """A symbolic input of one sample's ``shape`` (no batch axis), for functional models:

    ``x = nn.Input(shape=(784,)); y = nn.Dense(10)(x); model = nn.Model(x, y)``.

    ``batch_shape`` (Keras's) is the shape with the batch axis first; its batch size is not
    kept. ``dtype`` defaults to the default float dtype; integer indices for an
    ``Embedding`` may use ``dtype="int64"``.
    """
    if shape is None and batch_shape is not None:
        shape = tuple(as_shape(batch_shape, "Input", "batch_shape"))[1:]
    return InputLayer(shape, dtype, name).output
