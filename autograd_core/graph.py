"""Reading a recorded graph node by node: the backward order, one node's forward re-run on
new arrays, and one node's VJP. Used by gradcheck and explain_grad; the engine does not use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import unbroadcast
from .engine import _count_dependencies
from .function import Context, _FunctionOp
from .grad_mode import mode
from .tensor import Tensor


def is_plumbing(node: Any) -> bool:
    """True for the per-output nodes of a multi-output Function (they only route gradients)."""
    return node.out_index is not None


def backward_order(root: Any) -> list:
    """Every node reachable from ``root``, each after all of its consumers (the order in which
    the engine runs them)."""
    deps, links = _count_dependencies(root)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for p in links[node]:
            if p is not None:
                deps[p] -= 1
                if deps[p] == 0:
                    ready.append(p)
    return order


def is_function_node(node: Any) -> bool:
    """True when ``node`` records a custom ``Function``."""
    return isinstance(node.op, _FunctionOp)


def node_outputs(node: Any) -> tuple:
    """The output arrays of ``node`` (one per output of a multi-output Function)."""
    return node.out if isinstance(node.out, tuple) else (node.out,)


def run_forward(node: Any, arrays: list) -> tuple:
    """Re-run ``node``'s forward on ``arrays`` (one per recorded input); returns its outputs."""
    previous = mode.enabled
    mode.enabled = False
    try:
        if is_function_node(node):
            kw = node.kwargs
            args = list(kw["args"])
            for pos, a in zip(kw["positions"], arrays, strict=True):
                args[pos] = a
            ctx = Context(node.name, node.kwargs["ctx"].needs_input_grad)
            out = node.op.function.forward(ctx, *args, **kw["kwargs"])
        else:
            out = node.op.forward(*arrays, **node.kwargs)
    finally:
        mode.enabled = previous
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(np.asarray(o.data if isinstance(o, Tensor) else o) for o in outs)


def run_vjp(node: Any, upstream: tuple) -> list:
    """``node``'s gradient for each input (an array of the input's shape, or None) given one
    upstream array per output, with recording off."""
    g: Any = list(upstream) if isinstance(node.out, tuple) else upstream[0]
    previous = mode.enabled
    mode.enabled = False
    try:
        grads = node.op.backward(node, g)
    finally:
        mode.enabled = previous
    result = []
    for x, gi in zip(node.inputs, grads, strict=True):
        if gi is None or x is None or not x._rg:
            result.append(None)
            continue
        gi = np.asarray(gi.data if isinstance(gi, Tensor) else gi)
        if gi.shape != x.shape:
            gi = unbroadcast(gi, x.shape, f"vjp of '{node.name}' returned a gradient")
        result.append(gi)
    return result
