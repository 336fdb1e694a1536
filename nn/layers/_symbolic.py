"""Symbolic tensors: what ``nn.Input(...)`` returns and layers return when called on one.

A ``SymbolicTensor`` holds no values: a shape (batch axis ``None``), a dtype, and the
``Node`` that produced it, that is which layer was called on which symbolic tensors. Calling
layers on them records the graph a functional model (``nn.Model(inputs, outputs)``) runs.
The layer is built at that call, from the input's shape, so a functional model's
parameters exist as soon as it is defined.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import get_default_dtype
from autograd_core.errors import ShapeError


def shape_text(shape: Any) -> str:
    """``(None, 784)``, or ``[(None, 3), (None, 4)]`` for a list of shapes."""
    if isinstance(shape, list):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"
    if shape is None:
        return "?"
    inner = ", ".join("None" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


class Node:
    """One recorded layer call: ``layer`` applied to ``inputs``, giving ``outputs``."""

    __slots__ = ("layer", "inputs", "outputs", "list_input", "training", "index")

    def __init__(
        self, layer: Any, inputs: list, list_input: bool, training: bool | None, index: int
    ) -> None:
        self.layer = layer
        self.inputs: list[SymbolicTensor] = inputs
        self.outputs: list[SymbolicTensor] = []
        self.list_input = list_input  # the layer takes a list (Add, Concatenate, ...)
        self.training = training  # a training= given at the call, passed on when it runs
        self.index = index  # which call of this layer (a layer used twice has two nodes)

    def __repr__(self) -> str:
        return f"<Node {self.layer.name}[{self.index}]>"


class SymbolicTensor:
    """A layer's input or output in a functional model: a shape and a dtype, no values.

    ``shape`` has ``None`` for the batch axis (and any other axis of unknown size). Call
    layers on it to describe a model, then ``nn.Model(inputs, outputs)``; it cannot take
    part in arithmetic (use the merge layers: ``nn.Add()([a, b])``).
    """

    __slots__ = ("shape", "dtype", "name", "node", "index")

    def __init__(
        self, shape: tuple, dtype: Any, name: str, node: Node | None = None, index: int = 0
    ) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        """Number of axes, the batch axis included."""
        return len(self.shape)

    @property
    def layer(self) -> Any:
        """The layer whose call produced this tensor."""
        return None if self.node is None else self.node.layer

    def __repr__(self) -> str:
        shape = shape_text(self.shape)
        return f"<SymbolicTensor shape={shape}, dtype={self.dtype}, name={self.name}>"

    def _no_arithmetic(self, *args: Any) -> Any:
        raise TypeError(
            f"Symbolic tensor {self.name!r} (from nn.Input) only records layer calls; it has no "
            f"values to compute with. Combine symbolic tensors with layers: nn.Add()([a, b]), "
            f"nn.Concatenate()([a, b]), nn.Activation(...)(a)"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_arithmetic
    __truediv__ = __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __pow__ = _no_arithmetic

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        self._no_arithmetic()


def involves(x: Any) -> bool:
    """True when ``x`` is a symbolic tensor or a list or tuple holding one."""
    if isinstance(x, SymbolicTensor):
        return True
    return isinstance(x, (list, tuple)) and any(isinstance(e, SymbolicTensor) for e in x)


def call_layer(layer: Any, x: Any, training: bool | None) -> Any:
    """Record ``layer(x)`` for symbolic ``x``: build the layer, infer the output's shape."""
    list_input = isinstance(x, (list, tuple))
    if list_input:
        if not all(isinstance(e, SymbolicTensor) for e in x):
            kinds = [type(e).__name__ for e in x]
            raise TypeError(
                f"Layer {layer.name!r} ({type(layer).__name__}) was called on a list that mixes "
                f"symbolic tensors with other values ({kinds}); in a functional model every "
                f"input must come from nn.Input or from another layer"
            )
        inputs = list(x)
        shape: Any = [t.shape for t in inputs]
    else:
        inputs = [x]
        shape = x.shape
    sources = ", ".join(repr(t.name) for t in inputs)
    try:
        if not layer.built:
            layer.build(shape)
            layer.built = True
        out_shape = layer.compute_output_shape(shape)
    except (ValueError, TypeError, IndexError) as e:
        raise ShapeError(
            f"Layer {layer.name!r} ({type(layer).__name__}) cannot be called on {sources} "
            f"of shape {shape_text(shape)}: {e}"
        ) from None
    nodes = layer.__dict__.setdefault("_inbound_nodes", [])
    node = Node(layer, inputs, list_input, training, len(nodes))
    nodes.append(node)
    shapes = out_shape if isinstance(out_shape, list) else [out_shape]
    dtype = get_default_dtype()
    for i, s in enumerate(shapes):
        name = layer.name if len(shapes) == 1 else f"{layer.name}:{i}"
        if node.index:
            name += f"_{node.index}"
        node.outputs.append(SymbolicTensor(s, dtype, name, node, i))
    return node.outputs if isinstance(out_shape, list) else node.outputs[0]
