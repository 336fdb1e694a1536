"""autograd_core: reverse-mode automatic differentiation over numpy arrays.

>>> import numpy as np
>>> from autograd_core import Tensor
>>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4.])
"""

__version__ = "0.1.0"

# ruff: noqa: I001  (the order matters: the Tensor first, then what builds on it)
from .dtypes import get_default_dtype, set_default_dtype
from .errors import (
    AutogradError,
    AxisError,
    BackwardError,
    DTypeError,
    GradcheckError,
    IndexingError,
    ManualGradError,
    ShapeError,
)
from .grad_mode import enable_grad, graph_scope, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .op import Node, Op, op
from .engine import backward, gradients
from .function import Context, Function
from .debug import (
    AnomalyError,
    GradcheckReport,
    ManualGradReport,
    check_manual_grad,
    detect_anomaly,
    explain_grad,
    gradcheck,
    gradgradcheck,
    is_anomaly_enabled,
)
from .functional import grad, hessian, jacobian, value_and_grad
from .broadcast import unbroadcast
from .ops.elementwise import (
    absolute,
    add,
    astype,
    clip,
    cos,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    power,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    where,
)
from .ops.activation import (
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .ops.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .ops.linalg import matmul
from .ops.fused import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    linear,
    softmax_cross_entropy,
)

abs = absolute
pow = power

# Drawing pulls in graphviz (~0.1 s to import), so these load on first use.
_LAZY = {
    "draw_graph": "viz",
    "save_graph": "viz",
    "graph_text": "viz",
    "print_graph": "viz",
    "graph_to_dict": "viz",
    "record_gradients": "viz",
    "backward_steps": "viz",
    "explain_backward": "viz",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "Tensor",
    "Function",
    "Context",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "set_default_dtype",
    "get_default_dtype",
    "backward",
    "gradients",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "detect_anomaly",
    "is_anomaly_enabled",
    "gradcheck",
    "gradgradcheck",
    "GradcheckReport",
    "check_manual_grad",
    "ManualGradReport",
    "explain_grad",
    "unbroadcast",
    "Node",
    "Op",
    "op",
    "graph_scope",
    "draw_graph",
    "save_graph",
    "graph_text",
    "print_graph",
    "graph_to_dict",
    "record_gradients",
    "backward_steps",
    "explain_backward",
    "AutogradError",
    "ShapeError",
    "AxisError",
    "DTypeError",
    "BackwardError",
    "GradcheckError",
    "ManualGradError",
    "IndexingError",
    "AnomalyError",
    "absolute",
    "abs",
    "add",
    "astype",
    "clip",
    "cos",
    "divide",
    "equal",
    "exp",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "power",
    "pow",
    "sign",
    "sin",
    "sqrt",
    "square",
    "subtract",
    "where",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
    "argmax",
    "argmin",
    "logsumexp",
    "max",
    "mean",
    "min",
    "std",
    "sum",
    "var",
    "broadcast_to",
    "concatenate",
    "expand_dims",
    "flatten",
    "getitem",
    "reshape",
    "squeeze",
    "stack",
    "swapaxes",
    "transpose",
    "matmul",
    "linear",
    "cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "softmax_cross_entropy",
]


# Modules that moved to debug/ and viz/ keep their old import paths.
from ._aliases import alias_modules  # noqa: E402

alias_modules(
    __name__,
    {
        "gradcheck": "debug.gradcheck",
        "testing": "debug.testing",
        "anomaly": "debug.anomaly",
        "explain": "debug.explain",
        "graphinfo": "viz.collect",
        "walkthrough": "viz.walkthrough",
        "_graph": "graph",
    },
)
