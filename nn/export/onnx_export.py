"""``to_onnx(model, path)``: a Sequential or functional model as an ONNX graph.

Each layer becomes a few standard ONNX ops (opset 13 or later), weights become initializers
(float32), and the batch axis of every input and output is dynamic (``"batch"``). The graph
computes what ``predict`` computes, inference mode: Dropout is the identity and
BatchNormalization uses its moving statistics, folded into one scale and one shift per
feature exactly as nn's own inference path does.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from ._plan import ExportError, Plan, Step, plan

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax over one axis, Clip with tensor bounds, ReduceMean's attribute form

# SELU's constants, the engine's (Klambauer et al. 2017)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise ImportError(
            "nn.export.to_onnx needs the onnx package, the 'onnx' extra: "
            "pip install 'autograd-core[onnx]' (and onnxruntime to run the file)"
        ) from e
    return onnx


class _Graph:
    """The ONNX nodes, initializers and value types being written, with fresh names."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx, self.opset = onnx, opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.kinds: dict[str, str] = {}  # value name -> "float" or "int"
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}:{self._count}"

    def const(self, hint: str, value: Any, dtype: Any = np.float32) -> str:
        name = self.fresh(hint)
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, out: str | None = None, **attrs: Any):
        out = out or self.fresh(hint)
        self.nodes.append(
            self.onnx.helper.make_node(op_type, inputs, [out], name=self.fresh(op_type), **attrs)
        )
        self.kinds[out] = self.kinds.get(inputs[0], "float") if inputs else "float"
        return out

    def reduce_mean(self, x: str, axes: tuple, hint: str) -> str:
        if self.opset >= 18:  # the axes became an input
            return self.op("ReduceMean", [x, self.const("axes", axes, np.int64)], hint, keepdims=1)
        return self.op("ReduceMean", [x], hint, axes=list(axes), keepdims=1)


# --- activations ------------------------------------------------------------------------------


def _softplus(g: _Graph, x: str, h: str) -> str:
    return g.op("Softplus", [x], h)


def _times(g: _Graph, x: str, other: str, h: str) -> str:
    return g.op("Mul", [x, other], h)


def _gelu(g: _Graph, x: str, h: str) -> str:
    # x * Phi(x) = x * (1 + erf(x / sqrt 2)) / 2, the exact form nn's "gelu" computes
    phi = g.op("Erf", [g.op("Mul", [x, g.const("c", math.sqrt(0.5))], h)], h)
    phi = g.op("Mul", [g.op("Add", [phi, g.const("one", 1.0)], h), g.const("half", 0.5)], h)
    return _times(g, x, phi, h)


_ACT: dict[str, Callable[[_Graph, str, str], str]] = {
    "linear": lambda g, x, h: x,
    "relu": lambda g, x, h: g.op("Relu", [x], h),
    "sigmoid": lambda g, x, h: g.op("Sigmoid", [x], h),
    "tanh": lambda g, x, h: g.op("Tanh", [x], h),
    "softmax": lambda g, x, h: g.op("Softmax", [x], h, axis=-1),
    "log_softmax": lambda g, x, h: g.op("LogSoftmax", [x], h, axis=-1),
    "leaky_relu": lambda g, x, h: g.op("LeakyRelu", [x], h, alpha=0.2),
    "softplus": _softplus,
    "exponential": lambda g, x, h: g.op("Exp", [x], h),
    "softsign": lambda g, x, h: g.op("Softsign", [x], h),
    "silu": lambda g, x, h: _times(g, x, g.op("Sigmoid", [x], h), h),
    "gelu": _gelu,
    # log(sigmoid(x)) = -softplus(-x)
    "log_sigmoid": lambda g, x, h: g.op("Neg", [_softplus(g, g.op("Neg", [x], h), h)], h),
    "elu": lambda g, x, h: g.op("Elu", [x], h, alpha=1.0),
    "selu": lambda g, x, h: g.op("Selu", [x], h, alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    "relu6": lambda g, x, h: g.op("Clip", [x, g.const("lo", 0.0), g.const("hi", 6.0)], h),
    # relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    "hard_sigmoid": lambda g, x, h: g.op("HardSigmoid", [x], h, alpha=1.0 / 6.0, beta=0.5),
    "hard_silu": lambda g, x, h: _times(
        g, x, g.op("HardSigmoid", [x], h, alpha=1.0 / 6.0, beta=0.5), h
    ),
    "mish": lambda g, x, h: _times(g, x, g.op("Tanh", [_softplus(g, x, h)], h), h),
}
_ACT["swish"], _ACT["hard_swish"] = _ACT["silu"], _ACT["hard_silu"]


def activation_names() -> list[str]:
    """The activations ``to_onnx`` converts (by their names in ``nn.activations``)."""
    return sorted(_ACT)


def _activation(g: _Graph, fn: Any, x: str, h: str, layer: Any) -> str:
    from .. import activations
    from ..layers import Activation

    if isinstance(fn, Activation):
        return _activation_layer(g, fn, x, h)
    name = activations.name_of(fn)
    if name not in _ACT or activations.get(name) is not fn:
        raise ExportError(
            f"to_onnx: layer {layer.name!r} ({type(layer).__name__}) uses the activation "
            f"{name!r}, which has no ONNX conversion; supported: {', '.join(sorted(_ACT))}"
        )
    return _ACT[name](g, x, h)


def _activation_layer(g: _Graph, layer: Any, x: str, h: str) -> str:
    from ..layers import LeakyReLU, Softmax

    if type(layer) is Softmax:
        return g.op("Softmax", [x], h, axis=layer.axis)
    if type(layer) is LeakyReLU:
        return g.op("LeakyRelu", [x], h, alpha=layer.negative_slope)
    return _activation(g, layer.fn, x, h, layer)


# --- layers -----------------------------------------------------------------------------------


def _dense(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
    y = g.op("MatMul", [xs[0], g.const(f"{h}.kernel", layer.kernel.data)], h)
    if layer.bias is not None:
        y = g.op("Add", [y, g.const(f"{h}.bias", layer.bias.data)], h)
    return _activation(g, layer.activation, y, h, layer)


def _batch_norm(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
    # nn's inference formula, folded in float32 as nn computes it:
    # (x - moving_mean) * (gamma / sqrt(moving_variance + epsilon)) + beta
    shape = layer._broadcast
    dtype = layer.moving_variance.data.dtype
    inv = 1.0 / np.sqrt(
        layer.moving_variance.data.reshape(shape) + np.asarray(layer.epsilon, dtype)
    )
    factor = inv if layer.gamma is None else layer.gamma.data.reshape(shape) * inv
    y = g.op("Sub", [xs[0], g.const(f"{h}.moving_mean", layer.moving_mean.data.reshape(shape))], h)
    y = g.op("Mul", [y, g.const(f"{h}.factor", factor)], h)
    if layer.beta is not None:
        y = g.op("Add", [y, g.const(f"{h}.beta", layer.beta.data.reshape(shape))], h)
    return y


def _layer_norm(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
    axes = layer._axes
    mean = g.reduce_mean(xs[0], axes, h)
    centered = g.op("Sub", [xs[0], mean], h)
    var = g.reduce_mean(g.op("Mul", [centered, centered], h), axes, h)
    std = g.op("Sqrt", [g.op("Add", [var, g.const("eps", layer.epsilon)], h)], h)
    y = g.op("Div", [centered, std], h)
    if layer.gamma is not None:
        y = g.op("Mul", [y, g.const(f"{h}.gamma", layer.gamma.data.reshape(layer._broadcast))], h)
    if layer.beta is not None:
        y = g.op("Add", [y, g.const(f"{h}.beta", layer.beta.data.reshape(layer._broadcast))], h)
    return y


def _reshape(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
    # 0 copies the (dynamic) batch size, -1 is worked out as nn's Reshape does
    return g.op("Reshape", [xs[0], g.const("shape", [0, *layer.target_shape], np.int64)], h)


def _embedding(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
    idx = xs[0]
    if g.kinds.get(idx) != "int":
        idx = g.op("Cast", [idx], h, to=g.onnx.TensorProto.INT64)
        g.kinds[idx] = "int"
    out = g.op("Gather", [g.const(f"{h}.embeddings", layer.embeddings.data), idx], h, axis=0)
    g.kinds[out] = "float"
    return out


def _converters() -> dict[type, Callable[[_Graph, Any, list[str], str], str]]:
    from .. import layers as L

    def act(g: _Graph, layer: Any, xs: list[str], h: str) -> str:
        return _activation_layer(g, layer, xs[0], h)

    return {
        L.Dense: _dense,
        L.Activation: act,
        L.ReLU: act,
        L.Sigmoid: act,
        L.Tanh: act,
        L.Softmax: act,
        L.LeakyReLU: act,
        L.Dropout: lambda g, layer, xs, h: xs[0],
        L.BatchNormalization: _batch_norm,
        L.LayerNormalization: _layer_norm,
        L.Flatten: lambda g, layer, xs, h: g.op("Flatten", xs, h, axis=1),
        L.Reshape: _reshape,
        L.Add: lambda g, layer, xs, h: g.op("Sum", xs, h) if len(xs) > 1 else xs[0],
        L.Concatenate: lambda g, layer, xs, h: g.op("Concat", xs, h, axis=layer.axis),
        L.Embedding: _embedding,
        L.InputLayer: lambda g, layer, xs, h: xs[0],
    }


def supported_layers() -> list[str]:
    """The names of the layer classes ``to_onnx`` converts."""
    return sorted(cls.__name__ for cls in _converters())


def _convert(g: _Graph, step: Step, table: dict) -> str:
    convert = table.get(type(step.layer))
    if convert is None:
        raise ExportError(
            f"to_onnx: layer {step.layer.name!r} ({type(step.layer).__name__}) has no ONNX "
            f"conversion; supported layers: {', '.join(supported_layers())}"
        )
    return convert(g, step.layer, step.inputs, step.output)


def _input_kinds(p: Plan) -> dict[str, str]:
    """Integer inputs for those that only Embedding layers read (their indices)."""
    from ..layers import Embedding

    kinds = {}
    for i in p.inputs:
        readers = [s.layer for s in p.steps if i.key in s.inputs]
        ints = i.dtype.kind in "iu" or (readers and all(type(r) is Embedding for r in readers))
        kinds[i.key] = "int" if ints else "float"
    return kinds


def _sample_outputs(model: Any, p: Plan, kinds: dict[str, str]) -> list[np.ndarray]:
    xs = [
        np.zeros((2, *i.shape), dtype=np.int64 if kinds[i.key] == "int" else np.float32)
        for i in p.inputs
    ]
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def build_onnx(model: Any, opset: int = DEFAULT_OPSET) -> Any:
    """The ONNX ``ModelProto`` for ``model`` (checked with ``onnx.checker``), not written."""
    onnx = _require_onnx()
    top = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= top:
        raise ValueError(
            f"to_onnx expects an opset from {MIN_OPSET} to {top} (this onnx's newest). "
            f"Received: opset={opset!r}"
        )
    p = plan(model, "to_onnx")
    g = _Graph(onnx, opset)
    kinds = _input_kinds(p)
    g.kinds.update(kinds)
    table = _converters()
    values = {i.key: i.key for i in p.inputs}
    for step in p.steps:
        values[step.output] = _convert(
            g,
            Step(step.layer, [values[k] for k in step.inputs], step.output, step.list_input),
            table,
        )
    T = onnx.TensorProto
    names = _unique([i.name for i in p.inputs])
    inputs = []
    for i, name in zip(p.inputs, names, strict=True):
        elem = T.INT64 if kinds[i.key] == "int" else T.FLOAT
        inputs.append(onnx.helper.make_tensor_value_info(name, elem, ["batch", *i.shape]))
        g.nodes.insert(0, onnx.helper.make_node("Identity", [name], [i.key], name=f"in:{name}"))
    samples = _sample_outputs(model, p, kinds)
    out_names = (
        ["output"] if len(p.outputs) == 1 else [f"output_{k}" for k in range(len(p.outputs))]
    )
    outputs = []
    for key, name, sample in zip(p.outputs, out_names, samples, strict=True):
        g.nodes.append(onnx.helper.make_node("Identity", [values[key]], [name], name=f"out:{name}"))
        outputs.append(
            onnx.helper.make_tensor_value_info(name, T.FLOAT, ["batch", *sample.shape[1:]])
        )
    graph = onnx.helper.make_graph(g.nodes, _safe(model.name), inputs, outputs, g.initializers)
    proto = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="autograd-core nn",
        ir_version=min(onnx.IR_VERSION, 8 if opset <= 17 else 9 if opset <= 20 else 10),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        n = _safe(n)
        out.append(n if n not in out else f"{n}_{len(out)}")
    return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in str(name)) or "model"


def to_onnx(model: Any, path: str | os.PathLike, opset: int = DEFAULT_OPSET) -> Any:
    """Write ``model`` (a built Sequential or functional model) to ``path`` as ONNX,
    atomically; returns the ``onnx.ModelProto``.

    Under onnxruntime the file gives what ``model.predict`` gives (inference mode), for
    any batch size. Inputs are named after the model's ``Input`` layers (``"input"`` for
    a Sequential) and take float32 (int64 for the indices an ``Embedding`` reads); the
    output is ``"output"`` (``"output_0"``, ... for several).

    Raises:
        ImportError: the onnx package (the ``onnx`` extra) is missing.
        ExportError: a layer or activation without an ONNX conversion (named), a
            subclassed model, or an unbuilt one.
    """
    from autograd_core._files import atomic_write

    proto = build_onnx(model, opset)
    atomic_write(path, proto.SerializeToString())
    return proto
