"""Concatenate: a list of inputs joined along one axis."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.errors import ShapeError

from ._merge import Merge
from ._symbolic import shape_text


class Concatenate(Merge):
    """``Concatenate(axis=-1)([a, b, ...])``: the inputs joined along ``axis`` (counted with
    the batch axis, as in Keras), their other sizes equal."""

    _min_inputs = 1

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Concatenate expects an integer `axis`. Received: axis={axis!r}")
        self.axis = int(axis)

    def forward(self, inputs: list[Tensor]) -> Tensor:
        inputs = self._check_list(inputs)
        return ag.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._shapes(input_shape)
        ndim = len(shapes[0])
        if any(len(s) != ndim for s in shapes) or not -ndim <= self.axis < ndim:
            self._refuse(shapes)
        axis = self.axis % ndim
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s, strict=True)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    self._refuse(shapes)
        return tuple(out)

    def _refuse(self, shapes: list) -> None:
        raise ShapeError(
            f"Concatenate layer {self.name!r} (axis={self.axis}) needs inputs of one rank "
            f"whose sizes agree except on that axis. Received shapes {shape_text(shapes)}"
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
