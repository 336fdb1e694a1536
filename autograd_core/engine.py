"""backward(): walk the recorded graph from an output to the leaves and deliver gradients.

The walk is iterative (no recursion, so a chain of a million ops works at any recursion
limit). Each node is visited once, after every node that consumes its output, so the gradient
it hands on is complete: Kahn's algorithm on the dependency counts found by one first pass.
"""

from __future__ import annotations

import gc
from typing import Any, Sequence

import numpy as np

from . import graph
from .broadcast import unbroadcast
from .errors import BackwardError, DTypeError, ShapeError
from .grad_mode import checking_anomalies, grad_enabled, recording, tracing
from .graph import Node, backward_order, node_outputs
from .tensor import Tensor, _make
from .versions import changed, memory_changed, memory_versions_since, versions_since


def backward(
    tensor: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Accumulate d tensor / d leaf into ``leaf.grad`` for every leaf that requires grad."""
    if grad is None and type(tensor) is Tensor and tensor._rg and tensor._data.size == 1:
        data = tensor._data  # the common case (a scalar loss), without the general checks
        root_grad: Any = np.empty(data.shape, dtype=data.dtype)
        root_grad.fill(1)
        if create_graph:
            root_grad = _make(root_grad)
    else:
        root_grad = _initial_grad(tensor, grad, create_graph, "backward")
    if tracing() is not None:  # ag.compile: the root's gradient is a step of the program
        _trace_root(root_grad, grad, create_graph)
    run_backward(tensor, root_grad, retain_graph or create_graph, create_graph)


def _trace_root(root_grad: Any, grad: Any, create_graph: bool) -> None:
    from .jit import trace

    if create_graph:
        trace.refuse("backward(create_graph=True)")
    if grad is None:
        trace.trace_ones(root_grad)
    else:
        trace.trace_initial(root_grad, grad)


def gradients(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """d output / d input for each of ``inputs``, returned rather than stored in ``.grad``
    (``torch.autograd.grad``). An input the output does not depend on gets zeros, or None
    with ``allow_unused=True``."""
    inputs = tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t._rg:
            raise BackwardError("gradients: every input must be a Tensor that requires grad")
    root_grad = _initial_grad(output, grad_output, create_graph, "gradients")
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(output, root_grad, retain, create_graph, capture=inputs)
    result = []
    for t in inputs:
        g = found.get(t._node if t._node is not None else t)
        if g is None and not allow_unused:
            g = np.zeros(t.shape, dtype=t.dtype)
            g = _make(g) if create_graph else g
        result.append(g)
    return tuple(result)


def _initial_grad(t: Tensor, grad: Any, create_graph: bool, where: str) -> Any:
    """The gradient backward starts from: ones for a one-element output, else ``grad``."""
    if not isinstance(t, Tensor):
        raise BackwardError(f"{where}: expected a Tensor output. Received {type(t).__name__}")
    if not t._rg:
        raise BackwardError(
            f"{where}: the output (shape {t.shape}, dtype {t.dtype}) does not require grad, so "
            f"there is no graph to differentiate. Create the inputs with requires_grad=True, "
            f"and do not compute the output inside no_grad()"
        )
    if grad is None:
        if t._data.size != 1:
            raise BackwardError(
                f"{where}: grad can be implied only for a one-element output, but this one "
                f"has shape {t.shape}. Pass grad= an array of shape {t.shape} (np.ones for a "
                f"plain sum), or reduce the output with .sum() or .mean() first"
            )
        g: Any = np.empty(t.shape, dtype=t.dtype)
        g.fill(1)  # np.ones is a Python wrapper around these two calls
    elif isinstance(grad, Tensor) and create_graph and grad._rg:
        g = grad  # the user wants to differentiate through the upstream gradient too
    else:
        try:
            g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=t.dtype, copy=True)
        except (TypeError, ValueError):
            raise DTypeError(
                f"{where}: grad must be numbers of the output's shape {t.shape} (an array, a "
                f"Tensor or a scalar). Received: {type(grad).__name__} {grad!r:.60}"
            ) from None
    if g.shape != t.shape:
        raise ShapeError(
            f"{where}: grad has shape {tuple(g.shape)} but the output has shape {t.shape}; "
            f"they must be equal"
        )
    if create_graph and not isinstance(g, Tensor):
        g = _make(g)
    return g


def run_backward(
    root: Tensor,
    root_grad: Any,
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
) -> dict:
    """Propagate ``root_grad`` from ``root`` to the leaves.

    Without ``capture``, leaf gradients are added to ``.grad``. With it, nothing is stored:
    the gradients of the captured tensors are returned, keyed by node (non-leaf) or tensor.
    """
    wanted = None
    if capture is not None:
        wanted = {t._node if t._node is not None else t for t in capture}
    found: dict = {}
    leaf_grads: dict = {}
    if root._node is None:  # the output is itself a leaf
        leaf_grads[root] = root_grad
    else:
        # NOTE: the cyclic collector is paused during the walk (and resumed after, if it
        # was on). The walk makes no reference cycles, so it has nothing to collect, but its
        # scratch (a dict entry per node) would make it scan a long graph several times
        # over. Pausing is process-wide: other threads' collections wait for this backward.
        collecting = gc.isenabled()
        gc.disable()
        was_recording = recording()
        grad_enabled.set(create_graph)  # record the backward pass only when asked to
        try:
            _walk(root._node, root_grad, retain_graph, create_graph, wanted, found, leaf_grads)
        finally:
            grad_enabled.set(was_recording)
            if collecting:
                gc.enable()
    if wanted is not None:
        for leaf, g in leaf_grads.items():
            if leaf in wanted:
                found[leaf] = _run_hooks(leaf._hooks, g) if leaf._hooks else g
        return found
    _deliver(leaf_grads, create_graph)
    return found


def _walk(
    start: Node,
    root_grad: Any,
    retain_graph: bool,
    create_graph: bool,
    wanted: set | None,
    found: dict,
    leaf_grads: dict,
) -> None:
    """Hand each node's gradient on to its inputs, in backward order: the sums of every
    consumer's share (fan-out) gather in ``grads`` (nodes) and ``leaf_grads`` (leaves)."""
    grads: dict = {start: root_grad}
    # (set while ag.compile traces too: backward_step then records each rule)
    anomaly = checking_anomalies() or tracing() is not None
    for node in backward_order(start):
        g = grads.pop(node, None)
        if g is not None:
            if node.hooks is not None:
                g = _run_hooks(node.hooks, g)
            if node.retain is not None:
                _retain(node, g, create_graph)
            if wanted is not None and node in wanted:
                found[node] = g
            if node.out_index is None:
                backward_step(node, g, create_graph, grads, leaf_grads, anomaly)
            else:  # output k of a multi-output Function: its gradient fills slot k there
                owner, k = node.parents[0], node.out_index
                slots = grads.setdefault(owner, [None] * owner.n_out)
                slots[k] = g if slots[k] is None else _add(slots[k], g)
        if not retain_graph:
            node.release()


def backward_step(
    node: Node,
    g: Any,
    create_graph: bool,
    grads: dict,
    leaf_grads: dict,
    anomaly: bool = False,
    each: list | None = None,
) -> None:
    """One node of the walk: its rule applied to ``g``, the gradient of its output; each
    result checked and brought to its input's kind (an array, or a Tensor when recording),
    shape (summed over broadcast axes) and dtype, then added to what the input's producer
    (``grads``) or the leaf (``leaf_grads``) has received. With ``each``, the gradients are
    appended to it instead, one per input (None where there is none)."""
    if node.stamp != graph.write_clock:
        # released (stamp -1), or some in-place write came after this node was recorded
        if node.stamp < 0:
            raise _released_error(node)
        _check_saved(node)
    if not anomaly:
        raw = node.op.backward(node, g)
    elif tracing() is not None:
        from .jit.trace import trace_rule  # (jit imports the engine)

        raw = trace_rule(node, g)
    else:
        raw = node.op.backward(node, g)
        from .debug.anomaly import check_backward  # (debug/ imports the engine)

        check_backward(node, raw)
    inputs = node.inputs
    if len(raw) != len(inputs):
        raise BackwardError(
            f"vjp of '{node.name}' returned {len(raw)} gradients for {len(inputs)} inputs"
        )
    # NOTE: not strict: the lengths were checked just above
    for gi, x, p in zip(raw, inputs, node.parents, strict=False):
        if gi is None or not x._rg:
            if each is not None:
                each.append(None)
            continue
        if create_graph:
            if type(gi) is not Tensor:
                gi = _make(np.asarray(gi))
        elif type(gi) is Tensor:
            gi = gi._data
        xdata = x._data
        if gi.shape != xdata.shape:
            wide = gi
            gi = unbroadcast(gi, xdata.shape, f"vjp of '{node.name}' returned a gradient")
            if anomaly and tracing() is not None:
                _trace_glue(unbroadcast, "unbroadcast", gi, wide, shape=xdata.shape)
        # NOTE: numpy's builtin dtypes are singletons: `is` settles the common case before
        # the comparison (a call into numpy)
        d = gi.dtype
        if d is not xdata.dtype and d != xdata.dtype:
            wide = gi
            gi = _cast(gi, xdata.dtype, node)
            if anomaly and tracing() is not None:
                from .jit.trace import _as_dtype

                _trace_glue(_as_dtype, "cast", gi, wide, dtype=xdata.dtype)
        if each is not None:
            each.append(gi)
        elif p is None:
            if x._node is not None:
                continue  # a leaf then, given a history since by an in-place update: no grad
            prev = leaf_grads.get(x)
            leaf_grads[x] = gi if prev is None else _add(prev, gi)
        else:
            prev = grads.get(p)
            grads[p] = gi if prev is None else _add(prev, gi)


def _check_saved(node: Node) -> None:
    """Raise if an array ``node``'s rule reads changed in place after it was recorded."""
    stamp = node.stamp
    inputs = node.inputs
    op = node.op
    reads = op.read_positions(inputs)
    for i, x in enumerate(inputs):
        if x is None:
            continue
        if i in reads:
            if changed(x, stamp):
                now, then, exact = versions_since(x, stamp)
                raise _modified_error(node, f"input {i}", x, now, then, exact)
        else:
            # the rule reads only its shape and dtype: only an assignment that changed them
            rec = getattr(x, "_vt", None)
            if rec is not None and rec.reshaped > stamp:
                now, then, exact = versions_since(x, stamp)
                raise _modified_error(node, f"input {i}", x, now, then, exact)
    if op.uses_out:
        for k, o in enumerate(node_outputs(node)):
            if o is not None and memory_changed(o, stamp):
                now, then, exact = memory_versions_since(o, stamp)
                raise _modified_error(node, f"output {k}", o, now, then, exact)


def _modified_error(
    node: Node, which: str, t: Any, now: int, then: int, exact: bool
) -> BackwardError:
    name = getattr(t, "name", None)
    label = f" ({name!r})" if name else ""
    expected = f"version {then}" if exact else f"a version up to {then}"
    return BackwardError(
        f"backward: an array needed to compute the gradient was modified in place: "
        f"{which}{label} of '{node.name}' (shape {tuple(t.shape)}, dtype {t.dtype}) is at "
        f"version {now}; it was at {expected} when '{node.name}' recorded it. Change a copy "
        f"instead (t.copy()), or compute '{node.name}' again after the change"
    )


def _released_error(node: Any) -> BackwardError:
    return BackwardError(
        f"backward through '{node.name}' (output shape {tuple(node.shape)}, dtype "
        f"{node.dtype}) a second time: the arrays it saved were freed by "
        f"the first backward. Pass retain_graph=True to the first backward() (or to "
        f"every one but the last) to keep them"
    )


def _cast(gi: Any, dtype: np.dtype, node: Any) -> Any:
    """A rule's gradient converted to its input's float dtype (an integer one is a bug)."""
    if gi.dtype.kind != "f":
        raise DTypeError(
            f"vjp of '{node.name}' returned a {gi.dtype} gradient for an input of dtype "
            f"{dtype}; a gradient must be floating point"
        )
    return gi.astype(dtype)


def _add(a: Any, b: Any) -> Any:
    """a + b for two gradients (arrays or Tensors), always an array or a Tensor."""
    s = a + b
    # NOTE: numpy returns a scalar, not a 0-d array, for the sum of two 0-d arrays
    if isinstance(s, np.generic):
        s = np.asarray(s)
    if tracing() is not None and type(s) is np.ndarray:
        _trace_glue(_add, "add", s, a, b)
    return s


def _trace_glue(fn: Any, what: str, out: Any, *arrays: Any, **kwargs: Any) -> None:
    from .jit.trace import trace_glue  # (jit imports the engine)

    trace_glue(fn, what, out, *arrays, **kwargs)


def _run_hooks(hooks: list, g: Any) -> Any:
    for hook in list(hooks):
        replaced = hook(g)
        if replaced is not None:
            # keep the gradient's kind: an array in a plain backward, a Tensor when recording
            if isinstance(g, Tensor):
                if not isinstance(replaced, Tensor):
                    replaced = _make(np.asarray(replaced, dtype=g.dtype))
            else:
                replaced = np.asarray(
                    replaced.data if isinstance(replaced, Tensor) else replaced, dtype=g.dtype
                )
            if replaced.shape != g.shape:
                raise ShapeError(
                    f"a gradient hook ({getattr(hook, '__name__', 'hook')}) returned shape "
                    f"{replaced.shape} for a gradient of shape {g.shape}; return the same shape"
                )
            g = replaced
    return g


def _retain(node: Any, g: Any, create_graph: bool) -> None:
    t = node.retain()
    if t is not None:
        g = g if create_graph else np.array(g, copy=True)
        t.grad = g if t.grad is None else _add(_present_grad(t, g), g)


def _present_grad(t: Tensor, g: Any) -> Any:
    """``t.grad``, checked to be an array (or a Tensor) of the gradient's shape before the
    new gradient is added to it."""
    prev = t.grad
    if not isinstance(prev, (np.ndarray, Tensor)) or prev.shape != g.shape:
        name = t.name
        what = (
            f"has shape {tuple(prev.shape)}"
            if isinstance(prev, (np.ndarray, Tensor))
            else f"is a {type(prev).__name__} ({prev!r:.40})"
        )
        raise ShapeError(
            f"backward: the .grad already set on the tensor {f'{name!r} ' if name else ''}"
            f"of shape {t.shape} {what}; the new gradient, of shape {tuple(g.shape)}, is added "
            f"to it, so it must be an array of the tensor's shape (or None: set .grad = None)"
        )
    return prev


def _deliver(leaf_grads: dict, create_graph: bool) -> None:
    """Add each leaf's gradient to its ``.grad``, never sharing an array between two leaves."""
    if tracing() is not None:
        from .jit.trace import trace_deliver  # (jit imports the engine)

        return trace_deliver(leaf_grads)
    given: set = set()
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if leaf.grad is None:
            if not create_graph and (g.base is not None or id(g) in given or not g.flags.writeable):
                g = g.copy()  # a view or an array another leaf holds: give this one its own
            given.add(id(g))
            leaf.grad = g
        else:
            leaf.grad = _add(_present_grad(leaf, g), g)


def node_vjp(node: Node, upstream: tuple) -> list:
    """``node``'s gradient for each input as an array (None where there is none), given one
    upstream array per output, with recording off: one node differentiated on its own, for
    the tools that check or explain a graph node by node."""
    g: Any = list(upstream) if node.n_out > 1 else upstream[0]
    each: list = []
    was_recording = recording()
    grad_enabled.set(False)
    try:
        backward_step(node, g, False, {}, {}, checking_anomalies(), each)
    finally:
        grad_enabled.set(was_recording)
    return each
