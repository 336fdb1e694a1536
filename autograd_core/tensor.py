"""The Tensor: a numpy array that records the operations applied to it.

The operators and methods here are thin: each forwards to the op of the same name in
``autograd_core.ops``, where the forward and its derivative rule live side by side.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import versions
from .dtypes import as_dtype, get_default_dtype
from .errors import BackwardError, DTypeError
from .grad_mode import tracing

_new = object.__new__


class Tensor:
    """A numpy array plus the record of how it was computed.

    Args:
        data: array-like. A numpy array keeps its dtype (and is shared, not copied, like
            ``np.asarray``); Python scalars and lists take the default dtype (float32).
        requires_grad: record operations on this tensor so ``backward()`` fills ``.grad``.
        dtype: convert to this dtype first.
        name: a label shown in drawn graphs and error messages.
    """

    __slots__ = (
        "_data",
        "grad",
        "_rg",
        "_node",
        "_name",
        "_hooks",
        "_guard",
        "_vt",
        "_base",
        "_views",
        "__weakref__",
    )
    _data: np.ndarray  # the engine reads this slot; users read the `data` property
    grad: Any  # an ndarray, a Tensor under create_graph=True, or None
    _rg: bool  # requires grad
    _node: Any  # the Node that produced this tensor; None for a leaf
    _name: str | None  # (set only when named: see the `name` property)
    _hooks: list | None  # gradient hooks of a leaf (a non-leaf's live on its Node)
    # The guard of the numpy array this tensor was made from, when a raw write into it must
    # be stopped while a graph reads it (versions.Guard); None for the library's own arrays.
    _guard: Any
    # Set only when used (read with getattr): `.data` assignments (versions._Writes); the
    # tensor this one is a view of, as (base, view op, its kwargs, grad mode when taken);
    # weak references to the views taken of this tensor with grad mode on.
    _vt: Any
    _base: tuple
    _views: list
    __array_priority__ = 1000

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self._data, self._guard = _to_array(data, dtype)
        self.grad = None
        self._node = None
        self._hooks = None
        self._name = name
        self._rg = False
        if requires_grad:
            self.requires_grad = True

    # --- attributes -------------------------------------------------------------------------

    def _set_data(self, value: Any) -> None:
        if value is self._data:
            # `t.data *= 2`: numpy wrote into the array, then Python assigns it back
            versions.wrote((value,))
            return
        if type(value) is not np.ndarray:
            if not isinstance(value, np.ndarray):
                raise DTypeError(
                    f"Tensor.data must be assigned an np.ndarray (shape {self._data.shape}, "
                    f"dtype {self._data.dtype} now). Received: {_short(value)}"
                )
            value = value.view(np.ndarray)
        if value.dtype.kind not in "biuf" or (self._rg and value.dtype.kind != "f"):
            raise DTypeError(
                f"Tensor.data: cannot assign an array of dtype {value.dtype} to a tensor "
                f"{'that requires grad' if self._rg else ''} (dtype {self._data.dtype}); "
                f"{'a floating point' if self._rg else 'a bool, integer or float'} array is "
                f"needed"
            )
        versions.replaced(self, value)
        self._data = value
        self._guard = versions.guard_of(value)

    def _get_data(self) -> np.ndarray:
        if tracing() is not None:  # ag.compile: an array the trace made must not leak out
            _check_read(self)
        return self._data

    data = property(
        _get_data,
        _set_data,
        doc="The values, an np.ndarray (shared with the array the tensor was made from). "
        "Assigning it (``t.data = a``, also ``t.data *= 2``) counts as an in-place write: "
        "a graph that saved the tensor raises at backward (an array of exactly the same "
        "values, shape and dtype is no change). Writing into the array it returns "
        "(``t.data[0] = 5``) is not seen: use ``t[0] = 5`` inside ``no_grad()``, ``copy_``, "
        "or ``ag.increment_version(t)`` after the write.",
    )

    @property
    def name(self) -> str | None:
        """A label shown in drawn graphs and error messages (None if unnamed)."""
        # NOTE: the slot is left unset on the engine's results (one store less per op)
        try:
            return self._name
        except AttributeError:
            return None

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

    @property
    def version(self) -> int:
        """How many in-place writes this tensor has seen (shared with the tensors whose
        memory it shares: its views, its base, ``detach()``)."""
        return versions.version(self)

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward()."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if value and self._data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad=True: only floating point tensors can require gradients. "
                f"Received dtype "
                f"{self._data.dtype} (shape {self._data.shape}); convert with .astype(np.float32)"
            )
        if not value and self._node is not None:
            raise BackwardError(
                "requires_grad cannot be turned off on a non-leaf tensor; use .detach()"
            )
        self._rg = value

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """dtype of the data."""
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The recorded operation (a Node) that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed), like ``ndarray.T``."""
        return transpose(self)

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of matrices transposed)."""
        return swapaxes(self, -1, -2)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if tracing() is not None:
            _refuse_value(self, "bool() (an `if` or `while` on a tensor)")
        return bool(self._data)

    def __float__(self) -> float:
        if tracing() is not None:
            _refuse_value(self, "float()")
        return float(self._data)

    def __int__(self) -> int:
        if tracing() is not None:
            _refuse_value(self, "int()")
        return int(self._data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extra = f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # --- numpy's protocols (autograd_core/interop.py) --------------------------------------
    # numpy functions and ufuncs applied to Tensors (np.sin(t), np.sum(t), a @ t, a + t) run
    # as the engine's ops and are recorded; np.asarray(t) and np.array(t) give the values.

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values, for ``np.asarray(t)`` (shared) and ``np.array(t)`` (a copy): the
        explicit way out of the graph, since nothing computed from them is recorded."""
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            if copy is False:
                raise ValueError(f"converting a {self.data.dtype} Tensor to {dtype} needs a copy")
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return array_function(func, types, args, kwargs)

    # --- conversion -------------------------------------------------------------------------

    def detach(self) -> Tensor:
        """A new leaf sharing this data (and its version), cut from the graph."""
        t = _make(self._data)
        t._guard = self._guard
        return t

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if tracing() is not None:
            _refuse_value(self, ".item()")
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element. Received shape {self._data.shape}"
            )
        return self._data.item()

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        if tracing() is not None:
            _refuse_value(self, ".tolist()")
        return self._data.tolist()

    def copy(self) -> Tensor:
        """A differentiable copy with its own data."""
        return astype(self, self.dtype, copy=True)

    # --- autograd ---------------------------------------------------------------------------

    def backward(
        self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on (accumulating, as PyTorch)."""
        _backward(self, grad, retain_graph, create_graph)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return
        value replaces the gradient. Returns a handle whose ``remove()`` removes the hook."""
        if not self._rg:
            raise BackwardError(
                "register_hook: cannot register a hook on a tensor that does not require grad"
            )
        if self._node is not None:
            if self._node.hooks is None:
                self._node.hooks = []
            hooks = self._node.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if self._node is not None:
            self._node.retain = weakref.ref(self)

    def zero_grad(self) -> None:
        """Clear the gradient (set it to None)."""
        self.grad = None

    # --- operators --------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return add.binary(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return add.binary(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return subtract.binary(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return subtract.binary(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return multiply.binary(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return multiply.binary(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return divide.binary(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return divide.binary(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return power.binary(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return power.binary(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul.binary(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul.binary(other, self)

    def __neg__(self) -> Tensor:
        return negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return absolute(self)

    def __getitem__(self, index: Any) -> Tensor:
        return getitem(self, index)

    def __lt__(self, other: Any) -> Tensor:
        return less.binary(self, other)

    def __le__(self, other: Any) -> Tensor:
        return less_equal.binary(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return greater.binary(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return greater_equal.binary(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return equal.binary(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return not_equal.binary(self, other)

    # --- in-place updates (autograd_core.inplace) -------------------------------------------

    def __iadd__(self, other: Any) -> Tensor:
        return _update(self, add, other, "+")

    def __isub__(self, other: Any) -> Tensor:
        return _update(self, subtract, other, "-")

    def __imul__(self, other: Any) -> Tensor:
        return _update(self, multiply, other, "*")

    def __itruediv__(self, other: Any) -> Tensor:
        return _update(self, divide, other, "/")

    def __ipow__(self, other: Any) -> Tensor:
        return _update(self, power, other, "**")

    def __imatmul__(self, other: Any) -> Tensor:
        return _update(self, matmul, other, "@")

    def __setitem__(self, index: Any, value: Any) -> None:
        _setitem(self, index, value)

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (a Tensor, array or scalar, broadcast to this shape) into this
        tensor, in place, as PyTorch's ``copy_``; returns the tensor. Inside ``no_grad()``
        it is a plain write (``load_state_dict``); outside, it is recorded."""
        return _copy_(self, src)

    # --- methods ----------------------------------------------------------------------------

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None)."""
        return sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes when None)."""
        return mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; ties share the gradient equally."""
        return max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; ties share the gradient equally."""
        return min(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis``, as ``np.var``."""
        return var(self, axis, keepdims, ddof)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Standard deviation over ``axis``, as ``np.std``."""
        return std(self, axis, keepdims, ddof)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, computed without overflow."""
        return logsumexp(self, axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Indices of the maxima (not differentiable)."""
        return argmax(self, axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Indices of the minima (not differentiable)."""
        return argmin(self, axis, keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis`` (all axes when None); exact gradients with zeros."""
        return prod(self, axis, keepdims)

    def cumsum(self, axis: int | None = None) -> Tensor:
        """Cumulative sum along ``axis`` (of the flattened tensor when None)."""
        return cumsum(self, axis)

    def cumprod(self, axis: int | None = None) -> Tensor:
        """Cumulative product along ``axis`` (of the flattened tensor when None)."""
        return cumprod(self, axis)

    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Whether any element over ``axis`` is nonzero (not differentiable)."""
        return _any(self, axis, keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Whether every element over ``axis`` is nonzero (not differentiable)."""
        return _all(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """The same data in a new shape; one dimension may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return reshape(self, shape)

    def flatten(self) -> Tensor:
        """The data as one dimension."""
        return reshape(self, (-1,))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return transpose(self, axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        return swapaxes(self, axis1, axis2)

    def squeeze(self, axis: Any = None) -> Tensor:
        """Remove axes of length one."""
        return squeeze(self, axis)

    def expand_dims(self, axis: Any) -> Tensor:
        """Insert axes of length one."""
        return expand_dims(self, axis)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """Broadcast to ``shape``, as ``np.broadcast_to``."""
        return broadcast_to(self, shape)

    def astype(self, dtype: Any) -> Tensor:
        """Convert to ``dtype`` (differentiable between float dtypes)."""
        return astype(self, dtype)

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return exp(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return log(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return sqrt(self)

    def abs(self) -> Tensor:
        """Elementwise absolute value."""
        return absolute(self)

    def sin(self) -> Tensor:
        """Elementwise sine."""
        return sin(self)

    def cos(self) -> Tensor:
        """Elementwise cosine."""
        return cos(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return tanh(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function, stable for large |x|."""
        return sigmoid(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0)."""
        return relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """Elementwise x for x > 0, else negative_slope * x."""
        return leaky_relu(self, negative_slope)

    def softplus(self) -> Tensor:
        """Elementwise log(1 + exp(x)), stable for large |x|."""
        return softplus(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``, max-shifted."""
        return softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis``."""
        return log_softmax(self, axis)

    def clip(self, lo: Any = None, hi: Any = None) -> Tensor:
        """Limit values to [lo, hi]; the gradient is zero outside."""
        return clip(self, lo, hi)

    def take(self, indices: Any, axis: int | None = None, mode: str = "raise") -> Tensor:
        """Elements at ``indices`` along ``axis`` (of the flattened tensor when None)."""
        return take(self, indices, axis, mode)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        """Repeat each element ``repeats`` times along ``axis`` (flattened when None)."""
        return repeat(self, repeats, axis)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The ``offset`` diagonal of the matrices on ``axis1`` and ``axis2``."""
        return diagonal(self, offset, axis1, axis2)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """Sum of the ``offset`` diagonal."""
        return trace(self, offset, axis1, axis2)

    def argsort(self, axis: int | None = -1, kind: str | None = None) -> Tensor:
        """The indices that sort along ``axis`` (stable; not differentiable)."""
        return argsort(self, axis, kind)

    def dot(self, other: Any) -> Tensor:
        """numpy's dot product with ``other``."""
        return dot(self, other)

    def sign(self) -> Tensor:
        """Elementwise sign (-1, 0 or 1); its gradient is 0."""
        return sign(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round to ``decimals`` decimals, halves to even; its gradient is 0."""
        return _round(self, decimals)

    def __mod__(self, other: Any) -> Tensor:
        return mod.binary(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return mod.binary(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return floor_divide.binary(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return floor_divide.binary(other, self)


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` (or calling it) removes the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        """Remove the hook; removing it twice does nothing."""
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                break

    __call__ = remove


def _make(data: np.ndarray, requires_grad: bool = False, node: Any = None) -> Tensor:
    """Build a Tensor around an ndarray without validation (the engine's fast path)."""
    t = _new(Tensor)
    t._data = data
    t._rg = requires_grad
    t._node = node
    t.grad = t._hooks = t._guard = None
    return t


def _to_array(data: Any, dtype: Any) -> tuple[np.ndarray, Any]:
    """Convert user data to an ndarray following the dtype rules of the API; with the
    guard (versions.Guard) of the user's array when the result shares its memory."""
    if isinstance(data, Tensor):
        arr = data._data
        if dtype is not None and arr.dtype != as_dtype(dtype, "Tensor"):
            return arr.astype(as_dtype(dtype, "Tensor")), None
        return arr, data._guard
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "biuf" and (dtype is None or as_dtype(dtype, "Tensor") == data.dtype):
            # NOTE: shared, not copied; the tensor holds its own view of the array, so that
            # the user's array can be made read-only while a graph reads it (see
            # versions.Guard) without making the tensor's read-only too.
            return data.view(np.ndarray), versions.guard(data)
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError) as e:
            raise DTypeError(
                f"Tensor expects numbers (a scalar, a nested list of equal lengths or an "
                f"array). Received: {_short(data)} ({e})"
            ) from None
        if dtype is None and arr.dtype.kind in "iuf":
            # Python scalars and lists take the default float dtype (as torch.tensor does
            # for floats), so a list literal never silently becomes float64.
            arr = arr.astype(get_default_dtype())
    if arr.dtype.kind not in "biuf":
        raise DTypeError(
            f"Tensor expects numeric data (bool, int or float). Received: {_short(data)} "
            f"with dtype {arr.dtype}"
        )
    if dtype is not None:
        dtype = as_dtype(dtype, "Tensor")
        if arr.dtype != dtype:
            arr = arr.astype(dtype)
    return arr, None


def _check_read(t: Tensor) -> None:
    from .jit.trace import check_read  # (jit imports the engine)

    check_read(t)


def _refuse_value(t: Tensor, what: str) -> None:
    from .jit.trace import refuse_value  # (jit imports the engine)

    refuse_value(t, what)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."


# The operator methods above look these names up at call time; they are bound here, once
# the ops (which import Tensor) are defined. The order of these imports matters.
# ruff: noqa: I001
from .ops.elementwise import (  # noqa: E402
    absolute,
    add,
    astype,
    clip,
    cos,
    divide,
    equal,
    exp,
    floor_divide,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    mod,
    multiply,
    negative,
    not_equal,
    power,
    round as _round,
    sign,
    sin,
    sqrt,
    subtract,
)
from .ops.activation import (  # noqa: E402
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .ops.reduce import (  # noqa: E402
    all as _all,
    any as _any,
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    prod,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from .ops.shape import (  # noqa: E402
    broadcast_to,
    expand_dims,
    getitem,
    repeat,
    reshape,
    squeeze,
    swapaxes,
    transpose,
)
from .ops.indexing import argsort, diagonal, take, trace  # noqa: E402
from .ops.linalg import dot, matmul  # noqa: E402
from .engine import backward as _backward  # noqa: E402  (bound once, not per call)
from .inplace import copy_ as _copy_, setitem as _setitem, update as _update  # noqa: E402
from .interop import array_function, array_ufunc  # noqa: E402


# NOTE: the operators whose op runs on (self, other) are the op's two-argument function
# itself (Op.binary, a plain function): one Python call per operator instead of two. The
# methods above stay for their signatures and the reflected operators.
def _bind_operators() -> None:
    for name, fn in (
        ("__add__", add),
        ("__sub__", subtract),
        ("__mul__", multiply),
        ("__truediv__", divide),
        ("__pow__", power),
        ("__matmul__", matmul),
        ("__lt__", less),
        ("__le__", less_equal),
        ("__gt__", greater),
        ("__ge__", greater_equal),
        ("__eq__", equal),
        ("__ne__", not_equal),
        ("__mod__", mod),
        ("__floordiv__", floor_divide),
    ):
        setattr(Tensor, name, fn.binary)


_bind_operators()
