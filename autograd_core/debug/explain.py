"""explain_grad: why is this gradient None, or zero?

It reads the recorded graph of an output. When the tensor is not on it, it names what cut the
path as far as the graph can tell (a detached copy, an integer cast, a comparison) and lists
the usual causes. When it is, it runs the backward node by node and names the first node whose
output gradient is nonzero but whose gradient towards the tensor is all zero (a dead ReLU, a
saturated sigmoid, a clip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import node_vjp
from ..graph import backward_order, is_plumbing, node_outputs
from ..tensor import Tensor
from .anomaly import where_created

_VANISHING = 1e-8  # a gradient this small (for an upstream of ones) counts as vanished

_USUAL_CAUSES = [
    "usual causes of a missing path:",
    "  - x.detach(), x.data, x.numpy() or Tensor(x) make a new leaf that is not x",
    "  - an operation inside `with no_grad():` is not recorded",
    "  - astype(int), argmax, a comparison (x > 0) or round-tripping through numpy gives a "
    "result without gradient",
    "  - x was created with requires_grad=False, or the output uses a different tensor",
]


@dataclass
class GradExplanation:
    """Why ``leaf`` gets the gradient it gets from ``output``; ``str()`` gives the lines.

    ``path_exists`` says whether the output depends on the leaf through recorded operations;
    ``node`` is the node that cut the path or zeroed the gradient (None when unknown);
    ``grad`` is the gradient found by the node-by-node backward (None without a path).
    """

    path_exists: bool
    reason: str
    node: Any = None
    grad: Any = None
    lines: list = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    __repr__ = __str__


def _label(t: Tensor, default: str) -> str:
    return t.name or default


def _describe(node: Any, order: list) -> str:
    numbered = [n for n in order if not is_plumbing(n)]
    k = numbered.index(node) + 1 if node in numbered else "?"
    place = where_created(node) if node.trace is not None else None
    text = f"'{node.name}' (node {k} of {len(numbered)} in backward order)"
    return f"{text}, created at {place}" if place else text


def explain_grad(output: Tensor, leaf: Tensor) -> GradExplanation:
    """Explain why ``leaf``'s gradient from ``output`` is None or zero (or confirm it is not).

    ``output`` is the tensor backward starts from (a non-scalar one is seeded with ones).
    """
    if not isinstance(output, Tensor) or not isinstance(leaf, Tensor):
        raise TypeError(
            f"explain_grad expects two Tensors (output, leaf). Received "
            f"{type(output).__name__} and {type(leaf).__name__}"
        )
    x = _label(leaf, "the tensor")
    head: list[str] = []
    if not leaf.requires_grad:
        head.append(
            f"{x} has requires_grad=False, so no gradient is ever computed for it: create it "
            f"with requires_grad=True (or set .requires_grad = True before using it)"
        )
    elif not leaf.is_leaf:
        head.append(
            f"{x} is not a leaf (it was computed by '{leaf.grad_fn.name}'), and backward keeps "
            f".grad only on leaves: call .retain_grad() on it before backward, or use "
            f"ag.gradients(output, [it])"
        )
    if output is leaf:
        return GradExplanation(
            True,
            "the output is the tensor itself",
            lines=head
            + [f"the output is {x} itself: its gradient is the upstream gradient (ones)"],
        )
    if output._node is None:
        return _no_graph(output, x, head)
    order = list(backward_order(output._node))
    target = leaf._node if leaf._node is not None else leaf
    on_path = _reaching(order, target)
    if not on_path:
        return _no_path(order, leaf, x, head)
    return _zero_gradient(output, order, on_path, target, x, head)


def _no_graph(output: Tensor, x: str, head: list) -> GradExplanation:
    if output.dtype.kind != "f":
        why = (
            f"the output has dtype {output.dtype}: integer and boolean results (a comparison, "
            f"argmax, astype(int)) carry no gradient"
        )
    else:
        why = (
            "the output was not recorded: it was computed inside no_grad(), from detached "
            "tensors, or from tensors none of which requires grad"
        )
    lines = head + [f"no path from the output to {x}: the output has no graph at all", why]
    return GradExplanation(False, why, lines=lines)


def _reaching(order: list, target: Any) -> set:
    """The nodes from which ``target`` (a leaf Tensor or a node) can be reached."""
    reach: set = set()
    for node in reversed(order):  # producers come after their consumers in ``order``
        if any(p is not None and (p is target or p in reach) for p in node.parents) or any(
            t is target for t in node.inputs
        ):
            reach.add(node)
    return reach


def _no_path(order: list, leaf: Tensor, x: str, head: list) -> GradExplanation:
    lines = head + [
        f"no path from the output to {x}: {x} does not appear in the output's graph "
        f"({len(order)} recorded operations)"
    ]
    clue, culprit = _find_clue(order, leaf, x)
    if clue:
        lines.append(clue)
    lines += _USUAL_CAUSES
    return GradExplanation(False, clue or "the tensor is not in the graph", culprit, lines=lines)


def _find_clue(order: list, leaf: Tensor, x: str) -> tuple[str | None, Any]:
    """A constant in the graph that looks derived from ``leaf``, and the node it enters."""
    data = leaf.data
    fallback = None
    for node in order:
        for t in node.inputs:
            if t is None or t._node is not None or t is leaf or t._rg:
                continue
            where = _describe(node, order)
            if np.shares_memory(t.data, data):
                return (
                    f"a constant sharing {x}'s memory enters {where}: {x} was detached "
                    f"(x.detach(), x.data, x.numpy() or Tensor(x)) before this operation",
                    node,
                )
            if t.shape != data.shape:
                continue
            if t.dtype.kind in "iu" and np.array_equal(t.data, data.astype(t.dtype)):
                return (
                    f"an integer copy of {x} ({t.dtype}) enters {where}: an integer cast "
                    f"(astype(int)) cuts the gradient; keep the values in float",
                    node,
                )
            if t.dtype.kind == "b":
                return (
                    f"a boolean tensor of {x}'s shape enters {where}: a comparison (x > 0) "
                    f"has no gradient; write it with where(), relu() or clip() to keep one",
                    node,
                )
            if t.dtype == data.dtype and np.array_equal(t.data, data):
                return (
                    f"a constant with exactly {x}'s values enters {where}: a copy of its data "
                    f"(x.data.copy(), np.array(x)) was used instead of {x}",
                    node,
                )
            if fallback is None and t.dtype.kind == "f":
                fallback = (
                    f"a constant of {x}'s shape enters {where}: if it was computed from {x} "
                    f"inside no_grad() or from x.data / x.numpy(), that is where the path was "
                    f"cut",
                    node,
                )
    return fallback if fallback is not None else (None, None)


def _zero_gradient(
    output: Tensor, order: list, on_path: set, target: Any, x: str, head: list
) -> GradExplanation:
    """Run the backward node by node along the path and find where the gradient dies."""
    released = [n for n in order if n in on_path and n.released]
    if released:
        lines = head + [
            f"a path from the output to {x} exists, through {_describe(released[0], order)}",
            "its saved arrays were freed by an earlier backward(), so the gradient cannot be "
            "followed node by node: call explain_grad before backward(), or pass "
            "retain_graph=True",
        ]
        return GradExplanation(True, "graph released", lines=lines)
    grads: dict = {output._node: np.ones(output.shape, dtype=output.dtype)}
    target_grad = None
    killer = None
    shrink: tuple = (1.0, None)  # the largest factor by which one node shrinks the gradient
    for node in order:
        if node not in on_path:
            continue
        g = grads.pop(node, None)
        if g is None:
            continue
        if is_plumbing(node):
            owner = node.parents[0]
            slots = grads.setdefault(owner, [None] * owner.n_out)
            slots[node.out_index] = g
            continue
        outs = node_outputs(node)
        given = g if isinstance(g, list) else [g]
        upstream = tuple(
            np.zeros_like(o) if u is None else u for u, o in zip(given, outs, strict=True)
        )
        in_grads = node_vjp(node, upstream)
        toward = []
        for t, p, gi in zip(node.inputs, node.parents, in_grads, strict=True):
            leads = (t is not None and t is target) or p is target or p in on_path
            if not leads:
                continue
            toward.append(gi)
            if gi is None:
                continue
            if t is target or p is target:
                target_grad = gi if target_grad is None else target_grad + gi
            if p is not None and p is not target:
                prev = grads.get(p)
                grads[p] = gi if prev is None else prev + gi
        g_in = max((float(np.max(np.abs(u))) for u in upstream if u.size), default=0.0)
        g_out = max(
            (float(np.max(np.abs(gi))) for gi in toward if gi is not None and gi.size), default=0.0
        )
        if killer is None and g_in > 0 and g_out == 0:
            killer = node
        if g_in > 0 and g_out > 0 and g_in / g_out > shrink[0]:
            shrink = (g_in / g_out, node)
    return _verdict(order, killer, target_grad, x, head, shrink)


def _verdict(
    order: list, killer: Any, g: Any, x: str, head: list, shrink: tuple
) -> GradExplanation:
    lines = head + [f"a path from the output to {x} exists"]
    biggest = float(np.max(np.abs(g))) if g is not None and g.size else 0.0
    if 0 < biggest < _VANISHING and shrink[1] is not None:
        lines.append(
            f"the gradient is vanishingly small (max |grad| {biggest:.3g}): "
            f"{_describe(shrink[1], order)} shrinks it by a factor {shrink[0]:.3g}"
        )
        reason = _why_zero(shrink[1])
        lines.append(f"  {reason}")
        return GradExplanation(True, reason, shrink[1], g, lines)
    if biggest > 0:
        zeros = int(np.sum(g == 0))
        lines.append(
            f"the gradient is nonzero: max |grad| {biggest:.3g}"
            + (f"; {zeros} of {g.size} elements are zero" if zeros else "")
        )
        lines.append(
            "if .grad is still None: call backward() on this output (gradients accumulate "
            "there), and check that it is the same tensor object"
        )
        return GradExplanation(True, "nonzero", grad=g, lines=lines)
    if killer is None:
        lines.append(
            "the gradient is zero although no single operation zeroes it: the contributions "
            "of several paths cancel (like x - x)"
        )
        return GradExplanation(True, "contributions cancel", grad=g, lines=lines)
    lines.append(
        f"the gradient is zero: {_describe(killer, order)} receives a nonzero gradient but "
        f"passes back zero"
    )
    reason = _why_zero(killer)
    lines.append(f"  {reason}")
    return GradExplanation(True, reason, killer, g, lines)


def _why_zero(node: Any) -> str:
    """The op-specific reason why ``node``'s local derivative is zero."""
    name = node.name
    xs = [t.data for t in node.inputs if t is not None]
    if not xs:
        return f"{name}: its local derivative is zero here"
    x = xs[0]
    if name == "relu":
        return f"dead ReLU: all {x.size} of its inputs are <= 0, where its derivative is 0"
    if name in ("sigmoid", "tanh"):
        s = node.out
        d = s * (1 - s) if name == "sigmoid" else 1 - s * s
        return (
            f"saturated {name}: all its inputs have |x| >= {float(np.min(np.abs(x))):.3g}, "
            f"where the derivative is at most {float(np.max(d)):.2g}: scale the inputs down"
        )
    if name == "clip":
        lo, hi = node.kwargs.get("lo"), node.kwargs.get("hi")
        return f"clip: every input lies outside [{lo}, {hi}], where the gradient is 0"
    if name in ("max", "min", "maximum", "minimum"):
        return f"{name}: the elements on the path never win the {name[:3]}, so they get no gradient"
    if name == "multiply":
        return "multiply: the other factor is zero wherever this gradient flows"
    if name == "where":
        return "where: the condition never selects the branch on the path"
    if name == "getitem":
        return "getitem: the index selects none of the elements on the path"
    if node.ctx is not None:
        return (
            f"custom Function {name}: its backward gives zero for this input here (a zero "
            f"local derivative, or it returned None)"
        )
    return f"{name}: its local derivative is zero at these inputs"
