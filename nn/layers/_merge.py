"""What the merge layers share: a list of inputs, checked when the layer is built."""

from __future__ import annotations

from typing import Any

from autograd_core.errors import ShapeError

from ._symbolic import shape_text
from .base import Layer


class Merge(Layer):
    """Base of the layers that combine a list of inputs (``Add``, ``Concatenate``)."""

    _list_input = True
    _min_inputs = 2

    def _shapes(self, input_shape: Any) -> list[tuple]:
        """The list of input shapes, or a ``ValueError`` naming the layer."""
        if not isinstance(input_shape, list) or len(input_shape) < self._min_inputs:
            got = (
                f"{len(input_shape)} input(s)"
                if isinstance(input_shape, list)
                else f"a single input of shape {shape_text(input_shape)}"
            )
            raise ShapeError(
                f"{type(self).__name__} layer {self.name!r} takes a list of at least "
                f"{self._min_inputs} inputs: {type(self).__name__}()([a, b]). Received: {got}"
            )
        return [tuple(s) for s in input_shape]

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)  # refuse shapes that do not fit, by name
        self.built = True

    def _check_list(self, x: Any) -> list:
        # built for a list, then called on something else
        self._shapes([tuple(t.shape) for t in x] if isinstance(x, list) else tuple(x.shape))
        return x
