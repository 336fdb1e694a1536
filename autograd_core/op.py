"""How an operation is defined and recorded: ``Op``, a forward on arrays and its VJP rule.

An op's forward works on numpy arrays; its VJP rule works on Tensors, so that with
``create_graph=True`` the backward pass is itself recorded and second derivatives are exact.
When nothing requires grad (or inside ``no_grad``) calling an op is the numpy call plus one
small object: that path is kept lean on purpose, since the rules run through it too.

```python
@op("cube")
def cube(x):
    return x**3

@cube.vjp(uses_out=True)   # the rule reads the forward's output: it is handed as `out`
def _(g, out, x):
    return (g * 3.0 * out / x,)

@cube.jvp                  # forward mode: the output's tangent from the inputs' tangents
def _(d, out, x):
    (dx,) = d
    return dx * 3.0 * out / x
```
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .dtypes import get_default_dtype
from .errors import (
    AutogradError,
    BackwardError,
    DTypeError,
    ForwardModeError,
    IndexingError,
    ShapeError,
)
from .grad_mode import checking_anomalies, grad_enabled, recording
from .graph import Node
from .tensor import Tensor, _make

_new = object.__new__

VjpRule = Callable[..., tuple]
JvpRule = Callable[..., Any]


def _no_rule(g: Any, out: Any, *inputs: Any, **kwargs: Any) -> tuple:
    raise BackwardError("this op has no VJP rule (register one with @<op>.vjp)")


class Op:
    """A differentiable operation: ``forward`` on arrays and a VJP rule on Tensors."""

    def __init__(self, name: str, forward: Callable, differentiable: bool = True) -> None:
        self.name = name
        self.forward = forward
        self.rule: VjpRule = _no_rule
        self.uses_out = False
        self.differentiable = differentiable
        self.jvp_rule: JvpRule | None = None
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward

    def vjp(self, rule: VjpRule | None = None, *, uses_out: bool = False) -> Any:
        """Register the VJP rule ``rule(g, out, *inputs, **kwargs) -> one gradient per input``.

        ``uses_out=True`` says the rule reads ``out``, the forward's result; otherwise it is
        handed None. Use as ``@name.vjp`` or ``@name.vjp(uses_out=True)``.
        """
        if rule is None:
            return lambda r: self.vjp(r, uses_out=uses_out)
        self.rule = rule
        self.uses_out = uses_out
        return rule

    def jvp(self, rule: JvpRule | str) -> Any:
        """Register the JVP rule ``rule(d, out, *inputs, **kwargs) -> the output's tangent``,
        for forward mode. ``d`` holds one tangent per input (None where an input has none,
        never all None); the rule may return None for a zero tangent, and a tangent in any
        shape that broadcasts to the output's. Use as ``@name.jvp``, or name how the JVP
        follows from the op itself:

        - ``"self_adjoint"``: one input, a symmetric Jacobian (an elementwise function, a
          softmax): the VJP rule applied to the tangent is the JVP.
        - ``"linear"``: linear in all its inputs together (reshape, sum, concatenate): the op
          applied to the tangents (zeros for the inputs without one).
        - ``"multilinear"``: linear in each input on its own (multiply, matmul, einsum): the
          sum of the op with one input replaced by its tangent.
        """
        if isinstance(rule, str):
            rule = _derived_jvp(self, rule)
        self.jvp_rule = rule
        return rule

    def tangent(self, node: Node, d: tuple) -> Any:
        """The rule's tangent of ``node``'s output, given one tangent per input (forward mode).

        Recording is on when the forward pass is differentiated again (a nested transform):
        ``out`` is then connected to ``node``, as in ``backward``.
        """
        rule = self.jvp_rule
        if rule is None:
            raise ForwardModeError(
                f"'{self.name}' has no JVP rule (register one with @<op>.jvp), so forward mode "
                f"(jvp, jacfwd, hvp) cannot go through it"
            )
        out = _make(node.out, True, node) if recording() else _make(node.out)
        if node.kwargs:
            return rule(d, out, *node.inputs, **node.kwargs)
        return rule(d, out, *node.inputs)

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        # NOTE: every op, forward and inside a plain backward's rules, comes through here, so
        # one, two and three arguments are spelled out: a list comprehension over them costs
        # four times as much (about 0.8 µs).
        n = len(args)
        try:
            if n == 2:
                x, y = args
                if type(x) is not Tensor or type(y) is not Tensor:
                    args = as_tensors(args)
                    x, y = args
                if kwargs:
                    out = self.forward(x.data, y.data, **kwargs)
                else:
                    out = self.forward(x.data, y.data)
                rg = x._rg or y._rg
            elif n == 1:
                x = args[0]
                if type(x) is not Tensor:
                    args = as_tensors(args)
                    x = args[0]
                out = self.forward(x.data, **kwargs) if kwargs else self.forward(x.data)
                rg = x._rg
            elif n == 3:
                x, y, z = args
                if type(x) is not Tensor or type(y) is not Tensor or type(z) is not Tensor:
                    args = as_tensors(args)
                    x, y, z = args
                out = self.forward(x.data, y.data, z.data, **kwargs)
                rg = x._rg or y._rg or z._rg
            else:
                if not all([type(a) is Tensor for a in args]):
                    args = as_tensors(args)
                out = self.forward(*[t.data for t in args], **kwargs)
                rg = any([t._rg for t in args])
        except AutogradError:
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise forward_error(self.name, args, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if not (rg and recording() and self.differentiable):
            return _make(out)
        parents: tuple
        if n == 2:
            parents = (x._node, y._node)
        elif n == 1:
            parents = (x._node,)
        elif n == 3:
            parents = (x._node, y._node, z._node)
        else:
            parents = tuple([t._node for t in args])
        node = Node(self, args, parents, out, kwargs)
        if checking_anomalies():
            from .debug.anomaly import check_forward  # (debug/ imports the engine)

            check_forward(node)
        return _make(out, True, node)

    def backward(self, node: Node, g: Any) -> tuple:
        """The rule's gradient for each input of ``node``, given the output gradient ``g``.

        ``g`` is an ndarray in a plain backward (the rule then reads constant Tensors), or a
        Tensor when the backward pass is being recorded (``create_graph=True``): ``out`` is
        then connected to ``node``, so a rule reading it is differentiated through it too.
        """
        if type(g) is np.ndarray:
            out = _make(node.out) if self.uses_out else None
            g = _make(g)
        else:
            out = _make(node.out, True, node) if self.uses_out else None
        if node.kwargs:
            return self.rule(g, out, *node.inputs, **node.kwargs)
        return self.rule(g, out, *node.inputs)

    def rerun(self, node: Node, arrays: list) -> tuple:
        """``node``'s forward on new input arrays, with recording off: its output arrays."""
        previous = recording()
        grad_enabled.set(False)
        try:
            out = self.forward(*arrays, **node.kwargs)
        finally:
            grad_enabled.set(previous)
        return (np.asarray(out),)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _derived_jvp(op: Op, kind: str) -> JvpRule:
    """The JVP rules that follow from an op's VJP rule or from the op itself (see Op.jvp)."""

    def self_adjoint(d: tuple, out: Tensor, x: Tensor, **kwargs: Any) -> Any:
        # J^T = J: the VJP rule turns a tangent into J d as it turns g into J^T g
        return op.rule(d[0], out, x, **kwargs)[0]

    def linear(d: tuple, out: Tensor, *xs: Tensor, **kwargs: Any) -> Any:
        # f(x + e dx) = f(x) + e f(dx)
        zeros = [_make(np.zeros(x.shape, x.dtype)) for x in xs]
        return op(*[z if t is None else t for t, z in zip(d, zeros, strict=True)], **kwargs)

    def multilinear(d: tuple, out: Tensor, *xs: Tensor, **kwargs: Any) -> Any:
        # the product rule: one term per input, the others held
        terms = [op(*xs[:i], t, *xs[i + 1 :], **kwargs) for i, t in enumerate(d) if t is not None]
        return tangent_sum(*terms)

    rules = {"self_adjoint": self_adjoint, "linear": linear, "multilinear": multilinear}
    if kind not in rules:
        raise ValueError(
            f"jvp: a rule, or one of 'self_adjoint', 'linear', 'multilinear'. Received {kind!r}"
        )
    return rules[kind]


def tangent_sum(*terms: Any) -> Any:
    """The sum of tangents, where None stands for a zero one (None if all are)."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total


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
