"""The graph as text and as data: ``graph_text`` / ``print_graph`` for a terminal,
``graph_to_dict`` for JSON, both from the same ``GraphInfo`` the drawing uses."""

from __future__ import annotations

from ..grad_mode import graph_scope
from ..tensor import Tensor
from .collect import (
    FREED_HINT,
    array_stats,
    collect,
    gradient_lookup,
    json_number,
    missing_intermediate_grads,
    scope_title,
    shape_text,
)


def graph_to_dict(output: Tensor, show_data: bool = False, show_grad: bool = True) -> dict:
    """The graph as plain data: ``{"output", "nodes": [...], "edges": [...]}``, JSON-ready.

    Each node has ``id``, ``kind`` ("op" or "tensor"), and for ops ``op``, ``scope``,
    ``kwargs``, ``scalars``; for tensors ``role``, ``name``, ``shape``, ``dtype``, ``scope``,
    and ``grad`` (statistics) / ``data`` (statistics) when known and asked for.
    """
    info = collect(output)
    grads = gradient_lookup(info, output) if show_grad else {}
    nodes: list = []
    for o in info.ops.values():
        nodes.append(
            {
                "id": o.id,
                "kind": "op",
                "op": o.name,
                "scope": _scope_labels(o.scope),
                "kwargs": dict(o.kwargs),
                "scalars": [[i, json_number(v)] for i, v in o.scalars],
                "shape": list(info.tensors[o.outputs[0]].shape) if len(o.outputs) == 1 else None,
            }
        )
    for t in info.tensors.values():
        d = {
            "id": t.id,
            "kind": "tensor",
            "role": t.role,
            "name": t.name,
            "shape": list(t.shape),
            "dtype": t.dtype,
            "scope": _scope_labels(t.scope),
        }
        if t.id in grads:
            d["grad"] = grads[t.id].to_dict()
        if show_data:
            data = t.data()
            if data is not None:
                d["data"] = array_stats(data).to_dict()
        nodes.append(d)
    edges = [{"from": a, "to": b, "label": lab} for a, b, lab in info.edges()]
    return {"output": info.output, "nodes": nodes, "edges": edges}


def _scope_labels(scope: graph_scope | None) -> list[str]:
    return [] if scope is None else [s.label for s in scope.path()]


def graph_text(output: Tensor, show_grad: bool = True, max_lines: int = 400) -> str:
    """The graph as an indented tree, output first: op, shape, dtype and gradient norm.

    A result used twice is printed once and referred to as ``(see #k)`` afterwards.
    """
    info = collect(output)
    grads = gradient_lookup(info, output) if show_grad else {}
    rows: list[tuple[str, str, str, str, str]] = []
    numbers: dict = {}
    stack: list[tuple[str, int]] = [(info.output, 0)]
    cut = 0
    while stack:
        tid, depth = stack.pop()
        if len(rows) >= max_lines:
            cut += 1
            continue
        t = info.tensors[tid]
        pad = "  " * depth
        g = grads.get(tid)
        gtext = "" if g is None else (g.badge() or f"{g.norm:.3g}")
        scope = scope_title(t.scope) if t.scope is not None else ""
        if tid in numbers:
            rows.append((f"{pad}(see #{numbers[tid]})", "", "", "", ""))
            continue
        numbers[tid] = len(numbers)
        if t.producer is None:
            kind = t.role if t.node is None else "(not drawn)"
            name = f"{t.name} " if t.name else ""
            label = f"{pad}#{numbers[tid]} {name}[{kind}]"
            rows.append((label, shape_text(t.shape), t.dtype, gtext, scope))
            continue
        o = info.ops[t.producer]
        extra = ", ".join(f"{k}={v}" for k, v in o.kwargs.items())
        extra += "".join(f", arg{i}={v:g}" for i, v in o.scalars)
        name = f"{o.name}({extra.lstrip(', ')})" if extra else o.name
        if t.out_index is not None:
            name += f"[{t.out_index}]"
        if t.name:
            name += f" -> {t.name}"
        rows.append((f"{pad}#{numbers[tid]} {name}", shape_text(t.shape), t.dtype, gtext, scope))
        for child in reversed([c for c in o.inputs if c is not None]):
            stack.append((child, depth + 1))
    header = ("node", "shape", "dtype", "grad norm" if show_grad else "", "scope")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()
        for r in [header, *rows]
    ]
    if cut:
        lines.append(f"... {cut} more lines (raise max_lines to see them)")
    if show_grad and missing_intermediate_grads(info, grads):
        lines.append(FREED_HINT)
    return "\n".join(lines)


def print_graph(output: Tensor, show_grad: bool = True, max_lines: int = 400) -> None:
    """Print ``graph_text(output)``."""
    print(graph_text(output, show_grad=show_grad, max_lines=max_lines))
