"""The recorded graph: ``Node`` (one recorded operation) and ``backward_order``, the one walk
over it that backward, gradcheck, the walkthrough and the renderer all use.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import numpy as np

from .grad_mode import open_scope

#: The write clock: advanced by every in-place write that goes through the library (see
#: ``versions``); each Node keeps its value when recorded (``stamp``), so that backward
#: looks at the arrays a node saved only if some write came after it.
write_clock = 0
_tick_lock = threading.Lock()


def tick() -> int:
    """Advance the write clock; the new value stamps the write being made."""
    global write_clock
    with _tick_lock:
        write_clock += 1
        return write_clock


class Node:
    """One recorded operation: the op, the Tensors it read, and the array it produced.

    Fields, each with one meaning in every state:

    - ``op``: the ``Op`` that ran; ``kwargs``: its keyword arguments (axes, shapes, ...).
    - ``parents[i]``: the Node that produced input ``i``, or None for a leaf or a constant.
    - ``inputs[i]``: the input Tensor ``i``, or None once released for an input a node
      produced (leaves and constants stay, so a released graph can still be drawn).
    - ``out``: the output array (a tuple of arrays for a multi-output Function), or None once
      released; ``shape`` and ``dtype`` describe it in both states.
    - ``ctx``: what a custom Function's forward saved (its ``Context``), else None.
    - ``out_index``: on the per-output nodes of a multi-output Function, which output of
      ``parents[0]`` (the Function's node) this node stands for, else None; such a node reads
      no Tensor (``inputs == (None,)``). ``n_out``: how many outputs ``out`` has.
    - ``hooks``, ``retain``: gradient hooks and ``retain_grad()`` of the output Tensor.
    - ``trace``: the creation stack (anomaly mode only); ``scope``: the innermost
      ``graph_scope`` open when recorded (an nn layer), for drawing.
    - ``stamp``: the write clock when recorded (``versions``): backward checks the tensors
      the rule reads only when some in-place write came after it. ``pins``: what keeps the
      numpy arrays the user handed in, and that the rule reads, read-only while the node
      lives (None if none).

    ``release()`` drops the arrays saved for backward (``out``, the intermediates in
    ``inputs``, the Function's saved arrays); ``released`` says it happened (``stamp`` is
    then -1, so that backward tests one field for both).
    """

    op: Any
    kwargs: dict
    parents: tuple
    inputs: tuple
    out: Any
    ctx: Any
    out_index: int | None
    n_out: int
    _meta: tuple
    hooks: list | None
    retain: Any
    trace: Any
    scope: Any
    stamp: int
    pins: Any

    __slots__ = (
        "op",
        "kwargs",
        "parents",
        "inputs",
        "out",
        "ctx",
        "out_index",
        "n_out",
        "_meta",
        "hooks",
        "retain",
        "trace",
        "scope",
        "stamp",
        "pins",
        "__weakref__",
    )

    def __init__(self, op: Any, inputs: tuple, parents: tuple, out: Any, kwargs: dict) -> None:
        self.op = op
        self.kwargs = kwargs
        self.parents = parents
        self.inputs = inputs
        self.out = out
        self.ctx = self.out_index = self.hooks = self.retain = self.trace = None
        self.n_out = 1  # a multi-output Function sets its count (and its ctx) afterwards
        self.stamp = write_clock
        self.scope = open_scope()
        # (`pins` is set only where there is something to pin)

    @property
    def released(self) -> bool:
        """True once ``release()`` dropped the arrays saved for backward."""
        return self.stamp < 0

    @property
    def name(self) -> str:
        """The op's name (a custom Function's class name)."""
        return self.op.name

    @property
    def shape(self) -> tuple:
        """Shape of the output (a tuple of shapes for a multi-output Function)."""
        out = self.out
        if out is None:
            return self._meta[0]
        return tuple(o.shape for o in out) if type(out) is tuple else out.shape

    @property
    def dtype(self) -> np.dtype:
        """dtype of the output (of the first one for a multi-output Function)."""
        out = self.out
        if out is None:
            return self._meta[1]
        return out[0].dtype if type(out) is tuple else out.dtype

    def release(self) -> None:
        """Drop the arrays saved for backward; keep the structure, the leaves and constants."""
        out = self.out
        if out is None:  # released already
            return
        if type(out) is tuple:
            self._meta = (tuple([o.shape for o in out]), out[0].dtype)
        else:
            self._meta = (out.shape, out.dtype)
        self.out = None
        # An intermediate's Tensor holds its array: let it go (parents keeps the structure).
        inputs, parents = self.inputs, self.parents
        n = len(inputs)
        if n == 2:  # the common cases, without a list comprehension
            x, y = inputs
            self.inputs = (x if parents[0] is None else None, y if parents[1] is None else None)
        elif n == 1:
            self.inputs = (inputs[0] if parents[0] is None else None,)
        elif n == 3:
            x, y, z = inputs
            p, q, r = parents
            self.inputs = (
                x if p is None else None,
                y if q is None else None,
                z if r is None else None,
            )
        else:
            self.inputs = tuple(
                [t if p is None else None for t, p in zip(inputs, parents, strict=True)]
            )
        if self.ctx is not None:
            self.ctx.release()
        self.pins = None  # the arrays it read may be written again (when no other node reads them)
        self.stamp = -1

    def __repr__(self) -> str:
        return f"<Node {self.name} shape={self.shape}>"


def count_consumers(root: Node) -> dict:
    """For each node reachable from ``root``, how many nodes read its output (0 for root)."""
    counts = {root: 0}
    stack = [root]
    while stack:
        for p in stack.pop().parents:
            if p is not None:
                if p in counts:
                    counts[p] += 1
                else:
                    counts[p] = 1
                    stack.append(p)
    return counts


def backward_order(root: Node) -> Iterator[Node]:
    """Every node reachable from ``root``, each after all of the nodes that read its output,
    so the gradient it is handed is complete (Kahn's algorithm; iterative, any depth).

    A node's parents are read after it is yielded: the consumer may release it meanwhile.
    """
    waiting = count_consumers(root)
    ready = [root]
    while ready:
        node = ready.pop()
        yield node
        for p in node.parents:
            if p is not None:
                left = waiting[p] - 1
                waiting[p] = left
                if left == 0:
                    ready.append(p)


def is_plumbing(node: Node) -> bool:
    """True for the per-output nodes of a multi-output Function (they only route gradients)."""
    return node.out_index is not None


def node_outputs(node: Node) -> tuple:
    """The output arrays of ``node`` (one per output of a multi-output Function)."""
    return node.out if type(node.out) is tuple else (node.out,)
