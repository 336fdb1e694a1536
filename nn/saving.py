"""Weights on disk: safetensors files (no pickle, so loading never runs code), written
atomically (a temporary file in the same folder, fsync, then ``os.replace``), so an
interrupted save leaves the previous file whole.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as _st_load
from safetensors.numpy import save as _st_save

_FORMAT = "nn-weights"


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to exactly ``path``: all of it or, if interrupted, nothing."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Whatever went wrong, the old file is untouched; only our temporary goes.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_weights(module: Any, path: str | os.PathLike) -> None:
    """Save ``module``'s weights to ``path`` (safetensors, keys = ``named_weights``: the
    parameters and the buffers, such as BatchNormalization's moving statistics)."""
    tensors = {name: np.ascontiguousarray(t.data) for name, t in _named_weights(module)}
    if not tensors:
        raise ValueError(
            f"save: {type(module).__name__} has no parameters yet; build it first "
            f"(give the first layer input_dim, or call it on data)"
        )
    data = _st_save(tensors, metadata={"format": _FORMAT})
    atomic_write_bytes(path, data)


def _named_weights(module: Any) -> Any:
    # an nn.Module lists parameters and buffers; anything else with named_parameters, those
    names = getattr(module, "named_weights", None) or module.named_parameters
    return names()


def read_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays stored in a safetensors file; a damaged file raises ``ValueError``."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return _st_load(raw)
    except (SafetensorError, ValueError, TypeError) as e:
        raise ValueError(
            f"load: {path!r} is not a readable safetensors weights file (damaged or truncated?): "
            f"{e}"
        ) from None


def load_weights(module: Any, path: str | os.PathLike) -> None:
    """Load weights saved by ``save_weights`` into ``module``; checks before it writes."""
    state = read_weights(path)
    try:
        module.load_state_dict(state)
    except ValueError as e:
        raise ValueError(f"load: {os.fspath(path)!r} does not fit this model: {e}") from None


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
