"""One random generator for everything random in nn (initializers, shuffling, splits)."""

from __future__ import annotations

import random

import numpy as np

_rng = np.random.default_rng()


def set_seed(seed: int) -> None:
    """Seed every source of randomness nn uses, like Keras's ``set_random_seed``.

    Also seeds Python's ``random`` and NumPy's legacy global generator, so user code that
    draws from them is reproducible too.
    """
    global _rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_seed expects a non-negative integer. Received: seed={seed!r}")
    seed = int(seed)
    _rng = np.random.default_rng(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def get_rng() -> np.random.Generator:
    """The generator nn draws from (replaced by ``set_seed``)."""
    return _rng


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A generator for ``seed``: a fresh seeded one, the one given, or nn's own when None."""
    if seed is None:
        return _rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
