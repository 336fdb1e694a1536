"""Weight penalties with Keras's names, formulas and defaults: ``L1``, ``L2``, ``L1L2``.

A regularizer is called on a weight and returns a scalar Tensor, recorded like any other
computation, so its gradient comes from the engine. Give one to a layer
(``Dense(64, kernel_regularizer=nn.regularizers.L2(1e-4))``, or ``"l2"``); the penalties
are ``model.losses`` and ``fit`` adds them to the training loss.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def _coefficient(who: str, key: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not value >= 0
    ):
        raise ValueError(f"{who} expects a non-negative number `{key}`. Received: {key}={value!r}")
    return float(value)


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar Tensor``, with ``get_config()``."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments."""
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """A regularizer from ``get_config``'s dict."""
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Regularizer)
            and type(self) is type(other)
            and (self.get_config() == other.get_config())
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """``l1 * sum(abs(x))`` (Keras's default ``l1=0.01``)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _coefficient("L1", "l1", l1)

    def __call__(self, x: Tensor) -> Tensor:
        return self.l1 * ag.sum(ag.absolute(x))


class L2(Regularizer):
    """``l2 * sum(x ** 2)`` (Keras's default ``l2=0.01``; no factor 1/2)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _coefficient("L2", "l2", l2)

    def __call__(self, x: Tensor) -> Tensor:
        return self.l2 * ag.sum(x * x)


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(x ** 2)`` (Keras's defaults ``l1=0.0``, ``l2=0.0``)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _coefficient("L1L2", "l1", l1)
        self.l2 = _coefficient("L1L2", "l2", l2)

    def __call__(self, x: Tensor) -> Tensor:
        return self.l1 * ag.sum(ag.absolute(x)) + self.l2 * ag.sum(x * x)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``L1L2`` with both coefficients 0.01 by default (Keras's ``l1_l2`` function)."""
    return L1L2(l1=l1, l2=l2)


# Names as Keras accepts them in a layer's arguments: a string means the class's defaults.
_BY_NAME: dict[str, Callable[[], Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_CLASSES: dict[str, type[Regularizer]] = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any) -> Callable[[Tensor], Tensor] | None:
    """A regularizer from a name (``"l1"``, ``"l2"``, ``"l1_l2"``), a ``serialize`` dict, a
    regularizer or any callable taking a weight; None stays None."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        make = _BY_NAME.get(identifier.lower())
        if make is None:
            raise ValueError(
                f"Unknown regularizer {identifier!r}. Use one of {sorted(_BY_NAME)}, or an "
                f"object such as nn.regularizers.L2(1e-4)"
            )
        return make()
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    raise TypeError(
        f"A regularizer must be a name, a regularizer object or a callable. "
        f"Received: {identifier!r}"
    )


def serialize(regularizer: Any) -> Any:
    """A JSON-able description that ``get`` turns back into the regularizer."""
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return getattr(regularizer, "__name__", repr(regularizer))


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1_l2", "get", "serialize"]
