"""Fused layers and losses: one recorded node where the composition would record several.

``linear`` is ``x @ kernel + bias`` adding the bias in place into the product (no second
array), and the two losses take logits, so the softmax or sigmoid and the log never meet
(stable, and one node instead of five). Their VJPs are still written with Tensor ops, so
``create_graph=True`` differentiates through them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..op import Tensor, _make, as_tensors, op
from .activation import sigmoid, softmax

Array = np.ndarray

_REDUCTIONS = ("mean", "sum", "none")


# --- products with a transposed operand (the VJPs of linear, one op each) --------------------


@op("matmul_nt")
def _matmul_nt(a: Array, b: Array) -> Array:
    return a @ b.T  # BLAS reads the transpose in place: no copy


@_matmul_nt.vjp
def _(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple:
    # d(a b^T)/da = g b, d(a b^T)/db = g^T a
    return (g @ b if a._rg else None), (_matmul_tn(g, a) if b._rg else None)


@op("matmul_tn")
def _matmul_tn(a: Array, b: Array) -> Array:
    return a.T @ b


@_matmul_tn.vjp
def _(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple:
    # d(a^T b)/da = b g^T, d(a^T b)/db = a g
    return (_matmul_nt(b, g) if a._rg else None), (a @ g if b._rg else None)


# --- linear -----------------------------------------------------------------------------------


@op("linear")
def _linear(x: Array, kernel: Array, bias: Array) -> Array:
    out = x @ kernel
    out += bias  # in place into the fresh product: one output array, not two
    return out


@_linear.vjp
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, bias: Tensor) -> tuple:
    # d(x W + b)/dx = g W^T, d/dW = x^T g, d/db = g (the engine sums it over the batch)
    gx = _matmul_nt(g, kernel) if x._rg else None
    gk = _matmul_tn(x, g) if kernel._rg else None
    return gx, gk, g


@op("linear_relu")
def _linear_relu(x: Array, kernel: Array, bias: Array) -> Array:
    out = x @ kernel
    out += bias
    np.maximum(out, 0, out=out)  # ReLU in place: the pre-activation is never needed again
    return out


@_linear_relu.vjp
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, bias: Tensor) -> tuple:
    # relu(z)' = [z > 0] = [out > 0]: the mask comes from the output, then as linear
    # NOTE: 0 at z == 0, as PyTorch
    g = g * _make(out.data > 0)
    gx = _matmul_nt(g, kernel) if x._rg else None
    gk = _matmul_tn(x, g) if kernel._rg else None
    return gx, gk, g


@op("linear")
def _linear_nobias(x: Array, kernel: Array) -> Array:
    return x @ kernel


@_linear_nobias.vjp
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor) -> tuple:
    # d(x W)/dx = g W^T, d/dW = x^T g
    gx = _matmul_nt(g, kernel) if x._rg else None
    gk = _matmul_tn(x, g) if kernel._rg else None
    return gx, gk


def linear(x: Any, kernel: Any, bias: Any = None, activation: str | None = None) -> Tensor:
    """``x @ kernel + bias`` for a batch ``x`` (n, in), ``kernel`` (in, out), ``bias`` (out,).

    The kernel is laid out as Keras's Dense kernel (in, out), the transpose of PyTorch's
    ``F.linear`` weight. ``activation="relu"`` applies ReLU in the same node, in place.
    """
    if activation not in (None, "relu"):
        raise ValueError(
            f"linear: activation must be None or 'relu'. Received: activation={activation!r}"
        )
    args = as_tensors((x, kernel) if bias is None else (x, kernel, bias))
    x, kernel = args[0], args[1]
    if x.ndim != 2 or kernel.ndim != 2 or x.shape[1] != kernel.shape[0]:
        raise ShapeError(
            f"linear: expects x of shape (n, in) and kernel of shape (in, out). Received "
            f"x {x.shape} and kernel {kernel.shape}"
        )
    if bias is None:
        out = _linear_nobias(x, kernel)
        return out if activation is None else out.relu()
    bias = args[2]
    if bias.shape != (kernel.shape[1],):
        raise ShapeError(
            f"linear: expects a bias of shape ({kernel.shape[1]},) for a kernel of shape "
            f"{kernel.shape}. Received bias {bias.shape}"
        )
    if bias.dtype != x.dtype and x.dtype == kernel.dtype:
        bias = bias.astype(x.dtype)  # `out += bias` must not fail on float64 + float32
    return (_linear if activation is None else _linear_relu)(x, kernel, bias)


# --- losses on logits -------------------------------------------------------------------------


def _reduce(losses: Array, reduction: str) -> Array:
    if reduction == "mean":
        return losses.mean(dtype=losses.dtype)
    if reduction == "sum":
        return losses.sum(dtype=losses.dtype)
    return losses


def _spread(g: Tensor, n: int, reduction: str) -> Tensor:
    """The gradient of each sample's loss: g/n for a mean, g for a sum, g[i] for 'none'."""
    if reduction == "mean":
        return g / n
    if reduction == "none":
        return g.reshape(-1, 1) if g.ndim == 1 else g
    return g


@op("cross_entropy")
def _cross_entropy(logits: Array, labels: Array, reduction: str) -> Array:
    # NOTE: -log softmax(z)[y] = logsumexp(z) - z[y], with the max shifted out first.
    m = logits.max(axis=1, keepdims=True)
    shifted = logits - m
    lse = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(logits.shape[0])
    return _reduce(lse - shifted[rows, labels], reduction)


@_cross_entropy.vjp
def _(g: Tensor, out: Tensor, logits: Tensor, labels: Tensor, reduction: str) -> tuple:
    # d/dz_ij of (logsumexp(z_i) - z_i,y_i) = softmax(z_i)_j - [j == y_i]
    n = logits.shape[0]
    onehot = np.zeros(logits.shape, dtype=logits.dtype)
    onehot[np.arange(n), labels.data] = 1
    return (softmax(logits, axis=1) - _make(onehot)) * _spread(g, n, reduction), None


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` (n, classes) against integer ``labels`` (n,), as
    PyTorch's ``F.cross_entropy``; ``reduction`` is "mean", "sum" or "none"."""
    if not isinstance(labels, Tensor):
        labels = np.asarray(labels)  # a list of class indices stays integer
    logits, labels = as_tensors((logits, labels))
    _check_reduction("cross_entropy", reduction)
    if labels.dtype.kind not in "iu":
        raise DTypeError(
            f"cross_entropy: labels must be integers (class indices). Received dtype "
            f"{labels.dtype}; for one-hot or soft targets use -(targets * "
            f"logits.log_softmax(axis=1)).sum(axis=1).mean()"
        )
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ShapeError(
            f"cross_entropy: expects logits of shape (n, classes) and labels of shape (n,). "
            f"Received logits {logits.shape} and labels {labels.shape}"
        )
    if labels.size and (labels.data.min() < 0 or labels.data.max() >= logits.shape[1]):
        raise ValueError(
            f"cross_entropy: labels must lie in [0, {logits.shape[1]}) for "
            f"{logits.shape[1]} classes. Received labels from {labels.data.min()} to "
            f"{labels.data.max()}"
        )
    return _cross_entropy(logits, labels, reduction=reduction)


@op("binary_cross_entropy_with_logits")
def _bce_logits(logits: Array, targets: Array, reduction: str) -> Array:
    # NOTE: -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z y + log(1 + exp(-|z|)),
    # which never takes the log of 0 nor overflows.
    losses = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return _reduce(losses, reduction)


@_bce_logits.vjp
def _(g: Tensor, out: Tensor, logits: Tensor, targets: Tensor, reduction: str) -> tuple:
    # d/dz = sigmoid(z) - y;  d/dy = -z
    scale = g / logits.size if reduction == "mean" else g
    gz = (sigmoid(logits) - targets) * scale if logits._rg else None
    gy = -logits * scale if targets._rg else None
    return gz, gy


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Sigmoid then binary cross-entropy, fused and stable, as PyTorch's
    ``F.binary_cross_entropy_with_logits``; ``targets`` has the shape of ``logits``."""
    logits, targets = as_tensors((logits, targets))
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    if targets.shape != logits.shape:
        raise ShapeError(
            f"binary_cross_entropy_with_logits: targets must have the shape of the logits. "
            f"Received logits {logits.shape} and targets {targets.shape}"
        )
    if targets.dtype != logits.dtype:
        targets = targets.astype(logits.dtype)
    return _bce_logits(logits, targets, reduction=reduction)


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of {_REDUCTIONS}. Received: reduction={reduction!r}"
        )
