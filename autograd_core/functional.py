"""Functional transforms, as in JAX and HIPS autograd: ``grad``, ``value_and_grad``,
``jacobian``, ``hessian``. They compose: ``hessian(f)`` is ``jacobian(grad(f))``.

Arguments may be numpy arrays, Python numbers or Tensors. Each result is the kind of its
argument: an ndarray for an array or a number, a Tensor for a Tensor, still connected to its
graph when that Tensor requires grad, which is what lets the transforms nest (the transforms
of ``autograd_core.transforms`` follow the same rule).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from .engine import gradients
from .errors import BackwardError, ShapeError
from .grad_mode import enable_grad, recording
from .ops.shape import stack
from .tensor import Tensor


def _argnums(argnums: int | Sequence[int], n: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"argnums {argnums!r} is out of range for {n} positional arguments")
    return tuple(i % n for i in nums)


def _prepare(given: tuple, nums: tuple) -> tuple[list, list, bool]:
    """Arguments with the differentiated ones as Tensors that require grad.

    Returns (args, whether each differentiated argument came in as a connected Tensor,
    whether to record the backward pass so the result can be differentiated again)."""
    args = list(given)
    # The other array arguments become constant Tensors, so that ``f`` sees Tensors for every
    # array it is given (as torch.func does), whichever argument is differentiated.
    for i, a in enumerate(args):
        if i not in nums and isinstance(a, np.ndarray):
            args[i] = Tensor(a)
    connected = []
    for i in nums:
        a = args[i]
        if isinstance(a, Tensor) and a._rg:
            connected.append(True)
        else:
            args[i] = _leaf(a)
            connected.append(False)
    return args, connected, recording() and any(connected)


def _leaf(a: Any) -> Tensor:
    """A new floating-point leaf that requires grad, holding the values of ``a``."""
    t = Tensor(a.data if isinstance(a, Tensor) else a)
    if t.dtype.kind != "f":
        t = Tensor(t.data.astype(np.float64))  # integers are differentiated in float64
    t.requires_grad = True
    return t


def _output(fname: str, out: Any) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{fname}: the function must return a Tensor. Received {type(out).__name__}"
        )
    return out


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning ``(f(*args), gradient)`` for a scalar-valued ``f``."""

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple:
        nums = _argnums(argnums, len(args))
        targs, connected, create = _prepare(args, nums)
        with enable_grad():
            out = _output("grad", f(*targs, **kwargs))
        if out.size != 1:
            raise ShapeError(
                f"grad: the function must return one value (a scalar); it returned shape "
                f"{out.shape}. Use jacobian for vector outputs"
            )
        inputs = [targs[i] for i in nums]
        if out._rg:
            gs = gradients(out, inputs, create_graph=create, retain_graph=create)
        else:
            gs = tuple(np.zeros(t.shape, dtype=t.dtype) for t in inputs)
        tensors = [isinstance(args[i], Tensor) for i in nums]
        gs = tuple(_result(g, t) for g, t in zip(gs, tensors, strict=True))
        value = out if any(connected) else out.detach() if any(tensors) else out.data
        return value, (gs[0] if isinstance(argnums, int) else gs)

    return wrapped


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


def _result(g: Any, tensor: bool) -> Any:
    """``g`` as the kind its argument was: a Tensor (kept connected if it is) or an array."""
    if tensor:
        return g if isinstance(g, Tensor) else Tensor(g)
    return g.data if isinstance(g, Tensor) else g


def jacobian(f: Callable, argnums: int = 0) -> Callable:
    """The Jacobian of ``f``: shape ``output.shape + input.shape``."""
    if not isinstance(argnums, int):
        raise TypeError("jacobian takes a single integer argnums")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        targs, connected, create = _prepare(args, nums)
        x = targs[nums[0]]
        with enable_grad():
            out = _output("jacobian", f(*targs, **kwargs))
        rows = []
        if out._rg:
            for j in range(out.size):
                seed = np.zeros(out.shape, dtype=out.dtype)
                seed.flat[j] = 1
                (g,) = gradients(out, [x], grad_output=seed, retain_graph=True, create_graph=create)
                rows.append(g)
        else:
            rows = [np.zeros(x.shape, dtype=x.dtype) for _ in range(out.size)]
        shape = out.shape + x.shape
        if connected[0] and create:
            rows = [r if isinstance(r, Tensor) else Tensor(r) for r in rows]
            return stack(rows).reshape(shape) if rows else Tensor(np.zeros(shape, x.dtype))
        arrays = [r.data if isinstance(r, Tensor) else r for r in rows]
        jac = np.stack(arrays).reshape(shape) if arrays else np.zeros(shape, x.dtype)
        return _result(jac, isinstance(args[nums[0]], Tensor))

    return wrapped


def hessian(f: Callable, argnums: int = 0) -> Callable:
    """The Hessian of a scalar-valued ``f``: shape ``input.shape + input.shape``."""
    return jacobian(grad(f, argnums), argnums)


__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "BackwardError"]
