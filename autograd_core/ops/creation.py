"""New tensors: zeros, ones, full, their ``_like`` forms, eye, arange and linspace.

numpy's signatures plus ``requires_grad``. Without ``dtype`` they take the default dtype
(``ag.get_default_dtype()``, float32 unless changed), as Python numbers and lists do; the
``_like`` forms take the dtype of their model. Nothing here is recorded: these are leaves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import as_dtype, get_default_dtype
from ..op import Tensor


def _dtype(dtype: Any, where: str) -> np.dtype:
    return get_default_dtype() if dtype is None else as_dtype(dtype, where)


def _like(a: Any, dtype: Any, where: str) -> tuple[np.ndarray, np.dtype]:
    data = a.data if isinstance(a, Tensor) else np.asarray(Tensor(a).data)
    return data, (data.dtype if dtype is None else as_dtype(dtype, where))


def zeros(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, as ``np.zeros``."""
    return Tensor(np.zeros(shape, _dtype(dtype, "zeros")), requires_grad=requires_grad)


def ones(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, as ``np.ones``."""
    return Tensor(np.ones(shape, _dtype(dtype, "ones")), requires_grad=requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``, as ``np.full`` (in the default dtype unless
    ``dtype`` is given, whatever the type of ``fill_value``)."""
    value = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return Tensor(np.full(shape, value, _dtype(dtype, "full")), requires_grad=requires_grad)


def zeros_like(a: Any, dtype: Any = None, shape: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of ``a`` (or the ``shape`` and ``dtype`` given)."""
    data, d = _like(a, dtype, "zeros_like")
    return Tensor(np.zeros(data.shape if shape is None else shape, d), requires_grad=requires_grad)


def ones_like(a: Any, dtype: Any = None, shape: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of ``a`` (or the ``shape`` and ``dtype`` given)."""
    data, d = _like(a, dtype, "ones_like")
    return Tensor(np.ones(data.shape if shape is None else shape, d), requires_grad=requires_grad)


def full_like(
    a: Any, fill_value: Any, dtype: Any = None, shape: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in the shape and dtype of ``a`` (or the ``shape`` and ``dtype`` given)."""
    data, d = _like(a, dtype, "full_like")
    value = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    out = np.full(data.shape if shape is None else shape, value, d)
    return Tensor(out, requires_grad=requires_grad)


def eye(
    N: int, M: int | None = None, k: int = 0, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones on the ``k``-th diagonal of an N x M matrix, zeros elsewhere, as ``np.eye``."""
    return Tensor(np.eye(N, M, k, dtype=_dtype(dtype, "eye")), requires_grad=requires_grad)


def arange(
    start: Any,
    stop: Any = None,
    step: Any = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop), as ``np.arange``; in the default dtype unless
    ``dtype`` is given (``dtype=int`` for integers)."""
    d = _dtype(dtype, "arange")
    if stop is None:
        start, stop = 0, start
    return Tensor(np.arange(start, stop, step, dtype=d), requires_grad=requires_grad)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    requires_grad: bool = False,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``, as ``np.linspace`` (with
    ``retstep=True``, the tensor and the step)."""
    d = _dtype(dtype, "linspace")
    values, step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True, axis=axis)
    out = Tensor(values.astype(d), requires_grad=requires_grad)
    return (out, step) if retstep else out
