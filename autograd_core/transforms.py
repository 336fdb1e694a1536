"""Transforms beyond ``grad`` and ``jacobian``, as in JAX and torch.func: ``vjp``, ``jvp``
(forward mode), ``hvp``, ``jacfwd``, ``jacrev`` and ``checkpoint``.

>>> import numpy as np
>>> import autograd_core as ag
>>> f = lambda x: (x * x).sum()
>>> ag.jvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
(array(5.), array(2.))
>>> ag.hvp(f, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
array([2., 0.])

Each result is the kind its argument was: an ndarray for an array (or a Python number), a
Tensor for a Tensor, connected to the graph when that Tensor requires grad (while recording),
so the transforms nest: ``jacfwd(jacrev(f))`` is a Hessian, and
``grad(lambda x: jvp(f, (x,), (v,))[1].sum())`` differentiates a tangent.

Forward mode records ``f`` once, as for a backward, then pushes the tangents through the
recorded operations with each op's JVP rule, in the order they ran (``autograd_core.forward``):
one pass, costing a small multiple of ``f``, and no Jacobian is built.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from .engine import gradients
from .errors import AutogradError, ShapeError
from .forward import Linearization
from .functional import _argnums, _leaf, _output, _result, grad, jacobian
from .grad_mode import enable_grad, graph_scope, no_grad, recording, set_grad_enabled
from .graph import Node
from .op import Op, tangent_sum
from .ops.elementwise import astype
from .ops.shape import _reshape, stack
from .tensor import Tensor, _make


def _connected(value: Any) -> bool:
    return isinstance(value, Tensor) and value._rg and recording()


def _primal(value: Any) -> Tensor:
    """The Tensor the function is called with for a differentiated argument."""
    if _connected(value):
        # NOTE: an alias (a recorded reshape to the same shape), so that the derivative is
        # with respect to this argument alone, not also through a tensor computed from it
        # before the call (a closure), and the tangents start from a node of their own
        return _reshape(value, shape=value.shape)
    return _leaf(value)


def _key(t: Tensor) -> Any:
    """Where a tensor's tangent is kept: its node, or the tensor itself for a leaf."""
    return t if t._node is None else t._node


def _outputs(where: str, out: Any) -> tuple[tuple, bool]:
    """The function's outputs as a tuple of Tensors, and whether it returned a single one."""
    if isinstance(out, Tensor):
        return (out,), True
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
        return tuple(out), False
    raise TypeError(
        f"{where}: the function must return a Tensor or a tuple of Tensors. Received "
        f"{type(out).__name__}"
    )


def _kind(t: Tensor, tensor: bool, connected: bool) -> Any:
    """A result as its arguments' kind: connected, a plain Tensor, or an ndarray."""
    if connected:
        return t
    return t.detach() if tensor else t.data


def _tuple(where: str, name: str, values: Any) -> tuple:
    if not isinstance(values, (tuple, list)):
        raise TypeError(
            f"{where}: {name} must be a tuple (one entry per argument of the function). "
            f"Received {type(values).__name__}; write ({name[:-1]},) for one argument"
        )
    return tuple(values)


# --- vjp ---------------------------------------------------------------------------------------


def vjp(f: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` returns the vector-Jacobian product
    for each primal, a tuple (reverse mode, as ``torch.func.vjp``).

    ``f`` returns a Tensor (the cotangent has its shape) or a tuple of Tensors (a tuple of
    cotangents). ``vjp_fn`` can be called several times: the graph is kept while it lives.
    """
    args = [_primal(p) for p in primals]
    with enable_grad():
        out = f(*args)
    outs, single = _outputs("vjp", out)
    connected = any(_connected(p) for p in primals)
    tensor = any(isinstance(p, Tensor) for p in primals)

    def vjp_fn(cotangent: Any) -> tuple:
        cts = (cotangent,) if single else _tuple("vjp_fn", "cotangents", cotangent)
        if len(cts) != len(outs):
            raise ValueError(
                f"vjp_fn: {len(cts)} cotangents for the {len(outs)} outputs of the function"
            )
        create = recording() and (connected or any(_connected(c) for c in cts))
        total: list = [None] * len(args)
        for o, ct in zip(outs, cts, strict=True):
            if not o._rg:
                continue  # an output that does not depend on the primals
            gs = gradients(
                o, args, grad_output=ct, retain_graph=True, create_graph=create, allow_unused=True
            )
            total = [tangent_sum(t, g) for t, g in zip(total, gs, strict=True)]
        return tuple(
            _result(np.zeros(a.shape, a.dtype) if g is None else g, isinstance(p, Tensor))
            for g, a, p in zip(total, args, primals, strict=True)
        )

    values = [_kind(o, tensor, connected) for o in outs]
    return (values[0] if single else tuple(values)), vjp_fn


# --- jvp ---------------------------------------------------------------------------------------


def _tangent(where: str, i: int, t: Any, primal: Tensor) -> Tensor:
    """The tangent of primal ``i`` as a Tensor of its shape and dtype."""
    if _connected(t):
        tt = t
    else:
        tt = _make(np.asarray(t.data if isinstance(t, Tensor) else t))
    if tt.shape != primal.shape:
        raise ShapeError(
            f"{where}: tangent {i} has shape {tuple(tt.shape)} but its primal has shape "
            f"{primal.shape}; they must be equal"
        )
    return tt if tt.dtype == primal.dtype else astype(tt, primal.dtype)


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)``: the Jacobian-vector product in forward mode (as
    ``torch.func.jvp`` and ``jax.jvp``), in one pass over ``f`` and without the Jacobian.

    ``primals`` and ``tangents`` are tuples, one entry per argument of ``f``, each tangent of
    its primal's shape. ``f`` returns a Tensor or a tuple of Tensors; the tangent of the
    output has the same structure.
    """
    primals = _tuple("jvp", "primals", primals)
    tangents = _tuple("jvp", "tangents", tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    connected = any(_connected(v) for v in (*primals, *tangents))
    tensor = any(isinstance(v, Tensor) for v in (*primals, *tangents))
    args = [_primal(p) for p in primals]
    seeds: dict = {}
    for i, (a, t) in enumerate(zip(args, tangents, strict=True)):
        tt = _tangent("jvp", i, t, a)
        key = _key(a)
        seeds[key] = tt if key not in seeds else seeds[key] + tt
    with enable_grad():
        out = f(*args)
    outs, single = _outputs("jvp", out)
    with set_grad_enabled(connected):
        pushed = Linearization(outs).push(seeds)
    ts = [
        _make(np.zeros(o.shape, o.dtype)) if t is None else t
        for t, o in zip(pushed, outs, strict=True)
    ]
    values = tuple(_kind(o, tensor, connected) for o in outs)
    results = tuple(_kind(t, tensor, connected) for t in ts)
    return (values[0], results[0]) if single else (values, results)


def hvp(f: Callable, x: Any, v: Any) -> Any:
    """The Hessian-vector product ``H(x) @ v`` of a scalar-valued ``f``, without forming
    the Hessian: the forward-mode derivative of ``grad(f)`` in the direction ``v``
    (forward over reverse), a small multiple of the cost of ``f``."""
    return jvp(grad(f), (x,), (v,))[1]


# --- Jacobians ---------------------------------------------------------------------------------


def jacfwd(f: Callable, argnums: int = 0) -> Callable:
    """The Jacobian of ``f`` in forward mode, column by column (one ``jvp`` per input
    element on one recording of ``f``): shape ``output.shape + input.shape``, as
    ``jacobian`` (reverse mode, row by row). Cheaper than it for more outputs than inputs."""
    if not isinstance(argnums, int):
        raise TypeError("jacfwd takes a single integer argnums")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        i = _argnums(argnums, len(args))[0]
        given = args[i]
        targs = [Tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        targs[i] = x = _primal(given)
        connected = _connected(given)
        with enable_grad():
            out = _output("jacfwd", f(*targs, **kwargs))
        linear = Linearization([out])
        key = _key(x)
        columns = []
        with set_grad_enabled(connected):
            for j in range(x.size):
                e = np.zeros(x.shape, x.dtype)
                e.flat[j] = 1
                (t,) = linear.push({key: _make(e)})
                columns.append(_make(np.zeros(out.shape, out.dtype)) if t is None else t)
        shape = out.shape + x.shape
        if not columns:
            jac = _make(np.zeros(shape, out.dtype))
        elif connected:
            jac = stack(columns, axis=-1).reshape(shape)
        else:
            jac = _make(np.stack([c.data for c in columns], axis=-1).reshape(shape))
        return _kind(jac, isinstance(given, Tensor), connected)

    return wrapped


#: The Jacobian in reverse mode, row by row: ``jacobian`` under the name torch.func gives it.
jacrev = jacobian


# --- checkpoint --------------------------------------------------------------------------------


def checkpoint(f: Callable) -> Callable:
    """``f`` that keeps none of its intermediates for backward: ``checkpoint(f)(*args)`` is
    recorded as one node, and backward runs ``f`` again to differentiate it (trading compute
    for memory, as ``torch.utils.checkpoint``).

    ``f`` returns a Tensor and must compute the same values when run again (a ``Dropout``
    inside would draw a new mask). The Tensors it reads from outside (a layer's weights)
    get their gradients too. Gradients of any order are exact: with ``create_graph=True``
    the recomputation is recorded from the arguments themselves.
    """

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

        def call(*tensors: Tensor) -> Any:  # f with its Tensor arguments replaced
            full = list(args)
            for i, t in zip(positions, tensors, strict=True):
                full[i] = t
            return f(*full, **kwargs)

        given = [args[i] for i in positions]
        if not given:  # arrays in, arrays out
            out = f(*args, **kwargs)
            return out.data if isinstance(out, Tensor) else out
        if not recording():
            return call(*given)  # nothing is recorded, so nothing would be kept
        # One run, recorded, on new leaves holding the arguments' values: its graph names
        # what f read from outside, and is let go once the output is taken from it.
        leaves = [_make(t.data, t._rg) for t in given]
        scope = graph_scope("checkpoint")
        with scope:
            out = _output("checkpoint", call(*leaves))
        if out._node is None or not _inside(out._node, scope):
            for t, leaf in zip(given, leaves, strict=True):
                if out is leaf:
                    return t  # f returned an argument
            return out  # a constant, or a tensor from outside
        outside = _read_from_outside(out._node, scope, leaves)
        inputs = (*given, *outside)
        parents = tuple([t._node for t in inputs])
        node = Node(_checkpoint, inputs, parents, out.data, {"fn": call, "n": len(given)})
        return _make(out.data, True, node)

    return wrapped


def _inside(node: Node, scope: graph_scope) -> bool:
    """Whether ``node`` was recorded inside ``scope`` (or a scope opened within it)."""
    s = node.scope
    while s is not None:
        if s is scope:
            return True
        s = s.parent
    return False


def _read_from_outside(root: Node, scope: graph_scope, leaves: list) -> list:
    """The tensors requiring grad that the nodes recorded inside ``scope`` read from outside
    it: the leaves they read (but ``leaves``) and the outputs of nodes recorded before."""
    own = {id(t) for t in leaves}
    found: dict = {}
    seen = {root}
    stack_ = [root]
    while stack_:
        node = stack_.pop()
        for x, p in zip(node.inputs, node.parents, strict=True):
            if p is None:
                if x is not None and x._rg and id(x) not in own:
                    found.setdefault(id(x), x)
            elif _inside(p, scope):
                if p not in seen:
                    seen.add(p)
                    stack_.append(p)
            else:
                found.setdefault(id(x), x)
    return list(found.values())


class _CheckpointOp(Op):
    """The op of a checkpointed call: its forward and its rules run the function again."""

    def rerun(self, node: Node, arrays: list) -> tuple:
        fn, n = node.kwargs["fn"], node.kwargs["n"]
        if len(node.inputs) > n:
            raise AutogradError(
                "checkpoint: the function reads tensors from outside its arguments, so it "
                "cannot be run again on other values for them"
            )
        with no_grad():
            out = fn(*[_make(a) for a in arrays])
        return (np.asarray(out.data),)


def _run_checkpointed(*arrays: Any, fn: Callable, n: int) -> np.ndarray:
    with no_grad():
        return fn(*[_make(a) for a in arrays[:n]]).data


_checkpoint = _CheckpointOp("checkpoint", _run_checkpointed)


@_checkpoint.vjp
def _(g: Any, out: Any, *inputs: Tensor, fn: Callable, n: int) -> tuple:
    # recompute, then backward through the recomputation
    if recording():
        # create_graph: recorded from the inputs themselves, so that the gradient is a
        # function of them (its walk also goes over the graph before them)
        new_out = fn(*inputs[:n])
        targets = [t for t in inputs if t._rg]
        create = True
    else:
        leaves = [_make(t.data, t._rg) for t in inputs[:n]]
        with enable_grad():
            new_out = fn(*leaves)
        targets = [t for t in (*leaves, *inputs[n:]) if t._rg]
        create = False
    found: tuple = (None,) * len(targets)
    if new_out._rg and targets:
        found = gradients(
            new_out,
            targets,
            grad_output=g,
            create_graph=create,
            retain_graph=create,
            allow_unused=True,
        )
    grads = iter(found)
    return tuple(next(grads) if t._rg else None for t in inputs)


@_checkpoint.jvp
def _(d: tuple, out: Any, *inputs: Tensor, fn: Callable, n: int) -> Any:
    # recompute, then push the tangents through the recomputation
    pairs = zip(inputs[:n], d[:n], strict=True)
    if recording():  # nested: aliases of the inputs, connected to them
        explicit = [t if dt is None else _reshape(t, shape=t.shape) for t, dt in pairs]
    else:
        explicit = [_make(t.data, dt is not None) for t, dt in pairs]
    seeds = {}
    for t, dt in zip((*explicit, *inputs[n:]), d, strict=True):
        if dt is not None:
            seeds[_key(t)] = dt
    with enable_grad():
        new_out = fn(*explicit)
    return Linearization([new_out]).push(seeds)[0]


__all__ = ["vjp", "jvp", "hvp", "jacfwd", "jacrev", "checkpoint"]
