"""Flatten: each sample's axes joined into one."""

from __future__ import annotations

import math
from typing import Any

from autograd_core import Tensor

from .base import Layer


class Flatten(Layer):
    """``(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)``; a batch of scalars becomes
    ``(batch, 1)``, as in Keras."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._build_from_input_shape()

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = tuple(input_shape)[1:]
        size = None if None in rest else math.prod(rest)
        return (tuple(input_shape)[0], size)
