"""Embedding: integer indices to rows of a trained table."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import ShapeError
from autograd_core.jit import record_call

from .. import initializers, regularizers
from .base import Layer


def _positive(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and bool(value > 0)


class Embedding(Layer):
    """Row ``i`` of ``embeddings`` (shape ``(input_dim, output_dim)``) for each index ``i``
    of the input: ``(batch, ...)`` integers in ``[0, input_dim)`` give ``(batch, ...,
    output_dim)``.

    The gradient is the engine's indexing gradient: each row gets the sum of the gradients at
    the places it was picked. Float inputs holding whole numbers are accepted (``fit``
    converts inputs to floats); anything else raises. ``embeddings_initializer`` defaults to
    Keras's ``"uniform"`` (±0.05); ``input_length`` (Keras 2) is ``input_shape=(n,)``;
    ``mask_zero`` must stay False (no layer reads masks).
    The table exists from construction on.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        input_length: int | None = None,
        mask_zero: bool = False,
        name: str | None = None,
        rng: np.random.Generator | None = None,
        **kwargs: Any,
    ) -> None:
        if input_length is not None:
            if not _positive(input_length):
                raise ValueError(
                    f"Embedding expects a positive integer `input_length` (or None). "
                    f"Received: input_length={input_length!r}"
                )
            kwargs.setdefault("input_shape", (int(input_length),))
        super().__init__(name, rng, **kwargs)
        if mask_zero:
            raise ValueError(
                "Embedding: masking is not supported (no layer here reads a mask). "
                "Received: mask_zero=True"
            )
        for key, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not _positive(value):
                raise ValueError(
                    f"Embedding expects a positive integer `{key}`. Received: {key}={value!r}"
                )
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.input_length = None if input_length is None else int(input_length)
        self._init_config = initializers.serialize(embeddings_initializer)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings = self._param(
            "embeddings",
            self.embeddings_initializer((self.input_dim, self.output_dim), self.rng),
            self.embeddings_regularizer,
        )
        self.built = True

    def _convert_input(self, x: Any) -> Any:
        # integer indices stay integers (the base class would make them floats)
        return Tensor(np.asarray(x))

    def _indices(self, idx: np.ndarray) -> np.ndarray:
        if idx.dtype.kind == "f":
            if not np.all(np.isfinite(idx)) or not np.array_equal(idx, np.round(idx)):
                raise ValueError(
                    f"Embedding layer {self.name!r} expects integer indices. Received "
                    f"non-integer values of dtype {idx.dtype}"
                )
            idx = idx.astype(np.intp)
        elif idx.dtype.kind not in "iu":
            raise ValueError(
                f"Embedding layer {self.name!r} expects integer indices. Received dtype {idx.dtype}"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            raise ValueError(
                f"Embedding layer {self.name!r} has input_dim={self.input_dim}: indices must "
                f"lie in [0, {self.input_dim}). Received values from {idx.min()} to {idx.max()}"
            )
        return idx

    def forward(self, x: Tensor) -> Tensor:
        # (recorded: a compiled step checks and converts each batch's indices)
        return self.embeddings[record_call(self._indices, x)]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not tuple(input_shape):
            raise ShapeError(f"Embedding layer {self.name!r} needs a batch axis")
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.input_length is not None:
            config.pop("input_shape", None)
            config["input_length"] = self.input_length
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=self._init_config,
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
        )
        return config

    def extra_repr(self) -> str:
        return f"input_dim={self.input_dim}, output_dim={self.output_dim}"
