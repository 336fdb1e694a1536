"""The chain rule made visible: ``backward_steps(output)`` replays backward on a small graph
and records, for each operation in the order backward visits it, the gradient that arrives,
the local derivative applied, and the gradient handed on to each input.

Nothing is stored in ``.grad`` and the graph is not freed, so it can still be used after.
"""

from __future__ import annotations

import html
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import node_vjp
from ..errors import BackwardError
from ..grad_mode import no_grad
from ..graph import Node, backward_order
from ..tensor import Tensor
from .collect import array_stats, shape_text

# ops whose VJP multiplies the incoming gradient elementwise by a local derivative
_ELEMENTWISE = {
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "power",
    "exp",
    "log",
    "log1p",
    "sqrt",
    "absolute",
    "sin",
    "cos",
    "clip",
    "maximum",
    "minimum",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "astype",
}


@dataclass
class BackwardStep:
    """One operation of the backward pass."""

    step: int
    op: str  # a readable label: the op's name, with its layer (dense_1/matmul) or result
    node: Node
    shape: tuple  # shape of the op's output
    upstream: np.ndarray  # dL/d(output): the gradient arriving at this op
    rule: str  # the derivative rule, in words
    local: list = field(default_factory=list)  # per input: d out/d input (elementwise ops)
    passes: list = field(default_factory=list)  # per input: (label, gradient handed on)

    @property
    def op_name(self) -> str:
        """The operation's own name (``matmul``), without the layer or a number."""
        return self.node.name

    def to_dict(self) -> dict:
        """Plain data (arrays as nested lists)."""
        return {
            "step": self.step,
            "op": self.op,
            "op_name": self.op_name,
            "shape": list(self.shape),
            "upstream": np.asarray(self.upstream).tolist(),
            "rule": self.rule,
            "local": [None if a is None else np.asarray(a).tolist() for a in self.local],
            "passes": [
                [lab, None if g is None else np.asarray(g).tolist()] for lab, g in self.passes
            ],
        }


_RULES: dict = {}

# the fused linear ops: their rule is the chain rule through the activation and the product
_LINEAR_RULE = "z = x W + b: d/dx = g_z Wᵀ, d/dW = xᵀ g_z, d/db = sum of g_z over the batch"
_ACTIVATION_RULES = {
    "relu": "g_z = g * [z > 0]",
    "sigmoid": "g_z = g * s (1 - s), s = sigmoid(z)",
    "tanh": "g_z = g * (1 - t**2), t = tanh(z)",
}
_ASIDES = re.compile(r":\s*reuse the forward output|,\s*from the output \w+$")


def _comment_formula(src: str) -> str:
    """The derivative formula written above a VJP's return: the first comment line that
    starts with ``# d``, with its continuation lines, without NOTEs and asides."""
    lines = [line.strip() for line in src.splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("# d"):
            continue
        parts = [line[2:]]
        for nxt in lines[i + 1 :]:
            if not nxt.startswith("#") or nxt[1:].strip().startswith("NOTE:"):
                break
            parts.append(nxt[1:].strip())
        text = " ".join(parts).split("NOTE:")[0]
        return " ".join(_ASIDES.sub("", text).split())  # one space between words
    return ""


def rule_text(node: Node) -> str:
    """The derivative rule of ``node``'s op: the comment above its VJP's return."""
    op = node.op
    name = node.name
    if name in _RULES:
        return _RULES[name]
    text = ""
    fn = getattr(op, "function", None)
    if fn is not None:
        text = f"{name}.backward (custom Function)"
    elif name == "linear" or name.startswith("linear_"):
        act = _ACTIVATION_RULES.get(name[len("linear_") :])
        text = f"a = {name[len('linear_') :]}(z), {act}; {_LINEAR_RULE}" if act else _LINEAR_RULE
    elif op.rule is not None:
        try:
            text = _comment_formula(inspect.getsource(op.rule))
        except (OSError, TypeError):
            text = ""
    _RULES[name] = text or f"vjp of {name}"
    return _RULES[name]


def _scope_name(node: Node) -> str | None:
    """The name of the layer (or the label of the ``graph_scope``) that recorded ``node``."""
    scope = node.scope
    if scope is None:
        return None
    name = getattr(scope.owner, "name", None)
    return name if isinstance(name, str) and name else scope.label


def _labels(nodes: list[Node], output: Tensor) -> dict:
    """A readable label per node, in visiting order: ``dense_1/matmul`` for an op of a layer,
    ``sum → C`` for an op whose result has a name, else the op's name; ``#k`` numbers an
    op whose label would otherwise repeat (``sigmoid#1``, ``sigmoid#2``)."""
    base = {}
    for n in nodes:
        label = n.name
        scope = _scope_name(n)
        if scope:
            label = f"{scope}/{label}"
        t = output if n is output._node else (n.retain() if n.retain is not None else None)
        if t is not None and t.name:
            label = f"{label} → {t.name}"
        base[n] = label
    totals: dict = {}
    for label in base.values():
        totals[label] = totals.get(label, 0) + 1
    counts: dict = {}
    out = {}
    for n in nodes:
        label = base[n]
        if totals[label] > 1:
            counts[label] = counts.get(label, 0) + 1
            label = f"{label}#{counts[label]}"
        out[n] = label
    return out


def backward_steps(output: Tensor, grad: Any = None) -> list[BackwardStep]:
    """Replay backward from ``output`` step by step, in the order backward visits the ops.

    Needs the graph's saved arrays: call it before ``backward()`` (or after
    ``backward(retain_graph=True)``). ``grad`` is the starting gradient (ones by default).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"backward_steps expects a Tensor. Received {type(output).__name__}")
    root = output._node
    if root is None:
        raise BackwardError("backward_steps: the output is a leaf; there is no recorded op")
    if root.released:
        raise BackwardError(
            "backward_steps: the graph's saved arrays were freed by backward(). Call "
            "backward_steps before backward(), or use backward(retain_graph=True)"
        )
    g0 = (
        np.ones(output.shape, output.dtype)
        if grad is None
        else np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=output.dtype)
    )
    if g0.shape != output.shape:
        raise BackwardError(
            f"backward_steps: grad has shape {g0.shape} but the output has shape {output.shape}"
        )

    # The engine's own walk and per-node step, with the gradients kept for the table.
    order: list[Node] = []
    grads: dict = {root: g0}
    steps: list[BackwardStep] = []
    visits: list[tuple[Node, Any]] = []
    for node in backward_order(root):
        g = grads.pop(node, None)
        if g is None:
            continue
        if node.out_index is not None:
            owner = node.parents[0]
            slots = grads.setdefault(owner, [None] * owner.n_out)
            k = node.out_index
            slots[k] = g if slots[k] is None else slots[k] + g
        else:
            order.append(node)
            visits.append((node, g))
            _pass_on(node, g, grads)
    labels = _labels(order, output)
    for i, (node, g) in enumerate(visits):
        steps.append(_step(i + 1, node, g, labels))
    return steps


def _input_grads(node: Node, g: Any) -> list:
    """The op's VJP applied to ``g``, each result summed back to its input's shape."""
    if isinstance(g, list):  # a multi-output Function: one gradient per output
        g = [np.zeros_like(o) if gk is None else gk for gk, o in zip(g, node.out, strict=True)]
    return node_vjp(node, tuple(g) if isinstance(g, list) else (g,))


def _pass_on(node: Node, g: Any, grads: dict) -> None:
    for p, gi in zip(node.parents, _input_grads(node, g), strict=False):
        if p is not None and gi is not None:
            grads[p] = gi if grads.get(p) is None else grads[p] + gi


def _step(i: int, node: Node, g: Any, labels: dict) -> BackwardStep:
    if isinstance(g, list):  # a multi-output Function: one gradient per output
        g = [np.zeros_like(o) if gk is None else gk for gk, o in zip(g, node.out, strict=False)]
        upstream = g
        shape = tuple(o.shape for o in node.out)
    else:
        upstream, shape = g, node.shape
    passed = _input_grads(node, g)
    local = []
    if node.name in _ELEMENTWISE and not isinstance(g, list):
        ones = _input_grads_unreduced(node, np.ones_like(g))
        local = ones
    passes = []
    for k, (p, x, gi) in enumerate(zip(node.parents, node.inputs, passed, strict=False)):
        if p is not None:
            label = labels.get(p) or labels.get(
                p.parents[0] if p.out_index is not None else p, p.name
            )
            if p.out_index is not None:
                label = f"{labels.get(p.parents[0], p.parents[0].name)}[{p.out_index}]"
        elif x is not None and x._rg:
            label = x.name or f"leaf {k}"
        else:
            label = x.name if x is not None and x.name else "constant"
        passes.append((label, gi))
    return BackwardStep(i, labels[node], node, shape, upstream, rule_text(node), local, passes)


def _input_grads_unreduced(node: Node, ones: np.ndarray) -> list:
    """d out / d input elementwise, in the output's shape (the VJP applied to ones)."""
    with no_grad():
        raw = node.op.backward(node, ones)
    return [
        None
        if (r is None or x is None or not x._rg)
        else (r.data if isinstance(r, Tensor) else np.asarray(r))
        for x, r in zip(node.inputs, raw, strict=False)
    ]


def _number(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    v = float(v)
    return "0" if v == 0 else f"{v:.4g}"  # no "-0", no padding


def compact(a: Any, max_values: int = 6) -> str:
    """A small array as ``[0.5, -1.25]`` (nested for 2-D, four significant digits, no
    padding); a larger one as its ``mean, norm, min, max``."""
    if a is None:
        return ""
    arr = np.asarray(a)
    if arr.size > max_values:
        st = array_stats(arr, keep=0)
        return f"mean {st.mean:.4g}, norm {st.norm:.4g}, min {st.min:.4g}, max {st.max:.4g}"

    def nested(x: np.ndarray) -> str:
        if x.ndim == 0:
            return _number(x.item())
        return "[" + ", ".join(nested(row) for row in x) + "]"

    return nested(arr)


class BackwardTable:
    """The walkthrough as a table: ``print()`` it in a terminal, or display it in Jupyter.

    In text each step is one line, and entries within a cell are separated by ``;``; in
    Jupyter each entry (the rule, each input's local derivative, each gradient handed on)
    has a line of its own.
    """

    columns = ("step", "op", "output shape", "gradient arriving", "local derivative", "passes on")

    def __init__(self, steps: list[BackwardStep], max_values: int = 6) -> None:
        self.steps = steps
        self.max_values = max_values

    def cells(self) -> list[list[list[str]]]:
        """Per step, per column, the entries of the cell."""
        mv = self.max_values
        out = []
        for s in self.steps:
            up = (
                [compact(u, mv) for u in s.upstream]
                if isinstance(s.upstream, list)
                else [compact(s.upstream, mv)]
            )
            labels = [lab for lab, _ in s.passes]
            local = [s.rule] + [
                f"for {lab}: {compact(a, mv)}"
                for lab, a in zip(labels, s.local, strict=False)
                if a is not None
            ]
            passes = [f"to {lab}: {compact(gi, mv)}" for lab, gi in s.passes if gi is not None]
            shape = (
                ", ".join(shape_text(x) for x in s.shape)
                if s.shape and isinstance(s.shape[0], tuple)
                else shape_text(s.shape)
            )
            out.append(
                [
                    [str(s.step)],
                    [s.op],
                    [shape],
                    up,
                    local,
                    passes or ["(nothing needs a gradient)"],
                ]
            )
        return out

    def rows(self) -> list[tuple[str, ...]]:
        """One tuple of strings per step (a cell's entries joined by ``;``)."""
        return [tuple("; ".join(c) for c in row) for row in self.cells()]

    def __str__(self) -> str:
        rows = [self.columns, *self.rows()]
        widths = [min(max(len(r[i]) for r in rows), 60) for i in range(len(self.columns))]
        lines = []
        for r in rows:
            lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())
            if r is self.columns:
                lines.append("-+-".join("-" * w for w in widths))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                "<td style='text-align:left; vertical-align:top'>"
                + "<br>".join(f"<code>{html.escape(e)}</code>" for e in cell)
                + "</td>"
                for cell in row
            )
            + "</tr>"
            for row in self.cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def explain_backward(output: Tensor, grad: Any = None, max_values: int = 6) -> BackwardTable:
    """``backward_steps`` as a table (print it, or show it in a notebook)."""
    return BackwardTable(backward_steps(output, grad), max_values)
