"""Add: the elementwise sum of a list of inputs."""

from __future__ import annotations

from typing import Any

from autograd_core import Tensor
from autograd_core.errors import ShapeError

from ._merge import Merge
from ._symbolic import shape_text


class Add(Merge):
    """``Add()([a, b, ...])`` is ``a + b + ...``; the inputs have one shape (an axis of size
    1 broadcasts, as in Keras)."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)

    def forward(self, inputs: list[Tensor]) -> Tensor:
        inputs = self._check_list(inputs)
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        out = list(shapes[0])
        for s in shapes[1:]:
            if len(s) != len(out):
                self._refuse(shapes)
            for i, (a, b) in enumerate(zip(out, s, strict=True)):
                if a is None or b is None:
                    out[i] = None
                elif a == 1 or b == 1:
                    out[i] = max(a, b)
                elif a != b:
                    self._refuse(shapes)
        return tuple(out)

    def _refuse(self, shapes: list) -> None:
        raise ShapeError(
            f"Add layer {self.name!r} needs inputs of one shape (or sizes of 1 that "
            f"broadcast). Received shapes {shape_text(shapes)}"
        )
