"""How an operation is defined and recorded: ``Op`` (a forward and its VJP rule) and ``Node``.

An op's forward works on numpy arrays; its VJP rule works on Tensors, so that with
``create_graph=True`` the backward pass is itself recorded and second derivatives are exact.
When nothing requires grad (or inside ``no_grad``) calling an op is the numpy call plus one
small object: that path is kept lean on purpose.
"""

from __future__ import annotations

import dis
from typing import Any, Callable

import numpy as np

from .dtypes import get_default_dtype
from .errors import AutogradError, DTypeError, IndexingError, ShapeError
from .grad_mode import mode
from .tensor import Tensor, _make

_new = object.__new__

VjpRule = Callable[..., tuple]


class Node:
    """One recorded operation: the op, the Tensors it read and the array it produced.

    ``parents[i]`` is the Node that produced input ``i`` (None for a leaf or a constant).
    After a backward without ``retain_graph`` the saved arrays are dropped (``released``), but
    ``parents``, the shapes and the leaves stay so that the graph can still be drawn.
    """

    # NOTE: ``inputs`` and ``parents`` are properties over one stored tuple. Every object a
    # recorded op keeps alive is one more for Python's cyclic collector to scan while a graph
    # is being built, so a node holds no second tuple: the parents are read off the inputs
    # (each Tensor knows its producer), and release() swaps each freed intermediate for its
    # producer Node, which keeps the structure without the array.
    __slots__ = (
        "op",
        "_inputs",
        "_parents",
        "out",
        "kwargs",
        "released",
        "hooks",
        "retain",
        "out_index",
        "n_out",
        "trace",
        "meta",
        "scope",
        "__weakref__",
    )

    def __init__(self, op: Any, inputs: tuple, out: Any, kwargs: dict) -> None:
        self.op = op
        self._inputs = inputs
        self._parents = None  # set only where it is not read off the inputs (Function outputs)
        self.out = out
        self.kwargs = kwargs
        self.released = False
        self.hooks = None  # gradient hooks registered on the output tensor
        self.retain = None  # weakref to the output tensor when it asked for retain_grad()
        self.out_index = None  # set on the per-output nodes of a multi-output Function
        self.n_out = 1
        self.trace = None  # creation stack, recorded in anomaly mode
        self.meta = None  # (shape, dtype) of the output, kept once the array is released
        self.scope = mode.scope  # the innermost graph_scope open when recorded (for drawing)

    @property
    def inputs(self) -> tuple:
        """The input Tensors; once released, None stands for each freed intermediate."""
        if not self.released:
            return self._inputs
        return tuple([s if type(s) is not Node else None for s in self._inputs])

    @inputs.setter
    def inputs(self, value: tuple) -> None:
        self._inputs = tuple(value)

    @property
    def parents(self) -> tuple:
        """The Node that produced each input (None for a leaf or a constant)."""
        p = self._parents
        if p is not None:
            return p
        if self.released:
            return tuple([s if type(s) is Node else None for s in self._inputs])
        inputs = self._inputs
        if len(inputs) == 2:
            return (inputs[0]._node, inputs[1]._node)
        return tuple([t._node for t in inputs])

    @parents.setter
    def parents(self, value: tuple) -> None:
        self._parents = tuple(value)

    @property
    def name(self) -> str:
        """The op's name (a custom Function's class name)."""
        return self.op.name

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the output."""
        return self.out.shape if self.meta is None else self.meta[0]

    @property
    def dtype(self) -> np.dtype:
        """dtype of the output."""
        return self.out.dtype if self.meta is None else self.meta[1]

    def release(self) -> None:
        """Drop the arrays saved for backward; keep structure, leaves and constants."""
        if self.released:
            return
        out = self.out
        if isinstance(out, np.ndarray):
            self.meta = (out.shape, out.dtype)
        self.out = None
        # Intermediates are freed (each replaced by its producer Node, for the structure);
        # leaves and constants belong to the user and stay drawable.
        inputs = self._inputs
        if len(inputs) == 2:  # the common case, without building a list
            x, y = inputs
            p, q = x._node, y._node
            self._inputs = (x if p is None else p, y if q is None else q)
        else:
            self._inputs = tuple([t if t._node is None else t._node for t in inputs])
        self.released = True
        kwargs = self.kwargs
        if kwargs:
            ctx = kwargs.get("ctx")
            if ctx is not None:
                ctx.release()

    def __repr__(self) -> str:
        return f"<Node {self.name} shape={self.shape}>"


def _uses_argument(rule: Callable, name: str) -> bool:
    """True when ``rule`` reads its argument ``name`` (so it is only built when needed)."""
    return any(
        ins.argval == name and ins.opname.startswith("LOAD") for ins in dis.get_instructions(rule)
    )


class Op:
    """A differentiable operation: ``forward`` on arrays and a VJP rule on Tensors."""

    def __init__(self, name: str, forward: Callable, differentiable: bool = True) -> None:
        self.name = name
        self.forward = forward
        self.rule: VjpRule | None = None
        self.uses_out = False
        self.differentiable = differentiable
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward

    def vjp(self, rule: VjpRule) -> VjpRule:
        """Register the VJP rule ``rule(g, out, *inputs, **kwargs) -> one gradient per input``."""
        self.rule = rule
        self.uses_out = _uses_argument(rule, "out")
        return rule

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        # NOTE: this is the hottest function of the library (every op, forward and plain
        # backward, goes through it), so the common arities are spelled out: no list of
        # arrays, no loop over the arguments, and the grad-mode check before the scan.
        n = len(args)
        try:
            if n == 2:
                x, y = args
                if type(x) is not Tensor or type(y) is not Tensor:
                    args = as_tensors(args)
                    x, y = args
                out = (
                    self.forward(x.data, y.data, **kwargs)
                    if kwargs
                    else self.forward(x.data, y.data)
                )
                rg = x._rg or y._rg
            elif n == 1:
                x = args[0]
                if type(x) is not Tensor:
                    args = as_tensors(args)
                    x = args[0]
                out = self.forward(x.data, **kwargs) if kwargs else self.forward(x.data)
                rg = x._rg
            else:
                for a in args:
                    if type(a) is not Tensor:
                        args = as_tensors(args)
                        break
                out = self.forward(*[t.data for t in args], **kwargs)
                rg = False
                for a in args:
                    if a._rg:
                        rg = True
                        break
        except AutogradError:
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise forward_error(self.name, args, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _new(Tensor)  # _make(out), inlined
        t.data = out
        t.grad = t._node = t.name = t._hooks = None
        if not rg or not mode.enabled or not self.differentiable:
            t._rg = False
            return t
        # Record. Node.__init__, inlined: a Python-level __init__ costs as much as the rest.
        node = _new(Node)
        node.op = self
        node._inputs = args
        node._parents = None
        node.out = out
        node.kwargs = kwargs
        node.released = False
        node.hooks = node.retain = node.out_index = node.trace = node.meta = None
        node.scope = mode.scope  # the open graph_scope (an nn layer), for drawing
        node.n_out = 1
        t._rg = True
        t._node = node
        if mode.anomaly:
            from .debug.anomaly import check_forward

            check_forward(node)
        return t

    def backward(self, node: Node, g: Any) -> tuple:
        """Gradients for each input of ``node`` given the output gradient ``g``.

        ``g`` is an ndarray in a plain backward (results come back as arrays or Tensors), or a
        Tensor when the backward pass is being recorded (``create_graph=True``).
        """
        if type(g) is np.ndarray:
            out = _make(node.out) if self.uses_out else None
            g = _make(g)
        else:
            out = _make(node.out, True, node) if self.uses_out else None
        kwargs = node.kwargs
        if kwargs:
            return self.rule(g, out, *node._inputs, **kwargs)
        return self.rule(g, out, *node._inputs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def op(name: str, differentiable: bool = True) -> Callable[[Callable], Op]:
    """Decorator turning an array function into a recorded ``Op``; add its rule with ``.vjp``."""

    def wrap(forward: Callable) -> Op:
        return Op(name, forward, differentiable)

    return wrap


# --- converting arguments -------------------------------------------------------------------

_SCALARS = (int, float, bool, np.generic)


def as_tensors(args: tuple) -> tuple:
    """Turn each argument into a Tensor; Python scalars take the dtype of a float Tensor beside
    them (so ``x32 * 2.0`` stays float32), else the default dtype."""
    ref = None
    for a in args:
        if type(a) is Tensor or isinstance(a, (Tensor, np.ndarray)):
            d = a.dtype
            if d.kind == "f":
                ref = d
                break
            if ref is None:
                ref = d
    return tuple([a if isinstance(a, Tensor) else constant(a, ref) for a in args])


def constant(value: Any, like: np.dtype | None = None) -> Tensor:
    """A Tensor that records nothing, for an operand that is not a Tensor."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise DTypeError(f"expected a numeric array. Received: dtype={value.dtype}")
        return _make(value)
    if isinstance(value, _SCALARS):
        return _make(_scalar_array(value, like))
    return Tensor(value)


def _scalar_array(value: Any, like: np.dtype | None) -> np.ndarray:
    # NOTE: a Python scalar is "weak": it adopts the dtype of the tensor it meets, as in
    # numpy 2 and PyTorch, so a float32 tensor is never promoted by `x * 0.5`.
    if isinstance(value, (bool, np.bool_)):
        if like is None or like.kind == "b":
            return np.asarray(value, dtype=bool)
        return np.asarray(value, dtype=like)
    if isinstance(value, (int, np.integer)):
        if like is not None and like.kind in "fiu":
            return np.asarray(value, dtype=like)
        return np.asarray(value, dtype=get_default_dtype())
    if isinstance(value, (float, np.floating)):
        if like is not None and like.kind == "f":
            return np.asarray(value, dtype=like)
        return np.asarray(value, dtype=get_default_dtype())
    raise DTypeError(f"expected a real number. Received: {value!r} of type {type(value).__name__}")


def forward_error(name: str, args: tuple, e: Exception) -> AutogradError:
    """A readable error for a failed forward, naming the op, the shapes and the dtypes."""
    shapes = ", ".join(str(tuple(t.shape)) for t in args)
    dtypes = ", ".join(str(t.dtype) for t in args)
    msg = str(e)
    if name == "matmul" and len(args) == 2:
        a, b = args[0].shape, args[1].shape
        if len(a) and len(b):
            inner_a = a[-1]
            inner_b = b[0] if len(b) == 1 else b[-2]
            if inner_a != inner_b:
                return ShapeError(
                    f"matmul: shapes {tuple(a)} and {tuple(b)} are not aligned: the last "
                    f"dimension of the first ({inner_a}) must equal the "
                    f"{'only' if len(b) == 1 else 'second-to-last'} dimension of the second "
                    f"({inner_b})"
                )
    if "broadcast" in msg:
        return ShapeError(f"{name}: shapes {shapes} cannot be broadcast together")
    if isinstance(e, IndexError):
        return IndexingError(f"{name}: {msg}. Received a tensor of shape {shapes}")
    if isinstance(e, TypeError):
        return DTypeError(f"{name}: {msg}. Received shapes {shapes} and dtypes {dtypes}")
    return ShapeError(f"{name}: {msg}. Received shapes {shapes} and dtypes {dtypes}")
