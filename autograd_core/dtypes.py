"""The default floating dtype given to Python scalars, lists and new parameters."""

from __future__ import annotations

import numpy as np

from .errors import DTypeError

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: np.dtype | type) -> None:
    """Set the dtype that Python scalars and lists take (float32 unless changed)."""
    global _default_dtype
    d = np.dtype(dtype)
    if d.kind != "f":
        raise DTypeError(
            f"set_default_dtype expects a floating dtype such as np.float32 or np.float64. "
            f"Received: dtype={d}"
        )
    _default_dtype = d


def get_default_dtype() -> np.dtype:
    """Return the current default floating dtype."""
    return _default_dtype


def as_float(x: np.ndarray) -> np.ndarray:
    """``x``, or for a boolean or integer array ``x`` in the float dtype numpy's ufuncs
    compute it in (float16 for 8 bits, float32 for 16, float64 beyond): for the formulas
    that subtract or negate, which would wrap around in unsigned integers."""
    if x.dtype.kind in "biu":
        return x.astype(np.result_type(x.dtype, np.float16))
    return x


def is_float(dtype: np.dtype) -> bool:
    """True for the dtypes that can carry gradients."""
    return dtype.kind == "f"


def as_dtype(dtype: object, where: str) -> np.dtype:
    """``np.dtype(dtype)`` for a numeric dtype, else a DTypeError naming ``where``."""
    try:
        d = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        d = None
    if d is None or d.kind not in "biuf":
        raise DTypeError(
            f"{where} expects a numeric dtype (bool, integer or floating). Received: "
            f"dtype={dtype!r}"
        )
    return d
