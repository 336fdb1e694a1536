"""A model as a flat list of layer calls, the form both exporters translate.

A Sequential is a chain; a functional model's graph gives its calls in an order that runs;
a model used as a layer inside another is opened up in place. Each call names the values
it reads and the one it writes by string keys, so an exporter only maps layers to ops.
A subclassed model's ``call`` is Python code, which no file format can hold: it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


class ExportError(ValueError):
    """A model (or one of its layers) that the chosen format cannot express."""


@dataclass
class Step:
    """One layer call: ``outputs = layer(inputs)`` (a list of inputs for Add, Concatenate)."""

    layer: Any
    inputs: list[str]
    output: str
    list_input: bool


@dataclass
class Input:
    """A model input: its key, one sample's shape and its dtype."""

    key: str
    name: str
    shape: tuple
    dtype: np.dtype


@dataclass
class Plan:
    """The inputs, the calls in order, the output keys; ``chain`` when it is one line."""

    inputs: list[Input]
    steps: list[Step] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    chain: bool = True


def plan(model: Any, who: str) -> Plan:
    """The calls of ``model`` (built) from its inputs to its outputs.

    Raises:
        ExportError: a subclassed model, or a model that is not built yet.
    """
    graph = getattr(model, "_graph", None)
    if graph is not None:
        inputs = [
            Input(f"in{i}", t.layer.name, tuple(t.shape[1:]), np.dtype(t.layer.dtype))
            for i, t in enumerate(graph.inputs)
        ]
    elif _is_sequential(model):
        shape = model.__dict__.get("_build_input_shape")
        if shape is None and model._input_layer is not None:
            shape = [None, *model._input_layer.shape]
        if shape is None or not model.built:
            raise ExportError(
                f"{who}: {type(model).__name__} {model.name!r} is not built yet; give its first "
                f"layer input_shape=... (or an nn.Input), or call it on data first"
            )
        dtype = model._input_layer.dtype if model._input_layer is not None else None
        inputs = [Input("in0", "input", tuple(shape[1:]), np.dtype(dtype or np.float32))]
    else:
        raise ExportError(
            f"{who}: {type(model).__name__} {getattr(model, 'name', '')!r} is a subclassed "
            f"model; its call() is Python code that cannot be exported. Build the same "
            f"network as a Sequential or a functional nn.Model(inputs, outputs)"
        )
    if any(None in i.shape for i in inputs):
        raise ExportError(
            f"{who}: only the batch axis may be of unknown size; the inputs have sample "
            f"shapes {[i.shape for i in inputs]}"
        )
    p = Plan(inputs)
    p.outputs = _expand(model, [i.key for i in inputs], "", p, who)
    return p


def _is_sequential(model: Any) -> bool:
    from ..models import Sequential

    return isinstance(model, Sequential)


def _expand(model: Any, keys: list[str], prefix: str, p: Plan, who: str) -> list[str]:
    """Append ``model``'s calls on the values ``keys``; returns its output keys."""
    from ..layers import InputLayer

    graph = getattr(model, "_graph", None)
    if graph is None:
        if not _is_sequential(model):
            plan(model, who)  # raises the subclassed model's error
        if len(keys) != 1:
            raise ExportError(f"{who}: Sequential {model.name!r} called on {len(keys)} inputs")
        key = keys[0]
        for layer in model.layers:
            if isinstance(layer, InputLayer):
                continue
            key = _call(layer, [key], False, f"{prefix}{layer.name}", p, who)[0]
        return [key]
    values = {id(t): k for t, k in zip(graph.inputs, keys, strict=True)}
    for node in graph.nodes:
        args = [values[id(t)] for t in node.inputs]
        out = f"{prefix}{node.layer.name}/{node.index}"
        outs = _call(node.layer, args, node.list_input, out, p, who)
        if len(outs) != len(node.outputs):
            raise ExportError(f"{who}: layer {node.layer.name!r} gives several outputs")
        for t, k in zip(node.outputs, outs, strict=True):
            values[id(t)] = k
    if len(graph.outputs) > 1 or len(graph.inputs) > 1 or not graph.single_input:
        p.chain = False
    return [values[id(t)] for t in graph.outputs]


def _call(layer: Any, args: list[str], list_input: bool, out: str, p: Plan, who: str) -> list:
    from ..models import Model

    if isinstance(layer, Model):
        return _expand(layer, args, f"{out}/", p, who)
    if list_input or len(args) != 1 or (p.steps and p.steps[-1].output != args[0]):
        p.chain = False
    if not p.steps and args[0] != p.inputs[0].key:
        p.chain = False
    p.steps.append(Step(layer, args, out, list_input))
    return [out]
