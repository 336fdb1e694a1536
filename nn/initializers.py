"""Weight initializers with Keras's names and formulas.

Each initializer is called as ``init(shape, rng, dtype)`` and returns a new ndarray. For a
kernel of shape ``(fan_in, fan_out)`` the scaled ones draw with variance ``scale / fan``:
Glorot uses ``fan = (fan_in + fan_out) / 2`` and scale 1, He ``fan_in`` and scale 2, LeCun
``fan_in`` and scale 1. The normal forms draw from a normal truncated at two standard
deviations, as Keras does.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograd_core import get_default_dtype

Shape = tuple[int, ...]

# Standard deviation of a standard normal truncated to [-2, 2]; dividing by it makes the
# truncated draw have the intended variance (Keras's constant).
_TRUNC_STD = 0.87962566103423978


def _fans(shape: Shape) -> tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(shape: Shape, stddev: float, rng: np.random.Generator) -> np.ndarray:
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw the tails: about 5% of values, a handful of rounds
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev


class Initializer:
    """Base class: ``init(shape, rng=None, dtype=None) -> ndarray``."""

    def __call__(
        self, shape: Shape, rng: np.random.Generator | None = None, dtype: Any = None
    ) -> np.ndarray:
        from . import _seed

        rng = rng if rng is not None else _seed.get_rng()
        arr = self.sample(tuple(int(n) for n in shape), rng)
        return np.asarray(arr, dtype=dtype or get_default_dtype())

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        """Draw the values (float64); ``__call__`` converts them."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return np.ones(shape)


class Constant(Initializer):
    """Every value equal to ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, self.value)


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev`` (Keras default stddev 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = float(mean), float(stddev)

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)`` (Keras default ±0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05) -> None:
        self.minval, self.maxval = float(minval), float(maxval)

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, shape)


class VarianceScaling(Initializer):
    """Variance ``scale / fan`` (fan from ``mode``), truncated normal or uniform."""

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
    ) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling mode must be fan_in, fan_out or fan_avg. Received: mode={mode!r}"
            )
        if distribution not in ("truncated_normal", "uniform"):
            raise ValueError(
                f"VarianceScaling distribution must be truncated_normal or "
                f"uniform. Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # U(-a, a) has variance a**2 / 3
            return rng.uniform(-limit, limit, shape)
        return _truncated_normal(shape, math.sqrt(variance) / _TRUNC_STD, rng)


def GlorotUniform() -> VarianceScaling:  # noqa: N802 - Keras's class name
    """Uniform on ±sqrt(6 / (fan_in + fan_out)) (Xavier)."""
    return VarianceScaling(1.0, "fan_avg", "uniform")


def GlorotNormal() -> VarianceScaling:  # noqa: N802
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""
    return VarianceScaling(1.0, "fan_avg", "truncated_normal")


def HeNormal() -> VarianceScaling:  # noqa: N802
    """Truncated normal with stddev sqrt(2 / fan_in), for ReLU layers."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal")


def HeUniform() -> VarianceScaling:  # noqa: N802
    """Uniform on ±sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform")


def LecunNormal() -> VarianceScaling:  # noqa: N802
    """Truncated normal with stddev sqrt(1 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal")


def LecunUniform() -> VarianceScaling:  # noqa: N802
    """Uniform on ±sqrt(3 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform")


_BY_NAME: dict[str, Callable[[], Initializer]] = {
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "zeros": Zeros,
    "ones": Ones,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "normal": RandomNormal,  # Keras's short names (Embedding's default is "uniform")
    "uniform": RandomUniform,
}

# The classes a ``serialize`` dict may name.
_CLASSES: dict[str, type[Initializer]] = {
    cls.__name__: cls
    for cls in (Zeros, Ones, Constant, RandomNormal, RandomUniform, VarianceScaling)
}


def get(identifier: str | Callable | None) -> Callable:
    """An initializer from its Keras name, or ``identifier`` itself when it is callable."""
    if identifier is None:
        return Zeros()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(
                f"Unknown initializer {identifier!r}. Use one of {sorted(_BY_NAME)}, or an "
                f"initializer object such as nn.initializers.RandomNormal(stddev=0.5)"
            )
        return _BY_NAME[key]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"An initializer must be a name or a callable. Received: {identifier!r}")


def serialize(initializer: Any) -> Any:
    """A JSON-able description that ``get`` turns back into the initializer: a name stays a
    name, an initializer object becomes ``{"class_name": ..., "config": {...}}``."""
    if initializer is None or isinstance(initializer, (str, dict)):
        return initializer
    if type(initializer).__name__ in _CLASSES:
        return {"class_name": type(initializer).__name__, "config": dict(vars(initializer))}
    return getattr(initializer, "__name__", repr(initializer))


def glorot_uniform(shape: Shape, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shortcut: a Glorot-uniform array of ``shape``."""
    return GlorotUniform()(shape, rng)


def zeros(shape: Shape, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shortcut: a zero array of ``shape`` in the default dtype."""
    return Zeros()(shape, rng)
