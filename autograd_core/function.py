"""Custom differentiable functions: subclass ``Function``, write ``forward`` and ``backward``
on numpy arrays, call ``YourFunction.apply(...)``. The result is recorded, drawn and checked
like any built-in op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import unbroadcast
from .errors import BackwardError, DTypeError, ForwardModeError, ShapeError
from .grad_mode import checking_anomalies, grad_enabled, recording, tracing
from .op import Node, Op
from .tensor import Tensor, _make
from .versions import pins


class Context:
    """What ``forward`` leaves for ``backward``: saved arrays and any attributes you set."""

    def __init__(self, function: str, needs_input_grad: tuple[bool, ...]) -> None:
        self._function = function
        self._saved: tuple | None = ()
        self._released = False
        self.needs_input_grad = needs_input_grad
        # the call, kept so that the forward can be re-run (gradcheck checks each node alone):
        # the arguments that were not Tensors (None where one was), the keywords, and where
        # the Tensor arguments sit among the arguments
        self._args: tuple = ()
        self._kwargs: dict = {}
        self._positions: tuple[int, ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays (or Tensors, stored as their arrays) for ``backward``."""
        self._saved = tuple(a._data if isinstance(a, Tensor) else a for a in arrays)

    @property
    def saved_arrays(self) -> tuple:
        """The arrays given to ``save_for_backward``, as read-only views: a backward that
        writes into one (often the forward's input or output) raises instead of changing
        the values it was given."""
        if self._released:
            raise BackwardError(
                f"{self._function}.backward: the saved arrays were freed by an earlier "
                f"backward; pass retain_graph=True to keep them"
            )
        if self._saved is None:  # (released: the check above raised)
            return ()
        return tuple([_read_only(a) for a in self._saved])

    saved_tensors = saved_arrays  # the PyTorch name

    def release(self) -> None:
        """Drop the saved arrays (done by backward unless retain_graph=True)."""
        self._saved = None
        self._released = True


def _read_only(a: Any) -> Any:
    if not isinstance(a, np.ndarray):
        return a
    v = a.view()
    v.setflags(write=False)
    return v


class _FunctionOp(Op):
    """The op recorded for a Function subclass: calls its ``backward`` on arrays."""

    def __init__(self, function: type[Function]) -> None:
        super().__init__(function.__name__, function.forward)
        self.function = function
        # what backward reads is not declared: every input, and the outputs (forward may
        # have saved them), must be unchanged at backward
        self.uses_out = True

    def backward(self, node: Node, g: Any) -> tuple:
        try:
            return self._backward(node, g)
        except Exception as e:
            if node.trace is not None:  # anomaly mode recorded where the call was made
                from .debug.anomaly import where_created

                place = where_created(node)
                if place and hasattr(e, "add_note"):  # Python 3.11 and later
                    e.add_note(f"in the backward of {node.name}, created at {place}")
            raise

    def rerun(self, node: Node, arrays: list) -> tuple:
        """The Function's forward on new arrays for its Tensor arguments: its outputs."""
        ctx = node.ctx
        args = list(ctx._args)
        for pos, a in zip(ctx._positions, arrays, strict=True):
            args[pos] = a
        fresh = Context(node.name, ctx.needs_input_grad)
        previous = recording()
        grad_enabled.set(False)
        try:
            out = self.function.forward(fresh, *args, **ctx._kwargs)
        finally:
            grad_enabled.set(previous)
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(np.asarray(o.data if isinstance(o, Tensor) else o) for o in outs)

    def tangent(self, node: Node, d: tuple) -> Any:
        """The Function's ``jvp`` on arrays: the tangent of each output, from the inputs'."""
        fn = self.function
        if fn.jvp is Function.jvp:
            raise ForwardModeError(
                f"{fn.__name__} defines no jvp(ctx, *tangents), so forward mode (jvp, jacfwd, "
                f"hvp) cannot go through it: add one, returning the tangent of each output"
            )
        ctx = node.ctx
        tangents: list = [None] * len(ctx._args)
        for pos, x, t in zip(ctx._positions, node.inputs, d, strict=True):
            tangents[pos] = np.zeros(x.shape, x.dtype) if t is None else t.data
        result = fn.jvp(ctx, *tangents)
        multi = isinstance(node.out, tuple)
        outs = result if multi else (result,)
        arrays: list = [
            None if r is None else np.asarray(r.data if isinstance(r, Tensor) else r) for r in outs
        ]
        if recording():
            # NOTE: as backward: jvp ran on arrays, so a tangent cannot be differentiated
            # again; record that it depends on the inputs and tangents, so trying raises
            reads = tuple(t for t in (*node.inputs, *d) if isinstance(t, Tensor) and t._rg)
            op = _once_differentiable(fn.__name__)
            arrays = [
                None if r is None else _make(r, True, Node(op, reads, _producers(reads), r, {}))
                for r in arrays
            ]
        return tuple(arrays) if multi else arrays[0]

    def _backward(self, node: Node, g: Any) -> tuple:
        fn = self.function
        ctx = node.ctx
        multi = isinstance(node.out, tuple)  # forward returned a tuple (even of one array)
        outs = node.out if multi else (node.out,)
        gs = g if multi else (g,)
        # The engine turns recording on only for create_graph=True.
        recorded = recording()
        arrays = [
            np.zeros_like(o) if x is None else (x._data if isinstance(x, Tensor) else x)
            for x, o in zip(gs, outs, strict=True)
        ]
        result = _run_backward(fn, ctx, arrays)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(ctx._args)
        if len(result) != n_args:
            raise BackwardError(
                f"{fn.__name__}.backward returned {len(result)} gradient(s), but forward took "
                f"{n_args} argument(s): return one per argument (None where there is none)"
            )
        grads: list = []
        for x, pos in zip(node.inputs, ctx._positions, strict=True):
            r = result[pos]
            if r is None or not x._rg:
                grads.append(None)
                continue
            r = _check_gradient(fn.__name__, pos, r, x)
            if recorded:
                # NOTE: backward ran on arrays, so this gradient cannot be differentiated
                # again. It still depends on the inputs and on the upstream gradient: record
                # that, so a second derivative raises instead of silently being 0.
                reads = tuple(t for t in (*node.inputs, *gs) if isinstance(t, Tensor) and t._rg)
                step = Node(_once_differentiable(fn.__name__), reads, _producers(reads), r, {})
                r = _make(r, True, step)
            grads.append(r)
        return tuple(grads)


def _run_backward(fn: type[Function], ctx: Context, grads: list) -> Any:
    """``fn.backward(ctx, *grads)``, turning numpy's complaint about a write into a saved
    array (``ctx.saved_arrays`` hands out read-only views) into an error naming the
    Function."""
    try:
        return fn.backward(ctx, *grads)
    except ValueError as e:
        if ctx._saved and "read-only" in str(e):
            shapes = ", ".join(f"{np.shape(a)} {getattr(a, 'dtype', '')}" for a in ctx._saved)
            raise BackwardError(
                f"{fn.__name__}.backward wrote into an array it saved with save_for_backward "
                f"(saved: {shapes}): saved arrays are read-only inside backward, so that it "
                f"cannot change the values its forward was given. Copy one before changing it "
                f"(x = x.copy())"
            ) from e
        raise


def _check_gradient(name: str, pos: int, r: Any, x: Tensor) -> np.ndarray:
    """``r`` as an array of ``x``'s shape and dtype, else a clear error."""
    if isinstance(r, Tensor):
        r = r.data
    r = np.asarray(r)
    if r.shape != x.shape:
        # as PyTorch: a gradient in a broadcast shape of the input (the output's shape, for
        # an input the forward broadcast) is summed back; any other shape is an error
        try:
            r = np.asarray(unbroadcast(r, x.shape))
        except ShapeError:
            raise ShapeError(
                f"{name}.backward returned a gradient of shape {r.shape} for input {pos}, "
                f"which has shape {x.shape}; return the input's shape (or one it broadcasts "
                f"to, which is summed back)"
            ) from None
    if r.dtype != x.dtype:
        if r.dtype.kind != "f":
            raise DTypeError(
                f"{name}.backward returned a gradient of dtype {r.dtype} for input {pos}, "
                f"which has dtype {x.dtype} (shape {x.shape}); a gradient must be floating "
                f"point"
            )
        # another float dtype (numpy's float64 constants creep in easily) is cast to the
        # input's, as PyTorch does and as the engine does for built-in ops
        r = r.astype(x.dtype)
    return r


def _once_differentiable(name: str) -> Op:
    def forward(*arrays: Any) -> None:  # never called: the node is built directly
        raise NotImplementedError

    op = Op(f"{name}Backward", forward)

    def rule(g: Any, out: Any, *inputs: Any) -> tuple:
        raise BackwardError(
            f"{name}.backward works on numpy arrays, so its result cannot be differentiated "
            f"again (create_graph through {name}, or forward mode over its gradient). Write "
            f"{name} from autograd_core operations to get higher derivatives"
        )

    op.vjp(rule)
    op.jvp(rule)  # forward mode over it needs its derivative just as much
    return op


class Function:
    """Base class for a differentiable function written on numpy arrays.

    Subclasses define ``forward(ctx, *args, **kwargs)`` returning an array (or a tuple of
    arrays) and ``backward(ctx, *grads)`` returning one gradient per ``forward`` argument
    (None where there is none). Use it through ``apply``.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        """Compute the output from arrays."""
        raise NotImplementedError("Function subclasses must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, *grads: np.ndarray) -> Any:
        """Gradients of the inputs from the gradients of the outputs."""
        raise NotImplementedError("Function subclasses must define backward(ctx, *grads)")

    @staticmethod
    def jvp(ctx: Context, *tangents: Any) -> Any:
        """Optional, for forward mode (``jvp``, ``jacfwd``, ``hvp``): the tangent of each
        output from one tangent per ``forward`` argument (an array for each Tensor argument,
        zeros where it has none; None for the others), as PyTorch's ``Function.jvp``."""
        raise NotImplementedError("define jvp(ctx, *tangents) to use forward mode")

    @classmethod
    def _op(cls) -> _FunctionOp:
        op = cls.__dict__.get("_recorded_op")
        if op is None:
            op = _FunctionOp(cls)
            cls._recorded_op = op  # type: ignore[attr-defined]
        return op

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the arrays of the arguments and record the call."""
        if tracing() is not None:
            from .jit.trace import refuse  # (jit imports the engine)

            refuse(f"a custom Function ({cls.__name__}.apply)")
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx = Context(cls.__name__, needs)
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        previous = recording()
        grad_enabled.set(False)
        try:
            raw = cls.forward(ctx, *arrays, **kwargs)
        finally:
            grad_enabled.set(previous)
        multi = isinstance(raw, tuple)
        outs = tuple(_as_output(cls.__name__, o) for o in (raw if multi else (raw,)))
        if not (recording() and any(needs)):
            ctx.release()
            res = tuple(_make(o) for o in outs)
            return res if multi else res[0]
        ctx._positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        ctx._args = tuple(None if isinstance(a, Tensor) else a for a in args)
        ctx._kwargs = kwargs
        inputs = tuple(args[i] for i in ctx._positions)
        node = Node(cls._op(), inputs, _producers(inputs), outs if multi else outs[0], {})
        node.ctx = ctx
        node.n_out = len(outs)
        if any(t._guard is not None for t in inputs):
            node.pins = pins(inputs, node.op)
        if checking_anomalies():
            from .debug.anomaly import check_forward

            check_forward(node)
        if not multi:
            if outs[0].dtype.kind != "f":
                return _make(outs[0])  # an integer result carries no gradient
            return _make(outs[0], True, node)
        results = []
        for k, o in enumerate(outs):
            if o.dtype.kind != "f":
                results.append(_make(o))
                continue
            select = Node(_SELECT, (None,), (node,), o, {})  # it reads no Tensor
            select.out_index = k
            results.append(_make(o, True, select))
        return tuple(results)


def _producers(tensors: tuple) -> tuple:
    return tuple([t._node for t in tensors])


def _as_output(name: str, o: Any) -> np.ndarray:
    if isinstance(o, Tensor):
        o = o.data
    arr = np.asarray(o)
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"{name}.forward must return numeric arrays. Received dtype {arr.dtype}")
    return arr


def _select_forward(*arrays: Any) -> None:  # the select node is built directly, never called
    raise NotImplementedError


_SELECT = Op("output", _select_forward)
