"""Drawing a recorded graph with Graphviz: ``draw_graph(output)`` returns a ``graphviz.Digraph``.

One node per operation (ellipses) and per tensor (boxes: parameters solid, constants dashed,
results rounded, the output doubled); ops recorded inside a ``graph_scope`` (an nn layer) are
grouped into a labelled cluster, or collapsed into one box. With ``show_grad`` tensors are
coloured by gradient norm, so vanishing and exploding gradients stand out; NaN and infinite
values get a red badge. Text and plain-data forms live in ``graphinfo``; the chain rule step
by step in ``walkthrough``.
"""

from __future__ import annotations

import html
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Iterable

import graphviz
import numpy as np

from .. import _files
from ..grad_mode import graph_scope
from ..graph import Node
from ..tensor import Tensor
from .collect import (
    FREED_HINT,
    ArrayStats,
    GraphInfo,
    array_stats,
    collect,
    format_value,
    gradient_lookup,
    missing_intermediate_grads,
    record_gradients,
    scope_title,
    shape_text,
    walk_nodes,
)
from .text import graph_text, graph_to_dict, print_graph
from .walkthrough import backward_steps, explain_backward

scope = graph_scope  # ``with autograd_core.viz.scope("block 1"): ...``

__all__ = [
    "draw_graph",
    "save_graph",
    "graphviz_available",
    "GraphvizNotFound",
    "INSTALL_HINT",
    "graph_text",
    "print_graph",
    "graph_to_dict",
    "record_gradients",
    "backward_steps",
    "explain_backward",
    "scope",
    "graph_scope",
]

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered. "
    "The Python package `graphviz` only writes DOT text; install the Graphviz programs too: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`, Windows "
    "`winget install graphviz`. The DOT source is still available as `.source` (or "
    "`.save('graph.dot')`), and can be pasted into any Graphviz viewer."
)

# colours: fills by role, and by gradient health when show_grad is on
_FILL = {
    "parameter": "#fff2cc",
    "constant": "#f2f2f2",
    "intermediate": "#ffffff",
    "output": "#e4dcf2",
}
_OP_FILL = "#dbe8f6"
_GROUP_FILL = "#eef3fa"
_VANISH, _HEALTHY, _EXPLODE, _BAD = "#c6dbef", "#c7e9c0", "#fdd0a2", "#ff9b9b"
_RED = "#d62728"


def graphviz_available() -> bool:
    """True when Graphviz's ``dot`` program can be found on PATH."""
    return shutil.which("dot") is not None


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` is missing; the message says how to install it."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        RuntimeError.__init__(self, message)


class GraphDiagram(graphviz.Digraph):
    """A Digraph of a recorded graph: the graphviz API, a clearer error when ``dot`` is
    missing, and in Jupyter the DOT text with that message instead of a traceback."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except GraphvizNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFound() from e

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFound() from e

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": INSTALL_HINT + "\n\n" + self.source}


def new_digraph(name: str = "graph", **attrs: Any) -> Any:
    """An empty Digraph with this module's fallback behaviour and house style."""
    g = GraphDiagram(name=name)
    g.attr("graph", fontname="Helvetica", fontsize="11", **attrs)
    g.attr("node", fontname="Helvetica", fontsize="10", margin="0.06,0.03", height="0.3")
    g.attr("edge", arrowsize="0.6", color="#555555")
    return g


# --- labels ----------------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(rows: list[str], bgcolor: str | None = None) -> str:
    bg = f' BGCOLOR="{bgcolor}"' if bgcolor else ""
    body = "".join(f"<TR><TD{bg}>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _small(text: str, color: str = "#444444") -> str:
    return f'<FONT POINT-SIZE="9" COLOR="{color}">{_e(text)}</FONT>'


def _badge(text: str) -> str:
    return f'<FONT COLOR="white" POINT-SIZE="9"><B> {_e(text)} </B></FONT>'


def _badge_row(text: str) -> str:
    return (
        f'<TABLE BORDER="0" CELLPADDING="1"><TR><TD BGCOLOR="{_RED}">{_badge(text)}</TD>'
        f"</TR></TABLE>"
    )


def _grad_fill(st: ArrayStats, vanish_below: float, explode_above: float) -> str:
    if not st.finite:
        return _BAD
    if st.norm < vanish_below:
        return _VANISH
    if st.norm > explode_above:
        return _EXPLODE
    return _HEALTHY


# --- the drawing -----------------------------------------------------------------------------


def draw_graph(
    output: Tensor,
    show_data: bool = False,
    show_grad: bool = False,
    highlight: Iterable[Any] | None = None,
    *,
    collapse_layers: bool | None = None,
    max_nodes: int = 300,
    max_values: int = 6,
    rankdir: str = "TB",
    title: str | None = None,
    vanish_below: float = 1e-6,
    explode_above: float = 1e3,
) -> Any:
    """Draw the graph that computed ``output`` as a ``graphviz.Digraph``.

    Args:
        output: the Tensor whose recorded graph is drawn (before or after ``backward()``).
        show_data: print values (small tensors in full, large ones as mean/min/max/norm).
        show_grad: print gradients and colour tensors by gradient norm (blue below
            ``vanish_below``, orange above ``explode_above``, red for NaN/inf). Leaves use
            ``.grad``; intermediates use ``record_gradients`` or are computed while the graph
            still holds its arrays.
        highlight: Nodes or Tensors to draw in red (e.g. gradcheck's faulty node).
        collapse_layers: draw each layer (a ``graph_scope``) as one box; None collapses
            only when the graph has more than ``max_nodes`` operations.
        max_nodes: at most this many operations (or boxes) are drawn, those closest to the
            output; the rest are summarised in one node.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph expects a Tensor. Received {type(output).__name__}")
    root = output._node
    nodes = walk_nodes(root)
    real = [n for n in nodes if n.out_index is None]
    direct = {n.scope for n in real if n.scope is not None}
    if collapse_layers is None:
        collapse_layers = len(real) > max_nodes and bool(direct)
    group_of = _collapse_targets(real, direct) if collapse_layers else {}
    info = collect(output, max_ops=_ops_within(real, group_of, max_nodes))
    grads = gradient_lookup(info, output) if show_grad else {}
    marked = _highlight_ids(info, highlight)

    # ordering=in keeps each op's inputs left to right in argument order, so a layer's
    # input comes in from the left and its kernel from the right: a straight chain.
    g = new_digraph(
        "autograd", rankdir=rankdir, nodesep="0.25", ranksep="0.3", labelloc="t", ordering="in"
    )
    if title is None:
        out_t = info.tensors[info.output]
        title = (
            f"{output.name or 'output'}: {shape_text(out_t.shape)} {out_t.dtype}, "
            f"{info.n_ops} op{'s' if info.n_ops != 1 else ''}"
        )
    if title:
        g.attr(label=title)
    clusters: dict = {}  # scope -> Digraph being filled
    homes: dict = {}  # DOT node id -> the scope whose cluster holds it

    def target(s: graph_scope | None) -> Any:
        if s is None:
            return g
        if s not in clusters:
            clusters[s] = graphviz.Digraph(name=f"cluster_{len(clusters)}")
            clusters[s].attr(
                label=scope_title(s),
                style="rounded,filled",
                fillcolor="#fafafa",
                color="#999999",
                fontsize="11",
                labeljust="l",
            )
        return clusters[s]

    # hidden: tensors inside a collapsed layer (its parameters and its internal results)
    hidden = _hidden_tensors(info, group_of) if group_of else set()
    group_ids = {s: f"layer{i}" for i, s in enumerate(dict.fromkeys(group_of.values()))}
    group_members: dict = {}
    for o in info.ops.values():
        grp = group_of.get(o.node)
        if grp is not None:
            group_members.setdefault(grp, []).append(o)

    for t in info.tensors.values():
        if t.id in hidden:
            continue
        home = t.scope if t.role != "output" else None
        if home is not None and group_of:
            home = _outside_groups(home, set(group_of.values()))
        label, attrs = _tensor_node(
            t, show_data, grads.get(t.id), max_values, vanish_below, explode_above
        )
        if t.id in marked:
            attrs.update(color=_RED, penwidth="3", fontcolor=_RED)
        target(home).node(t.id, label, **attrs)
        homes[t.id] = home

    for o in info.ops.values():
        if o.node in group_of:
            continue
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": _OP_FILL}
        if o.id in marked:
            attrs.update(color=_RED, penwidth="3", fillcolor="#ffd6d6")
        target(o.scope).node(o.id, _op_label(o), **attrs)
        homes[o.id] = o.scope

    for grp, members in group_members.items():
        gid = group_ids[grp]
        attrs = {"shape": "box3d", "style": "filled", "fillcolor": _GROUP_FILL}
        if any(o.id in marked for o in members):
            attrs.update(color=_RED, penwidth="3", fillcolor="#ffd6d6")
        home = grp.parent
        target(home).node(gid, _group_label(grp, members, info, grads, show_grad), **attrs)
        homes[gid] = home

    seen_edges = set()
    for a, b, lab in info.edges():
        if a in hidden or b in hidden:
            continue
        ua, ub = _unit(a, info, group_of, group_ids), _unit(b, info, group_of, group_ids)
        if (ua, ub) != (a, b):
            lab = ""  # argument numbers mean nothing on a layer's box
        a, b = ua, ub
        if a == b or (a, b) in seen_edges:
            continue
        seen_edges.add((a, b))
        attrs = {"label": lab, "fontsize": "8"} if lab else {}
        if homes.get(b) is not None and homes.get(a) is not homes.get(b):
            # Entering a cluster: a longer edge lets the cluster start below the previous
            # one (its parameters share the rank of its input), so layers stack vertically.
            attrs["minlen"] = "2"
        g.edge(a, b, **attrs)

    if info.cut:
        _summary_node(g, info, max_nodes)
    if show_grad:
        _legend(
            g,
            vanish_below,
            explode_above,
            FREED_HINT if missing_intermediate_grads(info, grads) else "",
        )

    # Nested clusters are attached deepest first, so each is complete when copied in.
    for s in sorted(clusters, key=lambda s: -len(s.path())):
        parent = s.parent
        while parent is not None and parent not in clusters:
            parent = parent.parent
        (clusters[parent] if parent is not None else g).subgraph(clusters[s])
    return g


def _collapse_targets(real: list[Node], direct: set) -> dict:
    """Node -> the outermost scope on its path that itself records ops (an nn layer)."""
    out = {}
    for n in real:
        if n.scope is None:
            continue
        for s in n.scope.path():
            if s in direct:
                out[n] = s
                break
    return out


def _ops_within(real: list[Node], group_of: dict, max_nodes: int) -> int | None:
    """How many ops (closest to the output first) fit in ``max_nodes`` drawn units."""
    units: set = set()
    for i, n in enumerate(real):
        units.add(group_of.get(n, n))
        if len(units) > max_nodes:
            return i
    return None


def _outside_groups(s: graph_scope | None, groups: set) -> graph_scope | None:
    """The innermost scope around ``s`` that is drawn as a cluster, not collapsed."""
    path = s.path() if s is not None else []
    for i, p in enumerate(path):
        if p in groups:
            return path[i - 1] if i else None
    return s


def _hidden_tensors(info: GraphInfo, group_of: dict) -> set:
    hidden = set()
    for t in info.tensors.values():
        if t.role == "output" or not t.consumers:
            continue
        groups = {group_of.get(info.ops[c].node) for c in t.consumers}
        if len(groups) != 1 or None in groups:
            continue
        grp = groups.pop()
        if t.role == "parameter":
            hidden.add(t.id)  # a parameter only this layer reads: listed in its box
        elif t.producer is not None and group_of.get(info.ops[t.producer].node) is grp:
            hidden.add(t.id)  # a result made and used inside the layer
    return hidden


def _unit(item: str, info: GraphInfo, group_of: dict, group_ids: dict) -> str:
    o = info.ops.get(item)
    if o is not None and o.node in group_of:
        return group_ids[group_of[o.node]]
    return item


def _highlight_ids(info: GraphInfo, highlight: Iterable[Any] | None) -> set:
    if highlight is None:
        return set()
    if isinstance(highlight, (Tensor, Node)):
        highlight = [highlight]
    by_node = {}
    for o in info.ops.values():
        by_node[o.node] = o.id
    marked = set()
    for item in highlight:
        if isinstance(item, Tensor) and item._node is None:
            found = [t.id for t in info.tensors.values() if t.tensor is item]
            if not found:
                raise ValueError(f"draw_graph: highlight tensor {item!r} is not part of this graph")
            marked.update(found)
            continue
        node = item._node if isinstance(item, Tensor) else item
        if isinstance(node, Node) and node.out_index is not None:
            node = node.parents[0]  # one output of a multi-output op: mark the op
        if node in by_node:
            marked.add(by_node[node])
            marked.update(t.id for t in info.tensors.values() if t.node is node)
        elif item is not None:
            raise ValueError(f"draw_graph: highlight item {item!r} is not part of this graph")
    return marked


def _tensor_node(
    t: Any,
    show_data: bool,
    grad: ArrayStats | None,
    max_values: int,
    vanish_below: float,
    explode_above: float,
    precision: int = 3,
) -> tuple[str, dict]:
    rows = []
    title = t.name or ("output" if t.role == "output" else "")
    if title:
        rows.append(f"<B>{_e(title)}</B>")
    shape = f"{shape_text(t.shape)} {t.dtype}" if t.dtype else "(multi-output)"
    rows.append(_small(shape))
    badges = []
    data = t.data() if (show_data or t.node is None or t.role == "output") else None
    if data is not None and data.dtype.kind == "f" and data.size and not np.isfinite(data).all():
        badges.append(array_stats(data).badge())
    if show_data:
        text = (
            "freed by backward" if data is None else format_value(data, max_values, precision, True)
        )
        for i, line in enumerate(text.split("\n")):
            rows.append(_small(("data " if i == 0 else "") + line, "#222222"))
    if grad is not None:
        for i, line in enumerate(format_value(grad, max_values, precision, True).split("\n")):
            rows.append(_small(("grad " if i == 0 else "") + line, "#1a4d1a"))
        if not grad.finite:
            badges.append("grad " + grad.badge())
    for b in badges:
        rows.append(_badge_row(b))
    style = {
        "parameter": "filled",
        "constant": "filled,dashed",
        "intermediate": "filled,rounded",
        "output": "filled,rounded",
    }[t.role]
    fill = _FILL[t.role]
    if grad is not None:
        fill = _grad_fill(grad, vanish_below, explode_above)
    if badges:
        fill = _BAD
    attrs = {"shape": "box", "style": style, "fillcolor": fill}
    if t.role == "parameter":
        attrs["penwidth"] = "1.6"
    if t.role == "output":
        attrs["peripheries"] = "2"
    return _table(rows), attrs


def _op_label(o: Any) -> str:
    rows = [f"<B>{_e(o.name)}</B>"]
    extra = [f"{k}={v}" for k, v in o.kwargs.items()]
    extra += [f"arg{i}={v:.4g}" for i, v in o.scalars]
    if extra:
        rows.append(_small(", ".join(extra)))
    return _table(rows)


def _group_label(
    grp: graph_scope, members: list, info: GraphInfo, grads: dict, show_grad: bool
) -> str:
    rows = [f"<B>{_e(scope_title(grp))}</B>"]
    names = [o.name for o in members]
    rows.append(_small(f"{len(members)} ops: " + ", ".join(dict.fromkeys(names))))
    params = {}
    for o in members:
        for tid in o.inputs:
            if tid is not None and info.tensors[tid].role == "parameter":
                params[tid] = info.tensors[tid]
    for tid, t in params.items():
        text = f"{t.name or 'parameter'} {shape_text(t.shape)}"
        st = grads.get(tid)
        if show_grad and st is not None:
            text += f"  grad norm {st.norm:.3g}" if st.finite else f"  grad {st.badge()}"
        rows.append(_small(text))
    return _table(rows)


def _summary_node(g: Any, info: GraphInfo, max_nodes: int) -> None:
    n_cut = sum(info.cut.values())
    top = sorted(info.cut.items(), key=lambda kv: -kv[1])[:6]
    rows = [
        f"<B>... {n_cut} more operations not drawn</B>",
        _small(", ".join(f"{k} x{v}" for k, v in top)),
        _small(
            f"(the {max_nodes} closest to the output are shown; "
            f"pass max_nodes={info.n_ops} to draw all)"
        ),
    ]
    g.node("more", _table(rows), shape="box", style="filled,dashed", fillcolor="#f7f7f7")
    for tid in info.cut_edges:
        g.edge("more", tid, style="dashed")


def _legend(g: Any, vanish_below: float, explode_above: float, note: str = "") -> None:
    cells = "".join(
        f'<TD BGCOLOR="{c}">{_e(t)}</TD>'
        for c, t in [
            (_VANISH, f"grad norm < {vanish_below:g}"),
            (_HEALTHY, "healthy"),
            (_EXPLODE, f"> {explode_above:g}"),
            (_BAD, "NaN / inf"),
        ]
    )
    rows = f"<TR>{cells}</TR>"
    if note:
        rows += f'<TR><TD COLSPAN="4" BORDER="0">{_e(note)}</TD></TR>'
    label = f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{rows}</TABLE>>'
    g.node("legend", label, shape="plaintext", fontsize="9")


# --- saving ----------------------------------------------------------------------------------


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a reader never
    sees half a file (missing folders are made). The one helper nn's saving uses too: a new
    file gets the umask's permissions, an existing one keeps its mode, a symlink keeps
    pointing at the file it names."""
    return _files.atomic_write(path, data, parents=True)


def save_graph(
    graph: Any, path: str | os.PathLike, formats: Iterable[str] = ("svg",), on_missing: str = "warn"
) -> list[Path]:
    """Write ``path`` + ``.dot`` and one rendered file per format (``.svg``, ``.png``, ...).

    ``graph`` is a Digraph or a Tensor (drawn with ``draw_graph``). Without Graphviz's
    ``dot`` only the DOT file is written and, by ``on_missing``, a warning is issued
    ("warn"), ``GraphvizNotFound`` raised ("raise"), or nothing said ("ignore").
    Returns the paths written.
    """
    if isinstance(graph, Tensor):
        graph = draw_graph(graph)
    if on_missing not in ("warn", "raise", "ignore"):
        raise ValueError(
            f"on_missing must be 'warn', 'raise' or 'ignore'. Received on_missing={on_missing!r}"
        )
    stem = Path(path)
    if stem.suffix in (".dot", ".gv", ".svg", ".png", ".pdf"):
        stem = stem.with_suffix("")
    written = [stem.with_suffix(".dot")]
    atomic_write(written[0], graph.source.encode("utf-8"))
    for fmt in formats:
        try:
            data = graphviz.pipe("dot", fmt, graph.source.encode("utf-8"))
        except graphviz.ExecutableNotFound:
            if on_missing == "raise":
                raise GraphvizNotFound() from None
            if on_missing == "warn":
                warnings.warn(INSTALL_HINT, RuntimeWarning, stacklevel=2)
            break
        out = stem.with_suffix("." + fmt)
        atomic_write(out, data)
        written.append(out)
    return written


__all__ += ["new_digraph", "array_stats", "format_value", "GraphDiagram", "atomic_write"]
