"""Whole-model files: ``model.save(path)`` and ``load_model(path)``.

One safetensors file holds everything. Its tensors are the model's weights (parameters and
buffers, under their ``state_dict`` names) and the optimizer's state arrays (under
``optimizer/<parameter>/<slot>``); its ``__metadata__`` (strings) holds:

- ``format``: ``"nn-model"`` (``"nn-weights"`` for a file of weights alone),
  ``format_version``: ``"1"``, ``producer``: the library and its version;
- ``model``: JSON, the architecture: ``{"class_name", "registered_name", "config"}`` where a
  Sequential's config lists its layers the same way and a functional model's also gives the
  graph (each layer call and the tensors it was called on);
- ``compile``: JSON, the loss, the metrics, the optimizer's config (a learning-rate schedule
  included) and ``fuse_loss``, when the model was compiled;
- ``optimizer_state``: JSON, ``iterations``, the parameters the optimizer updates (by
  weight name), which tensor holds each of their slots (Keras's names: ``momentum``,
  ``velocity``, ...) and any scalar state beyond ``iterations`` (Nadam's momentum product);
- ``rng_state``: JSON, the state of each layer's own random generator (Dropout's), so that
  the masks after loading are the ones training would have drawn next.

Loading rebuilds the architecture from registered classes only (``registry``), loads the
weights (checked: names, shapes, dtypes), compiles and restores the optimizer, so the next
training step is the one the saved model would have taken.
"""

from __future__ import annotations

import json
import math
import os
import random
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from . import safetensors_io
from .registry import (
    SerializationError,
    custom_object_scope,
    deserialize_object,
    serialize_object,
    to_json,
)

FORMAT_MODEL = "nn-model"
FORMAT_WEIGHTS = "nn-weights"
FORMAT_VERSION = "1"
_OPTIMIZER_PREFIX = "optimizer/"
# A subclassed model is built again by calling it once on zeros; no larger than this.
_MAX_BUILD_ELEMENTS = 2**24


def _producer() -> str:
    from autograd_core import __version__

    return f"autograd-core {__version__}"


# --- layers and models to JSON and back -------------------------------------------------------


def serialize_layer(layer: Any) -> dict[str, Any]:
    """A layer (or model) as ``{"class_name", "registered_name", "config"}``, with the input
    shape a subclassed model was built for (``build_config``)."""
    from ..models import Model, Sequential

    who = f"layer {getattr(layer, 'name', '?')!r} ({type(layer).__name__})"
    entry = serialize_object(layer, who)
    if isinstance(layer, Model) and layer._graph is None and not isinstance(layer, Sequential):
        shape = layer.__dict__.get("_build_input_shape")
        if shape is not None:
            entry["build_config"] = {"input_shape": shape}
    return entry


def deserialize_layer(entry: Any, what: str = "layer") -> Any:
    """The layer (or model) an entry describes, built again when it records how."""
    from ..layers import Module

    layer = deserialize_object(entry, what, base=Module)
    build = entry.get("build_config") if isinstance(entry, dict) else None
    if build is not None:
        _build_by_calling(
            layer, build.get("input_shape") if isinstance(build, dict) else None, what
        )
    return layer


def _shape(value: Any, what: str) -> tuple:
    ok = isinstance(value, list) and all(
        n is None or (isinstance(n, int) and not isinstance(n, bool) and n > 0) for n in value
    )
    if not ok:
        raise SerializationError(f"{what}: the input shape {value!r} is not a list of sizes")
    return tuple(value)


def _build_by_calling(model: Any, shape: Any, what: str) -> None:
    """Make a subclassed model's lazily built layers by calling it once on zeros."""
    from autograd_core import Tensor, get_default_dtype, no_grad

    from ..layers import Layer
    from ..layers.base import training_scope

    if all(m.built for m in model.modules() if isinstance(m, Layer) and m is not model):
        return
    several = isinstance(shape, list) and shape and isinstance(shape[0], list)
    shapes = [_shape(s, what) for s in shape] if several else [_shape(shape, what)]
    sizes = [[1 if n is None else n for n in s[1:]] for s in shapes]
    if sum(math.prod(s) for s in sizes) > _MAX_BUILD_ELEMENTS:
        raise SerializationError(f"{what}: the input shape {shape!r} is too large to build")
    xs = [Tensor(np.zeros([1, *s], dtype=get_default_dtype())) for s in sizes]
    try:
        with no_grad(), training_scope(False):
            model(xs if several else xs[0])
    except (ValueError, TypeError, IndexError) as e:
        raise SerializationError(
            f"{what}: {type(model).__name__} could not be built for inputs of shape {shape!r}: {e}"
        ) from None


def _named_modules(model: Any) -> dict[str, Any]:
    """Every module inside ``model`` by its dotted path (``""`` for the model itself)."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        prefix, module = stack.pop()
        if prefix in out:
            continue
        out[prefix] = module
        for key, child in module.named_children():
            stack.append((f"{prefix}.{key}" if prefix else key, child))
    return out


# --- compile settings and the optimizer --------------------------------------------------------


def _compile_config(model: Any) -> dict[str, Any]:
    from .. import losses

    loss = model.loss
    loss_entry = (
        serialize_object(loss.fn, "the loss")
        if isinstance(loss, losses._FunctionLoss)
        else serialize_object(loss, "the loss")
    )
    return {
        "loss": loss_entry,
        "metrics": [serialize_object(m, f"metric {m.name!r}") for m in model.metrics],
        "optimizer": serialize_object(model.optimizer, "the optimizer"),
        "fuse_loss": bool(model.fuse_loss),
    }


def _optimizer_tensors(model: Any, weights: dict) -> tuple[dict, dict[str, np.ndarray]]:
    optimizer = model.optimizer
    names = {id(p): name for name, p in model.named_parameters()}
    params = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in names:
            raise SerializationError(
                f"save: the optimizer updates a tensor that is not part of the model "
                f"(parameter {i} of {type(optimizer).__name__}, shape {tuple(p.shape)}); "
                f"save the model's weights with save_weights instead"
            )
        params.append(names[id(p)])
    state = optimizer.get_state()
    tensors: dict[str, np.ndarray] = {}
    slots = []
    for pname, arrays in zip(params, state["slots"], strict=False):
        keys = {}
        for slot, arr in arrays.items():
            key = f"{_OPTIMIZER_PREFIX}{pname}/{slot}"
            if key in weights or key in tensors:
                raise SerializationError(
                    f"save: the tensor name {key!r} is taken twice (a layer named "
                    f"'optimizer'?); rename the layer"
                )
            tensors[key] = np.ascontiguousarray(arr)
            keys[slot] = key
        slots.append(keys)
    info = {
        "iterations": int(state["iterations"]),
        "params": params,
        "slots": slots,
        "scalars": state["scalars"],
    }
    return info, tensors


def _rng_states(model: Any) -> dict[str, Any]:
    out = {}
    for path, module in _named_modules(model).items():
        gen = module.__dict__.get("_generator")
        if isinstance(gen, np.random.Generator):
            out[path] = gen.bit_generator.state
    return out


def save_model(model: Any, path: str | os.PathLike) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to
    exactly ``path``, a safetensors file, atomically."""
    weights = {name: np.ascontiguousarray(t.data) for name, t in model.named_weights()}
    if not weights and not model.built:
        raise ValueError(
            f"save: {type(model).__name__} has no parameters yet; build it first "
            f"(give the first layer input_dim, or call it on data)"
        )
    meta = {
        "format": FORMAT_MODEL,
        "format_version": FORMAT_VERSION,
        "producer": _producer(),
        "model": to_json(serialize_layer(model), "the model's config"),
    }
    tensors = dict(weights)
    if model.loss is not None and model.optimizer is not None:
        meta["compile"] = to_json(_compile_config(model), "the compile settings")
        if model.optimizer.params:
            info, extra = _optimizer_tensors(model, weights)
            meta["optimizer_state"] = to_json(info, "the optimizer state")
            tensors.update(extra)
    states = _rng_states(model)
    if states:
        meta["rng_state"] = to_json(states, "the random generators")
    safetensors_io.write(path, tensors, meta)


# --- loading -----------------------------------------------------------------------------------


def _json_field(meta: dict[str, str], key: str, path: str) -> Any:
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError) as e:
        raise ValueError(
            f"load: {path!r} has a damaged {key!r} entry in its metadata ({str(e)[:120]})"
        ) from None


def optimizer_keys(meta: dict[str, str], path: str, tensors: Any) -> set[str]:
    """The names of the tensors that hold optimizer state (the rest are weights)."""
    if meta.get("format") != FORMAT_MODEL or "optimizer_state" not in meta:
        return set()
    info = _json_field(meta, "optimizer_state", path)
    slots = info.get("slots") if isinstance(info, dict) else None
    if not isinstance(slots, list) or not all(
        isinstance(s, dict) and all(isinstance(k, str) for k in s.values()) for s in slots
    ):
        raise ValueError(f"load: {path!r} has a damaged 'optimizer_state' entry")
    keys = {k for s in slots for k in s.values()}
    missing = sorted(k for k in keys if k not in tensors)
    if missing:
        raise ValueError(f"load: {path!r} lacks the optimizer tensors {missing[:5]}")
    return keys


@contextmanager
def _random_streams_kept() -> Iterator[None]:
    # Building layers draws initial weights (overwritten at once) and Dropout seeds: put nn's
    # and Python's generators back afterwards, so loading does not shift what comes next.
    from .. import _seed

    rng = _seed.get_rng()
    nn_state, py_state = rng.bit_generator.state, random.getstate()
    try:
        yield
    finally:
        rng.bit_generator.state = nn_state
        random.setstate(py_state)


def _restore_optimizer(model: Any, info: Any, tensors: dict, path: str) -> None:
    optimizer = model.optimizer
    ok = (
        isinstance(info, dict)
        and isinstance(info.get("params"), list)
        and isinstance(info.get("slots"), list)
        and len(info["params"]) == len(info["slots"])
    )
    if not ok:
        raise ValueError(f"load_model: {path!r} has a damaged 'optimizer_state' entry")
    named = dict(model.named_parameters())
    missing = [p for p in info["params"] if not isinstance(p, str) or p not in named]
    if missing:
        raise ValueError(
            f"load_model: {path!r} has optimizer state for {missing[:5]}, which the model lacks"
        )
    params = [named[p] for p in info["params"]]
    if [id(p) for p in optimizer.params] != [id(p) for p in params]:
        optimizer.bind(params)
    slots = [{slot: tensors[key] for slot, key in s.items()} for s in info["slots"]]
    try:
        optimizer.set_state(
            {
                "iterations": info.get("iterations"),
                "slots": slots,
                "scalars": info.get("scalars", {}),
            }
        )
    except (ValueError, TypeError) as e:
        raise ValueError(f"load_model: {path!r}: {e}") from None


def _restore_rngs(model: Any, states: Any, path: str) -> None:
    if not isinstance(states, dict):
        raise ValueError(f"load_model: {path!r} has a damaged 'rng_state' entry")
    modules = _named_modules(model)
    for where, state in states.items():
        gen = getattr(modules.get(where), "__dict__", {}).get("_generator")
        if not isinstance(gen, np.random.Generator):
            raise ValueError(
                f"load_model: {path!r} has a random generator state for {where!r}, which "
                f"the model lacks"
            )
        kind = type(gen.bit_generator).__name__
        if not isinstance(state, dict) or state.get("bit_generator") != kind:
            raise ValueError(
                f"load_model: {path!r}: the generator state for {where!r} is not a {kind} state"
            )
        try:
            gen.bit_generator.state = state
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(
                f"load_model: {path!r}: bad generator state for {where!r}: {e}"
            ) from None


def load_model(
    path: str | os.PathLike, custom_objects: dict[str, Any] | None = None, compile: bool = True
) -> Any:
    """The model saved at ``path`` by ``model.save``: rebuilt, with its weights, compiled
    (unless ``compile=False``) and with its optimizer's state, so training continues where
    it stopped.

    Only registered classes are built (nn's own and those registered with
    ``register_serializable``, or handed over in ``custom_objects``); a file naming
    anything else is refused without importing anything.

    Raises:
        ValueError: the file is damaged, holds weights only, or names an unknown class
            (``SerializationError``).
    """
    from .. import losses, metrics, optimizers
    from ..models import Model

    path = os.fspath(path)
    meta, tensors = safetensors_io.read(path)
    if meta.get("format") != FORMAT_MODEL or "model" not in meta:
        raise ValueError(
            f"load_model: {path!r} holds weights only (no architecture in its metadata); "
            f"build the model in code and call model.load_weights(path)"
        )
    version = meta.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(
            f"load_model: {path!r} has format version {version!r}; this library reads "
            f"version {FORMAT_VERSION}"
        )
    config = _json_field(meta, "model", path)
    opt_keys = optimizer_keys(meta, path, tensors)
    with custom_object_scope(custom_objects), _random_streams_kept():
        model = deserialize_layer(config, "the model")
        if not isinstance(model, Model):
            raise SerializationError(
                f"load_model: {path!r} describes a {type(model).__name__}, not a model"
            )
        weights = {k: v for k, v in tensors.items() if k not in opt_keys}
        try:
            model.load_state_dict(weights)
        except ValueError as e:
            raise ValueError(
                f"load_model: the weights in {path!r} do not fit the architecture it describes: {e}"
            ) from None
        if "rng_state" in meta:
            _restore_rngs(model, _json_field(meta, "rng_state", path), path)
        if compile and "compile" in meta:
            settings = _json_field(meta, "compile", path)
            if not isinstance(settings, dict):
                raise ValueError(f"load_model: {path!r} has a damaged 'compile' entry")
            loss = deserialize_object(settings.get("loss"), "the loss", base=losses.Loss)
            metric_list = settings.get("metrics") or []
            if not isinstance(metric_list, list):
                raise ValueError(f"load_model: {path!r} has a damaged 'compile' entry")
            chosen = [
                deserialize_object(m, f"metric {i}", base=metrics.Metric)
                for i, m in enumerate(metric_list)
            ]
            optimizer = deserialize_object(
                settings.get("optimizer"), "the optimizer", base=optimizers.Optimizer
            )
            model.compile(
                optimizer=optimizer,
                loss=loss,
                metrics=chosen,
                fuse_loss=bool(settings.get("fuse_loss", True)),
            )
            if "optimizer_state" in meta:
                info = _json_field(meta, "optimizer_state", path)
                _restore_optimizer(model, info, tensors, path)
    return model
