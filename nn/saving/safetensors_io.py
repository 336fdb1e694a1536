"""Reading safetensors files without trusting them, and writing them atomically.

A safetensors file is an 8-byte little-endian header length ``n``, ``n`` bytes of JSON (each
tensor's ``dtype``, ``shape`` and ``data_offsets`` into the data that follows, plus an optional
``__metadata__`` dict of strings), then the tensors' bytes. ``read`` checks the file in that
order before it reads any data: the header length against the file's size and a maximum,
then the header alone, then every tensor's dtype, shape and offsets (in range, sizes
consistent with the shape, the data covered exactly once, nothing overlapping, nothing left
over) against the size of the file. Only then does it read, tensor by tensor, exactly the
bytes the header declares. A damaged file costs no more memory than its header.

BF16 and F16 tensors are read as float32 (BF16 by shifting each 16-bit value into the top
half of a 32-bit float, which is exact), and so are the 8-bit floats F8_E4M3 (E4M3FN: no
infinities) and F8_E5M2, through tables of their 256 values, also exact.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

import numpy as np

__all__ = ["read", "read_header", "write", "Header", "MAX_HEADER_BYTES"]

# The safetensors reference implementation refuses headers above 100 MB too.
MAX_HEADER_BYTES = 100_000_000

# dtype code -> (numpy dtype of the stored bytes, bytes per element)
_STORED: dict[str, tuple[str, int]] = {
    "F64": ("<f8", 8),
    "F32": ("<f4", 4),
    "F16": ("<f2", 2),
    "BF16": ("<u2", 2),
    "F8_E4M3": ("u1", 1),
    "F8_E5M2": ("u1", 1),
    "I64": ("<i8", 8),
    "I32": ("<i4", 4),
    "I16": ("<i2", 2),
    "I8": ("i1", 1),
    "U64": ("<u8", 8),
    "U32": ("<u4", 4),
    "U16": ("<u2", 2),
    "U8": ("u1", 1),
    "BOOL": ("?", 1),
}

_WRITE_CODES = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint64): "U64",
    np.dtype(np.uint32): "U32",
    np.dtype(np.uint16): "U16",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}


def _fp8_table(exponent_bits: int, mantissa_bits: int, finite_only: bool) -> np.ndarray:
    """The float32 value of each of the 256 bytes of an 8-bit float format."""
    bias = 2 ** (exponent_bits - 1) - 1
    top = 2**exponent_bits - 1
    values = np.empty(256, dtype=np.float32)
    for b in range(256):
        sign = -1.0 if b & 0x80 else 1.0
        e = (b >> mantissa_bits) & top
        m = b & (2**mantissa_bits - 1)
        if finite_only and e == top and m == 2**mantissa_bits - 1:
            v = math.nan  # E4M3FN: only S.1111.111 is special, and it is NaN
        elif not finite_only and e == top:
            v = math.inf if m == 0 else math.nan
        elif e == 0:
            v = sign * m * 2.0 ** (1 - bias - mantissa_bits)  # subnormal
        else:
            v = sign * (1.0 + m / 2**mantissa_bits) * 2.0 ** (e - bias)
        values[b] = sign * v if math.isinf(v) else v
    return values


_FP8 = {
    "F8_E4M3": _fp8_table(4, 3, finite_only=True),
    "F8_E5M2": _fp8_table(5, 2, finite_only=False),
}


class Header:
    """A checked header: ``metadata`` (str -> str), ``tensors`` (name -> (dtype code,
    shape, begin, end), offsets into the data), ``data_start`` and ``size`` of the file."""

    __slots__ = ("metadata", "tensors", "data_start", "size")

    def __init__(
        self, metadata: dict[str, str], tensors: dict[str, tuple], data_start: int, size: int
    ) -> None:
        self.metadata = metadata
        self.tensors = tensors
        self.data_start = data_start
        self.size = size


class _Bad(ValueError):
    pass


def _fail(path: str, reason: str) -> ValueError:
    return ValueError(f"load: {path!r} is not a readable safetensors file: {reason}")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse(raw: bytes, data_size: int) -> tuple[dict[str, str], dict[str, tuple]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad("its header is not UTF-8 text (damaged, or not safetensors at all)") from None
    if not text.lstrip().startswith("{"):
        raise _Bad("its header is not a JSON object (damaged, or not safetensors at all)")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _Bad(f"its header is not valid JSON ({str(e)[:120]})") from None
    if not isinstance(header, dict):
        raise _Bad("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _Bad("its __metadata__ is not a mapping of strings to strings")
    tensors: dict[str, tuple] = {}
    for name, info in header.items():
        if not isinstance(info, dict):
            raise _Bad(f"the entry of tensor {name!r} is not an object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype, str):
            raise _Bad(f"tensor {name!r} has no dtype")
        if dtype not in _STORED:
            raise _Bad(
                f"unsupported dtype {dtype} in tensor {name!r} (nn reads "
                f"{', '.join(sorted(_STORED))})"
            )
        if not isinstance(shape, list) or not all(_int(n) and n >= 0 for n in shape):
            raise _Bad(f"tensor {name!r} has shape {shape!r}, not a list of sizes >= 0")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_int(o) for o in offsets):
            raise _Bad(f"tensor {name!r} has data_offsets {offsets!r}, not [begin, end]")
        begin, end = offsets
        if begin < 0 or end < begin:
            raise _Bad(f"tensor {name!r} has data_offsets [{begin}, {end}]: out of order")
        if end > data_size:
            raise _Bad(
                f"tensor {name!r} ends at byte {end} of the data, but the file holds only "
                f"{data_size} bytes of data (truncated?)"
            )
        need = math.prod(shape) * _STORED[dtype][1]
        if end - begin != need:
            raise _Bad(
                f"tensor {name!r} is {dtype} of shape {tuple(shape)}, {need} bytes, but its "
                f"data_offsets [{begin}, {end}] span {end - begin} bytes"
            )
        tensors[name] = (dtype, tuple(shape), begin, end)
    # The data must be covered exactly: each tensor starts where the one before ends.
    at, last = 0, None
    for name, (_, _, begin, end) in sorted(tensors.items(), key=lambda kv: kv[1][2:]):
        if begin < at:
            raise _Bad(f"tensors {last!r} and {name!r} overlap (bytes {begin} to {at})")
        if begin > at:
            raise _Bad(f"bytes {at} to {begin} of the data belong to no tensor")
        at, last = end, name
    if at != data_size:
        raise _Bad(f"the file has {data_size - at} bytes after its last tensor")
    return metadata, tensors


def _size_of(path: str) -> int:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _fail(path, "it is not a regular file")
    return st.st_size


def read_header(path: str | os.PathLike) -> Header:
    """The checked header of the safetensors file at ``path`` (nothing else is read).

    Raises:
        ValueError: the file is not safetensors, is damaged or truncated, or is
            inconsistent (each case named).
    """
    path = os.fspath(path)
    size = _size_of(path)
    with open(path, "rb") as f:
        return _read_header(f, path, size)


def _read_header(f: Any, path: str, size: int) -> Header:
    if size < 8:
        raise _fail(path, f"it has {size} bytes, fewer than the 8 of the header length")
    n = int.from_bytes(f.read(8), "little")
    if n > size - 8:
        raise _fail(
            path, f"its header length is {n} bytes but the file has only {size - 8} after it"
        )
    if n > MAX_HEADER_BYTES:
        raise _fail(path, f"its header length is {n} bytes, above the limit {MAX_HEADER_BYTES}")
    if n < 2:
        raise _fail(path, f"its header length is {n} bytes, too short for a JSON object")
    raw = f.read(n)
    if len(raw) != n:
        raise _fail(path, "the file shrank while it was read")
    try:
        metadata, tensors = _parse(raw, size - 8 - n)
    except _Bad as e:
        raise _fail(path, str(e)) from None
    return Header(metadata, tensors, 8 + n, size)


def _decode(buf: bytes, dtype: str, shape: tuple) -> np.ndarray:
    stored = np.frombuffer(buf, dtype=_STORED[dtype][0])
    if dtype == "BF16":
        # bfloat16 is the top half of a float32: shift it back into place (exact)
        arr = (stored.astype(np.uint32) << 16).view(np.float32)
    elif dtype in _FP8:
        arr = _FP8[dtype][stored]
    elif dtype == "F16":
        arr = stored.astype(np.float32)
    else:
        arr = stored.astype(stored.dtype.newbyteorder("="))  # a copy, in native order
    return arr.reshape(shape)


def read(
    path: str | os.PathLike, names: Any = None
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """``(metadata, arrays)`` of the safetensors file at ``path``; ``names`` limits which
    tensors are read. BF16, F16 and the FP8 formats come back as float32.

    Raises:
        ValueError: as ``read_header``; nothing is read past a check that fails.
    """
    path = os.fspath(path)
    size = _size_of(path)
    with open(path, "rb") as f:
        header = _read_header(f, path, size)
        wanted = header.tensors if names is None else {n: header.tensors[n] for n in names}
        arrays = {}
        for name, (dtype, shape, begin, end) in sorted(wanted.items(), key=lambda kv: kv[1][2]):
            f.seek(header.data_start + begin)
            buf = f.read(end - begin)
            if len(buf) != end - begin:
                raise _fail(path, f"the file shrank while tensor {name!r} was read")
            arrays[name] = _decode(buf, dtype, shape)
    return header.metadata, {name: arrays[name] for name in wanted}


def write_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """A safetensors file holding ``tensors`` (in the order given) and ``metadata``."""
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    parts = []
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        code = _WRITE_CODES.get(arr.dtype.newbyteorder("="))
        if code is None:
            raise TypeError(f"save: tensor {name!r} has dtype {arr.dtype}, which safetensors lacks")
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": code,
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        parts.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the format advises
    return b"".join([len(text).to_bytes(8, "little"), text, *parts])


def write(
    path: str | os.PathLike, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None
) -> None:
    """Write a safetensors file to exactly ``path``, atomically (``autograd_core._files``)."""
    from autograd_core._files import atomic_write

    atomic_write(path, write_bytes(tensors, metadata))
