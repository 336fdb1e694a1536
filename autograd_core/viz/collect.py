"""What a drawing shows, gathered once from a recorded graph (``collect`` gives a
``GraphInfo``: its tensors, ops, shapes, values and gradient statistics), shared by the
graphviz renderer (``dot.py``) and the text forms (``text.py``); and the gradient statistics
recorded per node during a backward (``record_gradients``).

The walk is the engine's (iterative), so graphs of any depth work. It reads only what
survives a plain ``backward()``: ``Node.parents``, ``Node.shape`` and ``Node.dtype``, and the
leaves and constants kept in ``Node.inputs``; intermediate values are shown only while
the graph still holds them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import BackwardError
from ..grad_mode import graph_scope
from ..graph import Node, backward_order
from ..tensor import Tensor

# --- statistics of an array ------------------------------------------------------------------


@dataclass
class ArrayStats:
    """Summary of an array: shape, norm, mean, min, max, NaN/inf counts, small values."""

    shape: tuple
    dtype: str
    norm: float
    mean: float
    min: float
    max: float
    n_nan: int = 0
    n_inf: int = 0
    values: np.ndarray | None = None  # a copy, only for small arrays

    @property
    def finite(self) -> bool:
        """True when there is no NaN and no infinity."""
        return self.n_nan == 0 and self.n_inf == 0

    def badge(self) -> str:
        """'NaN', 'inf', 'NaN+inf' or '' (for drawing)."""
        parts = (["NaN"] if self.n_nan else []) + (["inf"] if self.n_inf else [])
        return "+".join(parts)

    def to_dict(self) -> dict:
        """Plain, JSON-ready data."""
        d = {
            "shape": list(self.shape),
            "dtype": self.dtype,
            "norm": json_number(self.norm),
            "mean": json_number(self.mean),
            "min": json_number(self.min),
            "max": json_number(self.max),
            "n_nan": self.n_nan,
            "n_inf": self.n_inf,
        }
        if self.values is not None:
            d["values"] = [
                json_number(v) for v in np.asarray(self.values, dtype=np.float64).ravel()
            ]
        return d


KEEP_VALUES = 64  # arrays up to this size keep a copy of their values in ArrayStats


def array_stats(a: Any, keep: int = KEEP_VALUES) -> ArrayStats:
    """Statistics of ``a`` (an ndarray or Tensor), never warning on NaN, inf or overflow."""
    if isinstance(a, Tensor):
        a = a.data
    a = np.asarray(a)
    x = a.astype(np.float64, copy=False) if a.dtype.kind != "f" else a
    n_nan = int(np.isnan(x).sum()) if a.dtype.kind == "f" else 0
    n_inf = int(np.isinf(x).sum()) if a.dtype.kind == "f" else 0
    with np.errstate(all="ignore"):
        if x.size == 0:
            norm = mean = lo = hi = float("nan")
        else:
            finite = x[np.isfinite(x)] if (n_nan or n_inf) else x
            norm = float(np.sqrt(np.sum(np.square(x, dtype=np.float64))))
            if finite.size:
                mean = float(np.mean(finite, dtype=np.float64))
                lo, hi = float(np.min(finite)), float(np.max(finite))
            else:
                mean = lo = hi = float("nan")
    values = np.array(a, copy=True) if a.size <= keep else None
    return ArrayStats(tuple(a.shape), str(a.dtype), norm, mean, lo, hi, n_nan, n_inf, values)


def json_number(v: Any) -> Any:
    """``v`` as a float JSON can hold: NaN and infinities as the strings "nan", "inf"."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def format_value(a: Any, max_values: int = 8, precision: int = 4, multiline: bool = False) -> str:
    """Small arrays printed in full, large ones as ``mean/norm/min/max`` (on two lines with
    ``multiline``)."""
    if a is None:
        return ""
    st = a if isinstance(a, ArrayStats) else array_stats(a, keep=max_values)
    size = int(np.prod(st.shape)) if st.shape else 1
    if st.values is not None and size <= max_values:
        v = np.asarray(st.values)
        if v.ndim == 0:
            return (
                np.format_float_positional(v.item(), precision=precision, trim="-")
                if (v.dtype.kind == "f")
                else str(v.item())
            )
        return np.array2string(
            v, precision=precision, separator=", ", max_line_width=60, suppress_small=True
        ).replace("\n", "")
    sep = "\n" if multiline else "  "
    return (
        f"mean {st.mean:.{precision}g}  norm {st.norm:.{precision}g}{sep}"
        f"min {st.min:.{precision}g}  max {st.max:.{precision}g}"
    )


def scope_title(scope: graph_scope) -> str:
    """A scope's title for drawings: ``dense_1: Dense(4→6, relu)`` for a layer (its name, then
    its label), the label alone for a plain ``graph_scope("...")``."""
    label = scope.label
    name = getattr(scope.owner, "name", None)
    if isinstance(name, str) and name and name not in label:
        return f"{name}: {label}"
    return label


def shape_text(shape: tuple) -> str:
    """'(3, 4)', or 'scalar' for ()."""
    return "scalar" if shape == () else str(tuple(shape))


# --- recording the gradients of intermediate results -----------------------------------------

# node -> ArrayStats of the last gradient a backward pass delivered to that node's output
_RECORDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class record_gradients:
    """Keep the gradient statistics of every intermediate result through the next backward.

    A plain ``backward()`` frees intermediate gradients; call this on the output first, then
    ``draw_graph(output, show_grad=True)`` colours every node by its gradient norm::

        loss = model(x)
        record_gradients(loss)     # or: with record_gradients(loss): loss.backward()
        loss.backward()

    It adds one gradient hook per node (the default backward path is unchanged); ``remove()``
    (or leaving the ``with`` block) takes them off again. The statistics stay available.
    """

    def __init__(self, output: Tensor) -> None:
        self._installed: list[tuple[Node, Any]] = []
        root = output._node if isinstance(output, Tensor) else None
        for node in walk_nodes(root):
            self._installed.append((node, _install(node)))

    def remove(self) -> None:
        """Take the recording hooks off the graph."""
        for node, hook in self._installed:
            _uninstall(node, hook)
        self._installed = []

    def __enter__(self) -> record_gradients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _install(node: Node) -> Any:
    ref = weakref.ref(node)  # a hook must not keep its own node alive

    def hook(g: Any) -> None:
        n = ref()
        if n is not None:
            _RECORDED[n] = array_stats(g.data if isinstance(g, Tensor) else g)

    if node.hooks is None:
        node.hooks = []
    node.hooks.append(hook)
    return hook


def _uninstall(node: Node, hook: Any) -> None:
    hooks = node.hooks
    if hooks is not None and hook in hooks:
        hooks.remove(hook)
        if not hooks:
            node.hooks = None


def recorded_gradient(node: Node) -> ArrayStats | None:
    """The gradient statistics recorded for ``node``'s output, if any."""
    return _RECORDED.get(node)


def compute_gradients(output: Tensor) -> dict:
    """Gradients of ``output`` for every node and leaf, computed without touching ``.grad``.

    Needs the graph's saved arrays (before a plain backward, or after retain_graph=True).
    Returns ``{node or leaf tensor: ArrayStats}``; empty when that is not possible.
    """
    from ..engine import gradients

    root = output._node
    if root is None or root.released or output.dtype.kind != "f":
        return {}
    nodes = walk_nodes(root)
    leaves = [t for t in _leaves(nodes) if t._rg]
    if not leaves:
        return {}
    installed = [(n, _install(n)) for n in nodes]
    before = {n: _RECORDED.get(n) for n in nodes}
    retained = {n: n.retain for n in nodes if n.retain is not None}
    for n in retained:
        n.retain = None  # a retained .grad must not see this extra pass
    result: dict = {}
    try:
        grads = gradients(
            output,
            leaves,
            grad_output=np.ones(output.shape, output.dtype),
            retain_graph=True,
            allow_unused=True,
        )
        for t, g in zip(leaves, grads, strict=False):
            if g is not None:
                result[t] = array_stats(g)
        for n in nodes:
            st = _RECORDED.get(n)
            if st is not None:
                result[n] = st
    except BackwardError:
        return {}
    finally:
        for n, hook in installed:
            _uninstall(n, hook)
        for n, ref in retained.items():
            n.retain = ref
        for n, st in before.items():  # leave earlier recordings as they were
            if st is None:
                _RECORDED.pop(n, None)
            else:
                _RECORDED[n] = st
    return result


# --- walking the graph -----------------------------------------------------------------------


def walk_nodes(root: Node | None) -> list[Node]:
    """Every node reachable from ``root``, in backward order (the output's first)."""
    return [] if root is None else list(backward_order(root))


def _leaves(nodes: Iterable[Node]) -> list[Tensor]:
    out: dict = {}
    for n in nodes:
        for p, t in zip(n.parents, n.inputs, strict=False):
            if p is None and t is not None:
                out[t] = None
    return list(out)


_COMMUTATIVE = {"add", "multiply", "maximum", "minimum"}


@dataclass
class TensorInfo:
    """One tensor of the graph (an input, a parameter, a constant, a result)."""

    id: str
    role: str  # "output", "intermediate", "parameter" (a leaf requiring grad) or "constant"
    shape: tuple
    dtype: str
    name: str | None = None
    node: Node | None = None  # the node whose output this is (None for leaves)
    tensor: Tensor | None = None  # the Tensor object, when the graph still has it
    producer: str | None = None  # id of the op that made it
    out_index: int | None = None  # which output of a multi-output op
    consumers: list = field(default_factory=list)  # ids of the ops that read it
    scope: graph_scope | None = None

    def data(self) -> np.ndarray | None:
        """The values, if the graph still holds them."""
        if self.tensor is not None:
            return self.tensor.data
        n = self.node
        if n is not None and not n.released and isinstance(n.out, np.ndarray):
            return n.out
        return None


@dataclass
class OpInfo:
    """One recorded operation."""

    id: str
    node: Node
    name: str
    inputs: list  # tensor ids, in argument order (None for a folded scalar)
    outputs: list  # tensor ids
    scalars: list  # (position, value) of scalar constants folded into the op
    scope: graph_scope | None
    kwargs: dict


@dataclass
class GraphInfo:
    """The ops, tensors and edges of a recorded graph."""

    output: str
    ops: dict  # id -> OpInfo, breadth-first from the output
    tensors: dict  # id -> TensorInfo
    n_ops: int  # all ops in the graph (ops may hold fewer when cut)
    cut: dict = field(default_factory=dict)  # op name -> count, for ops left out
    cut_edges: list = field(default_factory=list)  # ids of drawn tensors with unseen producers

    def edges(self) -> list[tuple[str, str, str]]:
        """(from id, to id, label): tensor -> op for inputs, op -> tensor for outputs.

        Inputs are numbered where their order matters (two or more drawn inputs, and an op
        that is not commutative)."""
        out = []
        for o in self.ops.values():
            drawn = [tid for tid in o.inputs if tid is not None]
            numbered = len(drawn) > 1 and o.name not in _COMMUTATIVE
            for i, tid in enumerate(o.inputs):
                if tid is not None:
                    out.append((tid, o.id, str(i) if numbered else ""))
            for tid in o.outputs:
                t = self.tensors[tid]
                out.append((o.id, tid, "" if t.out_index is None else f"out {t.out_index}"))
        return out


def _kwargs_text(kwargs: dict) -> dict:
    out = {}
    for k, v in (kwargs or {}).items():
        if k in ("ctx", "positions", "n_args") or v is None or v is False:
            continue  # internals of Function, and defaults that say nothing
        if isinstance(v, (int, float, bool, str, tuple, type(None))):
            text = repr(v)
            out[k] = text if len(text) <= 24 else text[:21] + "..."
        elif isinstance(v, np.ndarray):
            out[k] = f"array{shape_text(v.shape)}"
    return out


def collect(output: Tensor, max_ops: int | None = None, fold_scalars: bool = True) -> GraphInfo:
    """Walk the graph of ``output`` into a ``GraphInfo``; at most ``max_ops`` ops are kept
    (those closest to the output), the rest counted in ``cut``."""
    if not isinstance(output, Tensor):
        raise TypeError(f"expected a Tensor to draw. Received {type(output).__name__}")
    tensors: dict = {}
    ops: dict = {}
    root = output._node
    if root is None:
        role = "parameter" if output._rg else "constant"
        tensors["t0"] = TensorInfo(
            "t0", role, output.shape, str(output.dtype), output.name, tensor=output
        )
        return GraphInfo("t0", ops, tensors, 0)

    nodes = walk_nodes(root)
    real = [n for n in nodes if n.out_index is None]
    kept = real if max_ops is None or len(real) <= max_ops else real[:max_ops]
    selects: dict = {}  # multi-output node -> its per-output nodes
    for n in nodes:
        if n.out_index is not None:
            selects.setdefault(n.parents[0], []).append(n)
    op_ids = {n: f"op{i}" for i, n in enumerate(kept)}
    node_tensor: dict = {}  # producing node (or select node) -> tensor id
    leaf_tensor: dict = {}  # leaf Tensor -> tensor id

    def result_id(n: Node) -> str:
        tid = node_tensor.get(n)
        if tid is None:
            tid = node_tensor[n] = f"t{len(tensors)}"
            owner = n.parents[0] if n.out_index is not None else n
            info = TensorInfo(
                tid,
                "intermediate",
                _node_shape(n),
                str(_node_dtype(n)),
                node=n,
                producer=op_ids.get(owner),
                out_index=n.out_index,
                scope=owner.scope,
            )
            if n is root:
                info.role, info.tensor, info.name = "output", output, output.name
            elif n.retain is not None:
                t = n.retain()
                if t is not None:
                    info.tensor, info.name = t, t.name
            tensors[tid] = info
        return tid

    result_id(root)
    for n in kept:
        oid = op_ids[n]
        in_ids: list = []
        scalars: list = []
        for i, (p, t) in enumerate(zip(n.parents, n.inputs, strict=False)):
            if p is not None:
                tid = result_id(p)
            elif t is None:
                in_ids.append(None)
                continue
            elif fold_scalars and not t._rg and t.size == 1 and t.name is None:
                scalars.append((i, t.data.item()))
                in_ids.append(None)
                continue
            else:
                known = leaf_tensor.get(t)
                if known is None:
                    known = leaf_tensor[t] = f"t{len(tensors)}"
                    role = "parameter" if t._rg else "constant"
                    tensors[known] = TensorInfo(
                        known, role, t.shape, str(t.dtype), t.name, tensor=t
                    )
                tid = known
            tensors[tid].consumers.append(oid)
            in_ids.append(tid)
        if n.n_out > 1:
            outs = [result_id(s) for s in selects.get(n, ())]
        else:
            outs = [result_id(n)]
        for tid in outs:
            tensors[tid].producer = oid
        ops[oid] = OpInfo(oid, n, n.name, in_ids, outs, scalars, n.scope, _kwargs_text(n.kwargs))

    # A parameter belongs to a scope when every op reading it does (a layer's kernel and
    # bias); data and constants stay outside, as the layer's inputs.
    for t in tensors.values():
        if t.role == "parameter" and t.consumers:
            scopes = {ops[c].scope for c in t.consumers}
            if len(scopes) == 1:
                t.scope = scopes.pop()
    info = GraphInfo(tensors[node_tensor[root]].id, ops, tensors, len(real))
    for n in real[len(kept) :]:
        info.cut[n.name] = info.cut.get(n.name, 0) + 1
    info.cut_edges = [t.id for t in tensors.values() if t.node is not None and t.producer is None]
    return info


def _node_shape(n: Node) -> tuple:
    if n.n_out > 1:
        return ()
    return tuple(n.shape)


def _node_dtype(n: Node) -> Any:
    if n.n_out > 1:
        return ""
    return n.dtype


def gradient_lookup(info: GraphInfo, output: Tensor, compute: bool = True) -> dict:
    """``{tensor id: ArrayStats}`` for every tensor whose gradient is known.

    Leaves use ``.grad``; results use what ``record_gradients`` kept or a retained ``.grad``;
    when the graph still holds its arrays the rest is computed (``.grad`` is left alone).
    """
    fresh: dict = {}
    root = output._node
    if compute and root is not None and not root.released and _RECORDED.get(root) is None:
        fresh = compute_gradients(output)
    out = {}
    for t in info.tensors.values():
        st = None
        if t.node is None:
            g = t.tensor.grad if t.tensor is not None else None
            if g is not None:
                st = array_stats(g)
            else:
                st = fresh.get(t.tensor)
        else:
            st = _RECORDED.get(t.node) or fresh.get(t.node)
            if st is None and t.tensor is not None and t.tensor.grad is not None:
                st = array_stats(t.tensor.grad)
        if st is not None:
            out[t.id] = st
    return out


FREED_HINT = (
    "intermediate gradients were freed by backward(): call "
    "record_gradients(output) before backward() to keep them"
)


def missing_intermediate_grads(info: GraphInfo, grads: dict) -> bool:
    """True when results of a graph already run backward have no known gradient."""
    return any(
        t.node is not None and t.node.released and t.id not in grads for t in info.tensors.values()
    )


# --- text form and plain-data export ---------------------------------------------------------
