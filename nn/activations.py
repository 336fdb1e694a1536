"""Activation functions by Keras name: ``get("relu")``, ``name_of(fn)``.

Each is written with autograd_core ops, so its derivative (first and second) comes from the
engine. The same as layers (``Activation("elu")``, ``ReLU()``, ``Softmax()``, ...) live in
``nn.layers.activation`` and are re-exported here.

The table is filled by ``register``: a new activation is one decorated function, and when the
engine gains an op of its own for one written here as a composition (``silu``, ``elu``, ...)
only that function's body changes.
"""

from __future__ import annotations

from typing import Any, Callable

import autograd_core as ag
from autograd_core import Tensor

_BY_NAME: dict[str, Callable[..., Tensor]] = {}


def register(*names: str) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """Decorator: make a function of a Tensor available under its Keras ``names`` (the first
    is the one ``name_of`` gives back)."""

    def add(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        for name in names:
            _BY_NAME[name] = fn
        return fn

    return add


@register("linear")
def linear(x: Tensor) -> Tensor:
    """The identity (Keras's ``"linear"``, also what ``activation=None`` means)."""
    return x


@register("relu")
def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return ag.relu(x)


@register("sigmoid")
def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for large |x|."""
    return ag.sigmoid(x)


@register("tanh")
def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(x)


@register("softmax")
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``."""
    return ag.softmax(x, axis)


@register("log_softmax")
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``."""
    return ag.log_softmax(x, axis)


@register("leaky_relu")
def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x`` (Keras's default slope 0.2)."""
    return ag.leaky_relu(x, negative_slope)


@register("softplus")
def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable for large |x|."""
    return ag.softplus(x)


@register("exponential")
def exponential(x: Tensor) -> Tensor:
    """exp(x)."""
    return ag.exp(x)


@register("softsign")
def softsign(x: Tensor) -> Tensor:
    """x / (|x| + 1)."""
    return ag.softsign(x)


@register("silu", "swish")
def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return ag.silu(x)


@register("gelu")
def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate=True``: the tanh form)."""
    return ag.gelu(x, approximate=approximate)


@register("log_sigmoid")
def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return ag.log_sigmoid(x)


@register("elu")
def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else ``alpha * (exp(x) - 1)``."""
    return ag.elu(x, alpha)


@register("selu")
def selu(x: Tensor) -> Tensor:
    """``scale * elu(x, alpha)`` with Klambauer et al.'s alpha ≈ 1.6733 and scale ≈ 1.0507."""
    return ag.selu(x)


@register("relu6")
def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6)."""
    return ag.relu6(x)


@register("hard_sigmoid")
def hard_sigmoid(x: Tensor) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (Keras 3 and PyTorch)."""
    return ag.hard_sigmoid(x)


@register("hard_silu", "hard_swish")
def hard_silu(x: Tensor) -> Tensor:
    """x * hard_sigmoid(x)."""
    return x * hard_sigmoid(x)


@register("mish")
def mish(x: Tensor) -> Tensor:
    """x * tanh(softplus(x)) (Misra)."""
    return ag.mish(x)


def names() -> list[str]:
    """Every name ``get`` accepts."""
    return sorted(_BY_NAME)


def get(identifier: str | Callable | None) -> Callable[[Tensor], Tensor]:
    """An activation from its name (None means linear), or ``identifier`` if callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(
                f"Unknown activation {identifier!r}. Use one of {sorted(_BY_NAME)} or a "
                f"callable taking and returning a Tensor"
            )
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(f"An activation must be a name or a callable. Received: {identifier!r}")


def name_of(fn: Callable) -> str:
    """The Keras name of an activation function or layer (its own name for other callables)."""
    from .layers.activation import Activation  # imported here: that module imports this one

    if isinstance(fn, Activation):
        return fn.activation_name
    for key, value in _BY_NAME.items():
        if value is fn:
            return key
    return getattr(fn, "__name__", type(fn).__name__)


# The activation layers, importable from here as before they had a module of their own. Loaded
# on first use: that module imports this one (for ``get`` and ``name_of``).
_LAYERS = ("Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "LeakyReLU")


def __getattr__(name: str) -> Any:
    if name in _LAYERS:
        from .layers import activation

        return getattr(activation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
