"""Models and weights on disk, as safetensors files (no pickle: loading never runs code).

- ``model.save(path)`` / ``load_model(path)``: one file with the architecture (JSON in the
  file's metadata), the weights and the optimizer's state (``model_file``);
- ``model.save_weights(path)`` / ``model.load_weights(path)``: the weights alone;
  ``model.load(path)`` loads the weights of either kind of file in place;
- ``register_serializable``: the classes ``load_model`` may build (``registry``).

Files are read without trusting them (``safetensors_io``: the header is checked against the
file's size before any data is read) and written atomically through
``autograd_core._files.atomic_write`` (a temporary file next to the target, fsync, rename),
so an interrupted save leaves the previous file whole.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from autograd_core._files import atomic_write

from . import safetensors_io
from .model_file import (
    FORMAT_MODEL,
    FORMAT_WEIGHTS,
    deserialize_layer,
    load_model,
    optimizer_keys,
    save_model,
    serialize_layer,
)
from .registry import (
    SerializationError,
    custom_object_scope,
    deserialize_object,
    get_registered_name,
    get_registered_object,
    register_serializable,
    serialize_object,
)

__all__ = [
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "read_weights",
    "register_serializable",
    "get_registered_name",
    "get_registered_object",
    "custom_object_scope",
    "serialize_object",
    "deserialize_object",
    "serialize_layer",
    "deserialize_layer",
    "SerializationError",
    "check_state",
    "atomic_write_bytes",
    "FORMAT_MODEL",
    "FORMAT_WEIGHTS",
]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to exactly ``path``: all of it or, if interrupted, nothing."""
    atomic_write(path, data)


def save_weights(module: Any, path: str | os.PathLike) -> None:
    """Save ``module``'s weights to ``path`` (safetensors, keys = ``named_weights``: the
    parameters and the buffers, such as BatchNormalization's moving statistics)."""
    tensors = {name: np.ascontiguousarray(t.data) for name, t in _named_weights(module)}
    if not tensors:
        raise ValueError(
            f"save: {type(module).__name__} has no parameters yet; build it first "
            f"(give the first layer input_dim, or call it on data)"
        )
    safetensors_io.write(path, tensors, {"format": FORMAT_WEIGHTS})


def _named_weights(module: Any) -> Any:
    # an nn.Module lists parameters and buffers; anything else with named_parameters, those
    names = getattr(module, "named_weights", None) or module.named_parameters
    return names()


def read_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The weights stored in a safetensors file (of weights alone, or a whole model's,
    without its optimizer state), in the order they were written. The file is checked
    before its data is read; BF16, F16 and FP8 tensors come back as float32.

    Raises:
        ValueError: the file is damaged, truncated or inconsistent (the message says how).
    """
    return _read_weights(path)[0]


def _read_weights(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], bool]:
    path = os.fspath(path)
    header = safetensors_io.read_header(path)
    skip = optimizer_keys(header.metadata, path, header.tensors)
    # the data lies in the order the tensors were written (a JSON reader may reorder keys)
    names = sorted((n for n in header.tensors if n not in skip), key=lambda n: header.tensors[n][2])
    ours = header.metadata.get("format") in (FORMAT_WEIGHTS, FORMAT_MODEL)
    return safetensors_io.read(path, names)[1], ours


def load_weights(module: Any, path: str | os.PathLike) -> None:
    """Load weights saved by ``save_weights`` or ``save`` into ``module``, in place; all is
    checked before anything is written, so a bad file raises and changes nothing.

    Weights are matched by name. A file nn wrote whose names differ only because the
    layers were named differently (a functional model built again gets new automatic
    names) is matched by position instead, when every shape agrees in order.
    """
    state, ours = _read_weights(path)
    if ours:
        state = _by_position(module, state)
    try:
        module.load_state_dict(state)
    except ValueError as e:
        raise ValueError(f"load: {os.fspath(path)!r} does not fit this model: {e}") from None


def _by_position(module: Any, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    own = [(name, tuple(t.data.shape)) for name, t in _named_weights(module)]
    if set(state) == {name for name, _ in own} or len(state) != len(own):
        return state
    if [s for _, s in own] != [a.shape for a in state.values()]:
        return state  # let the name check explain what does not fit
    return {name: arr for (name, _), arr in zip(own, state.values(), strict=True)}


def check_state(params: dict, state: dict, strict: bool, where: str) -> dict[str, np.ndarray]:
    """The arrays of ``state`` to copy into ``params``, after checking names, shapes, dtypes.

    Raises ``ValueError`` naming the first problem; returns only when all is well.
    """
    if not isinstance(state, dict):
        raise TypeError(
            f"{where}.load_state_dict expects a dict of arrays. Received: {type(state).__name__}"
        )
    missing = [k for k in params if k not in state]
    unexpected = [k for k in state if k not in params]
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing parameters {missing}")
        if unexpected:
            parts.append(f"unexpected parameters {unexpected}")
        raise ValueError(f"{where}: {' and '.join(parts)} (the model has {list(params)})")
    out = {}
    for name, p in params.items():
        if name not in state:
            continue
        arr = state[name]
        arr = getattr(arr, "data", arr)
        arr = np.asarray(arr)
        if arr.shape != p.data.shape:
            raise ValueError(
                f"{where}: parameter {name!r} has shape {p.data.shape} but the "
                f"weights give shape {arr.shape}"
            )
        if arr.dtype.kind not in "fiu":
            raise ValueError(f"{where}: parameter {name!r} got values of dtype {arr.dtype}")
        out[name] = arr
    return out
