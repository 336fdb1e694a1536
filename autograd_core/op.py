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

What a rule reads is declared, so that backward can refuse an array that changed since the
op was recorded, and only such an array (PyTorch saves only what a formula reads): ``reads``
lists the inputs whose values it reads (every input unless said otherwise; ``reads=()`` for a
rule that needs only shapes, as add's), ``uses_out`` says it reads the output.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import graph
from .dtypes import get_default_dtype
from .errors import (
    AutogradError,
    BackwardError,
    DTypeError,
    ForwardModeError,
    IndexingError,
    ShapeError,
)
from .grad_mode import checking_anomalies, grad_enabled, open_scope, recording, tracing
from .graph import Node
from .tensor import Tensor, _make
from .versions import OPERAND, owner, pins

_new = object.__new__

VjpRule = Callable[..., tuple]
JvpRule = Callable[..., Any]


def _no_rule(g: Any, out: Any, *inputs: Any, **kwargs: Any) -> tuple:
    raise BackwardError("this op has no VJP rule (register one with @<op>.vjp)")


class Op:
    """A differentiable operation: ``forward`` on arrays and a VJP rule on Tensors."""

    #: True for an op whose output may be a numpy view of its first input (see ``ViewOp``)
    view = False

    def __init__(self, name: str, forward: Callable, differentiable: bool = True) -> None:
        self.name = name
        self.forward = forward
        self.rule: VjpRule = _no_rule
        self.uses_out = False
        self.reads: Any = None
        self.may_pin = True  # False when the rule reads no input (then nothing is pinned)
        self.differentiable = differentiable
        self.jvp_rule: JvpRule | None = None
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward
        # what a call runs: ``forward``, or the same operation without its Python frame
        # (``operator.mul`` for multiply: see ``fast_forward``)
        self._run = forward
        #: ``self(x, y)``, the operators' path (see ``_binary_of``)
        self.binary = _binary_of(self)

    def fast_forward(self, fn: Callable) -> None:
        """Run ``fn`` instead of ``forward`` when called: a builtin doing exactly what the
        forward does (``operator.add`` for ``x + y``), which saves a Python call per op.
        ``forward`` stays what the compiler and the tools read."""
        self._run = fn

    def vjp(self, rule: VjpRule | None = None, *, uses_out: bool = False, reads: Any = None) -> Any:
        """Register the VJP rule ``rule(g, out, *inputs, **kwargs) -> one gradient per input``.

        ``uses_out=True`` says the rule reads ``out``, the forward's result; otherwise it is
        handed None. ``reads`` says which inputs' values the rule reads: None (the default)
        for all of them, a tuple of input positions (``()`` for none: add, sum, reshape read
        only shapes), or a function of the inputs returning such a tuple (multiply reads
        ``y`` only to differentiate ``x``). backward raises if one of those changed in place
        after the op was recorded; the others may change freely, as in PyTorch. Use as
        ``@name.vjp`` or ``@name.vjp(uses_out=True, reads=(0,))``.
        """
        if rule is None:
            return lambda r: self.vjp(r, uses_out=uses_out, reads=reads)
        self.rule = rule
        self.uses_out = uses_out
        self.reads = tuple(reads) if isinstance(reads, (tuple, list)) else reads
        self.may_pin = self.reads != ()
        return rule

    def read_positions(self, inputs: tuple) -> Any:
        """The positions of the inputs whose values the rule reads (a range for all)."""
        reads = self.reads
        if reads is None:
            return range(len(inputs))
        return reads(*inputs) if callable(reads) else reads

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
        # NOTE: every op, forward and inside a plain backward's rules, comes through here (or
        # through ``binary``, its copy for the operators), so one, two and three arguments
        # are spelled out: a list comprehension over them costs four times as much (about
        # 0.8 µs); and the Tensor and the Node are built in place, not by calls.
        if tracing() is not None:  # ag.compile is tracing this thread: record the call too
            return _trace_op(self, args, kwargs)
        n = len(args)
        try:
            if n == 2:
                x, y = args
                if type(x) is not Tensor or type(y) is not Tensor:
                    args = as_tensors(args)
                    x, y = args
                if kwargs:
                    out = self._run(x._data, y._data, **kwargs)
                else:
                    out = self._run(x._data, y._data)
                rg = x._rg or y._rg
            elif n == 1:
                x = args[0]
                if type(x) is not Tensor:
                    args = as_tensors(args)
                    x = args[0]
                out = self._run(x._data, **kwargs) if kwargs else self._run(x._data)
                rg = x._rg
            elif n == 3:
                x, y, z = args
                if type(x) is not Tensor or type(y) is not Tensor or type(z) is not Tensor:
                    args = as_tensors(args)
                    x, y, z = args
                out = self._run(x._data, y._data, z._data, **kwargs)
                rg = x._rg or y._rg or z._rg
            else:
                if not all([type(a) is Tensor for a in args]):
                    args = as_tensors(args)
                out = self._run(*[t._data for t in args], **kwargs)
                rg = any([t._rg for t in args])
        except AutogradError as e:
            if type(e) is DTypeError and self.name not in str(e):
                # an operand that is no number (t + "text"): say which op it was given to
                raise DTypeError(f"{self.name}: {e}") from None
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise forward_error(self.name, args, e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _new(Tensor)  # (what _make does)
        t._data = out
        t.grad = t._hooks = t._guard = None
        if not (rg and recording() and self.differentiable):
            t._rg = False
            t._node = None
            return t
        # `x._guard or y._guard`: an input holds an array the user handed in, which must
        # stay unwritten while the node lives if the rule reads it (versions.Guard)
        node = _new(Node)  # (what Node.__init__ does)
        node.op = self
        node.kwargs = kwargs
        node.inputs = args
        node.out = out
        node.ctx = node.out_index = node.hooks = node.retain = node.trace = None
        node.n_out = 1
        node.stamp = graph.write_clock
        node.scope = open_scope()
        if n == 2:
            node.parents = (x._node, y._node)
            if (x._guard or y._guard) and self.may_pin:
                node.pins = pins(args, self)
        elif n == 1:
            node.parents = (x._node,)
            if x._guard and self.may_pin:
                node.pins = pins(args, self)
        elif n == 3:
            node.parents = (x._node, y._node, z._node)
            if (x._guard or y._guard or z._guard) and self.may_pin:
                node.pins = pins(args, self)
        else:
            node.parents = tuple([t._node for t in args])
            if any([t._guard for t in args]) and self.may_pin:
                node.pins = pins(args, self)
        if checking_anomalies():
            from .debug.anomaly import check_forward  # (debug/ imports the engine)

            check_forward(node)
        t._rg = True
        t._node = node
        return t

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


class ViewOp(Op):
    """An op whose output may be a numpy view of its first input (reshape, transpose, basic
    indexing): the output then remembers its base, as PyTorch's views do, so that an
    in-place change through either one is recorded in both (see ``inplace``)."""

    view = True

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        t = Op.__call__(self, *args, **kwargs)
        x = args[0]
        b = t._data.base
        if b is not None and type(x) is Tensor and b is owner(x._data):
            rec = recording()
            t._base = (x, self, kwargs, rec)
            t._guard = x._guard
            if rec:  # its history may have to follow an in-place change of the base
                link_view(x, t)
        return t


def _binary_of(op: Op) -> Callable[[Any, Any], Tensor]:
    """``op(x, y)`` as a function of two arguments, for the operators (``a * b``, ``x + 0.5``,
    ``1.0 - s``): the same as ``Op.__call__`` with two arguments and no keywords, spelled out
    for them (calling an instance with ``*args`` costs more than the rest of a plain op). A
    plain function, so that Tensor's operators can be it (one call less per op)."""
    if op.view:
        return lambda x, y: op(x, y)

    def binary(x: Any, y: Any) -> Tensor:
        if tracing() is not None:
            return _trace_op(op, (x, y), {})
        if type(x) is not Tensor or type(y) is not Tensor:
            # NOTE: a Tensor and a Python number, as in `as_tensors`: the number's cached
            # array in the tensor's float dtype (zeros, NaN and the rest: `__call__`)
            if type(x) is Tensor:
                v = y
                d = x._data.dtype
            elif type(y) is Tensor:
                v = x
                d = y._data.dtype
            else:
                return Op.__call__(op, x, y)
            kind = type(v)
            if (kind is not float and kind is not int) or d.kind != "f" or not v or v != v:
                return Op.__call__(op, x, y)
            c = _cached_scalars.get((v, kind, d))
            k = _new(Tensor)  # (what _make does)
            k._data = c if c is not None else _cache_scalar(v, d)
            k._rg = False
            k._node = k.grad = k._hooks = k._guard = None
            if type(x) is Tensor:
                y = k
            else:
                x = k
        try:
            out = op._run(x._data, y._data)
        except AutogradError as e:
            if type(e) is DTypeError and op.name not in str(e):
                raise DTypeError(f"{op.name}: {e}") from None
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise forward_error(op.name, (x, y), e) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _new(Tensor)
        t._data = out
        t.grad = t._hooks = t._guard = None
        if not ((x._rg or y._rg) and recording() and op.differentiable):
            t._rg = False
            t._node = None
            return t
        node = _new(Node)
        node.op = op
        node.kwargs = {}
        node.inputs = args = (x, y)
        node.parents = (x._node, y._node)
        node.out = out
        node.ctx = node.out_index = node.hooks = node.retain = node.trace = None
        node.n_out = 1
        node.stamp = graph.write_clock
        node.scope = open_scope()
        if (x._guard or y._guard) and op.may_pin:
            node.pins = pins(args, op)
        if checking_anomalies():
            from .debug.anomaly import check_forward

            check_forward(node)
        t._rg = True
        t._node = node
        return t

    return binary


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


def _trace_op(op: Op, args: tuple, kwargs: dict) -> Tensor:
    from .jit.trace import trace_op  # (jit imports the engine)

    return trace_op(op, args, kwargs)


def op(name: str, differentiable: bool = True, view: bool = False) -> Callable[[Callable], Op]:
    """Decorator turning an array function into a recorded ``Op``; add its rule with ``.vjp``.

    ``view=True`` for an op whose result may be a numpy view of its first input.
    """

    def wrap(forward: Callable) -> Op:
        return (ViewOp if view else Op)(name, forward, differentiable)

    return wrap


def link_view(base: Tensor, view: Tensor) -> None:
    """Remember ``view`` (weakly) among the views of ``base``."""
    ref = weakref.ref(view)
    try:
        views = base._views
    except AttributeError:
        base._views = [ref]
        return
    views.append(ref)
    n = len(views)
    if n >= 16 and not n & (n - 1):  # at 16, 32, 64, ...: amortized constant time
        views[:] = [r for r in views if r() is not None]


# --- converting arguments -------------------------------------------------------------------

_SCALARS = (int, float, bool, np.generic)


def as_tensors(args: tuple) -> tuple:
    """Turn each argument into a Tensor; Python scalars take the dtype of a float Tensor beside
    them (so ``x32 * 2.0`` stays float32), else the default dtype."""
    if len(args) == 2:
        # NOTE: `x * 0.5`, `1.0 - x`, `g / n`: a Tensor and a number, without the loop and
        # the list comprehension below (a third of the cost of such an op)
        x, y = args
        if type(x) is Tensor and type(y) is Tensor:
            return args
        if type(x) is Tensor and type(y) in _NUMBERS:
            d = x._data.dtype
            if d.kind == "f" and y and y == y:  # (zeros and NaN: see _cached_scalars)
                c = _cached_scalars.get((y, type(y), d))
                return x, _make(c if c is not None else _cache_scalar(y, d))
        elif type(y) is Tensor and type(x) in _NUMBERS:
            d = y._data.dtype
            if d.kind == "f" and x and x == x:
                c = _cached_scalars.get((x, type(x), d))
                return _make(c if c is not None else _cache_scalar(x, d)), y
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


_NUMBERS = (float, int)

# NOTE: the arrays of Python numbers meeting a float tensor (`x * 0.5`, `1.0 - s`, `g / n` in
# the rules), by (value, type, dtype), so that each use wraps a shared array instead of
# converting the number again (the conversion made `x * 0.9` cost 2.5 times `a * b`; with
# the cache and the path above, 1.4 times). The arrays are read-only, so no one can change a
# cached value, and each use gets its own Tensor around it (nothing reached through a graph
# can alter what the next `x * 0.5` reads). Zeros (0.0 and -0.0 are equal keys) and NaN
# (never equal to itself) are not cached, and the cache is emptied when it holds
# _CACHED_MAX values, so numbers that change at every step cost nothing to keep.
_cached_scalars: dict = {}
_CACHED_MAX = 512


def _cache_scalar(value: Any, like: np.dtype) -> np.ndarray:
    arr = _scalar_array(value, like)
    arr.setflags(write=False)
    if len(_cached_scalars) >= _CACHED_MAX:
        _cached_scalars.clear()
    _cached_scalars[(value, type(value), like)] = arr
    return arr


def constant(value: Any, like: np.dtype | None = None) -> Tensor:
    """A Tensor that records nothing, for an operand that is not a Tensor."""
    kind = type(value)
    if (kind is float or kind is int) and like is not None and like.kind == "f" and value == value:
        if value:  # (see _cached_scalars)
            arr = _cached_scalars.get((value, kind, like))
            return _make(arr if arr is not None else _cache_scalar(value, like))
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise DTypeError(f"expected a numeric array. Received: dtype={value.dtype}")
        t = _make(value if type(value) is np.ndarray else value.view(np.ndarray))
        # the caller's array: locked while a node reading it lives (versions.pins)
        t._guard = OPERAND
        return t
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
            try:
                return np.asarray(value, dtype=like)
            except OverflowError:
                raise DTypeError(
                    f"the integer {value} does not fit the {like} tensor it meets (numpy's "
                    f"rule); convert the tensor to a wider dtype first"
                ) from None
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
