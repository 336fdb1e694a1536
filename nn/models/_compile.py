"""What ``compile`` decides from the output layer and the loss.

It refuses the classic mistakes (probabilities fed to a ``from_logits`` loss, raw logits fed
to a probability loss, softmax over a single unit), and it decides whether training fuses
the output activation into the loss: a sigmoid or softmax output with a cross-entropy loss is
then computed from the logits in one stable op, as Keras does. Metrics that need
probabilities get them from the logits with ``probabilities``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from ..layers import Activation, Dense

# Output activations that produce probabilities, and the loss kinds that need them.
PROB_ACTIVATIONS = {"binary": ("sigmoid",), "categorical": ("softmax",), "sparse": ("softmax",)}
NOT_PROBABILITIES = (
    "linear",
    "relu",
    "tanh",
    "leaky_relu",
    "softplus",
    "exponential",
    "softsign",
    "silu",
    "elu",
    "selu",
    "relu6",
    "hard_silu",
    "mish",
    "log_softmax",
    "log_sigmoid",
)

# The losses whose probability form can be computed from logits instead.
_FUSABLE = (
    losses_mod.BinaryCrossentropy,
    losses_mod.CategoricalCrossentropy,
    losses_mod.SparseCategoricalCrossentropy,
)

# Metrics that read logits as well as probabilities (a threshold or an argmax).
LOGIT_METRICS = (
    metrics_mod.BinaryAccuracy,
    metrics_mod.CategoricalAccuracy,
    metrics_mod.SparseCategoricalAccuracy,
    metrics_mod.Accuracy,
)


def output_activation(layer: Any) -> str | None:
    """The activation's name when ``layer`` is a Dense or activation layer, else None."""
    if isinstance(layer, (Dense, Activation)):
        return layer.activation_name
    return None


def check_output_fits_loss(loss: losses_mod.Loss, layer: Any) -> None:
    """Raise ``ValueError`` for the classic mistakes between the output layer and the loss."""
    act = output_activation(layer)
    if act is None:
        return
    where = f"the last layer {layer.name!r} ({type(layer).__name__})"
    if act == "softmax" and isinstance(layer, Dense) and layer.units == 1:
        raise ValueError(
            f"compile: {where} applies softmax to a single unit, which always "
            f"outputs 1. For two classes use Dense(1, activation='sigmoid') "
            f"with binary_crossentropy, or Dense(2, activation='softmax')"
        )
    if loss.kind not in PROB_ACTIVATIONS:
        return
    if loss.from_logits and act in ("softmax", "sigmoid"):
        raise ValueError(
            f"compile: loss {loss.name} has from_logits=True, which expects raw scores, "
            f"but {where} applies a {act}: its outputs are probabilities already. Remove "
            f"the activation (activation=None) or use from_logits=False"
        )
    if not loss.from_logits and act in NOT_PROBABILITIES:
        want = PROB_ACTIVATIONS[loss.kind][0]
        what = "raw logits (no activation)" if act == "linear" else f"{act} outputs"
        raise ValueError(
            f"compile: loss {loss.name} expects probabilities, but {where} gives {what}. "
            f"Use activation={want!r} on the last layer, or the loss with "
            f"from_logits=True"
        )


def fuses(loss: losses_mod.Loss, layer: Any) -> bool:
    """True when the loss can be computed from ``layer``'s logits: a probability
    cross-entropy after a sigmoid or softmax (over the last axis) that no hook watches."""
    if loss.from_logits or type(loss) not in _FUSABLE:
        return False
    if output_activation(layer) not in PROB_ACTIVATIONS[loss.kind] or layer._forward_hooks:
        return False
    return getattr(layer, "axis", -1) == -1


def probabilities(z: np.ndarray, kind: str) -> np.ndarray:
    """The output activation applied to logits ``z``: sigmoid for binary, else softmax."""
    if kind == "binary":
        return np.exp(-np.logaddexp(0.0, -z))  # stable sigmoid
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
