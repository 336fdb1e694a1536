"""The graph of a functional model: ``nn.Model(inputs, outputs)`` over symbolic tensors.

Calling layers on ``nn.Input(...)`` records which layer was called on what (``Node``s).
``Graph`` walks back from the outputs to the inputs, keeps the calls in an order in which
each one's inputs are ready, and replays them on real data: each layer is called as it would
be directly, so it builds, hooks and decides training or inference the usual way.
"""

from __future__ import annotations

from typing import Any

from autograd_core import Tensor
from autograd_core.errors import ShapeError

from ..layers import Dense, InputLayer, Layer
from ..layers._symbolic import Node, SymbolicTensor, shape_text


def _as_list(value: Any, what: str) -> list[SymbolicTensor]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise ValueError(f"Model expects at least one tensor in `{what}`. Received: {value!r}")
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(
                f"Model(inputs, outputs): `{what}` must be symbolic tensors, made by nn.Input "
                f"and by calling layers on them. Received: {type(t).__name__}"
            )
    return items


def _where(t: SymbolicTensor) -> str:
    """``dense_1[0][0]``, Keras's way of naming a node's output in a summary."""
    if t.node is None:
        return t.name
    return f"{t.node.layer.name}[{t.node.index}][{t.index}]"


class Graph:
    """The layer calls of a functional model, in an order that runs."""

    def __init__(self, inputs: Any, outputs: Any, model_name: str) -> None:
        self.single_input = not isinstance(inputs, (list, tuple))
        self.single_output = not isinstance(outputs, (list, tuple))
        self.inputs = _as_list(inputs, "inputs")
        self.outputs = _as_list(outputs, "outputs")
        for i, t in enumerate(self.inputs):
            if not isinstance(t.layer, InputLayer):
                raise ValueError(
                    f"Model {model_name!r}: input {i} ({t.name!r}) is the output of layer "
                    f"{t.layer.name!r}, not an nn.Input; a functional model starts at "
                    f"nn.Input tensors"
                )
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"Model {model_name!r}: the same Input is given twice in `inputs`")
        self.nodes = self._order(model_name)
        used = {id(n.layer) for n in self.nodes}
        layers: list[Any] = [t.layer for t in self.inputs]
        for node in self.nodes:
            if node.layer not in layers and id(node.layer) in used:
                layers.append(node.layer)
        self.layers = layers
        names = [layer.name for layer in layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(
                    f"Model {model_name!r}: {names.count(name)} of its layers are named "
                    f"{name!r}; layer names in a model must be unique (give name=...)"
                )

    def _order(self, model_name: str) -> list[Node]:
        """The nodes the outputs need, each after the nodes it takes its inputs from."""
        known = {id(t.node) for t in self.inputs}
        seen: set[int] = set()
        order: list[Node] = []
        for out in self.outputs:
            stack: list[tuple[Node, bool]] = [(out.node, False)]  # type: ignore[list-item]
            while stack:
                node, ready = stack.pop()
                if ready:
                    order.append(node)
                    continue
                if id(node) in seen:
                    continue
                seen.add(id(node))
                if isinstance(node.layer, InputLayer):
                    if id(node) not in known:
                        raise ValueError(
                            f"Graph disconnected: model {model_name!r} cannot get a value for "
                            f"Input {node.layer.name!r}, which layers on the way to its "
                            f"outputs need, because it is not among the model's inputs "
                            f"{[t.name for t in self.inputs]}. Add it to inputs=[...]"
                        )
                    continue
                stack.append((node, True))
                for t in reversed(node.inputs):
                    stack.append((t.node, False))  # type: ignore[arg-type]
        return order

    # --- running -----------------------------------------------------------------------------

    def check_inputs(self, xs: list, model_name: str) -> None:
        """Raise a ``ShapeError`` naming the input whose data does not fit."""
        if len(xs) != len(self.inputs):
            raise ShapeError(
                f"Model {model_name!r} expects {len(self.inputs)} input(s) "
                f"({[t.name for t in self.inputs]}). Received: {len(xs)}"
            )
        for i, (t, x) in enumerate(zip(self.inputs, xs, strict=True)):
            got = tuple(x.shape)
            want = t.shape
            fits = len(got) == len(want) and all(
                w is None or w == g for w, g in zip(want[1:], got[1:], strict=True)
            )
            if not fits:
                raise ShapeError(
                    f"Model {model_name!r}: input {i} ({t.name!r}) takes samples of shape "
                    f"{shape_text(want[1:])}. Received: data of shape {got}"
                )

    def run(self, xs: list[Tensor], logits: bool = False) -> list[Tensor]:
        """The outputs for inputs ``xs``; with ``logits`` the last layer's logits instead
        of the single output (for a fused loss, see ``output_layer``)."""
        values: dict[int, Any] = {id(t): x for t, x in zip(self.inputs, xs, strict=True)}
        last = self.outputs[0].node if logits else None
        for node in self.nodes:
            args = [values[id(t)] for t in node.inputs]
            arg: Any = args if node.list_input else args[0]
            layer = node.layer
            if node is last:
                out = layer.logits(arg) if isinstance(layer, Dense) else arg
            elif node.training is None:
                out = layer(arg)
            else:
                out = layer(arg, training=node.training)
            outs = out if len(node.outputs) > 1 else [out]
            for t, v in zip(node.outputs, outs, strict=True):
                values[id(t)] = v
        return [values[id(t)] for t in self.outputs]

    # --- what the model asks -------------------------------------------------------------------

    def output_layer(self) -> Layer | None:
        """The layer computing the single output, when its logits can stand in for it."""
        if not self.single_output:
            return None
        node = self.outputs[0].node
        if not self.nodes or node is not self.nodes[-1] or node.list_input:
            return None  # no layer (the output is an input), or one joining several inputs
        return node.layer if len(node.outputs) == 1 else None

    def output_shapes(self) -> list[tuple]:
        """The outputs' shapes, batch axis None."""
        return [t.shape for t in self.outputs]

    def summary_rows(self) -> list[tuple]:
        """One row per layer: name (type), output shape, weights, where its inputs come from."""
        rows = []
        for layer in self.layers:
            mine = [n for n in self.nodes if n.layer is layer]
            shape: Any
            if isinstance(layer, InputLayer):
                shape, sources = layer.output.shape, "-"
            else:
                shape = mine[0].outputs[0].shape if len(mine[0].outputs) == 1 else None
                sources = ", ".join(_where(t) for n in mine for t in n.inputs)
            label = f"{layer.name} ({type(layer).__name__})"
            rows.append((label, shape_text(shape), layer.count_params(), sources))
        return rows

    def sequential_like(self) -> bool:
        """True for a chain: one input, each layer called once on the one before."""
        previous = self.inputs[0] if len(self.inputs) == 1 else None
        for node in self.nodes:
            if len(node.inputs) != 1 or node.inputs[0] is not previous or len(node.outputs) != 1:
                return False
            previous = node.outputs[0]
        return len(self.outputs) == 1 and previous is self.outputs[0]

    # --- configuration -----------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The layers (``{"class_name", "registered_name", "config"}``, the inputs' first),
        the layer calls in the order they run (``nodes``: which call of which layer, on which
        tensors, each named ``[layer, call, output]``) and the model's inputs and outputs."""
        from ..saving import serialize_layer

        def ref(t: SymbolicTensor) -> list:
            node: Any = t.node
            return [node.layer.name, node.index, t.index]

        return {
            "layers": [serialize_layer(layer) for layer in self.layers],
            "nodes": [
                {
                    "layer": node.layer.name,
                    "index": node.index,
                    "inputs": [ref(t) for t in node.inputs],
                    "list_input": node.list_input,
                    "training": node.training,
                }
                for node in self.nodes
            ],
            "input_layers": [ref(t) for t in self.inputs],
            "output_layers": [ref(t) for t in self.outputs],
            "single_input": self.single_input,
            "single_output": self.single_output,
        }


def graph_from_config(config: dict[str, Any]) -> tuple[Any, Any]:
    """``(inputs, outputs)`` for ``Model(inputs, outputs)``: the layers of a functional
    model's config made again (from registered classes) and called as recorded."""
    from ..saving import SerializationError, deserialize_layer

    def fail(why: str) -> SerializationError:
        return SerializationError(f"functional model {config.get('name')!r}: {why}")

    entries, calls = config.get("layers"), config.get("nodes")
    if not isinstance(entries, list) or not isinstance(calls, list):
        raise fail("`layers` and `nodes` must be lists")
    layers: dict[str, Any] = {}
    for i, entry in enumerate(entries):
        layer = deserialize_layer(entry, f"layer {i} of functional model {config.get('name')!r}")
        if layer.name in layers:
            raise fail(f"two layers are named {layer.name!r}")
        layers[layer.name] = layer
    tensors: dict[tuple, SymbolicTensor] = {}
    for layer in layers.values():
        if isinstance(layer, InputLayer):
            tensors[(layer.name, 0, 0)] = layer.output

    def lookup(ref: Any) -> SymbolicTensor:
        ok = (
            isinstance(ref, list)
            and len(ref) == 3
            and isinstance(ref[0], str)
            and all(isinstance(n, int) and not isinstance(n, bool) for n in ref[1:])
        )
        if not ok or tuple(ref) not in tensors:
            raise fail(f"the tensor {ref!r} is not made by any call before it is used")
        return tensors[tuple(ref)]

    for call in calls:
        if not isinstance(call, dict) or call.get("layer") not in layers:
            raise fail(f"a call names no layer of the model: {str(call)[:200]}")
        layer = layers[call["layer"]]
        args = [lookup(r) for r in call.get("inputs") or []]
        training = call.get("training")
        if training is not None and not isinstance(training, bool):
            raise fail(f"training must be true, false or null. Received: {training!r}")
        if not args or (not call.get("list_input") and len(args) != 1):
            raise fail(f"the call of {layer.name!r} has {len(args)} inputs")
        x: Any = args if call.get("list_input") else args[0]
        out = layer(x) if training is None else layer(x, training=training)
        index = call.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise fail(f"the call of {layer.name!r} has no index")
        for i, t in enumerate(out if isinstance(out, list) else [out]):
            tensors[(layer.name, index, i)] = t
    refs_in, refs_out = config.get("input_layers"), config.get("output_layers")
    if (
        not isinstance(refs_in, list)
        or not isinstance(refs_out, list)
        or not refs_in
        or not refs_out
    ):
        raise fail("`input_layers` and `output_layers` must be non-empty lists")
    inputs = [lookup(r) for r in refs_in]
    outputs = [lookup(r) for r in refs_out]
    single_in = config.get("single_input", True) and len(inputs) == 1
    single_out = config.get("single_output", True) and len(outputs) == 1
    return (inputs[0] if single_in else inputs), (outputs[0] if single_out else outputs)
