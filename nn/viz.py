"""The architecture as the familiar diagram: columns of neurons, every neuron joined to the
next layer (small nets), or one box per layer with its unit count (big ones).

``draw_model(model)`` (also ``model.draw()``) returns a ``graphviz.Digraph``; render it, pipe
it to SVG, or let Jupyter show it. The computation graph of a loss is
``autograd_core.draw_graph``; layers appear there as labelled clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_core.viz import new_digraph

__all__ = ["draw_model", "layer_summary", "LayerInfo"]


@dataclass
class LayerInfo:
    """What the diagram needs about one layer of neurons."""

    name: str
    kind: str  # class name: "Dense", ...
    n_in: int | None
    units: int
    activation: str
    n_params: int
    kernel: np.ndarray | None = None  # (n_in, units) when built


def _activation_name(act: Any) -> str:
    """'relu', 'sigmoid', ... for a string, a function, a layer object, or None (linear)."""
    if act is None:
        return "linear"
    if isinstance(act, str):
        return act
    for attr in ("name", "__name__"):
        name = getattr(act, attr, None)
        if isinstance(name, str) and name and name != "<lambda>":
            return {"identity": "linear", "linear": "linear"}.get(name, name).lower()
    return type(act).__name__.lower()


def _layers(model: Any) -> list:
    layers = getattr(model, "layers", None)
    if layers is None:
        return [model]
    return list(layers)


def _param_data(p: Any) -> np.ndarray | None:
    if p is None:
        return None
    return np.asarray(getattr(p, "data", p))


def layer_summary(model: Any) -> list[LayerInfo]:
    """One ``LayerInfo`` per layer with units; an activation layer (``ReLU()``, ...) names
    the activation of the layer before it."""
    infos: list[LayerInfo] = []
    n_in = None
    for i, layer in enumerate(_layers(model)):
        kind = type(layer).__name__
        units = getattr(layer, "units", None)
        if units is None:  # an activation layer: it names the previous layer's activation
            act = getattr(layer, "activation_name", None) or kind.lower()
            if infos and infos[-1].activation == "linear":
                infos[-1].activation = act
            elif infos:
                infos[-1].activation += " → " + act
            continue
        kernel = _param_data(getattr(layer, "kernel", None))
        bias = _param_data(getattr(layer, "bias", None))
        layer_in = kernel.shape[0] if kernel is not None and kernel.ndim == 2 else None
        if layer_in is None:
            layer_in = getattr(layer, "input_dim", None) or (n_in if infos else None)
        n_params = 0
        if layer_in is not None:
            n_params = layer_in * units + (
                units if (bias is not None or getattr(layer, "use_bias", True)) else 0
            )
        name = getattr(layer, "name", None) or f"{kind.lower()}_{i}"
        act = getattr(layer, "activation_name", None) or _activation_name(
            getattr(layer, "activation", None)
        )
        infos.append(LayerInfo(str(name), kind, layer_in, int(units), act, n_params, kernel))
        n_in = units
    if not infos:
        raise ValueError(
            f"draw_model: {type(model).__name__} has no layers with `units` to draw. "
            f"Received layers: {[type(x).__name__ for x in _layers(model)]}"
        )
    return infos


def draw_model(
    model: Any,
    max_neurons: int = 12,
    show_weights: bool = False,
    rankdir: str = "LR",
    title: str | None = None,
) -> Any:
    """Draw ``model``'s layers as a ``graphviz.Digraph``.

    Args:
        model: a Sequential (anything with ``.layers`` of Dense-like layers) or one layer.
        max_neurons: draw neuron by neuron when no layer (input included) is wider than this;
            otherwise one box per layer with its unit count, activation and parameters.
        show_weights: on a neuron-by-neuron diagram of a built model, draw each connection
            with a width by |weight| and a colour by sign (blue positive, red negative).
    """
    infos = layer_summary(model)
    n_input = infos[0].n_in
    sizes = [n_input] + [i.units for i in infos]
    total = sum(i.n_params for i in infos)
    if title is None:
        shape = " → ".join("?" if s is None else str(s) for s in sizes)
        title = f"{type(model).__name__}: {shape}  ({total:,} parameters)"
    g = new_digraph(
        "model",
        rankdir=rankdir,
        labelloc="t",
        label=title,
        splines="line",
        nodesep="0.12",
        ranksep="1.1" if rankdir == "LR" else "0.6",
    )
    if n_input is not None and max(n_input, *(i.units for i in infos)) <= max_neurons:
        _neurons(g, infos, n_input, show_weights)
    else:
        _boxes(g, infos, n_input)
    return g


def _neurons(g: Any, infos: list[LayerInfo], n_input: int, show_weights: bool) -> None:
    columns = [[f"x{j}" for j in range(n_input)]]
    with g.subgraph(name="cluster_input") as c:
        c.attr(label=f"input ({n_input})", style="rounded", color="#bbbbbb")
        for j, nid in enumerate(columns[0]):
            c.node(
                nid,
                f"x{_sub(j + 1)}",
                shape="circle",
                style="filled",
                fillcolor="#fff2cc",
                width="0.45",
                fixedsize="true",
            )
    last = len(infos) - 1
    for k, info in enumerate(infos):
        col = [f"l{k}n{j}" for j in range(info.units)]
        fill = "#e4dcf2" if k == last else "#dbe8f6"
        with g.subgraph(name=f"cluster_layer{k}") as c:
            what = "output" if k == last else f"hidden {k + 1}"
            c.attr(
                label=f"{what}: {info.kind}({info.units}, {info.activation})",
                style="rounded",
                color="#bbbbbb",
            )
            for j, nid in enumerate(col):
                label = (
                    "ŷ"
                    if (k == last and info.units == 1)
                    else (f"ŷ{_sub(j + 1)}" if k == last else "")
                )
                c.node(
                    nid,
                    label,
                    shape="circle",
                    style="filled",
                    fillcolor=fill,
                    width="0.45",
                    fixedsize="true",
                )
        w = info.kernel if show_weights else None
        scale = float(np.abs(w).max()) if w is not None and w.size else 1.0
        for a, src in enumerate(columns[-1]):
            for b, dst in enumerate(col):
                if w is not None and w.shape == (len(columns[-1]), len(col)):
                    v = float(w[a, b])
                    width = 0.3 + 2.7 * abs(v) / (scale or 1.0)
                    g.edge(
                        src,
                        dst,
                        penwidth=f"{width:.2f}",
                        arrowhead="none",
                        color="#1f77b4" if v >= 0 else "#d62728",
                    )
                else:
                    g.edge(src, dst, arrowhead="none", color="#888888", penwidth="0.6")
        columns.append(col)


def _boxes(g: Any, infos: list[LayerInfo], n_input: int | None) -> None:
    g.node(
        "input",
        f"input\n{'?' if n_input is None else n_input} features",
        shape="box",
        style="filled,rounded",
        fillcolor="#fff2cc",
    )
    prev = "input"
    last = len(infos) - 1
    for k, info in enumerate(infos):
        nid = f"layer{k}"
        label = (
            f"{info.kind}({info.units}, {info.activation})\n"
            f"{'?' if info.n_in is None else info.n_in} → {info.units} units\n"
            f"{info.n_params:,} parameters"
        )
        g.node(
            nid,
            label,
            shape="box3d" if k != last else "box",
            style="filled",
            fillcolor="#e4dcf2" if k == last else "#dbe8f6",
        )
        g.edge(prev, nid, label=f"{'?' if info.n_in is None else info.n_in}", fontsize="9")
        prev = nid


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(n: int) -> str:
    return str(n).translate(_SUBSCRIPTS)
