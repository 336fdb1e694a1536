"""``to_torch(model)`` and ``from_torch(module)``: the same network in PyTorch and back.

``to_torch`` gives a ``torch.nn.Sequential`` for a chain of layers and a small graph module
for a functional model; each layer becomes the PyTorch module that computes the same thing
(a Dense layer a ``Linear`` with the kernel transposed, plus its activation), with copies of
the weights, in eval mode. Keras and PyTorch write BatchNormalization's momentum the other
way round (``moving = momentum * moving + (1 - momentum) * batch`` against ``running =
(1 - momentum) * running + momentum * batch``), so the exported layer gets ``1 - momentum``.
PyTorch updates ``running_var`` with the unbiased batch variance where nn uses the biased
one; in eval mode, where the outputs are compared, both use the stored statistics.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ._plan import ExportError, plan


def _require_torch(who: str) -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"nn.export.{who} needs PyTorch, the 'torch' extra: pip install 'autograd-core[torch]'"
        ) from e
    return torch


def _tensor(torch: Any, arr: np.ndarray) -> Any:
    return torch.tensor(np.array(arr, dtype=np.float32))


def _modules(torch: Any) -> dict[str, Any]:
    """The small modules PyTorch lacks, defined once torch is imported."""
    if _MODULES:
        return _MODULES

    class Exponential(torch.nn.Module):
        """exp(x), nn's "exponential" activation."""

        def forward(self, x: Any) -> Any:
            return torch.exp(x)

    class Reshape(torch.nn.Module):
        """Each sample reshaped to ``target_shape`` (the batch axis kept), as nn's Reshape."""

        def __init__(self, target_shape: tuple) -> None:
            super().__init__()
            self.target_shape = tuple(target_shape)

        def forward(self, x: Any) -> Any:
            return x.reshape(x.shape[0], *self.target_shape)

        def extra_repr(self) -> str:
            return f"target_shape={self.target_shape}"

    class Add(torch.nn.Module):
        """The sum of a list of tensors, as nn's Add."""

        def forward(self, xs: list) -> Any:
            out = xs[0]
            for x in xs[1:]:
                out = out + x
            return out

    class Concatenate(torch.nn.Module):
        """A list of tensors joined along ``axis``, as nn's Concatenate."""

        def __init__(self, axis: int) -> None:
            super().__init__()
            self.axis = axis

        def forward(self, xs: list) -> Any:
            return torch.cat(list(xs), dim=self.axis)

    class Embedding(torch.nn.Module):
        """``torch.nn.Embedding`` that also takes indices stored as floats, as nn's does."""

        def __init__(self, weight: Any) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding.from_pretrained(weight, freeze=False)

        def forward(self, x: Any) -> Any:
            return self.embedding(x.long())

    class ChannelAxis(torch.nn.Module):
        """A module for channels on axis 1 applied to inputs whose channels lie on ``axis``."""

        def __init__(self, inner: Any, axis: int) -> None:
            super().__init__()
            self.inner, self.axis = inner, axis

        def forward(self, x: Any) -> Any:
            return self.inner(x.movedim(self.axis, 1)).movedim(1, self.axis)

    class Graph(torch.nn.Module):
        """A functional model's layer calls, replayed in order on the inputs."""

        def __init__(self, layers: Any, steps: list, inputs: list, outputs: list, single: bool):
            super().__init__()
            self.layers = layers
            self.steps, self.input_keys, self.output_keys = steps, inputs, outputs
            self.single_output = single

        def forward(self, *xs: Any) -> Any:
            if len(xs) == 1 and isinstance(xs[0], (list, tuple)):
                xs = tuple(xs[0])
            if len(xs) != len(self.input_keys):
                raise ValueError(f"expected {len(self.input_keys)} inputs, got {len(xs)}")
            values = dict(zip(self.input_keys, xs, strict=True))
            for module_key, inputs, output, list_input in self.steps:
                args = [values[k] for k in inputs]
                values[output] = self.layers[module_key](args if list_input else args[0])
            outs = [values[k] for k in self.output_keys]
            return outs[0] if self.single_output else outs

    _MODULES.update(
        Exponential=Exponential,
        Reshape=Reshape,
        Add=Add,
        Concatenate=Concatenate,
        Embedding=Embedding,
        ChannelAxis=ChannelAxis,
        Graph=Graph,
    )
    return _MODULES


_MODULES: dict[str, Any] = {}


def _activation_module(torch: Any, name: str) -> Any:
    t = torch.nn
    table: dict[str, Callable[[], Any]] = {
        "linear": t.Identity,
        "relu": t.ReLU,
        "sigmoid": t.Sigmoid,
        "tanh": t.Tanh,
        "softmax": lambda: t.Softmax(dim=-1),
        "log_softmax": lambda: t.LogSoftmax(dim=-1),
        "leaky_relu": lambda: t.LeakyReLU(0.2),  # nn's function default (Keras's)
        "softplus": t.Softplus,
        "exponential": _modules(torch)["Exponential"],
        "softsign": t.Softsign,
        "silu": t.SiLU,
        "swish": t.SiLU,
        "gelu": t.GELU,
        "log_sigmoid": t.LogSigmoid,
        "elu": t.ELU,
        "selu": t.SELU,
        "relu6": t.ReLU6,
        "hard_sigmoid": t.Hardsigmoid,
        "hard_silu": t.Hardswish,
        "hard_swish": t.Hardswish,
        "mish": t.Mish,
    }
    return table.get(name, lambda: None)()


def _activation(torch: Any, fn: Any, layer: Any) -> list:
    from .. import activations
    from ..layers import Activation

    if isinstance(fn, Activation):
        return _activation_layer(torch, fn)
    name = activations.name_of(fn)
    module = _activation_module(torch, name) if activations.get(name) is fn else None
    if module is None:
        raise ExportError(
            f"to_torch: layer {layer.name!r} ({type(layer).__name__}) uses the activation "
            f"{name!r}, which has no PyTorch counterpart here"
        )
    return [] if name == "linear" else [module]


def _activation_layer(torch: Any, layer: Any) -> list:
    from ..layers import LeakyReLU, Softmax

    if type(layer) is Softmax:
        return [torch.nn.Softmax(dim=layer.axis)]
    if type(layer) is LeakyReLU:
        return [torch.nn.LeakyReLU(layer.negative_slope)]
    return _activation(torch, layer.fn, layer) or [torch.nn.Identity()]


def _dense(torch: Any, layer: Any) -> list:
    kernel = layer.kernel.data
    linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1], bias=layer.bias is not None)
    with torch.no_grad():
        linear.weight.copy_(_tensor(torch, kernel.T))
        if layer.bias is not None:
            linear.bias.copy_(_tensor(torch, layer.bias.data))
    return [linear, *_activation(torch, layer.activation, layer)]


def _batch_norm(torch: Any, layer: Any) -> list:
    n = layer.moving_mean.data.shape[0]
    ndim, axis = layer._ndim, layer._feature_axis
    if ndim not in (2, 3):
        raise ExportError(
            f"to_torch: BatchNormalization layer {layer.name!r} normalises inputs of {ndim} "
            f"axes; only 2 or 3 (BatchNorm1d) are converted"
        )
    bn = torch.nn.BatchNorm1d(
        n, eps=layer.epsilon, momentum=round(1.0 - layer.momentum, 12), affine=True
    )
    with torch.no_grad():
        bn.weight.copy_(_tensor(torch, layer.gamma.data if layer.gamma is not None else np.ones(n)))
        bn.bias.copy_(_tensor(torch, layer.beta.data if layer.beta is not None else np.zeros(n)))
        bn.running_mean.copy_(_tensor(torch, layer.moving_mean.data))
        bn.running_var.copy_(_tensor(torch, layer.moving_variance.data))
    return [bn if axis == 1 else _modules(torch)["ChannelAxis"](bn, axis)]


def _layer_norm(torch: Any, layer: Any) -> list:
    ndim, axes, sizes = layer._ndim, layer._axes, layer._sizes
    if tuple(axes) != tuple(range(ndim - len(axes), ndim)):
        raise ExportError(
            f"to_torch: LayerNormalization layer {layer.name!r} normalises axes {axes} of "
            f"{ndim}; torch.nn.LayerNorm takes the last ones only"
        )
    ln = torch.nn.LayerNorm(list(sizes), eps=layer.epsilon, elementwise_affine=True)
    with torch.no_grad():
        ones, zeros = np.ones(sizes), np.zeros(sizes)
        ln.weight.copy_(_tensor(torch, layer.gamma.data if layer.gamma is not None else ones))
        ln.bias.copy_(_tensor(torch, layer.beta.data if layer.beta is not None else zeros))
    return [ln]


def _converters(torch: Any) -> dict[type, Callable[[Any, Any], list]]:
    from .. import layers as L

    own = _modules(torch)
    act = _activation_layer
    return {
        L.Dense: _dense,
        L.Activation: act,
        L.ReLU: act,
        L.Sigmoid: act,
        L.Tanh: act,
        L.Softmax: act,
        L.LeakyReLU: act,
        L.Dropout: lambda torch, layer: [torch.nn.Dropout(layer.rate)],
        L.BatchNormalization: _batch_norm,
        L.LayerNormalization: _layer_norm,
        L.Flatten: lambda torch, layer: [torch.nn.Flatten(1)],
        L.Reshape: lambda torch, layer: [own["Reshape"](layer.target_shape)],
        L.Add: lambda torch, layer: [own["Add"]()],
        L.Concatenate: lambda torch, layer: [own["Concatenate"](layer.axis)],
        L.Embedding: lambda torch, layer: [own["Embedding"](_tensor(torch, layer.embeddings.data))],
    }


def _key(name: str) -> str:
    # module names may not hold dots (PyTorch's attribute paths) or be empty
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "layer"


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Module`` computing what ``model.predict`` computes, with copies of its
    weights (float32), in eval mode: a ``torch.nn.Sequential`` for a chain of layers, a
    graph module taking the inputs positionally for a functional model.

    Raises:
        ImportError: PyTorch (the ``torch`` extra) is missing.
        ExportError: a layer without a PyTorch counterpart (named), a subclassed model, or
            an unbuilt one.
    """
    torch = _require_torch("to_torch")
    p = plan(model, "to_torch")
    table = _converters(torch)
    made: dict[int, tuple[str, Any]] = {}  # a layer called twice is one module (shared weights)
    taken: set[str] = set()
    steps = []
    for step in p.steps:
        layer = step.layer
        if id(layer) not in made:
            convert = table.get(type(layer))
            if convert is None:
                raise ExportError(
                    f"to_torch: layer {layer.name!r} ({type(layer).__name__}) has no PyTorch "
                    f"counterpart; supported layers: {', '.join(sorted(c.__name__ for c in table))}"
                )
            parts = convert(torch, layer)
            key = _key(layer.name)
            while key in taken:
                key += "_"
            taken.add(key)
            made[id(layer)] = (key, parts)
        steps.append((made[id(layer)][0], step))
    if p.chain and len(p.outputs) == 1:
        entries: OrderedDict[str, Any] = OrderedDict()
        parts_of = dict(made.values())
        for key, _ in steps:
            for i, part in enumerate(parts_of[key]):
                # a Dense layer's activation: "dense_relu", never another layer's name
                name = key if i == 0 else f"{key}_{type(part).__name__.lower()}"
                while i and (name in taken or name in entries):
                    name += "_"
                entries[name] = part
        module = torch.nn.Sequential(entries)
    else:
        layers = torch.nn.ModuleDict(
            {
                key: parts[0] if len(parts) == 1 else torch.nn.Sequential(*parts)
                for key, parts in made.values()
            }
        )
        plan_steps = [(key, s.inputs, s.output, s.list_input) for key, s in steps]
        single = getattr(getattr(model, "_graph", None), "single_output", True)
        module = _modules(torch)["Graph"](
            layers, plan_steps, [i.key for i in p.inputs], p.outputs, single
        )
    return module.eval()


# --- from PyTorch ------------------------------------------------------------------------------


def _flat(torch: Any, module: Any) -> list:
    out = []
    for child in module:
        out.extend(_flat(torch, child) if isinstance(child, torch.nn.Sequential) else [child])
    return out


def _fill(weight: Any, value: Any) -> None:
    """Copy a torch tensor into an nn weight, in place."""
    weight.data[...] = value.detach().cpu().numpy()


def from_torch(module: Any) -> Any:
    """An nn ``Sequential`` from a ``torch.nn.Sequential`` of ``Linear`` layers and
    activations (also ``BatchNorm1d``, ``Dropout``, ``Flatten``, ``Identity``), with copies of
    the weights. ``Linear`` becomes ``Dense`` (weight transposed into the kernel).

    Raises:
        ImportError: PyTorch is missing.
        ExportError: a module without an nn counterpart (named, with its position).
    """
    torch = _require_torch("from_torch")
    from .. import layers as L
    from ..models import Sequential

    if not isinstance(module, torch.nn.Sequential):
        raise ExportError(
            f"from_torch expects a torch.nn.Sequential. Received: {type(module).__name__}"
        )
    t = torch.nn
    simple: dict[type, Callable[[], Any]] = {
        t.ReLU: L.ReLU,
        t.Sigmoid: L.Sigmoid,
        t.Tanh: L.Tanh,
        t.SiLU: lambda: L.Activation("silu"),
        t.Softsign: lambda: L.Activation("softsign"),
        t.LogSigmoid: lambda: L.Activation("log_sigmoid"),
        t.SELU: lambda: L.Activation("selu"),
        t.ReLU6: lambda: L.Activation("relu6"),
        t.Hardsigmoid: lambda: L.Activation("hard_sigmoid"),
        t.Hardswish: lambda: L.Activation("hard_silu"),
        t.Mish: lambda: L.Activation("mish"),
    }
    out: list[Any] = []
    for i, m in enumerate(_flat(torch, module)):

        def refuse(why: str, m: Any = m, i: int = i) -> ExportError:
            return ExportError(f"from_torch: module {i} ({m!r}) {why}")

        kind = type(m)
        if kind in simple:
            out.append(simple[kind]())
        elif kind is t.Identity:
            continue
        elif kind is t.Linear:
            dense = L.Dense(m.out_features, input_dim=m.in_features, use_bias=m.bias is not None)
            _fill(dense.kernel, m.weight.T)
            if m.bias is not None:
                _fill(dense.bias, m.bias)
            out.append(dense)
        elif kind in (t.Softmax, t.LogSoftmax):
            if m.dim is None:
                raise refuse("has no dim; give dim=-1 (or 1)")
            if kind is t.LogSoftmax and m.dim not in (-1, 1):
                raise refuse("takes log_softmax over an axis other than the last")
            out.append(L.Softmax(axis=m.dim) if kind is t.Softmax else L.Activation("log_softmax"))
        elif kind is t.LeakyReLU:
            out.append(L.LeakyReLU(m.negative_slope))
        elif kind is t.ELU and m.alpha == 1.0:
            out.append(L.Activation("elu"))
        elif kind is t.GELU and m.approximate == "none":
            out.append(L.Activation("gelu"))
        elif kind is t.Softplus and m.beta == 1.0:
            out.append(L.Activation("softplus"))
        elif kind is t.Dropout:
            out.append(L.Dropout(m.p))
        elif kind is t.Flatten and m.start_dim == 1 and m.end_dim == -1:
            out.append(L.Flatten())
        elif kind is t.BatchNorm1d:
            if not m.track_running_stats or m.momentum is None:
                raise refuse("keeps no running statistics with a fixed momentum")
            bn = L.BatchNormalization(momentum=round(1.0 - m.momentum, 12), epsilon=m.eps)
            bn.build((None, m.num_features))
            if m.affine:
                _fill(bn.gamma, m.weight)
                _fill(bn.beta, m.bias)
            _fill(bn.moving_mean, m.running_mean)
            _fill(bn.moving_variance, m.running_var)
            out.append(bn)
        else:
            raise refuse(
                "has no nn counterpart; from_torch converts Linear, BatchNorm1d, Dropout, "
                "Flatten, Identity and the common activations"
            )
    return Sequential(out)
