"""Fused layers and losses: one recorded node where the composition would record several.

``linear`` is ``activation(x @ kernel + bias)``: the bias is added and the activation applied
in place in the product's array (no second array), and the rule takes the activation's
derivative from the output. The losses take logits, so that the softmax or sigmoid and the
log never meet (stable, and one node instead of five); ``binary_cross_entropy`` takes
probabilities, clipped as Keras does. Every rule is written with Tensor ops, so
``create_graph=True`` differentiates through them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..grad_mode import tracing
from ..op import Tensor, _make, as_tensors, op, tangent_sum
from .activation import _stable_sigmoid, log_softmax, relu_grad, sigmoid, softmax

Array = np.ndarray

_REDUCTIONS = ("mean", "sum", "none")


# --- products with a transposed operand (the VJPs of linear, one op each) --------------------


@op("matmul_nt")
def _matmul_nt(a: Array, b: Array) -> Array:
    return a @ b.T  # BLAS reads the transpose in place: no copy


@_matmul_nt.vjp
def _(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple:
    # d(a b^T)/da = g b, d(a b^T)/db = g^T a (summed over a's leading axes)
    return (g @ b if a._rg else None), (_outer_sum(g, a) if b._rg else None)


_matmul_nt.jvp("multilinear")


@op("matmul_tn")
def _matmul_tn(a: Array, b: Array) -> Array:
    return a.T @ b


@_matmul_tn.vjp
def _(g: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple:
    # d(a^T b)/da = b g^T, d(a^T b)/db = a g
    return (_matmul_nt(b, g) if a._rg else None), (a @ g if b._rg else None)


_matmul_tn.jvp("multilinear")


# --- linear -----------------------------------------------------------------------------------


def _affine(x: Array, kernel: Array, bias: tuple) -> Array:
    out = x @ kernel
    if bias:
        out += bias[0]  # in place, into the product's fresh array: one output array
    return out


def _outer_sum(a: Tensor, b: Tensor) -> Tensor:
    """``a^T b`` for batches of rows: the sum over every leading axis of the outer products of
    ``a[..., :]`` and ``b[..., :]``."""
    if a._data.ndim != 2:  # a single row, or several leading axes
        a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return _matmul_tn(a, b)


def _linear_grads(g: Tensor, x: Tensor, kernel: Tensor, bias: tuple) -> tuple:
    """Gradients of ``z = x @ kernel + bias`` given ``g``, the gradient at ``z``."""
    # d/dx = g W^T;  d/dW = x^T g, summed over every leading axis;  d/db = g (the engine sums
    # it over the leading axes, as for any broadcast input)
    gx = _matmul_nt(g, kernel) if x._rg else None
    gk = _outer_sum(x, g) if kernel._rg else None
    return (gx, gk, g) if bias else (gx, gk)


def _linear_tangent(d: tuple, x: Tensor, kernel: Tensor) -> Tensor:
    """The tangent of ``z = x @ kernel + bias``: dx @ kernel + x @ dkernel + dbias."""
    dx, dk, *db = d
    return tangent_sum(
        dx @ kernel if dx is not None else None, x @ dk if dk is not None else None, *db
    )


@op("linear")
def _linear(x: Array, kernel: Array, *bias: Array) -> Array:
    return _affine(x, kernel, bias)


@_linear.vjp(reads=(0, 1))  # the bias only by its shape
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> tuple:
    return _linear_grads(g, x, kernel, bias)


@_linear.jvp
def _(d: tuple, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> Tensor:
    return _linear_tangent(d, x, kernel)


@op("linear_relu")
def _linear_relu(x: Array, kernel: Array, *bias: Array) -> Array:
    z = _affine(x, kernel, bias)
    return np.maximum(z, 0, out=z)  # the pre-activation is never needed again


@_linear_relu.vjp(uses_out=True, reads=(0, 1))
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> tuple:
    # relu'(z) = [z > 0] = [out > 0]   NOTE: 0 at z == 0, as PyTorch
    return _linear_grads(relu_grad(g, out), x, kernel, bias)


@_linear_relu.jvp
def _(d: tuple, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> Tensor:
    return _linear_tangent(d, x, kernel) * _make(out.data > 0)


@op("linear_sigmoid")
def _linear_sigmoid(x: Array, kernel: Array, *bias: Array) -> Array:
    return _stable_sigmoid(_affine(x, kernel, bias))


@_linear_sigmoid.vjp(uses_out=True, reads=(0, 1))
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> tuple:
    # sigmoid'(z) = s (1 - s), from the output s
    return _linear_grads(g * out * (1.0 - out), x, kernel, bias)


@_linear_sigmoid.jvp
def _(d: tuple, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> Tensor:
    return _linear_tangent(d, x, kernel) * out * (1.0 - out)


@op("linear_tanh")
def _linear_tanh(x: Array, kernel: Array, *bias: Array) -> Array:
    z = _affine(x, kernel, bias)
    return np.tanh(z, out=z)


@_linear_tanh.vjp(uses_out=True, reads=(0, 1))
def _(g: Tensor, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> tuple:
    # tanh'(z) = 1 - t**2, from the output t
    return _linear_grads(g * (1.0 - out * out), x, kernel, bias)


@_linear_tanh.jvp
def _(d: tuple, out: Tensor, x: Tensor, kernel: Tensor, *bias: Tensor) -> Tensor:
    return _linear_tangent(d, x, kernel) * (1.0 - out * out)


_LINEAR = {
    None: _linear,
    "linear": _linear,
    "relu": _linear_relu,
    "sigmoid": _linear_sigmoid,
    "tanh": _linear_tanh,
}


def linear(x: Any, kernel: Any, bias: Any = None, activation: str | None = None) -> Tensor:
    """``activation(x @ kernel + bias)`` as one recorded op, for ``x`` of shape (..., in),
    ``kernel`` (in, out) and ``bias`` (out,); ``activation`` is None, "relu", "sigmoid" or
    "tanh".

    The kernel is laid out as Keras's Dense kernel (in, out), the transpose of PyTorch's
    ``F.linear`` weight.
    """
    try:
        fused = _LINEAR[activation]
    except (KeyError, TypeError):  # (TypeError: an unhashable activation)
        raise ValueError(
            f"linear: activation must be None, 'relu', 'sigmoid' or 'tanh'. Received: "
            f"activation={activation!r}"
        ) from None
    if type(x) is not Tensor or type(kernel) is not Tensor:
        x, kernel = as_tensors((x, kernel))
    # NOTE: the arrays' shapes and dtypes through the `_data` slot: the `data` property costs
    # a call, and Dense (every layer of a model) comes through here
    xd, kd = x._data, kernel._data
    xs, ks = xd.shape, kd.shape
    if len(ks) != 2 or not xs or xs[-1] != ks[0]:
        raise ShapeError(
            f"linear: expects x of shape (..., in) and kernel of shape (in, out). Received "
            f"x {xs} and kernel {ks}"
        )
    if bias is None:
        return fused(x, kernel)
    if type(bias) is not Tensor:
        (bias,) = as_tensors((bias,))
    bd = bias._data
    if bd.shape != ks[1:]:
        raise ShapeError(
            f"linear: expects a bias of shape ({ks[1]},) for a kernel of shape {ks}. "
            f"Received bias {bias.shape}"
        )
    dtype = xd.dtype
    if bd.dtype is not dtype and bd.dtype != dtype and dtype == kd.dtype:
        bias = bias.astype(dtype)  # `out += bias` must not fail on float64 + float32
    return fused(x, kernel, bias)


# --- losses -----------------------------------------------------------------------------------


def _reduce(losses: Array, reduction: str) -> Array:
    if reduction == "mean":
        if losses.size:
            # the same value as losses.mean(dtype=losses.dtype) (a sum, then one correctly
            # rounded division), without the Python wrapper that is most of its time here
            return losses.sum(dtype=losses.dtype) / losses.size
        return losses.mean(dtype=losses.dtype)
    if reduction == "sum":
        return losses.sum(dtype=losses.dtype)
    return losses


def _spread(g: Tensor, losses_shape: tuple, reduction: str) -> Tensor:
    """The gradient of each element's loss: g/n for a mean over n, g for a sum, g[i] for
    'none'."""
    if reduction == "mean":
        return g / max(math.prod(losses_shape), 1)
    return g


def _reduce_tangent(t: Tensor, reduction: str) -> Tensor:
    """The tangent of the reduced losses, from the tangent of each element's loss."""
    if reduction == "mean":
        return t.mean()
    return t.sum() if reduction == "sum" else t


@op("softmax_cross_entropy")
def _softmax_ce(logits: Array, targets: Array, reduction: str) -> Array:
    # NOTE: -sum(t * log softmax(z)) = sum(t) * logsumexp(z) - sum(t * z), with the max
    # shifted out of z first, so large logits never overflow and log(0) never happens.
    shifted = logits - logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1))
    if targets.dtype.kind in "iu":  # class indices
        losses = lse - np.take_along_axis(shifted, targets[..., None], axis=-1)[..., 0]
    else:  # probabilities (one-hot or soft)
        losses = lse * targets.sum(axis=-1) - (targets * shifted).sum(axis=-1)
    return _reduce(losses, reduction)


@_softmax_ce.vjp
def _(g: Tensor, out: Tensor, logits: Tensor, targets: Tensor, reduction: str) -> tuple:
    # d/dz = softmax(z) sum(t) - t (= softmax(z) - onehot(y) for labels);  d/dt = -log_softmax(z)
    per = _spread(g, logits.shape[:-1], reduction)
    per = per.expand_dims(-1) if per.ndim else per
    if targets.dtype.kind in "iu":
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        np.put_along_axis(onehot, targets.data[..., None], 1, axis=-1)
        return (softmax(logits) - _make(onehot)) * per, None
    gz = None
    if logits._rg:
        gz = (softmax(logits) * targets.sum(axis=-1, keepdims=True) - targets) * per
    gt = -log_softmax(logits) * per if targets._rg else None
    return gz, gt


@_softmax_ce.jvp
def _(d: tuple, out: Tensor, logits: Tensor, targets: Tensor, reduction: str) -> Tensor:
    # d loss = sum((softmax(z) sum(t) - t) dz) - sum(log_softmax(z) dt)  over the classes
    dz, dt = d
    tz = tt = None
    if dz is not None:
        if targets.dtype.kind in "iu":
            onehot = np.zeros(logits.shape, dtype=logits.dtype)
            np.put_along_axis(onehot, targets.data[..., None], 1, axis=-1)
            slope = softmax(logits) - _make(onehot)
        else:
            slope = softmax(logits) * targets.sum(axis=-1, keepdims=True) - targets
        tz = (slope * dz).sum(axis=-1)
    if dt is not None:
        tt = -(log_softmax(logits) * dt).sum(axis=-1)
    return _reduce_tangent(tangent_sum(tz, tt), reduction)


def _check_labels(labels: Array, classes: int) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"softmax_cross_entropy: labels must lie in [0, {classes}) for {classes} "
            f"classes. Received labels from {labels.min()} to {labels.max()}"
        )


def softmax_cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of ``softmax(logits)`` along the last axis against ``targets``: integer
    class indices (shape ``logits.shape[:-1]``) or probabilities (the shape of ``logits``).
    ``reduction`` is "mean" (over the samples), "sum" or "none" (one value per sample)."""
    if not isinstance(targets, Tensor):
        targets = np.asarray(targets)  # a list of class indices stays integer
    logits, targets = as_tensors((logits, targets))
    _check_reduction("softmax_cross_entropy", reduction)
    if logits.ndim == 0:
        raise ShapeError("softmax_cross_entropy: logits need a class axis. Received a scalar")
    classes = logits.shape[-1]
    if targets.dtype.kind in "iu":
        if targets.shape != logits.shape[:-1]:
            raise ShapeError(
                f"softmax_cross_entropy: integer labels must have shape {logits.shape[:-1]} "
                f"for logits of shape {logits.shape}. Received labels {targets.shape}"
            )
        if tracing() is None:
            _check_labels(targets._data, classes)
        else:  # (recorded: a compiled step checks each batch's labels)
            from ..jit.trace import record_call  # (jit imports the engine)

            record_call(_check_labels, targets, classes)
    elif targets.dtype.kind == "f":
        if targets.shape != logits.shape:
            raise ShapeError(
                f"softmax_cross_entropy: probability targets must have the shape of the "
                f"logits {logits.shape}. Received targets {targets.shape}"
            )
        if targets.dtype != logits.dtype:
            targets = targets.astype(logits.dtype)
    else:
        raise DTypeError(
            f"softmax_cross_entropy: targets must be integer labels or float "
            f"probabilities. Received dtype {targets.dtype}"
        )
    return _softmax_ce(logits, targets, reduction=reduction)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` (n, classes) against integer ``labels`` (n,), as
    PyTorch's ``F.cross_entropy``; ``reduction`` is "mean", "sum" or "none"."""
    if not isinstance(labels, Tensor):
        labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise DTypeError(
            f"cross_entropy: labels must be integers (class indices). Received dtype "
            f"{labels.dtype}; for one-hot or soft targets use softmax_cross_entropy"
        )
    shape = getattr(logits, "shape", np.shape(logits))
    if len(shape) != 2 or labels.shape != (shape[0],):
        raise ShapeError(
            f"cross_entropy: expects logits of shape (n, classes) and labels of shape (n,). "
            f"Received logits {tuple(shape)} and labels {labels.shape}"
        )
    return softmax_cross_entropy(logits, labels, reduction)


@op("sigmoid_cross_entropy")
def _sigmoid_ce(logits: Array, targets: Array, reduction: str) -> Array:
    # NOTE: -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z y + log(1 + exp(-|z|)),
    # which never takes the log of 0 nor overflows.
    losses = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return _reduce(losses, reduction)


@_sigmoid_ce.vjp
def _(g: Tensor, out: Tensor, logits: Tensor, targets: Tensor, reduction: str) -> tuple:
    # d/dz = sigmoid(z) - y;  d/dy = -z
    per = _spread(g, logits.shape, reduction)
    gz = (sigmoid(logits) - targets) * per if logits._rg else None
    gy = -logits * per if targets._rg else None
    return gz, gy


@_sigmoid_ce.jvp
def _(d: tuple, out: Tensor, logits: Tensor, targets: Tensor, reduction: str) -> Tensor:
    # d loss = (sigmoid(z) - y) dz - z dy
    dz, dy = d
    tz = (sigmoid(logits) - targets) * dz if dz is not None else None
    ty = -(logits * dy) if dy is not None else None
    return _reduce_tangent(tangent_sum(tz, ty), reduction)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Sigmoid then binary cross-entropy, fused and stable, as PyTorch's
    ``F.binary_cross_entropy_with_logits``; ``targets`` has the shape of ``logits``;
    ``reduction`` is "mean", "sum" or "none" (one value per element)."""
    logits, targets = as_tensors((logits, targets))
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    z, t = logits._data, targets._data  # (the slots: the Tensor properties cost a call each)
    if t.shape != z.shape:
        raise ShapeError(
            f"binary_cross_entropy_with_logits: targets must have the shape of the logits. "
            f"Received logits {z.shape} and targets {t.shape}"
        )
    if t.dtype != z.dtype:
        targets = targets.astype(z.dtype)
    return _sigmoid_ce(logits, targets, reduction=reduction)


@op("binary_cross_entropy")
def _bce(probs: Array, targets: Array, eps: float, reduction: str) -> Array:
    # Keras's formula on probabilities clipped to [eps, 1 - eps], in one pass
    # (np.clip's Python wrapper costs as much as the arithmetic on a batch of 32: min, max)
    q = np.minimum(np.maximum(probs, eps), 1.0 - eps)
    return _reduce(-(targets * np.log(q) + (1.0 - targets) * np.log(1.0 - q)), reduction)


@_bce.vjp
def _(g: Tensor, out: Tensor, p: Tensor, y: Tensor, eps: float, reduction: str) -> tuple:
    # d/dp = (q - y) / (q (1 - q)) where the clip lets p through (q = p), else 0;
    # d/dy = log(1 - q) - log(q)
    per = _spread(g, p.shape, reduction)
    gp = per * _bce_dp(p, y, eps=eps) if p._rg else None
    gy = None
    if y._rg:
        q = p.clip(eps, 1.0 - eps)
        gy = per * ((1.0 - q).log() - q.log())
    return gp, gy


@_bce.jvp
def _(d: tuple, out: Tensor, p: Tensor, y: Tensor, eps: float, reduction: str) -> Tensor:
    # d loss = (q - y) / (q (1 - q)) dp (inside the clip range) + (log(1 - q) - log q) dy
    dp, dy = d
    tp = _bce_dp(p, y, eps=eps) * dp if dp is not None else None
    ty = None
    if dy is not None:
        q = p.clip(eps, 1.0 - eps)
        ty = ((1.0 - q).log() - q.log()) * dy
    return _reduce_tangent(tangent_sum(tp, ty), reduction)


@op("binary_cross_entropy_dp")
def _bce_dp(p: Array, y: Array, eps: float) -> Array:
    # the local derivative d/dp of binary_cross_entropy, in one numpy pass: the rule of
    # binary_cross_entropy is then one product in a plain backward
    q = np.minimum(np.maximum(p, eps), 1.0 - eps)
    d = (q - y) / (q * (1.0 - q))
    d *= q == p  # inside the clip range (NaN is outside)
    return d


@_bce_dp.vjp
def _(g: Tensor, out: Tensor, p: Tensor, y: Tensor, eps: float) -> tuple:
    # with s = q (1 - q), inside the clip range (0 outside):
    # d/dp [(q - y) / s] = (s - (q - y)(1 - 2q)) / s**2;  d/dy = -1 / s
    inside = _make(((p.data >= eps) & (p.data <= 1.0 - eps)).astype(p.dtype))
    q = p.clip(eps, 1.0 - eps)
    s = q * (1.0 - q)
    gp = g * inside * (s - (q - y) * (1.0 - 2.0 * q)) / (s * s) if p._rg else None
    gy = -(g * inside) / s if y._rg else None
    return gp, gy


@_bce_dp.jvp
def _(d: tuple, out: Tensor, p: Tensor, y: Tensor, eps: float) -> Tensor:
    # the same partial derivatives as the VJP's, times the tangents
    dp, dy = d
    inside = _make(((p.data >= eps) & (p.data <= 1.0 - eps)).astype(p.dtype))
    q = p.clip(eps, 1.0 - eps)
    s = q * (1.0 - q)
    tp = (s - (q - y) * (1.0 - 2.0 * q)) / (s * s) * dp if dp is not None else None
    ty = -dy / s if dy is not None else None
    return inside * tangent_sum(tp, ty)


def binary_cross_entropy(
    probs: Any, targets: Any, reduction: str = "mean", eps: float = 1e-7
) -> Tensor:
    """Binary cross-entropy of probabilities, ``-(y log p + (1 - y) log(1 - p))`` with ``p``
    clipped to ``[eps, 1 - eps]`` (Keras's formula); ``targets`` has the shape of
    ``probs``; ``reduction`` is "mean", "sum" or "none" (one value per element)."""
    probs, targets = as_tensors((probs, targets))
    _check_reduction("binary_cross_entropy", reduction)
    p, t = probs._data, targets._data  # (the slots: the Tensor properties cost a call each)
    if t.shape != p.shape:
        raise ShapeError(
            f"binary_cross_entropy: targets must have the shape of the probabilities. "
            f"Received probs {p.shape} and targets {t.shape}"
        )
    if t.dtype != p.dtype:
        targets = targets.astype(p.dtype)
    return _bce(probs, targets, eps=float(eps), reduction=reduction)


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of {_REDUCTIONS}. Received: reduction={reduction!r}"
        )
