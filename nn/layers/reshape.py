"""Reshape: each sample to a new shape."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import ShapeError

from .base import Layer


class Reshape(Layer):
    """Each sample reshaped to ``target_shape`` (the batch axis is kept); one entry may be
    -1, worked out from the others as numpy does."""

    def __init__(self, target_shape: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        ok = isinstance(target_shape, (tuple, list)) and all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and (n > 0 or n == -1)
            for n in target_shape
        )
        if not ok or list(target_shape).count(-1) > 1:
            raise ValueError(
                f"Reshape expects `target_shape` to be a tuple of positive integers, one of "
                f"which may be -1. Received: target_shape={target_shape!r}"
            )
        self.target_shape = tuple(int(n) for n in target_shape)
        self._build_from_input_shape()

    def _resolve(self, sample_shape: tuple) -> tuple | None:
        """``target_shape`` with its -1 worked out for samples of ``sample_shape`` (None when
        a size is unknown); raises when the sizes cannot match."""
        if None in sample_shape:
            return None
        size = math.prod(sample_shape)
        known = math.prod(n for n in self.target_shape if n != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                self._refuse(sample_shape)
            return tuple(size // known if n == -1 else n for n in self.target_shape)
        if known != size:
            self._refuse(sample_shape)
        return self.target_shape

    def _refuse(self, sample_shape: tuple) -> None:
        raise ShapeError(
            f"Reshape layer {self.name!r} cannot reshape samples of shape {sample_shape} "
            f"({math.prod(sample_shape)} values) to target_shape={self.target_shape}"
        )

    def build(self, input_shape: Any) -> None:
        self._resolve(tuple(input_shape)[1:])  # refuse a wrong size as soon as it is known
        self.built = True

    def forward(self, x: Tensor) -> Tensor:
        shape = self._resolve(tuple(x.shape[1:]))
        return x.reshape((x.shape[0],) + tuple(shape or self.target_shape))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        shape = self._resolve(input_shape[1:])
        if shape is None:  # a size unknown: so is the one -1 stands for
            shape = tuple(None if n == -1 else n for n in self.target_shape)
        return (input_shape[0],) + shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}

    def extra_repr(self) -> str:
        return f"target_shape={self.target_shape}"
