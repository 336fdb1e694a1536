"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..op import Tensor, each_other, op

Array = np.ndarray



@op("matmul")
def matmul(x: Array, y: Array) -> Array:
    """Matrix product with numpy's rules: 1-D, 2-D and batched (broadcast) operands."""
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul does not take scalars; use * for scaling")
    return np.matmul(x, y)


@matmul.vjp(reads=each_other)
def _(g: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple:
    # d(x @ y)/dx = g @ y^T, d(x @ y)/dy = x^T @ g  (batch axes are summed by the engine)
    if x.ndim >= 2 and y.ndim >= 2:
        return (g @ y.mT if x._rg else None), (x.mT @ g if y._rg else None)
    # NOTE: numpy treats a 1-D x as a row (1, k) and a 1-D y as a column (k, 1), then drops
    # that axis from the result; redo the promotion on g and undo it on the gradients.
    x2 = x.reshape(1, -1) if x.ndim == 1 else x
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    if x.ndim == 1 and y.ndim == 1:
        g2 = g.reshape(1, 1)
    elif x.ndim == 1:
        g2 = g.expand_dims(-2)
    else:
        g2 = g.expand_dims(-1)
    gx = g2 @ y2.mT if x._rg else None  # (..., 1, k) for a 1-D x: the engine sums it to (k,)
    gy = None
    if y._rg:
        gy = x2.mT @ g2
        if y.ndim == 1:
            gy = gy.squeeze(-1)
    return gx, gy
