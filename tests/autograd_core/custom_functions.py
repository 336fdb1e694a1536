"""Custom Functions shared by the Function, gradcheck and debugging tests."""

import numpy as np

from autograd_core import Function


class Softplus(Function):
    """log(1 + e^x), whose derivative is the sigmoid."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0.0, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_arrays
        return grad / (1.0 + np.exp(-x))


class ProdSum(Function):
    """Two outputs: x * y and x + y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y, x + y

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_arrays
        return g_prod * y + g_sum, g_prod * x + g_sum
