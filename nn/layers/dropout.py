"""Dropout: inverted dropout, active in training only."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from autograd_core import Tensor, get_default_dtype
from autograd_core.jit import record_call

from .base import Layer


class Dropout(Layer):
    """In training, each unit is set to 0 with probability ``rate`` and the others are scaled
    by ``1 / (1 - rate)`` (inverted dropout), so nothing changes at inference, where the
    layer is the identity.

    ``noise_shape`` (Keras's): the shape of the mask, broadcast over the input (None takes
    the input's size on that axis); ``(None, 1)`` drops whole rows of a ``(batch, n)``
    input. The masks come from the layer's own generator, seeded with ``seed``, or without
    it from Python's ``random`` when the layer is made, which ``nn.set_seed`` seeds (as
    Keras seeds its layers); either way the draws leave nn's other randomness (initial
    weights, shuffles) as it was.

    Training or inference is decided as for every layer: ``training=``, else the call around
    (``fit`` trains, ``evaluate`` and ``predict`` do not), else ``train()`` / ``eval()``.
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Any = None,
        seed: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        if (
            isinstance(rate, bool)
            or not isinstance(rate, (int, float, np.integer, np.floating))
            or not 0.0 <= rate <= 1.0
        ):
            raise ValueError(
                f"Dropout expects `rate` to be a number between 0 and 1 (the fraction of "
                f"units dropped). Received: rate={rate!r}"
            )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):
            raise ValueError(
                f"Dropout expects a non-negative integer `seed` (or None). Received: seed={seed!r}"
            )
        if noise_shape is not None and not (
            isinstance(noise_shape, (tuple, list))
            and all(n is None or (isinstance(n, int) and n > 0) for n in noise_shape)
        ):
            raise ValueError(
                f"Dropout expects `noise_shape` to be a tuple of positive integers or None. "
                f"Received: noise_shape={noise_shape!r}"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = None if seed is None else int(seed)
        own = random.getrandbits(64) if seed is None else self.seed
        self._generator = np.random.default_rng(own)
        self._build_from_input_shape()

    def forward(self, x: Tensor, training: bool | None = None) -> Tensor:
        if self.rate == 0.0 or not self._is_training(training):
            return x
        # (a recorded call: a compiled step draws a fresh mask from the generator each time)
        return x * record_call(self._mask, x.shape, x.dtype)

    def _mask(self, shape: tuple, dtype: Any = None) -> np.ndarray:
        """The mask for one training call: ``1 / (1 - rate)`` where a unit is kept, 0 where
        it is dropped. This is the layer's only random draw."""
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ValueError(
                    f"Dropout layer {self.name!r} has noise_shape={self.noise_shape}, which "
                    f"does not fit an input of shape {tuple(shape)}"
                )
            shape = tuple(
                n if m is None else m for n, m in zip(shape, self.noise_shape, strict=True)
            )
        rng = self._generator
        dtype = np.dtype(dtype or get_default_dtype())
        keep = rng.random(shape, dtype=np.float32) >= self.rate
        scale = 1.0 / (1.0 - self.rate) if self.rate < 1.0 else 0.0
        return keep.astype(dtype) * dtype.type(scale)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }

    def extra_repr(self) -> str:
        return f"rate={self.rate}"
