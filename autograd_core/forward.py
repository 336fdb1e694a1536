"""Forward mode: tangents pushed through a recorded graph, from its inputs to its outputs.

``backward`` walks a graph from an output to the leaves with each op's VJP rule; this walks
it the other way, in the order the ops ran, with each op's JVP rule (``@name.jvp``): the
tangent of every node from the tangents of its inputs. It is the linearisation of the
recorded function at the recorded point, applied to the tangents: one pass over the ops,
costing what their rules cost, with no Jacobian built. The function is recorded once and
its graph can be swept with many tangents (``jacfwd``, one per column).

With recording on (a nested transform), the rules' operations are recorded like any others,
so a tangent can be differentiated again, with respect to the inputs and to the tangents.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .graph import Node, backward_order, count_consumers
from .tensor import Tensor, _make


class Linearization:
    """The recorded graph behind ``outputs``, ready to push tangents through it.

    ``push(seeds)`` takes the tangents of some of the tensors the outputs were computed from,
    keyed by the tensor's Node (or by the Tensor itself for a leaf), and returns the tangent
    of each output: a Tensor, or None where it is zero (nothing seeded reaches it).
    """

    def __init__(self, outputs: Sequence[Tensor]) -> None:
        self.outputs = tuple(outputs)
        roots = tuple(t._node for t in self.outputs if t._node is not None)
        # one node reading every output, so one walk orders them all (and so no output's
        # tangent is dropped early: this node, never visited, still waits for them)
        self._top = Node(None, (), roots, None, {})
        order = list(backward_order(self._top))
        order.reverse()
        self.order = order[:-1]  # in the order the ops ran, without the join

    def push(self, seeds: dict) -> list:
        """The tangent of each output, given the tangents ``seeds``."""
        known = dict(seeds)
        waiting = count_consumers(self._top)
        for node in self.order:
            if node not in known:
                t = _node_tangent(node, known)
                if t is not None:
                    known[node] = t
            # NOTE: a tangent is dropped once every node reading it is done, so a long chain
            # holds a few tangents at a time, not one per node
            for p in node.parents:
                if p is not None:
                    left = waiting[p] - 1
                    waiting[p] = left
                    if left == 0:
                        known.pop(p, None)
        return [known.get(t._node if t._node is not None else t) for t in self.outputs]


def _node_tangent(node: Node, known: dict) -> Any:
    """The tangent of ``node``'s output (a tuple of them for a multi-output Function), or
    None when none of its inputs has one."""
    parents = node.parents
    if node.out_index is not None:  # output k of a multi-output Function
        owner = known.get(parents[0])
        return None if owner is None else owner[node.out_index]
    d = tuple(
        [
            known.get(x) if p is None else known.get(p)
            for x, p in zip(node.inputs, parents, strict=True)
        ]
    )
    if all([t is None for t in d]):
        return None
    t = node.op.tangent(node, d)
    if type(node.out) is tuple:
        return tuple([_fit(ti, o) for ti, o in zip(t, node.out, strict=True)])
    return _fit(t, node.out)


def _fit(t: Any, out: np.ndarray) -> Tensor | None:
    """A rule's tangent as a Tensor of the output's shape and dtype (or None for zero)."""
    from .ops.elementwise import astype
    from .ops.shape import broadcast_to

    if t is None:
        return None
    if not isinstance(t, Tensor):
        t = _make(np.asarray(t))
    if t.shape != out.shape:
        t = broadcast_to(t, out.shape)
    if t.dtype != out.dtype:
        t = astype(t, out.dtype)
    return t
